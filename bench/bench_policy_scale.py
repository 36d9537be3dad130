"""Benchmark: the scale curve of the policy engine, single process (issue 14, item 3).

For each size (``--sizes``, enterprise-years; default 100k 1M 3M 10M 20M 30M) the lean scale
city (``policy.synthetic_scale.scale_city``, 2019–2023, every event kind of the catalog) is
written to Parquet once, untimed, in a temporary folder on disk. Then, for each path, a fresh
subprocess reads the Parquet projected to ``engine.columns_read`` and runs ``evaluate_years``
over the five award years ``--repeat`` times (median; ``gc.collect()`` before each), and
reports time, µs per enterprise-year, peak memory (the subprocess's ru_maxrss: reading and
evaluating included) in bytes per enterprise-year, awards and their total.

Paths:
- ``lean``: this engine, facts and events keyed by the integer ``eid`` (events with their
  global ``deal``), the design's input;
- ``uscc``: this engine, the same city keyed by the credit code (files without eid/deal);
- ``old``: the engine of another source tree (``--old-src``, e.g. a ``git worktree`` of the
  commit before issue 14's integer keys) on the uscc-keyed files; only up to ``--old-max``.

``uscc`` and ``old`` read the same files: their awards must be identical (the script checks
a digest and exits 1 if not). ``lean`` names an event without a subject by its global deal
rather than its row, so it is compared by award count and total.

Run: `flock /tmp/cb-bench.lock -c '.venv/bin/python bench/bench_policy_scale.py --sizes 1000000'`
(each locked run short: split the sizes over several runs). Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

YEARS = [2019, 2020, 2021, 2022, 2023]
TABLES = ("enterprises", "facts", "events")
DEFAULT_SIZES = [100_000, 1_000_000, 3_000_000, 10_000_000, 20_000_000, 30_000_000]
TARGET_US = 0.35  # µs per enterprise-year
TARGET_BYTES = 150  # peak bytes per enterprise-year


def write_city(folder: Path, size: int, parts: int) -> None:
    """The scale city of ``size`` enterprise-years as Parquet: eid-keyed (lean/) and
    uscc-keyed (uscc/, no eid or deal), one file per table."""
    from commerce_brain.policy.engine import packaged
    from commerce_brain.policy.synthetic_scale import scale_city

    policies, _ = packaged()
    enterprises, facts, events = scale_city(size, YEARS, parts=parts, event_kinds=sorted(policies.event_kinds()))
    (folder / "lean").mkdir(parents=True)
    (folder / "uscc").mkdir()
    for name, frame in zip(TABLES, (enterprises, facts, events), strict=True):
        frame.write_parquet(folder / "lean" / f"{name}.parquet")
    codes = enterprises.select("eid", "uscc")
    enterprises.drop("eid").write_parquet(folder / "uscc" / "enterprises.parquet")
    for name, frame in (("facts", facts), ("events", events.drop("deal"))):
        frame.join(codes, on="eid", maintain_order="left").drop("eid").write_parquet(folder / "uscc" / f"{name}.parquet")


def read_city(folder: Path, keyed_by_eid: bool) -> list[pl.DataFrame]:
    """The city's tables, projected to the columns the engine reads (``columns_read``; an old
    engine without it reads the same columns, keyed by uscc)."""
    needed = _columns_read()
    frames = []
    for name in TABLES:
        path = folder / f"{name}.parquet"
        present = pl.read_parquet_schema(path)
        wanted = [c for c in needed[name] if c in present] + ([] if keyed_by_eid or "uscc" in needed[name] else ["uscc"])
        frames.append(pl.read_parquet(path, columns=wanted))
    return frames


def _columns_read() -> dict[str, list[str]]:
    try:
        from commerce_brain.policy.engine import columns_read, packaged
        return columns_read(packaged()[0])
    except ImportError:  # the old engine: the same lean columns, written out
        return {
            "enterprises": ["uscc", "name", "org_unit", "is_manufacturing", "is_industrial", "is_listed",
                            "is_provincial_or_central_owned"],
            "facts": ["year", "main_revenue", "rd_spend"],
            "events": ["year", "kind", "subject", "already_paid", "level", "amount", "count", "rating",
                       "local_share", "benchmark_rate", "days", "assessed_award"],
        }


def run_child(folder: Path, keyed_by_eid: bool, repeat: int) -> dict:
    """In a fresh process: read, evaluate ``repeat`` times, report (stdout, one JSON line)."""
    from commerce_brain.policy.engine import evaluate_years, packaged

    policies, catalog = packaged()
    start = time.perf_counter()
    enterprises, facts, events = read_city(folder, keyed_by_eid)
    read_s = time.perf_counter() - start
    rows = facts.height
    times, result = [], None
    for _ in range(repeat):
        result = None  # the previous run's awards dropped before the next allocates
        gc.collect()
        start = time.perf_counter()
        result = evaluate_years(enterprises, facts, events, YEARS, policies=policies, catalog=catalog)
        times.append(time.perf_counter() - start)
    awards = result.awards
    digest = int(awards.hash_rows(seed=0).sum()) if "deal" not in events.columns else None
    return {"rows": rows, "read_s": read_s, "times": times, "awards": awards.height,
            "total_fen": int(awards["amount_fen"].sum()), "digest": digest,
            "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def measure(folder: Path, path: str, repeat: int, old_src: Path | None) -> dict:
    """One path in a fresh subprocess (its own peak memory), its report."""
    src = old_src if path == "old" else Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    data = folder / ("lean" if path == "lean" else "uscc")
    command = [sys.executable, __file__, "--child", str(data), "--repeat", str(repeat)]
    if path == "lean":
        command.append("--eid")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="enterprise-years per city")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per path (median) [3]")
    parser.add_argument("--parts", type=int, default=8, help="partitions the scale city is drawn in [8]")
    parser.add_argument("--paths", nargs="+", default=["lean", "uscc", "old"], choices=["lean", "uscc", "old"])
    parser.add_argument("--old-src", type=Path, help="src/ of the tree whose engine is 'old' (e.g. a git worktree)")
    parser.add_argument("--old-max", type=int, default=10_000_000, help="largest size the old path runs [10M]")
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the Parquet files [system temp]")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--eid", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.eid, args.repeat)))
        return 0
    paths = [p for p in args.paths if p != "old" or args.old_src]
    print(f"Python {sys.version.split()[0]}, Polars {pl.__version__}, NumPy {np.__version__}; {os.cpu_count()} CPUs; "
          f"load average at start {os.getloadavg()[0]:.2f}; median of {args.repeat}; paths {', '.join(paths)}"
          + (f" (old: {args.old_src})" if "old" in paths else ""))
    print(f"{'size':>11} {'path':>5} {'median s':>9} {'min s':>7} {'max s':>7} {'µs/row':>7} {'peak GB':>8} "
          f"{'B/row':>6} {'awards':>10} {'total 亿元':>11}  read s")
    failed = False
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench_scale_", dir=args.tmp) as tmp:
            folder = Path(tmp)
            subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                            f"import bench_policy_scale as b; from pathlib import Path; "
                            f"b.write_city(Path({tmp!r}), {size}, {args.parts})"], check=True)
            reports = {}
            for path in paths:
                if path == "old" and size > args.old_max:
                    continue
                r = reports[path] = measure(folder, path, args.repeat, args.old_src)
                median = statistics.median(r["times"])
                us, per_row = median / r["rows"] * 1e6, r["peak_bytes"] / r["rows"]
                print(f"{r['rows']:>11,} {path:>5} {median:>9.2f} {min(r['times']):>7.2f} {max(r['times']):>7.2f} "
                      f"{us:>7.3f} {r['peak_bytes'] / 1e9:>8.2f} {per_row:>6.0f} {r['awards']:>10,} "
                      f"{r['total_fen'] / 1e10:>11,.2f}  {r['read_s']:.2f}"
                      f"{'' if us <= TARGET_US else '  (time target MISSED)'}"
                      f"{'' if per_row < TARGET_BYTES else '  (memory target MISSED)'}", flush=True)
        if "uscc" in reports and "old" in reports and reports["uscc"]["digest"] != reports["old"]["digest"]:
            print(f"   awards of uscc and old DIFFER at {size:,}")
            failed = True
        totals = {(r["awards"], r["total_fen"]) for r in reports.values()}
        if len(totals) > 1:
            print(f"   award counts or totals DIFFER at {size:,}: {totals}")
            failed = True
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
