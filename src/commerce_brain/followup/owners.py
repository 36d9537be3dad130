"""The warnings by owner and level (预警中心): who has how many red and yellow warnings still to
answer. Pure: a list of warnings in, one row per owner out."""

from __future__ import annotations

import polars as pl

from ..responsible_units import UNIT_SEPARATOR

OWNER_COLUMNS = {"owner": pl.String, "red": pl.Int64, "yellow": pl.Int64, "overdue": pl.Int64,
                 "closed": pl.Int64, "total": pl.Int64}


def owner_level_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per owner (the warnings' ``responsible_unit``; one naming two units, “A、B”,
    counts for each, as the scopes read it; no owner → ``owner`` null) with the red and yellow
    warnings not closed, the overdue ones, the closed ones and all of them; the owners with the
    most red first, then yellow, then by name."""
    if frame.is_empty():
        return pl.DataFrame(schema=OWNER_COLUMNS)
    live = pl.col("state") != "closed"
    overdue = pl.col("overdue") if "overdue" in frame.columns else pl.lit(False)
    owners = (frame.select(pl.col("responsible_unit").str.split(UNIT_SEPARATOR).alias("owner"), "level", "state",
                           overdue.alias("overdue"))
              .explode("owner")
              .with_columns(pl.col("owner").str.strip_chars().replace("", None)))
    return (owners.group_by("owner")
            .agg(red=(live & (pl.col("level") == "red")).sum(), yellow=(live & (pl.col("level") == "yellow")).sum(),
                 overdue=pl.col("overdue").sum(), closed=(~live).sum(), total=pl.len())
            .select(pl.col(c).cast(t) for c, t in OWNER_COLUMNS.items())
            .sort(["red", "yellow", "owner"], descending=[True, True, False], nulls_last=True))
