"""/api/v1/grading over a real store (SQLite and PostgreSQL): the grading read within each
scope, a re-grade through the API (audited, versioned), and a competitive allocation uploaded
(a pot and its applications), stored and shown; bad uploads are refused whole, audited and not
kept."""

from __future__ import annotations

import pytest

from api_site import get, open_site, uploads_kept
from commerce_brain.store.audit import events
from test_grading_board import A, B, C, JIANGSHAN, KECHENG, YEAR, graded_frame, out_of_scope_frame

from commerce_brain.grading_board import MISSING_ENTERPRISE, latest_grading, store_run
from commerce_brain.access import Scope

POT = """name: 测试资金池
budget_yuan: 1000000
kinds: {major: 重大项目, intelligent: 智能化投资项目}
limits:
  - {kind: intelligent, max_count: 1}
"""
# Exact beats greedy: the greedy order takes 1 (score 90, 60万) and then nothing else fits;
# 2 and 3 (80 + 70 = 150, 50万 + 50万) fit together.
APPLICATIONS = ("id,uscc,industry,kind,requested_yuan,score\n"
                f"1,{A},,major,600000,90\n2,{B},,major,500000,80\n3,{C},,major,500000,70\n")
ACCOUNTS = {"officer": {"role": "policy_officer"}, "officer2": {"role": "policy_officer"},
            "kecheng": {"role": "county_analyst", "org_unit": KECHENG},
            "firm_c": {"role": "enterprise", "uscc": C}, "city": {"role": "city_analyst"}}


@pytest.fixture
def site(database_url, tmp_path):
    site = open_site(database_url, tmp_path, ACCOUNTS, lambda catalog: None)
    store_run(site["engine"], graded_frame(), out_of_scope_frame(), year=YEAR, actor="setup", org_unit=None,
              source="store", digest="0" * 64)
    yield site
    site["engine"].dispose()


def allocate(site, user="officer", pot=POT, applications=APPLICATIONS, name="申报.csv"):
    files = {"applications": (name, applications.encode())}
    if pot is not None:
        files["pot"] = ("pot.yaml", pot.encode())
    return site["client"].post("/api/v1/grading/allocations", headers=site["tokens"][user], files=files)


def test_the_list_keeps_to_the_scope_and_filters(site):
    everyone = get(site, "city", f"/api/v1/grading?year={YEAR}").json()
    assert sorted(r["uscc"] for r in everyone) == [A, B, C]
    assert {r["run_id"] for r in everyone} == {1}  # the run that graded each row (its ranks, its classes)
    assert [r["uscc"] for r in get(site, "city", f"/api/v1/grading?year={YEAR}&class=D").json()] == [C]
    assert sorted(r["uscc"] for r in get(site, "city", f"/api/v1/grading?year={YEAR}&org_unit={KECHENG}").json()) == [A, B]
    assert sorted(r["uscc"] for r in get(site, "kecheng", f"/api/v1/grading?year={YEAR}").json()) == [A, B]
    assert get(site, "kecheng", f"/api/v1/grading?year={YEAR}&org_unit={JIANGSHAN}").json() == []
    assert [r["uscc"] for r in get(site, "firm_c", f"/api/v1/grading?year={YEAR}").json()] == [C]
    assert get(site, "city", f"/api/v1/grading?year={YEAR}&class=E").status_code == 422


def test_another_enterprise_answers_as_a_missing_one(site):
    own = get(site, "firm_c", f"/api/v1/grading/{C}?year={YEAR}")
    assert own.status_code == 200 and own.json()["graded"]["class"] == "D"
    assert [line["score"] for line in own.json()["score_card"]]  # the card: a line per indicator
    other, missing = (get(site, "firm_c", f"/api/v1/grading/{u}?year={YEAR}") for u in (A, "91330802MA000000XX"))
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json() == {"detail": MISSING_ENTERPRISE}
    assert get(site, "firm_c", f"/api/v1/grading/not-a-code?year={YEAR}").json()["detail"] == MISSING_ENTERPRISE


def test_a_regrade_through_the_api(site):
    body = {"year": YEAR, "to": "C", "reason": "事故已整改"}
    refused = site["client"].post(f"/api/v1/grading/{C}/regrade", json=body, headers=site["tokens"]["city"])
    assert refused.status_code == 403
    done = site["client"].post(f"/api/v1/grading/{C}/regrade", json=body, headers=site["tokens"]["officer"])
    assert done.status_code == 200 and done.json()["version"] == 1
    again = site["client"].post(f"/api/v1/grading/{C}/regrade", json=body, headers=site["tokens"]["officer"])
    assert again.status_code == 409  # already C
    blank = site["client"].post(f"/api/v1/grading/{C}/regrade", json={**body, "to": "B", "reason": " "},
                                headers=site["tokens"]["officer"])
    assert blank.status_code == 400 and "理由" in blank.json()["detail"]
    row = get(site, "firm_c", f"/api/v1/grading/{C}?year={YEAR}").json()
    assert (row["graded"]["initial_class"], row["graded"]["class"]) == ("D", "C")
    assert events(site["engine"], action="grading.regrade")[0]["actor"] == "officer"
    # Four eyes: the officer who re-graded does not publish.
    publish = site["client"].post("/api/v1/grading/publish", json={"year": YEAR}, headers=site["tokens"]["officer"])
    assert publish.status_code == 403 and "不同人员" in publish.json()["detail"]


def test_an_allocation_is_exact_stored_audited_and_shown_within_the_scope(site):
    response = allocate(site)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["selected"] == [2, 3] and result["greedy"]["selected"] == [1]
    assert (result["total_score"], result["greedy"]["total_score"], result["gap_score"]) == (150, 90, 60)
    assert result["total_fen"] == 100_000_000 and result["total_yuan"] == 1_000_000
    allocation_id = response.json()["allocation_id"]
    event = events(site["engine"], action="grading.allocate")[0]
    assert event["detail"]["gap_score_e4"] == 600_000 and event["object"] == f"grading_allocation:{allocation_id}"
    assert uploads_kept(site) == []
    # An enterprise sees its own application's decision, nothing of the others'.
    own = get(site, "firm_c", f"/api/v1/grading/allocations/{allocation_id}").json()
    assert [d["id"] for d in own["result"]["decisions"]] == [3]
    assert A not in str(own) and B not in str(own)
    whole = get(site, "officer2", f"/api/v1/grading/allocations/{allocation_id}").json()
    assert [d["id"] for d in whole["result"]["decisions"]] == [1, 2, 3]
    reasons = {d["id"]: d["reason"] for d in whole["result"]["decisions"]}
    assert not whole["result"]["decisions"][0]["selected"] and reasons[1] != reasons[2]
    missing = get(site, "officer2", "/api/v1/grading/allocations/987654")
    assert missing.status_code == 404


def test_a_catalog_pot_can_be_named_instead_of_uploaded(site):
    response = allocate(site, pot=None)
    assert response.status_code == 422 and "资金池" in response.json()["detail"]


@pytest.mark.parametrize(("pot", "applications", "name", "status", "words"), [
    ("name: 坏\nbudget_yuan: -5\nlimits: []\n", APPLICATIONS, "申报.csv", 422, "资金池文件有误"),
    ("!!python/object/apply:os.system ['echo hacked']\n", APPLICATIONS, "申报.csv", 422, "资金池文件有误"),
    (POT, APPLICATIONS.replace(",90\n", ",九十\n"), "申报.csv", 422, "文件被整体退回"),
    (POT, APPLICATIONS, "申报.exe", 400, "只接受 CSV 或 XLSX"),
])
def test_a_bad_upload_is_refused_whole_audited_and_not_kept(site, pot, applications, name, status, words):
    response = allocate(site, pot=pot, applications=applications, name=name)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert uploads_kept(site) == []
    assert events(site["engine"], action="grading.allocate") == []
    if status == 422:
        assert events(site["engine"], action="import_rejected")
        assert response.json()["problems"]  # each problem named (file, sheet, row, column, why)


def test_only_the_policy_office_allocates(site):
    assert allocate(site, user="city").status_code == 403
    assert allocate(site, user="firm_c").status_code == 403
    assert latest_grading(site["engine"], year=YEAR, scope=Scope()).height == 3
    assert events(site["engine"], action="grading.allocate") == []


def test_a_run_and_the_lists_through_the_api(site):
    from test_grading_flow import city_data
    from commerce_brain.fulfilment.data import save_policy_data

    empty = site["client"].post("/api/v1/grading/runs", json={"year": YEAR + 1}, headers=site["tokens"]["city"])
    assert empty.status_code == 400 and "没有可评价" in empty.json()["detail"]
    data = city_data()
    save_policy_data(site["engine"], data, actor="loader")
    bad_unit = site["client"].post("/api/v1/grading/runs", json={"year": YEAR, "org_unit": "999999"},
                                   headers=site["tokens"]["city"])
    assert bad_unit.status_code == 422
    run = site["client"].post("/api/v1/grading/runs", json={"year": YEAR}, headers=site["tokens"]["city"])
    assert run.status_code == 200, run.text
    assert run.json()["graded"] + run.json()["out_of_scope"] == data.enterprises.height
    assert events(site["engine"], action="grading.run")[0]["actor"] == "city"
    assert get(site, "city", f"/api/v1/grading/leaders?year={YEAR}").status_code == 404  # none drawn yet
    drawn = site["client"].post("/api/v1/grading/leaders", json={"year": YEAR, "size": 2},
                                headers=site["tokens"]["city"])
    assert drawn.status_code == 200, drawn.text
    lists = get(site, "kecheng", f"/api/v1/grading/leaders?year={YEAR}").json()
    assert lists["id"] == drawn.json()["list_id"] and {r["org_unit"] for r in lists["rows"]} <= {KECHENG}
    assert get(site, "firm_c", f"/api/v1/grading/leaders?year={YEAR}").json()["rows"] == []  # C is not in this run
