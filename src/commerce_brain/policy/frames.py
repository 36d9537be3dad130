"""The engine's input frames: their columns and types, and empty ones to start from."""

from __future__ import annotations

import polars as pl

from .fact_registry import fact_schema

ENTERPRISE_SCHEMA = {
    "uscc": pl.String, "name": pl.String, "org_unit": pl.String, "industry": pl.String,
    "is_manufacturing": pl.Boolean, "is_industrial": pl.Boolean, "is_listed": pl.Boolean,
    "is_provincial_or_central_owned": pl.Boolean,
}
# One row per enterprise and year, a column per fact of the registry (fact_registry): money in
# fen (分), decimals as scaled integers, never float.
FACT_SCHEMA = {"uscc": pl.String, "year": pl.Int32, **fact_schema()}
# Rates (local_share, benchmark_rate) in millionths: 4.35% is 43500.
EVENT_SCHEMA = {
    "uscc": pl.String, "date": pl.Date, "year": pl.Int32, "kind": pl.String, "level": pl.String,
    "amount": pl.Int64, "count": pl.Int64, "subject": pl.String, "rating": pl.String,
    "local_share": pl.Int64, "benchmark_rate": pl.Int64, "days": pl.Int64,
    "assessed_award": pl.Int64, "already_paid": pl.Int64,
}


def conform(frame: pl.DataFrame | None, schema: dict) -> pl.DataFrame:
    """The frame with exactly ``schema``'s columns in order, missing ones null; None → empty."""
    if frame is None:
        return pl.DataFrame(schema=schema)
    missing = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in schema.items() if name not in frame.columns]
    return frame.with_columns(missing).select([pl.col(n).cast(t) for n, t in schema.items()])
