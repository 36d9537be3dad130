"""Synthetic but plausible actuals for every plan indicator, seeded so demo, tests and
benchmarks see the same numbers. Clearly demo data: the source column says so."""

from __future__ import annotations

import numpy as np
import polars as pl

from .catalog import OBSERVATION_SCHEMA, Catalog

DEMO_SOURCE = "演示数据 demo"
DEMO_SEED = 42
LAST_DEMO_YEAR = 2023
WHOLE_UNITS = ("家", "个", "件", "人", "项")


def demo_observations(catalog: Catalog, *, seed: int = DEMO_SEED,
                      last_year: int = LAST_DEMO_YEAR) -> pl.DataFrame:
    """Yearly actuals for each plan's org unit and its counties, and monthly year-to-date
    figures of the last two years for the growth indicators of each plan's own org unit."""
    rng = np.random.default_rng(seed)
    ind = catalog.indicators_frame().filter(
        pl.col("target_value").is_not_null() | pl.col("stated_growth").is_not_null()
        | pl.col("target_text").is_not_null()
    )
    # Outcomes the plans print (000 表1) are real: the demo invents nothing beside them.
    printed = catalog.reported_observations().select("plan", "indicator").unique()
    ind = ind.join(printed, on=["plan", "indicator"], how="anti")
    plan_units = _units_per_plan(catalog)
    yearly = _yearly(ind, plan_units, rng, last_year)
    monthly = _monthly(yearly, ind, rng, last_year)
    return pl.concat([yearly, monthly]).select(list(OBSERVATION_SCHEMA))


def _units_per_plan(catalog: Catalog) -> pl.DataFrame:
    rows = []
    for plan in catalog.plans:
        rows.append({"plan": plan.id, "org_unit": plan.org_unit, "share": 1.0})
        counties = [u for u in catalog.org_units if u.parent == plan.org_unit and u.kind != "zone"]
        weights = np.linspace(1.6, 0.6, num=len(counties)) if counties else np.array([])
        for unit, weight in zip(counties, weights / max(weights.sum(), 1), strict=True):
            rows.append({"plan": plan.id, "org_unit": unit.code, "share": float(weight)})
    return pl.DataFrame(rows)


def _yearly(ind: pl.DataFrame, plan_units: pl.DataFrame, rng: np.random.Generator,
            last_year: int) -> pl.DataFrame:
    base_guess = pl.coalesce(
        "base_value",
        pl.when(pl.col("growth_kind") == "count").then(pl.lit(0.0)),
        pl.col("target_value") * 0.8,
        pl.lit(100.0),
    )
    rows = ind.with_columns(base_guess.alias("b")).with_columns(
        pl.coalesce("target_value", pl.col("b") * 1.3).alias("tv")
    )
    rows = rows.join(plan_units, on="plan").with_columns(
        pl.when(pl.col("org_unit") == pl.col("plan_org_unit")).then(pl.lit(1.0)).otherwise(pl.col("share")).alias("share")
    )
    # Counts and cumulative sums are the plan's own; counties report the levels and rates.
    rows = rows.filter((pl.col("org_unit") == pl.col("plan_org_unit")) | pl.col("growth_kind").is_in(
        ["annual_growth", "point_change", "share"]))
    years = pl.DataFrame({"year": list(range(2015, last_year + 1))}, schema={"year": pl.Int32})
    grid = rows.join(years, how="cross").filter(
        (pl.col("year") >= pl.col("base_year")) & (pl.col("year") <= pl.min_horizontal("target_year", last_year))
    )
    n = grid.height
    # Each series moves at 45–175% of the pace its plan implies, so every status shows up.
    pace = rng.uniform(0.45, 1.75, size=n)
    elapsed_years = (grid["year"] - grid["base_year"]).to_numpy()
    # The base year is the catalog's printed figure, untouched by noise.
    noise = np.where(elapsed_years == 0, 0.0, rng.normal(0.0, 0.01, size=n))
    span = (grid["target_year"] - grid["base_year"]).to_numpy().astype(float)
    elapsed = (grid["year"] - grid["base_year"]).to_numpy().astype(float)
    b, tv = grid["b"].to_numpy(), grid["tv"].to_numpy()
    kind = grid["growth_kind"].to_numpy()
    share = grid["share"].to_numpy()
    growth = np.where((b > 0) & (tv > 0), (np.abs(tv / np.where(b > 0, b, 1))) ** (1 / span) - 1, 0.05)
    level = np.where(
        kind == "annual_growth",
        b * share * (1 + growth * pace) ** elapsed * (1 + noise),
        # Noise on a points or count series is relative to the distance it has to travel.
        b + (tv - b) * (elapsed / span * pace + 5 * noise),
    )
    level = np.where(kind == "count", np.floor(np.maximum(level, 0)), level)
    # A rate in % cannot pass 100: a coverage target of 100% (全覆盖) is met, not overshot.
    level = np.where(grid["unit"].to_numpy() == "%", np.minimum(level, 100.0), level)
    flow = tv / span * pace
    # Things counted in whole units (家, 个, 件, 人) stay whole.
    whole = np.isin(grid["unit"].to_numpy(), list(WHOLE_UNITS))
    flow = np.where(whole, np.floor(flow), flow)
    value = np.where(kind == "cumulative", flow, level)
    real = np.where(grid["price_basis"].to_numpy() == "comparable", rng.normal(0.072, 0.01, size=n), np.nan)
    return grid.with_columns(
        pl.Series("value", np.round(value, 2)),
        pl.Series("real_growth", np.round(real, 4)).fill_nan(None),
    ).filter((pl.col("growth_kind") != "cumulative") | (pl.col("year") > pl.col("base_year"))).select(
        "plan", "indicator", "org_unit",
        pl.col("year").cast(pl.String).alias("period"),
        "year",
        pl.lit(None, dtype=pl.Int32).alias("month"),
        "value", "real_growth",
        pl.lit(False).alias("is_period_total"),
        pl.lit(DEMO_SOURCE).alias("source"),
    )


def _monthly(yearly: pl.DataFrame, ind: pl.DataFrame, rng: np.random.Generator,
             last_year: int) -> pl.DataFrame:
    growth_ind = ind.filter(pl.col("growth_kind") == "annual_growth").select("plan", "indicator", "plan_org_unit")
    annual = yearly.join(growth_ind, on=["plan", "indicator"]).filter(
        (pl.col("org_unit") == pl.col("plan_org_unit")) & pl.col("year").is_in([last_year - 1, last_year])
    )
    months = pl.DataFrame({"month": list(range(1, 13))}, schema={"month": pl.Int32})
    grid = annual.drop("month").join(months, how="cross")
    # Seasonal shape of a year-to-date sum: December is heavier, as in retail statistics.
    weights = np.array([8.0, 6.5, 8.0, 7.8, 8.2, 8.3, 8.0, 8.1, 8.3, 8.9, 9.4, 10.5])
    cumulative = np.cumsum(weights) / weights.sum()
    shares = cumulative[grid["month"].to_numpy() - 1] * rng.normal(1.0, 0.01, size=grid.height)
    shares = np.where(grid["month"].to_numpy() == 12, 1.0, shares)
    return grid.with_columns(
        pl.Series("value", np.round(grid["value"].to_numpy() * shares, 2)),
        pl.format("{}-{}", pl.col("year"), pl.col("month").cast(pl.String).str.zfill(2)).alias("period"),
        pl.lit(None, dtype=pl.Float64).alias("real_growth"),
    ).select(list(OBSERVATION_SCHEMA))
