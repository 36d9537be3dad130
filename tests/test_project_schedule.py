"""序时进度, lights, roll-ups and warning rows on hand-worked cases, every rule at its boundary."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from commerce_brain.projects.catalog import PROJECT_SCHEMA, ProjectSettings
from commerce_brain.projects.rollup import rollup
from commerce_brain.projects.schedule import STATUS_COLUMNS, parse_month, project_status
from commerce_brain.projects.warning_rows import WARNING_COLUMNS, warning_candidates

SETTINGS = ProjectSettings()


def _projects(*rows):
    """Projects (id, start, end, unit, org unit) with 10 亿 total and plan-period investment."""
    return pl.DataFrame([
        (pid, 13, n, f"项目{pid}", start, end, 100_000, 100_000, unit, org, "引文", "catalog")
        for n, (pid, start, end, unit, org) in enumerate(rows, start=1)], schema=PROJECT_SCHEMA, orient="row")


def _reports(*rows):
    """Reports (project, month, annual plan 万元, completed ytd 万元, stage)."""
    return pl.DataFrame([(p, m, plan, None, ytd, stage) for p, m, plan, ytd, stage in rows],
                        schema={"project_id": pl.String, "month": pl.String, "annual_plan_wan": pl.Int64,
                                "completed_month_wan": pl.Int64, "completed_ytd_wan": pl.Int64, "stage": pl.String},
                        orient="row")


def _one(ytd, plan=12_000, month="2023-10", stage="under_construction", start=2021, end=2025, settings=SETTINGS):
    status = project_status(_projects(("p", start, end, "柯城区政府", "330802")),
                            _reports(("p", month, plan, ytd, stage)), month, settings)
    return status.row(0, named=True)


def test_october_at_97_2_percent_is_13_9_points_ahead():
    row = _one(9_720, plan=10_000)
    assert row["schedule_gap"] == 0.139
    assert (row["light"], row["light_rule"]) == ("green", "on_schedule")
    assert row["reason"] == "年度计划投资完成 97%，时间进度 83%，超前 14 个百分点"
    assert row["ytd_share"] == pytest.approx(0.972) and row["time_share"] == pytest.approx(10 / 12)


@pytest.mark.parametrize(("ytd", "light", "rule"), [
    # October, plan 12,000 万元: time share 10/12, so ytd 9,400 is a gap of exactly −0.05 …
    (9_400, "green", "on_schedule"),
    (9_399, "yellow", "behind"),       # … just below it,
    (8_200, "yellow", "behind"),       # exactly −0.15,
    (8_199, "red", "far_behind"),      # just below −0.15,
    (10_000, "green", "on_schedule"),  # exactly on the time share,
    (20_000, "green", "on_schedule"),  # far ahead.
])
def test_gap_boundaries_are_exact(ytd, light, rule):
    row = _one(ytd)
    assert (row["light"], row["light_rule"]) == (light, rule)


def test_margins_come_from_the_settings():
    strict = ProjectSettings(green_from=Decimal("0"), red_below=Decimal("-0.02"))
    assert _one(10_000, settings=strict)["light"] == "green"
    assert _one(9_999, settings=strict)["light"] == "yellow"
    assert _one(9_760, settings=strict)["light"] == "yellow"   # exactly −0.02
    assert _one(9_759, settings=strict)["light"] == "red"


def test_not_started_past_the_start_year_is_red_whatever_the_gap():
    row = _one(12_000, stage="not_started", start=2022)
    assert (row["light"], row["light_rule"]) == ("red", "not_started")
    assert row["reason"].startswith("计划 2022 年开工，2023-10 仍未开工；")
    # In its start year it is judged by the gap alone.
    assert _one(12_000, stage="not_started", start=2023)["light"] == "green"


def test_not_completed_past_the_end_year_is_red():
    row = _one(12_000, end=2022)
    assert (row["light"], row["light_rule"]) == ("red", "not_finished")
    assert "计划 2022 年竣工，2023-10 尚未竣工" in row["reason"]
    assert _one(12_000, end=2022, stage="completed")["light"] == "green"
    assert _one(12_000, end=2023)["light"] == "green"  # its end year is not over yet


def test_no_report_is_none_and_a_report_of_another_month_does_not_count():
    status = project_status(_projects(("a", 2021, 2025, "柯城区政府", "330802"), ("b", 2021, 2025, "衢江区政府", "330803")),
                            _reports(("a", "2023-09", 12_000, 9_000, "under_construction")), "2023-10", SETTINGS)
    assert status["light"].to_list() == ["none", "none"]
    assert status["reason"][0] == "2023-10 未报送项目进度"
    assert status["schedule_gap"].to_list() == [None, None]
    assert status.columns == STATUS_COLUMNS


def test_no_planned_investment_this_year_has_no_gap_and_is_not_behind():
    row = _one(0, plan=0)
    assert (row["light"], row["light_rule"], row["schedule_gap"]) == ("green", "no_plan", None)
    assert row["reason"] == "本年度无计划投资"


def test_plan_period_figures_sum_each_years_last_ytd():
    projects = _projects(("p", 2021, 2025, "柯城区政府", "330802"))
    reports = _reports(("p", "2021-12", 20_000, 18_000, "under_construction"),
                       ("p", "2022-06", 20_000, 9_000, "under_construction"),
                       ("p", "2022-11", 20_000, 19_000, "under_construction"),
                       ("p", "2023-03", 30_000, 6_000, "under_construction"),
                       ("p", "2023-04", 30_000, 9_000, "under_construction"),  # after the month asked
                       ("p", "2020-12", 5_000, 5_000, "under_construction"))   # before the plan period
    row = project_status(projects, reports, "2023-03", SETTINGS).row(0, named=True)
    assert row["period_completed_wan"] == 18_000 + 19_000 + 6_000
    assert row["period_share"] == pytest.approx(43_000 / 100_000)
    assert row["period_time_share"] == pytest.approx((24 + 3) / 60)


def test_parse_month_refuses_bad_months():
    assert parse_month("2023-10") == (2023, 10)
    for bad in ("2023-13", "2023-1", "23-10", "2023/10", "2023-00", ""):
        with pytest.raises(ValueError):
            parse_month(bad)


def _month_status():
    projects = _projects(("g", 2021, 2025, "柯城区政府", "330802"), ("y", 2021, 2025, "柯城区政府", "330802"),
                         ("r", 2021, 2025, "衢江区政府、龙游县政府", "330803"), ("s", 2021, 2025, "衢江区政府", "330803"),
                         ("f", 2020, 2022, "衢江区政府", "330803"), ("n", 2021, 2025, "龙游县政府", "330825"))
    reports = _reports(("g", "2023-10", 12_000, 10_000, "under_construction"),
                       ("y", "2023-10", 12_000, 9_000, "under_construction"),
                       ("r", "2023-10", 12_000, 1_000, "under_construction"),
                       ("s", "2023-10", 12_000, 0, "not_started"),
                       ("f", "2023-10", 1_000, 500, "under_construction"))
    return project_status(projects, reports, "2023-10", SETTINGS)


def test_rollups_count_lights_and_sum_amounts():
    status = _month_status()
    assert status["light"].to_list() == ["green", "yellow", "red", "red", "red", "none"]
    by_org = {r["key"]: r for r in rollup(status, "org_unit").iter_rows(named=True)}
    assert (by_org["330802"]["green"], by_org["330802"]["yellow"], by_org["330802"]["projects"]) == (1, 1, 2)
    assert by_org["330802"]["annual_plan_wan"] == 24_000 and by_org["330802"]["completed_ytd_wan"] == 19_000
    assert (by_org["330803"]["red"], by_org["330803"]["annual_plan_wan"]) == (3, 25_000)
    assert (by_org["330825"]["none"], by_org["330825"]["annual_plan_wan"], by_org["330825"]["completed_share"]) \
        == (1, 0, None)
    by_unit = {r["key"]: r for r in rollup(status, "responsible_unit").iter_rows(named=True)}
    # “衢江区政府、龙游县政府” counts for both units.
    assert by_unit["龙游县政府"]["projects"] == 2 and by_unit["龙游县政府"]["red"] == 1
    assert by_unit["衢江区政府"]["red"] == 3
    by_column = rollup(status, "column").row(0, named=True)
    assert (by_column["key"], by_column["projects"], by_column["red"]) == ("13", 6, 3)
    with pytest.raises(ValueError):
        rollup(status, "name_zh")


def test_warning_candidates_one_per_yellow_or_red_project():
    warnings = warning_candidates(_month_status(), SETTINGS, date(2023, 11, 5))
    assert warnings.columns == WARNING_COLUMNS
    got = {r["subject_id"]: r for r in warnings.iter_rows(named=True)}
    assert set(got) == {"y", "r", "s", "f"}
    assert (got["y"]["detector"], got["y"]["level"]) == ("schedule_behind", "yellow")
    assert (got["r"]["detector"], got["r"]["level"]) == ("schedule_behind", "red")
    assert got["s"]["detector"] == "not_started" and got["f"]["detector"] == "not_finished"
    assert got["r"]["responsible_unit"] == "衢江区政府、龙游县政府"
    assert {r["period"] for r in got.values()} == {"2023-10"}
    assert {r["due_date"] for r in got.values()} == {date(2023, 11, 20)}
    assert got["y"]["reason"] == "年度计划投资完成 75%，时间进度 83%，落后 8 个百分点"
    assert {r["source"] for r in got.values()} == {"projects"}
