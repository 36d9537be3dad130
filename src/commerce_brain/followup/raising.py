"""Raising warnings: the rows an engine hands over (the WARNING ROW SHAPE) become open
warnings, once per (source, detector, subject, period).

Raising the same rows again stores nothing new; the call is audited once (``warnings.raise``,
with the counts), in the same transaction as the rows it stores. Rows are checked as a whole
before anything is written: an unknown code or a missing figure is the engine's bug and
refuses the call, naming the rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine, func, select

from ..store.audit import record
from ..store.bulk import insert_frame
from ..store.fulfilment_tables import actor_name
from ..store.warning_tables import LEVELS, MAX_REASON, warnings_table
from .detectors import DETECTOR_ZH, SOURCE_ZH, SUBJECT_KIND_ZH

WARNING_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String, "detector": pl.String, "subject_kind": pl.String, "subject_id": pl.String,
    "subject_name": pl.String, "org_unit": pl.String, "responsible_unit": pl.String, "level": pl.String,
    "reason": pl.String, "period": pl.String, "due_date": pl.Date,
}
KEY = ("source", "detector", "subject_id", "period")
# Column widths of the table: a longer value would fail in PostgreSQL and pass in SQLite.
WIDTHS = {"source": 30, "detector": 50, "subject_kind": 30, "subject_id": 100, "subject_name": 300,
          "org_unit": 20, "responsible_unit": 200, "reason": MAX_REASON}
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


def is_period(text: str) -> bool:
    """Whether ``text`` is a month as warnings name it (YYYY-MM)."""
    return re.fullmatch(PERIOD, text) is not None


class WarningRowsInvalid(ValueError):
    """The rows an engine handed over break the shape; nothing was stored."""


@dataclass(frozen=True)
class Raised:
    """What one call stored: ``new`` warnings, and ``unchanged`` rows already raised before."""

    new: int
    unchanged: int


def check_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows in WARNING_SCHEMA's columns and types, or WarningRowsInvalid naming what is
    wrong and in which rows (1-based): missing columns, empty required values, codes outside
    the vocabulary of ``detectors``, a period not YYYY-MM, values too long, a key twice."""
    missing = [c for c in WARNING_SCHEMA if c not in rows.columns]
    if missing:
        raise WarningRowsInvalid(f"warning rows lack columns: {', '.join(missing)}")
    try:
        frame = rows.select(pl.col(c).cast(t) for c, t in WARNING_SCHEMA.items())
    except pl.exceptions.PolarsError as exc:
        raise WarningRowsInvalid(f"warning rows have a column of the wrong type: {exc}") from None
    blank = lambda c: pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")  # noqa: E731
    rules = {
        "source unknown": ~pl.col("source").is_in(list(SOURCE_ZH)).fill_null(False),
        "detector unknown": ~pl.col("detector").is_in(list(DETECTOR_ZH)).fill_null(False),
        "subject_kind unknown": ~pl.col("subject_kind").is_in(list(SUBJECT_KIND_ZH)).fill_null(False),
        "level not yellow or red": ~pl.col("level").is_in(list(LEVELS)).fill_null(False),
        "period not YYYY-MM": ~pl.col("period").str.contains(PERIOD).fill_null(False),
        "subject_id, subject_name or reason empty": blank("subject_id") | blank("subject_name") | blank("reason"),
        "due_date missing": pl.col("due_date").is_null(),
        "a value too long": pl.any_horizontal(pl.col(c).str.len_chars() > n for c, n in WIDTHS.items()).fill_null(False),
        "key raised twice in one call": pl.struct(list(KEY)).is_duplicated(),
    }
    found = frame.with_row_index("row", offset=1).select("row", **rules)
    problems = [f"{rule} (rows {', '.join(map(str, found.filter(pl.col(rule))['row'].head(10)))})"
                for rule in rules if found[rule].any()]
    if problems:
        raise WarningRowsInvalid("warning rows refused: " + "; ".join(problems))
    return frame


def raise_warnings(engine: Engine, rows: pl.DataFrame, *, actor) -> Raised:
    """Store ``rows`` (the WARNING ROW SHAPE) as open warnings, skipping those whose
    (source, detector, subject_id, period) is already stored. ``actor`` is a User with
    ``supervise_warnings`` or the name of a trusted caller (the CLI, an engine's run).
    Audited once per call as ``warnings.raise``, even when nothing is new."""
    name = actor_name(actor, "supervise_warnings")
    frame = check_rows(rows)
    now = datetime.now(UTC)
    stored = frame.with_columns(
        pl.lit("open").alias("state"), pl.lit(1, pl.Int64).alias("version"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("raised_at"), pl.lit(name).alias("raised_by"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("updated_at"))
    count = select(func.count()).select_from(warnings_table)
    with engine.begin() as conn:
        before = conn.execute(count).scalar_one()
        insert_frame(conn, warnings_table, stored, skip_existing=KEY)
        new = conn.execute(count).scalar_one() - before
        record(conn, actor=name, action="warnings.raise", object="warnings", detail={
            "sources": sorted(set(frame["source"])), "periods": sorted(set(frame["period"])),
            "rows": frame.height, "new": new, "unchanged": frame.height - new})
    return Raised(new=new, unchanged=frame.height - new)
