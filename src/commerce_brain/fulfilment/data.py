"""The enterprise data the 免申即享 batch runs on, stored: enterprises, yearly facts, events.

Each import is one transaction with its audit event, so a batch never sees half of an import;
later imports revise rows, keeping the earlier versions (``enterprise_imports``).
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl
from sqlalchemy import Connection, Engine, select

from ..access import User
from ..io.enterprise_import import PolicyData
from ..policy.inputs import EnterpriseInputs
from ..policy.fact_registry import BY_NAME, COLUMN_FACTS, LONG_FACTS, value_problems
from ..policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from ..store.bulk import read_frame
from ..store.fact_values import read_values, to_long, to_wide
from ..store.fulfilment_tables import FulfilmentError, enterprise_events, enterprise_facts, enterprises


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


def save_fact_values(engine: Engine, facts: pl.DataFrame, *, actor: User | str, file_name: str,
                     sha256: str = "-") -> int:
    """Store some yearly facts of some enterprise-years as one import (versioned, logged,
    audited as ``enterprise_data.save``) and return its id — ``store_fact_values`` in a
    transaction of its own."""
    with engine.begin() as conn:
        return store_fact_values(conn, facts, actor=actor, file_name=file_name, sha256=sha256)


def store_fact_values(conn: Connection, facts: pl.DataFrame, *, actor: User | str, file_name: str,
                      sha256: str = "-") -> int:
    """``save_fact_values`` inside the caller's open transaction (grading publishes ``mu_class``
    and records its publication in one): returns the import id.

    ``facts`` has ``uscc``, ``year`` and one column per registry fact to store, in stored units
    (fen, scaled decimals, booleans, class text); ONLY those facts of those enterprise-years are
    written, every other fact stays as it is; an empty cell clears a stored value (a new
    version). FulfilmentError when a column is not a registry fact or a value is outside its
    bounds or vocabulary. ``actor`` is a User holding ``run_batch`` or a trusted caller's name.
    """
    from ..store.enterprise_imports import FACT_COLUMN_SCHEMA, store_policy_data

    unknown = [c for c in facts.columns if c not in ("uscc", "year") and c not in BY_NAME]
    if {"uscc", "year"} - set(facts.columns) or unknown:
        raise FulfilmentError("年度数据须有 uscc、year 两列，其余各列须为登记的年度指标"
                              + (f"（未登记：{'、'.join(unknown)}）" if unknown else ""))
    typed = facts.cast({c: FACT_SCHEMA[c] for c in facts.columns})
    problems = value_problems(typed)
    if problems:
        raise FulfilmentError("；".join(problems))
    given = [c for c in COLUMN_FACTS if c in typed.columns]
    columns = pl.DataFrame(schema=FACT_COLUMN_SCHEMA)
    if given:  # the column facts not given keep their stored values
        stored = _frame(conn, enterprise_facts, FACT_COLUMN_SCHEMA, None, enterprise_facts.c.uscc)
        others = [c for c in COLUMN_FACTS if c not in given]
        columns = typed.select("uscc", "year", *given).join(
            stored.select("uscc", "year", *others), on=["uscc", "year"], how="left").select(list(FACT_COLUMN_SCHEMA))
    data = PolicyData(pl.DataFrame(schema=ENTERPRISE_SCHEMA), columns, pl.DataFrame(schema=EVENT_SCHEMA))
    done = store_policy_data(conn, data, actor=actor, file_name=file_name, sha256=sha256, long=to_long(typed))
    return done.import_id


def load_policy_data(engine: Engine, *, uscc: str | None = None,
                     facts: Collection[str] | None = None) -> PolicyData:
    """The stored enterprise data as the engine's frames (events in import order), the facts
    wide again (a column per registry fact, long ones pivoted); with ``uscc``, only that
    enterprise's rows (the calculator and claims need one enterprise, and a city's whole data
    takes seconds to read). ``facts`` names the long facts worth reading (the batch: those its
    rules read; the others are empty columns): every fact when None."""
    with engine.connect() as conn:
        return read_policy_data(conn, uscc=uscc, facts=facts)


def read_policy_data(conn: Connection, *, uscc: str | None = None,
                     facts: Collection[str] | None = None) -> PolicyData:
    """``load_policy_data`` on an open connection: inside a transaction (an import compares what
    the enterprises it touches qualified for before and after) it reads the transaction's rows."""
    from ..store.enterprise_imports import FACT_COLUMN_SCHEMA

    columns = _frame(conn, enterprise_facts, FACT_COLUMN_SCHEMA, uscc, enterprise_facts.c.uscc, enterprise_facts.c.year)
    names = None if facts is None else [n for n in LONG_FACTS if n in facts]
    long = to_wide(read_values(conn, uscc=uscc, names=names))
    return PolicyData(
        _frame(conn, enterprises, ENTERPRISE_SCHEMA, uscc, enterprises.c.uscc),
        _wide_facts(columns, long),
        _frame(conn, enterprise_events, EVENT_SCHEMA, uscc, enterprise_events.c.id),
    )


def _wide_facts(columns: pl.DataFrame, long: pl.DataFrame) -> pl.DataFrame:
    """The column facts and the pivoted long ones, one row per enterprise-year either has."""
    if long.width > 2:
        columns = columns.join(long, on=["uscc", "year"], how="full", coalesce=True).sort(["uscc", "year"])
    return conform(columns, FACT_SCHEMA)


def enterprise_names(engine: Engine, usccs: list[str]) -> dict[str, str]:
    """The stored names of these enterprises by credit code (one not stored is left out)."""
    with engine.connect() as conn:
        query = select(enterprises.c.uscc, enterprises.c.name).where(enterprises.c.uscc.in_(sorted(set(usccs))))
        return {uscc: name for uscc, name in conn.execute(query)}


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
