"""企业申报 on a real database (SQLite and PostgreSQL): filing, refusals that store nothing,
duplicates with a batch, attachment rules, scopes, the audit chain, and the pages and API."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from urllib.parse import quote

import polars as pl
import pytest
import test_fulfilment as fulfilment_tests
from fastapi.testclient import TestClient
from sample_files import pdf_bytes, png_bytes, write
from sqlalchemy import func, select
from test_fulfilment import PASSWORD, sign_in

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.engine import evaluate
from commerce_brain.policy.inputs import EnterpriseInputs
from commerce_brain.settings import Settings
from commerce_brain.fulfilment import claims_flow as cf
from commerce_brain import fulfilment as f
from commerce_brain.store.accounts import create_user
from commerce_brain.store.audit import events, verify
from commerce_brain.store.claims import claim_attachments, claims
from commerce_brain.web.app import create_app

YEAR = 2022  # an award year no batch runs in these tests, unless a test runs it
KECHENG, JIANGSHAN = "330802", "330881"
OFFICER = User(1, "officer", "资管办", "policy_officer")
FINANCE = User(2, "finance", "财政局", "finance_officer")
EVERYONE = Scope()
# The same synthetic city and store (SQLite and PostgreSQL) as the fulfilment tests.
data, engine = fulfilment_tests.data, fulfilment_tests.engine
STATEMENT = "2022年度研发投入 360.7 万元，附审计报告和研发费用明细。"


def rd_firm(data: PolicyData, org_unit: str) -> str:
    """An enterprise of ``org_unit`` the R&D rule pays in YEAR (an amount an officer can approve)."""
    awards = evaluate(data.enterprises, data.facts, data.events, YEAR)
    found = awards.filter((pl.col("rule") == "rd_subsidy") & (pl.col("org_unit") == org_unit)
                          & ~pl.col("needs_review") & (pl.col("amount_fen") > 0)).sort("uscc")
    return found["uscc"][0]


@pytest.fixture(scope="module")
def firms(data) -> dict[str, str]:
    return {"a": rd_firm(data, KECHENG), "b": rd_firm(data, JIANGSHAN)}


def firm(uscc: str) -> User:
    return User(10, f"firm-{uscc}", "企业", "enterprise", uscc=uscc)


def stored_inputs(data: PolicyData, uscc: str) -> EnterpriseInputs:
    return EnterpriseInputs.from_stored(uscc, data.enterprises, data.facts, data.events)


def evidence() -> list[tuple[str, str, bytes]]:
    return [("审计报告.pdf", "application/pdf", pdf_bytes("audit report")), ("明细.png", "image/png", png_bytes())]


def file(engine, data, uscc: str, **overrides) -> cf.FiledClaim:
    arguments = {"user": firm(uscc), "rule": "rd_subsidy", "year": YEAR, "inputs": stored_inputs(data, uscc),
                 "statement": STATEMENT, "attachments": evidence(), **overrides}
    return cf.file_claim(engine, **arguments)


def counts(engine) -> tuple[int, int, int]:
    """Claims, attachments and claim-born awards stored."""
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(claims)).scalar_one(),
                conn.execute(select(func.count()).select_from(claim_attachments)).scalar_one(),
                conn.execute(select(func.count()).select_from(f.awards).where(f.awards.c.claim_id.is_not(None)))
                .scalar_one())


# ---- store ------------------------------------------------------------------------------------

def test_a_claim_is_a_confirmed_award_the_officer_approves_and_finance_pays(engine, data, firms):
    uscc = firms["a"]
    expected = evaluate(data.enterprises, data.facts, data.events, YEAR).filter(
        (pl.col("uscc") == uscc) & (pl.col("rule") == "rd_subsidy")).row(0, named=True)
    filed = file(engine, data, uscc)
    assert len(filed.award_ids) == 1 and filed.amount_fen == expected["amount_fen"]
    award = f.get_award(engine, filed.award_ids[0], scope=EVERYONE)
    assert (award["state"], award["claim_id"], award["batch_id"]) == ("confirmed", filed.claim_id, None)
    assert (award["uscc"], award["org_unit"], award["payer"]) == (uscc, KECHENG, expected["payer"])
    assert "依据《" in award["explanation"] and award["updated_by"] == f"firm-{uscc}"

    claim = cf.get_claim(engine, filed.claim_id, scope=Scope(uscc=uscc))
    assert claim["statement"] == STATEMENT and claim["rule"] == "rd_subsidy" and claim["year"] == YEAR
    assert [a["filename"] for a in claim["attachments"]] == ["审计报告.pdf", "明细.png"]
    assert [a["content_type"] for a in claim["attachments"]] == ["application/pdf", "image/png"]
    assert [a["id"] for a in claim["awards"]] == list(filed.award_ids)
    assert EnterpriseInputs.from_json(claim["inputs"]) == stored_inputs(data, uscc)
    stored = cf.get_attachment(engine, claim["attachments"][0]["id"], scope=EVERYONE)
    assert stored["content"] == pdf_bytes("audit report") and stored["size"] == len(pdf_bytes("audit report"))

    audit = events(engine, action="claims.file")
    assert len(audit) == 1 and audit[0]["object"] == f"claim:{filed.claim_id}"
    detail = audit[0]["detail"]
    assert detail["award_ids"] == list(filed.award_ids) and detail["amount_fen"] == filed.amount_fen
    assert detail["attachments"][0] == {"filename": "审计报告.pdf", "sha256": stored["sha256"]}

    f.approve(engine, award["id"], user=OFFICER)
    pending = {p["payer"]: p for p in f.pending_by_payer(engine)}
    assert pending[award["payer"]]["count"] == 1
    list_id = f.create_payment_list(engine, award["payer"], user=FINANCE)
    assert [i["id"] for i in f.get_payment_list(engine, list_id)["items"]] == [award["id"]]
    assert verify(engine).ok


def test_an_event_entered_in_the_claim_earns_its_award(engine, data, firms):
    uscc = firms["a"]
    inputs = stored_inputs(data, uscc)
    pilot = {"kind": "informatization_pilot", "date": date(YEAR, 6, 1), "level": "national", "subject": "智能工厂试点"}
    filed = file(engine, data, uscc, rule="informatization_pilot",
                 inputs=replace(inputs, events=(*inputs.events, pilot)))
    award = f.get_award(engine, filed.award_ids[0], scope=EVERYONE)
    assert (award["rule"], award["subject"], award["amount_fen"]) == ("informatization_pilot", "智能工厂试点", 50_000_000)


def test_a_claim_the_figures_do_not_earn_is_refused_and_stores_nothing(engine, data, firms):
    uscc = firms["a"]
    with pytest.raises(cf.ClaimRefused, match="无本条对应的事件"):
        file(engine, data, uscc, rule="informatization_pilot")
    inputs = stored_inputs(data, uscc)
    small = replace(inputs, facts=tuple({**x, "rd_spend": 1_000} if x["year"] == YEAR else x for x in inputs.facts))
    with pytest.raises(cf.ClaimRefused, match="不满足条件"):
        file(engine, data, uscc, inputs=small)
    with pytest.raises(cf.ClaimRefused, match="没有这项奖补条款"):
        file(engine, data, uscc, rule="no_such_rule")
    with pytest.raises(cf.ClaimRefused, match="2018年度不适用"):
        file(engine, data, uscc, year=2018)
    assert counts(engine) == (0, 0, 0)
    assert events(engine, action="claims.file") == []


def test_a_claim_for_an_award_a_batch_made_is_refused_whole(engine, data, firms, monkeypatch):
    uscc = firms["a"]
    f.run_batch(engine, YEAR, actor="setup")
    existing = f.list_awards(engine, scope=Scope(uscc=uscc), year=YEAR).filter(pl.col("rule") == "rd_subsidy")
    with pytest.raises(cf.DuplicateAward, match=f"奖补编号 {existing['id'][0]}.*免申即享第 1 批.*待确认"):
        file(engine, data, uscc)
    assert counts(engine) == (0, 0, 0)
    # The same refusal when the batch's award arrives between the check and the INSERT: the
    # unique key fails the transaction, and nothing of the claim is left.
    monkeypatch.setattr(cf, "_existing_award", _misses_once(cf._existing_award))
    with pytest.raises(cf.DuplicateAward, match=f"奖补编号 {existing['id'][0]}"):
        file(engine, data, uscc)
    assert counts(engine) == (0, 0, 0)
    assert events(engine, action="claims.file") == [] and verify(engine).ok


def _misses_once(check):
    calls = []

    def check_after_the_first(engine, rows):
        calls.append(1)
        return None if len(calls) == 1 else check(engine, rows)

    return check_after_the_first


def test_a_second_claim_for_the_same_award_is_refused(engine, data, firms):
    first = file(engine, data, firms["a"])
    with pytest.raises(cf.DuplicateAward, match=f"奖补编号 {first.award_ids[0]}.*企业申报 {first.claim_id} 号"):
        file(engine, data, firms["a"], attachments=[("other.pdf", "application/pdf", pdf_bytes())])
    assert counts(engine) == (1, 2, 1)


@pytest.mark.parametrize(("attachments", "message"), [
    ([], "至少上传 1 个"),
    ([(f"{n}.pdf", "application/pdf", pdf_bytes()) for n in range(6)], "最多上传 5 个"),
    ([("big.pdf", "application/pdf", b"%PDF" + b"0" * (10 * 1024 * 1024))], "超过 10 MB"),
    ([("page.html", "text/html", b"<script>alert(1)</script>")], "不支持的文件类型"),
    ([("tool.exe", "application/octet-stream", b"MZ")], "不支持的文件类型"),
    ([("pdf", "application/pdf", pdf_bytes())], "不支持的文件类型"),
    ([("empty.pdf", "application/pdf", b"")], "文件为空"),
    ([("a/x.pdf", "application/pdf", pdf_bytes()), ("b\\X.PDF", "application/pdf", pdf_bytes())], "文件名重复"),
])
def test_attachment_rules(engine, data, firms, attachments, message):
    with pytest.raises(cf.ClaimRefused, match=message):
        file(engine, data, firms["a"], attachments=attachments)
    assert counts(engine) == (0, 0, 0)


def test_statement_rules_and_safe_file_names(engine, data, firms):
    with pytest.raises(cf.ClaimRefused, match="请填写申报说明"):
        file(engine, data, firms["a"], statement="   ")
    with pytest.raises(cf.ClaimRefused, match="不能超过 2000 字"):
        file(engine, data, firms["a"], statement="说" * 2001)
    assert counts(engine) == (0, 0, 0)
    ten_mb = pdf_bytes() + b"0" * (10 * 1024 * 1024 - len(pdf_bytes()))
    filed = file(engine, data, firms["a"], statement="说" * 2000, attachments=[
        ("../../etc/证明.pdf", "text/html", ten_mb), ("C:\\扫描\\..\\.营业执照.JPG", "", png_bytes())])
    claim = cf.get_claim(engine, filed.claim_id, scope=EVERYONE)
    assert [(a["filename"], a["content_type"], a["size"]) for a in claim["attachments"]] == [
        ("证明.pdf", "application/pdf", 10 * 1024 * 1024), ("营业执照.JPG", "image/jpeg", len(png_bytes()))]
    assert cf.safe_filename('a<b>:"c|?*.pdf') == "a_b___c___.pdf"
    assert cf.safe_filename("x\x00\n.pdf") == "x.pdf"


def test_only_an_enterprise_files_and_only_for_itself(engine, data, firms):
    with pytest.raises(f.NotAllowed, match="只能为本企业申报"):
        file(engine, data, firms["a"], user=firm(firms["b"]))
    with pytest.raises(f.NotAllowed):
        file(engine, data, firms["a"], user=OFFICER)
    with pytest.raises(f.NotAllowed):
        file(engine, data, firms["a"], user=User(11, "x", "x", "enterprise", uscc=None))
    assert counts(engine) == (0, 0, 0)


def test_the_stored_org_unit_decides_the_treasury_not_the_claim(engine, data, firms):
    uscc = firms["a"]
    inputs = stored_inputs(data, uscc)
    moved = replace(inputs, enterprise={**inputs.enterprise, "org_unit": JIANGSHAN, "name": "改名企业"})
    filed = file(engine, data, uscc, inputs=moved)
    award = f.get_award(engine, filed.award_ids[0], scope=EVERYONE)
    assert (award["org_unit"], award["payer"], award["name"]) == (KECHENG, KECHENG, inputs.enterprise["name"])


def test_each_reader_sees_only_the_claims_of_its_scope(engine, data, firms, catalog):
    a, b = file(engine, data, firms["a"]), file(engine, data, firms["b"])
    kecheng = Scope(org_units=frozenset(catalog.subtree(KECHENG)))
    assert list_ids(engine, EVERYONE) == [b.claim_id, a.claim_id]
    assert list_ids(engine, Scope(uscc=firms["a"])) == [a.claim_id]
    assert list_ids(engine, kecheng) == [a.claim_id]
    listed = cf.list_claims(engine, scope=EVERYONE).filter(pl.col("id") == a.claim_id).row(0, named=True)
    assert (listed["attachments"], listed["award_ids"], listed["states"]) == (2, list(a.award_ids), ["confirmed"])
    b_file = cf.get_claim(engine, b.claim_id, scope=EVERYONE)["attachments"][0]["id"]
    for outsider in (Scope(uscc=firms["a"]), kecheng):
        with pytest.raises(f.NotFound):
            cf.get_claim(engine, b.claim_id, scope=outsider)
        with pytest.raises(f.NotFound):
            cf.get_attachment(engine, b_file, scope=outsider)
    with pytest.raises(f.NotFound):
        cf.get_claim(engine, 999, scope=EVERYONE)
    assert cf.get_attachment(engine, b_file, scope=Scope(uscc=firms["b"]))["claim_id"] == b.claim_id


def list_ids(engine, scope: Scope) -> list[int]:
    return cf.list_claims(engine, scope=scope)["id"].to_list()


# ---- pages and API ------------------------------------------------------------------------------

STAFF = {"officer": ("policy_officer", None), "finance": ("finance_officer", None),
         "kecheng": ("county_analyst", KECHENG), "boss": ("leader", None)}


@pytest.fixture
def site(database_url, engine, firms):
    catalog = load_catalog()
    for username, (role, org_unit) in STAFF.items():
        create_user(engine, username=username, password=PASSWORD, role=role, display_name=username,
                    org_unit=org_unit, catalog=catalog)
    for key, uscc in firms.items():
        create_user(engine, username=f"firm_{key}", password=PASSWORD, role="enterprise", display_name="企业",
                    uscc=uscc, catalog=catalog)
    return create_app(Settings.from_env(database_url=database_url))


def upload(tmp_path, *names: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Real files on disk, read back as a browser sends them."""
    made = []
    for name in names:
        content = pdf_bytes(name.encode("ascii", "replace").decode()) if name.endswith(".pdf") else png_bytes()
        path = write(tmp_path, name, content)
        made.append(("files", (name, path.read_bytes(), "application/pdf" if name.endswith(".pdf") else "image/png")))
    return made


def test_web_an_enterprise_files_and_the_officer_approves_with_the_evidence(site, engine, data, firms, tmp_path):
    firm_a, csrf = sign_in(site, "firm_a")
    assert "企业申报" in firm_a.get("/").text  # the nav link
    new = firm_a.get(f"/claims/new?rule=rd_subsidy&year={YEAR}")
    assert new.status_code == 200 and 'value="rd_subsidy" selected' in new.text and "第8条 研发投入补助" in new.text
    assert stored_inputs(data, firms["a"]).enterprise["name"] in new.text
    form = {"csrf": csrf, "rule": "rd_subsidy", "year": str(YEAR), "statement": STATEMENT,
            "inputs": stored_inputs(data, firms["a"]).to_json()}
    done = firm_a.post("/claims/new", data=form, files=upload(tmp_path, "审计报告.pdf", "scan.png"),
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    claim_path = done.headers["location"]
    claim_id = int(claim_path.rsplit("/", 1)[1])
    page = firm_a.get(claim_path)
    assert page.status_code == 200 and STATEMENT in page.text and "审计报告.pdf" in page.text
    assert "企业已确认" in page.text
    claim = cf.get_claim(engine, claim_id, scope=EVERYONE)
    pdf = claim["attachments"][0]
    download = firm_a.get(f"/claims/attachments/{pdf['id']}")
    assert download.status_code == 200 and download.content == (tmp_path / "审计报告.pdf").read_bytes()
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert f"filename*=UTF-8''{quote('审计报告.pdf')}" in download.headers["content-disposition"]

    officer, officer_csrf = sign_in(site, "officer")
    assert f'href="/claims/{claim_id}"' in officer.get("/claims").text
    award_id = claim["awards"][0]["id"]
    assert f'<a href="/claims/{claim_id}">企业申报</a>' in officer.get("/awards").text
    award_page = officer.get(f"/awards/{award_id}")
    assert "来源：企业申报" in award_page.text and f'href="/claims/attachments/{pdf["id"]}"' in award_page.text
    assert STATEMENT in award_page.text and "审核通过" in award_page.text
    approved = officer.post(f"/awards/{award_id}/approve", data={"csrf": officer_csrf}, follow_redirects=False)
    assert approved.status_code == 303
    assert "审核通过" in firm_a.get(claim_path).text
    assert officer.get(f"/claims/attachments/{pdf['id']}").content == download.content
    assert [e["action"] for e in reversed(events(engine)) if e["action"] != "login"][-2:] == [
        "claims.file", "award.approve"]
    assert verify(engine).ok


def test_web_a_batch_award_names_its_batch(site, engine):
    f.run_batch(engine, 2023, actor="setup")
    award = f.list_awards(engine, scope=EVERYONE, limit=1).row(0, named=True)
    officer, _ = sign_in(site, "officer")
    page = officer.get(f"/awards/{award['id']}")
    assert "来源：免申即享批次 1" in page.text and "企业申报材料" not in page.text


def test_web_the_calculator_hands_over_a_prefilled_form(site, engine, data, firms):
    firm_a, csrf = sign_in(site, "firm_a")
    inputs = stored_inputs(data, firms["a"])
    pilot = {"kind": "informatization_pilot", "date": date(YEAR, 6, 1), "level": "national", "subject": "智能工厂试点"}
    handed = replace(inputs, events=(pilot,))
    page = firm_a.post("/claims/new", data={"rule": "informatization_pilot", "year": str(YEAR),
                                            "inputs": handed.to_json(), "csrf": csrf})
    assert page.status_code == 200 and 'value="informatization_pilot" selected' in page.text
    assert "智能工厂试点" in page.text and 'name="files"' in page.text and "role=\"alert\"" not in page.text
    hidden = re.search(r'name="inputs" value="([^"]+)"', page.text).group(1)
    assert EnterpriseInputs.from_json(hidden.replace("&#34;", '"').replace("&quot;", '"')) == handed
    # Without inputs the stored data is used; another enterprise's inputs are refused.
    stored = firm_a.post("/claims/new", data={"rule": "rd_subsidy", "year": str(YEAR), "csrf": csrf})
    assert stored.status_code == 200 and inputs.enterprise["name"] in stored.text
    theirs = stored_inputs(data, firms["b"]).to_json()
    assert firm_a.post("/claims/new", data={"rule": "rd_subsidy", "inputs": theirs, "csrf": csrf}).status_code == 403
    broken = firm_a.post("/claims/new", data={"rule": "rd_subsidy", "inputs": "{not json", "csrf": csrf})
    assert broken.status_code == 422 and "输入数据无法读取" in broken.text
    assert counts(engine) == (0, 0, 0)


def test_web_refusals_show_the_form_again_and_store_nothing(site, engine, data, firms, tmp_path):
    firm_a, csrf = sign_in(site, "firm_a")
    form = {"csrf": csrf, "rule": "informatization_pilot", "year": str(YEAR), "statement": STATEMENT}
    refused = firm_a.post("/claims/new", data=form, files=upload(tmp_path, "a.pdf"))
    assert refused.status_code == 400 and "无本条对应的事件" in refused.text and STATEMENT in refused.text
    no_files = firm_a.post("/claims/new", data={**form, "rule": "rd_subsidy"})
    assert no_files.status_code == 400 and "至少上传 1 个" in no_files.text
    # CSRF: a form without its session's token is refused before anything is read.
    forged = firm_a.post("/claims/new", data={**form, "rule": "rd_subsidy", "csrf": "forged"},
                         files=upload(tmp_path, "a.pdf"))
    assert forged.status_code == 403
    assert counts(engine) == (0, 0, 0)
    f.run_batch(engine, YEAR, actor="setup")
    duplicate = firm_a.post("/claims/new", data={**form, "rule": "rd_subsidy"}, files=upload(tmp_path, "a.pdf"))
    assert duplicate.status_code == 409 and "不能重复申报" in duplicate.text
    assert counts(engine) == (0, 0, 0)


def test_web_roles_and_scopes(site, engine, data, firms, tmp_path):
    a, b = file(engine, data, firms["a"]), file(engine, data, firms["b"])
    b_file = cf.get_claim(engine, b.claim_id, scope=EVERYONE)["attachments"][0]["id"]
    firm_a, _ = sign_in(site, "firm_a")
    kecheng, kecheng_csrf = sign_in(site, "kecheng")
    officer, officer_csrf = sign_in(site, "officer")
    boss, _ = sign_in(site, "boss")
    for client in (firm_a, kecheng):
        for path in (f"/claims/{b.claim_id}", f"/claims/attachments/{b_file}", f"/api/v1/claims/{b.claim_id}"):
            answer = client.get(path)
            assert answer.status_code == 404 and firms["b"] not in answer.text
        assert [c["id"] for c in client.get("/api/v1/claims").json()] == [a.claim_id]
        assert f'href="/claims/{b.claim_id}"' not in client.get("/claims").text
    assert {c["id"] for c in boss.get("/api/v1/claims").json()} == {a.claim_id, b.claim_id}
    assert officer.get(f"/claims/{b.claim_id}").status_code == 200
    assert officer.get("/claims/new").status_code == 403
    assert officer.post("/claims/new", data={"csrf": officer_csrf, "rule": "rd_subsidy"}).status_code == 403
    assert kecheng.post("/api/v1/claims", data={"rule": "rd_subsidy", "year": str(YEAR), "statement": "x"},
                        headers={"X-CSRF-Token": kecheng_csrf}).status_code == 403
    assert firm_a.post("/api/v1/claims", data={"rule": "rd_subsidy"}).status_code == 403  # no CSRF header
    assert TestClient(site).get("/api/v1/claims").status_code == 401
    assert TestClient(site).get(f"/claims/{a.claim_id}", follow_redirects=False).status_code == 303
    assert counts(engine)[0] == 2


def test_api_files_and_reads_a_claim(site, engine, data, firms, tmp_path):
    firm_a, csrf = sign_in(site, "firm_a")
    body = {"rule": "rd_subsidy", "year": str(YEAR), "statement": STATEMENT}
    made = firm_a.post("/api/v1/claims", data=body, files=upload(tmp_path, "报告.pdf"),
                       headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    claim = made.json()
    assert claim["uscc"] == firms["a"] and claim["rule_label"] == "第8条 研发投入补助"
    assert claim["awards"][0]["state"] == "confirmed" and claim["awards"][0]["amount_yuan"]
    assert claim["inputs"]["enterprise"]["uscc"] == firms["a"]
    assert claim["attachments"][0]["url"] == f"/claims/attachments/{claim['attachments'][0]['id']}"
    assert firm_a.get(f"/api/v1/claims/{claim['id']}").json()["statement"] == STATEMENT
    again = firm_a.post("/api/v1/claims", data=body, files=upload(tmp_path, "报告.pdf"),
                        headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409 and "不能重复申报" in again.json()["detail"]
    wrong = firm_a.post("/api/v1/claims", data={**body, "rule": "informatization_pilot"},
                        files=upload(tmp_path, "报告.pdf"), headers={"X-CSRF-Token": csrf})
    assert wrong.status_code == 400 and "无本条对应的事件" in wrong.json()["detail"]
    assert counts(engine) == (1, 1, 1)
    assert verify(engine).ok


# ---- out-of-vocabulary values (issue 8) ---------------------------------------------------------

@pytest.mark.parametrize(("event", "word"), [
    ({"kind": "national_high_tech_enterprise", "level": "galactic"}, "未知的级别“galactic”"),
    ({"kind": "green_loan", "rating": "ultraviolet", "amount": 1_000_000_000, "benchmark_rate": 43_500, "days": 365},
     "未知的评级“ultraviolet”"),
])
def test_a_claim_with_an_unknown_level_or_rating_is_refused_and_stores_nothing(engine, data, firms, event, word):
    uscc = firms["a"]
    inputs = stored_inputs(data, uscc)
    bad = {**event, "date": date(YEAR, 6, 1), "subject": "越界"}

    with pytest.raises(cf.OutOfVocabulary, match=word):
        file(engine, data, uscc, rule=event["kind"], inputs=replace(inputs, events=(*inputs.events, bad)))

    assert counts(engine) == (0, 0, 0)
    assert events(engine, action="claims.file") == []


def test_api_refuses_a_claim_with_an_unknown_level_with_422(site, engine, data, firms, tmp_path):
    firm_a, csrf = sign_in(site, "firm_a")
    inputs = stored_inputs(data, firms["a"])
    bad = replace(inputs, events=(*inputs.events, {"kind": "national_high_tech_enterprise", "date": date(YEAR, 6, 1),
                                                   "level": "galactic"}))
    body = {"rule": "national_high_tech_enterprise", "year": str(YEAR), "statement": STATEMENT,
            "inputs": bad.to_json()}

    made = firm_a.post("/api/v1/claims", data=body, files=upload(tmp_path, "报告.pdf"), headers={"X-CSRF-Token": csrf})

    assert made.status_code == 422 and "未知的级别“galactic”" in made.json()["detail"]
    page = firm_a.post("/claims/new", data={**body, "csrf": csrf}, files=upload(tmp_path, "报告.pdf"))
    assert page.status_code == 422 and "未知的级别“galactic”" in page.text
    assert counts(engine) == (0, 0, 0)
