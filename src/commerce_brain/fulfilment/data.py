"""The enterprise data the 免申即享 batch runs on, stored: enterprises, yearly facts, events.

Each import is one transaction with its audit event, so a batch never sees half of an import;
later imports revise rows, keeping the earlier versions (``enterprise_imports``).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from ..access import User
from ..io.enterprise_import import PolicyData
from ..policy.inputs import EnterpriseInputs
from ..policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA
from ..store.bulk import read_frame
from ..store.fulfilment_tables import enterprise_events, enterprise_facts, enterprises


def save_policy_data(engine: Engine, data: PolicyData, *, actor: User | str,
                     file_name: str = "（程序直接保存）", sha256: str = "-") -> dict[str, int]:
    """Store ``data`` as one import (all or nothing, audited; revisions kept — see
    ``enterprise_imports.import_policy_data``). Returns the row counts given per table.

    ``actor`` is a User holding ``run_batch`` (the policy office keeps the batch's data) or the
    name of a trusted caller.
    """
    from ..store.enterprise_imports import import_policy_data

    import_policy_data(engine, data, actor=actor, file_name=file_name, sha256=sha256)
    return {"enterprises": data.enterprises.height, "enterprise_facts": data.facts.height,
            "enterprise_events": data.events.height}


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
