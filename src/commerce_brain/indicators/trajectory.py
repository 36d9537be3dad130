"""Year-by-year series behind each evaluation row: target path, actuals and projection."""

from __future__ import annotations

import polars as pl

KEY = ["plan", "indicator", "org_unit"]


def trajectory(evaluation: pl.DataFrame, observations: pl.DataFrame) -> pl.DataFrame:
    """One row per evaluation row × year from base to target year.

    ``path_value`` is where the plan would stand on schedule (compound growth for growth
    indicators, a straight line otherwise, the pro-rata share of a five-year sum);
    ``actual`` is the observed level (or the running sum of flows); ``projected`` continues
    from the evaluation year's actual to the target year at the pace achieved so far.
    """
    span = evaluation.select(
        *KEY, "base_year", "target_year", "growth_kind", pl.col("year").alias("eval_year"),
        pl.col("base_value").alias("X0"), pl.col("target_value").alias("XT"),
        pl.col("actual").alias("Xt"), "achieved_growth",
    ).with_columns(pl.int_ranges("base_year", pl.col("target_year") + 1).alias("year")).explode("year")
    span = span.with_columns(pl.col("year").cast(pl.Int32))
    levels = observations.filter(pl.col("month").is_null() & ~pl.col("is_period_total")).select(
        *KEY, "year", pl.col("value").alias("observed")
    )
    rows = span.join(levels, on=[*KEY, "year"], how="left").sort([*KEY, "year"])
    cumulative = pl.col("growth_kind") == "cumulative"
    flows = pl.when(pl.col("year") > pl.col("base_year")).then(pl.col("observed")).otherwise(0.0)
    rows = rows.with_columns(
        pl.when(cumulative).then(flows.cum_sum().over(KEY)).otherwise(pl.col("observed")).alias("observed")
    )
    t0, T, t, y = (pl.col(c).cast(pl.Float64) for c in ("base_year", "target_year", "eval_year", "year"))
    X0, XT, Xt = pl.col("X0"), pl.col("XT"), pl.col("Xt")
    elapsed = (y - t0) / (T - t0)
    growth = (pl.col("growth_kind") == "annual_growth") & (X0 > 0) & (XT > 0)
    path = (
        pl.when(cumulative).then(XT * elapsed)
        .when(growth).then(X0 * (XT / X0).pow(elapsed))
        .otherwise(X0 + (XT - X0) * elapsed)
    )
    projected = (
        pl.when(y < t).then(None)
        .when(pl.col("achieved_growth").is_not_null())
        .then(Xt * (1 + pl.col("achieved_growth")).pow(y - t))
        .when(cumulative).then(Xt * (y - t0) / (t - t0))
        .otherwise(X0 + (Xt - X0) * (y - t0) / (t - t0))
    )
    return rows.with_columns(
        path.alias("path_value"),
        pl.when(y <= t).then(pl.col("observed")).alias("actual"),
        projected.alias("projected"),
    ).select(*KEY, "year", "path_value", "actual", "projected")
