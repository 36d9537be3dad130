"""政策计算器: the form's text read exactly (pure), and the page and API on a real database
(SQLite and PostgreSQL) with the roles and scopes, checked against the batch's own numbers."""

from __future__ import annotations

import json
import re
from datetime import date
from html import unescape
from html.parser import HTMLParser

import polars as pl
import pytest
from fastapi.testclient import TestClient
from test_web import PASSWORD
from test_web import sign_in as web_sign_in

from commerce_brain.access import Scope
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy import calculator_form as cf
from commerce_brain.policy.checkup import checkup
from commerce_brain.policy.engine import evaluate, packaged
from commerce_brain.policy.inputs import EnterpriseInputs
from commerce_brain.policy.synthetic import city
from commerce_brain.policy.vocabulary import CHOICE_ZH
from commerce_brain.settings import Settings
from commerce_brain import fulfilment as f
from commerce_brain.store.accounts import create_user, get_user, issue_token
from commerce_brain.fulfilment.data import load_policy_data
from commerce_brain.store.schema import connect
from commerce_brain.uscc import make_uscc
from commerce_brain.web.app import create_app

YEAR = 2023
POLICIES, CATALOG = packaged()
QUZHOU = {u: u for u in CATALOG.subtree("330800")}


# ---- single values ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "fen"), [
    ("1234567.89", 123456789), ("1,234,567.89", 123456789), ("300元", 30000), ("12.5万", 12500000),
    ("12.5万元", 12500000), ("1.234567万", 1234567), ("１２，３４５．６", 1234560), (" 0.01 ", 1), ("0", 0),
    ("", None), ("   ", None), (None, None),
])
def test_money_is_read_exactly_to_the_fen(text, fen):
    assert cf.parse_money(text) == fen


@pytest.mark.parametrize(("text", "reason"), [
    ("1.234", "最多两位小数"), ("1.2345678万", "最多两位小数"), ("0.001", "最多两位小数"),
    ("-5", "不能为负数"), ("abc", "不是金额"), ("1,23", "不是金额"), ("12,3456", "不是金额"), ("1e5", "不是金额"),
    ("2万万", "不是金额"), ("10000000000001", "超出可计算范围"),
])
def test_money_that_is_not_exact_is_refused_not_rounded(text, reason):
    with pytest.raises(cf.FieldError, match=reason):
        cf.parse_money(text)


def test_money_text_reads_back_to_the_same_fen():
    for fen in (0, 1, 99, 100, 123456789, 10**15):
        assert cf.parse_money(cf.money_text(fen)) == fen


@pytest.mark.parametrize(("text", "ppm"), [("4.35", 43500), ("4.35%", 43500), ("100", 1_000_000),
                                           ("0.0001", 1), ("30 %", 300_000), ("", None)])
def test_rates_in_percent_become_millionths(text, ppm):
    assert cf.parse_rate(text) == ppm
    if ppm is not None:
        assert cf.parse_rate(cf.rate_text(ppm)) == ppm


@pytest.mark.parametrize(("text", "reason"), [("0.00001", "最多四位小数"), ("101", "不能超过"), ("x%", "不是百分比"),
                                              ("-1", "不是百分比")])
def test_bad_rates_are_refused(text, reason):
    with pytest.raises(cf.FieldError, match=reason):
        cf.parse_rate(text)


def test_dates_must_be_iso_and_real():
    assert cf.parse_date("2023-05-01") == date(2023, 5, 1)
    for text in ("2023/05/01", "20230501", "2023-02-30", "2023-5-1", "昨天"):
        with pytest.raises(cf.FieldError, match="日期格式应为 年-月-日"):
            cf.parse_date(text)


def test_counts_and_years():
    assert cf.parse_count("1,200") == 1200 and cf.parse_count("") is None
    for text in ("1.5", "-2", "两个"):
        with pytest.raises(cf.FieldError):
            cf.parse_count(text)
    assert cf.parse_year("2023") == 2023
    with pytest.raises(cf.FieldError):
        cf.parse_year("1999")


# ---- the whole form ---------------------------------------------------------------------------

def rd_form(**overrides) -> dict[str, str]:
    """A hand-filled form: an industrial firm of 柯城区 with R&D and a 高企 recognition."""
    form = {"year": "2023", "uscc": "", "name": "手填企业", "org_unit": "330802", "industry": "C",
            "is_manufacturing": "1", "is_industrial": "1", "main_revenue": "5,000万", "rd_spend": "300万",
            "prev_main_revenue": "4000万", "prev_rd_spend": "2,000,000",
            "e0_kind": "national_high_tech_enterprise", "e0_date": "2023-11-20",
            "e1_kind": "", "e1_date": "", "e1_amount": ""}
    form.update(overrides)
    return form


def test_a_hand_filled_form_becomes_inputs_and_the_awards_follow():
    parsed = cf.parse_form(rd_form(), policies=POLICIES, org_units=QUZHOU)
    assert parsed.errors == [] and parsed.year == YEAR
    inputs = parsed.inputs
    assert inputs.uscc == cf.TRIAL_USCC and inputs.enterprise["name"] == "手填企业"
    assert inputs.enterprise["is_industrial"] is True and inputs.enterprise["is_listed"] is False
    assert inputs.facts == ({"year": 2022, "main_revenue": 4_000_000_000, "rd_spend": 200_000_000},
                            {"year": 2023, "main_revenue": 5_000_000_000, "rd_spend": 300_000_000})
    assert inputs.events == ({"kind": "national_high_tech_enterprise", "date": date(2023, 11, 20)},)
    result = checkup(inputs.uscc, *inputs.frames(), YEAR, policies=POLICIES, catalog=CATALOG)
    amounts = {a["rule"]: a["amount_fen"] for a in result.awards}
    # 300万 × 5% + (300万 − 200万) × 5% = 20万; a new 高企 30万.
    assert amounts == {"rd_subsidy": 20_000_000, "national_high_tech_enterprise": 30_000_000}


def test_every_problem_is_named_by_field_and_the_reason():
    form = rd_form(rd_spend="1.234", year="2023", uscc="91330802MA2G000118", org_unit="330100",
                   e0_kind="lottery_win", e1_kind="green_loan", e1_date="2023/3/1", e1_benchmark_rate="4.35.1")
    parsed = cf.parse_form(form, policies=POLICIES, org_units=QUZHOU)
    assert parsed.inputs is None
    errors = dict(parsed.errors)
    assert errors["rd_spend"] == "测算年度研发投入：最多两位小数（到分）"
    assert errors["uscc"].startswith("统一社会信用代码：校验位错误")
    assert errors["org_unit"].startswith("所在地区：")
    assert errors["e0_kind"] == "事件1·事件类型：未知的事件类型"
    assert errors["e1_date"].startswith("事件2·日期：日期格式应为 年-月-日")
    assert errors["e1_benchmark_rate"].startswith("事件2·贷款同期基准利率：不是百分比")
    assert len(parsed.errors) == 6


def test_an_event_row_needs_a_kind_and_a_date_and_blank_rows_are_ignored():
    parsed = cf.parse_form(rd_form(e0_kind="", e0_date="", e3_amount="100", e7_kind="", e7_date=""),
                           policies=POLICIES, org_units=QUZHOU)
    assert dict(parsed.errors) == {"e3_kind": "事件4·事件类型：请选择", "e3_date": "事件4·日期：请填写（如 2023-06-01）"}
    ok = cf.parse_form(rd_form(e0_kind="", e0_date=""), policies=POLICIES, org_units=QUZHOU)
    assert ok.errors == [] and ok.inputs.events == ()


def test_event_fields_of_every_kind_are_read_in_their_units():
    form = rd_form(e0_kind="green_loan", e0_date="2023-03-01", e0_amount="1,000万", e0_rating="dark_green",
                   e0_benchmark_rate="4.35%", e0_days="365", e0_subject="贷款A", e0_already_paid="0.5万",
                   e0_level="national", e0_count="2", e0_local_share="60", e0_assessed_award="1万")
    event = cf.parse_form(form, policies=POLICIES, org_units=QUZHOU).inputs.events[0]
    assert event == {"kind": "green_loan", "date": date(2023, 3, 1), "amount": 1_000_000_000, "rating": "dark_green",
                     "benchmark_rate": 43_500, "days": 365, "subject": "贷款A", "already_paid": 500_000,
                     "level": "national", "count": 2, "local_share": 600_000, "assessed_award": 1_000_000}


def test_the_stored_history_is_kept_and_the_form_overrides_the_years_it_shows(town):
    enterprises, facts, events = town
    uscc = events.filter(pl.col("year") < YEAR)["uscc"][0]
    stored = EnterpriseInputs.from_stored(uscc, enterprises, facts, events)
    values = cf.form_values(stored, YEAR, POLICIES)
    history = json.loads(values["history"])
    assert [f["year"] for f in history["facts"]] == [2019, 2020, 2021, 2022, 2023]
    assert all(not e["date"].startswith(str(YEAR)) for e in history["events"])
    # Unchanged, the form gives back exactly the stored enterprise.
    again = cf.parse_form(values, policies=POLICIES, org_units=QUZHOU)
    assert again.errors == []
    assert sorted(again.inputs.facts, key=lambda x: x["year"]) == list(stored.facts)
    assert _events(again.inputs) == _events(stored)
    assert again.inputs.enterprise == stored.enterprise
    # A figure typed over the award year replaces the stored one; earlier years stay.
    changed = cf.parse_form({**values, "rd_spend": "123.45"}, policies=POLICIES, org_units=QUZHOU).inputs
    assert {f["year"]: f["rd_spend"] for f in changed.facts}[YEAR] == 12345
    assert len(changed.facts) == 5


def test_a_history_edited_by_hand_is_refused():
    parsed = cf.parse_form(rd_form(history='{"facts": [{"year": 2022, "rd_spend": 1.5}]}'), policies=POLICIES,
                           org_units=QUZHOU)
    assert parsed.inputs is None and parsed.errors[0][0] == "history"


def test_the_form_offers_each_kind_with_its_rules_and_the_fields_they_read():
    kinds = cf.event_kinds(POLICIES)
    assert set(kinds) == POLICIES.event_kinds()
    assert kinds["a_share_listed"] == "A股上市奖励（上市成功·企业）、A股上市奖励（上市成功·管理层）"
    fields = cf.fields_of_kinds(POLICIES)
    assert set(fields["green_loan"]) >= {"amount", "rating", "benchmark_rate", "days", "date", "kind"}
    assert "amount" not in fields["national_high_tech_enterprise"]
    choices = cf.choices(POLICIES)
    assert {"national", "provincial", "municipal"} <= set(choices["level"])
    assert {"dark_green", "five_star"} <= set(choices["rating"])
    assert all(code in CHOICE_ZH for values in choices.values() for code in values)


def _events(inputs: EnterpriseInputs) -> list[tuple]:
    return sorted(tuple(sorted((k, v) for k, v in e.items() if v is not None)) for e in inputs.events)


@pytest.fixture(scope="module")
def town():
    return city(300, [2019, 2020, 2021, 2022, YEAR], event_kinds=sorted(POLICIES.event_kinds()))


# ---- the page and the API on a real database --------------------------------------------------

KECHENG = "330802"


def _firm_uscc(town) -> str:
    """The enterprise of 柯城区 with an R&D award and the most awards in 2023."""
    awards = evaluate(*town, YEAR).filter(pl.col("amount_fen") > 0)
    mine = awards.filter(pl.col("org_unit") == KECHENG).group_by("uscc").agg(pl.col("rule"))
    with_rd = mine.filter(pl.col("rule").list.contains("rd_subsidy")).with_columns(pl.col("rule").list.len().alias("n"))
    return with_rd.sort(["n", "uscc"], descending=[True, False])["uscc"][0]


ROLES = {"firm": ("enterprise", None), "kecheng": ("county_analyst", KECHENG), "officer": ("policy_officer", None),
         "boss": ("leader", None), "city": ("city_analyst", None), "admin": ("admin", None),
         "finance": ("finance_officer", None)}


@pytest.fixture(scope="module")
def firm_uscc(town) -> str:
    return _firm_uscc(town)


@pytest.fixture
def site(database_url, town, firm_uscc):
    engine = connect(database_url)
    f.save_policy_data(engine, PolicyData(*town), actor="loader")
    app = create_app(Settings.from_env(database_url=database_url))
    yield app, engine, firm_uscc
    engine.dispose()


def sign_in(site, username: str) -> tuple[TestClient, str]:
    """A browser signed in as ``username`` (the account made on first use: hashing passwords is
    slow) and its CSRF token."""
    app, engine, firm = site
    if get_user(engine, username) is None:
        role, org_unit = ROLES[username]
        create_user(engine, username=username, password=PASSWORD, role=role, display_name=username,
                    org_unit=org_unit, uscc=firm if role == "enterprise" else None, catalog=CATALOG)
    client = web_sign_in(TestClient(app), username)
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/calculator").text).group(1)


class _Form(HTMLParser):
    """What a browser submits for the page's calculator form (inputs, ticked boxes, selections)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.select: str | None = None
        self.inside = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == "/calculator" and a.get("method") == "post"
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.values[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select = a["name"]
            self.values[self.select] = ""
        elif tag == "option" and self.select and "selected" in a:
            self.values[self.select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def form_of(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html)
    return parser.values


def result_rules(html: str) -> dict[str, str]:
    """Each award on the result page: rule → the amount shown."""
    return dict(re.findall(r'<li class="award" data-rule="([^"]+)">\s*<h3>[^<]*<span class="amount">([^<]+)</span>',
                           html))


def test_enterprise_sees_its_own_data_and_its_awards(site, town):
    _, _, firm = site
    client, _ = sign_in(site, "firm")
    page = client.get("/calculator")
    assert page.status_code == 200
    assert '<a href="/calculator">政策计算器</a>' in page.text
    values = form_of(page.text)
    stored = EnterpriseInputs.from_stored(firm, *town)
    assert values["uscc"] == firm and f'value="{firm}" readonly' in page.text
    assert values["name"] == stored.enterprise["name"] and values["org_unit"] == KECHENG
    by_year = {x["year"]: x for x in stored.facts}
    assert cf.parse_money(values["rd_spend"]) == by_year[YEAR]["rd_spend"]
    assert cf.parse_money(values["prev_rd_spend"]) == by_year[YEAR - 1]["rd_spend"]
    assert 'name="uscc" value=""' not in page.text and "载入已存企业数据" not in page.text

    result = client.post("/calculator", data=values)
    assert result.status_code == 200, result.text
    expected = checkup(firm, *town, YEAR, policies=POLICIES, catalog=CATALOG)
    shown = result_rules(result.text)
    assert set(shown) == {a["rule"] for a in expected.awards} and "rd_subsidy" in shown
    rd = next(a for a in expected.awards if a["rule"] == "rd_subsidy")
    assert shown["rd_subsidy"] == f"{rd['amount_fen'] // 100:,}.{rd['amount_fen'] % 100:02d} 元"
    text = unescape(result.text)
    assert "第8条（研发投入补助）「对年度研发投入200万元以上" in text and rd["explanation"] in text
    assert "测算结果，以审核为准" in text and f"{YEAR}年度" in text and "柯城区财政" in text
    total = expected.total_fen
    assert f'id="total">{total // 100:,}.{total % 100:02d} 元' in result.text
    # Close misses in the open, the rest folded away.
    close = [m for m in expected.missed if not m["no_event"]]
    assert close and all(f'data-rule="{m["rule"]}"' in result.text for m in close)
    details = result.text.split('<details class="others">')[1]
    assert all(f'data-rule="{m["rule"]}"' in details for m in expected.missed if m["no_event"])
    # Each award and close miss can be claimed with exactly the inputs it was calculated on.
    claims = re.findall(r'<form method="post" action="/claims/new".*?</form>', result.text, re.DOTALL)
    assert len(claims) == len(expected.awards) + len(close)
    claimed = form_hidden(claims[0])
    assert claimed["year"] == str(YEAR) and claimed["csrf"] == values["csrf"]
    inputs = EnterpriseInputs.from_json(claimed["inputs"])
    assert inputs.uscc == firm and _events(inputs) == _events(stored)


def form_hidden(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', html)}


def test_the_calculator_agrees_with_the_batch(site, town):
    """Every enterprise with an award in 柯城区: the API's awards are the batch's, to the fen."""
    _, engine, _ = site
    f.run_batch(engine, YEAR, actor="loader")
    batch = f.list_awards(engine, scope=Scope(), year=YEAR)
    city_wide = evaluate(*town, YEAR).filter(pl.col("amount_fen") > 0)
    client, csrf = sign_in(site, "officer")
    usccs = sorted(set(city_wide.filter(pl.col("org_unit") == KECHENG)["uscc"]))
    assert len(usccs) >= 5
    for uscc in usccs:
        response = client.post("/api/v1/calculator", json={"year": YEAR, "uscc": uscc}, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200, response.text
        got = response.json()["awards"]
        engine_rows = city_wide.filter(pl.col("uscc") == uscc)
        assert sorted((a["rule"], a["payee"], a["amount_fen"], a["payer"]) for a in got) == sorted(
            engine_rows.select("rule", "payee", "amount_fen", "payer").rows())
        stored = batch.filter(pl.col("uscc") == uscc)
        assert sorted((a["rule"], a["subject"], a["amount_fen"]) for a in got) == sorted(
            stored.select("rule", "subject", "amount_fen").rows())
        assert response.json()["total_fen"] == engine_rows["amount_fen"].sum()


def test_an_officer_enters_an_enterprise_by_hand(site):
    client, csrf = sign_in(site, "officer")
    blank = client.get("/calculator")
    assert blank.status_code == 200 and "载入已存企业数据" in blank.text
    values = form_of(blank.text)
    assert values["uscc"] == "" and values["history"] == ""
    assert len([k for k in values if re.match(r"e\d+_kind$", k)]) == 5          # rows without JS
    response = client.post("/calculator", data={**values, **rd_form()})
    assert response.status_code == 200, response.text
    assert result_rules(response.text) == {"rd_subsidy": "200,000.00 元", "national_high_tech_enterprise": "300,000.00 元"}
    assert 'id="total">500,000.00 元' in response.text and "手填企业" in response.text
    assert "/claims/new" not in response.text                                  # officers do not claim
    api = client.post("/api/v1/calculator", headers={"X-CSRF-Token": csrf}, json={"year": YEAR, "inputs": {
        "enterprise": {"uscc": "91330802MA2G000117", "name": "接口企业", "org_unit": KECHENG, "is_industrial": True},
        "facts": [{"year": 2022, "main_revenue": 4_000_000_000, "rd_spend": 200_000_000},
                  {"year": 2023, "main_revenue": 5_000_000_000, "rd_spend": 300_000_000}],
        "events": [{"kind": "national_high_tech_enterprise", "date": "2023-11-20"}]}})
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["total_fen"] == 50_000_000 and body["name"] == "接口企业"
    rd = next(a for a in body["awards"] if a["rule"] == "rd_subsidy")
    assert rd["amount_fen"] == 20_000_000 and rd["amount_yuan"] == "200000.00" and rd["article"] == "第8条（研发投入补助）"
    assert rd["quote"].startswith("对年度研发投入200万元以上") and rd["payer_name"] == "柯城区财政" and rd["payee"] == "enterprise"
    assert "4,000,000" not in rd["explanation"] and "3,000,000.00元" in rd["explanation"]
    assert {m["rule"] for m in body["missed"]} >= {"revenue_first_reaches_20m", "a_share_listing_company"}


def test_input_errors_are_shown_beside_the_fields_with_the_values_kept(site):
    client, csrf = sign_in(site, "officer")
    response = client.post("/calculator", data={**rd_form(rd_spend="1.234", e0_kind="lottery"), "csrf": csrf})
    assert response.status_code == 422
    assert '<span class="field-error" id="err-rd_spend">测算年度研发投入：最多两位小数' in response.text
    assert 'name="rd_spend" inputmode="decimal" aria-label="测算年度研发投入（元）" value="1.234" aria-invalid="true"' \
        in response.text
    assert "事件1·事件类型：未知的事件类型" in response.text and 'id="result"' not in response.text
    assert 'value="手填企业"' in response.text
    early = client.post("/calculator", data={**rd_form(year="2018"), "csrf": csrf})
    assert early.status_code == 400 and "2018年度不适用" in early.text


def test_the_form_needs_its_csrf_token_and_the_api_its_header(site):
    app, engine, _ = site
    client, _ = sign_in(site, "officer")
    assert client.post("/calculator", data=rd_form()).status_code == 403
    assert client.post("/calculator", data={**rd_form(), "csrf": "forged"}).status_code == 403
    body = {"year": YEAR, "uscc": _first(engine)}
    assert client.post("/api/v1/calculator", json=body).status_code == 403
    token = issue_token(engine, get_user(engine, "officer").id, "script")
    script = TestClient(app).post("/api/v1/calculator", json=body, headers={"Authorization": f"Bearer {token}"})
    assert script.status_code == 200
    assert TestClient(app).post("/api/v1/calculator", json=body).status_code == 401
    assert TestClient(app).get("/calculator", follow_redirects=False).status_code == 303


def _first(engine) -> str:
    return load_policy_data(engine).enterprises["uscc"][0]


def test_an_enterprise_calculates_only_for_itself(site, town):
    _, _, firm = site
    client, csrf = sign_in(site, "firm")
    other = town[0].filter(pl.col("uscc") != firm).row(0, named=True)
    page = client.get(f"/calculator?uscc={other['uscc']}")
    assert page.status_code == 403 and other["name"] not in page.text
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/v1/calculator", json={"year": YEAR, "uscc": other["uscc"]}, headers=headers).status_code == 403
    mine = json.loads(EnterpriseInputs.from_stored(firm, *town).to_json())
    theirs = {**mine, "enterprise": {**mine["enterprise"], "uscc": other["uscc"]}}
    assert client.post("/api/v1/calculator", json={"year": YEAR, "inputs": theirs}, headers=headers).status_code == 403
    assert client.post("/api/v1/calculator", json={"year": YEAR, "inputs": mine}, headers=headers).status_code == 200
    assert client.post("/api/v1/calculator", json={"year": YEAR, "uscc": firm}, headers=headers).status_code == 200
    form = form_of(client.get("/calculator").text)
    assert client.post("/calculator", data={**form, "uscc": other["uscc"]}).status_code == 403
    # Its what-if figures are its own to change: a blank USCC is its own.
    what_if = client.post("/calculator", data={**form, "uscc": "", "rd_spend": "0"})
    assert what_if.status_code == 200 and "rd_subsidy" not in result_rules(what_if.text)
    assert f"<dd>{firm}</dd>" in what_if.text


def test_a_county_analyst_calculates_only_within_its_county(site, town):
    client, csrf = sign_in(site, "kecheng")
    enterprises = town[0]
    inside = enterprises.filter(pl.col("org_unit") == KECHENG).row(0, named=True)
    outside = enterprises.filter(pl.col("org_unit") == "330881").row(0, named=True)
    page = client.get(f"/calculator?uscc={inside['uscc']}")
    assert page.status_code == 200 and inside["name"] in page.text
    refused = client.get(f"/calculator?uscc={outside['uscc']}")
    assert refused.status_code == 403 and outside["name"] not in refused.text
    # A code nobody stored is refused the same way: a scoped user cannot probe which exist.
    unknown = make_uscc("91330802MA2G00099")
    assert client.get(f"/calculator?uscc={unknown}").status_code == 403
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/v1/calculator", json={"year": YEAR, "uscc": outside["uscc"]},
                       headers=headers).status_code == 403
    entered = {"enterprise": {"uscc": "TRIAL", "name": "县外企业", "org_unit": "330881"}}
    assert client.post("/api/v1/calculator", json={"year": YEAR, "inputs": entered}, headers=headers).status_code == 403
    entered["enterprise"]["org_unit"] = KECHENG
    assert client.post("/api/v1/calculator", json={"year": YEAR, "inputs": entered}, headers=headers).status_code == 200
    options = re.findall(r'<option value="(\d+)"', client.get("/calculator").text.split('name="org_unit"')[1]
                         .split("</select>")[0])
    assert options == [KECHENG]
    assert client.post("/calculator", data={**rd_form(org_unit="330881"), "csrf": csrf}).status_code == 403
    assert client.post("/calculator", data={**rd_form(), "csrf": csrf}).status_code == 200


@pytest.mark.parametrize("username", ["boss", "city", "admin", "finance"])
def test_every_role_with_view_policies_may_calculate(site, username):
    _, _, firm = site
    client, csrf = sign_in(site, username)
    page = client.get(f"/calculator?uscc={firm}")
    assert page.status_code == 200 and '<a href="/calculator">政策计算器</a>' in page.text
    response = client.post("/api/v1/calculator", json={"year": YEAR, "uscc": firm}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and any(a["rule"] == "rd_subsidy" for a in response.json()["awards"])


def test_the_api_says_what_is_wrong(site):
    _, engine, _ = site
    client, csrf = sign_in(site, "officer")

    def post(body):
        return client.post("/api/v1/calculator", json=body, headers={"X-CSRF-Token": csrf})

    enterprise = {"uscc": "TRIAL", "name": "试算", "org_unit": KECHENG}
    assert post({"year": YEAR}).status_code == 422
    assert post({"year": YEAR, "uscc": _first(engine), "inputs": {"enterprise": enterprise}}).status_code == 422
    assert post({"year": YEAR, "inputs": {"facts": []}}).status_code == 422
    floats = post({"year": YEAR, "inputs": {"enterprise": enterprise, "facts": [{"year": 2023, "rd_spend": 1.5}]}})
    assert floats.status_code == 422 and "rd_spend" in floats.json()["detail"]
    undated = post({"year": YEAR, "inputs": {"enterprise": enterprise, "events": [{"kind": "neeq_listed"}]}})
    assert undated.status_code == 422
    assert post({"year": YEAR, "inputs": {"enterprise": enterprise}, "yaer": 1}).status_code == 422
    early = post({"year": 2018, "inputs": {"enterprise": enterprise}})
    assert early.status_code == 400 and "2018年度不适用" in early.json()["detail"]
    huge = post({"year": YEAR, "inputs": {"enterprise": enterprise, "facts": [{"year": 2023, "rd_spend": 10**16}]}})
    assert huge.status_code == 422 and "超出合理范围" in huge.json()["detail"]
    # The registry's facts: a class outside A–D, a land area past its bounds (issue 12).
    grade = post({"year": YEAR, "inputs": {"enterprise": enterprise, "facts": [{"year": 2023, "mu_class": "Z"}]}})
    assert grade.status_code == 422 and "未知的亩均效益综合评价类别“Z”" in grade.json()["detail"]
    land = post({"year": YEAR, "inputs": {"enterprise": enterprise, "facts": [{"year": 2023, "land_area_mu": -1}]}})
    assert land.status_code == 422 and "用地面积（含租用）超出合理范围" in land.json()["detail"]
    assert post({"year": YEAR, "uscc": make_uscc("91330802MA2G00099")}).status_code == 404


def test_the_page_prints_the_result_without_the_form(site):
    client, csrf = sign_in(site, "officer")
    page = client.post("/calculator", data={**rd_form(), "csrf": csrf})
    assert '<script src="/static/calculator.js" defer></script>' in page.text
    assert "data-print hidden>打印" in page.text and 'class="card calc-form no-print"' in page.text
    script = client.get("/static/calculator.js")
    assert script.status_code == 200 and "window.print()" in script.text
    css = client.get("/static/app.css").text
    printed = css.split("@media print")[-1]
    assert "header.top" in printed and ".calc-form" in printed and "display: none" in printed


# ---- out-of-vocabulary values (issue 8): a level no rule knows was paid, a rating vanished ----

GALACTIC = {"e0_kind": "national_high_tech_enterprise", "e0_date": "2023-11-20", "e0_level": "galactic",
            "e1_kind": "green_loan", "e1_date": "2023-06-30", "e1_amount": "1000万", "e1_rating": "ultraviolet",
            "e1_benchmark_rate": "4.35", "e1_days": "365"}


def test_the_form_refuses_a_level_and_a_rating_no_rule_knows():
    parsed = cf.parse_form(rd_form(**GALACTIC), policies=POLICIES, org_units=QUZHOU)

    assert parsed.inputs is None
    errors = dict(parsed.errors)
    assert set(errors) == {"e0_level", "e1_rating"}
    assert "未知的级别“galactic”" in errors["e0_level"] and "国家级" in errors["e0_level"]
    assert "未知的评级“ultraviolet”" in errors["e1_rating"] and "深绿" in errors["e1_rating"]
    good = cf.parse_form(rd_form(**{**GALACTIC, "e0_level": "national", "e1_rating": "dark_green"}),
                         policies=POLICIES, org_units=QUZHOU)
    assert good.errors == []


def test_a_history_carrying_an_unknown_level_is_refused():
    history = json.dumps({"events": [{"kind": "national_high_tech_enterprise", "date": "2022-05-01",
                                      "level": "galactic"}]})
    parsed = cf.parse_form(rd_form(history=history), policies=POLICIES, org_units=QUZHOU)

    assert parsed.inputs is None
    assert [f for f, _ in parsed.errors] == [cf.HISTORY] and "未知的级别“galactic”" in parsed.errors[0][1]


def test_page_and_api_refuse_out_of_vocabulary_values(site):
    client, csrf = sign_in(site, "officer")
    page = client.post("/calculator", data={**rd_form(**GALACTIC), "csrf": csrf})
    assert page.status_code == 422
    assert "未知的级别“galactic”" in page.text and "未知的评级“ultraviolet”" in page.text
    assert 'id="result"' not in page.text

    def post(events, org_unit=KECHENG):
        return client.post("/api/v1/calculator", headers={"X-CSRF-Token": csrf}, json={"year": YEAR, "inputs": {
            "enterprise": {"uscc": "91330802MA2G000117", "name": "接口企业", "org_unit": org_unit},
            "events": events}})

    galactic = post([{"kind": "national_high_tech_enterprise", "date": "2023-11-20", "level": "galactic"}])
    assert galactic.status_code == 422 and "未知的级别“galactic”" in galactic.json()["detail"]
    ultraviolet = post([{"kind": "green_loan", "date": "2023-06-30", "amount": 1_000_000_000, "rating": "ultraviolet",
                         "benchmark_rate": 43_500, "days": 365}])
    assert ultraviolet.status_code == 422 and "未知的评级“ultraviolet”" in ultraviolet.json()["detail"]
    kind = post([{"kind": "lottery", "date": "2023-06-30"}])
    assert kind.status_code == 422 and "未知的事件类型“lottery”" in kind.json()["detail"]
    outside = post([], org_unit="330602")  # 越城区, Shaoxing
    assert outside.status_code == 422 and "未知的所在地区“330602”" in outside.json()["detail"]
    known = post([{"kind": "national_high_tech_enterprise", "date": "2023-11-20", "level": "national"}])
    assert known.status_code == 200 and known.json()["total_fen"] == 30_000_000


def test_the_form_has_a_field_per_registry_fact_and_reads_each_kind():
    form = rd_form(land_area_mu="12.35", prev_land_area_mu="12", is_above_scale="1", mu_class="b",
                   avg_employees="1,200", parcel="KC-1", emissions_t="0.125")
    parsed = cf.parse_form(form, policies=POLICIES, org_units=QUZHOU)
    assert parsed.errors == []
    by_year = {f["year"]: f for f in parsed.inputs.facts}
    now = by_year[YEAR]
    assert (now["land_area_mu"], now["is_above_scale"], now["mu_class"], now["avg_employees"], now["parcel"],
            now["emissions_t"]) == (1235, True, "B", 1200, "KC-1", 125)
    assert by_year[YEAR - 1]["land_area_mu"] == 1200
    # Prefilled from those inputs, the form shows the same text back.
    values = cf.form_values(parsed.inputs, YEAR, POLICIES)
    assert (values["land_area_mu"], values["is_above_scale"], values["mu_class"], values["emissions_t"]) == (
        "12.35", "1", "B", "0.125")
    bad = cf.parse_form(rd_form(land_area_mu="12.345", mu_class="E", is_above_scale="maybe", energy_tce="-1"),
                        policies=POLICIES, org_units=QUZHOU)
    errors = dict(bad.errors)
    assert errors["land_area_mu"] == "测算年度用地面积（含租用）：最多 2 位小数"
    assert errors["mu_class"] == "测算年度亩均效益综合评价类别：可选：A、B、C、D"
    assert errors["is_above_scale"] == "测算年度规模以上工业企业：请选择 是、否 或 未知"
    assert errors["energy_tce"].startswith("测算年度综合能耗：应为非负数")
