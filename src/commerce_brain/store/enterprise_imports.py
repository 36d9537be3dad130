"""Enterprise data imports with revisions: the registry, yearly facts and events, versioned.

The tables ``enterprises``, ``enterprise_facts`` and ``enterprise_events`` hold the newest
version of every row: the batch, the calculator and claims read them in one query each. Every
version ever imported is kept beside them in ``*_versions`` tables, each naming the import it came
from, and ``enterprise_imports`` logs each import (file, SHA-256, who, when, counts) — as
``observations`` keeps versions of the actuals.

An import merges: a row whose key is new is added (version 1); a row whose key is stored with
other values is a revision (the next version, the earlier ones kept); an identical row is
unchanged and writes nothing; stored rows the file does not mention stay as they are. The keys:
an enterprise by its 统一社会信用代码, a fact by (code, year), an event by (code, kind, date,
subject) and, for events alike in those, their order in the file (the second such event of a
file revises the second one stored). The diff is columnar (Polars joins), and the import, its
versions, the newest rows and its audit event are written in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import polars as pl
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from ..access import User
from ..io.enterprise_import import PolicyData
from ..policy.fact_registry import COLUMN_FACTS
from ..policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from .audit import record
from .bulk import insert_frame, read_frame
from .fact_values import KEY as KEY_LONG
from .fact_values import diff_values, enterprise_fact_value_versions, store_values, to_long
from .enterprise_versions import versions_of
from .fulfilment_tables import FulfilmentError, actor_name, enterprise_events, enterprise_facts, enterprises
from .metadata import metadata

TABLES = ("enterprises", "facts", "events")
# The import log counts the long facts (one per enterprise, year and fact) beside the tables.
LOGGED = (*TABLES, "fact_values")
CHANGES = ("new", "changed", "unchanged")
# An event's identity: what it is, whose, when and about what; ``occurrence`` tells apart events
# alike in all four (two loans of one project on one day), in file order.
EVENT_IDENTITY = ["uscc", "kind", "date", "subject_key", "occurrence"]
# enterprise_facts holds the key and the registry's column facts; the others are stored long.
FACT_COLUMN_SCHEMA = {"uscc": pl.String, "year": pl.Int32, **{n: FACT_SCHEMA[n] for n in COLUMN_FACTS}}
SCHEMAS = {"enterprises": ENTERPRISE_SCHEMA, "facts": FACT_COLUMN_SCHEMA, "events": EVENT_SCHEMA}
KEYS = {"enterprises": ["uscc"], "facts": ["uscc", "year"], "events": ["id"]}
CURRENT = {"enterprises": enterprises, "facts": enterprise_facts, "events": enterprise_events}
# The stored key of each table's versions (events: the stored event's id).
VERSION_KEYS = {"enterprises": ["uscc"], "facts": ["uscc", "year"], "events": ["event_id"]}

enterprise_imports = Table(
    "enterprise_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    *(Column(f"{table}_{change}", Integer, nullable=False) for table in LOGGED for change in CHANGES),
)


enterprise_versions = versions_of(enterprises, "enterprise_versions", VERSION_KEYS["enterprises"])
enterprise_fact_versions = versions_of(enterprise_facts, "enterprise_fact_versions", VERSION_KEYS["facts"])
enterprise_event_versions = versions_of(enterprise_events, "enterprise_event_versions", VERSION_KEYS["events"])
VERSIONS = {"enterprises": enterprise_versions, "facts": enterprise_fact_versions, "events": enterprise_event_versions}


@dataclass(frozen=True)
class EnterpriseImport:
    """What an import did (or, on a dry run, would do): per table, each incoming row with its
    ``change`` (new / changed / unchanged), its stored ``version`` before (0 when new) and the
    stored values as ``old_<column>``; ``import_id`` once stored."""

    changes: dict[str, pl.DataFrame] = field(repr=False)
    import_id: int | None = None

    def counts(self) -> dict[str, dict[str, int]]:
        """{table: {new, changed, unchanged}} — what the CLI prints and the page shows."""
        return {table: {c: int((frame["change"] == c).sum()) for c in CHANGES}
                for table, frame in self.changes.items()}


def plan_import(engine: Engine, data: PolicyData) -> EnterpriseImport:
    """What importing ``data`` would do to the store, storing nothing (the preview, --dry-run)."""
    with engine.connect() as conn:
        return EnterpriseImport(_diff(conn, data))


class ImportWatch(Protocol):
    """Told of an import inside its transaction: ``before`` the rows are stored (with the planned
    changes) and ``after`` (with the import's id) — the notices compare eligibility this way."""

    def before(self, conn: Connection, changes: dict[str, pl.DataFrame]) -> None: ...

    def after(self, conn: Connection, import_id: int, actor: str) -> None: ...


def import_policy_data(engine: Engine, data: PolicyData, *, actor: User | str, file_name: str,
                       sha256: str, long: pl.DataFrame | None = None,
                       watch: ImportWatch | None = None) -> EnterpriseImport:
    """Store ``data`` as one import (all or nothing, audited): new rows, revisions as new
    versions, the newest rows in the tables the batch reads, and the import log's entry.

    ``actor`` is a User holding ``run_batch`` (the policy office keeps the batch's data) or the
    name of a trusted caller (the CLI's operator). ``watch`` (the notices of newly eligible
    enterprises) sees the store before and after, in the same transaction.
    """
    with engine.begin() as conn:
        return store_policy_data(conn, data, actor=actor, file_name=file_name, sha256=sha256, long=long, watch=watch)


def store_policy_data(conn: Connection, data: PolicyData, *, actor: User | str, file_name: str, sha256: str,
                      long: pl.DataFrame | None = None, watch: ImportWatch | None = None) -> EnterpriseImport:
    """``import_policy_data`` inside the caller's open transaction: the caller's own rows (a
    grading's publication) commit or roll back together with the import and its audit event."""
    name = actor_name(actor, "run_batch")
    columns = [f"{t}_{c}" for t in LOGGED for c in CHANGES]
    # Two imports at once would diff against the same rows and number the same next version:
    # the second must wait for the first and diff against what it stored. PostgreSQL: this
    # lock. SQLite: the log's row is written first, and the first write of a transaction
    # takes the database's write lock until the commit.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE enterprise_imports IN SHARE ROW EXCLUSIVE MODE")
    import_id = conn.execute(insert(enterprise_imports).values(
        file_name=file_name, sha256=sha256, imported_by=name, imported_at=datetime.now(UTC),
        **dict.fromkeys(columns, 0))).inserted_primary_key[0]
    planned = EnterpriseImport(_diff(conn, data, long))
    counts = planned.counts()
    conn.execute(update(enterprise_imports).where(enterprise_imports.c.id == import_id).values(
        {f"{t}_{c}": n for t, by in counts.items() for c, n in by.items()}))
    if watch is not None:
        watch.before(conn, planned.changes)
    for table, frame in planned.changes.items():
        written = frame.filter(pl.col("change") != "unchanged")
        if table == "fact_values":
            store_values(conn, written, import_id)
        else:
            _store(conn, table, written, import_id)
    if watch is not None:
        watch.after(conn, import_id, name)
    record(conn, actor=name, action="enterprise_data.save", object=f"enterprise_import:{import_id}",
           detail={"file": file_name, "sha256": sha256, **counts})
    return EnterpriseImport(planned.changes, import_id)


def _diff(conn: Connection, data: PolicyData, long: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    """Each table's incoming rows classified against the stored ones; the long facts are
    ``long`` when given (``save_fact_values``), else those of ``data.facts``' long columns."""
    incoming = {
        "enterprises": conform(data.enterprises, ENTERPRISE_SCHEMA),
        "facts": conform(data.facts, FACT_COLUMN_SCHEMA),
        "events": _with_identity(conform(data.events, EVENT_SCHEMA)),
    }
    found = {}
    for table, frame in incoming.items():
        # The file readers refuse these; a caller handing frames directly must not get them in
        # either (events alike in every way are told apart by their occurrence).
        if table != "events" and frame.select(pl.struct(KEYS[table]).is_duplicated().any()).item():
            raise FulfilmentError(f"重复的行：{table}中有两行的关键字段相同")

        stored = _stored(conn, table)
        if table == "events":
            stored = _with_identity(stored)
            joined = frame.join(stored.rename({c: f"old_{c}" for c in stored.columns if c not in EVENT_IDENTITY}),
                                on=EVENT_IDENTITY, how="left", nulls_equal=True, maintain_order="left")
            # A new event's id follows the stored ones, in file order (loading returns events by id).
            fresh = pl.col("old_id").is_null().cum_sum() + _max(stored, "id")
            joined = joined.with_columns(pl.coalesce("old_id", fresh).cast(pl.Int64).alias("id")).drop(
                "subject_key", "occurrence")
        else:
            key = KEYS[table]
            joined = frame.join(stored.rename({c: f"old_{c}" for c in stored.columns if c not in key}),
                                on=key, how="left", nulls_equal=True, maintain_order="left")
        found[table] = _classified(joined, table)
    long = to_long(data.facts) if long is None else long
    if long.select(pl.struct(KEY_LONG).is_duplicated().any()).item():
        raise FulfilmentError("重复的行：年度数据中有两行的企业和年度相同")
    found["fact_values"] = diff_values(conn, long)
    return found


def _classified(joined: pl.DataFrame, table: str) -> pl.DataFrame:
    # An event's identity columns are not compared: they matched, or the event is new.
    values = [c for c in SCHEMAS[table] if f"old_{c}" in joined.columns]
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"old_{c}")) for c in values)
    change = (pl.when(pl.col("old_version").is_null()).then(pl.lit("new"))
              .when(same).then(pl.lit("unchanged")).otherwise(pl.lit("changed")))
    return joined.with_columns(change.alias("change"), pl.col("old_version").fill_null(0).alias("version")).drop(
        "old_version")


def _with_identity(events: pl.DataFrame) -> pl.DataFrame:
    keyed = events.with_columns(subject_key=pl.col("subject").fill_null(""))
    return keyed.with_columns(occurrence=pl.int_range(pl.len()).over(["uscc", "kind", "date", "subject_key"]))


def _max(frame: pl.DataFrame, column: str) -> int:
    return int(frame[column].max() or 0)


def _stored(conn: Connection, table: str) -> pl.DataFrame:
    """The newest stored rows of ``table`` with their version number (events in id order)."""
    current, versions = CURRENT[table], VERSIONS[table]
    schema = {**({"id": pl.Int64} if table == "events" else {}), **SCHEMAS[table]}
    frame = read_frame(conn, select(*(current.c[c] for c in schema)), schema)
    key = VERSION_KEYS[table]
    latest = read_frame(conn, select(*(versions.c[k] for k in key), func.max(versions.c.version))
                        .group_by(*(versions.c[k] for k in key)),
                        {**{k: schema["id" if k == "event_id" else k] for k in key}, "old_version": pl.Int64})
    latest = latest.rename({"event_id": "id"}) if table == "events" else latest
    # Rows stored before versions were kept (none after migration 0005) count as version 1.
    joined = frame.join(latest, on=KEYS[table], how="left").with_columns(pl.col("old_version").fill_null(1))
    return joined.rename({"old_version": "version"}).sort(KEYS[table])


def _store(conn: Connection, table: str, written: pl.DataFrame, import_id: int) -> None:
    """The new and changed rows: the next version into the versions table, and in place of the
    stored row in the table the batch reads."""
    if written.is_empty():
        return
    current, key = CURRENT[table], KEYS[table]
    rows = written.select(list(current.columns.keys())).cast(SCHEMAS[table])
    revised = written.filter(pl.col("change") == "changed").select(key)
    if revised.height:
        where = [current.c[k] == bindparam(f"k_{k}") for k in key]
        conn.execute(delete(current).where(*where),
                     revised.rename({k: f"k_{k}" for k in key}).to_dicts())
    # In key order, so that each table's key index grows at its end (twice as fast in SQLite).
    insert_frame(conn, current, rows.sort(key))
    versions = rows.with_columns((written["version"] + 1).cast(pl.Int64).alias("version"),
                                 pl.lit(import_id, pl.Int64).alias("import_id"))
    insert_frame(conn, VERSIONS[table], versions.rename({"id": "event_id"}) if table == "events" else versions)


def list_enterprise_imports(engine: Engine, *, limit: int | None = 50) -> list[dict]:
    """The import log, newest first."""
    query = select(enterprise_imports).order_by(enterprise_imports.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def enterprise_history(engine: Engine, uscc: str) -> dict[str, pl.DataFrame]:
    """Every version of one enterprise's rows (registry, facts, events), oldest first, each with
    the file and the person it came from."""
    found = {}
    for table, versions in {**VERSIONS, "fact_values": enterprise_fact_value_versions}.items():
        query = (select(versions, enterprise_imports.c.file_name, enterprise_imports.c.imported_by,
                        enterprise_imports.c.imported_at)
                 .join(enterprise_imports, enterprise_imports.c.id == versions.c.import_id)
                 .where(versions.c.uscc == uscc)
                 .order_by(*(versions.c[k] for k in VERSION_KEYS.get(table, KEY_LONG)), versions.c.version))
        with engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        found[table] = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    return found


def registered_enterprise(engine: Engine, uscc: str) -> dict | None:
    """The registry's newest record of an enterprise (name, org unit, flags) — where region,
    name and paying treasury come from — or None when the enterprise is not registered."""
    with engine.connect() as conn:
        row = conn.execute(select(enterprises).where(enterprises.c.uscc == uscc)).mappings().first()
    return dict(row) if row else None


def source_digest(source: Path) -> str:
    """The SHA-256 of an import's file, or of a folder's CSV files (names and bytes, in name order)."""
    digest = hashlib.sha256()
    if not source.is_dir():
        with source.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    for path in sorted(p for p in source.iterdir() if p.suffix.lower() == ".csv"):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as stream:
            digest.update(hashlib.file_digest(stream, "sha256").digest())
    return digest.hexdigest()
