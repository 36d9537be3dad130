"""The grading walk over a real store (SQLite and PostgreSQL) with the real engine: evaluate a
year's enterprise data, draw the leading lists from the stored run, and the same through the
CLI (evaluate, regrade, publish, leaders) as the README tells it."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from grading_frames import firm, frame, ladder
from commerce_brain import grading_board as gb
from commerce_brain.access import Scope, User
from commerce_brain.cli import app
from commerce_brain.grading.catalog import load_leader_rules
from commerce_brain.grading.evaluate import evaluate
from commerce_brain.grading.catalog import load_grading_settings
from commerce_brain.grading.leaders import select_leaders
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA
from commerce_brain.store import grading_tables as gt
from commerce_brain.store.audit import events
from commerce_brain.store.fulfilment_tables import NoData
from commerce_brain.store.schema import connect

YEAR = 2023
ANALYST = User(3, "city", "市分析", "city_analyst")
KECHENG, JIANGSHAN = "330802", "330881"


def city_data() -> PolicyData:
    """Twelve 规上 enterprises (six in 柯城区, six in 江山市), one with a safety incident, and a
    shop that is not industrial: enterprises and facts as the store gives them."""
    rows = ([{**r, "org_unit": KECHENG if i % 2 else JIANGSHAN} for i, r in enumerate(ladder(12, prefix="Q"))]
            + [firm("QSAFE", safety=True), firm("QSHOP", industrial=False, industry="F52")])
    wide = frame(*rows).with_columns(pl.lit(YEAR, pl.Int32).alias("year"))
    enterprises = wide.with_columns(pl.lit(None, pl.Boolean).alias(c) for c in ENTERPRISE_SCHEMA if c not in wide.columns)
    return PolicyData(enterprises.select(list(ENTERPRISE_SCHEMA)).cast(ENTERPRISE_SCHEMA),
                      wide.drop("name", "org_unit", "industry", "is_industrial"), pl.DataFrame(schema=EVENT_SCHEMA))


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def test_an_evaluation_is_stored_as_the_engine_graded_it(engine):
    data = city_data()
    run_id = gb.run_evaluation(engine, year=YEAR, actor=ANALYST, data=data, source="测试数据.xlsx")
    expected = evaluate(gb.grading_input(data, YEAR), load_grading_settings(), year=YEAR)
    stored = gb.latest_grading(engine, year=YEAR, scope=Scope()).sort("uscc")
    assert stored.height == expected.graded.height == 13
    want = expected.graded.sort("uscc")
    for column in ("uscc", "class", "initial_class", "rank", "reason", "score__tax_per_mu", "value__tax_per_mu"):
        assert stored[column].to_list() == want[column].to_list(), column
    assert stored.filter(pl.col("uscc") == "QSAFE")["penalty"].item() > 0
    run = gb.latest_run(engine, year=YEAR)
    assert (run["id"], run["source"], run["out_of_scope"]) == (run_id, "测试数据.xlsx", 1)
    assert events(engine, action="grading.run")[0]["actor"] == "city"
    county = gb.latest_grading(engine, year=YEAR, scope=Scope(org_units=frozenset({KECHENG})))
    assert set(county["org_unit"]) == {KECHENG} and county.height == 6 + 1  # QSAFE sits in 柯城区 by default
    # Only an org unit's enterprises when one is given; it replaces that county's rows, the rest
    # of the city stays as the city-wide run graded it.
    county_run = gb.run_evaluation(engine, year=YEAR, actor=ANALYST, data=data, org_unit=JIANGSHAN,
                                   source="测试数据.xlsx")
    with engine.connect() as conn:
        assert set(gt.read_results(conn, gb.latest_run(engine, year=YEAR))["org_unit"]) == {JIANGSHAN}
    year = gb.latest_grading(engine, year=YEAR, scope=Scope())
    assert year.height == 13 and {KECHENG, JIANGSHAN} <= set(year["org_unit"])
    assert set(year.filter(pl.col("org_unit") == JIANGSHAN)["run_id"]) == {county_run}
    assert set(year.filter(pl.col("org_unit") == KECHENG)["run_id"]) == {run_id}
    with pytest.raises(NoData):
        gb.run_evaluation(engine, year=YEAR + 1, actor=ANALYST, data=data)


def test_the_lists_are_drawn_from_the_stored_run_and_kept_to_the_scope(engine):
    data = city_data()
    gb.run_evaluation(engine, year=YEAR, actor=ANALYST, data=data)
    rules = load_leader_rules()
    list_id = gb.draw_leaders(engine, year=YEAR, rules=rules, actor=ANALYST, data=data, size=3)
    drawn = gb.latest_leaders(engine, year=YEAR, scope=Scope())
    graded = gb.latest_grading(engine, year=YEAR, scope=Scope())
    expected = select_leaders(graded, gb.grading_input(data, YEAR), rules, size=3)
    assert drawn["id"] == list_id
    key = ["list", "uscc"]
    assert (drawn["rows"].sort(key).select("list", "uscc", "selected", "reason").to_dicts()
            == expected.sort(key).select("list", "uscc", "selected", "reason").to_dicts())
    assert drawn["rows"].filter(pl.col("selected")).group_by("list").len()["len"].max() <= 3
    assert "QSAFE" in drawn["rows"].filter(~pl.col("selected"))["uscc"].to_list()  # excluded, with its reason
    assert events(engine, action="grading.leaders")[0]["detail"]["size"] == 3
    county = gb.latest_leaders(engine, year=YEAR, scope=Scope(org_units=frozenset({JIANGSHAN})))
    assert set(county["rows"]["org_unit"]) == {JIANGSHAN}
    assert gb.latest_leaders(engine, year=YEAR + 1, scope=Scope()) is None


def _cli(*args: str):
    return CliRunner().invoke(app, ["grading", *args])


def test_the_cli_walk(database_url, tmp_path):
    from test_grading_board import C, graded_frame, out_of_scope_frame

    sample = tmp_path / "sample.xlsx"
    assert CliRunner().invoke(app, ["policy", "sample", "--out", str(sample)]).exit_code == 0
    evaluated = _cli("evaluate", "--year", str(YEAR), "--data", str(sample), "--db", database_url, "--format", "json",
                     "--user", "analyst")
    assert evaluated.exit_code == 0, evaluated.output
    answer = json.loads(evaluated.stdout[evaluated.stdout.index("{"):])
    assert len(answer["graded"]) + len(answer["out_of_scope"]) == 300  # every enterprise accounted for
    assert all(r["reason"] for r in answer["out_of_scope"])
    engine = connect(database_url)
    gb.store_run(engine, graded_frame(), out_of_scope_frame(), year=YEAR, actor="setup", org_unit=None,
                 source="store", digest="0" * 64)
    regraded = _cli("regrade", "--year", str(YEAR), "--uscc", C, "--to", "c", "--reason", "事故已整改", "--user", "张三",
                    "--db", database_url)
    assert regraded.exit_code == 0, regraded.output
    assert "调为 C 类（第 1 次调整）" in regraded.stdout
    assert gb.latest_grading(engine, year=YEAR, scope=Scope(uscc=C))["class"].item() == "C"
    refused = _cli("regrade", "--year", str(YEAR), "--uscc", C, "--to", "C", "--reason", "再调", "--user", "张三",
                   "--db", database_url)
    assert refused.exit_code == 1 and "无需调档" in refused.output
    same = _cli("publish", "--year", str(YEAR), "--user", "张三", "--db", database_url)
    assert same.exit_code == 1 and "不同人员" in same.output
    engine.dispose()
