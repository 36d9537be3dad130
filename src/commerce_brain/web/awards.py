"""政策兑现 on the web: the 免申即享 batch, confirmation, review and payment lists.

One router for the pages (/awards, /payments) and the JSON API (/api/v1/awards…), both calling
``fulfilment``, which checks roles and scopes itself; the web layer adds the session,
the CSRF token and the HTTP status of each refusal.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from ..access import User, can
from ..policy.model import PAYEE_ZH
from .. import fulfilment as f
from ..fulfilment.assessments import get_assessment
from ..fulfilment.claims_flow import get_claim
from ..policy.award_table import STORED_COLUMNS, write_awards_xlsx
from .award_views import (
    REFUSALS,
    XLSX,
    temporary_download,
    award_record,
    money,
    payer_label,
    status_of,
    when,
    xlsx_response,
)
from .awards_api import api
from .pages import render
from .params import RecordId, RecordIdQuery, year_or_none
from .security import Forbidden, check_csrf, current_user, platform, require, scope
from .views import DEFAULT_YEAR

router = APIRouter()
pages = APIRouter(include_in_schema=False)
PAGE_LIMIT = 500


# ---- pages ------------------------------------------------------------------------------------

def _awards_page(request: Request, user: User, *, state: str | None, year: int | None, batch: int | None = None,
                 error: str | None = None, status: int = 200) -> HTMLResponse:
    require(user, "view_policies")
    p = platform(request)
    visible = scope(request, user)
    state = state if state in f.STATES else None
    frame = f.list_awards(p.engine, scope=visible, state=state, year=year, limit=PAGE_LIMIT + 1)
    rows = [award_record(a, request) for a in frame.head(PAGE_LIMIT).iter_rows(named=True)]
    runs = can(user, "run_batch")
    context = {
        "user": user, "rows": rows, "more": frame.height > PAGE_LIMIT, "limit": PAGE_LIMIT,
        "totals": f.award_totals(p.engine, scope=visible, year=year), "state": state, "year": year,
        "states": f.STATE_ZH, "can_run": runs, "default_year": year or DEFAULT_YEAR, "error": error,
        "batches": f.recent_batches(p.engine) if runs else [],
        "batch": next(iter(f.recent_batches(p.engine, batch_id=batch)), None) if runs and batch else None,
        "money": money, "when": when, "can_pay": can(user, "make_payments"),
    }
    return HTMLResponse(render(request, "awards.html", context), status_code=status)


@pages.get("/awards", response_class=HTMLResponse)
def awards_page(request: Request, state: str | None = None, year: str | None = None, batch: RecordIdQuery = None,
                user: User = Depends(current_user)) -> HTMLResponse:
    return _awards_page(request, user, state=state, year=year_or_none(year), batch=batch)


@pages.post("/awards/batch")
def batch_form(request: Request, year: str = Form(""), csrf: str = Form(""), user: User = Depends(current_user)):
    check_csrf(request, csrf)
    require(user, "run_batch")
    if year_or_none(year) is None:
        return _awards_page(request, user, state=None, year=None, error="请填写年度"
, status=400)
    try:
        summary = f.run_batch(platform(request).engine, year_or_none(year), actor=user)
    except REFUSALS as exc:
        return _awards_page(request, user, state=None, year=None, error=str(exc), status=status_of(exc))
    return RedirectResponse(f"/awards?year={summary.year}&batch={summary.batch_id}", status_code=303)


def award_page_response(request: Request, user: User, award_id: int, *, error: str | None = None,
                status: int = 200) -> HTMLResponse:
    require(user, "view_policies")
    p = platform(request)
    try:
        award = f.get_award(p.engine, award_id, scope=scope(request, user))
    except f.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    reviewer = can(user, "review_awards")
    assessable = reviewer and award["needs_review"] and award["state"] in ("proposed", "confirmed")
    context = {
        "user": user, "award": award_record(award, request), "error": error, "money": money, "when": when,
        "claim": _claim_of(p.engine, award, scope(request, user)),
        "history": f.award_history(p.engine, award_id),
        "can_confirm": can(user, "confirm_own_awards") and award["uscc"] == user.uscc and award["state"] == "proposed",
        "can_approve": reviewer and award["state"] == "confirmed" and not award["needs_review"],
        "can_reject": reviewer and award["state"] in ("proposed", "confirmed"),
        "can_reopen": reviewer and award["state"] == "rejected",
        "can_assess": assessable, "assessment": get_assessment(p.engine, award_id),
        "can_pay": can(user, "make_payments"),
    }
    return HTMLResponse(render(request, "award.html", context), status_code=status)


def _claim_of(engine, award: dict, visible) -> dict | None:
    """The claim an award was born of, with its attachments: the evidence beside the approval."""
    if award["claim_id"] is None:
        return None
    try:
        return get_claim(engine, award["claim_id"], scope=visible)
    except f.NotFound:
        return None


@pages.get("/awards/export.xlsx")
def awards_export(request: Request, state: str | None = None, year: str | None = None,
                  user: User = Depends(current_user)) -> FileResponse:
    """The awards the page lists (same filters, same scope, no page limit) as a workbook."""
    require(user, "view_policies")
    state = state if state in f.STATES else None
    frame = f.list_awards(platform(request).engine, scope=scope(request, user), state=state, year=year_or_none(year))
    records = [{**award_record(a, request), "origin": f"企业申报 {a['claim_id']}" if a.get("claim_id")
                else f"免申即享批次 {a['batch_id']}"} for a in frame.iter_rows(named=True)]
    name = f"奖补清单{year_or_none(year) or ''}{f.STATE_ZH.get(state, '') if state else ''}.xlsx"
    return temporary_download(lambda path: write_awards_xlsx(records, None, path, columns=STORED_COLUMNS), name, XLSX)


@pages.get("/awards/{award_id}", response_class=HTMLResponse)
def award_page(request: Request, award_id: RecordId, user: User = Depends(current_user)) -> HTMLResponse:
    return award_page_response(request, user, award_id)


def _act(request: Request, user: User, award_id: RecordId, csrf: str, action, **kwargs):
    check_csrf(request, csrf)
    try:
        action(platform(request).engine, award_id, user=user, **kwargs)
    except f.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except REFUSALS as exc:
        return award_page_response(request, user, award_id, error=str(exc), status=status_of(exc))
    return RedirectResponse(f"/awards/{award_id}", status_code=303)


@pages.post("/awards/{award_id}/confirm")
def confirm_form(request: Request, award_id: RecordId, csrf: str = Form(""), user: User = Depends(current_user)):
    return _act(request, user, award_id, csrf, f.confirm)


@pages.post("/awards/{award_id}/approve")
def approve_form(request: Request, award_id: RecordId, csrf: str = Form(""), user: User = Depends(current_user)):
    return _act(request, user, award_id, csrf, f.approve)


@pages.post("/awards/{award_id}/reject")
def reject_form(request: Request, award_id: RecordId, reason: str = Form(""), csrf: str = Form(""),
                user: User = Depends(current_user)):
    return _act(request, user, award_id, csrf, f.reject, reason=reason)


@pages.post("/awards/{award_id}/reopen")
def reopen_form(request: Request, award_id: RecordId, reason: str = Form(""), csrf: str = Form(""),
                user: User = Depends(current_user)):
    return _act(request, user, award_id, csrf, f.reopen, reason=reason)


def _payments_page(request: Request, user: User, *, list_id: int | None = None, error: str | None = None,
                   status: int = 200) -> HTMLResponse:
    require(user, "make_payments")
    engine = platform(request).engine
    plist = None
    if list_id is not None:
        try:
            plist = f.get_payment_list(engine, list_id)
        except f.NotFound as exc:
            raise HTTPException(404, str(exc)) from None
        plist["payer_name"] = payer_label(request, plist["payer"])
    pending = [{**x, "payer_name": payer_label(request, x["payer"])} for x in f.pending_by_payer(engine)]
    lists = [{**x, "payer_name": payer_label(request, x["payer"])} for x in f.list_payment_lists(engine)]
    context = {"user": user, "pending": pending, "lists": lists, "plist": plist, "error": error, "money": money,
               "when": when, "payee_zh": PAYEE_ZH}
    return HTMLResponse(render(request, "payments.html", context), status_code=status)


@pages.get("/payments", response_class=HTMLResponse)
def payments_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    return _payments_page(request, user)


@pages.post("/payments")
def create_list_form(request: Request, payer: str = Form(""), csrf: str = Form(""),
                     user: User = Depends(current_user)):
    check_csrf(request, csrf)
    require(user, "make_payments")
    try:
        list_id = f.create_payment_list(platform(request).engine, payer, user=user)
    except REFUSALS as exc:
        return _payments_page(request, user, error=str(exc), status=status_of(exc))
    return RedirectResponse(f"/payments/{list_id}", status_code=303)


@pages.get("/payments/{list_id}", response_class=HTMLResponse)
def payment_list_page(request: Request, list_id: RecordId, user: User = Depends(current_user)) -> HTMLResponse:
    return _payments_page(request, user, list_id=list_id)


@pages.get("/payments/{list_id}/export.xlsx")
def payment_list_export(request: Request, list_id: RecordId, user: User = Depends(current_user)) -> FileResponse:
    require(user, "make_payments")
    try:
        return xlsx_response(request, list_id)
    except f.NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@pages.post("/payments/{list_id}/paid")
def mark_paid_form(request: Request, list_id: RecordId, csrf: str = Form(""), user: User = Depends(current_user)):
    check_csrf(request, csrf)
    require(user, "make_payments")
    try:
        f.mark_paid(platform(request).engine, list_id, user=user)
    except REFUSALS as exc:
        if isinstance(exc, f.NotFound):
            raise HTTPException(404, str(exc)) from None
        return _payments_page(request, user, list_id=list_id, error=str(exc), status=status_of(exc))
    return RedirectResponse(f"/payments/{list_id}", status_code=303)


router.include_router(api)
router.include_router(pages)
