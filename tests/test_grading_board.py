"""The grading workflow over the store (SQLite and PostgreSQL): a run stored and read back within
each scope, re-grades versioned and audited, the four-eyes rule on publishing, and who may do
what. The runs here are hand-built graded frames (the engine's columns), so these tests check
the store and the workflow, not the scoring (tests/test_grading_*.py of the engine do)."""

from __future__ import annotations

import polars as pl
import pytest

from commerce_brain import grading_board as gb
from commerce_brain.access import Scope, User
from commerce_brain.store.audit import events, verify
from commerce_brain.store.fulfilment_tables import NotAllowed, NotFound, SameOfficer, WrongState
from commerce_brain.store.schema import connect
from commerce_brain.uscc import make_uscc

YEAR = 2023
KECHENG, JIANGSHAN = "330802", "330881"
A, B, C = (make_uscc(f"91330802MA000000{i}") for i in (1, 2, 3))
D = make_uscc("91330802MA0000004")
OFFICER = User(1, "officer", "资管办", "policy_officer")
OTHER_OFFICER = User(2, "officer2", "资管办二", "policy_officer")
ANALYST = User(3, "city", "市分析", "city_analyst")


def graded_frame() -> pl.DataFrame:
    """Three graded enterprises as the engine gives them: A and B share a parcel in 柯城区."""
    return pl.DataFrame({
        "uscc": [A, B, C], "name": ["甲公司", "乙公司", "丙公司"], "org_unit": [KECHENG, KECHENG, JIANGSHAN],
        "county": [KECHENG, KECHENG, JIANGSHAN], "industry_group": ["制造业"] * 3,
        "size_class": ["above", "above", "below"], "unit": ["P-1", "P-1", C],
        "merged_with": [[B], [A], []],
        "value__tax_per_mu": [12.5, 12.5, 3.0], "score__tax_per_mu": [30.0, 30.0, 9.0],
        "value__emission": [None, None, 1.0], "score__emission": [5.0, 5.0, 2.5],
        "bonus": [2.0, 2.0, 0.0], "penalty": [0.0, 0.0, 5.0], "total": [37.0, 37.0, 6.5],
        "rank": [1, 1, 1], "group_size": [2, 2, 1], "initial_class": ["A", "A", "D"], "class": ["A", "A", "D"],
        "reason": ["亩均税收居前 20%", "亩均税收居前 20%", "发生安全事故扣分"],
    })


def out_of_scope_frame() -> pl.DataFrame:
    return pl.DataFrame({"uscc": [D], "name": ["丁公司"], "org_unit": [KECHENG],
                         "reason": ["规下企业用地 2.1 亩，不足 3 亩"]})


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def store(engine, source=gb.STORE_SOURCE, graded=None) -> int:
    return gb.store_run(engine, graded if graded is not None else graded_frame(), out_of_scope_frame(), year=YEAR,
                        actor="tester", org_unit=None, source=source, digest="0" * 64)


def test_a_run_is_stored_audited_and_read_back_whole(engine):
    run_id = store(engine)
    read = gb.latest_grading(engine, year=YEAR, scope=Scope())
    expected = graded_frame()
    assert read.sort("uscc").select(expected.columns).to_dicts() == expected.sort("uscc").to_dicts()
    run = gb.latest_run(engine, year=YEAR)
    assert (run["id"], run["graded"], run["out_of_scope"], run["run_by"]) == (run_id, 3, 1, "tester")
    event = events(engine, action="grading.run")[0]
    assert event["object"] == f"grading_run:{run_id}"
    assert event["detail"]["classes"] == {"A": 2, "D": 1}
    assert verify(engine).ok
    # The newest run is the year's grading; another year has none.
    second = store(engine, graded=graded_frame().with_columns(pl.lit("B").alias("class")))
    assert gb.latest_run(engine, year=YEAR)["id"] == second
    assert set(gb.latest_grading(engine, year=YEAR, scope=Scope())["class"]) == {"B"}
    assert gb.latest_grading(engine, year=YEAR + 1, scope=Scope()).is_empty()


def test_each_scope_sees_its_own_and_the_rest_is_missing(engine):
    store(engine)
    county = gb.latest_grading(engine, year=YEAR, scope=Scope(org_units=frozenset({KECHENG})))
    assert sorted(county["uscc"]) == [A, B]
    firm = gb.latest_grading(engine, year=YEAR, scope=Scope(uscc=C))
    assert firm["uscc"].to_list() == [C]
    assert gb.enterprise_grading(engine, year=YEAR, uscc=C, scope=Scope(uscc=C))["graded"]["class"] == "D"
    # Another's record answers exactly as one that does not exist.
    for uscc, scope in ((A, Scope(uscc=C)), (C, Scope(org_units=frozenset({KECHENG}))),
                        ("91330802MA000000XX", Scope())):
        with pytest.raises(NotFound) as refused:
            gb.enterprise_grading(engine, year=YEAR, uscc=uscc, scope=scope)
        assert str(refused.value) == gb.MISSING_ENTERPRISE
    left_out = gb.enterprise_grading(engine, year=YEAR, uscc=D, scope=Scope())
    assert left_out["out_of_scope"]["reason"] == "规下企业用地 2.1 亩，不足 3 亩"
    with pytest.raises(NotFound):
        gb.enterprise_grading(engine, year=YEAR, uscc=D, scope=Scope(org_units=frozenset({JIANGSHAN})))


def test_a_regrade_is_versioned_audited_and_applied(engine):
    store(engine)
    assert gb.regrade(engine, year=YEAR, uscc=C, to_class="C", reason="事故已整改，经复核", actor=OFFICER) == 1
    assert gb.regrade(engine, year=YEAR, uscc=C, to_class="B", reason="复议", actor=OTHER_OFFICER) == 2
    row = gb.enterprise_grading(engine, year=YEAR, uscc=C, scope=Scope())
    assert (row["graded"]["initial_class"], row["graded"]["class"]) == ("D", "B")
    assert [(r["version"], r["from_class"], r["to_class"], r["regraded_by"]) for r in row["regrades"]] == [
        (1, "D", "C", "officer"), (2, "C", "B", "officer2")]
    steps = [e["detail"] for e in reversed(events(engine, action="grading.regrade"))]
    assert [(d["from"], d["to"], d["version"], d["reason"]) for d in steps] == [
        ("D", "C", 1, "事故已整改，经复核"), ("C", "B", 2, "复议")]
    # A new run of the year keeps the officers' re-grades.
    store(engine)
    assert gb.latest_grading(engine, year=YEAR, scope=Scope()).filter(pl.col("uscc") == C)["class"].item() == "B"
    assert verify(engine).ok


@pytest.mark.parametrize(("uscc", "to", "reason", "actor", "error"), [
    (C, "D", "同类", OFFICER, WrongState),  # already that class
    (C, "E", "无此类", OFFICER, ValueError),
    (C, "A", "  ", OFFICER, ValueError),  # a re-grade needs its reason
    (C, "A", "越权", ANALYST, NotAllowed),  # an analyst runs gradings but does not re-grade
    (C, "A", "企业自评", User(9, "firm", "企业", "enterprise", uscc=C), NotAllowed),
    ("91330802MA000000XX", "A", "不存在", OFFICER, NotFound),
])
def test_a_refused_regrade_changes_nothing(engine, uscc, to, reason, actor, error):
    store(engine)
    with pytest.raises(error):
        gb.regrade(engine, year=YEAR, uscc=uscc, to_class=to, reason=reason, actor=actor)
    assert events(engine, action="grading.regrade") == []
    assert gb.latest_grading(engine, year=YEAR, scope=Scope())["class"].to_list() == ["A", "A", "D"]


def test_nothing_to_regrade_or_publish_before_a_run(engine):
    with pytest.raises(NotFound):
        gb.regrade(engine, year=YEAR, uscc=C, to_class="A", reason="无评价", actor=OFFICER)
    with pytest.raises(NotFound):
        gb.publish_classes(engine, year=YEAR, actor=OFFICER)


def test_publishing_refuses_a_run_from_a_file_and_the_officer_who_regraded(engine):
    store(engine, source="sample.xlsx")
    with pytest.raises(WrongState, match="sample.xlsx"):
        gb.publish_classes(engine, year=YEAR, actor=OFFICER)
    store(engine)
    gb.regrade(engine, year=YEAR, uscc=C, to_class="C", reason="复核", actor=OFFICER)
    # Four eyes: a class sets money (article 5's A-class uplift); who changed one does not publish.
    with pytest.raises(SameOfficer):
        gb.publish_classes(engine, year=YEAR, actor=OFFICER)
    with pytest.raises(NotAllowed):
        gb.publish_classes(engine, year=YEAR, actor=ANALYST)
    assert events(engine, action="grading.publish") == []
