"""The foreign-investment pipeline engine (projects/fdi.py) on hand-worked cases: the stages in
order, the current stage, overdue stages at their boundaries, 落地率 and 到资率 per county, the
counts per stage, 客商库 and the warning rows; and the catalog refused when it is wrong."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from commerce_brain.catalog import CatalogError
from commerce_brain.projects.fdi import (
    PROJECT_SCHEMA,
    STAGE_DATE_SCHEMA,
    county_rates,
    fdi_warning_rows,
    investors,
    pipeline_counts,
    pipeline_status,
    stage_table,
    total_rates,
)
from commerce_brain.projects.fdi_catalog import FdiSettings, _catalog_dir, load_fdi_catalog
from commerce_brain.projects.warning_rows import WARNING_COLUMNS

AS_OF = date(2026, 6, 30)
FDI = load_fdi_catalog()


def day(n: int) -> date:
    """AS_OF + n days."""
    return AS_OF + timedelta(days=n)


def project(pid: str, org_unit: str = "330802", *, contracted: int = 0, arrived: int = 0,
            investor: str = "甲公司", country: str = "JP", top: bool = False, owner: str | None = "柯城区商务局",
            industry: str = "electronics") -> dict:
    return {"project_id": pid, "name_zh": f"项目{pid}", "org_unit": org_unit, "industry": industry,
            "investor_name": investor, "investor_country": country, "investor_fortune500": top,
            "contracted_usd": contracted, "arrived_usd": arrived, "next_step_owner": owner}


def frames(projects: list[dict], dates: list[tuple]) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (pl.DataFrame(projects, schema=PROJECT_SCHEMA),
            pl.DataFrame(dates, schema=STAGE_DATE_SCHEMA, orient="row"))


def status_of(projects, dates, fdi=FDI, as_of=AS_OF) -> pl.DataFrame:
    return pipeline_status(*frames(projects, dates), fdi, as_of)


# ---- the catalog ----------------------------------------------------------------------------------

def test_the_catalog_has_the_eight_stages_in_order_with_citations():
    assert FDI.stages["stage_zh"].to_list() == ["签约", "注册", "到资", "供地", "开工", "竣工", "投产", "达产"]
    assert FDI.stages["stage_order"].to_list() == list(range(1, 9))
    assert FDI.landed == ("registered", "capital_arrived") and FDI.landed_zh == "注册+到资"
    assert FDI.stages.filter(pl.col("skippable"))["stage_zh"].to_list() == ["供地"]
    # Every stage cites Shaoxing's plan by title and 文号, never the seed file.
    assert all(c.startswith("「") and "《绍兴市商务发展“十四五”规划》（绍政发〔2021〕25号）" in c for c in FDI.stages["citation"])
    assert not any("003_" in c for c in FDI.stages["citation"])
    assert "全流程跟踪" in FDI.citations["mechanism"] and "客商库" in FDI.citations["libraries"]
    assert FDI.settings == FdiSettings(overdue_grace_days=0, red_after_days=30, answer_within_days=15)
    assert FDI.industries["integrated_circuit"] == "集成电路" and FDI.countries["HK"] == "中国香港"


def _broken_catalog(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "catalog" / "projects"
    folder.mkdir(parents=True)
    source = _catalog_dir()
    (folder / "settings.yaml").write_text((source / "settings.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "fdi_stages.yaml").write_text(edit((source / "fdi_stages.yaml").read_text(encoding="utf-8")),
                                            encoding="utf-8")
    return folder


@pytest.mark.parametrize(("edit", "words"), [
    (lambda t: t.replace("    order: 3\n", "    order: 4\n", 1), "order"),
    (lambda t: t.replace("  - code: registered\n", "  - code: signed\n", 1), "twice"),
    (lambda t: t.replace("stages: [registered, capital_arrived]", "stages: [registered, paid]"), "landed"),
    (lambda t: t.replace("stages: [registered, capital_arrived]", "stages: [land_supplied]"), "skippable"),
    (lambda t: t.replace("    citation: {section: 二、（二） 注, quote: 实到外资 72141 万美元}\n", ""), "citation"),
    (lambda t: t.replace("  - {code: JP, name_zh: 日本,", "  - {code: HK, name_zh: 日本,"), "countries"),
])
def test_a_wrong_catalog_is_refused_naming_the_entry(tmp_path, edit, words):
    folder = _broken_catalog(tmp_path, edit)
    with pytest.raises(CatalogError, match=words):
        load_fdi_catalog.__wrapped__(folder)


def test_a_negative_setting_is_refused(tmp_path):
    folder = _broken_catalog(tmp_path, lambda t: t)
    settings = folder / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("red_after_days: 30", "red_after_days: -1"),
                        encoding="utf-8")
    with pytest.raises(CatalogError, match="red_after_days"):
        load_fdi_catalog.__wrapped__(folder)


# ---- current stage --------------------------------------------------------------------------------

def test_the_current_stage_is_the_last_one_that_happened_by_the_review_date():
    dates = [("A", "signed", day(-100), day(-100)), ("A", "registered", day(-50), day(-49)),
             ("A", "capital_arrived", day(-10), day(1)),  # arrives tomorrow: not yet, seen from today
             ("B", "signed", day(10), None),
             ("C", "signed", day(-300), day(-300)), ("C", "registered", day(-290), day(-290)),
             ("C", "capital_arrived", day(-280), day(-280)), ("C", "construction_started", day(-100), day(-100))]
    status = status_of([project("A"), project("B"), project("C")], dates)
    rows = {r["project_id"]: r for r in status.iter_rows(named=True)}
    assert (rows["A"]["current_stage"], rows["A"]["current_stage_zh"], rows["A"]["current_order"]) == ("registered", "注册", 2)
    assert (rows["B"]["current_stage"], rows["B"]["current_stage_zh"], rows["B"]["signed"]) == ("not_signed", "洽谈中（未签约）", False)
    # 供地 skipped (a rented plant): C stands at 开工, landed.
    assert (rows["C"]["current_stage_zh"], rows["C"]["landed"], rows["C"]["landed_on"]) == ("开工", True, day(-280))
    # A day later A's capital has arrived: landed.
    later = status_of([project("A")], dates[:3], as_of=day(1)).row(0, named=True)
    assert (later["current_stage_zh"], later["landed"]) == ("到资", True)


# ---- overdue at the boundaries ----------------------------------------------------------------------

@pytest.mark.parametrize(("planned", "grace", "red_after", "overdue", "days", "level"), [
    (0, 0, 30, False, None, None),        # due today: not overdue
    (-1, 0, 30, True, 1, "yellow"),       # the day after its planned date
    (-30, 0, 30, True, 30, "yellow"),     # 30 days: still yellow
    (-31, 0, 30, True, 31, "red"),        # 31 days: red
    (-5, 5, 30, False, None, None),       # within the grace days
    (-6, 5, 30, True, 6, "yellow"),       # past them: days counted from the planned date
    (-11, 0, 10, True, 11, "red"),        # another red threshold
    (1, 0, 30, False, None, None),        # not yet due
])
def test_a_stage_is_overdue_after_its_planned_date_and_grace(planned, grace, red_after, overdue, days, level):
    fdi = replace(FDI, settings=replace(FDI.settings, overdue_grace_days=grace, red_after_days=red_after))
    dates = pl.DataFrame([("A", "signed", day(-200), day(-200)), ("A", "registered", day(planned), None)],
                         schema=STAGE_DATE_SCHEMA, orient="row")
    row = stage_table(dates, fdi, AS_OF).filter(pl.col("stage") == "registered").row(0, named=True)
    assert (row["overdue"], row["days_overdue"], row["level"]) == (overdue, days, level)


def test_a_stage_done_on_or_before_the_review_date_is_never_overdue_and_one_done_later_is():
    dates = pl.DataFrame([("A", "signed", day(-20), day(-3)), ("B", "signed", day(-20), day(0)),
                          ("C", "signed", day(-20), day(2))], schema=STAGE_DATE_SCHEMA, orient="row")
    table = stage_table(dates, FDI, AS_OF).filter(pl.col("stage") == "signed")
    assert table.select("project_id", "done", "overdue").rows() == [("A", True, False), ("B", True, False),
                                                                     ("C", False, True)]


def test_a_stage_without_a_planned_date_is_not_overdue():
    dates = pl.DataFrame([("A", "signed", None, day(-3))], schema=STAGE_DATE_SCHEMA, orient="row")
    assert not stage_table(dates, FDI, AS_OF)["overdue"].any()


def test_the_project_names_its_first_overdue_stage_and_the_worst_level():
    dates = [("A", "signed", day(-100), day(-100)), ("A", "registered", day(-45), None),
             ("A", "capital_arrived", day(-20), None), ("A", "land_supplied", day(5), None)]
    row = status_of([project("A")], dates).row(0, named=True)
    assert (row["overdue_count"], row["overdue_stage_zh"], row["overdue_planned"]) == (2, "注册", day(-45))
    assert (row["days_overdue"], row["level"]) == (45, "red")


# ---- 落地率 and 到资率 ----------------------------------------------------------------------------------

def test_landing_and_arrival_rates_per_county_hand_worked():
    """柯城区: four signed projects and one not signed.
    K1 landed (registered and capital arrived)                      → due, landed
    K2 signed, landing planned for day −10, not landed               → due, not landed
    K3 signed, landing planned for day +20                           → not yet due
    K4 signed, landed early, before its planned landing (day +60)   → due (landed), landed
    K5 not signed (its 签约 planned in the future)                   → not signed, not due
    落地率 = 2 ÷ 3; capital of the signed: contracted 1,000 + 2,000 + 3,000 + 4,000 = 10,000 万美元 (dollars ×10⁴),
    arrived 500 + 0 + 0 + 4,000 = 4,500 → 到资率 0.45. 衢江区: one signed project, due, not landed → 0 ÷ 1;
    contracted 0 → 到资率 none."""
    wan = 10_000
    projects = [project("K1", contracted=1000 * wan, arrived=500 * wan),
                project("K2", contracted=2000 * wan), project("K3", contracted=3000 * wan),
                project("K4", contracted=4000 * wan, arrived=4000 * wan),
                project("K5", contracted=9000 * wan),
                project("Q1", "330803")]
    dates = [("K1", "signed", day(-200), day(-200)), ("K1", "registered", day(-150), day(-150)),
             ("K1", "capital_arrived", day(-100), day(-90)),
             ("K2", "signed", day(-100), day(-100)), ("K2", "registered", day(-30), day(-30)),
             ("K2", "capital_arrived", day(-10), None),
             ("K3", "signed", day(-10), day(-10)), ("K3", "registered", day(10), None),
             ("K3", "capital_arrived", day(20), None),
             ("K4", "signed", day(-50), day(-50)), ("K4", "registered", day(30), day(-20)),
             ("K4", "capital_arrived", day(60), day(-5)),
             ("K5", "signed", day(30), None),
             ("Q1", "signed", day(-60), day(-60)), ("Q1", "registered", day(-40), None),
             ("Q1", "capital_arrived", day(-1), None)]
    status = status_of(projects, dates)
    due = dict(zip(status["project_id"], status["due_to_land"], strict=True))
    assert due == {"K1": True, "K2": True, "K3": False, "K4": True, "K5": False, "Q1": True}
    rates = {r["org_unit"]: r for r in county_rates(status).iter_rows(named=True)}
    kecheng = rates["330802"]
    assert (kecheng["projects"], kecheng["signed"], kecheng["due_to_land"], kecheng["landed"]) == (5, 4, 3, 2)
    assert kecheng["landing_rate"] == pytest.approx(2 / 3)
    assert (kecheng["contracted_usd"], kecheng["arrived_usd"]) == (10_000 * wan, 4_500 * wan)
    assert kecheng["arrival_rate"] == pytest.approx(0.45)
    qujiang = rates["330803"]
    assert (qujiang["due_to_land"], qujiang["landed"], qujiang["landing_rate"], qujiang["arrival_rate"]) == (1, 0, 0.0, None)
    # K2's 到资 is 10 days late (yellow); Q1's 注册 40 days (red).
    assert (kecheng["worst_level"], qujiang["worst_level"]) == ("yellow", "red")
    total = total_rates(status)
    assert (total["due_to_land"], total["landed"]) == (4, 2) and total["landing_rate"] == pytest.approx(0.5)


def test_due_to_land_at_the_boundary_follows_the_grace_days():
    dates = [("A", "signed", day(-30), day(-30)), ("A", "registered", day(-3), None),
             ("A", "capital_arrived", day(-2), None)]
    assert status_of([project("A")], dates)["due_to_land"].item() is True
    grace = replace(FDI, settings=replace(FDI.settings, overdue_grace_days=2))
    assert status_of([project("A")], dates, fdi=grace)["due_to_land"].item() is False  # 2 days late: within grace
    assert status_of([project("A")], dates, fdi=grace, as_of=day(1))["due_to_land"].item() is True


def test_rates_of_an_empty_pipeline_are_none():
    status = status_of([], [])
    assert county_rates(status).is_empty()
    assert total_rates(status)["landing_rate"] is None and total_rates(status)["projects"] == 0


# ---- counts, investors, warning rows ------------------------------------------------------------------

def test_pipeline_counts_per_stage_with_the_unsigned_first():
    dates = [("A", "signed", day(-10), day(-10)), ("B", "signed", day(-5), None), ("C", "signed", day(5), None)]
    counts = pipeline_counts(status_of([project("A"), project("B"), project("C")], dates), FDI)
    assert counts["stage_zh"].to_list()[:3] == ["洽谈中（未签约）", "签约", "注册"]
    assert counts.height == 9
    assert dict(zip(counts["stage"], counts["projects"], strict=True))["not_signed"] == 2
    assert dict(zip(counts["stage"], counts["overdue"], strict=True)) == {
        "not_signed": 1, **dict.fromkeys(FDI.stage_codes, 0)}
    assert counts["projects"].sum() == 3


def test_investors_group_projects_by_name():
    wan = 10_000
    projects = [project("A", investor="香江", country="HK", contracted=100 * wan, arrived=50 * wan),
                project("B", "330803", investor="香江", country="HK", contracted=300 * wan),
                project("C", investor="莱茵", country="DE", top=True, contracted=50 * wan)]
    dates = [("A", "signed", day(-10), day(-10)), ("B", "signed", day(-10), day(-10)), ("C", "signed", day(9), None)]
    found = investors(status_of(projects, dates))
    assert found["investor_name"].to_list() == ["香江", "莱茵"]  # most contracted capital first
    first = found.row(0, named=True)
    assert (first["projects"], first["org_units"], first["contracted_usd"], first["arrived_usd"]) == (
        2, ["330802", "330803"], 400 * wan, 50 * wan)
    assert found.row(1, named=True)["investor_fortune500"] is True


def test_warning_rows_have_the_shared_shape_one_per_late_project():
    dates = [("A", "signed", day(-100), day(-100)), ("A", "registered", day(-45), None),
             ("A", "capital_arrived", day(-20), None),
             ("B", "signed", day(-3), None),
             ("C", "signed", day(5), None)]
    status = status_of([project("A", owner="衢江区政府"), project("B", owner=None), project("C")], dates)
    rows = fdi_warning_rows(status, FDI, AS_OF)
    assert rows.columns == WARNING_COLUMNS
    assert rows["subject_id"].to_list() == ["A", "B"]
    a, b = rows.row(0, named=True), rows.row(1, named=True)
    assert (a["source"], a["detector"], a["subject_kind"], a["level"], a["responsible_unit"]) == (
        "fdi", "fdi_stage_overdue", "fdi_project", "red", "衢江区政府")
    assert a["reason"] == (f"外资项目“项目A”注册环节计划于 {day(-45)} 完成，至 {AS_OF} 已逾期 45 天"
                           "（另有 1 个环节逾期）；当前环节：签约")
    assert (a["period"], a["due_date"]) == ("2026-06", AS_OF + timedelta(days=15))
    assert (b["level"], b["responsible_unit"]) == ("yellow", None)
    assert "签约环节" in b["reason"] and "另有" not in b["reason"]
