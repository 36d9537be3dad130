"""Benchmark: evaluate every indicator for every org unit and year at 100× the catalog.

The catalog's indicators are copied 100 times (ids suffixed), with the seeded demo actuals
copied alongside, and every copy is evaluated for every org unit of the catalog and every
year 2021–2025 (cross join: indicators × org units × years). Figures and the command are
recorded in bench/README.md. Run: `make bench` or `.venv/bin/python bench/bench_indicators.py`.
"""

from __future__ import annotations

import argparse
import statistics
import time

import polars as pl

from commerce_brain.catalog import load_catalog
from commerce_brain.demo import demo_observations
from commerce_brain.indicators.progress import evaluate_years

YEARS = [2021, 2022, 2023, 2024, 2025]


def scaled(frame: pl.DataFrame, copies: int) -> pl.DataFrame:
    """``copies`` copies of a frame whose ``indicator`` ids are made unique per copy."""
    return pl.concat([
        frame.with_columns(pl.format("{}__{}", pl.col("indicator"), pl.lit(n)).alias("indicator"))
        for n in range(copies)
    ])


def timed(function, repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100, help="copies of the catalog [100]")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the median is reported [5]")
    args = parser.parse_args()

    catalog = load_catalog()
    units = [u.code for u in catalog.org_units]
    indicators, observations = catalog.indicators_frame(), demo_observations(catalog)
    big_ind, big_obs = scaled(indicators, args.scale), scaled(observations, args.scale)

    base_s, base = timed(lambda: evaluate_years(indicators, observations, YEARS, org_units=units), args.repeat)
    big_s, big = timed(lambda: evaluate_years(big_ind, big_obs, YEARS, org_units=units), args.repeat)

    print(f"catalog: {indicators.height} indicators, {len(units)} org units, {len(YEARS)} years, "
          f"{observations.height} observations")
    print(f"1×   : {base.height:>9,} evaluation rows in {base_s * 1000:8.1f} ms")
    print(f"{args.scale}× : {big.height:>9,} evaluation rows in {big_s * 1000:8.1f} ms "
          f"({big.height / big_s:,.0f} rows/s; {big_obs.height:,} observations)")
    print(f"time ratio {args.scale}×/1× = {big_s / base_s:.1f} for {big.height / base.height:.0f}× the rows")
    statuses = big["status"].value_counts(sort=True)
    print("statuses:", ", ".join(f"{s} {c:,}" for s, c in statuses.iter_rows()))


if __name__ == "__main__":
    main()
