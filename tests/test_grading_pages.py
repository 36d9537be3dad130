"""亩均效益评价 on the web, on a real database (SQLite and PostgreSQL): the table with its filters
and the class distribution per county, the export, an enterprise's score card (its own only),
手动调档 with a reason, publishing the classes by another officer, the leading lists, and a
competitive allocation uploaded with its result beside the greedy order — each within the
user's scope, in Chinese."""

from __future__ import annotations

import io
import re
from html import unescape

import polars as pl
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from commerce_brain.catalog import load_catalog
from commerce_brain.grading.catalog import load_grading_settings
from commerce_brain.grading.pot import catalog_pots
from commerce_brain.grading.synthetic import synthetic_grading_facts
from commerce_brain.fulfilment import save_policy_data
from commerce_brain.fulfilment.data import load_policy_data
from commerce_brain.grading_board import latest_grading, latest_leaders, run_evaluation
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from commerce_brain.access import Scope
from commerce_brain.io.applications_template import write_applications_template
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.audit import events
from commerce_brain.store.schema import connect
from commerce_brain.uscc import make_uscc
from commerce_brain.web.app import create_app
from api_site import sign_in as signed_in

PASSWORD = "correct-horse-42"
YEAR = 2023
KECHENG = "330802"
EVIL = '=HYPERLINK("http://evil.example","点击")'
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
# username → (role, org unit, credit code); the enterprise account ("firm") is added with the
# code of a graded enterprise of 柯城区.
ACCOUNTS = {"officer": ("policy_officer", None, None), "officer2": ("policy_officer", None, None),
            "city": ("city_analyst", None, None), "kecheng": ("county_analyst", KECHENG, None),
            "boss": ("leader", None, None), "finance": ("finance_officer", None, None)}


def sample_data() -> PolicyData:
    """The synthetic year as the enterprise data import stores it, one enterprise of 柯城区 named
    like a formula, every credit code valid (an enterprise account must hold one)."""
    facts = synthetic_grading_facts(200, year=YEAR)
    facts = facts.with_columns(pl.Series("uscc", [make_uscc(f"91330800MA2{i:06d}") for i in range(facts.height)]))
    first_kecheng = facts.with_row_index().filter((pl.col("org_unit") == KECHENG) & pl.col("is_above_scale")
                                                   & pl.col("parcel").is_null())["index"][0]
    facts = facts.with_columns(pl.when(pl.int_range(pl.len()) == first_kecheng).then(pl.lit(EVIL))
                               .otherwise(pl.col("name")).alias("name"))
    enterprises = facts.select("uscc", "name", "org_unit", "industry", "is_industrial",
                               pl.col("is_industrial").alias("is_manufacturing"))
    return PolicyData(conform(enterprises, ENTERPRISE_SCHEMA), conform(facts, FACT_SCHEMA), conform(None, EVENT_SCHEMA))


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    save_policy_data(engine, sample_data(), actor="setup")
    run_evaluation(engine, year=YEAR, actor="setup")
    graded = latest_grading(engine, year=YEAR, scope=Scope())
    mine = graded.filter((pl.col("org_unit") == KECHENG) & (pl.col("name") != EVIL)).row(0, named=True)
    other = graded.filter(pl.col("org_unit") == "330881").row(0, named=True)
    accounts = ACCOUNTS | {"firm": ("enterprise", None, mine["uscc"])}
    tokens = {}
    for name, (role, org_unit, uscc) in accounts.items():
        user = create_user(engine, username=name, password=PASSWORD, role=role, display_name=name,
                           org_unit=org_unit, uscc=uscc, catalog=catalog)
        tokens[name] = {"Authorization": f"Bearer {issue_token(engine, user.id, 'test')}"}
    app = create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path / "data"))
    yield {"app": app, "client": TestClient(app), "engine": engine, "tokens": tokens, "mine": mine, "other": other,
           "graded": graded, "tmp": tmp_path}
    engine.dispose()


def get(site, user, path):
    return site["client"].get(path, headers=site["tokens"][user], follow_redirects=False)


def sign_in(site, username: str) -> tuple[TestClient, str]:
    return signed_in(site["app"], username, "/grading", PASSWORD)


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))


def english(html: str) -> set[str]:
    """Latin words a person reads in the page's main part (upper-case codes such as a USCC's
    letters aside; the formula-named enterprise and file names are what people typed)."""
    main = re.search(r"<main>(.*)</main>", html, re.S).group(1)
    text = re.sub(r"\S*\.(xlsx|csv|yaml)\b", " ", unescape(visible_text(main)).replace(EVIL, " "))
    # The accounts' names (who re-graded, who allocated) are names people typed.
    return {w for w in LATIN_WORD.findall(text) if not w.isupper()} - {"Excel", "YAML", *ACCOUNTS}


def listed(html: str) -> set[str]:
    return set(re.findall(r'href="/grading/([0-9A-Z]{18})\?', html))


# ---- the table ----------------------------------------------------------------------------------

def test_the_table_shows_every_graded_enterprise_with_the_distribution_per_county(site):
    page = get(site, "city", f"/grading?year={YEAR}")
    assert page.status_code == 200
    assert listed(page.text) == set(site["graded"]["uscc"])
    table = re.search(r'<table class="data" id="class-distribution">(.*?)</table>', page.text, re.S).group(1)
    counts = site["graded"].group_by("class").len()
    total_row = re.search(r"<td>合计</td>(.*?)</tr>", table, re.S).group(1)
    assert [int(n) for n in re.findall(r">(\d+)<", total_row)] == [
        *(int(counts.filter(pl.col("class") == k)["len"].sum()) for k in "ABCD"), site["graded"].height]
    assert "柯城区" in table and "江山市" in table
    assert '"stacks"' in page.text and "A类" in page.text  # the chart's data
    assert "依据：" in page.text and "浙政发〔2018〕5号" in page.text
    assert "不参评企业" in page.text and "不足3亩" in page.text
    assert english(page.text) == set()


def test_the_filters_narrow_the_table(site):
    a_class = get(site, "city", f"/grading?year={YEAR}&county={KECHENG}&class=A").text
    expected = site["graded"].filter((pl.col("county") == KECHENG) & (pl.col("class") == "A"))
    assert listed(a_class) == set(expected["uscc"]) and expected.height > 0


def test_a_county_analyst_sees_only_its_county(site):
    page = get(site, "kecheng", f"/grading?year={YEAR}").text
    assert listed(page) == set(site["graded"].filter(pl.col("org_unit") == KECHENG)["uscc"])
    assert get(site, "kecheng", f"/grading/{site['other']['uscc']}?year={YEAR}").status_code == 404


def test_the_export_is_the_filtered_table_with_the_formula_name_neutralised(site):
    response = get(site, "city", f"/grading/export.xlsx?year={YEAR}&county={KECHENG}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    codes = {sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)}
    assert codes == set(site["graded"].filter(pl.col("county") == KECHENG)["uscc"])
    names = [sheet.cell(row=r, column=2).value for r in range(3, sheet.max_row + 1)]
    assert "'" + EVIL in names and EVIL not in names


def test_a_year_without_a_run_says_so_and_a_role_without_view_grading_is_refused(site):
    assert "2019年度还没有评价结果" in get(site, "city", "/grading?year=2019").text
    assert get(site, "finance", "/grading").status_code == 403
    assert "亩均效益评价" not in re.search(r"<nav>(.*?)</nav>", get(site, "finance", "/awards").text, re.S).group(1)
    assert 'href="/grading"' in get(site, "boss", "/awards").text


def test_running_the_evaluation_on_the_page_grades_the_stored_data(site):
    client, csrf = sign_in(site, "city")
    assert client.post("/grading/runs", data={"csrf": csrf, "year": "20x3"}).status_code == 422
    nothing = client.post("/grading/runs", data={"csrf": csrf, "year": "2019"})
    assert nothing.status_code == 400 and "2019年度没有可评价的企业年度数据" in nothing.text
    done = client.post("/grading/runs", data={"csrf": csrf, "year": str(YEAR)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/grading?year={YEAR}"
    assert [e["actor"] for e in events(site["engine"]) if e["action"] == "grading.run"] == ["city", "setup"]  # newest first
    assert listed(client.get(done.headers["location"]).text) == set(site["graded"]["uscc"])


# ---- the score card -----------------------------------------------------------------------------

def test_the_score_card_shows_each_indicator_against_its_benchmark_and_why(site):
    row = site["mine"]
    page = get(site, "officer", f"/grading/{row['uscc']}?year={YEAR}")
    assert page.status_code == 200
    card = re.search(r'<table class="data" id="score-card">(.*?)</table>', page.text, re.S).group(1)
    assert "亩均税收" in card and "万元/亩" in card and "24.097" in card and "÷" in card
    assert row["reason"] in page.text
    assert f"第 {row['rank']} 名，共 {row['group_size']} 家" in page.text
    assert "手动调档" in page.text  # the officer's form
    assert english(page.text) == set()
    assert "手动调档" not in get(site, "city", f"/grading/{row['uscc']}?year={YEAR}").text


def test_an_enterprise_sees_its_own_card_at_grading_and_nobody_elses(site):
    page = get(site, "firm", "/grading")
    assert page.status_code == 200 and site["mine"]["name"] in page.text and "各项指标与基准值" in page.text
    assert listed(page.text) == set() and site["other"]["name"] not in page.text
    assert get(site, "firm", f"/grading/{site['mine']['uscc']}?year={YEAR}").status_code == 200
    theirs = get(site, "firm", f"/grading/{site['other']['uscc']}?year={YEAR}")
    missing = get(site, "firm", f"/grading/{make_uscc('91330800MA2999999')}?year={YEAR}")
    assert theirs.status_code == missing.status_code == 404 and theirs.text == missing.text
    assert "暂无分配记录" in get(site, "firm", "/grading/allocations").text
    assert "2019年度还没有本企业的亩均效益评价结果" in get(site, "firm", "/grading?year=2019").text


def test_a_malformed_code_is_missing(site):
    for bad in ("abc", "91330800SYN000000%27", "9" * 19):
        assert get(site, "city", f"/grading/{bad}?year={YEAR}").status_code == 404


# ---- re-grading and publishing ------------------------------------------------------------------

def test_the_officer_regrades_with_a_reason_and_the_card_and_audit_show_it(site):
    row = site["mine"]
    to = "D" if row["class"] != "D" else "A"
    client, csrf = sign_in(site, "officer")
    refused = client.post(f"/grading/{row['uscc']}/regrade", data={"csrf": csrf, "year": str(YEAR), "to_class": to,
                                                                    "reason": "  "}, follow_redirects=False)
    assert refused.status_code == 422 and "请写明调档理由" in refused.text
    assert [e for e in events(site["engine"]) if e["action"] == "grading.regrade"] == []
    done = client.post(f"/grading/{row['uscc']}/regrade", data={"csrf": csrf, "year": str(YEAR), "to_class": to,
                                                                 "reason": "核实发生重大安全事故"}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert f"{to}类" in page and "核实发生重大安全事故" in page and "调档记录" in page
    stored = latest_grading(site["engine"], year=YEAR, scope=Scope()).filter(pl.col("uscc") == row["uscc"])
    assert stored["class"][0] == to and stored["initial_class"][0] == row["class"]
    [event] = [e for e in events(site["engine"]) if e["action"] == "grading.regrade"]
    assert event["actor"] == "officer"
    assert "（手动调档）" in client.get(f"/grading?year={YEAR}").text
    # The same officer may not publish the classes he re-graded; another may.
    assert client.post("/grading/publish", data={"csrf": csrf, "year": str(YEAR)}).status_code == 403
    other, token = sign_in(site, "officer2")
    published = other.post("/grading/publish", data={"csrf": token, "year": str(YEAR)})
    assert published.status_code == 200 and "已发布2023年度的评价类别（" in published.text
    assert "组内排名和类别均在评出该企业的那次评价的行业组内比较" in published.text
    assert [e["actor"] for e in events(site["engine"]) if e["action"] == "grading.publish"] == ["officer2"]
    # The class is now the yearly fact the policy rules read (article 5's A-class uplift).
    facts = load_policy_data(site["engine"], uscc=row["uscc"]).facts.filter(pl.col("year") == YEAR)
    assert facts["mu_class"].to_list() == [to]


def test_only_the_policy_office_regrades_and_a_form_needs_its_token(site):
    row = site["mine"]
    client, csrf = sign_in(site, "city")
    form = {"csrf": csrf, "year": str(YEAR), "to_class": "A", "reason": "试"}
    assert client.post(f"/grading/{row['uscc']}/regrade", data=form).status_code == 403
    officer, _ = sign_in(site, "officer")
    assert officer.post(f"/grading/{row['uscc']}/regrade", data={**form, "csrf": "forged"}).status_code == 403
    assert officer.post(f"/grading/{row['uscc']}/regrade", data={**form, "to_class": "E",
                                                                   "csrf": sign_in(site, "officer")[1]}).status_code == 403


# ---- leaders -------------------------------------------------------------------------------------

def test_the_leading_lists_are_drawn_and_every_exclusion_is_told(site):
    client, csrf = sign_in(site, "officer")
    assert client.post("/grading/leaders", data={"csrf": csrf, "year": str(YEAR), "size": "0"}).status_code == 422
    drawn = client.post("/grading/leaders", data={"csrf": csrf, "year": str(YEAR), "size": "10"},
                        follow_redirects=False)
    assert drawn.status_code == 303
    page = client.get(drawn.headers["location"]).text
    leading = re.search(r'id="list-leading">(.*?)</section>', page, re.S).group(1)
    assert "龙头企业（入选 10 家）" in leading and "未入选的候选企业" in leading
    assert "每份名单 10 家" in page and "第1条" in page
    assert english(page) == set()
    assert [e["action"] for e in events(site["engine"]) if e["action"] == "grading.leaders"] == ["grading.leaders"]
    county = get(site, "kecheng", f"/grading/leaders?year={YEAR}").text
    assert listed(county) <= set(site["graded"].filter(pl.col("org_unit") == KECHENG)["uscc"])


def test_the_officer_sets_the_lists_rules_on_the_form(site):
    client, csrf = sign_in(site, "officer")
    form = {"csrf": csrf, "year": str(YEAR), "size": "5", "leading__industries": "C39", "leading__min_revenue_wan": "0",
            "benchmark__industries": "", "benchmark__min_revenue_wan": "0", "benchmark__class": ["D"]}
    bad = client.post("/grading/leaders", data={**form, "leading__industries": "抽烟", "benchmark__min_revenue_wan": "-1"})
    assert bad.status_code == 422 and "龙头企业：行业代码应为国民经济行业分类代码的开头" in bad.text
    assert "标杆企业：主营业务收入下限应为 0 至" in bad.text
    assert latest_leaders(site["engine"], year=YEAR, scope=Scope()) is None
    assert client.post("/grading/leaders", data=form, follow_redirects=False).status_code == 303
    drawn = latest_leaders(site["engine"], year=YEAR, scope=Scope())
    leading = {lst["key"]: lst for lst in drawn["rules"]["lists"]}["leading"]
    assert (leading["industries"], leading["min_main_revenue_yuan"], leading["exclude_classes"]) == (["C39"], 0, [])
    industry = dict(zip(sample_data().enterprises["uscc"], sample_data().enterprises["industry"], strict=True))
    chosen = drawn["rows"].filter((pl.col("list") == "leading") & pl.col("selected"))
    assert chosen.height == 5 and {industry[u] for u in chosen["uscc"]} == {"C39"}
    page = client.get(f"/grading/leaders?year={YEAR}").text
    assert "所属行业不在本名单的行业范围内" in page


# ---- allocation ----------------------------------------------------------------------------------

def test_the_article_5_sample_is_allocated_and_shown_beside_the_greedy_choice(site):
    pot_key = next(k for k, p in catalog_pots().items() if "重点" in p.name or "key" in k)
    sample = write_applications_template(site["tmp"] / "申报项目示例.xlsx", catalog_pots()[pot_key], sample=True)
    client, csrf = sign_in(site, "officer")
    assert client.get(f"/grading/allocations/template.xlsx?pot={pot_key}&sample=true").status_code == 200
    done = client.post("/grading/allocations", data={"csrf": csrf, "pot": pot_key},
                       files={"file": (sample.name, sample.read_bytes())}, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    page = client.get(done.headers["location"]).text
    assert "最优组合入选项目" in page and "按得分依次入选" in page and "依次入选少得的评分" in page
    assert page.count("<tr") - 1 >= 30  # every application with its decision
    assert "超出预算" in page or "得分低于与之竞争的入选项目" in page or "已达上限" in page
    assert english(page) == set()
    assert [e["actor"] for e in events(site["engine"]) if e["action"] == "grading.allocate"] == ["officer"]
    assert "第 1 次" in client.get("/grading/allocations").text
    assert get(site, "city", done.headers["location"]).status_code == 200
    # None of the sample's applications is the enterprise's: the result is missing to it.
    assert get(site, "firm", done.headers["location"]).status_code == 404


def test_a_bad_applications_file_is_refused_whole_and_not_kept(site):
    pot_key = next(iter(catalog_pots()))
    bad = "id,uscc,industry,kind,requested_yuan,score\n1,X,?,?,-5,abc\n1,Y,?,?,1.234,1\n"
    client, csrf = sign_in(site, "officer")
    refused = client.post("/grading/allocations", data={"csrf": csrf, "pot": pot_key},
                          files={"file": ("apps.csv", bad.encode())})
    assert refused.status_code == 422 and "文件被整体退回，未做分配：apps.csv" in refused.text
    assert "第2行" in refused.text or "<td>2</td>" in refused.text
    folder = site["tmp"] / "data" / "uploads"
    assert not folder.exists() or [p for p in folder.iterdir() if not p.name.startswith(".")] == []
    assert [e for e in events(site["engine"]) if e["action"] == "grading.allocate"] == []
    pot = client.post("/grading/allocations", data={"csrf": csrf, "pot": ""},
                      files={"pot_file": ("pot.yaml", b"name: x\nbudget_yuan: -1\n!!python/object:os.system: 1\n"),
                             "file": ("apps.csv", bad.encode())})
    # A tag that would build a Python object is not read (safe loading): the pot is refused.
    assert pot.status_code == 422 and "文件被整体退回，未做分配：pot.yaml" in pot.text and "不是有效的 YAML 格式" in pot.text
    assert [e for e in events(site["engine"]) if e["action"] == "grading.allocate"] == []


def test_an_uploaded_pot_is_allocated_and_kept_as_given(site):
    pot = ("name: 测试资金池\nbudget_yuan: 100\nlimits:\n  - max_count: 1\n").encode()
    # The second applicant is a stored enterprise: shown by its name; the first by its code.
    apps = f"id,uscc,industry,kind,requested_yuan,score\n1,91330800MA2000001X,,,60,70\n2,{site['mine']['uscc']},,,50,80\n"
    client, csrf = sign_in(site, "officer")
    done = client.post("/grading/allocations", data={"csrf": csrf, "pot": ""}, follow_redirects=False,
                       files={"pot_file": ("pot.yaml", pot), "file": ("apps.csv", apps.encode())})
    assert done.status_code == 303, done.text[:500]
    page = client.get(done.headers["location"]).text
    assert "测试资金池 · 分配结果" in page and "全部项目至多 1 个" in page
    decisions = re.search(r'<table class="data" id="decisions">(.*?)</table>', page, re.S).group(1)
    first = re.findall(r"<tr[^>]*>(.*?)</tr>", decisions, re.S)[1]
    assert site["mine"]["name"] in first and "入选" in first  # the higher score, within the budget
    assert "91330800MA2000001X" in decisions
