"""Benchmark: status and lights for 10,000 projects × 60 monthly reports (target: under 1 s).

10,000 synthetic projects (seeded; years around 2021–2025, investments in integer 万元, the
units and org units of the landmark projects) each with 60 monthly reports, 2021-01 … 2025-12
(year-to-date figures rising within each year, stages drawn so that every light and rule
occurs, one report in twenty missing), then ``project_status`` for one month (2023-10) over all of them: the current month's
join, the plan-period sums over every year's last report, the exact light comparisons and the
reasons. Also timed: the three roll-ups and the warning rows. Figures and the command are
recorded in bench/README.md. Run: `make bench-projects` or `.venv/bin/python bench/bench_projects.py`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date

import numpy as np
import polars as pl

from commerce_brain.projects.catalog import PROJECT_SCHEMA, load_project_catalog
from commerce_brain.projects.rollup import rollup
from commerce_brain.projects.schedule import project_status
from commerce_brain.projects.warning_rows import warning_candidates

MONTH = "2023-10"


def synthetic(n_projects: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n_projects`` projects and 60 monthly reports each (2021-01 … 2025-12), columnar."""
    rng = np.random.default_rng(seed)
    landmark = load_project_catalog().projects
    pick = rng.integers(0, landmark.height, n_projects)
    start = rng.integers(2019, 2024, n_projects)
    total = rng.integers(1_000, 1_000_000, n_projects)
    projects = pl.DataFrame({
        "id": [f"p{i:06d}" for i in range(n_projects)],
        "column": landmark["column"].gather(pick), "number": np.arange(n_projects),
        "name_zh": pl.Series([f"项目{i}" for i in range(n_projects)]),
        "start_year": start, "end_year": start + rng.integers(1, 6, n_projects),
        "total_investment_wan": total, "plan_period_investment_wan": total * 4 // 5,
        "responsible_unit": landmark["responsible_unit"].gather(pick),
        "org_unit": landmark["org_unit"].gather(pick), "citation": "synthetic", "source": "import",
    }).cast(PROJECT_SCHEMA)
    months = 60
    project = np.repeat(np.arange(n_projects), months)
    month_index = np.tile(np.arange(months), n_projects)
    year, month = 2021 + month_index // 12, month_index % 12 + 1
    plan = np.repeat(total // 5, months)
    pace = np.repeat(rng.uniform(0.5, 1.3, n_projects), months)  # how fast each project spends
    ytd = np.minimum(plan * pace * month / 12, plan * 3).astype(np.int64)
    stage = np.where(np.repeat(rng.random(n_projects) < 0.05, months), "not_started",
                     np.where(np.repeat(rng.random(n_projects) < 0.3, months), "completed", "under_construction"))
    reports = pl.DataFrame({
        "project_id": projects["id"].gather(project),
        "month": pl.Series([f"{y}-{m:02d}" for y, m in zip(year.tolist(), month.tolist())]),
        "annual_plan_wan": plan, "completed_month_wan": plan // 12, "completed_ytd_wan": ytd, "stage": stage,
    })
    # One report in twenty never came: some projects are `none` in the month asked for.
    return projects, reports.filter(pl.Series(rng.random(reports.height) >= 0.05))


def timed(function, repeat: int) -> tuple[float, list[float], object]:
    """Median wall time of ``repeat`` runs, every time, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000, help="projects [10000]")
    parser.add_argument("--repeat", type=int, default=7, help="runs; the median is reported [7]")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--store", help="also store the reports in this database (a fresh SQLite or PostgreSQL "
                                        "URL) and time the month's status read from it")
    args = parser.parse_args()

    settings = load_project_catalog().settings
    projects, reports = synthetic(args.projects, args.seed)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    median, times, status = timed(lambda: project_status(projects, reports, MONTH, settings), args.repeat)
    lights = dict(status.group_by("light").len().sort("light").iter_rows())
    rules = dict(status.group_by("light_rule").len().sort("light_rule").iter_rows())
    print(f"{projects.height:,} projects × 60 months, {reports.height:,} reports (one in twenty left out)")
    print(f"status + lights for {MONTH}: median {median * 1000:.1f} ms "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms) — target < 1000 ms")
    print(f"lights: {lights}")
    print(f"rules:  {rules}")
    roll_s, _, _ = timed(lambda: [rollup(status, by) for by in ("column", "responsible_unit", "org_unit")],
                         args.repeat)
    warn_s, _, warnings = timed(lambda: warning_candidates(status, settings, date(2023, 11, 5)), args.repeat)
    print(f"three roll-ups: {roll_s * 1000:.1f} ms; warning rows: {warnings.height:,} in {warn_s * 1000:.1f} ms")
    if args.store:
        _store(args.store, projects, reports, args.repeat)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _store(url: str, projects: pl.DataFrame, reports: pl.DataFrame, repeat: int) -> None:
    """Save the reports as one import, then time ``month_status`` (read the newest versions of
    every report, compute) — what the CLI and the pages do. The synthetic projects are not in the
    catalog, so they are stored as extra projects first."""
    from commerce_brain.io.project_reports_import import EXTRA_SCHEMA, REPORTS_SCHEMA
    from commerce_brain.project_tracking import month_status
    from commerce_brain.store.project_tables import save_reports
    from commerce_brain.store.schema import connect

    engine = connect(url)
    extra = projects.select(list(EXTRA_SCHEMA))
    full = reports.with_columns(*(pl.lit(None, pl.String).alias(c)
                                  for c in ("image_progress", "problems", "problem_owner"))).select(list(REPORTS_SCHEMA))
    began = time.perf_counter()
    save_reports(engine, full, actor="bench", import_meta={"file_name": "bench", "sha256": "0" * 64}, extra=extra)
    saved = time.perf_counter() - began
    _, times, (_, status) = timed(lambda: month_status(engine, MONTH), repeat)
    print(f"store ({engine.dialect.name}): one import of {full.height:,} reports and {extra.height:,} projects in "
          f"{saved:.2f} s; month_status for {status.height:,} projects: first call (read the newest reports up to "
          f"the month + compute) {times[0] * 1000:.0f} ms, then from the per-process memo "
          f"{', '.join(f'{t * 1000:.1f}' for t in times[1:])} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
