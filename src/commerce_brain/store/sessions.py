"""Server-side web sessions: the browser holds a random token in an HttpOnly cookie, the
database holds its hash, the user and the CSRF token. Any web worker can serve any request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    delete,
    insert,
    select,
)

from ..access import User
from .metadata import metadata, read_only

SESSION_HOURS = 12

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Session:
    """A signed-in browser: whose, and the token its forms must carry."""

    user_id: int
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(engine: Engine, user_id: int) -> tuple[str, Session]:
    """A new session; returns the cookie token (kept only by the browser) and the session."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(web_sessions).values(token_hash=_hash(token), user_id=user_id, csrf=csrf,
                                                 created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
    return token, Session(user_id=user_id, csrf=csrf)


def find_session_user(engine: Engine, token: str | None) -> tuple[Session, User] | None:
    """The live session of a cookie token with its account, in one query (every page asks
    both), or None (unknown or expired)."""
    from .accounts import user_from_row, users

    if not token:
        return None
    s = web_sessions.c
    query = (select(s.csrf, s.expires_at, users).join(users, users.c.id == s.user_id)
             .where(s.token_hash == _hash(token)))
    with read_only(engine).connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None or _expired(row["expires_at"]):
        return None
    return Session(user_id=row["id"], csrf=row["csrf"]), user_from_row(row)


def _expired(expires: datetime) -> bool:
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    return expires <= datetime.now(UTC)


def find_session(engine: Engine, token: str | None) -> Session | None:
    """The live session of a cookie token, or None (unknown or expired)."""
    if not token:
        return None
    s = web_sessions.c
    with engine.connect() as conn:
        row = conn.execute(select(s.user_id, s.csrf, s.expires_at).where(s.token_hash == _hash(token))).first()
    if row is None:
        return None
    user_id, csrf, expires = row
    if _expired(expires):
        return None
    return Session(user_id=user_id, csrf=csrf)


def end_session(conn: Connection, token: str | None) -> None:
    """Sign out, inside the caller's transaction (with its audit event): the cookie token stops
    working at once."""
    if token:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == _hash(token)))
