"""The foreign-investment pipeline engine (外资项目全流程跟踪). Pure and columnar: frames in, frames out.

Input: ``projects`` (PROJECT_SCHEMA, one row per pipeline project) and ``stage_dates``
(STAGE_DATE_SCHEMA, one row per project × stage with a planned and an actual date), both as the
store or the import gives them, and the review date ``as_of``. A stage *happened* when its actual
date is on or before ``as_of`` (a date after it has not happened yet, seen from that day).

- **Current stage**: the last stage (in catalog order) that happened; none before the signing.
- **Overdue stage**: a stage that has not happened whose planned date is more than
  ``overdue_grace_days`` before ``as_of``; ``days_overdue`` counts from the planned date. The
  level is yellow up to ``red_after_days`` days, red beyond.
- **落地 (landed)**: every landing stage (catalog ``landed``: 注册 and 到资) happened.
- **Due to land**: signed, and either landed or the later of its planned landing dates is overdue
  (the day a not-yet-landed project's landing becomes overdue, it counts).
- **落地率** per org unit = landed ÷ due to land (null when none is due); **到资率** = arrived ÷
  contracted foreign capital of the signed projects (integer US dollars; null when none
  contracted). The capital figures are the ones last reported, not dated.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from .fdi_catalog import FdiCatalog
from .warning_rows import WARNING_COLUMNS

PROJECT_SCHEMA = {
    "project_id": pl.String, "name_zh": pl.String, "org_unit": pl.String, "industry": pl.String,
    "investor_name": pl.String, "investor_country": pl.String, "investor_fortune500": pl.Boolean,
    "contracted_usd": pl.Int64, "arrived_usd": pl.Int64, "next_step_owner": pl.String,
}
STAGE_DATE_SCHEMA = {"project_id": pl.String, "stage": pl.String, "planned_date": pl.Date,
                     "actual_date": pl.Date}
NOT_SIGNED = "not_signed"
NOT_SIGNED_ZH = "洽谈中（未签约）"
LEVEL_ZH = {"yellow": "黄色", "red": "红色"}
DETECTOR = "fdi_stage_overdue"
DETECTOR_ZH = {DETECTOR: "外资项目环节逾期"}


def _flagged(dates: pl.DataFrame, catalog: FdiCatalog, as_of: date) -> pl.DataFrame:
    """The rows of ``dates`` (any frame with STAGE_DATE_SCHEMA's columns) with the stage's facts
    and ``done``, ``overdue``, ``days_overdue``, ``level``. A stage with no row has no dates: it is
    neither done nor overdue."""
    late = (pl.lit(as_of) - pl.col("planned_date")).dt.total_days()
    done = (pl.col("actual_date") <= pl.lit(as_of)).fill_null(False)
    overdue = (~done & (late > catalog.settings.overdue_grace_days)).fill_null(False)
    stages = catalog.stages.select("stage", "stage_zh", "stage_order", "skippable", "landing")
    return (dates.join(stages, on="stage", how="left")
            .with_columns(done=done, overdue=overdue)
            .with_columns(days_overdue=pl.when("overdue").then(late))
            .with_columns(level=_level(pl.col("days_overdue"), catalog)))


def stage_table(stage_dates: pl.DataFrame, catalog: FdiCatalog, as_of: date) -> pl.DataFrame:
    """One row per project × stage of the catalog (stages a file left blank included): planned
    and actual date, ``done`` (happened by ``as_of``), ``overdue``, ``days_overdue`` and
    ``level`` (null unless overdue)."""
    grid = stage_dates.select("project_id").unique().join(catalog.stages.select("stage"), how="cross")
    dates = grid.join(stage_dates.select(list(STAGE_DATE_SCHEMA)), on=["project_id", "stage"], how="left")
    return _flagged(dates, catalog, as_of).sort("project_id", "stage_order")


def pipeline_status(projects: pl.DataFrame, stage_dates: pl.DataFrame, catalog: FdiCatalog,
                    as_of: date) -> pl.DataFrame:
    """One row per project: its facts, ``current_stage`` (code, ``not_signed`` before the signing),
    ``current_stage_zh``, ``current_order`` (0 unsigned), ``signed``, ``landed``, ``landed_on``,
    ``planned_landing``, ``due_to_land``, ``overdue_count``, the first overdue stage
    (``overdue_stage``, ``overdue_stage_zh``, ``overdue_planned``), ``days_overdue`` (the most)
    and ``level`` (null when nothing is overdue)."""
    # Only the rows a project has: a stage without dates changes none of these figures.
    stages = _flagged(stage_dates.select(list(STAGE_DATE_SCHEMA)), catalog, as_of)
    first = catalog.stage_codes[0]
    grace = catalog.settings.overdue_grace_days
    landing, done, overdue = pl.col("landing"), pl.col("done"), pl.col("overdue")
    first_late = pl.col("stage_order").filter(overdue).min()
    per_project = stages.group_by("project_id").agg(
        current_order=pl.col("stage_order").filter(done).max().fill_null(0),
        signed=done.filter(pl.col("stage") == first).any(),
        landed=(done & landing).sum() == len(catalog.landed),
        landed_on=pl.col("actual_date").filter(landing & done).max(),
        planned_landing=pl.col("planned_date").filter(landing).max(),
        overdue_count=overdue.sum().cast(pl.Int64),
        overdue_order=first_late,
        overdue_planned=pl.col("planned_date").filter(overdue & (pl.col("stage_order") == first_late)).first(),
        days_overdue=pl.col("days_overdue").max(),
    )
    landing_late = (pl.lit(as_of) - pl.col("planned_landing")).dt.total_days() > grace
    names = catalog.stages.select(current_order="stage_order", current_stage="stage", current_stage_zh="stage_zh")
    late_names = catalog.stages.select(overdue_order="stage_order", overdue_stage="stage", overdue_stage_zh="stage_zh")
    return (projects.select(list(PROJECT_SCHEMA))
            .join(per_project, on="project_id", how="left")
            .with_columns(pl.col("current_order").fill_null(0), pl.col("signed").fill_null(False),
                          pl.col("landed").fill_null(False), pl.col("overdue_count").fill_null(0))
            .with_columns(landed=pl.col("landed") & pl.col("signed"))
            .join(names, on="current_order", how="left")
            .join(late_names, on="overdue_order", how="left")
            .with_columns(current_stage=pl.col("current_stage").fill_null(NOT_SIGNED),
                          current_stage_zh=pl.col("current_stage_zh").fill_null(NOT_SIGNED_ZH),
                          due_to_land=pl.col("signed") & (pl.col("landed") | landing_late.fill_null(False)),
                          level=_level(pl.col("days_overdue"), catalog))
            .drop("overdue_order")
            .sort("project_id"))


def _level(days_overdue: pl.Expr, catalog: FdiCatalog) -> pl.Expr:
    """red past ``red_after_days``, yellow when overdue at all, null otherwise."""
    return (pl.when(days_overdue > catalog.settings.red_after_days).then(pl.lit("red"))
            .when(days_overdue.is_not_null()).then(pl.lit("yellow")))


def county_rates(status: pl.DataFrame) -> pl.DataFrame:
    """Per org unit: ``projects``, ``signed``, ``due_to_land``, ``landed`` (among the due: a landed
    project is always due), ``landing_rate`` = landed ÷ due, ``contracted_usd`` and ``arrived_usd``
    of the signed projects and ``arrival_rate`` = arrived ÷ contracted; the rates are fractions,
    null when their divisor is 0; ``worst_level``: red or yellow when any of its projects has a
    stage overdue at that level (null when none). Sorted by org unit."""
    signed = pl.col("signed")
    return (status.group_by("org_unit").agg(
        projects=pl.len().cast(pl.Int64),
        signed=signed.sum().cast(pl.Int64),
        due_to_land=pl.col("due_to_land").sum().cast(pl.Int64),
        landed=(pl.col("landed") & pl.col("due_to_land")).sum().cast(pl.Int64),
        overdue_projects=(pl.col("overdue_count") > 0).sum().cast(pl.Int64),
        contracted_usd=pl.col("contracted_usd").filter(signed).sum().cast(pl.Int64),
        arrived_usd=pl.col("arrived_usd").filter(signed).sum().cast(pl.Int64),
        worst_level=pl.when((pl.col("level") == "red").any()).then(pl.lit("red"))
        .when((pl.col("level") == "yellow").any()).then(pl.lit("yellow")),
    ).with_columns(_rates()).sort("org_unit"))


def total_rates(status: pl.DataFrame) -> dict:
    """The same figures as ``county_rates`` over every row of ``status`` (the board's 合计)."""
    whole = county_rates(status.with_columns(org_unit=pl.lit("")))
    if whole.is_empty():
        return {"projects": 0, "signed": 0, "due_to_land": 0, "landed": 0, "overdue_projects": 0,
                "contracted_usd": 0, "arrived_usd": 0, "worst_level": None, "landing_rate": None,
                "arrival_rate": None}
    return whole.drop("org_unit").row(0, named=True)


def _rates() -> list[pl.Expr]:
    # Ratios for display, not money: the amounts stay integer dollars.
    return [
        pl.when(pl.col("due_to_land") > 0).then(pl.col("landed") / pl.col("due_to_land")).alias("landing_rate"),
        pl.when(pl.col("contracted_usd") > 0).then(pl.col("arrived_usd") / pl.col("contracted_usd"))
        .alias("arrival_rate"),
    ]


def pipeline_counts(status: pl.DataFrame, catalog: FdiCatalog) -> pl.DataFrame:
    """Per stage (``not_signed`` first, then the catalog's order): how many projects stand there
    (``projects``) and how many of those have an overdue stage (``overdue``)."""
    columns = pl.concat([
        pl.DataFrame({"stage": [NOT_SIGNED], "stage_zh": [NOT_SIGNED_ZH], "stage_order": [0]},
                     schema={"stage": pl.String, "stage_zh": pl.String, "stage_order": pl.Int64}),
        catalog.stages.select("stage", "stage_zh", "stage_order"),
    ])
    counts = status.group_by(stage="current_stage").agg(
        projects=pl.len().cast(pl.Int64), overdue=(pl.col("overdue_count") > 0).sum().cast(pl.Int64))
    return (columns.join(counts, on="stage", how="left")
            .with_columns(pl.col("projects", "overdue").fill_null(0)).sort("stage_order"))


def investors(status: pl.DataFrame) -> pl.DataFrame:
    """客商库: one row per investor (by name): country or region, 世界500强, how many projects, in
    which org units (sorted, joined with 、 by the caller's names), contracted and arrived capital
    and how many of its projects landed."""
    return (status.group_by("investor_name").agg(
        investor_country=pl.col("investor_country").first(),
        investor_fortune500=pl.col("investor_fortune500").any(),
        projects=pl.len().cast(pl.Int64),
        landed=pl.col("landed").sum().cast(pl.Int64),
        org_units=pl.col("org_unit").unique().sort(),
        project_ids=pl.col("project_id").sort(),
        contracted_usd=pl.col("contracted_usd").sum().cast(pl.Int64),
        arrived_usd=pl.col("arrived_usd").sum().cast(pl.Int64),
    ).sort(["contracted_usd", "investor_name"], descending=[True, False]))


def fdi_warning_rows(status: pl.DataFrame, catalog: FdiCatalog, as_of: date) -> pl.DataFrame:
    """One warning per project with an overdue stage, in the WARNING ROW SHAPE that
    ``followup.raise_warnings`` takes: source 'fdi', detector ``fdi_stage_overdue``, the project as
    subject, its org unit, the next step's owner as responsible unit, the level of its most overdue
    stage, a Chinese reason with the figures, the review month as period, and a due date
    ``answer_within_days`` after ``as_of``."""
    late = status.filter(pl.col("overdue_count") > 0)
    others = pl.col("overdue_count") - 1
    reason = pl.concat_str([
        pl.lit("外资项目“"), pl.col("name_zh"), pl.lit("”"), pl.col("overdue_stage_zh"),
        pl.lit("环节计划于 "), pl.col("overdue_planned").dt.strftime("%Y-%m-%d"),
        pl.lit(" 完成，至 "), pl.lit(as_of.isoformat()), pl.lit(" 已逾期 "),
        pl.col("days_overdue").cast(pl.String), pl.lit(" 天"),
        pl.when(others > 0).then(pl.concat_str([pl.lit("（另有 "), others.cast(pl.String), pl.lit(" 个环节逾期）")]))
        .otherwise(pl.lit("")),
        pl.lit("；当前环节："), pl.col("current_stage_zh"),
    ])
    return late.select(
        source=pl.lit("fdi"), detector=pl.lit(DETECTOR), subject_kind=pl.lit("fdi_project"),
        subject_id=pl.col("project_id"), subject_name=pl.col("name_zh"), org_unit=pl.col("org_unit"),
        responsible_unit=pl.col("next_step_owner"), level=pl.col("level"), reason=reason,
        period=pl.lit(as_of.strftime("%Y-%m")),
        due_date=pl.lit(as_of + timedelta(days=catalog.settings.answer_within_days), pl.Date),
    ).select(WARNING_COLUMNS)
