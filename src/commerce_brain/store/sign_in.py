"""One sign-in attempt: the brute-force limit, the password check, and their audit events.

Failed attempts are audited with the name that was tried and the client address (never the
password); a refusal by the delay or the lock is counted but not audited one by one (an
attacker could otherwise flood the log), only the moment a key becomes locked is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ..access import User
from . import login_throttle as throttle
from .accounts import authenticate, normalise_username
from .audit import MAX_LENGTHS, record


@dataclass(frozen=True)
class SignIn:
    """The outcome: the user on success; otherwise whether the limit refused the attempt
    (``locked`` or a wait of ``wait_seconds``) or the name and password were wrong."""

    user: User | None
    throttled: bool = False
    locked: bool = False
    wait_seconds: int = 0


def attempt(engine: Engine, username: str, password: str, *, address: str) -> SignIn:
    """Try to sign ``username`` in from ``address``; counts failures and writes the audit events."""
    name = normalise_username(username)[:MAX_LENGTHS["actor"]]
    keys = {throttle.account_key(name): throttle.ACCOUNT_LIMIT, throttle.address_key(address): throttle.ADDRESS_LIMIT}
    verdict = throttle.check(engine, keys)
    if not verdict.allowed:
        with engine.begin() as conn:
            locked = throttle.count_failure(conn, keys)
            _audit_locks(conn, name, address, locked)
        return SignIn(None, throttled=True, locked=verdict.locked or bool(locked), wait_seconds=verdict.wait_seconds)
    user = authenticate(engine, username, password)
    with engine.begin() as conn:
        if user is None:
            locked = throttle.count_failure(conn, keys)
            record(conn, actor=name or "-", action="login.failed", object="web", detail={"address": address})
            _audit_locks(conn, name, address, locked)
            throttle.prune(conn)
            return SignIn(None, locked=bool(locked))
        throttle.clear(conn, throttle.account_key(name))
        record(conn, actor=user.username, action="login", object="web", detail={"role": user.role, "address": address})
    return SignIn(user)


def _audit_locks(conn, name: str, address: str, keys: list[str]) -> None:
    for key in keys:
        record(conn, actor=name or "-", action="login.locked", object=key,
               detail={"address": address, "minutes": _limit_of(key).lock_minutes})


def _limit_of(key: str) -> throttle.Limit:
    return throttle.ACCOUNT_LIMIT if key.startswith("user:") else throttle.ADDRESS_LIMIT


def unlock(engine: Engine, username: str, *, actor: str) -> bool:
    """An admin lifts an account's lock and clears its failures (audited); True when it had any."""
    name = normalise_username(username)
    with engine.begin() as conn:
        cleared = throttle.clear(conn, throttle.account_key(name))
        record(conn, actor=actor, action="user.unlock", object=f"user:{name}", detail={"had_failures": cleared})
    return cleared
