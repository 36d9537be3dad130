"""Brute-force limit on sign-in: failure counters per account and per client address, kept in
the database so every web worker (and every server behind one database) sees the same counts.

Each key (``user:<name>`` or ``addr:<address>``) counts its recent failures. After ``free``
failures an attempt must wait a delay that doubles with each further failure (up to
``max_delay``); after ``lock_after`` failures the key is locked for ``lock_minutes`` or until an
admin unlocks it (``commerce-brain users unlock NAME``). An attempt refused by the delay or the
lock counts as a failure too, without checking the password, so a fast attacker reaches the lock
instead of waiting out the delays. A successful sign-in clears the account's counter, never the
address's: otherwise one valid account would reset the counter for guessing at the others.
Counters older than ``window_minutes`` start again from zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    case,
    delete,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .moments import as_utc
from .metadata import metadata

KEY_LENGTH = 200

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Index("ix_login_throttle_last_failure_at", "last_failure_at"),
)


@dataclass(frozen=True)
class Limit:
    """How many failures a key may have before delays, and before a lock."""

    free: int
    lock_after: int
    lock_minutes: int = 15
    max_delay: int = 60
    window_minutes: int = 15

    def delay(self, failures: int) -> int:
        """Seconds an attempt must wait after the latest of ``failures`` failures."""
        if failures < self.free:
            return 0
        return min(2 ** (failures - self.free), self.max_delay)


# An account is a single person: few mistakes before delays. An address may be a whole office
# behind one NAT, so it gets more room before it slows everyone there down.
ACCOUNT_LIMIT = Limit(free=3, lock_after=10)
ADDRESS_LIMIT = Limit(free=20, lock_after=100)


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may check its password; if not, why and for how many seconds."""

    allowed: bool
    locked: bool = False
    wait_seconds: int = 0


def account_key(username: str) -> str:
    """The counter key of an account name (normalised by the caller); unknown names count too,
    so the answers do not reveal which names exist."""
    return f"user:{username}"[:KEY_LENGTH]


def address_key(address: str) -> str:
    """The counter key of a client address."""
    return f"addr:{address}"[:KEY_LENGTH]


def check(engine: Engine, keys: dict[str, Limit], *, now: datetime | None = None) -> Verdict:
    """May an attempt on these keys check its password now? Refused while any key is locked or
    inside its delay; the longest wait is reported."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        rows = conn.execute(select(login_throttle).where(login_throttle.c.key.in_(list(keys)))).mappings().all()
    verdict = Verdict(allowed=True)
    for row in rows:
        limit = keys[row["key"]]
        locked_until, last = as_utc(row["locked_until"]), as_utc(row["last_failure_at"])
        if locked_until is not None and locked_until > now:
            wait = _seconds(locked_until - now)
            if not verdict.locked or wait > verdict.wait_seconds:
                verdict = Verdict(allowed=False, locked=True, wait_seconds=wait)
        elif locked_until is None and last > now - timedelta(minutes=limit.window_minutes):
            ready = last + timedelta(seconds=limit.delay(row["failures"]))
            if ready > now and not verdict.locked and _seconds(ready - now) > verdict.wait_seconds:
                verdict = Verdict(allowed=False, wait_seconds=_seconds(ready - now))
    return verdict


def _seconds(span: timedelta) -> int:
    """Whole seconds to wait, rounded up (a person is never told to wait 0 s)."""
    return max(1, math.ceil(span.total_seconds()))


def count_failure(conn: Connection, keys: dict[str, Limit], *, now: datetime | None = None) -> list[str]:
    """Add one failure to each key, inside the caller's transaction (with its audit event);
    returns the keys this failure locked. The increment is one UPDATE, so concurrent failures
    in several workers all count."""
    now = now or datetime.now(UTC)
    newly_locked = []
    for key, limit in keys.items():
        t = login_throttle.c
        # A counter starts again once its lock has run out or its last failure is older than the window.
        stale = ((t.locked_until.is_not(None) & (t.locked_until <= now))
                 | (t.locked_until.is_(None) & (t.last_failure_at < now - timedelta(minutes=limit.window_minutes))))
        # Insert-if-new first, so two workers' first failures on one key cannot collide.
        # RETURNING, not rowcount: psycopg reports a row for an insert that did nothing.
        new_row = (_insert(conn).values(key=key, failures=1, last_failure_at=now)
                   .on_conflict_do_nothing().returning(t.key))
        if conn.execute(new_row).first() is None:
            conn.execute(update(login_throttle).where(t.key == key).values(
                failures=case((stale, 1), else_=t.failures + 1),
                locked_until=case((stale, null()), else_=t.locked_until),
                last_failure_at=now))
        locked = conn.execute(update(login_throttle).where(
            t.key == key, t.locked_until.is_(None), t.failures >= limit.lock_after,
        ).values(locked_until=now + timedelta(minutes=limit.lock_minutes))).rowcount
        if locked:
            newly_locked.append(key)
    return newly_locked


def _insert(conn: Connection):
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(login_throttle)


def clear(conn: Connection, key: str) -> bool:
    """Forget a key's failures and lock (a successful sign-in, or an admin's unlock); True when
    there was something to forget."""
    return conn.execute(delete(login_throttle).where(login_throttle.c.key == key)).rowcount > 0


def prune(conn: Connection, *, now: datetime | None = None, older_than: timedelta = timedelta(days=1)) -> None:
    """Drop counters nobody has failed on for a day and that are not locked, so guessed names
    do not pile up."""
    now = now or datetime.now(UTC)
    t = login_throttle.c
    conn.execute(delete(login_throttle).where(
        t.last_failure_at < now - older_than, (t.locked_until.is_(None)) | (t.locked_until < now)))


def states(engine: Engine, keys: list[str]) -> dict[str, dict]:
    """The counters of these keys that exist, by key (for the accounts page)."""
    with engine.connect() as conn:
        rows = conn.execute(select(login_throttle).where(login_throttle.c.key.in_(keys))).mappings().all()
    return {row["key"]: {**row, "last_failure_at": as_utc(row["last_failure_at"]),
                         "locked_until": as_utc(row["locked_until"])} for row in rows}


def state(engine: Engine, key: str) -> dict | None:
    """A key's counter (failures, last failure, lock), or None."""
    return states(engine, [key]).get(key)
