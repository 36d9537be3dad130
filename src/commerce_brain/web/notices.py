"""站内消息 on the web: the enterprise's messages (API and the forms on /home) and the policy
office's /notices page (delivery and read status per batch, disputes as tasks, the gateway file).

An enterprise reaches only its own notices: another's answers 404, as a missing one does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from .. import notices as n
from ..access import User
from ..store.fulfilment_tables import NotAllowed, NotFound, WrongState
from .award_views import BEIJING, money, when
from .awards_api import check_api_write
from .errors import responses
from .pages import render
from .params import RecordId
from .security import check_csrf, current_user, platform, require

api = APIRouter(prefix="/api/v1/notices", tags=["站内消息 notices"])
pages = APIRouter(include_in_schema=False)
router = APIRouter()
CSV = "text/csv; charset=utf-8"


def notice_view(notice: dict) -> dict:
    """A notice as the API and the pages show it (the amount as integer fen and 元 text)."""
    return {"id": notice["id"], "kind": notice["kind"], "kind_zh": n.KIND_ZH[notice["kind"]],
            "year": notice["year"], "rule": notice["rule"], "article": notice["article"],
            "amount_fen": notice["amount_fen"], "amount_yuan": money(notice["amount_fen"]).replace(",", ""),
            "message": notice["message"], "link": notice["link"], "created_at": notice["created_at"],
            "read": notice["read_at"] is not None, "read_at": notice["read_at"],
            "disputed": notice.get("dispute_reason") is not None, "dispute_reason": notice.get("dispute_reason"),
            "dispute_closed": notice.get("dispute_closed_at") is not None,
            "dispute_answer": notice.get("dispute_answer")}


def own_inbox(request: Request, user: User) -> list[dict]:
    """The signed-in enterprise's notices (the role is checked first: others have no inbox)."""
    require(user, "confirm_own_awards")
    return [notice_view(x) for x in n.inbox(platform(request).engine, user.uscc)]


def refused(exc: Exception) -> HTTPException:
    if isinstance(exc, NotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, NotAllowed):
        return HTTPException(403, str(exc))
    if isinstance(exc, WrongState):
        return HTTPException(409, str(exc))
    return HTTPException(422, str(exc))




# ---- API --------------------------------------------------------------------------------------

class DisputeRequest(BaseModel):
    """Why the notice is wrong."""

    model_config = ConfigDict(extra="forbid")
    reason: str


@api.get("")
def list_notices(request: Request, user: User = Depends(current_user)) -> list[dict]:
    """The signed-in enterprise's notices, newest first."""
    return own_inbox(request, user)


@api.post("/{notice_id}/read", responses=responses(404))
def read_notice(request: Request, notice_id: RecordId, user: User = Depends(current_user)) -> dict:
    """Mark one's own notice read (audited the first time)."""
    check_api_write(request)
    try:
        changed = n.mark_read(platform(request).engine, notice_id, user=user)
    except n.NOTICE_ERRORS as exc:
        raise refused(exc) from None
    return {"id": notice_id, "read": True, "changed": changed}


@api.post("/{notice_id}/dispute", responses=responses(404, 409, 422))
def dispute_notice(request: Request, notice_id: RecordId, body: DisputeRequest,
                   user: User = Depends(current_user)) -> dict:
    """'This notice is wrong': the reason reaches the policy office as a task."""
    check_api_write(request)
    try:
        dispute_id = n.dispute(platform(request).engine, notice_id, body.reason, actor=user)
    except n.NOTICE_ERRORS as exc:
        raise refused(exc) from None
    return {"id": notice_id, "dispute": dispute_id}


# ---- the policy office's page ------------------------------------------------------------------

def _office_page(request: Request, user: User, *, error: str | None = None, status: int = 200) -> HTMLResponse:
    require(user, "run_batch")
    engine = platform(request).engine
    names = platform(request).catalog.org_unit_names()
    delivered = n.delivery(engine, user=user)
    context = {"user": user, "error": error, "when": when, "money": money, "names": names,
               "delivery": delivered, "disputes": n.open_disputes(engine, user=user),
               "pending": sum(r["sent"] - r["exported"] for r in delivered),
               "kind_zh": n.KIND_ZH, "columns": n.GATEWAY_COLUMNS}
    return HTMLResponse(render(request, "notices.html", context), status_code=status)


@pages.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    return _office_page(request, user)


@pages.post("/notices/export")
def export_form(request: Request, csrf: str = Form(""), user: User = Depends(current_user)) -> Response:
    """The pending notices as the gateway's CSV (they are marked exported)."""
    check_csrf(request, csrf)
    require(user, "run_batch")
    try:
        content, count = n.export_pending(platform(request).engine, user=user)
    except n.NOTICE_ERRORS as exc:
        return _office_page(request, user, error=str(exc), status=refused(exc).status_code)
    if not count:
        return _office_page(request, user, error="没有待导出的消息", status=409)
    stamp = datetime.now(UTC).astimezone(BEIJING).strftime("%Y%m%d%H%M")
    filename = f"notices-{stamp}.csv"  # ASCII: the name travels in a header; the page names it in Chinese
    return Response(content, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@pages.post("/notices/disputes/{dispute_id}/close")
def close_form(request: Request, dispute_id: RecordId, answer: str = Form(""), csrf: str = Form(""),
               user: User = Depends(current_user)) -> Response:
    check_csrf(request, csrf)
    require(user, "run_batch")
    try:
        n.close_dispute(platform(request).engine, dispute_id, answer, user=user)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except n.NOTICE_ERRORS as exc:
        return _office_page(request, user, error=str(exc), status=refused(exc).status_code)
    return RedirectResponse("/notices", status_code=303)


router.include_router(api)
router.include_router(pages)
