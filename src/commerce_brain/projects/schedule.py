"""序时进度 and lights: where each project stands in a month against its year's planned investment.

For project p in month M = (year Y, month m), from p's report of that month:

    ytd_share    = completed_ytd ÷ annual_plan             (97.2% at the end of October)
    time_share   = m ÷ 12                                  (10/12 = 83.3%)
    schedule_gap = ytd_share − time_share                  (+0.139: 13.9 points ahead)

Lights, with the margins of ``catalog/projects/settings.yaml`` (defaults −0.05 and −0.15):
green when gap ≥ green_from; yellow when red_below ≤ gap < green_from; red when gap < red_below;
red too, whatever the gap, when Y is past the start year and the stage is still ``not_started``
(rule ``not_started``) or Y is past the end year and the stage is not ``completed``
(``not_finished``); ``none`` without a report for M. The comparisons are exact, in integers
(12 × completed − m × plan against 12 × plan × margin), so a gap of exactly −0.05 is green.
A year with no planned investment (annual plan 0) has no gap; only the stage rules can light it.

The plan period: ``period_completed`` sums each year's last year-to-date figure from the plan
period's first year to M; ``period_share`` is that ÷ the plan-period investment and
``period_time_share`` the share of the project's months inside the plan period gone by M.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from .catalog import ProjectSettings

STAGES = ("not_started", "under_construction", "completed")
STAGE_ZH = {"not_started": "未开工", "under_construction": "在建", "completed": "已竣工"}
LIGHTS = ("green", "yellow", "red", "none")
LIGHT_ZH = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "none": "未报送"}
# light_rule codes: which rule set the light.
RULE_ZH = {"on_schedule": "符合序时进度", "behind": "落后序时进度", "far_behind": "严重落后序时进度",
           "not_started": "应开工未开工", "not_finished": "应竣工未竣工", "no_plan": "本年度无计划投资",
           "no_report": "未报送"}
REPORT_COLUMNS = {"project_id": pl.String, "month": pl.String, "annual_plan_wan": pl.Int64,
                  "completed_month_wan": pl.Int64, "completed_ytd_wan": pl.Int64, "stage": pl.String}
STATUS_COLUMNS = [
    "id", "name_zh", "column", "responsible_unit", "org_unit", "month", "annual_plan_wan", "completed_ytd_wan",
    "completed_month_wan", "stage", "ytd_share", "time_share", "schedule_gap", "period_completed_wan",
    "period_share", "period_time_share", "light", "light_rule", "reason",
]
PLAN_PERIOD_START = 2021
PLAN_PERIOD_END = 2025


def parse_month(month: str) -> tuple[int, int]:
    """'2023-10' → (2023, 10); ValueError for anything else."""
    year, sep, mon = month.partition("-")
    if not (sep and len(year) == 4 and year.isdigit() and len(mon) == 2 and mon.isdigit() and 1 <= int(mon) <= 12):
        raise ValueError(f"month must be YYYY-MM: {month!r}")
    return int(year), int(mon)


def project_status(projects: pl.DataFrame, reports: pl.DataFrame, month: str,
                   settings: ProjectSettings) -> pl.DataFrame:
    """One row per project (STATUS_COLUMNS) for ``month``: figures, light, rule and reason.

    ``projects`` is the catalog frame (``ProjectCatalog.projects``); ``reports`` has at least
    REPORT_COLUMNS, one row per project and month (the newest version)."""
    year, mon = parse_month(month)
    reports = reports.select([pl.col(c).cast(t) for c, t in REPORT_COLUMNS.items()]).with_columns(
        pl.col("month").str.slice(0, 4).cast(pl.Int64).alias("_year"),
        pl.col("month").str.slice(5, 2).cast(pl.Int64).alias("_mon"))
    current = reports.filter(pl.col("month") == month).unique("project_id", keep="last").drop("month", "_year", "_mon")
    period = _period_completed(reports, year, mon)
    frame = (projects.join(current, left_on="id", right_on="project_id", how="left")
             .join(period, left_on="id", right_on="project_id", how="left")
             .with_columns(pl.lit(month).alias("month"), pl.col("period_completed_wan").fill_null(0)))
    return _lights(frame, month, settings).select(STATUS_COLUMNS)


def _period_completed(reports: pl.DataFrame, year: int, mon: int) -> pl.DataFrame:
    """Per project: the sum over plan-period years up to (year, mon) of each year's last ytd."""
    upto = reports.filter((pl.col("_year") >= PLAN_PERIOD_START) & (pl.col("_year") <= PLAN_PERIOD_END)
                          & ((pl.col("_year") < year) | ((pl.col("_year") == year) & (pl.col("_mon") <= mon))))
    last = upto.sort("_mon").group_by(["project_id", "_year"]).agg(pl.col("completed_ytd_wan").last())
    return last.group_by("project_id").agg(pl.col("completed_ytd_wan").sum().alias("period_completed_wan"))


def _ratio(margin) -> tuple[int, int]:
    fraction = Fraction(margin)
    return fraction.numerator, fraction.denominator


def _lights(frame: pl.DataFrame, month: str, settings: ProjectSettings) -> pl.DataFrame:
    year, mon = parse_month(month)
    plan, ytd = pl.col("annual_plan_wan"), pl.col("completed_ytd_wan")
    reported = plan.is_not_null() & ytd.is_not_null() & pl.col("stage").is_not_null()
    # gap × 12 × plan, exact: 12 × ytd − m × plan.
    scaled_gap = 12 * ytd - mon * plan
    green_n, green_d = _ratio(settings.green_from)
    red_n, red_d = _ratio(settings.red_below)
    green = scaled_gap * green_d >= 12 * plan * green_n
    not_red = scaled_gap * red_d >= 12 * plan * red_n
    not_started = (pl.col("stage") == "not_started") & (pl.lit(year) > pl.col("start_year"))
    not_finished = (pl.col("stage") != "completed") & (pl.lit(year) > pl.col("end_year"))
    rule = (pl.when(~reported).then(pl.lit("no_report"))
            .when(not_started).then(pl.lit("not_started"))
            .when(not_finished).then(pl.lit("not_finished"))
            .when(plan == 0).then(pl.lit("no_plan"))
            .when(green).then(pl.lit("on_schedule"))
            .when(not_red).then(pl.lit("behind"))
            .otherwise(pl.lit("far_behind")))
    light = (pl.when(pl.col("light_rule") == "no_report").then(pl.lit("none"))
             .when(pl.col("light_rule").is_in(["not_started", "not_finished", "far_behind"])).then(pl.lit("red"))
             .when(pl.col("light_rule") == "behind").then(pl.lit("yellow"))
             .otherwise(pl.lit("green")))  # on_schedule, and no_plan: nothing planned is nothing behind
    ytd_share = pl.when(reported & (plan > 0)).then(ytd.cast(pl.Float64) / plan)
    span_start = pl.max_horizontal(pl.col("start_year"), pl.lit(PLAN_PERIOD_START))
    span_end = pl.min_horizontal(pl.col("end_year"), pl.lit(PLAN_PERIOD_END))
    span_months = (span_end - span_start + 1) * 12
    gone = ((year - span_start) * 12 + mon).clip(0, None)
    return frame.with_columns(
        ytd_share.alias("ytd_share"),
        pl.when(reported).then(pl.lit(mon / 12)).alias("time_share"),
        (ytd_share - mon / 12).round(3).alias("schedule_gap"),
        rule.alias("light_rule"),
        pl.when(pl.col("plan_period_investment_wan") > 0)
        .then(pl.col("period_completed_wan").cast(pl.Float64) / pl.col("plan_period_investment_wan"))
        .alias("period_share"),
        pl.when(span_months > 0).then((gone.cast(pl.Float64) / span_months).clip(0.0, 1.0))
        .alias("period_time_share"),
    ).with_columns(light.alias("light")).with_columns(_reason(month, mon).alias("reason"))


def _reason(month: str, mon: int) -> pl.Expr:
    """The light's reason in words, with the figures: 年度计划投资完成 41%，时间进度 83%，落后 42 个百分点."""
    done = (pl.col("ytd_share") * 100).round(0).cast(pl.Int64)
    points = (pl.col("schedule_gap") * 100).round(0).cast(pl.Int64)
    pace = pl.format("年度计划投资完成 {}%，时间进度 {}%，", done, pl.lit(round(mon / 12 * 100)))
    gap = (pl.when(points < 0).then(pl.format("{}落后 {} 个百分点", pace, -points))
           .when(points > 0).then(pl.format("{}超前 {} 个百分点", pace, points))
           .otherwise(pl.format("{}与序时进度持平", pace)))
    gap = pl.when(pl.col("ytd_share").is_null()).then(pl.lit("本年度无计划投资")).otherwise(gap)
    rule = pl.col("light_rule")
    return (pl.when(rule == "no_report").then(pl.lit(f"{month} 未报送项目进度"))
            .when(rule == "not_started").then(pl.format("计划 {} 年开工，{} 仍未开工；{}", pl.col("start_year"),
                                                        pl.lit(month), gap))
            .when(rule == "not_finished").then(pl.format("计划 {} 年竣工，{} 尚未竣工；{}", pl.col("end_year"),
                                                         pl.lit(month), gap))
            .otherwise(gap))
