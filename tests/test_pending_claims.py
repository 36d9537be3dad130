"""待核实: a claim from an enterprise outside the registry, on a real database (SQLite and
PostgreSQL). The attack of issue 8 replayed: a USCC not in the store filed with org unit 330800
(paid by 衢州市财政) and again with 330802 under another name — region, name and treasury must
come from the registry, so both claims wait without an award until an officer registers the
enterprise (登记企业), and are then evaluated on the registry's data."""

from __future__ import annotations

from dataclasses import replace

import pytest
import test_claims as claims_tests
import test_fulfilment as fulfilment_tests
from test_fulfilment import sign_in

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.policy.inputs import EnterpriseInputs
from commerce_brain.fulfilment import claims_flow as cf
from commerce_brain import fulfilment as f
from commerce_brain.store.audit import events, verify
from commerce_brain.store.enterprise_imports import enterprise_history
from commerce_brain.uscc import make_uscc

OFFICER = User(1, "officer", "资管办", "policy_officer")
EVERYONE = Scope()
STRANGER = make_uscc("91330899MA2XYRNG1")  # valid, and in 没有该企业的存储数据
data, engine, firms, site = claims_tests.data, fulfilment_tests.engine, claims_tests.firms, claims_tests.site


def stranger_inputs(data, firms, *, name: str, org_unit: str) -> EnterpriseInputs:
    """An R&D claim's figures (borrowed from a qualifying firm) under the stranger's code, with
    the name and org unit the stranger chose."""
    borrowed = claims_tests.stored_inputs(data, firms["a"])
    enterprise = {**borrowed.enterprise, "uscc": STRANGER, "name": name, "org_unit": org_unit}
    return replace(borrowed, enterprise=enterprise)


def file_as_stranger(engine, data, firms, *, name: str, org_unit: str) -> cf.FiledClaim:
    return cf.file_claim(engine, user=User(20, "stranger", "企业", "enterprise", uscc=STRANGER), rule="rd_subsidy",
                         year=claims_tests.YEAR, inputs=stranger_inputs(data, firms, name=name, org_unit=org_unit),
                         statement=claims_tests.STATEMENT, attachments=claims_tests.evidence())


def test_an_unregistered_enterprise_waits_for_the_registry(engine, data, firms):
    first = file_as_stranger(engine, data, firms, name="甲公司", org_unit="330800")
    second = file_as_stranger(engine, data, firms, name="乙公司", org_unit="330802")
    for filed in (first, second):
        assert filed.pending and filed.award_ids == () and filed.amount_fen == 0
        claim = cf.get_claim(engine, filed.claim_id, scope=EVERYONE)
        assert claim["state"] == "pending" and claim["org_unit"] == "" and claim["awards"] == []
    assert f.list_awards(engine, scope=Scope(uscc=STRANGER)).is_empty()  # no award, no treasury chosen
    # The org unit it chose gives no county its claims; the enterprise sees its own.
    kecheng = Scope(org_units=frozenset(load_catalog().subtree("330802")))
    with pytest.raises(f.NotFound):
        cf.get_claim(engine, second.claim_id, scope=kecheng)
    assert cf.get_claim(engine, second.claim_id, scope=Scope(uscc=STRANGER))["id"] == second.claim_id

    # Registering is an officer's, within the city.
    with pytest.raises(f.NotAllowed):
        cf.register_enterprise(engine, first.claim_id, user=User(20, "stranger", "企业", "enterprise",
                                                                 uscc=STRANGER), name="甲公司", org_unit="330800")
    with pytest.raises(cf.ClaimRefused, match="本市"):
        cf.register_enterprise(engine, first.claim_id, user=OFFICER, name="丙公司", org_unit="330602")  # 绍兴
    with pytest.raises(cf.ClaimRefused, match="企业名称"):
        cf.register_enterprise(engine, first.claim_id, user=OFFICER, name="  ", org_unit="330881")
    assert cf.get_claim(engine, first.claim_id, scope=EVERYONE)["state"] == "pending"

    done = cf.register_enterprise(engine, first.claim_id, user=OFFICER, name="丙公司（营业执照）", org_unit="330881")
    assert len(done.award_ids) == 1 and not done.pending
    award = f.get_award(engine, done.award_ids[0], scope=EVERYONE)
    assert (award["name"], award["org_unit"], award["payer"], award["state"]) == (
        "丙公司（营业执照）", "330881", "330881", "confirmed")  # 江山市 pays, as the registry says
    claim = cf.get_claim(engine, first.claim_id, scope=EVERYONE)
    assert (claim["state"], claim["name"], claim["org_unit"]) == ("filed", "丙公司（营业执照）", "330881")
    with pytest.raises(f.WrongState):
        cf.register_enterprise(engine, first.claim_id, user=OFFICER, name="丁", org_unit="330800")

    # The second claim is now evaluated on the registry's entry (the officer's fields are not
    # used): the same enterprise, rule and year as the first, so the same award — refused whole.
    with pytest.raises(cf.DuplicateAward, match="不能重复申报"):
        cf.register_enterprise(engine, second.claim_id, user=OFFICER, name="戊", org_unit="330802")
    assert cf.get_claim(engine, second.claim_id, scope=EVERYONE)["state"] == "pending"
    # Registered as an import of one row: versioned, audited, named after the claim.
    registered = [e for e in events(engine, action="enterprise_data.save") if "登记企业" in e["detail"]["file"]]
    assert len(registered) == 1 and f"第 {first.claim_id} 号申报" in registered[0]["detail"]["file"]
    assert registered[0]["actor"] == "officer"
    history = enterprise_history(engine, STRANGER)["enterprises"]
    assert history.height == 1 and (history["name"][0], history["org_unit"][0]) == ("丙公司（营业执照）", "330881")
    assert len(events(engine, action="claims.verify")) == 1
    assert verify(engine).ok


def test_a_registered_enterprise_cannot_choose_its_region(engine, data, firms):
    # A registered enterprise claiming with another org unit and name is evaluated as registered.
    uscc = firms["a"]
    inputs = claims_tests.stored_inputs(data, uscc)
    moved = replace(inputs, enterprise={**inputs.enterprise, "org_unit": "330800", "name": "改名公司"})
    filed = claims_tests.file(engine, data, uscc, inputs=moved)
    award = f.get_award(engine, filed.award_ids[0], scope=EVERYONE)
    stored = data.enterprises.filter(data.enterprises["uscc"] == uscc).row(0, named=True)
    assert (award["org_unit"], award["name"]) == (stored["org_unit"], stored["name"])


def test_web_pending_claim_and_registration(site, engine, data, firms):
    filed = file_as_stranger(engine, data, firms, name="甲公司", org_unit="330800")
    other = file_as_stranger(engine, data, firms, name="x", org_unit="330800")
    officer, csrf = sign_in(site, "officer")
    page = officer.get(f"/claims/{filed.claim_id}")
    assert page.status_code == 200 and "待核实" in page.text and "登记企业并核算" in page.text
    assert "待核实" in officer.get("/claims").text
    kecheng, kecheng_csrf = sign_in(site, "kecheng")
    assert kecheng.get(f"/claims/{filed.claim_id}").status_code == 404
    assert kecheng.post(f"/claims/{filed.claim_id}/register", data={"csrf": kecheng_csrf, "name": "x",
                                                                     "org_unit": "330802"}).status_code == 403
    bad = officer.post(f"/claims/{filed.claim_id}/register", data={"csrf": csrf, "name": "甲", "org_unit": "330602"})
    assert bad.status_code == 400 and "本市" in bad.text
    done = officer.post(f"/claims/{filed.claim_id}/register", data={"csrf": csrf, "name": "甲公司（核）",
                                                                     "org_unit": "330802"}, follow_redirects=False)
    assert done.status_code == 303
    page = officer.get(f"/claims/{filed.claim_id}").text
    assert "登记企业并核算" not in page and "甲公司（核）" in page and "企业已确认" in page
    api = officer.post(f"/api/v1/claims/{other.claim_id}/register", json={"name": "y", "org_unit": "330802"},
                       headers={"X-CSRF-Token": csrf})
    # Now registered: the API evaluates on the registry's entry, whose award the first claim holds.
    assert api.status_code == 409 and "不能重复申报" in api.json()["detail"], api.text
    assert cf.get_claim(engine, other.claim_id, scope=EVERYONE)["state"] == "pending"
    missing = officer.post("/api/v1/claims/987654/register", json={"name": "y", "org_unit": "330802"},
                           headers={"X-CSRF-Token": csrf})
    assert missing.status_code == 404
