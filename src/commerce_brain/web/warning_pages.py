"""预警处置 pages (the 预警中心): the list (/warnings) with its filters, its counts by state, level
and engine (source) and its table by owner and level; one warning's page with its history and
the forms its viewer may use; and the download of a step's file.

The forms post to ``/warnings/{id}/{acknowledge|action|escalate|close}`` with the session's
CSRF token and call ``followup``, which checks the role and the scope again; a warning outside
the viewer's scope answers 404, as a missing one.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..access import User
from .. import followup as fu
from ..fulfilment.claims_flow import MAX_FILE_BYTES
from ..store.fulfilment_tables import NotAllowed, NotFound
from .award_views import REFUSALS, status_of, when
from .claims import file_download
from .pages import render
from .params import RecordId
from .security import Forbidden, check_csrf, current_user, platform, require, scope
from .upload_files import form_with_file
from .warning_views import WarningFilters, capabilities, labelled, warnings_for

router = APIRouter(include_in_schema=False)
PAGE_LIMIT = 500


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(request: Request, source: str | None = None, state: str | None = None, level: str | None = None,
                  org_unit: str | None = None, owner: str | None = None, period: str | None = None,
                  user: User = Depends(current_user)) -> str:
    require(user, "view_warnings")
    filters = WarningFilters.of(request, source=source, state=state, level=level, org_unit=org_unit, owner=owner,
                                period=period)
    everything = warnings_for(request, user, WarningFilters())
    shown = warnings_for(request, user, filters)
    names = platform(request).catalog.org_unit_names()
    rows = [labelled(request, w) for w in shown.head(PAGE_LIMIT).iter_rows(named=True)]
    return render(request, "warnings.html", {
        "user": user, "rows": rows, "more": shown.height > PAGE_LIMIT, "limit": PAGE_LIMIT, "filters": filters,
        "counts": fu.warning_counts(shown), "states": fu.STATE_ZH, "by_owner": fu.owner_level_counts(shown).to_dicts(), "levels": fu.LEVEL_ZH, "sources": fu.SOURCE_ZH,
        # The choices offered are those among the warnings the user may see.
        "units": sorted({(c, names.get(c, "—")) for c in everything["org_unit"].drop_nulls()}),
        "owners": sorted({u for named in everything["responsible_unit"].drop_nulls() for u in named.split("、")}),
        "periods": sorted(set(everything["period"]), reverse=True)})


def _warning_page(request: Request, user: User, warning_id: int, *, error: str | None = None,
                  status: int = 200) -> HTMLResponse:
    require(user, "view_warnings")
    engine = platform(request).engine
    try:
        warning = fu.get_warning(engine, warning_id, scope=scope(request, user))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    history = fu.warning_history(engine, warning)
    return HTMLResponse(render(request, "warning.html", {
        "user": user, "w": labelled(request, warning), "history": history, "actions": fu.ACTION_ZH,
        "states": fu.STATE_ZH, "allowed": capabilities(user, warning), "when": when, "error": error}),
        status_code=status)


@router.get("/warnings/{warning_id}", response_class=HTMLResponse)
def warning_page(request: Request, warning_id: RecordId, user: User = Depends(current_user)) -> HTMLResponse:
    return _warning_page(request, user, warning_id)


@router.post("/warnings/{warning_id}/{action}")
async def act_form(request: Request, warning_id: RecordId, action: Literal["acknowledge", "action", "escalate", "close"],
                   user: User = Depends(current_user)):
    """A form's step: the fields (and the action's file), the CSRF check, the store's call; a
    refusal re-renders the page with its message and status."""
    fields, file = await form_with_file(request, ("csrf", "note"), MAX_FILE_BYTES)
    check_csrf(request, fields["csrf"])
    try:
        await run_in_threadpool(fu.act, platform(request).engine, warning_id, action, user=user,
                                scope=scope(request, user), note=fields["note"], attachment=file)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except REFUSALS as exc:
        return _warning_page(request, user, warning_id, error=str(exc), status=status_of(exc))
    return RedirectResponse(f"/warnings/{warning_id}#history", status_code=303)


@router.get("/warnings/{warning_id}/files/{action_id}")
def warning_file(request: Request, warning_id: RecordId, action_id: RecordId,
                 user: User = Depends(current_user)) -> Response:
    """A step's file, as an attachment with nosniff (404 outside the scope, as a missing one)."""
    require(user, "view_warnings")
    try:
        found = fu.warning_file(platform(request).engine, warning_id, action_id, scope=scope(request, user))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return file_download(found)
