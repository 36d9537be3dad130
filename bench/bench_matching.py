"""Benchmark: matching and near misses (issue 13 §3) over a city of 100,000 enterprises.

The synthetic city of ``policy.synthetic.city`` (seed 42, every event kind of the catalog),
``--enterprises`` enterprises (default 100,000) with facts for 2019–2023 and their events,
against every rule of the packaged policy catalog, award year 2023. Timed, median of ``--runs``:

1. the near-miss survey — ``match(..., near_only=True)`` then ``near_misses(within=0.1)``: the
   engine's awards for the year, every rule's condition turned into met / how far short over
   every enterprise, and the Chinese sentences for the near misses (what ``policy match --near``,
   the API and the page run). Target: under 2 s.
2. for information, the whole match frame (one row per enterprise × rule considered, every
   sentence, “需2023年新获…” included).
3. for information, one enterprise's match (the API's and the home page's call).

Figures and the command are recorded in bench/README.md. Run:
`.venv/bin/python bench/bench_matching.py`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import polars as pl

from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.match_board import enterprise_match
from commerce_brain.policy.engine import packaged
from commerce_brain.policy.matching import match, near_misses
from commerce_brain.policy.synthetic import city

YEAR = 2023
TARGET_MS = 2000


def timed(runs: int, work):
    """The median and the slowest wall time of ``runs`` calls of ``work`` in ms, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    policies, catalog = packaged()
    enterprises, facts, events = city(args.enterprises, range(2019, YEAR + 1), seed=42,
                                      event_kinds=sorted(policies.event_kinds()))
    data = PolicyData(enterprises, facts, events)
    print(f"Python {platform.python_version()}, Polars {pl.__version__}; {os.cpu_count()} CPUs; "
          f"load average at start {os.getloadavg()[0]:.2f}; median of {args.runs} runs")
    print(f"city: {enterprises.height:,} enterprises, {facts.height:,} enterprise-years, {events.height:,} events; "
          f"{len(policies.rules())} rules in {len(policies.policies)} policies; award year {YEAR}")
    match(policies, PolicyData(enterprises.head(1000), facts, events), year=YEAR, catalog=catalog)  # warm up

    def survey():
        return near_misses(match(policies, data, year=YEAR, catalog=catalog, near_only=True), within=0.1)

    survey_ms, worst, near = timed(args.runs, survey)
    by_rule = near.group_by("rule_id").len().sort("len", descending=True)
    print(f"1. near-miss survey (within 10%): {survey_ms:.1f} ms median, {worst:.1f} ms slowest; {near.height:,} near misses "
          f"({', '.join(f'{r} {n:,}' for r, n in by_rule.iter_rows())}), "
          f"{near['money_at_stake_fen'].sum() // 1_000_000:,} 万元 at stake")
    print(f"   target < {TARGET_MS} ms: {'met' if survey_ms < TARGET_MS else 'MISSED'}")
    ms, worst, full = timed(args.runs, lambda: match(policies, data, year=YEAR, catalog=catalog))
    print(f"2. whole match frame: {ms:.1f} ms median, {worst:.1f} ms slowest; {full.height:,} rows "
          f"({int(full['met'].sum()):,} met)")
    one = enterprises["uscc"][0]
    ms, worst, rows = timed(args.runs, lambda: enterprise_match(data, one, year=YEAR, policies=policies, catalog=catalog))
    print(f"3. one enterprise ({rows.height} rules considered): {ms:.1f} ms median")
    sample = near.row(0, named=True) if near.height else None
    if sample:
        print(f"   e.g. {sample['rule_name']}: {'；'.join(sample['gaps'])}")
    return 0 if near.height and survey_ms < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
