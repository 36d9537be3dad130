"""账户 for the administrator: every account with its failed sign-ins and lock, and 解锁 (the
same as ``commerce-brain users unlock NAME``, audited as ``user.unlock``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ..access import User
from ..store import login_throttle as throttle
from ..store import sign_in
from ..store.accounts import get_user, list_users
from .award_views import when
from .pages import render
from .security import check_csrf, current_user, platform, require

router = APIRouter(include_in_schema=False)


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, user: User = Depends(current_user)) -> str:
    require(user, "manage_users")
    engine = platform(request).engine
    found = list_users(engine)
    counters = throttle.states(engine, [throttle.account_key(u.username) for u in found])
    now = datetime.now(UTC)
    names = platform(request).catalog.org_unit_names()
    rows = []
    for account in found:
        counter = counters.get(throttle.account_key(account.username))
        locked_until = counter["locked_until"] if counter else None
        rows.append({"account": account, "scope": account_scope(account, names), "failures": counter["failures"] if counter else 0,
                     "locked_until": locked_until if locked_until and locked_until > now else None})
    return render(request, "accounts.html", {"user": user, "rows": rows, "when": when})


def account_scope(account: User, org_unit_names: dict[str, str]) -> str:
    """What the account may see, in words: its org unit, its enterprise, its responsible unit,
    or 全部 for a role without a limit."""
    if account.org_unit:
        return org_unit_names.get(account.org_unit, "未知机构")
    return account.uscc or account.responsible_unit or "全部"


@router.post("/accounts/{username}/unlock")
def unlock(request: Request, username: str, csrf: str = Form(""), user: User = Depends(current_user)):
    require(user, "manage_users")
    check_csrf(request, csrf)
    engine = platform(request).engine
    if get_user(engine, username) is None:
        raise HTTPException(404, "无此账户")
    sign_in.unlock(engine, username, actor=user.username)
    return RedirectResponse("/accounts", status_code=303)
