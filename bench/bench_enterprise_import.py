"""Benchmark: importing 1,000,000 enterprise-years (政策兑现 enterprise data) from XLSX and CSV.

The seeded synthetic city of ``bench_policy.py`` (200,000 enterprises × 2019–2023 =
1,000,000 enterprise-years, plus its events), written once as a CSV folder
(``policy.sample.write_sample``) and as one XLSX workbook with the same text cells (openpyxl's
write-only mode; both cached between runs), then read back by the official import,
``io.enterprise_import.read_policy_data``, with the catalog's vocabulary checked as the CLI
does. Targets: XLSX < 10 s, CSV < 3 s. The script checks that both files give the city's own
frames exactly (money to the fen) and exits 1 if not.

Run: `PYTHONPATH=src .venv/bin/python bench/bench_enterprise_import.py` (figures in bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from openpyxl import Workbook

from commerce_brain.catalog import load_catalog
from commerce_brain.io.enterprise_import import read_policy_data
from commerce_brain.policy import synthetic
from commerce_brain.policy.catalog import load_policy_catalog
from commerce_brain.policy.sample import YEARS, write_sample

TARGETS = {"xlsx": 10.0, "csv": 3.0}
SEED = 42


def write_xlsx(path: Path, folder: Path) -> Path:
    """The CSV folder's tables as one workbook of text cells (write-only: bounded memory)."""
    book = Workbook(write_only=True)
    for name in ("enterprises", "facts", "events"):
        frame = pl.read_csv(folder / f"{name}.csv", infer_schema=False)
        sheet = book.create_sheet(name)
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
    book.save(path)
    return path


def files(n_enterprises: int, cache: Path) -> tuple[Path, Path]:
    """The CSV folder and the workbook, written once per population size."""
    folder = cache / f"city-{n_enterprises}-csv"
    workbook = cache / f"city-{n_enterprises}.xlsx"
    policies = load_policy_catalog()
    if not (folder / "events.csv").exists():
        write_sample(folder, n_enterprises=n_enterprises, seed=SEED, policies=policies)
    if not workbook.exists():
        write_xlsx(workbook, folder)
    return folder, workbook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=sorted(TARGETS))
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cb-bench-import")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    catalog, policies = load_catalog(), load_policy_catalog()
    folder, workbook = files(args.enterprises, args.cache)
    enterprises, facts, events = synthetic.city(args.enterprises, YEARS, seed=SEED,
                                                event_kinds=sorted(policies.event_kinds()))
    print(f"{facts.height:,} enterprise-years, {enterprises.height:,} enterprises, "
          f"{events.height:,} events; CSV {sum(p.stat().st_size for p in folder.iterdir()) / 2**20:.1f} MiB, "
          f"XLSX {workbook.stat().st_size / 2**20:.1f} MiB")
    failed = False
    for kind, source in (("xlsx", workbook), ("csv", folder)):
        if args.only and kind != args.only:
            continue
        times, cpu = [], []
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            data = read_policy_data(source, catalog, event_kinds=policies.event_kinds())
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        seconds = statistics.median(times)
        same = (data.enterprises.equals(enterprises) and data.facts.equals(facts)
                and data.events.equals(events))
        failed |= not same
        target = TARGETS[kind]
        print(f"{kind}: median {seconds:6.2f} s of {args.repeat} (runs {', '.join(f'{t:.2f}' for t in times)}); "
              f"target < {target:g} s: {'met' if seconds < target else 'MISSED'}; "
              f"frames identical to the city's: {same}; CPU {statistics.median(cpu):.2f} s (all threads); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"peak RSS of the process (the city in memory included): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
