"""The policy library (政策工具箱) on the web: search with filters and highlights (and, for a
signed-in enterprise, whether it qualifies for each article's rules), a document's full text by
article, and the policy officer's page to add a document.

Every role that may view policies may read the library (it is public policy); only a holder of
``edit_rules`` (the policy officer) adds a document, audited ``library.add``. A missing document
answers 404, the same for everyone.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from .. import library_board as lb
from ..access import User, can
from ..catalog import CatalogError
from ..library.catalog import packaged_library
from ..library.text_split import clean_lines, split_articles, split_preamble
from ..library_match import enterprise_verdicts
from ..render import money
from ..store.fulfilment_tables import NotFound
from .awards_api import call_store, check_api_write
from .errors import responses
from .pages import render
from .security import check_csrf, current_user, platform, require

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/library", tags=["政策工具箱 library"])
router = APIRouter()

MAX_TEXT_CHARS = 200_000  # a policy document is a few thousand characters; this bounds the form
MAX_ARTICLES = 500
ID_PATTERN = r"^[a-z][a-z0-9_]{2,60}$"
PAGE_SIZE = 20
FORM_FIELDS = ("id", "title", "doc_number", "issuer", "issued", "valid_from", "valid_until", "superseded_by")
LIST_FIELDS = ("departments", "industries", "enterprise_kinds", "regions")


class NewDocument(BaseModel):
    """A new document: its metadata and its full text (split into articles at 1．2．…)."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=500)
    doc_number: str | None = Field(default=None, max_length=100)
    issuer: str = Field(min_length=1, max_length=200)
    issued: date | None = None
    valid_from: date
    valid_until: date | None = None
    superseded_by: str | None = Field(default=None, max_length=100)
    departments: list[str] = Field(default=[], max_length=50)
    industries: list[str] = Field(default=[], max_length=50)
    enterprise_kinds: list[str] = Field(default=[], max_length=50)
    regions: list[str] = Field(default=[], max_length=50)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


def build_new_document(fields: dict, text: str):
    """The officer's document from the fields and the pasted text, or CatalogError saying why."""
    preamble, body = split_preamble(clean_lines(text))
    articles = split_articles(body)
    if len(articles) > MAX_ARTICLES:
        raise CatalogError(f"正文条款过多（最多 {MAX_ARTICLES} 条）")
    return lb.document_from_form({**fields, "preamble": preamble}, articles)


def _filters(department, industry, region, kind, in_force) -> lb.SearchFilters:
    return lb.SearchFilters(department=department or None, industry=industry or None, region=region or None,
                            kind=kind or None, in_force=bool(in_force))


def _verdicts(request: Request, user: User) -> dict[str, dict]:
    """For an enterprise user: its verdict per rule; for everyone else nothing."""
    if user.role != "enterprise" or not user.uscc:
        return {}
    return enterprise_verdicts(platform(request).engine, user.uscc)


# ---- pages ------------------------------------------------------------------------------------

@pages.get("/library", response_class=HTMLResponse)
def library_page(request: Request, q: str = Query("", max_length=200), department: str = "", industry: str = "",
                 region: str = "", kind: str = "", in_force: str = "", page: int = Query(1, ge=1, le=1000),
                 user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "view_policies")
    engine = platform(request).engine
    filters = _filters(department, industry, region, kind, in_force)
    results = lb.search(engine, q, filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE) if q.strip() else None
    library = packaged_library()
    context = {
        "user": user, "q": q, "filters": filters, "results": results, "page": page, "page_size": PAGE_SIZE,
        "vocabulary": library.vocabulary, "unit_names": platform(request).catalog.org_unit_names(),
        "documents": lb.list_documents(engine), "verdicts": _verdicts(request, user) if results else {},
        "money": money, "can_add": can(user, "edit_rules"),
    }
    return HTMLResponse(render(request, "library.html", context))


def _new_page(request: Request, user: User, *, error: str | None = None, form: dict | None = None,
              status: int = 200) -> HTMLResponse:
    library = packaged_library()
    context = {"user": user, "error": error, "form": form or {}, "vocabulary": library.vocabulary,
               "unit_names": platform(request).catalog.org_unit_names()}
    return HTMLResponse(render(request, "library_new.html", context), status_code=status)


@pages.get("/library/new", response_class=HTMLResponse)
def new_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "edit_rules")
    return _new_page(request, user)


@pages.post("/library/new")
async def new_form(request: Request, user: User = Depends(current_user)):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    require(user, "edit_rules")
    fields = {k: str(form.get(k) or "").strip() for k in FORM_FIELDS}
    lists = {k: [str(v) for v in form.getlist(k)][:50] for k in LIST_FIELDS}
    text = str(form.get("text") or "")
    shown = {**fields, **lists, "text": text}
    if len(text) > MAX_TEXT_CHARS:
        return _new_page(request, user, error=f"正文过长（最多 {MAX_TEXT_CHARS:,} 字）", form=shown, status=400)
    if not re.match(ID_PATTERN, fields["id"]):
        return _new_page(request, user, error="编号只能用小写字母、数字和下划线，以字母开头（3–61 个字符）",
                         form=shown, status=400)
    try:
        document = build_new_document({**fields, **lists}, text)
        call_store(lb.add_document, platform(request).engine, document, actor=user)
    except (CatalogError, HTTPException) as exc:
        return _new_page(request, user, error=getattr(exc, "detail", None) or str(exc), form=shown, status=400)
    return RedirectResponse(f"/library/{fields['id']}", status_code=303)


@pages.get("/library/{policy_id}", response_class=HTMLResponse)
def document_page(request: Request, policy_id: str, user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "view_policies")
    try:
        document = lb.show_document(platform(request).engine, policy_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    context = {"user": user, "doc": document, "verdicts": _verdicts(request, user), "money": money,
               "unit_names": platform(request).catalog.org_unit_names()}
    return HTMLResponse(render(request, "library_document.html", context))


# ---- JSON API ---------------------------------------------------------------------------------

@api.get("/search")
def search(request: Request, q: str = Query(..., max_length=200), department: str | None = None,
           industry: str | None = None, region: str | None = None, kind: str | None = None, in_force: bool = False,
           limit: int = Query(PAGE_SIZE, ge=1, le=lb.MAX_LIMIT), offset: int = Query(0, ge=0, le=100_000),
           user: User = Depends(current_user)) -> dict:
    """Articles matching ``q`` (Chinese segmented, synonyms widened), filtered, best first; each
    with its highlighted snippet (escaped HTML, <mark>), its rules and, for an enterprise, whether
    it qualifies for each."""
    require(user, "view_policies")
    results = lb.search(platform(request).engine, q, filters=_filters(department, industry, region, kind, in_force),
                        limit=limit, offset=offset)
    verdicts = _verdicts(request, user) if results.rows else {}
    rows = [{**asdict(r), "rules": [{**rule, **({"match": verdicts[rule["id"]]} if rule["id"] in verdicts else {})}
                                    for rule in r.rules]} for r in results.rows]
    return {"query": results.query, "words": list(results.words), "total": results.total, "rows": rows}


@api.get("/{policy_id}", responses=responses(404))
def document(request: Request, policy_id: str, user: User = Depends(current_user)) -> dict:
    """A document: metadata, validity (in force or not) and its full text by article, with the rules."""
    require(user, "view_policies")
    try:
        return lb.show_document(platform(request).engine, policy_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@api.post("", responses=responses(400))
def add(body: NewDocument, request: Request, user: User = Depends(current_user)) -> dict:
    """Add a document (policy officer; audited ``library.add``): its text is split into articles
    at the numbered lines (1．… 2．…) under the section headings (一、…)."""
    check_api_write(request)
    require(user, "edit_rules")
    fields = body.model_dump(exclude={"text"})
    try:
        document = build_new_document(fields, body.text)
    except CatalogError as exc:
        raise HTTPException(400, str(exc)) from None
    version = call_store(lb.add_document, platform(request).engine, document, actor=user)
    return {"id": document.id, "version": version, "articles": len(document.articles)}


router.include_router(api)
router.include_router(pages)
