"""The pipeline in the store, on SQLite and PostgreSQL: versions, the import log, the audit event
in the same transaction, and what each scope reads; and the `projects fdi` commands on it."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.cli import app as cli_app
from commerce_brain.io.fdi_import import FdiPipeline, read_fdi_pipeline
from commerce_brain.io.fdi_template import write_fdi_template
from commerce_brain.projects.fdi_catalog import load_fdi_catalog
from commerce_brain.store.audit import events, verify
from commerce_brain.store.fdi_tables import (
    fdi_imports,
    fdi_project_versions,
    list_fdi_imports,
    newest_pipeline,
    plan_fdi_import,
    project_versions,
    save_fdi_pipeline,
)
from commerce_brain.store.fulfilment_tables import NotAllowed
from commerce_brain.store.schema import connect

TODAY = date(2026, 12, 6)
CATALOG, FDI = load_catalog(), load_fdi_catalog()
runner = CliRunner()


@pytest.fixture
def sample(tmp_path) -> FdiPipeline:
    path = write_fdi_template(tmp_path / "sample.xlsx", CATALOG, FDI, sample=True, today=TODAY)
    return read_fdi_pipeline(path, CATALOG, FDI, today=TODAY)


def test_an_import_is_stored_versioned_and_audited(database_url, sample):
    engine = connect(database_url)
    first = save_fdi_pipeline(engine, sample, actor="officer", file_name="sample.xlsx", sha256="a" * 64)
    assert first.counts() == {"rows": 9, "new": 9, "changed": 0, "unchanged": 0}
    stored = newest_pipeline(engine)
    assert stored.projects.equals(sample.projects) and stored.stage_dates.equals(sample.stage_dates)

    # The same file again writes nothing; a change to one project is its second version.
    assert save_fdi_pipeline(engine, sample, actor="officer", file_name="again.xlsx",
                             sha256="b" * 64).counts()["unchanged"] == 9
    revised = FdiPipeline(
        sample.projects.with_columns(arrived_usd=pl.when(pl.col("project_id") == "WZ-2025-003")
                                     .then(pl.lit(10_000, pl.Int64)).otherwise("arrived_usd")),
        sample.stage_dates.with_columns(actual_date=pl.when((pl.col("project_id") == "WZ-2025-003")
                                                            & (pl.col("stage") == "capital_arrived"))
                                        .then(pl.lit(date(2026, 12, 1))).otherwise("actual_date")))
    assert plan_fdi_import(engine, revised).counts() == {"rows": 9, "new": 0, "changed": 1, "unchanged": 8}
    third = save_fdi_pipeline(engine, revised, actor="officer", file_name="v2.xlsx", sha256="c" * 64)
    assert third.changes.filter(pl.col("change") == "changed").rows() == [("WZ-2025-003", "changed", 2)]

    versions = project_versions(engine, "WZ-2025-003")
    assert [(v["version"], v["arrived_usd"], v["file_name"]) for v in versions] == [
        (1, 0, "sample.xlsx"), (2, 10_000, "v2.xlsx")]
    newest = newest_pipeline(engine, project_id="WZ-2025-003")
    assert newest.projects["arrived_usd"].to_list() == [10_000]
    assert newest.stage_dates.filter(pl.col("stage") == "capital_arrived")["actual_date"].to_list() == [date(2026, 12, 1)]
    # An import never deletes: a file with one project leaves the other eight as they were.
    one = FdiPipeline(revised.projects.head(1), revised.stage_dates.filter(pl.col("project_id") == "WZ-2025-001"))
    save_fdi_pipeline(engine, one, actor="officer", file_name="one.xlsx", sha256="d" * 64)
    assert newest_pipeline(engine).projects.height == 9

    log = list_fdi_imports(engine)
    assert [(i["file_name"], i["new"], i["changed"], i["unchanged"]) for i in log] == [
        ("one.xlsx", 0, 0, 1), ("v2.xlsx", 0, 1, 8), ("again.xlsx", 0, 0, 9), ("sample.xlsx", 9, 0, 0)]
    audited = events(engine, action="fdi.import")
    assert [(e["object"], e["detail"]["changed"]) for e in audited][-1] == ("fdi_import:1", 0)
    assert audited[0]["detail"] == {"file": "one.xlsx", "sha256": "d" * 64, "rows": 1, "new": 0, "changed": 0,
                                    "unchanged": 1}
    assert verify(engine).ok
    engine.dispose()


def test_a_failed_import_leaves_no_trace(database_url, sample):
    engine = connect(database_url)
    broken = FdiPipeline(sample.projects.with_columns(contracted_usd=pl.lit(-1, pl.Int64)), sample.stage_dates)
    with pytest.raises(Exception):  # the database's check refuses it: nothing of the import stays
        save_fdi_pipeline(engine, broken, actor="officer", file_name="x.xlsx", sha256="e" * 64)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(fdi_imports)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(fdi_project_versions)).scalar() == 0
    assert events(engine, action="fdi.import") == []
    engine.dispose()


def test_only_an_importer_may_store(database_url, sample):
    engine = connect(database_url)
    leader = User(1, "boss", "领导", "leader")
    with pytest.raises(NotAllowed, match="导入项目进度"):
        save_fdi_pipeline(engine, sample, actor=leader, file_name="x.xlsx", sha256="f" * 64)
    analyst = User(2, "city", "市", "city_analyst")
    assert save_fdi_pipeline(engine, sample, actor=analyst, file_name="x.xlsx", sha256="f" * 64).import_id == 1
    assert events(engine, action="fdi.import")[0]["actor"] == "city"
    engine.dispose()


def test_each_scope_reads_its_own_projects(database_url, sample):
    engine = connect(database_url)
    save_fdi_pipeline(engine, sample, actor="officer", file_name="sample.xlsx", sha256="a" * 64)
    county = newest_pipeline(engine, scope=Scope(org_units=frozenset(CATALOG.subtree("330803"))))
    assert county.projects["project_id"].to_list() == ["WZ-2025-002", "WZ-2025-009"]
    assert set(county.stage_dates["project_id"]) == {"WZ-2025-002", "WZ-2025-009"}
    # A responsible unit sees the projects whose next step it owns, wherever they lie.
    unit = newest_pipeline(engine, scope=Scope(units=frozenset({"柯城区商务局"})))
    assert unit.projects["project_id"].to_list() == ["WZ-2025-001", "WZ-2025-007"]
    # An enterprise's scope has no place in the pipeline: nothing (fails closed).
    assert newest_pipeline(engine, scope=Scope(uscc="91330800MA2XXXXXXX")).projects.is_empty()
    # Out of scope reads as missing.
    assert newest_pipeline(engine, scope=Scope(org_units=frozenset({"330803"})), project_id="WZ-2025-001").projects.is_empty()
    engine.dispose()


def test_the_commands_import_and_show_the_board(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    sample = tmp_path / "sample.xlsx"
    assert runner.invoke(cli_app, ["projects", "fdi", "template", "--sample", "--out", str(sample)]).exit_code == 0
    dry = runner.invoke(cli_app, ["projects", "fdi", "import", str(sample), "--dry-run", "--db", db, "--format", "json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["new"] == 9 and json.loads(dry.stdout)["import_id"] is None
    done = runner.invoke(cli_app, ["projects", "fdi", "import", str(sample), "--db", db, "--user", "市商务局"])
    assert done.exit_code == 0 and "已新增 9" in done.stdout and "新发出 5 条" in done.stdout
    board = json.loads(runner.invoke(cli_app, ["projects", "fdi", "board", "--db", db, "--format", "json",
                                               "--org-unit", "龙游县"]).stdout)
    assert [p["id"] for p in board["projects"]] == ["WZ-2025-003"]
    assert board["counties"][0]["name_zh"] == "龙游县" and board["counties"][0]["landing_rate"] == 0.0
    assert [o["name_zh"] for o in board["projects"][0]["overdue"]] == ["注册", "到资"]
    table = runner.invoke(cli_app, ["projects", "fdi", "board", "--db", db]).stdout
    assert "落地率" in table and "逾期环节" in table and "合计" in table
    investors = json.loads(runner.invoke(cli_app, ["projects", "fdi", "investors", "--db", db, "--format", "json",
                                                   "--country", "中国香港"]).stdout)
    assert [(r["name"], r["projects"]) for r in investors] == [("香江生物医药有限公司", 2)]
    # A refused file exits 1, says why on stderr and stores nothing.
    bad = tmp_path / "bad.csv"
    bad.write_text("项目编号\nX\n", encoding="utf-8")
    refused = runner.invoke(cli_app, ["projects", "fdi", "import", str(bad), "--db", db])
    assert refused.exit_code == 1 and "导入被拒绝" in refused.stderr
    unknown = runner.invoke(cli_app, ["projects", "fdi", "board", "--db", db, "--industry", "房地产"])
    assert unknown.exit_code == 2 and "未知的取值" in unknown.stderr
