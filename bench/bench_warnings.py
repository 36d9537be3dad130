"""Benchmark: the warnings store (预警处置) at the size of a province's monthly run.

``--warnings`` synthetic warning rows (default 20,000: every project of a 10,000-project list
yellow or red in two months) raised with ``followup.raise_warnings`` on a fresh store, then the
same rows again (every one already raised: nothing stored), then ``list_warnings`` and its
counts as the city sees them and as one responsible unit sees them (the /warnings page's
queries), and ``count_warnings`` (the cockpit's tile, counted in the database). Targets (ours, the issue sets none): raising under 2 s, raising again under 1 s, each
list under 0.5 s.

Figures and the command are recorded in bench/README.md. Run:
`.venv/bin/python bench/bench_warnings.py [--db URL]` (default: a SQLite file in a temporary folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from commerce_brain import followup as fu
from commerce_brain.access import Scope
from commerce_brain.store.schema import connect

UNITS = ["衢江区政府", "柯城区政府", "江山市政府", "常山县政府", "开化县政府", "龙游县政府", "智慧新城管委会"]
COUNTIES = ["330803", "330802", "330881", "330822", "330824", "330825", "Z33080002"]


def rows(n: int) -> pl.DataFrame:
    """``n`` warnings: projects p00000… over two months, the units and counties in turn."""
    i = pl.int_range(0, n, eager=True)
    return pl.DataFrame({"i": i}).select(
        pl.lit("projects").alias("source"),
        pl.when(pl.col("i") % 3 == 0).then(pl.lit("not_started")).otherwise(pl.lit("schedule_behind")).alias("detector"),
        pl.lit("project").alias("subject_kind"),
        pl.format("p{}", (pl.col("i") // 2).cast(pl.String).str.zfill(5)).alias("subject_id"),
        pl.format("项目{}", pl.col("i") // 2).alias("subject_name"),
        pl.col("i").mod(len(COUNTIES)).replace_strict(dict(enumerate(COUNTIES)), return_dtype=pl.String).alias("org_unit"),
        pl.col("i").mod(len(UNITS)).replace_strict(dict(enumerate(UNITS)), return_dtype=pl.String).alias("responsible_unit"),
        pl.when(pl.col("i") % 4 == 0).then(pl.lit("red")).otherwise(pl.lit("yellow")).alias("level"),
        pl.lit("年度计划投资完成 41%，时间进度 83%，落后 42 个百分点").alias("reason"),
        pl.when(pl.col("i") % 2 == 0).then(pl.lit("2026-09")).otherwise(pl.lit("2026-10")).alias("period"),
        pl.lit(date(2026, 11, 15)).alias("due_date"),
    )


def timed(label: str, work):
    start = time.perf_counter()
    result = work()
    print(f"{label:<44} {1000 * (time.perf_counter() - start):8.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warnings", type=int, default=20_000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = connect(args.db or f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        frame = rows(args.warnings)
        print(f"{engine.dialect.name}, {frame.height:,} warning rows")
        first = timed("raise_warnings (all new)", lambda: fu.raise_warnings(engine, frame, actor="bench"))
        again = timed("raise_warnings again (all already raised)", lambda: fu.raise_warnings(engine, frame, actor="bench"))
        assert (first.new, again.new, again.unchanged) == (frame.height, 0, frame.height)
        city = timed("list_warnings + counts, the whole city",
                     lambda: fu.warning_counts(fu.list_warnings(engine, Scope())))
        unit = timed("list_warnings + counts, one responsible unit",
                     lambda: fu.warning_counts(fu.list_warnings(engine, Scope(units=frozenset({UNITS[0]})))))
        counted = timed("count_warnings, the whole city (the cockpit)", lambda: fu.count_warnings(engine, Scope()))
        assert counted == city
        print(f"city sees {city['total']:,}, {UNITS[0]} sees {unit['total']:,}")
        engine.dispose()


if __name__ == "__main__":
    main()
