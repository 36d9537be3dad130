"""JSON API of 政策兑现 under /api/v1/awards: the same store functions and checks as the pages.

Money is ``amount_fen`` (integer) with ``amount_yuan`` as exact text ("1234.56"), never a
float. A write with a session cookie must carry the session's CSRF token in ``X-CSRF-Token``
(a script with ``Authorization: Bearer`` needs none: no browser sends that header by itself).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from ..access import User
from .. import fulfilment as f
from ..fulfilment.assessments import get_assessment
from .award_views import REFUSALS, XLSX, award_record, payer_label, status_of, xlsx_response
from .params import OptionalYearQuery, RecordId, YearField
from .errors import responses
from .security import Forbidden, check_csrf, current_user, platform, require, scope

api = APIRouter(prefix="/api/v1/awards", tags=["政策兑现 awards"])
API_LIMIT = 5000
# What a change of an award's state may answer besides the usual: refused, missing, wrong state.
ACT_ERRORS = responses(400, 404, 409)


class BatchRequest(BaseModel):
    year: YearField


class RejectRequest(BaseModel):
    reason: str


class PaymentListRequest(BaseModel):
    payer: str


def call_store(function, *args, **kwargs):
    """Run a store function, turning its refusals into HTTP errors (403 through Forbidden)."""
    try:
        return function(*args, **kwargs)
    except f.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except REFUSALS as exc:
        raise HTTPException(status_of(exc), str(exc)) from None


def check_api_write(request: Request) -> None:
    """An API write from a browser session must carry its CSRF token in ``X-CSRF-Token``; a
    script with a bearer token has no cookie a foreign page could ride on."""
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        check_csrf(request, request.headers.get("x-csrf-token"))


def _list_record(request: Request, plist: dict) -> dict:
    return {**plist, "payer_name": payer_label(request, plist["payer"])}


@api.get("")
def awards(request: Request, state: str | None = None, year: OptionalYearQuery = None, payer: str | None = None,
           user: User = Depends(current_user)) -> list[dict]:
    """The awards the user may see (an enterprise its own, a county its subtree), newest first."""
    require(user, "view_policies")
    if state is not None and state not in f.STATES:
        raise HTTPException(422, f"未知状态“{state}”；可选：{'、'.join(f'{s}（{f.STATE_ZH[s]}）' for s in f.STATES)}"
)
    frame = f.list_awards(platform(request).engine, scope=scope(request, user), state=state, year=year, payer=payer,
                          limit=API_LIMIT)
    return [award_record(a, request) for a in frame.iter_rows(named=True)]


@api.post("/batches", responses=responses(400, 409))
def run_batch(body: BatchRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """免申即享: propose every award of ``year`` from the stored enterprise data (policy officer)."""
    check_api_write(request)
    return asdict(call_store(f.run_batch, platform(request).engine, body.year, actor=user))


@api.get("/payment-lists")
def payment_lists(request: Request, user: User = Depends(current_user)) -> dict:
    """Every payment list, and per treasury the approved awards waiting for one (finance)."""
    require(user, "make_payments")
    engine = platform(request).engine
    return {"lists": [_list_record(request, x) for x in f.list_payment_lists(engine)],
            "pending": [_list_record(request, x) for x in f.pending_by_payer(engine)]}


@api.post("/payment-lists", responses=responses(400, 409))
def create_payment_list(body: PaymentListRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """A payment list of every approved award of ``payer`` not yet listed (finance)."""
    check_api_write(request)
    engine = platform(request).engine
    list_id = call_store(f.create_payment_list, engine, body.payer, user=user)
    return _list_record(request, f.get_payment_list(engine, list_id))


@api.get("/payment-lists/{list_id}", responses=responses(404))
def payment_list(list_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """One payment list with its items (finance)."""
    require(user, "make_payments")
    return _list_record(request, call_store(f.get_payment_list, platform(request).engine, list_id))


@api.get("/payment-lists/{list_id}/xlsx", responses={200: {"content": {XLSX: {}}, "description": "xlsx"}, **responses(404)}, response_class=FileResponse)
def payment_list_xlsx(list_id: RecordId, request: Request, user: User = Depends(current_user)) -> FileResponse:
    """The payment list as the treasury's workbook (finance)."""
    require(user, "make_payments")
    return call_store(xlsx_response, request, list_id)


@api.post("/payment-lists/{list_id}/paid", responses=responses(400, 404, 409))
def mark_paid(list_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """Record the list as paid, once (finance)."""
    check_api_write(request)
    return _list_record(request, call_store(f.mark_paid, platform(request).engine, list_id, user=user))


@api.get("/{award_id}", responses=responses(404))
def award(award_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """One award with its explanation and history, if in the user's scope."""
    require(user, "view_policies")
    engine = platform(request).engine
    found = call_store(f.get_award, engine, award_id, scope=scope(request, user))
    return {**award_record(found, request), "history": f.award_history(engine, award_id),
            "assessment": get_assessment(engine, award_id)}


def _act(request: Request, award_id: int, function, user: User, **kwargs) -> dict:
    check_api_write(request)
    return award_record(call_store(function, platform(request).engine, award_id, user=user, **kwargs), request)


@api.post("/{award_id}/confirm", responses=ACT_ERRORS)
def confirm(award_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """The enterprise accepts its own proposed award."""
    return _act(request, award_id, f.confirm, user)


@api.post("/{award_id}/approve", responses=ACT_ERRORS)
def approve(award_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """A policy officer approves a confirmed award."""
    return _act(request, award_id, f.approve, user)


@api.post("/{award_id}/reject", responses=ACT_ERRORS)
def reject(award_id: RecordId, body: RejectRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """A policy officer rejects a proposed or confirmed award, with the reason."""
    return _act(request, award_id, f.reject, user, reason=body.reason)


@api.post("/{award_id}/reopen", responses=ACT_ERRORS)
def reopen(award_id: RecordId, body: RejectRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """A policy officer takes a rejected award back into review, with the reason."""
    return _act(request, award_id, f.reopen, user, reason=body.reason)
