"""A project's S-curve: cumulative planned against cumulative actual investment, month by month.

Pure and columnar: one project's reports in, one row per month out (integer 万元).

How the plan is spread: each year's planned investment (the annual plan of that year's newest
report) is laid evenly over its twelve months, so the planned curve rises by a twelfth of the
year's plan each month and steps to the next year's pace in January; a year without a report
adds nothing to the plan (nothing says what was planned). The actual curve is the year's
completed-to-date figure of the newest report at or before each month (a month without a
report keeps the figure of the month before it), on top of the previous years' final figures;
after the newest reported month nothing is known, so the actual curve stops there.
"""

from __future__ import annotations

import polars as pl

S_CURVE_SCHEMA = {"month": pl.String, "planned_cum_wan": pl.Int64, "actual_cum_wan": pl.Int64}


def s_curve(reports: pl.DataFrame) -> pl.DataFrame:
    """``reports`` (one project's newest reports: ``month`` 'YYYY-MM', ``annual_plan_wan``,
    ``completed_ytd_wan``) → ``month, planned_cum_wan, actual_cum_wan`` for every month of the
    reported years, January of the first to December of the last (actual null where unknown)."""
    if reports.is_empty():
        return pl.DataFrame(schema=S_CURVE_SCHEMA)
    dated = reports.select(
        pl.col("month").str.slice(0, 4).cast(pl.Int32).alias("year"),
        pl.col("month").str.slice(5, 2).cast(pl.Int32).alias("m"),
        pl.col("annual_plan_wan").cast(pl.Int64), pl.col("completed_ytd_wan").cast(pl.Int64),
    ).sort(["year", "m"])
    first, last = dated["year"].min(), dated["year"].max()
    years = pl.int_range(first, last + 1, eager=True, dtype=pl.Int32).alias("year").to_frame()
    yearly = (years.join(dated.group_by("year").agg(pl.col("annual_plan_wan").last().alias("plan"),
                                                     pl.col("completed_ytd_wan").last().alias("final")),
                         on="year", how="left")
              .sort("year").fill_null(0)
              .with_columns(pl.col("plan").cum_sum().shift(1, fill_value=0).alias("prior_plan"),
                            pl.col("final").cum_sum().shift(1, fill_value=0).alias("prior_final")))
    grid = years.join(pl.int_range(1, 13, eager=True, dtype=pl.Int32).alias("m").to_frame(), how="cross")
    newest = dated.select((pl.col("year") * 100 + pl.col("m")).max()).item()
    curve = (grid.join(yearly, on="year", how="left")
             .join(dated.select("year", "m", "completed_ytd_wan"), on=["year", "m"], how="left")
             .sort(["year", "m"])
             .with_columns(pl.col("completed_ytd_wan").forward_fill().over("year").alias("ytd")))
    # Integer arithmetic: the plan's share of the months gone, floored to the 万元.
    planned = pl.col("prior_plan") + pl.col("plan") * pl.col("m") // 12
    known = (pl.col("year") * 100 + pl.col("m")) <= newest
    actual = pl.when(known & pl.col("ytd").is_not_null()).then(pl.col("prior_final") + pl.col("ytd"))
    return curve.select(
        pl.format("{}-{}", pl.col("year"), pl.col("m").cast(pl.String).str.zfill(2)).alias("month"),
        planned.cast(pl.Int64).alias("planned_cum_wan"),
        actual.cast(pl.Int64).alias("actual_cum_wan"),
    )
