"""Append-only, hash-chained audit log: every change of state writes one event.

Each event's hash is the SHA-256 (lower-case hex) of the UTF-8 bytes of the JSON array

    [id, at, actor, action, object, detail, prev_hash]

written with ``ensure_ascii=False`` and ``separators=(",", ":")``, where ``at`` is the UTC time as
``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` and ``detail`` is the stored canonical JSON text (keys sorted,
``ensure_ascii=False``, the same separators). ``prev_hash`` is the previous event's hash, 64 zeros
for the first. An auditor can recompute the chain from a table dump with that paragraph alone.

The chain shows edits, deletions and insertions in the middle; deleting the newest events leaves
a shorter valid chain, so ``audit_head`` (one row: the last id and hash, written in the same
transaction as each append) records where the chain must end.

The tables sit on the shared ``metadata``, so ``connect`` creates them once this module has been
imported.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)

from .moments import as_utc
from .metadata import metadata

GENESIS = "0" * 64
# pg_advisory_xact_lock key for appends: the ASCII bytes of "cb-audit" as a bigint, so other
# users of advisory locks can steer clear of it.
PG_LOCK_KEY = int.from_bytes(b"cb-audit", "big")
MAX_LENGTHS = {"actor": 200, "action": 100, "object": 500}

audit_events = Table(
    "audit_events",
    metadata,
    # Ids are assigned by record() as the head's id + 1 under the append lock, not by a sequence:
    # PostgreSQL sequences are not transactional, so a rolled-back append would leave a gap that
    # verify() must report as a deleted event.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(MAX_LENGTHS["actor"]), nullable=False),
    Column("action", String(MAX_LENGTHS["action"]), nullable=False),
    Column("object", String(MAX_LENGTHS["object"]), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    # Unique: the last line of defence should two appends ever chain onto the same event.
    Column("hash", String(64), nullable=False, unique=True),
    Index("ix_audit_events_actor", "actor"),
    Index("ix_audit_events_action", "action"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="ck_audit_head_single_row"),
)


class AuditChainError(RuntimeError):
    """The chain cannot be extended safely (its head is missing); run ``verify``."""


@dataclass(frozen=True)
class AuditEvent:
    """One stored event; ``detail`` is the parsed canonical JSON."""

    id: int
    at: datetime
    actor: str
    action: str
    object: str
    detail: Any
    prev_hash: str
    hash: str


class Problem(NamedTuple):
    """What verify() found: the event id (None when no event can be named), a kind, a message."""

    id: int | None
    kind: str  # edited | broken_link | gap | head
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """The result of walking the chain: how many events, and every problem found."""

    events: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            return f"审计链完整，共 {self.events} 条事件。 Audit chain intact: {self.events} events."
        lines = [f"审计链有 {len(self.problems)} 处问题（共 {self.events} 条事件）。 Audit chain has "
                 + f"{len(self.problems)} problem(s) ({self.events} events):"]
        lines += [f"  #{'—' if p.id is None else p.id} [{p.kind}] {p.message}" for p in self.problems]
        return "\n".join(lines)


def canonical_json(detail: Any) -> str:
    """The one serialisation of ``detail`` that is stored and hashed; NaN and non-JSON types raise."""
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)




def event_hash(id: int, at: datetime, actor: str, action: str, object: str, detail_json: str,
               prev_hash: str) -> str:
    """The event's hash as the module docstring defines it (``detail_json`` is the stored text)."""
    fields = [id, as_utc(at).isoformat(timespec="microseconds"), actor, action, object, detail_json, prev_hash]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_for_append(conn: Connection) -> None:
    """Serialise appends so no two chain onto the same event; held until the transaction ends."""
    if conn.dialect.name == "postgresql":
        # Under READ COMMITTED (the default) the next statement, reading the head, sees the
        # previous holder's commit. Under REPEATABLE READ the snapshot may predate it: the
        # primary key and the unique hash then turn the race into an error, never a fork.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        # A write before the read gives BEGIN IMMEDIATE semantics however the caller began:
        # pysqlite opens its deferred transaction here and even a zero-row UPDATE takes SQLite's
        # write lock, so other writers wait (busy timeout) until this transaction ends.
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(last_id=audit_head.c.last_id))


def _append(conn: Connection, actor: str, action: str, object: str, detail_json: str) -> AuditEvent:
    _lock_for_append(conn)
    head = conn.execute(select(audit_head.c.last_id, audit_head.c.last_hash).where(audit_head.c.id == 1)).first()
    if head is None:
        if conn.execute(select(audit_events.c.id).limit(1)).first() is not None:
            # Failing closed: guessing the head from the table would hide a truncated tail.
            raise AuditChainError("审计链头 audit_head 缺失，但已有事件；请先运行 audit verify。 "
                                  "audit_head is missing while events exist; run `audit verify`.")
        last_id, prev_hash = 0, GENESIS
    else:
        # Chain onto the recorded head, not the table's last row: after a truncation the new
        # event then leaves the gap visible instead of papering over it.
        last_id, prev_hash = head
    event_id, at = last_id + 1, datetime.now(UTC)
    digest = event_hash(event_id, at, actor, action, object, detail_json, prev_hash)
    conn.execute(insert(audit_events).values(id=event_id, at=at, actor=actor, action=action, object=object,
                                             detail=detail_json, prev_hash=prev_hash, hash=digest))
    if head is None:
        conn.execute(insert(audit_head).values(id=1, last_id=event_id, last_hash=digest))
    else:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(last_id=event_id, last_hash=digest))
    return AuditEvent(event_id, at, actor, action, object, json.loads(detail_json), prev_hash, digest)


def record(conn_or_engine: Connection | Engine, *, actor: str, action: str, object: str,
           detail: dict) -> AuditEvent:
    """Append one event. Given a Connection, inside the caller's transaction (it commits or rolls
    back with the change it records); given an Engine, in a transaction of its own."""
    for name, value in (("actor", actor), ("action", action), ("object", object)):
        # Checked here so SQLite (which ignores VARCHAR lengths) refuses what PostgreSQL would.
        if not isinstance(value, str) or len(value) > MAX_LENGTHS[name]:
            raise ValueError(f"{name} must be a string of at most {MAX_LENGTHS[name]} characters: {value!r}")
    if not isinstance(detail, dict):
        raise TypeError(f"detail must be a dict, not {type(detail).__name__}")
    detail_json = canonical_json(detail)  # before any lock: NaN or a non-JSON value raises here
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.begin() as conn:
            return _append(conn, actor, action, object, detail_json)
    return _append(conn_or_engine, actor, action, object, detail_json)


def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one state, so events and head are compared consistently."""
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="REPEATABLE READ")
    conn = engine.connect()
    conn.begin()
    if engine.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        # pysqlite starts no transaction for reads; one explicit BEGIN holds a single snapshot.
        conn.exec_driver_sql("BEGIN")
    return conn


def verify(engine: Engine) -> VerifyReport:
    """Walk the chain in id order and report every edited event, broken link, id gap, and a
    chain end that disagrees with ``audit_head`` (the newest events deleted, or some appended
    behind its back)."""
    problems: list[Problem] = []
    count, last_id, last_hash = 0, 0, GENESIS
    with _snapshot(engine) as conn:
        head = conn.execute(select(audit_head.c.last_id, audit_head.c.last_hash).where(audit_head.c.id == 1)).first()
        rows = conn.execute(select(audit_events).order_by(audit_events.c.id).execution_options(yield_per=1000))
        for row in rows:
            count += 1
            if row.id != last_id + 1:
                missing = f"{last_id + 1}–{row.id - 1}" if row.id > last_id + 2 else str(last_id + 1)
                problems.append(Problem(row.id, "gap", f"缺少第 {missing} 条事件"))
            if row.prev_hash != last_hash:
                problems.append(Problem(row.id, "broken_link", "前序哈希与上一条事件不符（事件被删除或插入）"))
            recomputed = event_hash(row.id, row.at, row.actor, row.action, row.object, row.detail, row.prev_hash)
            if row.hash != recomputed:
                problems.append(Problem(row.id, "edited", "内容与哈希不符（事件被改动）"))
            last_id, last_hash = row.id, row.hash
    problems += _head_problems(head, count, last_id, last_hash)
    return VerifyReport(events=count, problems=problems)


def _head_problems(head, count: int, last_id: int, last_hash: str) -> list[Problem]:
    if head is None:
        return [Problem(None, "head", "审计链头缺失")] if count else []
    if count == 0:
        return [Problem(head.last_id, "head", f"链头记录到第 {head.last_id} 条，但没有任何事件（事件被全部删除）")]
    if (head.last_id, head.last_hash) == (last_id, last_hash):
        return []
    if head.last_id > last_id:
        why = "末尾事件被删除"
    elif head.last_id < last_id:
        why = "有事件绕过审计记录追加"
    else:
        why = "末条事件被替换"
    return [Problem(head.last_id, "head", f"链尾为第 {last_id} 条，链头记录第 {head.last_id} 条：{why}")]


def events(engine: Engine, *, limit: int = 100, actor: str | None = None,
           action: str | None = None) -> list[dict]:
    """The newest ``limit`` events, newest first, optionally only one actor's or one action's.
    ``at`` is a UTC datetime; ``detail`` is parsed (the raw text if tampering made it invalid)."""
    query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(audit_events.c.actor == actor)
    if action is not None:
        query = query.where(audit_events.c.action == action)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [asdict(AuditEvent(r.id, as_utc(r.at), r.actor, r.action, r.object, _parse(r.detail), r.prev_hash, r.hash))
            for r in rows]


def _parse(detail: str) -> Any:
    try:
        return json.loads(detail)
    except ValueError:
        return detail
