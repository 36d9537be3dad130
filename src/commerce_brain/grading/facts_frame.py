"""The grading's input from the policy engine's data: one row per enterprise for one year."""

from __future__ import annotations

import polars as pl

from ..io.enterprise_import import PolicyData

ENTERPRISE_COLUMNS = ("uscc", "name", "org_unit", "industry", "is_industrial")


def grading_input(data: PolicyData, *, year: int) -> pl.DataFrame:
    """``evaluate``'s input: the enterprises that have facts for ``year``, with their name, org
    unit, industry and industrial flag beside every yearly fact (the registry's, wide, as
    ``load_policy_data`` gives them). Facts of an enterprise missing from the enterprise table
    are dropped: the grading needs the place and the industry."""
    enterprises = data.enterprises.select([c for c in ENTERPRISE_COLUMNS if c in data.enterprises.columns])
    facts = data.facts.filter(pl.col("year") == year).drop("year")
    # One row per enterprise even if a frame was built by hand with a repeated row: the last wins,
    # as a later revision does in the store.
    facts = facts.unique(subset="uscc", keep="last", maintain_order=True)
    return enterprises.join(facts, on="uscc", how="inner").sort("uscc")
