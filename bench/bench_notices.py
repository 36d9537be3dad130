"""Benchmark: what the 站内消息 cost the imports and the batch (SQLite, optionally PostgreSQL).

The seeded synthetic city (``policy.synthetic.city``, 2019–2023) is stored without its 2023
facts in two fresh stores; then the 2023 facts are imported into each, once plainly and once
with the ``EligibilityWatch`` (the engine over the enterprises the import touches, before and
after, in the import's transaction, and a notice per newly met rule). Then the 2023 batch runs
on the watched store: its insert phase now includes one notice per proposed award. Figures and
the command are recorded in bench/README.md. Run: ``make bench-notices``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from sqlalchemy import func, select

import commerce_brain.store.schema  # noqa: F401  (the tables, before the store modules)
from commerce_brain.fulfilment import run_batch
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.notices import EligibilityWatch
from commerce_brain.policy.engine import packaged
from commerce_brain.policy.synthetic import city
from commerce_brain.store.enterprise_imports import import_policy_data
from commerce_brain.store.notice_tables import notices
from commerce_brain.store.schema import connect

ROOT = Path(__file__).resolve().parent.parent
YEARS = [2019, 2020, 2021, 2022, 2023]
YEAR = 2023


class TimedWatch(EligibilityWatch):
    """The import's watch with the seconds its two steps took (the rest is the import itself)."""

    seconds: float = 0.0

    def before(self, conn, changes) -> None:
        start = time.perf_counter()
        super().before(conn, changes)
        self.seconds += time.perf_counter() - start

    def after(self, conn, import_id, actor) -> None:
        start = time.perf_counter()
        super().after(conn, import_id, actor)
        self.seconds += time.perf_counter() - start


def one_database(urls: tuple[str, str], data: PolicyData) -> list[tuple[str, float, str]]:
    policies, catalog = packaged()
    earlier = PolicyData(data.enterprises, data.facts.filter(pl.col("year") < YEAR), data.events)
    later = PolicyData(data.enterprises, data.facts.filter(pl.col("year") == YEAR), data.events.clear())
    found = []
    for url, watched in zip(urls, (False, True), strict=True):
        engine = connect(url)
        import_policy_data(engine, earlier, actor="bench", file_name="2019–2022", sha256="-")
        watch = TimedWatch(policies, catalog) if watched else None
        start = time.perf_counter()
        import_policy_data(engine, later, actor="bench", file_name="2023", sha256="-", watch=watch)
        label = "2023 facts import, with the watch" if watched else "2023 facts import, plain"
        found.append((label, time.perf_counter() - start, f"of which the watch {watch.seconds:.2f} s; notices sent {watch.sent:,}" if watch else ""))
        if watched:
            timings: dict[str, float] = {}
            start = time.perf_counter()
            summary = run_batch(engine, YEAR, actor="bench", policies=policies, catalog=catalog, timings=timings)
            elapsed = time.perf_counter() - start
            with engine.connect() as conn:
                total = conn.execute(select(func.count()).select_from(notices)).scalar_one()
            found.append(("2023 batch with its notices", elapsed,
                          f"{summary.inserted:,} awards; insert phase (awards + notices) {timings['insert']:.2f} s; "
                          f"notices in store {total:,}"))
        engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    policies, _ = packaged()
    data = PolicyData(*city(args.enterprises, YEARS, event_kinds=sorted(policies.event_kinds())))
    print(f"Python {sys.version.split()[0]}, Polars {pl.__version__}; {os.cpu_count()} CPUs; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print(f"city: {data.enterprises.height:,} enterprises, {data.facts.height:,} enterprise-years, "
          f"{data.events.height:,} events")
    with tempfile.TemporaryDirectory(prefix="cb-bench-notices-") as folder:
        for database in args.databases:
            if database == "sqlite":
                urls = (f"sqlite:///{folder}/plain.sqlite3", f"sqlite:///{folder}/watched.sqlite3")
                results = one_database(urls, data)
            else:
                sys.path.insert(0, str(ROOT / "tests"))
                from pg_server import TemporaryPostgres, fresh_database  # the tests' throwaway cluster

                server = TemporaryPostgres()
                try:
                    base = server.start()
                    results = one_database((fresh_database(base, "plain"), fresh_database(base, "watched")), data)
                finally:
                    server.stop()
            print(f"\n{database}:")
            for label, seconds, note in results:
                print(f"  {label:<36} {seconds:6.2f} s   {note}")
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
