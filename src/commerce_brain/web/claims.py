"""企业申报 on the web: an enterprise files a claim with its evidence; reviewers read it.

Pages (/claims…) and the JSON API (/api/v1/claims…) call ``fulfilment.claims_flow``, which checks the
enterprise's own USCC, the rule, the attachments and the award keys; the web layer adds the
session, the CSRF token, the role (``file_claims`` to file, ``view_policies`` to read) and the
HTTP status of each refusal. A claim out of the reader's scope is 404, as if it did not exist.

The 政策计算器 posts ``rule``, ``year``, ``inputs`` (EnterpriseInputs JSON) and ``csrf`` to
``/claims/new`` from its 申报此项 button: without files or a statement that is not a refusal but
the claim form, prefilled, for the enterprise to add its statement and files.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..access import User, can
from ..policy.payer import CITY
from ..policy.inputs import EnterpriseInputs, InputError
from ..fulfilment import claims_flow as cf
from .. import fulfilment as f
from ..store.claims import CLAIM_STATE_ZH
from ..fulfilment.data import stored_inputs
from ..fulfilment.rule_edits import effective_policies
from .award_views import REFUSALS, money, status_of, when
from .awards_api import call_store, check_api_write
from .pages import render
from .params import RecordId, year_or_none
from .errors import responses
from .security import Forbidden, check_csrf, current_user, platform, require, scope
from .views import DEFAULT_YEAR

router = APIRouter()
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/claims", tags=["企业申报 claims"])
PAGE_LIMIT = 500
# The claim's multipart form, declared for the OpenAPI document (the route reads the form itself:
# the files are read with a size limit, not through FastAPI's parameters).
CLAIM_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["rule", "year"],
    "properties": {
        "rule": {"type": "string", "description": "规则编号 the rule claimed (GET /api/v1/rules)"},
        "year": {"type": "string", "pattern": "^[0-9]{4}$", "description": "申报年度 the award year (four digits)"},
        "statement": {"type": "string", "maxLength": cf.MAX_STATEMENT, "description": "申报说明 the statement"},
        "inputs": {"type": "string", "description": "EnterpriseInputs JSON; empty: the stored data"},
        "csrf": {"type": "string", "description": "a browser session's CSRF token (not with a bearer token)"},
        "files": {"type": "array", "maxItems": cf.MAX_FILES,
                  "items": {"type": "string", "format": "binary"},
                  "description": "证明材料 1–5 files (PDF, OFD, JPG/PNG, Word, Excel, ZIP; ≤ 10 MB each)"},
    }}}}}}
NO_DATA = ("系统中尚无贵企业的数据，请先在“政策计算器”中填写经营数据和事件，计算后点击“申报此项” "
           "no stored data for your enterprise: use the policy calculator first")


# ---- what pages and API share -----------------------------------------------------------------

def rule_labels(request: Request) -> dict[str, str]:
    """Rule id → 第N条 name, in catalog order (the rules every evaluation uses)."""
    return {r.id: f"第{r.article}条 {r.name_zh}" for r in effective_policies(platform(request).engine).rules()}


def claim_record(claim: dict, request: Request, labels: dict[str, str]) -> dict:
    names = platform(request).catalog.org_unit_names()
    record = {k: v for k, v in claim.items() if k not in ("inputs", "content")}
    record.update(rule_label=labels.get(claim["rule"], claim["rule"]),
                  org_unit_name=names.get(claim["org_unit"], claim["org_unit"]) or "（待核实）",
                  state_zh=CLAIM_STATE_ZH.get(claim.get("state"), ""))
    if "amount_fen" in claim:
        record["amount_yuan"] = money(claim["amount_fen"]).replace(",", "")
    if "states" in claim:
        record["states_zh"] = [f.STATE_ZH[s] for s in claim["states"] or []]
    for award in record.get("awards", []):
        award.update(state_zh=f.STATE_ZH[award["state"]], amount_yuan=money(award["amount_fen"]).replace(",", ""))
    return record


def _inputs(request: Request, user: User, text: str) -> EnterpriseInputs | None:
    """The posted inputs, or the enterprise's stored data when none were posted (None if neither).
    InputError for unreadable inputs; Forbidden for another enterprise's."""
    if text.strip():
        inputs = EnterpriseInputs.from_json(text)
    else:
        inputs = stored_inputs(platform(request).engine, user.uscc or "")
    if inputs is not None and inputs.uscc != user.uscc:
        raise Forbidden("只能为本企业申报")
    return inputs


async def _posted(request: Request) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    """The form's text fields and its chosen files as (name, type, bytes); an empty file input
    sends a nameless part, which is no file. Each file is read to one byte past the limit:
    enough for the store to refuse it, without holding a huge upload in memory."""
    async with request.form(max_files=4 * cf.MAX_FILES, max_fields=50) as form:
        fields = {k: str(form.get(k) or "") for k in ("csrf", "rule", "year", "statement", "inputs")}
        files = [(u.filename, u.content_type or "", await u.read(cf.MAX_FILE_BYTES + 1))
                 for u in form.getlist("files") if isinstance(u, UploadFile) and u.filename]
    return fields, files


async def _file(request: Request, user: User, fields: dict[str, str], inputs: EnterpriseInputs,
                files: list[tuple[str, str, bytes]]) -> cf.FiledClaim:
    year = year_or_none(fields["year"])
    if year is None:
        raise cf.ClaimRefused("请填写申报年度（四位数字）"
)
    return await run_in_threadpool(cf.file_claim, platform(request).engine, user=user, rule=fields["rule"],
                                   year=year, inputs=inputs, statement=fields["statement"], attachments=files)


# ---- pages ------------------------------------------------------------------------------------

@pages.get("/claims", response_class=HTMLResponse)
def claims_page(request: Request, user: User = Depends(current_user)) -> str:
    require(user, "view_policies")
    labels = rule_labels(request)
    frame = cf.list_claims(platform(request).engine, scope=scope(request, user), limit=PAGE_LIMIT + 1)
    rows = [claim_record(c, request, labels) for c in frame.head(PAGE_LIMIT).iter_rows(named=True)]
    return render(request, "claims.html", {"user": user, "rows": rows, "more": frame.height > PAGE_LIMIT,
                                           "limit": PAGE_LIMIT, "money": money, "when": when,
                                           "can_file": user.role == "enterprise" and bool(user.uscc)})


def _new_page(request: Request, user: User, *, inputs: EnterpriseInputs | None, fields: dict[str, str],
              error: str | None = None, status: int = 200) -> HTMLResponse:
    names = platform(request).catalog.org_unit_names()
    context = {
        "user": user, "error": error, "inputs": inputs, "inputs_json": inputs.to_json() if inputs else "",
        "rules": rule_labels(request), "rule": fields.get("rule", ""), "year": fields.get("year") or DEFAULT_YEAR,
        "statement": fields.get("statement", ""),
        "org_unit_name": names.get(inputs.enterprise.get("org_unit"), "") if inputs else "", "money": money,
        "max_files": cf.MAX_FILES, "max_statement": cf.MAX_STATEMENT, "accept": ",".join(cf.CONTENT_TYPES),
        "no_data": NO_DATA if inputs is None and error is None else None,
    }
    return HTMLResponse(render(request, "claim_new.html", context), status_code=status)


@pages.get("/claims/new", response_class=HTMLResponse)
def new_claim_page(request: Request, rule: str = "", year: str = "", user: User = Depends(current_user)):
    require(user, "file_claims")
    inputs = stored_inputs(platform(request).engine, user.uscc or "")
    return _new_page(request, user, inputs=inputs, fields={"rule": rule, "year": year})


@pages.post("/claims/new", response_class=HTMLResponse)
async def new_claim_form(request: Request, user: User = Depends(current_user)):
    fields, files = await _posted(request)
    check_csrf(request, fields["csrf"])
    require(user, "file_claims")
    try:
        inputs = _inputs(request, user, fields["inputs"])
    except InputError as exc:
        return _new_page(request, user, inputs=None, fields=fields, error=str(exc), status=422)
    if inputs is None:
        return _new_page(request, user, inputs=None, fields=fields, error=NO_DATA, status=400)
    if not files and not fields["statement"].strip():
        return _new_page(request, user, inputs=inputs, fields=fields)  # from the calculator: fill in the rest
    try:
        filed = await _file(request, user, fields, inputs, files)
    except f.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except REFUSALS as exc:
        return _new_page(request, user, inputs=inputs, fields=fields, error=str(exc), status=status_of(exc))
    return RedirectResponse(f"/claims/{filed.claim_id}", status_code=303)


def _claim(request: Request, user: User, claim_id: int) -> dict:
    require(user, "view_policies")
    try:
        return cf.get_claim(platform(request).engine, claim_id, scope=scope(request, user))
    except f.NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@pages.get("/claims/attachments/{attachment_id}")
def attachment_download(request: Request, attachment_id: RecordId, user: User = Depends(current_user)) -> Response:
    require(user, "view_policies")
    try:
        found = cf.get_attachment(platform(request).engine, attachment_id, scope=scope(request, user))
    except f.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return file_download(found)


def file_download(found: dict) -> Response:
    """A stored evidence file (``filename``, ``content_type``, ``content``) as a download: always
    an attachment with nosniff, never rendered in the platform's origin, whatever the bytes are."""
    media_type = found["content_type"] if found["content_type"] in cf.CONTENT_TYPES.values() else "application/octet-stream"
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in found["filename"])
    return Response(found["content"], media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(found['filename'])}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@pages.get("/claims/{claim_id}", response_class=HTMLResponse)
def claim_page(request: Request, claim_id: RecordId, user: User = Depends(current_user)) -> str:
    claim = _claim(request, user, claim_id)
    return _claim_page(request, user, claim, _stored_inputs_of(claim))


def _claim_page(request: Request, user: User, claim: dict, inputs: EnterpriseInputs | None, *,
                error: str | None = None, status: int = 200) -> HTMLResponse:
    registers = claim["state"] == "pending" and can(user, "review_awards")
    catalog = platform(request).catalog
    city = catalog.subtree(CITY) if registers else set()
    org_units = {code: name for code, name in catalog.org_unit_names().items() if code in city}
    return HTMLResponse(render(request, "claim.html", {
        "user": user, "claim": claim_record(claim, request, rule_labels(request)), "inputs": inputs,
        "money": money, "when": when, "error": error,
        "can_register": registers, "org_units": org_units}), status_code=status)


def _stored_inputs_of(claim: dict) -> EnterpriseInputs | None:
    try:
        return EnterpriseInputs.from_json(claim["inputs"])
    except InputError:  # a claim is stored only with readable inputs; shown without them if not
        return None


@pages.post("/claims/{claim_id}/register", response_class=HTMLResponse)
def register_form(request: Request, claim_id: RecordId, name: str = Form(""), org_unit: str = Form(""),
                  csrf: str = Form(""), user: User = Depends(current_user)):
    """登记企业 for a 待核实 claim (policy officer): the name and org unit the officer enters."""
    check_csrf(request, csrf)
    require(user, "review_awards")
    claim = _claim(request, user, claim_id)
    try:
        cf.register_enterprise(platform(request).engine, claim_id, user=user, name=name, org_unit=org_unit)
    except f.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except REFUSALS as exc:
        return _claim_page(request, user, claim, _stored_inputs_of(claim), error=str(exc), status=status_of(exc))
    return RedirectResponse(f"/claims/{claim_id}", status_code=303)


# ---- JSON API ---------------------------------------------------------------------------------

@api.get("")
def claims_api(request: Request, user: User = Depends(current_user)) -> list[dict]:
    """The claims the user may see (an enterprise its own, a county its subtree), newest first."""
    require(user, "view_policies")
    labels = rule_labels(request)
    frame = cf.list_claims(platform(request).engine, scope=scope(request, user))
    return [claim_record(c, request, labels) for c in frame.iter_rows(named=True)]


@api.get("/{claim_id}", responses=responses(404))
def claim_api(claim_id: RecordId, request: Request, user: User = Depends(current_user)) -> dict:
    """One claim: its statement, the inputs it was evaluated on, its attachments and awards."""
    claim = _claim(request, user, claim_id)
    record = claim_record(claim, request, rule_labels(request))
    record["inputs"] = json.loads(claim["inputs"])
    for attachment in record["attachments"]:
        attachment["url"] = f"/claims/attachments/{attachment['id']}"
    return record


@api.post("", status_code=201, responses=responses(400, 404, 409, 413), openapi_extra=CLAIM_FORM)
async def file_claim_api(request: Request, user: User = Depends(current_user)):
    """File a claim (enterprise, multipart: rule, year, statement, inputs, files); 201 with the claim.
    Without ``inputs`` the enterprise's stored data is used."""
    fields, files = await _posted(request)
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        check_csrf(request, request.headers.get("x-csrf-token") or fields["csrf"])
    require(user, "file_claims")
    try:
        inputs = _inputs(request, user, fields["inputs"])
        if inputs is None:
            raise HTTPException(409, NO_DATA)
        filed = await _file(request, user, fields, inputs, files)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    except f.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except REFUSALS as exc:
        raise HTTPException(status_of(exc), str(exc)) from None
    return JSONResponse(jsonable_encoder(claim_api(filed.claim_id, request, user)), status_code=201)


class RegisterRequest(BaseModel):
    """登记企业: the enterprise's name and org unit as the officer entered them."""

    model_config = ConfigDict(extra="forbid")
    name: str
    org_unit: str


@api.post("/{claim_id}/register", responses=responses(400, 404, 409))
def register_api(claim_id: RecordId, body: RegisterRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """登记企业 for a 待核实 claim (policy officer): the enterprise enters the registry with the
    officer's name and org unit, and the claim is evaluated on it (its awards start confirmed)."""
    check_api_write(request)
    require(user, "review_awards")
    _claim(request, user, claim_id)
    call_store(cf.register_enterprise, platform(request).engine, claim_id, user=user, name=body.name,
               org_unit=body.org_unit)
    return claim_api(claim_id, request, user)


router.include_router(api)
router.include_router(pages)
