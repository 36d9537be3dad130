"""Roll-ups of a month's status: per 专栏, per responsible unit or per org unit, the count of
projects per light and the planned and completed amounts (integer 万元)."""

from __future__ import annotations

import polars as pl

from .schedule import LIGHTS

BY = ("column", "responsible_unit", "org_unit")
ROLLUP_COLUMNS = ["key", "projects", *LIGHTS, "annual_plan_wan", "completed_ytd_wan", "completed_share"]


def rollup(status: pl.DataFrame, by: str) -> pl.DataFrame:
    """``status`` (from ``project_status``) grouped by ``by`` (one of BY), ROLLUP_COLUMNS, sorted
    by key. A project with several responsible units (“衢江区政府、龙游县政府”) counts for each
    of them, so the rows by unit may add up to more than the projects. ``completed_share`` is
    completed ÷ planned of the projects that reported (null when nothing was planned)."""
    if by not in BY:
        raise ValueError(f"roll-up by one of {BY}, not {by!r}")
    frame = status
    if by == "responsible_unit":
        frame = frame.with_columns(pl.col(by).str.split("、").list.eval(pl.element().str.strip_chars())).explode(by)
    key = pl.col(by).cast(pl.String).alias("key")
    reported = pl.col("light") != "none"
    grouped = frame.group_by(key).agg(
        pl.len().alias("projects"),
        *[(pl.col("light") == light).sum().alias(light) for light in LIGHTS],
        pl.col("annual_plan_wan").filter(reported).sum().alias("annual_plan_wan"),
        pl.col("completed_ytd_wan").filter(reported).sum().alias("completed_ytd_wan"),
    )
    return grouped.with_columns(
        pl.col("projects").cast(pl.Int64), *[pl.col(light).cast(pl.Int64) for light in LIGHTS],
        pl.when(pl.col("annual_plan_wan") > 0)
        .then(pl.col("completed_ytd_wan").cast(pl.Float64) / pl.col("annual_plan_wan")).alias("completed_share"),
    ).sort("key", nulls_last=True).select(ROLLUP_COLUMNS)
