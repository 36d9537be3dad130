"""Benchmark: the consumer market and emergency-supply engines at province scale, in memory.

1. Consumer market: ``--series`` retail series (default 20,000: org units × categories ×
   retailers) × 60 months (2020-01 … 2024-12) of integer fen; for one month, 累计 / 累计同比 /
   环比 per series (``market_table``), the plan link through ``plans pace`` (``market_pace``) and
   the warnings (``market_warnings``).
2. Emergency supply: ``--outlets`` outlets (default 5,000) × the 8 key goods × 52 weekly reports;
   the latest report, days of cover, the 4-week median price and jump (``supply_status``), the
   totals and the warnings.

Median of 5 runs each. Figures and the command are recorded in bench/README.md. Run:
`.venv/bin/python bench/bench_market.py`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta

import numpy as np
import polars as pl

from commerce_brain.catalog import load_catalog
from commerce_brain.monitoring import evaluation_table, gather_observations
from commerce_brain.warning.market import RETAIL_SCHEMA, market_pace, market_table, market_warnings
from commerce_brain.warning.market_catalog import load_market_catalog
from commerce_brain.warning.supply import SUPPLY_SCHEMA, supply_status, supply_totals, supply_warnings
from commerce_brain.warning.supply_catalog import load_supply_catalog


def retail(n: int, seed: int) -> pl.DataFrame:
    """``n`` series × 60 months: the city's total and online first, then retailers of the counties."""
    rng = np.random.default_rng(seed)
    months = [f"{y}-{m:02d}" for y in range(2020, 2025) for m in range(1, 13)]
    base = rng.lognormal(15, 1.5, n)
    growth = rng.normal(0.03, 0.08, n)
    t = np.arange(60) / 12
    values = (base[:, None] * (1 + growth[:, None]) ** t[None, :] * rng.normal(1, 0.03, (n, 60))).clip(0)
    counties = ["330602", "330603", "330604", "330624", "330681", "330683"]
    org = np.array(["330600", "330600"] + [counties[i % 6] for i in range(n - 2)])
    kind = np.array(["total", "online"] + ["retailer"] * (n - 2))
    name = np.array(["", ""] + [f"零售企业{i:06d}" for i in range(n - 2)])
    return pl.DataFrame({
        "period": np.tile(months, n), "org_unit": np.repeat(org, 60), "series_kind": np.repeat(kind, 60),
        "series": np.repeat(name, 60), "sales_fen": values.ravel().astype(np.int64)}).cast(RETAIL_SCHEMA)


def supply(n: int, goods: list[str], seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = n * len(goods)
    days = np.array([date(2024, 1, 7) + timedelta(weeks=w) for w in range(52)], dtype="datetime64[D]")
    use = rng.integers(10, 1000, rows)
    price = rng.integers(200, 5000, rows)
    return pl.DataFrame({
        "report_date": np.tile(days, rows),
        "org_unit": np.repeat(np.array([("330602", "330603", "330604")[i % 3] for i in range(rows)]), 52),
        "outlet": np.repeat(np.array([f"网点{i // len(goods):05d}" for i in range(rows)]), 52),
        "item": np.repeat(np.tile(goods, n), 52),
        "stock": (np.repeat(use, 52) * rng.uniform(1, 30, rows * 52)).astype(np.int64),
        "daily_use": np.repeat(use, 52),
        "price_fen": (np.repeat(price, 52) * rng.normal(1, 0.1, rows * 52)).clip(1).astype(np.int64),
    }).cast(SUPPLY_SCHEMA)


def median_ms(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--outlets", type=int, default=5_000)
    args = parser.parse_args()
    catalog, market, goods = load_catalog(), load_market_catalog(), load_supply_catalog()
    names = {u.code: u.name_zh for u in catalog.org_units}
    evaluation = evaluation_table(catalog, gather_observations(catalog), 2024)
    sales = retail(args.series, 1)

    def market_run() -> pl.DataFrame:
        paced = market_pace(sales, market_table(sales, 2024, 6), catalog.indicators_frame(), evaluation, market)
        return market_warnings(paced, market, names, date(2024, 7, 10))

    found = market_run()
    ms = median_ms(market_run)
    print(f"consumer market: {args.series:,} series × 60 months = {sales.height:,} rows; "
          f"one month's table, pace and {found.height:,} warnings in {ms:,.1f} ms")
    reports = supply(args.outlets, goods.goods["item"].to_list(), 2)
    as_of = reports["report_date"].max()

    def supply_run() -> pl.DataFrame:
        status = supply_status(reports, goods, as_of)
        supply_totals(status)
        return supply_warnings(status, goods, names, as_of)

    found = supply_run()
    ms = median_ms(supply_run)
    print(f"emergency supply: {args.outlets:,} outlets × 8 goods × 52 weeks = {reports.height:,} reports; "
          f"status, totals and {found.height:,} warnings in {ms:,.1f} ms")


if __name__ == "__main__":
    main()
