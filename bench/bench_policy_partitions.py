"""Benchmark: the policy engine by partition (issue 14 items 4 and 5).

Every timed run is a fresh subprocess (this script with ``--child …``), so its peak resident
memory (ru_maxrss) is its own; each prints one JSON line the parent reads.

1. ``province``: a province-size lean city (default 15,000,000 enterprise-years, 2019–2023)
   written once as hive-partitioned Parquet, one partition per org unit of the sample city
   (``policy scale write --synthetic``); then, interleaved (partitioned, single, partitioned, …):
   - partitioned: ``partitions.evaluate_partitioned`` — each partition read (only the columns
     the engine needs), evaluated and its awards written, one at a time;
   - single pass: every partition read at once (the same projection), ``evaluate_years`` over
     the whole city, awards written to Parquet.
   Wall time (median), µs per enterprise-year, peak RSS (target < 2 GB partitioned), and the
   partitioned awards compared with the single pass's: frame equality, digests and totals.
2. ``simulate``: ``distributed.simulate`` on a local cluster of 2 worker processes (1 thread
   each, Polars one thread each): every partition generated on a worker and evaluated there,
   only summaries back. ``--range A:B`` runs plan partitions A..B-1 only, so a national run is
   split into runs of a few minutes, recombined with ``combine``. Wall time, peak RSS per
   worker, and the projection to a cluster.
3. ``identical``: the same simulation (cluster) against one process over the concatenated
   partitions (``synthetic_scale.scale_city``): digests partition by partition, totals.
4. ``curve``: the scale curve of the three paths on the same files — for each size (default
   100k … 30M) the lean city written by org unit, then single pass, partitioned (one at a time)
   and distributed (``evaluate_distributed`` on a local cluster of 2 workers reading the same
   partitions), each in a fresh process: time, µs per row, peak memory (the largest worker's,
   for the cluster), and the three run digests compared.
5. ``breakdown``: where one partition's time goes (generate, write, read, evaluate, digest,
   write awards), each step timed alone in a fresh process.

Run every mode under ``flock /tmp/cb-bench.lock``; the commands and figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import polars as pl

YEARS = [2019, 2020, 2021, 2022, 2023]
PROVINCE = 15_000_000
TARGET_PEAK_BYTES = 2 * 10**9
WORK = Path(os.environ.get("CB_BENCH_DIR", "/tmp/cb-bench-partitions"))


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(argv: list[str]) -> dict:
    """Run ``argv`` (this script's ``--child`` modes) in a fresh interpreter; its JSON line."""
    done = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"child {argv} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- children: each measures itself -------------------------------------------------------------

def child_write(root: str, enterprise_years: int) -> dict:
    from commerce_brain.policy.partitions import write_synthetic

    shutil.rmtree(root, ignore_errors=True)
    start = time.perf_counter()
    keys = write_synthetic(root, enterprise_years, YEARS)
    return {"seconds": time.perf_counter() - start, "keys": keys, "peak_rss": peak_bytes()}


def child_partitioned(root: str, out: str) -> dict:
    from commerce_brain.policy.engine import packaged
    from commerce_brain.policy.partitions import evaluate_partitioned, run_digest

    packaged()  # the catalogs loaded before the clock, as a server has them
    gc.collect()
    start = time.perf_counter()
    summaries = evaluate_partitioned(root, YEARS, out=out)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss": peak_bytes(), "rows": sum(s.enterprise_years for s in summaries),
            "awards": sum(s.awards for s in summaries), "amount_fen": sum(s.amount_fen for s in summaries),
            "digest": run_digest({s.key: s.digest for s in summaries}),
            "largest": max(s.enterprise_years for s in summaries),
            "partitions": [[s.key, s.enterprise_years, round(s.seconds, 3)] for s in summaries]}


def child_distributed(root: str, out: str, workers: int) -> dict:
    """``evaluate_distributed`` over the partitions on a new local cluster (its start untimed)."""
    from commerce_brain.policy.distributed import connect, evaluate_distributed
    from commerce_brain.policy.partitions import peaks_by_worker, run_digest

    client = connect(None, workers)
    client.run(lambda: __import__("commerce_brain.policy.engine", fromlist=["packaged"]).packaged())
    start = time.perf_counter()
    summaries = evaluate_distributed(client, root, YEARS, out=out)
    seconds = time.perf_counter() - start
    client.close()
    return {"seconds": seconds, "peak_rss": max(peaks_by_worker(summaries).values()),
            "rows": sum(s.enterprise_years for s in summaries), "awards": sum(s.awards for s in summaries),
            "amount_fen": sum(s.amount_fen for s in summaries),
            "digest": run_digest({s.key: s.digest for s in summaries})}


def child_digest_single(awards_file: str) -> dict:
    """The single pass's awards, split by partition as written, hashed as a run is."""
    from commerce_brain.policy.partitions import digest, run_digest

    awards = pl.read_parquet(awards_file)
    parts = awards.partition_by("org_unit", as_dict=True)
    return {"digest": run_digest({key[0]: digest(frame) for key, frame in parts.items()})}


def child_single(root: str, awards_file: str) -> dict:
    from commerce_brain.policy.engine import columns_read, evaluate_years, packaged

    policies, _ = packaged()
    wanted = columns_read(policies)
    gc.collect()
    start = time.perf_counter()
    frames = []
    for table in ("enterprises", "facts", "events"):
        files = sorted(Path(root).glob(f"{table}/part=*/0.parquet"))
        present = pl.read_parquet_schema(files[0])
        keys = ["eid", "deal"] if table == "events" else ["eid"]
        columns = [c for c in dict.fromkeys([*keys, *wanted[table]]) if c in present]
        frames.append(pl.read_parquet(files, columns=columns, hive_partitioning=False))
    read = time.perf_counter() - start
    awards = evaluate_years(*frames, YEARS, keep_eid=True).awards
    seconds = time.perf_counter() - start
    rows = frames[1].height
    del frames
    awards.write_parquet(awards_file)
    return {"seconds": seconds, "read_seconds": read, "peak_rss": peak_bytes(), "rows": rows,
            "awards": awards.height, "amount_fen": int(awards["amount_fen"].sum())}


def child_compare(out: str, awards_file: str) -> dict:
    """The partitioned awards against the single pass's, to the fen."""
    from polars.testing import assert_frame_equal

    from commerce_brain.policy.partitions import CANONICAL_ORDER, digest, read_awards

    together = read_awards(out)
    single = pl.read_parquet(awards_file).sort(CANONICAL_ORDER)
    assert_frame_equal(together, single)
    return {"identical": True, "awards": together.height, "amount_fen": int(together["amount_fen"].sum()),
            "digest_partitioned": digest(together), "digest_single": digest(single)}


def child_simulate(enterprise_years: int, parts: int, first: int, last: int, workers: int) -> dict:
    from commerce_brain.policy.distributed import connect, simulate_part, simulation_plan
    from commerce_brain.policy.partitions import peaks_by_worker

    plan = simulation_plan(enterprise_years, parts, YEARS)[first:last]
    started = time.perf_counter()
    client = connect(None, workers)
    client.run(lambda: __import__("commerce_brain.policy.engine", fromlist=["packaged"]).packaged())
    ready = time.perf_counter()
    futures = client.map(simulate_part, plan, years=YEARS, pure=False)
    summaries = client.gather(futures)
    seconds = time.perf_counter() - ready
    client.close()
    return {"seconds": seconds, "startup_seconds": ready - started, "rows": sum(s.enterprise_years for s in summaries),
            "awards": sum(s.awards for s in summaries), "amount_fen": sum(s.amount_fen for s in summaries),
            "worker_peaks": sorted(peaks_by_worker(summaries).values()), "driver_peak_rss": peak_bytes(),
            "part_seconds": [round(s.seconds, 3) for s in summaries],
            "digests": {s.key: s.digest for s in summaries}}


def child_single_simulated(enterprise_years: int, parts: int) -> dict:
    """One process over the concatenation of the simulation's partitions."""
    from commerce_brain.policy.distributed import digests_by_part, simulation_plan
    from commerce_brain.policy.engine import evaluate_years, packaged
    from commerce_brain.policy.synthetic_scale import scale_city

    packaged()
    plan = simulation_plan(enterprise_years, parts, YEARS)
    city = scale_city(enterprise_years, YEARS, parts=parts)  # the plan's partitions, concatenated
    gc.collect()
    start = time.perf_counter()
    awards = evaluate_years(*city, YEARS, keep_eid=True).awards
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss": peak_bytes(), "rows": city[1].height, "awards": awards.height,
            "amount_fen": int(awards["amount_fen"].sum()), "digests": digests_by_part(awards, plan)}


def child_breakdown(enterprise_years: int, root: str) -> dict:
    """Where one partition's time goes: generated, written, read, evaluated, digested."""
    from commerce_brain.policy.engine import evaluate_years, packaged
    from commerce_brain.policy.partitions import digest, read_partition, write_partition
    from commerce_brain.policy.synthetic_scale import partition_city

    packaged()
    steps: dict[str, float] = {}

    def step(name, function):
        gc.collect()
        start = time.perf_counter()
        result = function()
        steps[name] = time.perf_counter() - start
        return result

    shutil.rmtree(root, ignore_errors=True)
    frames = step("generate", lambda: partition_city(0, enterprise_years // len(YEARS), YEARS))
    step("write partition", lambda: write_partition(root, "p0000", *frames))
    del frames
    frames = step("read partition", lambda: read_partition(root, "p0000"))
    awards = step("evaluate", lambda: evaluate_years(*frames, YEARS, keep_eid=True).awards)
    step("digest", lambda: digest(awards))
    step("write awards", lambda: awards.write_parquet(Path(root) / "awards.parquet"))
    return {"rows": frames[1].height, "awards": awards.height, "steps": steps, "peak_rss": peak_bytes()}


CHILDREN = {
    "breakdown": lambda a: child_breakdown(int(a[0]), a[1]),
    "write": lambda a: child_write(a[0], int(a[1])),
    "partitioned": lambda a: child_partitioned(a[0], a[1]),
    "single": lambda a: child_single(a[0], a[1]),
    "compare": lambda a: child_compare(a[0], a[1]),
    "simulate": lambda a: child_simulate(*(int(x) for x in a)),
    "single-simulated": lambda a: child_single_simulated(int(a[0]), int(a[1])),
    "distributed": lambda a: child_distributed(a[0], a[1], int(a[2])),
    "digest-single": lambda a: child_digest_single(a[0]),
}


# ---- the parent: runs children, prints the figures ---------------------------------------------

def gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


def province(size: int, runs: int, rewrite: bool) -> None:
    root, out, single_file = WORK / f"province-{size}", WORK / "province-out", WORK / "province-single.parquet"
    if rewrite or not (root / "enterprises").is_dir():
        written = child(["write", str(root), str(size)])
        print(f"written {size:,} enterprise-years as {len(written['keys'])} partitions ({', '.join(written['keys'])}) "
              f"in {written['seconds']:.1f} s (peak {gb(written['peak_rss'])})")
    parted, single = [], []
    for _ in range(runs):  # interleaved: partitioned, single, partitioned, single, …
        parted.append(child(["partitioned", str(root), str(out)]))
        single.append(child(["single", str(root), str(single_file)]))
    for name, results in (("partitioned", parted), ("single pass", single)):
        t = statistics.median(r["seconds"] for r in results)
        peak = max(r["peak_rss"] for r in results)
        rows = results[0]["rows"]
        print(f"{name:12s}: {rows:,} enterprise-years, median {t:.2f} s of {[round(r['seconds'], 2) for r in results]}, "
              f"{t / rows * 1e6:.3f} µs per row, peak RSS {gb(peak)} ({peak / rows:.0f} bytes per row)")
    print(f"largest partition {parted[0]['largest']:,} enterprise-years; per partition (key, rows, s): "
          f"{parted[0]['partitions']}")
    print(f"single pass read {statistics.median(r['read_seconds'] for r in single):.2f} s of it")
    peak = max(r["peak_rss"] for r in parted)
    print(f"partitioned peak {'MET' if peak < TARGET_PEAK_BYTES else 'MISSED'} (< 2 GB): {gb(peak)}")
    same = child(["compare", str(out), str(single_file)])
    print(f"identical to the fen: {same['identical']} — {same['awards']:,} awards, {same['amount_fen']:,} fen; "
          f"digest partitioned {same['digest_partitioned'][:16]} single {same['digest_single'][:16]}")
    assert same["awards"] == single[-1]["awards"] and same["amount_fen"] == single[-1]["amount_fen"]


def simulate(size: int, parts: int, first: int, last: int, workers: int, record: Path | None) -> None:
    result = child(["simulate", str(size), str(parts), str(first), str(last), str(workers)])
    rows = result["rows"]
    print(f"simulate {size:,} enterprise-years in {parts} partitions, partitions {first}..{last - 1}: {rows:,} rows "
          f"on {workers} workers in {result['seconds']:.1f} s (+ {result['startup_seconds']:.1f} s cluster start), "
          f"{result['seconds'] / rows * 1e6:.3f} µs per row of wall time, "
          f"{sum(result['part_seconds']) / rows * 1e6:.3f} µs per row of worker time; "
          f"peak RSS per worker {[gb(p) for p in result['worker_peaks']]}; {result['awards']:,} awards, "
          f"{result['amount_fen']:,} fen")
    if record:
        record.parent.mkdir(parents=True, exist_ok=True)
        with record.open("a") as fh:
            fh.write(json.dumps({"size": size, "parts": parts, "first": first, "last": last, **result}) + "\n")


def combine(record: Path, workers: int, overhead: float) -> None:
    """Recombine split simulation runs; project to a cluster of W workers:
    time ≈ worker-seconds per row × rows / W + overhead."""
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    rows = sum(r["rows"] for r in runs)
    wall = sum(r["seconds"] for r in runs)
    busy = sum(sum(r["part_seconds"]) for r in runs)
    per_row = busy / rows
    print(f"combined {len(runs)} runs: {rows:,} enterprise-years, {len({k for r in runs for k in r['digests']})} "
          f"partitions, wall {wall:.1f} s on {workers} workers, worker time {busy:.1f} s ({per_row * 1e6:.3f} µs per "
          f"row), peak RSS per worker max {gb(max(max(r['worker_peaks']) for r in runs))}, "
          f"{sum(r['awards'] for r in runs):,} awards, {sum(r['amount_fen'] for r in runs):,} fen")
    for cluster in (2, 8, 32, 100):
        print(f"  projected on {cluster:>3} workers: {per_row * rows / cluster + overhead:,.0f} s "
              f"(= {per_row * 1e6:.3f} µs × {rows:,} / {cluster} + {overhead:.0f} s)")


def identical(size: int, parts: int, workers: int) -> None:
    cluster = child(["simulate", str(size), str(parts), "0", str(parts), str(workers)])
    single = child(["single-simulated", str(size), str(parts)])
    same = cluster["digests"] == single["digests"]
    print(f"identical {size:,}: cluster {cluster['awards']:,} awards {cluster['amount_fen']:,} fen in "
          f"{cluster['seconds']:.1f} s; single {single['awards']:,} awards {single['amount_fen']:,} fen in "
          f"{single['seconds']:.1f} s (peak {gb(single['peak_rss'])}); digests equal partition by partition: {same}")
    from commerce_brain.policy.partitions import run_digest

    print(f"run digest cluster {run_digest(cluster['digests'])[:16]} single {run_digest(single['digests'])[:16]}")
    if not same or cluster["amount_fen"] != single["amount_fen"] or cluster["awards"] != single["awards"]:
        sys.exit(1)


def curve(sizes: list[int], runs: int, workers: int) -> None:
    """Single pass, partitioned and distributed over the same partitions, size by size."""
    print(f"{'enterprise-years':>16}  {'path':11s} {'median s':>8} {'µs/row':>7} {'peak GB':>7} {'B/row':>6}"
          f"  {'awards':>10}  digest")
    for size in sizes:
        root, out = WORK / f"curve-{size}", WORK / "curve-out"
        shutil.rmtree(root, ignore_errors=True)
        child(["write", str(root), str(size)])
        paths = {"single": ["single", str(root), str(WORK / "curve-single.parquet")],
                 "partitioned": ["partitioned", str(root), str(out)],
                 "distributed": ["distributed", str(root), str(out), str(workers)]}
        results: dict[str, list[dict]] = {name: [] for name in paths}
        for _ in range(runs):  # interleaved, path by path
            for name, argv in paths.items():
                results[name].append(child(argv))
        digests = {name: rs[-1].get("digest") for name, rs in results.items()}
        digests["single"] = child(["digest-single", str(WORK / "curve-single.parquet")])["digest"]
        for name, rs in results.items():
            t = statistics.median(r["seconds"] for r in rs)
            peak, rows = max(r["peak_rss"] for r in rs), rs[0]["rows"]
            print(f"{size:>16,}  {name:11s} {t:8.2f} {t / rows * 1e6:7.3f} {peak / 1e9:7.2f} {peak / rows:6.0f}"
                  f"  {rs[-1]['awards']:>10,}  {digests[name][:16]}")
        if len(set(digests.values())) != 1:
            sys.exit(f"the three paths' awards differ at {size:,}: {digests}")
        shutil.rmtree(root, ignore_errors=True)
        print(f"  {load()}", flush=True)


def breakdown(size: int, runs: int) -> None:
    results = [child(["breakdown", str(size), str(WORK / "breakdown")]) for _ in range(runs)]
    rows = results[0]["rows"]
    print(f"one partition of {rows:,} enterprise-years ({results[0]['awards']:,} awards), median of {runs} fresh "
          f"processes, peak {gb(max(r['peak_rss'] for r in results))}:")
    for name in results[0]["steps"]:
        t = statistics.median(r["steps"][name] for r in results)
        print(f"  {name:16s} {t:6.3f} s  {t / rows * 1e6:.3f} µs per row")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(CHILDREN[sys.argv[2]](sys.argv[3:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("province")
    p.add_argument("--size", type=int, default=PROVINCE)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--rewrite", action="store_true")
    s = sub.add_parser("simulate")
    s.add_argument("--size", type=int, required=True)
    s.add_argument("--parts", type=int, required=True)
    s.add_argument("--range", default=None, help="A:B, plan partitions A..B-1 only")
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--record", type=Path, default=None, help="append the run's JSON to this file")
    c = sub.add_parser("combine")
    c.add_argument("record", type=Path)
    c.add_argument("--workers", type=int, default=2)
    c.add_argument("--overhead", type=float, default=10.0, help="seconds of scheduling and start-up assumed")
    b = sub.add_parser("breakdown")
    b.add_argument("--size", type=int, default=2_500_000)
    b.add_argument("--runs", type=int, default=3)
    k = sub.add_parser("curve")
    k.add_argument("--sizes", type=int, nargs="+",
                   default=[100_000, 1_000_000, 3_000_000, 10_000_000, 30_000_000])
    k.add_argument("--runs", type=int, default=3)
    k.add_argument("--workers", type=int, default=2)
    i = sub.add_parser("identical")
    i.add_argument("--size", type=int, default=10_000_000)
    i.add_argument("--parts", type=int, default=4)
    i.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"{platform.python_version()} polars {version('polars')} numpy {version('numpy')} "
          f"dask {version('distributed')}, {os.cpu_count()} cores; {load()}")
    if args.mode == "province":
        province(args.size, args.runs, args.rewrite)
    elif args.mode == "simulate":
        first, last = (int(x) for x in args.range.split(":")) if args.range else (0, args.parts)
        simulate(args.size, args.parts, first, last, args.workers, args.record)
    elif args.mode == "breakdown":
        breakdown(args.size, args.runs)
    elif args.mode == "curve":
        curve(args.sizes, args.runs, args.workers)
    elif args.mode == "combine":
        combine(args.record, args.workers, args.overhead)
    else:
        identical(args.size, args.parts, args.workers)
    print(load())


if __name__ == "__main__":
    main()
