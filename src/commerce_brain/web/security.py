"""Who is asking: a session cookie (pages) or a bearer token (scripts), and what they may do."""

from __future__ import annotations

import secrets

from fastapi import Request

from ..access import Scope, User, can, refusal, scope_for
from ..store.accounts import user_for_token
from ..store.sessions import Session, find_session, find_session_user

COOKIE = "cb_session"


class NotSignedIn(Exception):
    """No valid session or token."""


class Forbidden(Exception):
    """Signed in, but the role or scope does not allow it; the message says why."""


def platform(request: Request):
    """The app's shared Platform (engine, catalogs)."""
    return request.app.state.platform


def session_of(request: Request) -> Session | None:
    """The browser's live session, if any (looked up once per request: the user check and the
    page's CSRF token both need it)."""
    if not hasattr(request.state, "session"):
        request.state.session = find_session(platform(request).engine, request.cookies.get(COOKIE))
    return request.state.session


async def current_user(request: Request) -> User:
    """The signed-in user (session cookie or ``Authorization: Bearer cb_…``), or NotSignedIn."""
    engine = platform(request).engine
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(engine, header[7:].strip())
    else:
        found = find_session_user(engine, request.cookies.get(COOKIE))
        request.state.session, user = found if found else (None, None)
    if user is None or not user.active:
        raise NotSignedIn()
    return user


def require(user: User, capability: str) -> None:
    """Refuse unless the user's role grants ``capability``."""
    if not can(user, capability):
        raise Forbidden(refusal(user, capability))


def scope(request: Request, user: User) -> Scope:
    """The org units and enterprise the user may see."""
    return scope_for(user, platform(request).catalog)


def check_csrf(request: Request, submitted: str | None) -> None:
    """A form must carry its session's CSRF token (a cross-site page cannot read it)."""
    session = session_of(request)
    if session is None or not submitted or not secrets.compare_digest(session.csrf, submitted):
        raise Forbidden("表单已失效，请刷新后重试"
)
