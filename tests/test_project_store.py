"""Project reports in the store, on SQLite and PostgreSQL: versions, the import log, extra
projects, the page's single report (scope, capability, the file's rules) and the audit events
written with each change."""

import polars as pl
import pytest

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.io.project_reports_import import EXTRA_SCHEMA, REPORTS_SCHEMA
from commerce_brain.project_tracking import month_status
from commerce_brain.projects.catalog import load_project_catalog
from commerce_brain.store.audit import events, verify
from commerce_brain.store.fulfilment_tables import NotAllowed
from commerce_brain.store.project_tables import (
    ProjectNotFound,
    ReportRefused,
    extra_projects,
    list_project_imports,
    newest_reports,
    plan_reports,
    report_history,
    save_report_from_page,
    save_reports,
)
from commerce_brain.store.schema import connect

UNIT = User(id=7, username="qujiang", display_name="衢江区政府", role="project_unit", responsible_unit="衢江区政府")
CITY = User(id=8, username="city", display_name="市商务局", role="city_analyst")
PROJECTS = load_project_catalog().projects


def _reports(*rows):
    return pl.DataFrame([(p, m, plan, None, ytd, stage, None, None, None) for p, m, plan, ytd, stage in rows],
                        schema=REPORTS_SCHEMA, orient="row")


def _save(engine, frame, extra=None, name="r.xlsx"):
    return save_reports(engine, frame, actor="市商务局", import_meta={"file_name": name, "sha256": "0" * 64},
                        extra=extra)


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def test_imports_add_revise_and_keep_versions(engine):
    first = _reports(("zl13-01", "2023-09", 10_000, 8_000, "under_construction"),
                     ("zl13-06", "2023-10", 15_000, 0, "not_started"))
    assert plan_reports(engine, first).counts["reports"] == {"new": 2, "revised": 0, "unchanged": 0}
    assert newest_reports(engine).height == 0  # the dry run stored nothing
    saved = _save(engine, first)
    assert saved.counts["reports"] == {"new": 2, "revised": 0, "unchanged": 0}
    again = _save(engine, _reports(("zl13-01", "2023-09", 10_000, 8_000, "under_construction"),
                                   ("zl13-06", "2023-10", 15_000, 1_000, "under_construction")))
    assert again.counts["reports"] == {"new": 0, "revised": 1, "unchanged": 1}
    newest = newest_reports(engine, month="2023-10").row(0, named=True)
    assert (newest["version"], newest["completed_ytd_wan"], newest["stage"], newest["import_id"]) == \
        (2, 1_000, "under_construction", again.import_id)
    history = report_history(engine, "zl13-06")
    assert history["version"].to_list() == [2, 1] and history["completed_ytd_wan"].to_list() == [1_000, 0]
    logged = list_project_imports(engine)
    assert [(i["reports_new"], i["reports_revised"], i["reports_unchanged"]) for i in logged] == [(0, 1, 1), (2, 0, 0)]
    saves = events(engine, action="project_reports.save")
    assert [e["object"] for e in saves] == [f"project_import:{again.import_id}", f"project_import:{saved.import_id}"]
    assert saves[0]["detail"]["reports"] == {"new": 0, "revised": 1, "unchanged": 1}
    assert verify(engine).ok


def test_extra_projects_are_versioned_and_join_the_catalog(engine):
    extra = pl.DataFrame([("kp-001", "城东冷链物流中心", 2023, 2025, 60_000, 60_000, "衢江区政府", "330803")],
                         schema=EXTRA_SCHEMA, orient="row")
    _save(engine, _reports(("kp-001", "2023-10", 20_000, 18_000, "under_construction")), extra)
    revised = extra.with_columns(pl.lit(70_000, pl.Int64).alias("total_investment_wan"))
    assert _save(engine, _reports(), revised).counts["projects"] == {"new": 0, "revised": 1, "unchanged": 0}
    stored = extra_projects(engine)
    assert stored.rows() == revised.rows()
    _, status = month_status(engine, "2023-10")
    row = status.filter(pl.col("id") == "kp-001").row(0, named=True)
    assert (row["light"], row["schedule_gap"]) == ("green", 0.067)


def test_a_failed_import_stores_nothing_and_writes_no_event(engine):
    bad = _reports(("zl13-01", "2023-10", 10_000, 8_000, "finished"))  # past the check constraint
    with pytest.raises(Exception):
        _save(engine, bad)
    assert newest_reports(engine).height == 0 and list_project_imports(engine) == []
    assert events(engine, action="project_reports.save") == []


def test_newest_reports_by_scope_fail_closed(engine):
    _save(engine, _reports(("zl13-05", "2023-10", 10_000, 8_000, "under_construction"),   # 衢江区政府
                           ("zl13-04", "2023-10", 10_000, 8_000, "under_construction"),   # 柯城区政府
                           ("zl16-08", "2023-10", 10_000, 8_000, "under_construction")))  # 衢江区政府、龙游县政府
    mine = newest_reports(engine, scope=Scope(units=frozenset({"衢江区政府"})), projects=PROJECTS)
    assert sorted(mine["project_id"]) == ["zl13-05", "zl16-08"]
    county = newest_reports(engine, scope=Scope(org_units=frozenset({"330802"})), projects=PROJECTS)
    assert county["project_id"].to_list() == ["zl13-04"]
    assert newest_reports(engine, scope=Scope(uscc="91330802MA2G000117"), projects=PROJECTS).height == 0


def _form(**changes):
    texts = {"project": "zl13-05", "month": "2023-10", "annual_plan_yi": "1", "completed_ytd_yi": "0.5",
             "stage": "under_construction", "problems": "征地未完成", "problem_owner": "衢江区政府"}
    texts.update(changes)
    return texts


def test_the_responsible_unit_enters_its_projects_report(engine):
    scope = Scope(units=frozenset({"衢江区政府"}))
    entered = save_report_from_page(engine, _form(), actor=UNIT, scope=scope, projects=PROJECTS)
    assert (entered.version, entered.changed) == (1, True)
    same = save_report_from_page(engine, _form(), actor=UNIT, scope=scope, projects=PROJECTS)
    assert (same.version, same.changed) == (1, False)
    revised = save_report_from_page(engine, _form(completed_ytd_yi="0.6"), actor=UNIT, scope=scope, projects=PROJECTS)
    assert (revised.version, revised.changed) == (2, True)
    row = newest_reports(engine, month="2023-10").row(0, named=True)
    assert (row["completed_ytd_wan"], row["entered_by"], row["import_id"], row["problems"]) == \
        (6_000, "qujiang", None, "征地未完成")
    entered_events = events(engine, action="project_report.enter")
    assert len(entered_events) == 2 and entered_events[0]["object"] == "project:zl13-05"
    assert entered_events[0]["detail"]["completed_ytd_wan"] == 6_000


def test_the_page_refuses_what_the_file_refuses_and_hides_other_units_projects(engine):
    scope = Scope(units=frozenset({"衢江区政府"}))
    save_report_from_page(engine, _form(month="2023-09", completed_ytd_yi="0.8"), actor=UNIT, scope=scope,
                          projects=PROJECTS)
    with pytest.raises(ReportRefused) as caught:
        save_report_from_page(engine, _form(completed_ytd_yi="0.7"), actor=UNIT, scope=scope, projects=PROJECTS)
    assert caught.value.problems[0][0] == "completed_ytd_yi" and "小于 2023-09" in caught.value.problems[0][1]
    with pytest.raises(ReportRefused):
        save_report_from_page(engine, _form(stage="done"), actor=UNIT, scope=scope, projects=PROJECTS)
    # 柯城智尚小微企业园 is 柯城区政府's: answered as if it did not exist, like an unknown id.
    for project in ("zl13-04", "zl99-99"):
        with pytest.raises(ProjectNotFound):
            save_report_from_page(engine, _form(project=project), actor=UNIT, scope=scope, projects=PROJECTS)
    # The city's analyst imports reports but does not enter a unit's report.
    with pytest.raises(NotAllowed):
        save_report_from_page(engine, _form(), actor=CITY, scope=Scope(), projects=PROJECTS)
    assert len(events(engine, action="project_report.enter")) == 1


def test_month_status_from_the_store_with_a_county_scope(engine):
    _save(engine, _reports(("zl13-05", "2023-10", 10_000, 9_720, "under_construction"),
                           ("zl13-04", "2023-10", 10_000, 1_000, "under_construction")))
    catalog = load_catalog()
    _, status = month_status(engine, "2023-10", org_units=frozenset(catalog.subtree("330803")))
    assert set(status["org_unit"]) == {"330803"}
    assert status.filter(pl.col("id") == "zl13-05")["light"][0] == "green"
    _, status = month_status(engine, "2023-10", scope=Scope(units=frozenset({"柯城区政府"})))
    assert set(status["responsible_unit"]) == {"柯城区政府"} and status.height == 7
    assert status.filter(pl.col("light") != "none").select("id", "light").rows() == [("zl13-04", "red")]


def test_the_memoised_status_follows_every_write(engine):
    _save(engine, _reports(("zl13-05", "2023-10", 10_000, 9_720, "under_construction")))
    _, before = month_status(engine, "2023-10")
    _, again = month_status(engine, "2023-10")
    assert again is before  # the same month of the same store: from the memo
    save_report_from_page(engine, _form(completed_ytd_yi="0.1", annual_plan_yi="1"), actor=UNIT,
                          scope=Scope(units=frozenset({"衢江区政府"})), projects=PROJECTS)
    _, after = month_status(engine, "2023-10")
    assert after.filter(pl.col("id") == "zl13-05")["light"][0] == "red"
    assert before.filter(pl.col("id") == "zl13-05")["light"][0] == "green"


def test_storing_reports_raises_the_months_warnings_once(engine, tmp_path):
    from commerce_brain.followup import list_warnings
    from commerce_brain.io.project_reports_import import ProjectReportsFile
    from commerce_brain.project_intake import enter_report, import_reports

    checked = ProjectReportsFile(_reports(("zl13-04", "2023-09", 10_000, 1_000, "under_construction"),
                                          ("zl13-04", "2023-10", 10_000, 2_000, "under_construction"),
                                          ("zl13-05", "2023-10", 10_000, 9_720, "under_construction"),
                                          ("zl13-06", "2023-10", 10_000, 0, "not_started")),
                                 pl.DataFrame(schema=EXTRA_SCHEMA))
    meta = {"file_name": "r.xlsx", "sha256": "0" * 64}
    _, raised = import_reports(engine, checked, actor="市商务局", import_meta=meta)
    assert (raised.new, raised.unchanged) == (2, 0)  # the latest month only: zl13-04 behind, zl13-06 not started
    warnings = list_warnings(engine, Scope(), source="projects")
    assert sorted(zip(warnings["subject_id"], warnings["detector"], warnings["period"])) == [
        ("zl13-04", "schedule_behind", "2023-10"), ("zl13-06", "not_started", "2023-10")]
    assert "落后 63 个百分点" in warnings.filter(pl.col("subject_id") == "zl13-04")["reason"][0]
    _, again = import_reports(engine, checked, actor="市商务局", import_meta=meta)
    assert (again.new, again.unchanged) == (0, 2)
    # The unit's own report of a lagging month raises that month's warnings, once.
    entered, raised = enter_report(engine, _form(completed_ytd_yi="0.1"), actor=UNIT,
                                   scope=Scope(units=frozenset({"衢江区政府"})), projects=PROJECTS)
    assert entered.changed and (raised.new, raised.unchanged) == (1, 2)
    mine = list_warnings(engine, Scope(units=frozenset({"衢江区政府"})), source="projects")
    assert sorted(mine["subject_id"]) == ["zl13-05", "zl13-06"]
    _, nothing = enter_report(engine, _form(completed_ytd_yi="0.1"), actor=UNIT,
                              scope=Scope(units=frozenset({"衢江区政府"})), projects=PROJECTS)
    assert nothing is None
