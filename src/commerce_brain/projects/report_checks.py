"""The rules every monthly report must keep, whether it comes in a file or from the project's
page: one place, so the import and the form refuse the same things for the same reasons.

Over typed rows (``project_id``, ``month``, amounts in integer 万元, ``stage``), columnar:
- the project must be known (the catalog, the extra projects of the same file or the store);
- a project × month at most once in a file;
- the year-to-date figure never falls within a year: against the same project's earlier and later
  months, in the file or already stored (a stored month the file gives again counts as the file's);
- the month's figure is not above the year-to-date one;
- plausibility: a year-to-date figure more than PLAUSIBLE_FACTOR (3) × the year's planned
  investment is an error (almost always 万元 typed where 亿元 belongs); a year with no planned
  investment is not checked, there is nothing to compare with.
Each problem is (``_row``, ``field``, ``reason``), the field named as the file's column."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from .amounts import wan_to_yi_text

PLAUSIBLE_FACTOR = 3
CHECKED = {"project_id": pl.String, "month": pl.String, "annual_plan_wan": pl.Int64,
           "completed_month_wan": pl.Int64, "completed_ytd_wan": pl.Int64}
PROBLEMS = {"_row": pl.Int64, "field": pl.String, "reason": pl.String}


def report_problems(rows: pl.DataFrame, known_ids: Iterable[str], stored: pl.DataFrame | None = None
                    ) -> pl.DataFrame:
    """PROBLEMS for ``rows`` (CHECKED columns and ``_row``; nulls where a cell was already refused
    are skipped). ``stored`` is the store's newest reports (at least CHECKED's columns but the
    month's figure)."""
    rows = rows.with_columns(pl.col(c).cast(t) for c, t in CHECKED.items())
    ytd, plan = pl.col("completed_ytd_wan"), pl.col("annual_plan_wan")
    checks = [
        ("project", pl.when(pl.col("project_id").is_not_null() & ~pl.col("project_id").is_in(sorted(set(known_ids))))
         .then(pl.format("未知项目：{} 不在项目目录中（标志性项目编号如 zl13-01，或本文件“项目”表中的编号）",
                         pl.col("project_id")))),
        ("completed_month_yi", pl.when(pl.col("completed_month_wan") > ytd).then(pl.format(
            "本月完成投资 {} 亿元大于本年累计完成 {} 亿元", wan_to_yi_text(pl.col("completed_month_wan")),
            wan_to_yi_text(ytd)))),
        ("completed_ytd_yi", pl.when((plan > 0) & (ytd > PLAUSIBLE_FACTOR * plan)).then(pl.format(
            "本年累计完成 {} 亿元超过年度计划投资 {} 亿元的 {} 倍，疑为单位有误（应以亿元填写）",
            wan_to_yi_text(ytd), wan_to_yi_text(plan), pl.lit(PLAUSIBLE_FACTOR)))),
    ]
    found = [rows.select(pl.col("_row"), pl.lit(field).alias("field"), reason.alias("reason"))
             for field, reason in checks]
    found += [_repeats(rows), _falling(rows, stored)]
    return pl.concat([f.cast(PROBLEMS) for f in found]).filter(pl.col("reason").is_not_null())


def _repeats(rows: pl.DataFrame) -> pl.DataFrame:
    key = ["project_id", "month"]
    first = pl.col("_row").first().over(key)
    repeat = ~pl.struct(key).is_first_distinct() & pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    return rows.select(pl.col("_row"), pl.lit("month").alias("field"),
                       pl.when(repeat).then(pl.format("同一项目同一月份重复：已在第 {} 行给出", first)).alias("reason"))


def _falling(rows: pl.DataFrame, stored: pl.DataFrame | None) -> pl.DataFrame:
    """A year-to-date figure below the same project's earlier month, or above a later one."""
    mine = rows.filter(pl.col("project_id").is_not_null() & pl.col("month").is_not_null()
                       & pl.col("completed_ytd_wan").is_not_null()).select("_row", "project_id", "month",
                                                                          "completed_ytd_wan")
    others = pl.DataFrame(schema={"_row": pl.Int64, **{c: CHECKED[c] for c in ("project_id", "month",
                                                                               "completed_ytd_wan")}})
    if stored is not None and stored.height:
        others = (stored.select(pl.col(c).cast(CHECKED[c]) for c in ("project_id", "month", "completed_ytd_wan"))
                  .join(mine, on=["project_id", "month"], how="anti")
                  .select(pl.lit(None, pl.Int64).alias("_row"), "project_id", "month", "completed_ytd_wan"))
    year = pl.col("month").str.slice(0, 4)
    together = (pl.concat([mine, others]).with_columns(year.alias("_year"))
                .sort(["project_id", "month", "_row"], nulls_last=True))
    group = ["project_id", "_year"]
    before_month = pl.col("month").shift(1).over(group)
    before = pl.col("completed_ytd_wan").shift(1).over(group)
    after_month = pl.col("month").shift(-1).over(group)
    after = pl.col("completed_ytd_wan").shift(-1).over(group)
    ytd = wan_to_yi_text(pl.col("completed_ytd_wan"))
    reason = (pl.when((before_month != pl.col("month")) & (pl.col("completed_ytd_wan") < before)).then(pl.format(
                  "本年累计完成 {} 亿元小于 {} 的累计 {} 亿元：同一年内累计数不能减少", ytd, before_month,
                  wan_to_yi_text(before)))
              .when((after_month != pl.col("month")) & (pl.col("completed_ytd_wan") > after)).then(pl.format(
                  "本年累计完成 {} 亿元大于 {} 的累计 {} 亿元：同一年内累计数不能减少", ytd, after_month,
                  wan_to_yi_text(after))))
    return (together.with_columns(reason.alias("reason")).filter(pl.col("_row").is_not_null())
            .select("_row", pl.lit("completed_ytd_yi").alias("field"), "reason"))
