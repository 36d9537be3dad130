"""The log a versioned import keeps — file, SHA-256, who, when and how many rows were new,
changed or unchanged — and how an import opens its entry.

Shared by the imports whose rows are diffed against the stored state and versioned (the FDI
pipeline, export orders, the market and supply tables), so that each declares its log in one
line and takes the same lock the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Column, DateTime, Integer, String, Table, insert

from .metadata import metadata

CHANGES = ("new", "changed", "unchanged")


def import_log_table(name: str, *leading: Column) -> Table:
    """The log table ``name``: id, any ``leading`` columns (a kind), file, SHA-256, who, when,
    the rows read and the count of each change."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        *leading,
        Column("file_name", String(500), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("imported_by", String(200), nullable=False),
        Column("imported_at", DateTime(timezone=True), nullable=False),
        Column("rows", Integer, nullable=False),
        *(Column(change, Integer, nullable=False) for change in CHANGES),
    )


def open_import(conn, log: Table, *, file_name: str, sha256: str, imported_by: str, **values) -> int:
    """Write the import's log entry (counts zero until the caller knows them) and return its id.

    Two imports at once would diff against the same stored state and number the same next
    version, so the second waits for the first: on PostgreSQL by this table lock; on SQLite the
    log row is the transaction's first write, which takes the database's write lock until the
    commit."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {log.name} IN SHARE ROW EXCLUSIVE MODE")
    return conn.execute(insert(log).values(
        file_name=file_name, sha256=sha256, imported_by=imported_by, imported_at=datetime.now(UTC), rows=0,
        **dict.fromkeys(CHANGES, 0), **values)).inserted_primary_key[0]


def change_counts(changes: pl.DataFrame) -> dict[str, int]:
    """``rows`` and the count of each change in a frame with a ``change`` column."""
    return {"rows": changes.height, **{c: int((changes["change"] == c).sum()) for c in CHANGES}}
