"""Benchmark: the foreign-investment pipeline engine and its file import.

1. The engine over ``--projects`` synthetic pipeline projects (default 100,000: far more than any
   city's pipeline, so that a province's fits) with all eight stages planned and each stage done
   with some probability, in order: ``pipeline_status`` (current stage, overdue, landed, due to
   land), ``county_rates``, ``pipeline_counts``, ``investors`` and ``fdi_warning_rows`` for one
   review date. Target: under 1 s together.
2. ``read_fdi_pipeline`` of a CSV of ``--file-projects`` rows (default 10,000), every check run,
   and storing it (``save_fdi_pipeline``) on a SQLite file, then the same file again (all
   unchanged). Target: each under 2 s.

Figures and the command are recorded in bench/README.md. Run:
`.venv/bin/python bench/bench_fdi.py` (or `make bench-fdi`).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from commerce_brain.catalog import load_catalog
from commerce_brain.io.fdi_import import all_fields, read_fdi_pipeline
from commerce_brain.projects.fdi import (
    PROJECT_SCHEMA,
    STAGE_DATE_SCHEMA,
    county_rates,
    fdi_warning_rows,
    investors,
    pipeline_counts,
    pipeline_status,
)
from commerce_brain.projects.fdi_catalog import load_fdi_catalog
from commerce_brain.store.fdi_tables import save_fdi_pipeline
from commerce_brain.store.schema import connect

AS_OF = date(2026, 6, 30)
COUNTIES = ["330802", "330803", "330822", "330824", "330825", "330881", "Z33080001"]


def synthetic(n: int, seed: int, fdi) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n`` projects: planned dates 60 days apart from a signing date in 2024–2026; each stage
    done (a few days late or early) while a draw stays under 0.8 per stage, then none after."""
    rng = np.random.default_rng(seed)
    codes = fdi.stage_codes
    countries, industries = list(fdi.countries), list(fdi.industries)
    ids = [f"WZ{i:07d}" for i in range(n)]
    contracted = rng.integers(100, 50_000, n) * 10_000
    investor = np.arange(n) % (n // 3 + 1)  # about three projects per investor, one country each
    projects = pl.DataFrame({
        "project_id": ids, "name_zh": [f"项目{i}" for i in range(n)],
        "org_unit": rng.choice(COUNTIES, n), "industry": rng.choice(industries, n),
        "investor_name": [f"客商{k}" for k in investor], "investor_country": np.array(countries)[investor % len(countries)],
        "investor_fortune500": investor % 10 == 0, "contracted_usd": contracted,
        "arrived_usd": (contracted * rng.uniform(0, 1, n)).astype(np.int64), "next_step_owner": "某商务局",
    }).cast(PROJECT_SCHEMA)
    start = np.datetime64("2024-01-01") + rng.integers(0, 900, n).astype("timedelta64[D]")
    stages = len(codes)
    planned = np.repeat(start, stages) + np.tile(np.arange(stages) * 60, n).astype("timedelta64[D]")
    reached = rng.integers(0, stages + 1, n)  # how many stages each project has done
    done = np.tile(np.arange(stages), n) < np.repeat(reached, stages)
    actual = planned + rng.integers(-10, 30, n * stages).astype("timedelta64[D]")
    dates = pl.DataFrame({
        "project_id": np.repeat(np.array(ids), stages), "stage": np.tile(np.array(codes), n),
        "planned_date": planned, "actual_date": np.where(done, actual, np.datetime64("NaT")),
    }).cast(STAGE_DATE_SCHEMA)
    return projects, dates


def engine_run(projects: pl.DataFrame, dates: pl.DataFrame, fdi) -> dict:
    status = pipeline_status(projects, dates, fdi, AS_OF)
    return {"status": status, "counties": county_rates(status), "counts": pipeline_counts(status, fdi),
            "investors": investors(status), "warnings": fdi_warning_rows(status, fdi, AS_OF)}


def write_file(path: Path, projects: pl.DataFrame, dates: pl.DataFrame, fdi) -> Path:
    """The projects as a pipeline CSV with Chinese headers (actual dates before today only)."""
    fields = all_fields(fdi)
    wide = dates.pivot(on="stage", index="project_id", values=["planned_date", "actual_date"])
    rows = projects.join(wide, on="project_id")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([aliases[0] for aliases in fields.values()])
        for r in rows.iter_rows(named=True):  # writing the input file, not the code measured
            base = [r["project_id"], r["name_zh"], r["org_unit"], r["industry"], r["investor_name"],
                    r["investor_country"], "是" if r["investor_fortune500"] else "否",
                    str(r["contracted_usd"] // 10_000), str(max(1, r["arrived_usd"] // 10_000) if r["actual_date_capital_arrived"] else 0),
                    r["next_step_owner"]]
            for code in fdi.stage_codes:
                planned, actual = r[f"planned_date_{code}"], r[f"actual_date_{code}"]
                base += [planned.isoformat() if planned else "", actual.isoformat() if actual else ""]
            writer.writerow(base)
    return path


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--file-projects", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    catalog, fdi = load_catalog(), load_fdi_catalog()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")

    projects, dates = synthetic(args.projects, args.seed, fdi)
    dates = dates.filter(pl.col("actual_date").is_null() | (pl.col("actual_date") <= AS_OF + timedelta(days=400)))
    seconds, found = timed(lambda: engine_run(projects, dates, fdi), args.repeats)
    status = found["status"]
    print(f"engine: {args.projects:,} projects × {len(fdi.stage_codes)} stages ({dates.height:,} stage rows): "
          f"median {seconds * 1000:.0f} ms of {args.repeats} "
          f"(overdue projects {int((status['overdue_count'] > 0).sum()):,}, landed {int(status['landed'].sum()):,}, "
          f"warnings {found['warnings'].height:,}) — target < 1 s: {'met' if seconds < 1 else 'NOT met'}")

    small_projects, small_dates = synthetic(args.file_projects, args.seed + 1, fdi)
    small_dates = small_dates.with_columns(
        actual_date=pl.when(pl.col("actual_date") <= AS_OF).then("actual_date"))
    with tempfile.TemporaryDirectory() as folder:
        path = write_file(Path(folder) / "pipeline.csv", small_projects, small_dates, fdi)
        read_seconds, pipeline = timed(lambda: read_fdi_pipeline(path, catalog, fdi, today=AS_OF), 3)
        engine = connect(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        started = time.perf_counter()
        first = save_fdi_pipeline(engine, pipeline, actor="bench", file_name=path.name, sha256="-")
        store_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = save_fdi_pipeline(engine, pipeline, actor="bench", file_name=path.name, sha256="-")
        again_seconds = time.perf_counter() - started
        engine.dispose()
        size = path.stat().st_size
    print(f"import: read and check {args.file_projects:,} projects from CSV ({size / 1e6:.1f} MB): "
          f"median {read_seconds * 1000:.0f} ms; store on SQLite {store_seconds * 1000:.0f} ms "
          f"({first.counts()['new']:,} new); again {again_seconds * 1000:.0f} ms ({again.counts()['unchanged']:,} unchanged)"
          f" — target < 2 s each: {'met' if max(read_seconds, store_seconds, again_seconds) < 2 else 'NOT met'}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
