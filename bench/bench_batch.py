"""Benchmark: the 免申即享 batch for 100,000 enterprises, end to end, on SQLite and PostgreSQL.

The seeded synthetic city (``policy.synthetic.city``, 2019–2023, every event kind of the
catalog) is stored with ``save_policy_data`` — the import, timed on its own — and then
``run_batch(engine, 2023)`` is timed as the policy office runs it: loading the stored data,
the engine, the explanations, and inserting the proposals with their audit event. Each run
is on a fresh store (a first batch inserts every award; a re-run, also timed, inserts none).
PostgreSQL is a private throwaway cluster (``tests/pg_server.py``). Target: the batch under
10 s on each database. Figures and the command are recorded in bench/README.md.
Run: ``make bench-batch``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

import commerce_brain.store.schema  # noqa: F401  (the tables, before the fulfilment modules)
from commerce_brain import fulfilment as f
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.engine import packaged
from commerce_brain.policy.synthetic import city
from commerce_brain.store.schema import connect

ROOT = Path(__file__).resolve().parent.parent
YEARS = [2019, 2020, 2021, 2022, 2023]
TARGET_S = 10.0
PHASES = ("load", "engine", "explain", "insert")


def one_run(url: str, data: PolicyData) -> dict:
    engine = connect(url)
    start = time.perf_counter()
    counts = f.save_policy_data(engine, data, actor="bench")
    saved = time.perf_counter() - start
    timings: dict[str, float] = {}
    # An older run_batch (to measure before a change: PYTHONPATH=<old checkout>/src) has no phases.
    phases = {"timings": timings} if "timings" in inspect.signature(f.run_batch).parameters else {}
    start = time.perf_counter()
    summary = f.run_batch(engine, 2023, actor="bench", **phases)
    total = time.perf_counter() - start
    start = time.perf_counter()
    again = f.run_batch(engine, 2023, actor="bench")
    rerun = time.perf_counter() - start
    engine.dispose()
    assert summary.inserted == summary.computed and again.inserted == 0, (summary, again)
    return {"save": saved, "rows": sum(counts.values()), "total": total, "rerun": rerun, "summary": summary,
            **{phase: timings.get(phase, float("nan")) for phase in PHASES}}


def report(database: str, runs: list[dict]) -> None:
    med = {k: statistics.median(r[k] for r in runs) for k in ("save", "total", "rerun", *PHASES)}
    spread = lambda k: f"{min(r[k] for r in runs):.2f}–{max(r[k] for r in runs):.2f} s"
    s = runs[-1]["summary"]
    print(f"\n{database}: median of {len(runs)} run(s)")
    print(f"  save_policy_data (the import, {runs[-1]['rows']:,} rows): {med['save']:6.2f} s  ({spread('save')})")
    other = med["total"] - sum(med[p] for p in PHASES)
    if other == other:  # not NaN: the phases were reported
        for phase in PHASES:
            print(f"    {phase:<8} {med[phase]:6.2f} s")
        print(f"    {'other':<8} {other:6.2f} s  (effective rules, batch row, counts, audit event)")
    verdict = "met" if med["total"] < TARGET_S else "MISSED"
    print(f"  run_batch end to end: {med['total']:6.2f} s  ({spread('total')}); target < {TARGET_S:.0f} s — {verdict}")
    print(f"  awards computed {s.computed:,}, inserted {s.inserted:,}, {s.inserted_fen / 100:,.2f} 元")
    print(f"  re-run (nothing new to insert, every award compared): {med['rerun']:6.2f} s  ({spread('rerun')})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()

    policies, _ = packaged()
    data = PolicyData(*city(args.enterprises, YEARS, event_kinds=sorted(policies.event_kinds())))
    print(f"Python {sys.version.split()[0]}, Polars {pl.__version__}; {os.cpu_count()} CPUs; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print(f"city: {data.enterprises.height:,} enterprises × {len(YEARS)} years = {data.facts.height:,} "
          f"enterprise-years, {data.events.height:,} events; award year 2023")
    results = {}
    with tempfile.TemporaryDirectory(prefix="cb-bench-batch-") as folder:
        for database in args.databases:
            runs = []
            if database == "sqlite":
                for n in range(args.repeat):
                    runs.append(one_run(f"sqlite:///{folder}/batch{n}.sqlite3", data))
            else:
                sys.path.insert(0, str(ROOT / "tests"))
                from pg_server import (  # the tests' private throwaway cluster
                    TemporaryPostgres,
                    fresh_database,
                )

                server = TemporaryPostgres()
                try:
                    url = server.start()
                    for n in range(args.repeat):
                        runs.append(one_run(fresh_database(url, f"batch{n}"), data))
                finally:
                    server.stop()
            results[database] = runs
            report(database, runs)
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    slow = [d for d, runs in results.items() if statistics.median(r["total"] for r in runs) >= TARGET_S]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
