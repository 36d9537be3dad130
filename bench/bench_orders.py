"""Benchmark: the 订单+清单 detectors over a province-sized sample, in memory and from the store.

1. ``--enterprises`` synthetic exporters (default 50,000) × ``--months`` months (default 60,
   2021-01 … 2025-12), each with its own size, a Spring Festival dip every February, noise, and
   a share of them falling in the last months (some reports missing): every detector
   (``detect``: year on year, month on month, consecutive falls, the seasonal median/MAD band,
   the size floor), the month's warnings in the followup shape (``warning_rows``) and the roll-up
   by warning point, from frames in memory. Target: under 1 s.
2. The same orders stored in a SQLite file (written once, untimed), then read back
   (``stored_orders``) and every detector run. Target: under 5 s.

Figures and the command are recorded in bench/README.md. Run:
`.venv/bin/python bench/bench_orders.py`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from commerce_brain.store.bulk import insert_frame
from commerce_brain.store.order_tables import order_enterprises, order_imports, order_reports, stored_orders
from commerce_brain.store.schema import connect
from commerce_brain.warning.catalog import load_orders_catalog
from commerce_brain.warning.orders import ORDER_SCHEMA, ROSTER_SCHEMA, detect, month_warnings, rollup, warning_rows


def synthetic(n: int, months: int, seed: int, points: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n`` enterprises × ``months`` months from 2021-01 (2% of reports missing), and the roster."""
    rng = np.random.default_rng(seed)
    uscc = np.array([f"91330600MA{i:08d}" for i in range(n)])
    size = rng.lognormal(12.5, 1.2, n)  # median about 270,000 USD a month; a tail of tiny and huge
    month_no = np.arange(months)
    calendar = month_no % 12
    season = np.where(calendar == 1, 0.7, 1.0)  # the Spring Festival dip
    falling = rng.random(n) < 0.1  # one in ten falls in its last four months
    trend = np.where(falling[:, None] & (month_no[None, :] >= months - 4), 0.8 ** (month_no - months + 5), 1.0)
    values = size[:, None] * season[None, :] * trend * rng.normal(1.0, 0.06, (n, months)).clip(0.5, 1.5)
    labels = np.array([f"{2021 + m // 12}-{m % 12 + 1:02d}" for m in month_no])
    kept = rng.random(n * months) >= 0.02
    new = values.ravel().round().astype(np.int64)
    orders = pl.DataFrame({
        "uscc": np.repeat(uscc, months), "month": np.tile(labels, n), "new_orders_usd": new,
        "orders_in_hand_usd": new * 3, "expected_exports_usd": new * 2,
        "market": np.tile(np.array(["US", "EU", "JP", "ASEAN"]), n * months // 4 + 1)[: n * months],
        "product_hs": "61", "problems": np.where(rng.random(n * months) < 0.2, "tariff;shipping_cost", ""),
    }).filter(pl.Series(kept)).cast(ORDER_SCHEMA)
    roster = pl.DataFrame({"uscc": uscc, "name": [f"企业{i}" for i in range(n)],
                           "warning_point": np.array(points)[np.arange(n) % len(points)],
                           "org_unit": None, "industry": "textiles"}, schema=ROSTER_SCHEMA)
    return orders, roster


def everything(orders: pl.DataFrame, roster: pl.DataFrame, catalog, month: str) -> tuple[pl.DataFrame, int]:
    """Every detector, the month's warnings and the roll-up by warning point."""
    detected = detect(orders, catalog.settings)
    rows = warning_rows(month_warnings(detected, month), roster, catalog, date(2026, 1, 5))
    rollup(detected, roster, "warning_point")
    return detected, rows.height


def timed(runs: int, job) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    catalog = load_orders_catalog()
    orders, roster = synthetic(args.enterprises, args.months, 42, list(catalog.warning_points))
    month = orders["month"].max()
    print(f"{args.enterprises:,} enterprises × {args.months} months = {orders.height:,} monthly reports")

    seconds, detected = timed(args.runs, lambda: detect(orders, catalog.settings))
    found = {c: int(detected[c].sum()) for c in ("yoy_fall", "mom_fall", "consecutive_falls", "below_seasonal")}
    print(f"1. in memory: every detector (detect) in {seconds * 1000:,.0f} ms (median of {args.runs}); "
          f"findings over all months: {found}")
    seconds, (_, warned) = timed(args.runs, lambda: everything(orders, roster, catalog, month))
    print(f"   with {month}'s {warned:,} warnings (warning_rows) and the roll-up by warning point: "
          f"{seconds * 1000:,.0f} ms")

    with tempfile.TemporaryDirectory() as folder:
        engine = connect(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(order_imports.insert().values(id=1, file_name="bench", sha256="-", imported_by="bench",
                                                       imported_at=_now(),
                                                       rows=orders.height, new=orders.height, changed=0, unchanged=0))
            insert_frame(conn, order_reports, orders.select(
                "uscc", "month", version=pl.lit(1, pl.Int64), import_id=pl.lit(1, pl.Int64),
                *[c for c in ORDER_SCHEMA if c not in ("uscc", "month")]))
            insert_frame(conn, order_enterprises, roster)
        print(f"   (stored {orders.height:,} reports in {time.perf_counter() - start:,.1f} s, untimed)")

        def from_store():
            stored, stored_roster = stored_orders(engine)
            return everything(stored, stored_roster, catalog, month)

        def scan():
            stored, stored_roster = stored_orders(engine, detectors_only=True)
            found = detect(stored, catalog.settings)
            return found, warning_rows(month_warnings(found, month), stored_roster, catalog, date(2026, 1, 5)).height

        seconds, (again, warned_again) = timed(args.runs, scan)
        same = again.select("uscc", "month", "detector").equals(detected.select("uscc", "month", "detector"))
        print(f"2. from the store (SQLite): read the detectors' columns + every detector + {month}'s warnings "
              f"(a scan, an import's raising) in {seconds * 1000:,.0f} ms (median of {args.runs}); "
              f"same findings as in memory: {same and warned_again == warned}")
        seconds, _ = timed(args.runs, from_store)
        print(f"   every column (the roll-ups need orders in hand and the problems) + detectors + warnings + roll-up: "
              f"{seconds * 1000:,.0f} ms")
        engine.dispose()


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


if __name__ == "__main__":
    main()
