"""The observation store on a real SQLite file: versions, dry runs, history, catalog snapshot."""

import polars as pl
import pytest
from factories import obs, observations
from sqlalchemy import func, select

from commerce_brain.store.catalog_sync import sync_catalog
from commerce_brain.store.observations import (
    current_observations,
    dry_run,
    history,
    list_imports,
    save_observations,
)
from commerce_brain.store.schema import connect, indicators, observation_versions


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def save(engine, *rows, name="a.csv"):
    return save_observations(engine, observations(*rows), file_name=name, sha256="0" * 64, imported_by="tester")


def test_first_import_is_all_new_and_readable(engine):
    summary = save(engine, obs(2021, 800.0), obs(2022, 850.0, real_growth=0.07))
    assert (summary.rows, summary.new, summary.revised, summary.unchanged) == (2, 2, 0, 0)
    current = current_observations(engine).sort("period")
    assert current["value"].to_list() == [800.0, 850.0]
    assert current["real_growth"].to_list() == [None, 0.07]
    assert current["month"].to_list() == [None, None]


def test_a_revision_is_a_new_version_not_an_overwrite(engine):
    save(engine, obs(2021, 800.0), obs(2022, 850.0), name="first.csv")
    summary = save(engine, obs(2021, 805.0), obs(2022, 850.0), name="second.csv")
    assert (summary.new, summary.revised, summary.unchanged) == (0, 1, 1)
    assert current_observations(engine).filter(pl.col("period") == "2021")["value"].to_list() == [805.0]
    versions = history(engine, plan="p", indicator="x", org_unit="330800")
    assert versions.filter(pl.col("period") == "2021").select("version", "value", "file_name").rows() == [
        (1, 800.0, "first.csv"), (2, 805.0, "second.csv")]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(observation_versions)).scalar() == 3


def test_dry_run_reports_changes_and_stores_nothing(engine):
    save(engine, obs(2021, 800.0))
    summary = dry_run(engine, observations(obs(2021, 810.0), obs(2022, 900.0)))
    assert (summary.new, summary.revised, summary.unchanged) == (1, 1, 0)
    revised = summary.changes.filter(pl.col("change") == "revised").row(0, named=True)
    assert (revised["old_value"], revised["value"]) == (800.0, 810.0)
    assert current_observations(engine)["value"].to_list() == [800.0]
    assert len(list_imports(engine)) == 1


def test_import_log_counts(engine):
    save(engine, obs(2021, 800.0), name="a.csv")
    save(engine, obs(2021, 800.0), obs(2021, 400.0, month=6), name="b.xlsx")
    log = list_imports(engine)
    assert [(r["file_name"], r["new"], r["unchanged"], r["imported_by"]) for r in log] == [
        ("b.xlsx", 1, 1, "tester"), ("a.csv", 1, 0, "tester")]


def test_catalog_snapshot_is_replaced_on_sync(engine, catalog):
    written = sync_catalog(engine, catalog)
    assert written == len(catalog.indicators())
    sync_catalog(engine, catalog)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(indicators)).scalar() == written


def test_every_import_is_audited(engine):
    from commerce_brain.store.audit import events, verify

    save(engine, obs(2021, 800.0), name="a.csv")
    save(engine, obs(2021, 805.0), name="b.csv")
    logged = events(engine)
    assert [(e["action"], e["object"], e["detail"]["revised"]) for e in logged] == [
        ("import_actuals", "b.csv", 1), ("import_actuals", "a.csv", 0)]
    assert verify(engine).ok
