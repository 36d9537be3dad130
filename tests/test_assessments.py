"""评审核定 and the reviewer figures an enterprise may not set, on a real database (SQLite and
PostgreSQL): the attack of issue 8 replayed (a claim carrying its own ``assessed_award``), the
officer's assessment (cap, fen, reason, file, audit, once), approval only after it, and the
page, the API and the calculator on top."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

import polars as pl
import pytest
import test_claims as claims_tests
import test_fulfilment as fulfilment_tests
from sample_files import pdf_bytes
from test_fulfilment import sign_in

from commerce_brain.access import Scope, User
from commerce_brain.fulfilment import assessments as a
from commerce_brain import fulfilment as f
from commerce_brain.store.audit import events, verify

OFFICER = User(1, "officer", "资管办", "policy_officer")
EVERYONE = Scope()
CAP = 20_000_000  # pct_application: 每件最高4万 × 5 件 = 20万元
# The same synthetic city, store and web site as the claims tests.
data, engine, firms, site = claims_tests.data, fulfilment_tests.engine, claims_tests.firms, claims_tests.site


def firm(uscc: str) -> User:
    return User(10, f"firm-{uscc}", "企业", "enterprise", uscc=uscc)


def pct_claim(engine, data, uscc: str, **event) -> int:
    """The attack of issue 8: a claim for five PCT applications carrying the enterprise's own
    reviewer figures. Returns the award it created."""
    inputs = claims_tests.stored_inputs(data, uscc)
    pct = {"kind": "pct_application", "date": date(claims_tests.YEAR, 5, 1), "count": 5,
           "subject": "PCT申请五件", **event}
    filed = claims_tests.file(engine, data, uscc, rule="pct_application",
                              inputs=replace(inputs, events=(*inputs.events, pct)))
    assert len(filed.award_ids) == 1
    return filed.award_ids[0]


def test_a_claim_cannot_set_its_own_assessed_award(engine, data, firms):
    # Before: the enterprise's assessed_award made the award final (not flagged, approvable).
    award_id = pct_claim(engine, data, firms["a"], assessed_award=CAP, already_paid=5_000_000)
    award = f.get_award(engine, award_id, scope=EVERYONE)
    assert award["needs_review"] is True and award["amount_fen"] == CAP  # the cap, proposed for review
    assert award["state"] == "confirmed"
    with pytest.raises(f.WrongState, match="待评审核定"):
        f.approve(engine, award_id, user=OFFICER)
    # The enterprise's already_paid is not its to give either: nothing was deducted, and the
    # stored claim keeps what was evaluated (no reviewer figure at all).
    from commerce_brain.fulfilment.claims_flow import get_claim

    claim = get_claim(engine, award["claim_id"], scope=EVERYONE)
    assert "assessed_award" not in claim["inputs"] and "already_paid" not in claim["inputs"]


def test_the_officer_assesses_then_approves(engine, data, firms):
    award_id = pct_claim(engine, data, firms["a"])
    for wrong in (firm(firms["a"]), fulfilment_tests.FINANCE, fulfilment_tests.LEADER):
        with pytest.raises(f.NotAllowed):
            a.assess(engine, award_id, user=wrong, amount_fen=1_000_000, reason="评审")
    with pytest.raises(a.AssessmentRefused, match="不能超过本条款上限"):
        a.assess(engine, award_id, user=OFFICER, amount_fen=CAP + 1, reason="评审")
    for bad in (0, -5, 1.5, True):
        with pytest.raises(a.AssessmentRefused, match="须大于零"):
            a.assess(engine, award_id, user=OFFICER, amount_fen=bad, reason="评审")
    with pytest.raises(f.FulfilmentError, match="请填写评审核定理由"):
        a.assess(engine, award_id, user=OFFICER, amount_fen=1_000_000, reason="  ")
    with pytest.raises(a.AssessmentRefused, match="不支持的文件类型"):
        a.assess(engine, award_id, user=OFFICER, amount_fen=1_000_000, reason="评审", attachment=("x.html", b"<p>"))
    assert f.get_award(engine, award_id, scope=EVERYONE)["needs_review"] is True  # nothing moved
    assert a.get_assessment(engine, award_id) is None

    opinion = pdf_bytes("expert opinion")
    done = a.assess(engine, award_id, user=OFFICER, amount_fen=12_345_678, reason="专家评审：三件核定",
                    attachment=("专家评审意见.pdf", opinion))
    assert (done["proposed_fen"], done["amount_fen"], done["assessed_by"]) == (CAP, 12_345_678, "officer")
    assert done["sha256"] == hashlib.sha256(opinion).hexdigest() and done["size"] == len(opinion)
    award = f.get_award(engine, award_id, scope=EVERYONE)
    assert (award["amount_fen"], award["needs_review"]) == (12_345_678, False)
    with pytest.raises(f.WrongState, match="无需评审核定或已核定"):  # once
        a.assess(engine, award_id, user=OFFICER, amount_fen=1_000_000, reason="再核")
    approved = f.approve(engine, award_id, user=OFFICER)
    assert approved["state"] == "approved" and approved["amount_fen"] == 12_345_678
    audit = [e for e in events(engine, action="award.assess") if e["object"] == f"award:{award_id}"]
    assert len(audit) == 1 and (audit[0]["detail"]["from_fen"], audit[0]["detail"]["to_fen"]) == (CAP, 12_345_678)
    assert audit[0]["detail"]["attachment"]["sha256"] == done["sha256"]
    assert verify(engine).ok
    # The file is the award's: another enterprise gets what a missing award gets.
    other = Scope(uscc=firms["b"])
    with pytest.raises(f.NotFound):
        a.assessment_file(engine, award_id, scope=other)
    assert a.assessment_file(engine, award_id, scope=Scope(uscc=firms["a"]))["content"] == opinion


def test_a_fixed_award_needs_no_assessment(engine, data, firms):
    filed = claims_tests.file(engine, data, firms["a"])
    with pytest.raises(f.WrongState, match="无需评审核定"):
        a.assess(engine, filed.award_ids[0], user=OFFICER, amount_fen=100, reason="评审")


def test_a_batch_award_at_its_cap_is_assessed_before_approval(engine):
    f.run_batch(engine, fulfilment_tests.YEAR, actor=OFFICER)
    review = f.list_awards(engine, scope=EVERYONE).filter(pl.col("needs_review")).sort("id")
    assert review.height, "the synthetic city has no 最高… award"
    award = review.row(0, named=True)
    a.assess(engine, award["id"], user=OFFICER, amount_fen=award["amount_fen"], reason="按上限核定")  # proposed
    f.confirm(engine, award["id"], user=firm(award["uscc"]))
    assert f.approve(engine, award["id"], user=OFFICER)["amount_fen"] == award["amount_fen"]


# ---- web and API ------------------------------------------------------------------------------

def test_web_the_officer_enters_the_figure_with_the_opinion(site, engine, data, firms, tmp_path):
    award_id = pct_claim(engine, data, firms["a"])
    officer, csrf = sign_in(site, "officer")
    page = officer.get(f"/awards/{award_id}")
    assert "提交评审核定" in page.text and "按最高额暂列" in page.text and "审核通过</button>" not in page.text
    above = officer.post(f"/awards/{award_id}/assess", data={"csrf": csrf, "amount": "200,000.01", "reason": "评审"})
    assert above.status_code == 400 and "核定金额不能超过本条款上限" in above.text
    fine = officer.post(f"/awards/{award_id}/assess", data={"csrf": csrf, "amount": "1.234", "reason": "评审"})
    assert fine.status_code == 400 and "核定金额" in fine.text
    firm_a, firm_csrf = sign_in(site, "firm_a")
    assert firm_a.post(f"/awards/{award_id}/assess", data={"csrf": firm_csrf, "amount": "1", "reason": "x"}
                       ).status_code == 403
    assert f.get_award(engine, award_id, scope=EVERYONE)["needs_review"] is True

    opinion = pdf_bytes("expert opinion")
    done = officer.post(f"/awards/{award_id}/assess", data={"csrf": csrf, "amount": "150,000.55", "reason": "三件核定"},
                        files={"file": ("专家评审意见.pdf", opinion, "application/pdf")}, follow_redirects=False)
    assert done.status_code == 303, done.text[:300]
    assert f.get_award(engine, award_id, scope=EVERYONE)["amount_fen"] == 15_000_055
    page = officer.get(f"/awards/{award_id}").text
    for shown in ("评审核定", "150,000.55", "拟定金额（上限）", "200,000.00", "三件核定", "核定人", "officer",
                  "北京时间", "专家评审意见.pdf", "审核通过</button>"):
        assert shown in page, shown
    download = firm_a.get(f"/awards/{award_id}/assessment/file")
    assert download.status_code == 200 and download.content == opinion
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    firm_b, _ = sign_in(site, "firm_b")
    theirs, missing = firm_b.get(f"/awards/{award_id}/assessment/file"), firm_b.get("/awards/987654/assessment/file")
    assert theirs.status_code == missing.status_code == 404
    detail = firm_a.get(f"/api/v1/awards/{award_id}").json()
    assert detail["assessment"]["amount_fen"] == 15_000_055 and "content" not in detail["assessment"]


def test_api_assessment(site, engine, data, firms):
    award_id = pct_claim(engine, data, firms["a"])
    officer, csrf = sign_in(site, "officer")
    url = f"/api/v1/awards/{award_id}/assessment"
    assert officer.post(url, data={"amount": "1", "reason": "x"}).status_code == 403  # no CSRF header
    zero = officer.post(url, data={"amount": "0", "reason": "x"}, headers={"X-CSRF-Token": csrf})
    assert zero.status_code == 400 and "须大于零" in zero.json()["detail"]
    done = officer.post(url, data={"amount": "12345.6", "reason": "评审"}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["amount_fen"], body["needs_review"], body["assessment"]["proposed_fen"]) == (1_234_560, False, CAP)
    again = officer.post(url, data={"amount": "1", "reason": "x"}, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409


def test_the_calculator_ignores_an_enterprises_reviewer_figures(site, engine, data, firms):
    inputs = claims_tests.stored_inputs(data, firms["a"])
    pct = {"kind": "pct_application", "date": f"{claims_tests.YEAR}-05-01", "count": 5, "assessed_award": 1_000_000,
           "already_paid": 3_000_000}
    body = {"year": claims_tests.YEAR, "inputs": {"enterprise": inputs.enterprise, "facts": list(inputs.facts),
                                                  "events": [pct]}}
    firm_a, csrf = sign_in(site, "firm_a")
    mine = firm_a.post("/api/v1/calculator", json=body, headers={"X-CSRF-Token": csrf}).json()
    award = next(x for x in mine["awards"] if x["rule"] == "pct_application")
    assert (award["amount_fen"], award["needs_review"]) == (CAP, True)  # an estimate at the cap
    # A policy officer may try the reviewers' figure in a what-if.
    officer, officer_csrf = sign_in(site, "officer")
    body["inputs"]["events"] = [{**pct, "already_paid": None}]
    theirs = officer.post("/api/v1/calculator", json=body, headers={"X-CSRF-Token": officer_csrf}).json()
    award = next(x for x in theirs["awards"] if x["rule"] == "pct_application")
    assert (award["amount_fen"], award["needs_review"]) == (1_000_000, False)


def test_api_claim_with_its_own_assessed_award_is_proposed_at_the_cap(site, engine, data, firms, tmp_path):
    # The attack through the claims API: the posted event carries assessed_award 200,000 元.
    inputs = claims_tests.stored_inputs(data, firms["a"])
    pct = {"kind": "pct_application", "date": date(claims_tests.YEAR, 5, 1), "count": 5, "subject": "PCT",
           "assessed_award": CAP, "already_paid": 1}
    posted = replace(inputs, events=(*inputs.events, pct)).to_json()
    firm_a, csrf = sign_in(site, "firm_a")
    made = firm_a.post("/api/v1/claims", data={"rule": "pct_application", "year": str(claims_tests.YEAR),
                                               "statement": claims_tests.STATEMENT, "inputs": posted},
                       files=claims_tests.upload(tmp_path, "报告.pdf"), headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    award = made.json()["awards"][0]
    assert (award["amount_fen"], award["needs_review"]) == (CAP, True)
    assert all("assessed_award" not in e and "already_paid" not in e for e in made.json()["inputs"]["events"])
    officer, officer_csrf = sign_in(site, "officer")
    refused = officer.post(f"/api/v1/awards/{award['id']}/approve", headers={"X-CSRF-Token": officer_csrf})
    assert refused.status_code == 409 and "待评审核定" in refused.json()["detail"]
