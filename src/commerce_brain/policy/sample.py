"""Write the synthetic city as an import file, in the format `policy evaluate --data` reads."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
from openpyxl import Workbook

from .fact_registry import FACTS
from .model import PolicyCatalog
from .synthetic import city

YEARS = (2019, 2020, 2021, 2022, 2023)
MONEY = (*(f.name for f in FACTS if f.kind == "money"), "amount", "assessed_award", "already_paid")
RATES = ("local_share", "benchmark_rate")
DECIMALS = {f.name: f.scale for f in FACTS if f.kind == "decimal"}


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Money from fen to exact 元 text, rates from millionths to percent text, flags as 是/否."""
    money = [(pl.col(c) // 100).cast(pl.String) + "." + (pl.col(c) % 100).cast(pl.String).str.zfill(2)
             for c in MONEY if c in frame.columns]
    rates = [pl.format("{}%", (pl.col(c).cast(pl.Float64) / 10_000).round(4)) for c in RATES if c in frame.columns]
    # An unknown yearly flag (null) stays empty rather than becoming 否.
    flags = [pl.when(pl.col(c)).then(pl.lit("是")).when(~pl.col(c)).then(pl.lit("否")).alias(c)
             for c, t in frame.schema.items() if t == pl.Boolean]
    decimals = [(pl.col(c) // 10 ** k).cast(pl.String) + "." + (pl.col(c) % 10 ** k).cast(pl.String).str.zfill(k)
                for c, k in DECIMALS.items() if c in frame.columns]
    exprs = [e.alias(c) for e, c in zip(money, [c for c in MONEY if c in frame.columns], strict=True)]
    exprs += [e.alias(c) for e, c in zip(rates, [c for c in RATES if c in frame.columns], strict=True)]
    exprs += [e.alias(c) for e, c in zip(decimals, [c for c in DECIMALS if c in frame.columns], strict=True)]
    return frame.with_columns(*exprs, *flags).with_columns(pl.all().cast(pl.String))


def write_sample(path: Path, *, n_enterprises: int, seed: int, policies: PolicyCatalog) -> Path:
    """Write enterprises, facts and events: an .xlsx with three sheets, or a folder of CSVs."""
    enterprises, facts, events = city(n_enterprises, YEARS, seed=seed, event_kinds=sorted(policies.event_kinds()))
    tables = {"enterprises": enterprises, "facts": facts, "events": events.drop("year")}
    texts = {name: as_text(frame) for name, frame in tables.items()}
    if path.suffix.lower() == ".xlsx":
        book = Workbook()
        book.remove(book.active)
        for name, frame in texts.items():
            sheet = book.create_sheet(name)
            sheet.append(frame.columns)
            for row in frame.iter_rows():
                sheet.append(list(row))
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return path
    path.mkdir(parents=True, exist_ok=True)
    for name, frame in texts.items():
        with (path / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(frame.columns)
            writer.writerows(frame.iter_rows())
    return path
