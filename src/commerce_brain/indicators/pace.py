"""The second clock: monthly year-to-date figures against the year's pro-rata share.

序时进度 (time-schedule progress) compares the year-to-date figure with the year's target:
completion = YTD / annual target, against the share of the year elapsed (months/12); the gap
is completion − months/12. 累计同比 is the growth of the year-to-date sum over the same months
of the previous year. Monthly observations are year-to-date sums (1–N月累计), as published.
"""

from __future__ import annotations

import polars as pl

KEY = ["plan", "indicator", "org_unit"]
PACE_COLUMNS = [
    "plan", "indicator", "name_zh", "unit", "org_unit", "period", "year", "month", "ytd_value",
    "annual_target", "completion", "time_share", "pace_gap", "ytd_prior", "ytd_growth", "on_pace",
]


def pace(indicators: pl.DataFrame, observations: pl.DataFrame, year: int, month: int,
         evaluation: pl.DataFrame) -> pl.DataFrame:
    """Year-to-date progress of every indicator with monthly data for ``year``-``month``.

    The year's target is the target path value of ``evaluation`` (the output of ``evaluate``
    for the same year), which is where a plan on schedule would be at the end of the year.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, got {month}")
    monthly = observations.filter(pl.col("month") == month)
    ytd = monthly.filter(pl.col("year") == year).select(*KEY, pl.col("value").alias("ytd_value"))
    prior = monthly.filter(pl.col("year") == year - 1).select(*KEY, pl.col("value").alias("ytd_prior"))
    # A five-year sum's yearly share is even; a level's is where the target path stands.
    annual_target = (
        pl.when(pl.col("growth_kind") == "cumulative")
        .then(pl.col("target_value") / (pl.col("target_year") - pl.col("base_year")))
        .otherwise(pl.col("path_value"))
    )
    targets = evaluation.select(*KEY, annual_target.alias("annual_target"))
    names = indicators.select("plan", "indicator", "name_zh", "unit")
    time_share = month / 12
    return (
        ytd.join(names, on=["plan", "indicator"])
        .join(targets, on=KEY, how="left")
        .join(prior, on=KEY, how="left")
        .with_columns(
            pl.lit(f"{year}-{month:02d}").alias("period"),
            pl.lit(year, dtype=pl.Int32).alias("year"),
            pl.lit(month, dtype=pl.Int32).alias("month"),
            (pl.col("ytd_value") / pl.col("annual_target")).alias("completion"),
            pl.lit(time_share).alias("time_share"),
            (pl.col("ytd_value") / pl.col("ytd_prior") - 1).alias("ytd_growth"),
        )
        .with_columns(
            (pl.col("completion") - time_share).alias("pace_gap"),
        )
        .with_columns((pl.col("pace_gap") >= 0).alias("on_pace"))
        .sort(KEY)
        .select(PACE_COLUMNS)
    )
