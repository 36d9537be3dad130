"""The tables rules are evaluated over: enterprise-years (facts) and events, each row carrying
what a rule may read about its enterprise, already joined.

Enterprises carry an integer key ``eid``: the input's own when it has one (a global key, as
partitions of a city have), else their row in the enterprise table. Every later join, sort
and window runs on that integer rather than on 18-character codes, and facts and events may
come keyed by it (``eid``) instead of by the credit code (``uscc``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import polars as pl

from .fact_registry import fact_schema

# Every yearly fact of the registry (catalog/policies/variables.yaml), with its Polars type.
FACT_TYPES = fact_schema()
FACT_VARIABLES = tuple(FACT_TYPES)
# Columns that identify an enterprise rather than describe it: never copied onto its rows.
KEYS = ("eid", "uscc")


def numbered(enterprises: pl.DataFrame) -> pl.DataFrame:
    """Enterprises with their key ``eid`` (UInt32): their own, or their row number."""
    if "eid" in enterprises.columns:
        return enterprises.with_columns(pl.col("eid").cast(pl.UInt32))
    return enterprises.with_row_index("eid")


def enterprise_rows(keys: pl.Series, eids: pl.Series) -> pl.Series:
    """The row of the enterprise table (whose keys are ``eids``, unique) each of ``keys``
    names; null where no enterprise has that key.

    Rows numbered 0…n-1, or one consecutive range of a partition (the usual cases), make the
    row the key less the first one: no join, and no copy at all for keys 0…n-1 all known.
    Keys in any other order are joined once.
    """
    keys = keys.cast(pl.UInt32)
    if eids.is_empty() or keys.is_empty():
        return pl.Series(keys.name, [None] * len(keys), dtype=pl.UInt32)
    first, n = eids[0], len(eids)
    # Keys are unique (the engine refuses a table that repeats one), so sorted and spanning
    # exactly n values means consecutive: checked without building a diff of the table.
    if eids[-1] - first == n - 1 and eids.is_sorted():
        if keys.min() >= first and keys.max() < first + n:  # every key known: no nulls to make
            return keys - first if first else keys
        row = keys.cast(pl.Int64) - first
        return row.set(~row.is_between(0, n - 1), None).cast(pl.UInt32)
    table = pl.DataFrame({"eid": eids}).with_row_index("_row")
    return pl.DataFrame({"eid": keys}).join(table, on="eid", how="left", maintain_order="left")["_row"]


def keyed(rows: pl.DataFrame, enterprises: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (facts or events) keyed by ``eid`` (their own, or joined from ``uscc`` once),
    without the rows of unknown enterprises."""
    if "eid" not in rows.columns:
        rows = rows.join(enterprises.select("uscc", "eid"), on="uscc", how="inner", maintain_order="left")
    rows = rows.drop("uscc", strict=False).with_columns(pl.col("eid").cast(pl.UInt32))
    found = enterprise_rows(rows["eid"], enterprises["eid"])
    return rows.filter(found.is_not_null()) if found.null_count() else rows


def _with_attributes(rows: pl.DataFrame, enterprises: pl.DataFrame,
                     attributes: Sequence[str] | None) -> pl.DataFrame:
    """Each row's enterprise ``attributes`` (every non-key column when None), gathered by the
    enterprise's row: cheaper than a join, since the key gives the position."""
    names = [c for c in (enterprises.columns if attributes is None else attributes)
             if c not in KEYS and c not in rows.columns]
    if not names:
        return rows
    return rows.hstack(enterprises.select(pl.col(names).gather(enterprise_rows(rows["eid"], enterprises["eid"]))))


def sorted_by_enterprise_year(rows: pl.DataFrame) -> bool:
    """Whether ``rows`` already run by eid, then year: one pass, far cheaper than a sort, over
    each chunk in place (a Parquet file gives one per row group; no copy of the columns)."""
    if rows.height < 2:
        return True
    eids, years = rows["eid"].get_chunks(), rows["year"].get_chunks()
    if [len(c) for c in eids] != [len(c) for c in years]:
        eids, years = [rows["eid"].rechunk()], [rows["year"].rechunk()]
    last = None
    for eid_chunk, year_chunk in zip(eids, years, strict=True):
        if not len(eid_chunk):
            continue
        eid, year = eid_chunk.to_numpy(), year_chunk.to_numpy()
        if last is not None and (eid[0], year[0]) <= last:
            return False
        same = eid[1:] == eid[:-1]
        if not np.all((eid[1:] > eid[:-1]) | (same & (year[1:] > year[:-1]))):
            return False
        last = (eid[-1], year[-1])
    return True


def facts_context(enterprises: pl.DataFrame, facts: pl.DataFrame,
                  prev: Collection[str] | None = None, *,
                  attributes: Sequence[str] | None = None) -> pl.DataFrame:
    """Every enterprise-year of the history with the previous year's figures (prev__x) and the
    enterprise's attributes, sorted by enterprise and year (first_time reads that order).

    ``prev`` names the facts whose previous year is wanted (every fact when None): the engine
    asks only for those some rule reads, since each is a shifted copy of a million-row column.
    ``attributes`` names the enterprise columns to carry (every one but the keys when None):
    the engine carries only those rules read, as each is copied onto every enterprise-year.
    """
    wanted = [v for v in FACT_VARIABLES if v in facts.columns and (prev is None or v in prev)]
    ordered = keyed(facts, enterprises)
    if not sorted_by_enterprise_year(ordered):
        ordered = ordered.sort(["eid", "year"])
    # Sorted by enterprise and year, the previous row is the previous year when both match.
    follows = (pl.col("eid") == pl.col("eid").shift(1)) & (pl.col("year") == pl.col("year").shift(1) + 1)
    with_prev = ordered.with_columns(
        pl.when(follows).then(pl.col(v).shift(1)).alias(f"prev__{v}") for v in wanted
    )
    return _with_attributes(with_prev, enterprises, attributes)


def events_context(enterprises: pl.DataFrame, facts_ctx: pl.DataFrame, events: pl.DataFrame,
                   years: Sequence[int], *, with_facts: bool = True,
                   attributes: Sequence[str] | None = None) -> pl.DataFrame:
    """The award years' events, each with its enterprise (and, when a rule needs them, that
    year's facts), and a ``deal`` number identifying the event: the input's ``deal`` column
    when it has one (partitions of a city carry a global one), else its row in the input, the
    same whichever years are asked (a deal is what a per-deal cap applies to)."""
    numbered_deals = events if "deal" in events.columns else events.with_row_index("deal")
    picked = keyed(numbered_deals.filter(pl.col("year").is_in(list(years))).with_columns(pl.col("deal").cast(pl.UInt32)),
                   enterprises)
    rows = _with_attributes(picked, enterprises, attributes)
    # The facts the context carries (the engine keeps only those rules read) and their prev__.
    carried = [c for c in facts_ctx.columns if c in FACT_TYPES or c.startswith("prev__")]
    if not with_facts:
        return rows.with_columns(pl.lit(None, dtype=FACT_TYPES[c.removeprefix("prev__")]).alias(c)
                                 for c in carried)
    year_facts = facts_ctx.select("eid", "year", *carried)
    return rows.join(year_facts, on=["eid", "year"], how="left", maintain_order="left")
