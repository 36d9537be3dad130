"""评审核定 on the web: the policy officer enters the reviewers' figure of a 最高… award.

The form on the award page (``POST /awards/{id}/assess``) and the API
(``POST /api/v1/awards/{id}/assessment``) take the same multipart fields — ``amount`` in 元
(to the fen, read exactly), ``reason`` and an optional ``file`` (专家评审意见) — and call
``fulfilment.assessments.assess``; the file is downloaded from ``/awards/{id}/assessment/file``
by whoever may see the award (404 otherwise, as for a missing one).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..access import User
from ..policy.calculator_form import FieldError, parse_money
from ..fulfilment import assessments as a
from .. import fulfilment as f
from ..fulfilment.claims_flow import MAX_FILE_BYTES
from .award_views import REFUSALS, award_record, status_of
from .awards import award_page_response
from .awards_api import call_store, check_api_write
from .claims import file_download
from .errors import responses
from .params import RecordId
from .security import Forbidden, check_csrf, current_user, platform, require, scope
from .upload_files import form_with_file

router = APIRouter()
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/awards", tags=["政策兑现 awards"])
ASSESSMENT_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["amount", "reason"],
    "properties": {
        "amount": {"type": "string", "description": "核定金额 the assessed amount in 元 (to the fen; 1,234.56 or 12.5万)"},
        "reason": {"type": "string", "maxLength": 500, "description": "评审意见 the review's reason"},
        "file": {"type": "string", "format": "binary",
                 "description": "专家评审意见 (optional; PDF, OFD, JPG/PNG, Word, Excel, ZIP; ≤ 10 MB)"},
    }}}}}}


async def _posted(request: Request) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """The form's fields and its file (see ``form_with_file``)."""
    return await form_with_file(request, ("csrf", "amount", "reason"), MAX_FILE_BYTES)


def _amount_fen(text: str) -> int:
    """The 元 the officer typed as fen, exactly (commas and 万 allowed, at most two decimals)."""
    try:
        fen = parse_money(text)
    except FieldError as exc:
        raise a.AssessmentRefused(f"核定金额{exc}") from None
    if fen is None:
        raise a.AssessmentRefused("请填写核定金额（元）"
)
    return fen


def _assess(engine, user: User, award_id: int, fields: dict[str, str], file: tuple[str, bytes] | None) -> dict:
    require(user, "review_awards")
    return a.assess(engine, award_id, user=user, amount_fen=_amount_fen(fields["amount"]), reason=fields["reason"],
                    attachment=file)


@pages.post("/awards/{award_id}/assess")
async def assess_form(request: Request, award_id: RecordId, user: User = Depends(current_user)):
    fields, file = await _posted(request)
    check_csrf(request, fields["csrf"])
    try:
        await run_in_threadpool(_assess, platform(request).engine, user, award_id, fields, file)
    except f.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except f.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except REFUSALS as exc:
        return award_page_response(request, user, award_id, error=str(exc), status=status_of(exc))
    return RedirectResponse(f"/awards/{award_id}#assessment", status_code=303)


@pages.get("/awards/{award_id}/assessment/file")
def assessment_file(request: Request, award_id: RecordId, user: User = Depends(current_user)) -> Response:
    require(user, "view_policies")
    try:
        found = a.assessment_file(platform(request).engine, award_id, scope=scope(request, user))
    except f.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return file_download(found)


@api.post("/{award_id}/assessment", responses=responses(400, 404, 409), openapi_extra=ASSESSMENT_FORM)
async def assess_api(award_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """评审核定 (policy officer, multipart: ``amount`` in 元, ``reason``, optional ``file``): the
    award's amount becomes the assessed figure and it may then be approved."""
    check_api_write(request)
    fields, file = await _posted(request)
    engine = platform(request).engine
    assessment = await run_in_threadpool(call_store, _assess, engine, user, award_id, fields, file)
    award = f.get_award(engine, award_id, scope=scope(request, user))
    return {**award_record(award, request), "assessment": assessment}


router.include_router(api)
router.include_router(pages)
