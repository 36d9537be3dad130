"""Project lint: do the projects add up to what the text states, and does each one hold together?

Findings, each with a severity (docs/projects.md lists them):
- ``error``: the count or a stated sum differs beyond the printed precision (half a unit of the
  last printed digit: 1368 亿 allows ±0.5 亿); a plan-period investment above the total; a project
  whose years lie entirely outside the plan period.
- ``note``: a stated sum that differs within the printed precision (2416 against 2415.84); a
  project that runs beyond the plan period (or began before it) yet plans its whole total inside
  it; one that lies wholly inside the plan period yet plans less than its total there.
- ``info``: the count and sums per 专栏 (the text states none, so nothing is compared).
Amounts are compared in integer 万元; ``stated`` and ``computed`` are shown in 亿元 (or a count)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from ..catalog.citation import document_label
from .amounts import WAN_PER_YI, wan_to_yi, wan_to_yi_text
from .catalog import ProjectCatalog

COLUMNS = ["check", "scope", "stated", "computed", "message", "citation", "severity"]
JSON_COLUMNS = ["check", "scope", "stated", "computed", "message", "citation"]
SEVERITY_ZH = {"error": "错误", "note": "提示", "info": "信息"}
# What each check is called where a person reads it (the CLI's table; JSON keeps the codes).
CHECK_ZH = {
    "count": "项目个数", "total_investment": "项目总投资合计", "plan_period_investment": "“十四五”期间计划投资合计",
    "plan_period_above_total": "计划投资高于总投资", "years_outside_plan": "建设年份在规划期外",
    "plan_period_equals_total": "计划投资等于总投资", "plan_period_below_total_inside": "计划投资低于总投资",
    "column_count": "专栏项目个数", "column_total_investment": "专栏总投资合计",
    "column_plan_period_investment": "专栏计划投资合计",
}
_SCHEMA = {"check": pl.String, "scope": pl.String, "stated": pl.Float64, "computed": pl.Float64,
           "message": pl.String, "citation": pl.String, "severity": pl.String}


def lint_projects(catalog: ProjectCatalog) -> pl.DataFrame:
    """Every finding over the catalog's projects (COLUMNS): totals first, then the projects'
    own findings, then the per-专栏 sums as information."""
    projects = catalog.projects.filter(pl.col("source") == "catalog")
    return pl.concat([_totals(catalog, projects), _project_findings(catalog, projects),
                      _column_sums(catalog, projects)], how="vertical_relaxed").select(COLUMNS)


def _yi(wan: int) -> str:
    return format(wan_to_yi(wan), "f")


def _totals(catalog: ProjectCatalog, projects: pl.DataFrame) -> pl.DataFrame:
    stated = catalog.stated
    rows = []
    count = projects.height
    rows.append({
        "check": "count", "scope": "全部", "stated": float(stated.count), "computed": float(count),
        "severity": "info" if count == stated.count else "error",
        "message": (f"项目个数：文中 {stated.count} 个，清单 {count} 个"
                    + ("，一致" if count == stated.count else f"，相差 {count - stated.count:+d} 个")),
    })
    for check, label, stated_wan, column in (
        ("total_investment", "项目总投资", stated.total_investment_wan, "total_investment_wan"),
        ("plan_period_investment", "“十四五”期间计划投资", stated.plan_period_investment_wan,
         "plan_period_investment_wan"),
    ):
        computed = int(projects[column].sum())
        difference = computed - stated_wan
        tolerance = _half_unit_wan(stated_wan)
        if difference == 0:
            severity, verdict = "info", "，一致"
        elif abs(difference) <= tolerance:
            severity, verdict = "note", f"，相差 {_signed(difference)} 亿元，在所印精度（±{_yi(tolerance)} 亿元）以内"
        else:
            severity, verdict = "error", f"，相差 {_signed(difference)} 亿元，超出所印精度（±{_yi(tolerance)} 亿元）"
        rows.append({
            "check": check, "scope": "全部", "stated": stated_wan / WAN_PER_YI, "computed": computed / WAN_PER_YI,
            "severity": severity,
            "message": f"{label}：文中 {_yi(stated_wan)} 亿元，各项目合计 {_yi(computed)} 亿元{verdict}",
        })
    return pl.DataFrame(rows, schema={k: v for k, v in _SCHEMA.items() if k != "citation"}).with_columns(
        pl.lit(stated.citation).alias("citation")).select(COLUMNS)


def _signed(wan: int) -> str:
    return ("+" if wan > 0 else "−") + _yi(abs(wan))


def _half_unit_wan(stated_wan: int) -> int:
    """Half a unit of the last printed digit of a stated 亿元 figure, in 万元 (1368 → 5000)."""
    exponent = wan_to_yi(stated_wan).as_tuple().exponent
    return int(Decimal(5).scaleb(min(int(exponent), 0) - 1) * WAN_PER_YI)


def _project_findings(catalog: ProjectCatalog, projects: pl.DataFrame) -> pl.DataFrame:
    start, end = catalog.plan_period
    total, period = pl.col("total_investment_wan"), pl.col("plan_period_investment_wan")
    total_yi, period_yi = total / WAN_PER_YI, period / WAN_PER_YI
    total_text, period_text = wan_to_yi_text(total), wan_to_yi_text(period)
    years = pl.format("{}–{}", pl.col("start_year"), pl.col("end_year"))
    name = pl.format("{}（{}）", pl.col("name_zh"), years)
    outside = (pl.col("end_year") < start) | (pl.col("start_year") > end)
    reaches_out = (pl.col("end_year") > end) | (pl.col("start_year") < start)
    checks = [
        ("plan_period_above_total", "error", period > total, total_yi, period_yi,
         pl.format("{}：“十四五”期间计划投资 {} 亿元高于总投资 {} 亿元", name, period_text, total_text)),
        ("years_outside_plan", "error", outside, pl.lit(None, pl.Float64), pl.lit(None, pl.Float64),
         pl.format("{}：建设年份完全在规划期 {}–{} 之外", name, pl.lit(start), pl.lit(end))),
        ("plan_period_equals_total", "note", ~outside & reaches_out & (period == total) & (total > 0), total_yi,
         period_yi,
         pl.format("{}：建设期超出规划期 {}–{}，“十四五”期间计划投资却等于总投资 {} 亿元", name, pl.lit(start),
                   pl.lit(end), total_text)),
        ("plan_period_below_total_inside", "note", ~reaches_out & (period < total), total_yi, period_yi,
         pl.format("{}：建设期全在规划期内，“十四五”期间计划投资 {} 亿元却低于总投资 {} 亿元", name, period_text,
                   total_text)),
    ]
    found = [projects.filter(condition).select(
        pl.lit(check).alias("check"), pl.col("id").alias("scope"), stated.alias("stated"),
        computed.alias("computed"), message.alias("message"), pl.col("citation"), pl.lit(severity).alias("severity"))
        for check, severity, condition, stated, computed, message in checks]
    return pl.concat(found, how="vertical_relaxed").cast(_SCHEMA)


def _column_sums(catalog: ProjectCatalog, projects: pl.DataFrame) -> pl.DataFrame:
    sums = (projects.group_by("column").agg(pl.len().alias("n"), pl.col("total_investment_wan").sum(),
                                            pl.col("plan_period_investment_wan").sum()).sort("column"))
    titles = pl.col("column").replace_strict(catalog.columns, default="", return_dtype=pl.String)
    scope = pl.format("专栏{}", pl.col("column"))
    base = sums.with_columns(scope.alias("scope"), pl.format("专栏{}（{}）", pl.col("column"), titles).alias("title"),
                             # cite() without a quote: the document's label and the place.
                             pl.format("{}专栏{}", pl.lit(document_label(catalog.title, catalog.doc_number)),
                                       pl.col("column")).alias("citation"))
    parts = []
    for check, value, words in (
        ("column_count", pl.col("n").cast(pl.Float64), pl.format("{} 个项目", pl.col("n"))),
        ("column_total_investment", pl.col("total_investment_wan") / WAN_PER_YI,
         pl.format("项目总投资合计 {} 亿元", wan_to_yi_text(pl.col("total_investment_wan")))),
        ("column_plan_period_investment", pl.col("plan_period_investment_wan") / WAN_PER_YI,
         pl.format("“十四五”期间计划投资合计 {} 亿元", wan_to_yi_text(pl.col("plan_period_investment_wan")))),
    ):
        parts.append(base.select(
            pl.lit(check).alias("check"), pl.col("scope"), pl.lit(None, pl.Float64).alias("stated"),
            value.alias("computed"), pl.format("{}：{}（文中未列专栏合计，仅供核对）", pl.col("title"), words)
            .alias("message"), pl.col("citation"), pl.lit("info").alias("severity")))
    frame = pl.concat(parts, how="vertical_relaxed")
    # Grouped by 专栏 rather than by check, as a reader goes through the text.
    return frame.with_columns(pl.col("scope").str.len_chars().alias("_l")).sort(["_l", "scope"], maintain_order=True) \
        .drop("_l").cast(_SCHEMA)
