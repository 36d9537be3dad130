"""Benchmark: the 亩均效益 grading engine and the leading-50 lists.

``grading.evaluate.evaluate`` over ``--enterprises`` synthetic enterprise-years (default
100,000, ``grading.synthetic.synthetic_grading_facts``: ~10% outside industry, ~60% 规上, 2% on
shared parcels, ~5% without emissions) with the packaged catalog: scope, parcel merge, the eight
indicators, capped scores, group-average fill, bonus and penalty, ranks and classes and the
Chinese reason of every enterprise. Target: under 1 s. Then ``select_leaders`` (both lists of 50,
every candidate explained) on the result, and ``apply_regrades`` of 1,000 regrades.

Figures and the command are recorded in bench/README.md. Run:
`.venv/bin/python bench/bench_grading.py`.
"""

from __future__ import annotations

import argparse
import statistics
import time

import polars as pl

from commerce_brain.grading.catalog import load_grading_settings, load_leader_rules
from commerce_brain.grading.evaluate import apply_regrades, evaluate
from commerce_brain.grading.leaders import select_leaders
from commerce_brain.grading.synthetic import synthetic_grading_facts


def timed(runs: int, work):
    """The median wall time of ``runs`` calls of ``work`` in ms, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings, rules = load_grading_settings(), load_leader_rules()
    facts = synthetic_grading_facts(args.enterprises)
    evaluate(facts.head(1000), settings, year=2023)  # warm the query planner and the catalog

    ms, grading = timed(args.runs, lambda: evaluate(facts, settings, year=2023))
    graded = grading.graded
    print(f"evaluate: {args.enterprises:,} enterprises in {ms:.1f} ms "
          f"({graded.height:,} graded, {grading.out_of_scope.height:,} out of scope, "
          f"{graded['unit'].n_unique():,} units)  target < 1000 ms: {'met' if ms < 1000 else 'MISSED'}")
    counts = graded.group_by("size_class", "class").len().sort("size_class", "class")
    print("classes: " + ", ".join(f"{s} {c} {n:,}" for s, c, n in counts.iter_rows()))

    ms, leaders = timed(args.runs, lambda: select_leaders(graded, facts, rules))
    print(f"select_leaders: {leaders.height:,} candidate rows, {int(leaders['selected'].sum())} selected in {ms:.1f} ms")

    regrades = graded.head(1000).select("uscc", pl.lit("A").alias("class"), pl.lit("复核").alias("reason"),
                                        pl.lit("officer").alias("by"))
    ms, _ = timed(args.runs, lambda: apply_regrades(graded, regrades))
    print(f"apply_regrades: 1,000 regrades on {graded.height:,} rows in {ms:.1f} ms")


if __name__ == "__main__":
    main()
