"""Benchmark: storing enterprise data with revisions (``policy import``, 企业数据导入), SQLite and
PostgreSQL.

The seeded synthetic city (``policy.synthetic.city``, 2019–2023) is imported into a fresh store
three times, as the policy office would: the first import (every row new), the same file again
(every row unchanged: the diff alone, nothing written but the log), and a file with every tenth
enterprise-year's revenue corrected (revisions: the next version of 10% of the facts). Also the
preview's dry run. Each is one transaction with its versions, the newest rows and the audit event.
Figures and the command are recorded in bench/README.md. Run: ``make bench-entstore``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

import commerce_brain.store.schema  # noqa: F401  (the tables, before the store modules)
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.engine import packaged
from commerce_brain.policy.synthetic import city
from commerce_brain.store.enterprise_imports import import_policy_data, plan_import
from commerce_brain.store.schema import connect

ROOT = Path(__file__).resolve().parent.parent
YEARS = [2019, 2020, 2021, 2022, 2023]


def revised(data: PolicyData) -> PolicyData:
    """Every tenth enterprise-year's revenue one fen higher."""
    tenth = pl.int_range(pl.len()) % 10 == 0
    facts = data.facts.with_columns(
        pl.when(tenth).then(pl.col("main_revenue") + 1).otherwise(pl.col("main_revenue")).alias("main_revenue"))
    return PolicyData(data.enterprises, facts, data.events)


def one_store(url: str, data: PolicyData) -> list[tuple[str, float, dict]]:
    engine = connect(url)
    found = []
    for label, frames in (("first import (all new)", data), ("same file again (all unchanged)", data),
                          ("10% of facts revised", revised(data))):
        start = time.perf_counter()
        done = import_policy_data(engine, frames, actor="bench", file_name=label, sha256="-")
        found.append((label, time.perf_counter() - start, done.counts()["facts"]))
    start = time.perf_counter()
    planned = plan_import(engine, data)
    found.append(("preview / --dry-run (no write)", time.perf_counter() - start, planned.counts()["facts"]))
    engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    policies, _ = packaged()
    data = PolicyData(*city(args.enterprises, YEARS, event_kinds=sorted(policies.event_kinds())))
    rows = data.enterprises.height + data.facts.height + data.events.height
    print(f"Python {sys.version.split()[0]}, Polars {pl.__version__}; {os.cpu_count()} CPUs; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print(f"city: {data.enterprises.height:,} enterprises, {data.facts.height:,} enterprise-years, "
          f"{data.events.height:,} events ({rows:,} rows)")
    with tempfile.TemporaryDirectory(prefix="cb-bench-entstore-") as folder:
        for database in args.databases:
            if database == "sqlite":
                results = one_store(f"sqlite:///{folder}/store.sqlite3", data)
            else:
                sys.path.insert(0, str(ROOT / "tests"))
                from pg_server import TemporaryPostgres, fresh_database  # the tests' throwaway cluster

                server = TemporaryPostgres()
                try:
                    results = one_store(fresh_database(server.start(), "entstore"), data)
                finally:
                    server.stop()
            print(f"\n{database}:")
            for label, seconds, facts in results:
                print(f"  {label:<34} {seconds:6.2f} s   facts {facts}")
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
