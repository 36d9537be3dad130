"""Rule edits by the policy office: versioned, audited, refused whole when wrong, and used by the batch."""

import dataclasses
import re
import threading

import polars as pl
import pytest
import yaml
from fastapi.testclient import TestClient

from commerce_brain.access import ROLES, Scope, User, can
from commerce_brain.catalog import load_catalog
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.catalog import (
    replace_rules,
    rule_definitions,
    rule_from_definition,
)
from commerce_brain.policy.engine import evaluate, packaged
from commerce_brain.policy.synthetic import city
from commerce_brain.settings import Settings
from commerce_brain import fulfilment as f
from commerce_brain.fulfilment import rule_edits as edits
from commerce_brain.store.accounts import create_user, get_user, issue_token
from commerce_brain.store.audit import events, verify
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

RD = "rd_subsidy"           # article 8: 研发投入补助, the rule the batch test edits
OTHER = "invention_patent"  # any other rule, for the edit and role tests
OFFICER = User(id=1, username="officer", display_name="officer", role="policy_officer")
PASSWORD = "rules-test-pass-1"
CAP_FEN = 20_000_000  # 20万元


def current(engine, rule_id=RD) -> edits.RuleState:
    return edits.rule_state(engine, rule_id)


def with_cap(text: str, cap: str) -> str:
    assert "cap: 300万" in text
    return text.replace("cap: 300万", f"cap: {cap}")


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


# ---- the catalog side: packaged definitions, one rule checked alone, rules replaced --------------

def test_the_packaged_definitions_are_the_catalog_and_rebuild_each_rule():
    policies, _ = packaged()
    definitions = rule_definitions()
    assert set(definitions) == {r.id for r in policies.rules()} and len(definitions) == 62
    for rule in policies.rules():
        assert rule_from_definition(policies.policy(rule.policy), definitions[rule.id], policies.variables) == rule
    definitions[RD]["cap"] = "1万"  # a copy: the next caller still gets the packaged one
    assert rule_definitions()[RD]["cap"] == "300万"


def test_replace_rules_keeps_the_order_and_the_other_rules():
    policies, _ = packaged()
    raw = {**rule_definitions()[RD], "cap": "1万"}
    edited = replace_rules(policies, [rule_from_definition(policies.policy("qz_innovation_2019"), raw,
                                                           policies.variables)])
    assert [r.id for r in edited.rules()] == [r.id for r in policies.rules()]
    assert edited.rule(RD).cap.text == "1万" and policies.rule(RD).cap.text == "300万"
    assert all(a == b for a, b in zip(edited.rules(), policies.rules(), strict=True) if a.id != RD)
    with pytest.raises(KeyError):
        replace_rules(policies, [dataclasses.replace(policies.rule(RD), id="nope")])


def test_the_definition_text_reads_back_as_the_catalog_wrote_it():
    for rule_id, raw in rule_definitions().items():
        assert yaml.safe_load(edits.definition_yaml(raw)) == raw, rule_id
    text = edits.definition_yaml(rule_definitions()["informatization_pilot"])
    assert "amount:\n  - {when: level == \"national\", value: 50万}\n" in text


# ---- editing in the store -------------------------------------------------------------------------

def test_an_edit_is_a_new_version_the_evaluation_uses_and_a_revert_brings_the_text_back(engine):
    packaged_catalog = packaged()[0]
    assert edits.effective_policies(engine) is packaged_catalog
    state = current(engine)
    assert (state.version, state.edited) == (0, False)
    version = edits.edit_rule(engine, RD, with_cap(state.definition, "20万"), reason="年度预算调整", user=OFFICER,
                              expected_version=0)
    assert version == 1
    effective = edits.effective_policies(engine)
    assert effective.rule(RD).cap.text == "20万"
    assert edits.effective_policies(engine) is effective  # cached until the next edit
    assert current(engine).edited and current(engine).version == 1
    # Identity and citation are the package's.
    assert effective.rule(RD).quote == packaged_catalog.rule(RD).quote
    assert edits.revert_rule(engine, RD, reason="恢复原文", user=OFFICER, expected_version=1) == 2
    assert edits.effective_policies(engine).rule(RD) == packaged_catalog.rule(RD)
    assert (current(engine).version, current(engine).edited) == (2, False)
    history = edits.rule_history(engine, RD)
    assert [(h["version"], h["edited_by"], h["reason"], h["packaged"]) for h in history] == [
        (2, "officer", "恢复原文", True), (1, "officer", "年度预算调整", False)]
    assert "-cap: 300万\n+cap: 20万\n" in history[1]["diff"] and "-cap: 20万\n+cap: 300万\n" in history[0]["diff"]
    with pytest.raises(edits.InvalidRuleEdit, match="已是政策原文"):
        edits.revert_rule(engine, RD, reason="again", user=OFFICER, expected_version=2)


def test_another_worker_sees_the_edit_on_its_next_call(database_url, engine):
    other = connect(database_url)  # another process's engine on the same store
    try:
        assert edits.effective_policies(other).rule(RD).cap.text == "300万"
        edits.edit_rule(engine, RD, with_cap(current(engine).definition, "250万"), reason="r", user=OFFICER,
                        expected_version=0)
        assert edits.effective_policies(other).rule(RD).cap.text == "250万"
    finally:
        other.dispose()


def test_the_audit_chain_holds_the_edit_with_its_diff(engine):
    edits.edit_rule(engine, RD, with_cap(current(engine).definition, "20万"), reason="年度预算调整",
                    user=OFFICER, expected_version=0)
    assert verify(engine).ok
    [event] = events(engine, limit=5)
    assert (event["actor"], event["action"], event["object"]) == ("officer", "rules.edit", f"rule:{RD}")
    detail = event["detail"]
    assert (detail["rule"], detail["version"], detail["reason"], detail["revert"]) == (RD, 1, "年度预算调整", False)
    assert detail["changed"] == {"cap": {"before": "300万", "after": "20万"}}
    assert "+cap: 20万" in detail["diff"]


BAD_EDITS = {
    "bad YAML": ("cap: [300万\n", "规则定义格式有误"),
    "not a mapping": ("- 300万\n", "映射"),
    "a list of rules": ("- id: rd_subsidy\n", "映射"),
    "quote changed": (None, "quote"),
    "article changed": (None, "article"),
    "payee changed": (None, "payee"),
    "unknown variable": (None, "规则定义有误，未保存：规则 条件（when）：没有名为“rd_spending”的变量；可用的变量："),
    "money without a unit": (None, "规则定义有误，未保存：规则 上限（cap）：金额应为钱数（带单位元、万、亿，或金额乘以比例），"
                                   "实际是数值"),
    "wrong unit": (None, "规则定义有误，未保存：规则 条件（when）：金额不能与数值比较；金额请写上单位，如 200万（见“rd_spend >= 2000000"),
    "syntax error": (None, "规则定义有误，未保存：规则 条件（when）：表达式不完整，后面缺少内容（第 12 个字符处）：\n  rd_spend >=\n"),
    "unknown key": (None, "规则定义有误，未保存：规则：不认识的字段 rate"),
    "bad years": (None, "valid"),
    "a date": (None, "note"),
    "python tag": ("!!python/object/apply:os.system ['true']\n", "规则定义格式有误"),
    "empty": ("   \n", "为空"),
}


def bad_text(name: str, text: str) -> str:
    return {
        "quote changed": text.replace("单个企业最高补助金额不超过300万元", "单个企业最高补助金额不超过20万元"),
        "article changed": text.replace("article: 8", "article: 9"),
        "payee changed": text.replace("cap_per: enterprise", "cap_per: enterprise\npayee: management"),
        "unknown variable": text.replace("when: rd_spend >=", "when: rd_spending >="),
        "money without a unit": text.replace("cap: 300万", "cap: 3000000"),
        "wrong unit": re.sub(r"when: rd_spend >= [^ \n]+", "when: rd_spend >= 2000000", text),
        "syntax error": re.sub(r"when: .*", "when: rd_spend >= ", text),
        "unknown key": text + "rate: 5%\n",
        "bad years": text + "valid: [2023, 2019]\n",
        "a date": text.replace("note: ", "note: 2019-01-01\nx_note: "),
    }.get(name, BAD_EDITS[name][0])


@pytest.mark.parametrize("name", list(BAD_EDITS))
def test_a_bad_edit_is_refused_whole_with_a_readable_reason(engine, name):
    text = bad_text(name, current(engine).definition)
    with pytest.raises(edits.InvalidRuleEdit, match=re.escape(BAD_EDITS[name][1])) as refused:
        edits.edit_rule(engine, RD, text, reason="test", user=OFFICER, expected_version=0)
    # Read on the rule page: Chinese first, naming the field or the catalog's reason.
    assert re.match(r"[“\u4e00-\u9fff]", str(refused.value))
    assert edits.rule_history(engine, RD) == [] and events(engine) == []
    assert edits.effective_policies(engine) is packaged()[0]


def test_the_locked_field_is_named(engine):
    text = current(engine).definition.replace("clause: 研发投入补助", "clause: 研发补助")
    with pytest.raises(edits.InvalidRuleEdit, match="不能修改“款项”（clause）"):
        edits.edit_rule(engine, RD, text, reason="x", user=OFFICER, expected_version=0)


def test_every_editable_field_may_change(engine):
    text = current(engine).definition
    text = (text.replace("rd_spend >= 200万 and", "rd_spend >= 100万 and")
            .replace("rd_spend * 5% +", "rd_spend * 6% +").replace("cap_per: enterprise", "cap_per: subject")
            .replace("note: ", "note: 2024 edit. ") + "valid: [2019, 2021]\n")
    edits.edit_rule(engine, RD, text, reason="suspended from 2022", user=OFFICER, expected_version=0)
    rule = edits.effective_policies(engine).rule(RD)
    assert (rule.first_year, rule.last_year, rule.cap_per) == (2019, 2021, "subject")
    assert "6%" in rule.amount.text and "100万" in rule.when.text and rule.note.startswith("2024 edit.")


def test_a_reason_is_required_and_short(engine):
    text = with_cap(current(engine).definition, "20万")
    for reason, message in (("  ", "请填写修改理由"), ("理" * 501, "最多 500 字")):
        with pytest.raises(edits.InvalidRuleEdit, match=message):
            edits.edit_rule(engine, RD, text, reason=reason, user=OFFICER, expected_version=0)
    with pytest.raises(edits.InvalidRuleEdit, match="没有改动"):
        edits.edit_rule(engine, RD, current(engine).definition, reason="no-op", user=OFFICER, expected_version=0)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "policy_officer"])
def test_only_the_policy_officer_edits(engine, role):
    someone = User(id=2, username="someone", display_name="someone", role=role, org_unit="330802",
                   uscc="91330802MA2ABCDE1T")
    with pytest.raises(f.NotAllowed):
        edits.edit_rule(engine, RD, with_cap(current(engine).definition, "20万"), reason="x", user=someone,
                        expected_version=0)
    with pytest.raises(f.NotAllowed):
        edits.revert_rule(engine, RD, reason="x", user=someone, expected_version=0)
    assert edits.rule_history(engine, RD) == []


def test_an_unknown_rule_is_not_found(engine):
    with pytest.raises(f.NotFound):
        edits.edit_rule(engine, "no_such_rule", "id: no_such_rule\n", reason="x", user=OFFICER, expected_version=0)


def test_a_stale_version_is_a_conflict(engine):
    text = current(engine).definition
    edits.edit_rule(engine, RD, with_cap(text, "20万"), reason="first", user=OFFICER, expected_version=0)
    with pytest.raises(edits.EditConflict, match="他人已先修改"):
        edits.edit_rule(engine, RD, with_cap(text, "30万"), reason="second", user=OFFICER, expected_version=0)
    assert edits.effective_policies(engine).rule(RD).cap.text == "20万"


def test_two_officers_saving_at_once_one_wins(engine):
    text, n = current(engine).definition, 8
    barrier, outcomes = threading.Barrier(n), []

    def save(cap: int) -> None:
        barrier.wait()
        try:
            outcomes.append(edits.edit_rule(engine, RD, with_cap(text, f"{cap}万"), reason=f"cap {cap}",
                                            user=OFFICER, expected_version=0))
        except edits.EditConflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=save, args=(10 + i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o for o in outcomes if isinstance(o, int)) == [1]
    assert sum(isinstance(o, edits.EditConflict) for o in outcomes) == n - 1
    [version] = edits.rule_history(engine, RD)
    assert edits.effective_policies(engine).rule(RD).cap.text == version["reason"].removeprefix("cap ") + "万"
    assert verify(engine).ok and [e["action"] for e in events(engine)] == ["rules.edit"]


def test_the_cli_lists_the_rules_in_force_with_their_version(database_url, engine):
    import json

    from typer.testing import CliRunner

    from commerce_brain.cli import app

    edits.edit_rule(engine, RD, with_cap(current(engine).definition, "20万"), reason="r", user=OFFICER,
                    expected_version=0)
    runner = CliRunner()
    stored = json.loads(runner.invoke(app, ["policy", "rules", "--db", database_url, "-f", "json"]).stdout)
    packaged_rules = json.loads(runner.invoke(app, ["policy", "rules", "-f", "json"]).stdout)
    [rd] = [r for r in stored if r["id"] == RD]
    assert (rd["cap"], rd["version"]) == ("20万", 1) and {r["version"] for r in stored if r["id"] != RD} == {0}
    assert [(r["cap"], "version" in r) for r in packaged_rules if r["id"] == RD] == [("300万", False)]


# ---- the batch follows the edited rule; stored awards stay as they were ---------------------------

def rd_amounts(engine, year: int) -> list[int]:
    frame = f.list_awards(engine, scope=Scope(), year=year)
    return sorted(frame.filter(pl.col("rule") == RD)["amount_fen"].to_list())


def test_the_batch_pays_by_the_edited_rule_and_leaves_stored_awards(engine):
    policies, _ = packaged()
    data = PolicyData(*city(120, [2019, 2020, 2021, 2022, 2023], event_kinds=sorted(policies.event_kinds())))
    f.save_policy_data(engine, data, actor="test")

    def packaged_amounts(year: int) -> list[int]:
        awards = evaluate(data.enterprises, data.facts, data.events, year)
        return sorted(awards.filter(pl.col("rule") == RD)["amount_fen"].to_list())

    f.run_batch(engine, 2023, actor=OFFICER)
    before = rd_amounts(engine, 2023)
    assert before == packaged_amounts(2023) and sum(a > CAP_FEN for a in before) >= 2

    edits.edit_rule(engine, RD, with_cap(current(engine).definition, "20万"), reason="预算调整", user=OFFICER,
                    expected_version=0)
    again = f.run_batch(engine, 2023, actor=OFFICER)
    assert rd_amounts(engine, 2023) == before                      # stored awards are left as they were
    assert again.inserted == 0 and again.changed == sum(a > CAP_FEN for a in before)

    f.run_batch(engine, 2022, actor=OFFICER)
    expected = packaged_amounts(2022)
    assert any(a > CAP_FEN for a in expected)
    assert rd_amounts(engine, 2022) == sorted(min(a, CAP_FEN) for a in expected)
    explanation = f.list_awards(engine, scope=Scope(), year=2022).filter(pl.col("rule") == RD)["explanation"][0]
    assert "20万" in explanation

    edits.revert_rule(engine, RD, reason="恢复", user=OFFICER, expected_version=1)
    f.run_batch(engine, 2021, actor=OFFICER)
    reverted = packaged_amounts(2021)
    assert any(a > CAP_FEN for a in reverted) and rd_amounts(engine, 2021) == reverted


# ---- the web: pages and API, roles ----------------------------------------------------------------

@pytest.fixture
def site(database_url):
    engine = connect(database_url)
    yield create_app(Settings.from_env(database_url=database_url)), engine
    engine.dispose()


# The roles scoped to an owning unit need one to exist (a project's unit, a warning point).
UNIT_OF = {"project_unit": "衢江区政府", "warning_point": "柯桥区纺织品外贸预警点"}


def account(engine, role: str) -> int:
    """The role's account (made on first use: each costs an argon2 hash)."""
    found = get_user(engine, role)
    if found is None:
        found = create_user(engine, username=role, password=PASSWORD, role=role, display_name=role,
                            org_unit="330802" if role == "county_analyst" else None,
                            uscc="91330802MA2ABCDE1T" if role == "enterprise" else None, catalog=load_catalog(),
                            responsible_unit=UNIT_OF.get(role))
    return found.id


def with_token(app, engine, role: str) -> TestClient:
    """A script's client: ``Authorization: Bearer`` (no session, so no CSRF token needed)."""
    token = issue_token(engine, account(engine, role), "test")
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def sign_in(app, engine, role: str) -> tuple[TestClient, str]:
    """A browser's client with a session, and the session's CSRF token."""
    account(engine, role)
    client = TestClient(app)
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    done = client.post("/login", data={"username": role, "password": PASSWORD, "login_token": token,
                                       "next": "/rules"})
    assert done.status_code == 200, done.text
    return client, re.search(r'name="csrf" value="([^"]+)"', done.text).group(1)


def test_every_role_reads_the_rules_and_only_the_officer_may_edit(site):
    """Every role that sees 政策兑现 reads the rules; the others (a project's unit, a warning
    point) are refused them like any policy record."""
    app, engine = site
    for role in ROLES:
        client = with_token(app, engine, role)
        if not can(get_user(engine, role), "view_policies"):
            assert client.get("/api/v1/rules").status_code == 403, role
            continue
        page = client.get("/rules")
        assert page.status_code == 200 and "研发投入补助" in page.text and "第8条" in page.text, role
        assert 'href="/rules"' in page.text  # the nav link
        # 004 article 13's park rent relief is listed, with why it is not computed
        assert "列出但不计算的条款" in page.text and "三免两减半" in page.text and "由园区而非市、县财政给予" in page.text
        detail = client.get(f"/rules/{RD}")
        assert detail.status_code == 200 and "单个企业最高补助金额不超过300万元" in detail.text
        assert ("<textarea" in detail.text) is (role == "policy_officer")
        listed = client.get("/api/v1/rules").json()
        assert len(listed) == 62 and {r["id"] for r in listed} >= {RD, OTHER}
        one = client.get(f"/api/v1/rules/{RD}").json()
        assert (one["cap"], one["version"], one["versions"]) == ("300万", 0, [])
        assert client.get("/api/v1/rules/no_such_rule").status_code == 404
        if role != "policy_officer":
            body = {"definition": with_cap(current(engine).definition, "20万"), "reason": "x", "expected_version": 0}
            assert client.put(f"/api/v1/rules/{RD}", json=body).status_code == 403, role
    assert edits.rule_history(engine, RD) == []


def test_unsigned_is_401_and_forms_need_the_officer(site):
    app, engine = site
    body = {"definition": with_cap(current(engine).definition, "20万"), "reason": "x", "expected_version": 0}
    anonymous = TestClient(app)
    assert anonymous.get("/api/v1/rules").status_code == 401
    assert anonymous.get(f"/api/v1/rules/{RD}").status_code == 401
    assert anonymous.put(f"/api/v1/rules/{RD}", json=body).status_code == 401
    assert anonymous.get("/rules", follow_redirects=False).status_code == 303
    assert anonymous.post(f"/rules/{RD}", data=body, follow_redirects=False).status_code == 303
    for role in ("leader", "enterprise"):
        client, csrf = sign_in(app, engine, role)
        assert client.put(f"/api/v1/rules/{RD}", json=body, headers={"X-CSRF-Token": csrf}).status_code == 403
        assert client.post(f"/rules/{RD}", data={**body, "csrf": csrf}).status_code == 403, role
        assert client.post(f"/rules/{RD}/revert", data={"reason": "x", "expected_version": 0,
                                                        "csrf": csrf}).status_code == 403
    assert edits.rule_history(engine, RD) == []


def test_the_officer_edits_through_the_api(site):
    app, engine = site
    officer, csrf = sign_in(app, engine, "policy_officer")
    body = {"definition": with_cap(current(engine).definition, "20万"), "reason": "预算", "expected_version": 0}
    assert officer.put(f"/api/v1/rules/{RD}", json=body).status_code == 403  # a session needs its CSRF token
    saved = officer.put(f"/api/v1/rules/{RD}", json=body, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 200 and (saved.json()["version"], saved.json()["cap"]) == (1, "20万")
    assert officer.put(f"/api/v1/rules/{RD}", json=body, headers={"X-CSRF-Token": csrf}).status_code == 409
    bad = officer.put(f"/api/v1/rules/{RD}", json={**body, "definition": "cap: [", "expected_version": 1},
                      headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 400 and "规则定义格式有误（第 1 行第 7 列）" in bad.json()["detail"]
    versions = officer.get(f"/api/v1/rules/{RD}").json()["versions"]
    assert [(v["version"], v["edited_by"], v["reason"]) for v in versions] == [(1, "policy_officer", "预算")]
    firm = with_token(app, engine, "enterprise")
    assert firm.get(f"/api/v1/rules/{RD}").json()["cap"] == "20万"  # an enterprise reads the rule in force


def test_the_officer_edits_and_reverts_through_the_pages(site):
    app, engine = site
    officer, csrf = sign_in(app, engine, "policy_officer")
    text = current(engine).definition
    broken = text.replace("rd_spend * 5% +", "rd_spend * main_revenue +")
    refused = officer.post(f"/rules/{RD}", data={"definition": broken, "reason": "试", "expected_version": 0,
                                                 "csrf": csrf})
    assert refused.status_code == 400 and "规则定义有误，未保存：规则 金额（amount）：金额乘金额没有意义" in refused.text
    assert "rd_spend * main_revenue + max" in refused.text and 'value="试"' in refused.text  # the text is kept
    saved = officer.post(f"/rules/{RD}", data={"definition": with_cap(text, "20万"), "reason": "预算调整",
                                               "expected_version": 0, "csrf": csrf}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/rules/{RD}"
    page = officer.get(f"/rules/{RD}")
    assert "第 1 版（已修改）" in page.text and "预算调整" in page.text and "+cap: 20万" in page.text
    stale = officer.post(f"/rules/{RD}", data={"definition": with_cap(text, "30万"), "reason": "晚了",
                                               "expected_version": 0, "csrf": csrf})
    assert stale.status_code == 409 and "他人已先修改" in stale.text
    assert officer.post(f"/rules/{RD}/revert", data={"reason": "恢复", "expected_version": 1,
                                                     "csrf": "forged"}).status_code == 403
    reverted = officer.post(f"/rules/{RD}/revert", data={"reason": "恢复", "expected_version": 1, "csrf": csrf},
                            follow_redirects=False)
    assert reverted.status_code == 303
    listing = officer.get("/rules").text
    assert "第 2 版（原文）" in listing
    assert officer.post("/rules/no_such_rule", data={"definition": "x: 1", "reason": "r", "expected_version": 0,
                                                     "csrf": csrf}).status_code == 404
    assert verify(engine).ok
    assert [e["detail"]["version"] for e in events(engine, limit=10) if e["action"] == "rules.edit"] == [2, 1]
