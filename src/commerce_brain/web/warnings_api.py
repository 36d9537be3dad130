"""JSON API of 预警处置 under /api/v1/warnings: the same ``followup`` functions and checks as
the pages. Codes (``state``, ``level``, ``detector``) come with their Chinese names (``*_zh``).
A write with a session cookie carries its CSRF token in ``X-CSRF-Token``, as for awards.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..access import User
from .. import followup as fu
from ..fulfilment.claims_flow import MAX_FILE_BYTES
from ..store.warning_tables import MAX_NOTE
from .awards_api import call_store, check_api_write
from .errors import responses
from .params import RecordId
from .security import current_user, platform, require, scope
from .upload_files import form_with_file
from .warning_views import WarningFilters, labelled, warnings_for

api = APIRouter(prefix="/api/v1/warnings", tags=["预警处置 warnings"])
ACT_ERRORS = responses(400, 404, 409)
ACTION_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["note"],
    "properties": {
        "note": {"type": "string", "maxLength": MAX_NOTE, "description": "采取的措施 what was done"},
        "file": {"type": "string", "format": "binary",
                 "description": "附件 (optional; PDF, OFD, JPG/PNG, Word, Excel, ZIP; ≤ 10 MB)"},
    }}}}}}


class NoteRequest(BaseModel):
    note: str | None = Field(None, max_length=MAX_NOTE, description="说明 the reason (needed to escalate, and to "
                                                                     "close a warning no action was taken on)")


def _record(request: Request, warning: dict) -> dict:
    return {k: v for k, v in labelled(request, warning).items() if k != "version"}


@api.get("")
def warnings(request: Request, source: str | None = None, state: str | None = None, level: str | None = None,
             org_unit: str | None = None, owner: str | None = None, period: str | None = None,
             user: User = Depends(current_user)) -> list[dict]:
    """The warnings the user may see (a unit its own, a county analyst the county's), newest
    first; the filters are those of the page (an unknown value filters nothing)."""
    require(user, "view_warnings")
    filters = WarningFilters.of(request, source=source, state=state, level=level, org_unit=org_unit, owner=owner,
                                period=period)
    return [_record(request, w) for w in fu.json_rows(warnings_for(request, user, filters))]


@api.get("/{warning_id}", responses=responses(404))
def warning(warning_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """One warning with its history (each step: who, when, the note, the file's name and SHA-256)."""
    require(user, "view_warnings")
    engine = platform(request).engine
    found = call_store(fu.get_warning, engine, warning_id, scope=scope(request, user))
    history = [{**{k: v for k, v in step.items() if k != "content_type"},
                "action_zh": fu.ACTION_ZH[step["action"]], "at": step["at"].isoformat()}
               for step in fu.warning_history(engine, found)]
    return {**_record(request, found), "history": history}


async def _act(request: Request, user: User, warning_id: int, action: str, note: str | None,
               file: tuple[str, bytes] | None = None) -> dict:
    engine = platform(request).engine
    done = await run_in_threadpool(call_store, fu.act, engine, warning_id, action, user=user,
                                   scope=scope(request, user), note=note, attachment=file)
    return _record(request, done)


@api.post("/{warning_id}/acknowledge", responses=ACT_ERRORS)
async def acknowledge(warning_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """签收 (the owning unit): open → acknowledged."""
    check_api_write(request)
    return await _act(request, user, warning_id, "acknowledge", None)


@api.post("/{warning_id}/action", responses=ACT_ERRORS, openapi_extra=ACTION_FORM)
async def action(warning_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """采取措施 (the owning unit, multipart: ``note``, optional ``file``) → action_taken."""
    check_api_write(request)
    fields, file = await form_with_file(request, ("note",), MAX_FILE_BYTES)
    return await _act(request, user, warning_id, "action", fields["note"], file)


@api.post("/{warning_id}/escalate", responses=ACT_ERRORS)
async def escalate(warning_id: RecordId, body: NoteRequest, request: Request,
                   user: User = Depends(current_user)) -> dict:
    """升级督办 (an analyst, with a reason) → escalated."""
    check_api_write(request)
    return await _act(request, user, warning_id, "escalate", body.note)


@api.post("/{warning_id}/close", responses=ACT_ERRORS)
async def close(warning_id: RecordId, body: NoteRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """办结 (an analyst; a reason unless an action was taken) → closed."""
    check_api_write(request)
    return await _act(request, user, warning_id, "close", body.note)


router = api
