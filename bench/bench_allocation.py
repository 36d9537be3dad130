"""Benchmark: competitive allocation of 1,000 applications under the article-5 limits, exactly.

The catalog's article-5 key-projects pot (3000万元; intelligent-manufacturing projects: at most
5, one per industry; major projects: at most 20) and 1,000 seeded made-up applications (a third
intelligent, seven industries, requests 50–500万元, scores 50.0–100.0). ``allocate`` is timed
whole, as the CLI and the pages call it: the three HiGHS solves (best score, then least money,
then file order), the greedy order, and every application's reason. Target: under 2 s, with
the greedy gap reported. Figures and the command are recorded in bench/README.md.
Run: ``make bench-allocation`` (or ``.venv/bin/python bench/bench_allocation.py``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import polars as pl

from commerce_brain.grading.allocation import APPLICATION_SCHEMA, allocate, exact_number
from commerce_brain.grading.pot import POTS_DIR, load_pot

TARGET_S = 2.0


def applications(pot, size: int, seed: int) -> pl.DataFrame:
    """``size`` seeded applications to ``pot`` (APPLICATION_SCHEMA)."""
    rng = np.random.default_rng(seed)
    industries = np.array(list(pot.industries))
    kinds = np.where(rng.random(size) < 1 / 3, "intelligent", "major")
    return pl.DataFrame({
        "position": np.arange(size), "id": [str(i + 1) for i in range(size)],
        "uscc": [f"91330800MA2{i + 1:07d}" for i in range(size)],
        "industry": industries[rng.integers(0, len(industries), size)], "kind": kinds,
        "requested_fen": rng.integers(50, 501, size) * 1_000_000,  # 50–500万元 in whole 万元
        "score_e4": rng.integers(500, 1001, size) * 1_000,  # 50.0–100.0
    }).cast(APPLICATION_SCHEMA)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=5, help="How many different seeded application sets.")
    args = parser.parse_args()
    pot = load_pot(POTS_DIR / "qz2019_art5_key_projects.yaml")
    allocate(pot, applications(pot, 30, 0))  # warm up: imports and HiGHS's first instance
    worst = 0.0
    for seed in range(args.seeds):
        apps = applications(pot, args.size, seed)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = allocate(pot, apps)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        worst = max(worst, max(times))
        print(f"seed {seed}: {apps.height:,} applications → exact {len(result.selected_ids())} awards, "
              f"score {exact_number(result.total_score_e4, 10_000)}, {result.total_fen // 100:,} 元; "
              f"greedy {len(result.selected_ids(greedy=True))} awards, "
              f"score {exact_number(result.greedy_total_score_e4, 10_000)}, {result.greedy_total_fen // 100:,} 元; "
              f"gap {exact_number(result.gap_e4, 10_000)}; median {median * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms ({args.runs} runs)")
    print(f"slowest run {worst * 1000:.0f} ms; target {TARGET_S:.0f} s: {'met' if worst < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
