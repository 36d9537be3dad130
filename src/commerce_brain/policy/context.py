"""The tables rules are evaluated over: enterprise-years (facts) and events, each row carrying
everything a rule may read about its enterprise, already joined.

Enterprises are numbered (``eid``, their row in the enterprise table) so that every later
join, sort and window runs on integers rather than 18-character codes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl

from .fact_registry import fact_schema

# Every yearly fact of the registry (catalog/policies/variables.yaml), with its Polars type.
FACT_TYPES = fact_schema()
FACT_VARIABLES = tuple(FACT_TYPES)


def numbered(enterprises: pl.DataFrame) -> pl.DataFrame:
    """Enterprises with their number ``eid``."""
    return enterprises.with_row_index("eid")


def _with_attributes(rows: pl.DataFrame, enterprises: pl.DataFrame) -> pl.DataFrame:
    """Each row's enterprise attributes, gathered by ``eid`` (the enterprise's row): cheaper
    than a join, since the number is already the position."""
    attributes = enterprises.drop("eid").select(pl.all().gather(rows["eid"]))
    return rows.hstack(attributes.drop([c for c in attributes.columns if c in rows.columns]))


def facts_context(enterprises: pl.DataFrame, facts: pl.DataFrame,
                  prev: Collection[str] | None = None) -> pl.DataFrame:
    """Every enterprise-year of the history with the previous year's figures (prev__x) and the
    enterprise's attributes, sorted by enterprise and year (first_time reads that order).

    ``prev`` names the facts whose previous year is wanted (every fact when None): the engine
    asks only for those some rule reads, since each is a shifted copy of a million-row column.
    """
    wanted = [v for v in FACT_VARIABLES if v in facts.columns and (prev is None or v in prev)]
    ordered = facts.join(enterprises.select("uscc", "eid"), on="uscc", how="inner").drop("uscc").sort(["eid", "year"])
    # Sorted by enterprise and year, the previous row is the previous year when both match.
    follows = (pl.col("eid") == pl.col("eid").shift(1)) & (pl.col("year") == pl.col("year").shift(1) + 1)
    with_prev = ordered.with_columns(
        pl.when(follows).then(pl.col(v).shift(1)).alias(f"prev__{v}") for v in wanted
    )
    return _with_attributes(with_prev, enterprises)


def events_context(enterprises: pl.DataFrame, facts_ctx: pl.DataFrame, events: pl.DataFrame,
                   years: Sequence[int], *, with_facts: bool = True) -> pl.DataFrame:
    """The award years' events, each with its enterprise (and, when a rule needs them, that
    year's facts), and a ``deal`` number identifying the event: its row in the input, the
    same whichever years are asked (a deal is what a per-deal cap applies to)."""
    picked = (
        events.with_row_index("deal")
        .filter(pl.col("year").is_in(list(years)))
        .join(enterprises.select("uscc", "eid"), on="uscc", how="inner")
    )
    rows = _with_attributes(picked, enterprises)
    # The facts the context carries (the engine keeps only those rules read) and their prev__.
    carried = [c for c in facts_ctx.columns if c in FACT_TYPES or c.startswith("prev__")]
    if not with_facts:
        return rows.with_columns(pl.lit(None, dtype=FACT_TYPES[c.removeprefix("prev__")]).alias(c)
                                 for c in carried)
    year_facts = facts_ctx.select("eid", "year", *carried)
    return rows.join(year_facts, on=["eid", "year"], how="left")
