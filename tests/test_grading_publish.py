"""Publishing a grading (SQLite and PostgreSQL): the classes, re-grades applied, become the
enterprises' yearly fact ``mu_class`` (versioned enterprise data, audited), a policy rule reads
them, and an allocation takes a stored class where the applications file gives none."""

from __future__ import annotations

import polars as pl
import pytest

from grading_frames import firm, frame
from test_fact_registry import class_awards, class_catalog
from commerce_brain import grading_board as gb
from commerce_brain.access import Scope, User
from commerce_brain.fulfilment.data import load_policy_data, save_policy_data
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.catalog import load_policy_catalog
from commerce_brain.policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA
from commerce_brain.store.audit import events, verify
from commerce_brain.store.schema import connect
from commerce_brain.uscc import make_uscc

YEAR = 2023
OFFICER = User(1, "officer", "资管办", "policy_officer")
OTHER_OFFICER = User(2, "officer2", "资管办二", "policy_officer")
CODES = [make_uscc(f"913308025MA0G{i:04d}") for i in range(10)]


def stored_city(engine) -> None:
    """Ten 规上 enterprises of 柯城区 on 15 亩 each, their taxes falling with their number."""
    rows = [firm(code, tax_wan=300 - 20 * i, land_mu=15) for i, code in enumerate(CODES)]
    wide = frame(*rows).with_columns(pl.lit(YEAR, pl.Int32).alias("year"))
    enterprises = wide.with_columns(pl.lit(False).alias(c) for c in ENTERPRISE_SCHEMA if c not in wide.columns)
    facts = wide.select([c for c in FACT_SCHEMA if c in wide.columns])
    save_policy_data(engine, PolicyData(enterprises.select(list(ENTERPRISE_SCHEMA)).cast(ENTERPRISE_SCHEMA), facts,
                                        pl.DataFrame(schema=EVENT_SCHEMA)), actor="loader")


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    stored_city(engine)
    yield engine
    engine.dispose()


def test_the_published_classes_are_the_facts_a_rule_reads(engine, tmp_path):
    gb.run_evaluation(engine, year=YEAR, actor=OFFICER)
    graded = gb.latest_grading(engine, year=YEAR, scope=Scope())
    assert graded.height == 10 and set(graded["class"]) >= {"A", "B"}
    last = graded.sort("total")["uscc"][0]
    gb.regrade(engine, year=YEAR, uscc=last, to_class="A", reason="复核后调整", actor=OFFICER)
    publication = gb.publish_classes(engine, year=YEAR, actor=OTHER_OFFICER)

    classes = dict(gb.latest_grading(engine, year=YEAR, scope=Scope()).select("uscc", "class").iter_rows())
    facts = load_policy_data(engine).facts.filter(pl.col("year") == YEAR)
    assert dict(facts.select("uscc", "mu_class").iter_rows()) == classes
    assert classes[last] == "A"
    # Only the class was written: every other fact of those enterprise-years is as it was.
    assert facts.sort("uscc")["tax_paid"].to_list() == [r["tax_paid"] for r in sorted(
        (firm(c, tax_wan=300 - 20 * i, land_mu=15) for i, c in enumerate(CODES)), key=lambda r: r["uscc"])]
    published = events(engine, action="grading.publish")[0]
    assert published["object"] == f"grading_publication:{publication}" and published["actor"] == "officer2"
    saved = events(engine, action="enterprise_data.save")[0]
    assert saved["object"] == f"enterprise_import:{published['detail']['fact_import_id']}"
    assert verify(engine).ok

    # A rule that reads the class (1万 to an A-class 规上 enterprise on at least 12.5 亩) pays exactly the A class.
    policies = load_policy_catalog(class_catalog(tmp_path / "catalog"))
    assert sorted(class_awards(load_policy_data(engine), policies)) == sorted(u for u, c in classes.items() if c == "A")


def test_an_allocation_takes_the_published_class_for_its_uplift(engine, tmp_path):
    from commerce_brain.grading.pot import POTS_DIR, load_pot
    from commerce_brain.io.applications_import import read_applications

    gb.run_evaluation(engine, year=YEAR, actor=OFFICER)
    gb.publish_classes(engine, year=YEAR, actor=OFFICER)
    classes = gb.published_classes(engine, YEAR)
    a_class = classes.filter(pl.col("mu_class") == "A")["uscc"][0]
    other = classes.filter(pl.col("mu_class") != "A")["uscc"][0]
    pot = load_pot(POTS_DIR / "qz2019_art5_general_upgrading.yaml")  # rate 10%, A class +2 points
    path = tmp_path / "申报.csv"
    path.write_text("id,uscc,kind,eligible_investment_yuan,score\n"
                    f"1,{a_class},process,1000000,80\n2,{other},process,1000000,70\n", encoding="utf-8")
    rows = read_applications(path, pot, classes=classes)
    assert dict(rows.select("id", "requested_fen").iter_rows()) == {"1": 12_000_000, "2": 10_000_000}
    allocation_id = gb.record_allocation(engine, pot=pot, applications=rows, file_name=path.name, sha256="-",
                                         actor=OFFICER)
    shown = gb.allocation_view(engine, allocation_id, Scope(uscc=a_class))
    assert [a["requested_fen"] for a in shown["result"]["applications"]] == [12_000_000]
    assert shown["pot_name"] == pot.name
