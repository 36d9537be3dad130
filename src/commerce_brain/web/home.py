"""政企通: a signed-in enterprise's home (/home) — its awards and their states, its claims, the
policies its stored data meets and those it does not yet meet with what it lacks, its messages
(read, or say one is wrong), and the calculator prefilled with its stored data.

Only an enterprise account has a home (``confirm_own_awards``): every list is its own.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import fulfilment as f
from .. import notices as n
from ..access import User
from ..fulfilment.claims_flow import list_claims
from ..fulfilment.data import stored_inputs
from ..fulfilment.rule_edits import effective_policies
from ..policy import calculator_form as cf
from ..io.enterprise_import import PolicyData
from ..policy.matching import for_enterprise, match
from ..policy.engine import PolicyDataError, PolicyYearError
from ..store.fulfilment_tables import NotAllowed, NotFound
from .award_views import award_record, money, when
from .claims import claim_record, rule_labels
from .notices import own_inbox, refused
from .pages import render
from .params import RecordId, year_or_none
from .security import check_csrf, current_user, platform, require, scope
from .views import DEFAULT_YEAR

router = APIRouter(include_in_schema=False)
SHOWN = 100


def _matches(request: Request, user: User, year: int | None) -> dict:
    """The enterprise's stored data matched against every rule (``policy.matching``): the year,
    the rules met with the engine's amount, those nearly met and those not met, each with what
    it lacks, and the calculator's prefilled fields."""
    engine = platform(request).engine
    inputs = stored_inputs(engine, user.uscc)
    if inputs is None:
        return {"stored": False, "year": year or DEFAULT_YEAR}
    years = [fact["year"] for fact in inputs.facts]
    year = year or (max(years) if years else DEFAULT_YEAR)
    policies = effective_policies(engine)
    found = {"stored": True, "year": year, "calculator": cf.form_values(inputs, year, policies)}
    try:
        rows = for_enterprise(match(policies, PolicyData(*inputs.without_reviewer_fields().frames()), year=year,
                                    catalog=platform(request).catalog), user.uscc)
    except (PolicyYearError, PolicyDataError) as exc:
        return {**found, "problem": str(exc)}
    articles = {r.id: r.article_label for r in policies.rules()}
    shown = [{**r, "article_label": articles.get(r["rule_id"], ""), "gaps_text": "；".join(r["gaps"] or [])}
             for r in rows.iter_rows(named=True)]
    met = [r for r in shown if r["met"]]
    return {**found, "met": met, "total_fen": sum(r["amount_fen"] or 0 for r in met),
            "near": [r for r in shown if not r["met"] and r["near"]],
            "missed": [r for r in shown if not r["met"] and not r["near"]]}


def home_response(request: Request, user: User, *, year: int | None = None, error: str | None = None,
                  status: int = 200) -> HTMLResponse:
    """The enterprise's home page."""
    require(user, "confirm_own_awards")
    engine = platform(request).engine
    visible = scope(request, user)
    awards = f.list_awards(engine, scope=visible, limit=SHOWN)
    claims = list_claims(engine, scope=visible, limit=SHOWN)
    labels = rule_labels(request)
    context = {
        "user": user, "error": error, "money": money, "when": when,
        "awards": [award_record(a, request) for a in awards.iter_rows(named=True)],
        "claims": [claim_record(c, request, labels) for c in claims.iter_rows(named=True)],
        "messages": own_inbox(request, user), "matches": _matches(request, user, year),
    }
    context["unread"] = sum(not m["read"] for m in context["messages"])
    return HTMLResponse(render(request, "enterprise_home.html", context), status_code=status)


@router.get("/home", response_class=HTMLResponse)
def home_page(request: Request, year: str | None = None, user: User = Depends(current_user)) -> HTMLResponse:
    return home_response(request, user, year=year_or_none(year))


def _act(request: Request, user: User, csrf: str, action) -> Response:
    check_csrf(request, csrf)
    try:
        action()
    except (NotFound, NotAllowed) as exc:
        raise refused(exc) from None
    except n.NOTICE_ERRORS as exc:
        return home_response(request, user, error=str(exc), status=refused(exc).status_code)
    return RedirectResponse("/home#messages", status_code=303)


@router.post("/home/notices/{notice_id}/read")
def read_form(request: Request, notice_id: RecordId, csrf: str = Form(""), user: User = Depends(current_user)):
    return _act(request, user, csrf, lambda: n.mark_read(platform(request).engine, notice_id, user=user))


@router.post("/home/notices/{notice_id}/dispute")
def dispute_form(request: Request, notice_id: RecordId, reason: str = Form(""), csrf: str = Form(""),
                 user: User = Depends(current_user)):
    return _act(request, user, csrf, lambda: n.dispute(platform(request).engine, notice_id, reason, actor=user))
