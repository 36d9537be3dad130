"""The enterprise data the 免申即享 batch runs on, stored: enterprises, yearly facts, events.

Each import replaces the whole set (the file is the authority, as with the CLI's ``--data``),
in one transaction with its audit event, so a batch never sees half of an import.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, delete, select

from ..access import User
from ..io.enterprise_import import PolicyData
from ..policy.inputs import EnterpriseInputs
from ..policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from .audit import record
from .bulk import insert_frame, read_frame
from .fulfilment import actor_name, enterprise_events, enterprise_facts, enterprises


def save_policy_data(engine: Engine, data: PolicyData, *, actor: User | str) -> dict[str, int]:
    """Replace the stored enterprise data with ``data`` (all or nothing, audited).

    ``actor`` is a User holding ``run_batch`` (the policy office keeps the batch's data) or the
    name of a trusted caller. Returns the row counts stored.
    """
    name = actor_name(actor, "run_batch")
    frames = {
        # In key order, so that each table's key index grows at its end (twice as fast in SQLite).
        enterprises: conform(data.enterprises, ENTERPRISE_SCHEMA).sort("uscc"),
        enterprise_facts: conform(data.facts, FACT_SCHEMA).sort(["uscc", "year"]),
        # Ids are the rows' positions, so load_policy_data returns them in import order.
        enterprise_events: conform(data.events, EVENT_SCHEMA).with_row_index("id", offset=1)
        .with_columns(pl.col("id").cast(pl.Int64)),
    }
    counts = {table.name: frame.height for table, frame in frames.items()}
    with engine.begin() as conn:
        for table in frames:
            conn.execute(delete(table))
        # In bulk (COPY on PostgreSQL): 100,000 enterprises are some 670,000 rows.
        for table, frame in frames.items():
            insert_frame(conn, table, frame)
        record(conn, actor=name, action="enterprise_data.save", object="enterprise_data", detail=counts)
    return counts


def load_policy_data(engine: Engine, *, uscc: str | None = None) -> PolicyData:
    """The stored enterprise data as the engine's frames (events in import order); with
    ``uscc``, only that enterprise's rows (the calculator and claims need one enterprise, and
    a city's whole data takes seconds to read)."""
    with engine.connect() as conn:
        return PolicyData(
            _frame(conn, enterprises, ENTERPRISE_SCHEMA, uscc, enterprises.c.uscc),
            _frame(conn, enterprise_facts, FACT_SCHEMA, uscc, enterprise_facts.c.uscc, enterprise_facts.c.year),
            _frame(conn, enterprise_events, EVENT_SCHEMA, uscc, enterprise_events.c.id),
        )


def stored_inputs(engine: Engine, uscc: str) -> EnterpriseInputs | None:
    """One enterprise's stored data as the calculator and claims take it; None when none is stored."""
    data = load_policy_data(engine, uscc=uscc)
    try:
        return EnterpriseInputs.from_stored(uscc, data.enterprises, data.facts, data.events)
    except KeyError:
        return None


def _frame(conn, table, schema: dict, uscc: str | None, *order) -> pl.DataFrame:
    # Sorted by Polars, not ORDER BY: the same order whatever the database's collation, and
    # SQLite would otherwise walk its key index row by row (seconds at 500,000 facts).
    extra = {column.name: pl.Int64 for column in order if column.name not in schema}
    columns = {**schema, **extra}
    query = select(*(table.c[name] for name in columns))
    if uscc is not None:
        query = query.where(table.c.uscc == uscc)
    frame = read_frame(conn, query, columns)
    return frame.sort([column.name for column in order]).drop(list(extra))
