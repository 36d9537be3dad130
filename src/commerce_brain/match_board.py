"""Matching over the stored enterprise data: one enterprise's matches and near misses, and the
city's (or a county's) near misses by county and rule — what the CLI, the API and the 政策匹配
page ask for. Pure reads; the matching itself is ``policy.matching``."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine

from .catalog import Catalog
from .io.enterprise_import import PolicyData
from .policy.matching import NEAR_DEFAULT, for_enterprise, match, near_misses


def default_year(data: PolicyData) -> int:
    """The latest year the data has figures or events for (this year when it has none)."""
    years = [y for y in (data.facts["year"].max() if data.facts.height else None,
                         data.events["year"].max() if data.events is not None and data.events.height else None)
             if y is not None]
    return int(max(years)) if years else date.today().year


def enterprise_match(data: PolicyData, uscc: str, *, year: int | None = None, policies=None,
                     catalog: Catalog | None = None) -> pl.DataFrame:
    """One enterprise's rows (met first, then by money at stake); empty when it is not in ``data``."""
    own = _only(data, uscc)
    if own.enterprises.is_empty():
        return own.enterprises.clear()
    frame = match(policies, own, year=year or default_year(own), catalog=catalog)
    return for_enterprise(frame, uscc)


def county_near_misses(data: PolicyData, *, within: float = NEAR_DEFAULT, year: int | None = None,
                       org_units: set[str] | None = None, policies=None, catalog: Catalog | None = None) -> pl.DataFrame:
    """Every enterprise's near misses (only ``org_units``' when given), most money at stake first."""
    if org_units is not None:
        data = PolicyData(data.enterprises.filter(pl.col("org_unit").is_in(sorted(org_units))), data.facts, data.events)
    frame = match(policies, data, year=year or default_year(data), within=within, catalog=catalog, near_only=True)
    return near_misses(frame, within=within)


def by_county_and_rule(near: pl.DataFrame) -> pl.DataFrame:
    """How many enterprises are near each rule in each county, and the money at stake."""
    return (near.group_by("org_unit", "rule_id", "rule_name", "article")
            .agg(pl.len().alias("enterprises"), pl.col("money_at_stake_fen").sum())
            .sort(["org_unit", "money_at_stake_fen"], descending=[False, True]))


def stored_data(engine: Engine, *, uscc: str | None = None) -> PolicyData:
    """The stored enterprise data (one enterprise's with ``uscc``)."""
    from .fulfilment.data import load_policy_data

    return load_policy_data(engine, uscc=uscc)


def _only(data: PolicyData, uscc: str) -> PolicyData:
    mine = pl.col("uscc") == uscc
    return PolicyData(data.enterprises.filter(mine), data.facts.filter(mine),
                      data.events.filter(mine) if data.events is not None else None)
