"""Where every indicator stands against its target in a given year: growth, progress, status.

For base X₀ (year t₀), target X_T (year T) and actual X_t (year t):

* implied growth  g_p = (X_T/X₀)^(1/(T−t₀)) − 1
* achieved growth g_a = (X_t/X₀)^(1/(t−t₀)) − 1
* required growth g_r = (X_T/X_t)^(1/(T−t)) − 1
* path value X₀(1+g_p)^(t−t₀), projection X_t(1+g_a)^(T−t)
* progress P = (X_t − X₀)/(X_T − X₀) against time elapsed τ = (t − t₀)/(T − t₀);
  for five-year sums (cumulative), the flows so far against the total.

The status ratio r is g_a/g_p for growth indicators and P/τ for the others. All of it is
computed with Polars expressions over the whole table at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from .stated_growth import stated_rate
from .status import Thresholds, status_expr, status_zh_expr

KEY = ["plan", "indicator", "org_unit"]
LINEAR_KINDS = ("point_change", "count", "share")

# What the arithmetic needs; the text columns join back at the end.
COMPUTE_COLUMNS = [
    "plan", "indicator", "plan_org_unit", "base_year", "base_value", "target_year", "target_value",
    "target_comparator", "stated_growth", "growth_kind", "direction", "price_basis",
]

EVALUATION_COLUMNS = [
    "plan", "indicator", "name_zh", "unit", "org_unit", "year", "base_year", "base_value",
    "target_year", "target_value", "target_text", "stated_growth", "growth_kind", "attribute",
    "direction", "actual", "achieved_growth", "implied_growth", "required_growth", "progress",
    "time_elapsed", "path_value", "projected_value", "ratio", "status", "status_zh",
    "growth_basis", "target_basis", "flows_missing", "citation",
]


def evaluate(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    year: int,
    *,
    org_units: Sequence[str] | None = None,
    thresholds: Thresholds = Thresholds(),
) -> pl.DataFrame:
    """Evaluate every indicator whose plan window contains ``year``.

    ``indicators`` is ``Catalog.indicators_frame()``; ``observations`` has the columns of
    ``OBSERVATION_SCHEMA`` (yearly rows are used here; monthly ones by ``pace``). Without
    ``org_units`` each indicator is evaluated for its plan's own org unit; with them, for each
    of those units (a unit other than the plan's takes its base from its own base-year
    observation and the plan's growth as its target).
    """
    return evaluate_years(indicators, observations, [year], org_units=org_units, thresholds=thresholds)


def evaluate_years(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    years: Sequence[int],
    *,
    org_units: Sequence[str] | None = None,
    thresholds: Thresholds = Thresholds(),
) -> pl.DataFrame:
    """``evaluate`` for several years at once, in one columnar pass, ordered by year."""
    numbers = indicators.with_row_index("_order")
    rows = _rows(numbers.select("_order", *COMPUTE_COLUMNS), years, org_units)
    rows = _attach_observations(rows, observations)
    rows = _base_and_target(rows)
    rows = _figures(rows)
    rows = rows.with_columns(status_expr(thresholds).alias("status"))
    rows = rows.with_columns(status_zh_expr().alias("status_zh"))
    # Text columns join back last: carrying names and citations through the joins costs time.
    labels = numbers.select("_order", *(c for c in numbers.columns if c not in rows.columns))
    return rows.sort(["year", "_order"]).join(labels, on="_order", maintain_order="left").select(EVALUATION_COLUMNS)


def _rows(indicators: pl.DataFrame, years: Sequence[int], org_units: Sequence[str] | None) -> pl.DataFrame:
    # Parse each distinct printed growth once, not once per row.
    rates = indicators.select(pl.col("stated_growth").unique()).with_columns(
        pl.col("stated_growth").map_elements(stated_rate, return_dtype=pl.Float64).alias("stated_rate")
    )
    rows = indicators.join(rates, on="stated_growth", how="left", nulls_equal=True, maintain_order="left")
    if org_units is None:
        rows = rows.with_columns(pl.col("plan_org_unit").alias("org_unit"))
    else:
        units = pl.DataFrame({"org_unit": list(org_units)}, schema={"org_unit": pl.String})
        rows = rows.join(units, how="cross")
    wanted = pl.DataFrame({"year": list(years)}, schema={"year": pl.Int32})
    return rows.join(wanted, how="cross").filter(
        (pl.col("base_year") < pl.col("year")) & (pl.col("target_year") >= pl.col("year"))
    )


def _attach_observations(rows: pl.DataFrame, observations: pl.DataFrame) -> pl.DataFrame:
    yearly = observations.filter(pl.col("month").is_null())
    levels = yearly.filter(~pl.col("is_period_total"))
    actual = levels.select(*KEY, "year", pl.col("value").alias("actual_level"))
    period_total = yearly.filter(pl.col("is_period_total")).select(
        *KEY, "year", pl.col("value").alias("period_total")
    )
    base_obs = levels.select(*KEY, pl.col("year").alias("base_year"), pl.col("value").alias("base_obs"))
    return (
        rows.join(actual, on=[*KEY, "year"], how="left")
        .join(period_total, on=[*KEY, "year"], how="left")
        .join(base_obs, on=[*KEY, "base_year"], how="left")
        .pipe(_attach_running_sums, levels)
    )


def _attach_running_sums(rows: pl.DataFrame, levels: pl.DataFrame) -> pl.DataFrame:
    """Flows since the base year up to each row's year (five-year sums, chained real growth).

    Running sums per series are computed once, then each row takes the latest one at or
    before its year (an as-of join), instead of joining every row with every earlier year.
    """
    base_years = rows.select("plan", "indicator", "base_year").unique()
    running = (
        levels.join(base_years, on=["plan", "indicator"])
        .filter(pl.col("year") > pl.col("base_year"))
        .sort([*KEY, "year"])
        .select(
            *KEY,
            pl.col("year"),
            pl.col("value").cum_sum().over(KEY).alias("flow_sum"),
            pl.col("value").cum_count().over(KEY).cast(pl.UInt32).alias("flow_count"),
            (pl.col("real_growth") + 1).fill_null(1.0).cum_prod().over(KEY).alias("real_chain"),
            pl.col("real_growth").cum_count().over(KEY).cast(pl.UInt32).alias("real_count"),
        )
    )
    # Both sides are sorted by year within every series, which is all the as-of join needs.
    return rows.sort("year").join_asof(running, on="year", by=KEY, strategy="backward", check_sortedness=False)


def _base_and_target(rows: pl.DataFrame) -> pl.DataFrame:
    own_unit = pl.col("org_unit") == pl.col("plan_org_unit")
    base = pl.when(own_unit & pl.col("base_value").is_not_null()).then(pl.col("base_value")).otherwise(
        pl.col("base_obs")
    )
    span = (pl.col("target_year") - pl.col("base_year")).cast(pl.Float64)
    kind = pl.col("growth_kind")
    scaled = (
        pl.when(kind == "annual_growth")
        .then(pl.col("X0") * pl.col("target_value") / pl.col("base_value"))
        .when(kind.is_in(["point_change", "share"]))
        .then(pl.col("X0") + pl.col("target_value") - pl.col("base_value"))
    )
    # A growth target printed only as a rate (全员劳动生产率年均提高7%) still fixes a target level.
    from_rate = pl.col("X0") * (1 + pl.col("stated_rate")).pow(span)
    rows = rows.with_columns(base.alias("X0"))
    target = (
        pl.when(pl.col("target_value").is_null() & (kind == "annual_growth") & pl.col("stated_rate").is_not_null())
        .then(from_rate)
        .when(own_unit)
        .then(pl.col("target_value"))
        .when(pl.col("base_value") > 0)
        .then(scaled)
    )
    basis = (
        pl.when(pl.col("target_value").is_null() & (kind == "annual_growth") & pl.col("stated_rate").is_not_null())
        .then(pl.lit("stated_growth"))
        .when(own_unit)
        .then(pl.lit("plan"))
        .when(pl.col("XT").is_not_null())
        .then(pl.lit("scaled_from_plan"))
    )
    actual = (
        pl.when(kind == "cumulative")
        .then(pl.coalesce("period_total", "flow_sum"))
        .otherwise(pl.col("actual_level"))
    )
    return rows.with_columns(target.alias("XT"), actual.alias("actual")).with_columns(
        basis.alias("target_basis"),
        pl.when((kind == "cumulative") & pl.col("period_total").is_null())
        .then(pl.col("year") - pl.col("base_year") - pl.col("flow_count").fill_null(0))
        .otherwise(pl.lit(0))
        .cast(pl.Int32)
        .alias("flows_missing"),
    )


def _figures(rows: pl.DataFrame) -> pl.DataFrame:
    X0, XT, Xt = pl.col("X0"), pl.col("XT"), pl.col("actual")
    t0, T, t = (pl.col(c).cast(pl.Float64) for c in ("base_year", "target_year", "year"))
    kind = pl.col("growth_kind")
    growth = kind == "annual_growth"
    positive = (X0 > 0) & (XT > 0)
    # Growth rates need positive levels; with a zero or negative base the engine falls back to
    # linear progress, which is still meaningful.
    use_growth = growth & positive
    # Achieved growth and the projection need only the base and the actual, not a target.
    grows = growth & (X0 > 0) & (Xt > 0)
    comparable = (pl.col("price_basis") == "comparable") & (pl.col("real_count") == (t - t0)) & pl.col(
        "stated_rate"
    ).is_not_null()
    implied = pl.when(comparable).then(pl.col("stated_rate")).when(use_growth).then(
        (XT / X0).pow(1 / (T - t0)) - 1
    )
    achieved = (
        pl.when(comparable)
        .then(pl.col("real_chain").pow(1 / (t - t0)) - 1)
        .when(grows)
        .then((Xt / X0).pow(1 / (t - t0)) - 1)
    )
    required = (
        pl.when(t >= T).then(None)
        .when(comparable)
        .then(((1 + pl.col("stated_rate")).pow(T - t0) / pl.col("real_chain")).pow(1 / (T - t)) - 1)
        .when(use_growth & (Xt > 0))
        .then((XT / Xt).pow(1 / (T - t)) - 1)
    )
    elapsed = (t - t0) / (T - t0)
    cumulative = kind == "cumulative"
    distance = XT - X0
    progress = (
        pl.when(cumulative).then(Xt / XT)
        .when(distance != 0).then((Xt - X0) / distance)
    )
    path = (
        pl.when(cumulative).then(XT * elapsed)
        .when(use_growth).then(X0 * (XT / X0).pow(elapsed))
        .otherwise(X0 + distance * elapsed)
    )
    projected = (
        pl.when(cumulative).then(Xt / elapsed)
        .when(grows).then(Xt * (Xt / X0).pow((T - t) / (t - t0)))
        .otherwise(X0 + (Xt - X0) / elapsed)
    )
    lower = pl.col("direction") == "lower"
    strict = pl.col("target_comparator").is_in([">", "<"])
    met_higher = pl.when(strict).then(Xt > XT).otherwise(Xt >= XT)
    met_lower = pl.when(strict).then(Xt < XT).otherwise(Xt <= XT)
    met = pl.when(lower).then(met_lower).otherwise(met_higher)
    ratio = (
        pl.when(use_growth & (pl.col("implied_growth").abs() > 1e-12))
        .then(pl.col("achieved_growth") / pl.col("implied_growth"))
        .when(use_growth)
        .then(None)
        .otherwise(pl.col("progress") / pl.col("time_elapsed"))
    )
    return (
        rows.with_columns(
            implied.alias("implied_growth"),
            achieved.alias("achieved_growth"),
            required.alias("required_growth"),
            elapsed.alias("time_elapsed"),
            progress.alias("progress"),
            path.alias("path_value"),
            projected.alias("projected_value"),
            met.fill_null(False).alias("met"),
            XT.is_not_null().alias("has_target"),
            pl.when(comparable).then(pl.lit("comparable")).otherwise(pl.lit("current")).alias("growth_basis"),
        )
        .with_columns(ratio.alias("ratio"))
        .with_columns(
            # Ratios exist only where their inputs do; a missing base leaves nothing to compare.
            pl.when(X0.is_null() & ~cumulative).then(None).otherwise(pl.col("ratio")).alias("ratio"),
            pl.col("X0").alias("base_value"),
            pl.col("XT").alias("target_value"),
        )
    )
