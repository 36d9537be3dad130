"""The enterprise data the 免申即享 batch runs on, stored: enterprises, yearly facts, events.

Each import replaces the whole set (the file is the authority, as with the CLI's ``--data``),
in one transaction with its audit event, so a batch never sees half of an import.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, delete, insert, select

from ..access import User
from ..io.enterprise_import import PolicyData
from ..policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from .audit import record
from .fulfilment import actor_name, enterprise_events, enterprise_facts, enterprises


def save_policy_data(engine: Engine, data: PolicyData, *, actor: User | str) -> dict[str, int]:
    """Replace the stored enterprise data with ``data`` (all or nothing, audited).

    ``actor`` is a User holding ``run_batch`` (the policy office keeps the batch's data) or the
    name of a trusted caller. Returns the row counts stored.
    """
    name = actor_name(actor, "run_batch")
    frames = {
        enterprises: conform(data.enterprises, ENTERPRISE_SCHEMA),
        enterprise_facts: conform(data.facts, FACT_SCHEMA),
        # Ids are the rows' positions, so load_policy_data returns them in import order.
        enterprise_events: conform(data.events, EVENT_SCHEMA).with_row_index("id", offset=1),
    }
    counts = {table.name: frame.height for table, frame in frames.items()}
    with engine.begin() as conn:
        for table in frames:
            conn.execute(delete(table))
        for table, frame in frames.items():
            if frame.height:
                conn.execute(insert(table), frame.to_dicts())
        record(conn, actor=name, action="enterprise_data.save", object="enterprise_data", detail=counts)
    return counts


def load_policy_data(engine: Engine) -> PolicyData:
    """The stored enterprise data as the engine's frames (events in import order)."""
    with engine.connect() as conn:
        return PolicyData(
            _frame(conn, enterprises, ENTERPRISE_SCHEMA, enterprises.c.uscc),
            _frame(conn, enterprise_facts, FACT_SCHEMA, enterprise_facts.c.uscc, enterprise_facts.c.year),
            _frame(conn, enterprise_events, EVENT_SCHEMA, enterprise_events.c.id),
        )


def _frame(conn, table, schema: dict, *order) -> pl.DataFrame:
    rows = conn.execute(select(*(table.c[name] for name in schema)).order_by(*order)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
