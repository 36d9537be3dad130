"""政策规则 on the web: every rule as it now stands, its history, and the policy officer's edits.

Pages (/rules, /rules/{id}) and the JSON API (/api/v1/rules…) read the effective catalog
(``fulfilment.rule_edits``); every role that may view policies may read the rules (they are public
policy), and only a holder of ``edit_rules`` (the policy officer) may change one. The store
checks the role itself; the web layer adds the session, the CSRF token and the HTTP status.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from ..access import User, can
from ..policy.explain import in_words
from ..policy.model import PAYEE_ZH, SCOPE_ZH, PolicyCatalog, Rule
from .. import fulfilment as f
from ..fulfilment import rule_edits as edits
from .award_views import REFUSALS, status_of, when
from .awards_api import call_store, check_api_write
from .pages import render
from .params import ID_MAX, VersionField
from .errors import responses
from .security import Forbidden, check_csrf, current_user, platform, require

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/rules", tags=["政策规则 rules"])
router = APIRouter()


class EditRequest(BaseModel):
    definition: str
    reason: str
    expected_version: VersionField


def rule_record(rule: Rule, state: edits.RuleState, policies: PolicyCatalog) -> dict:
    """A rule as pages and the API show it: article, formula, cap, years, and its version."""
    return {
        "citation": policies.place(rule),
        # The same in words, for pages: Chinese names for triggers, codes and variables.
        "trigger_zh": "、".join(policies.names.kind(k) for k in rule.on),
        "when_zh": in_words(rule.when.text, policies) if rule.when else None,
        "amount_zh": in_words(rule.amount_text, policies),
        "cap_zh": in_words(rule.cap.text, policies) if rule.cap else None,
        "id": rule.id, "policy": rule.policy, "name_zh": rule.name_zh, "article": rule.article,
        "clause": rule.clause, "article_label": rule.article_label, "quote": rule.quote, "trigger": list(rule.on),
        "scope": rule.scope, "scope_zh": SCOPE_ZH[rule.scope], "payee": rule.payee, "payee_zh": PAYEE_ZH[rule.payee],
        "when": rule.when.text if rule.when else None, "amount": rule.amount_text,
        "cap": rule.cap.text if rule.cap else None, "cap_per": rule.cap_per,
        "first_year": rule.first_year, "last_year": rule.last_year, "note": rule.note,
        "version": state.version, "edited": state.edited, "definition": state.definition,
    }


def _rules(request: Request) -> list[dict]:
    engine = platform(request).engine
    states = edits.rule_states(engine)
    policies = edits.effective_policies(engine)
    return [rule_record(r, states[r.id], policies) for r in policies.rules()]


def _rule(request: Request, rule_id: str) -> dict:
    engine = platform(request).engine
    try:
        state = edits.rule_state(engine, rule_id)
    except f.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    policies = edits.effective_policies(engine)
    return rule_record(policies.rule(rule_id), state, policies)


def _history(request: Request, rule_id: str) -> list[dict]:
    return [{k: v for k, v in h.items() if k != "id"} for h in edits.rule_history(platform(request).engine, rule_id)]


# ---- pages ------------------------------------------------------------------------------------

@pages.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "view_policies")
    policies = edits.effective_policies(platform(request).engine).policies
    titles = {p.id: p.title for p in policies}
    not_computed = {p.id: p.not_computed for p in policies}
    return HTMLResponse(render(request, "rules.html", {"user": user, "rules": _rules(request), "titles": titles,
                                                       "not_computed": not_computed}))


def _rule_page(request: Request, user: User, rule_id: str, *, error: str | None = None, text: str | None = None,
               reason: str = "", status: int = 200) -> HTMLResponse:
    require(user, "view_policies")
    rule = _rule(request, rule_id)
    context = {"user": user, "rule": rule, "history": _history(request, rule_id), "when": when, "error": error,
               "can_edit": can(user, "edit_rules"), "text": rule["definition"] if text is None else text,
               "reason": reason}
    return HTMLResponse(render(request, "rule.html", context), status_code=status)


@pages.get("/rules/{rule_id}", response_class=HTMLResponse)
def rule_page(request: Request, rule_id: str, user: User = Depends(current_user)) -> HTMLResponse:
    return _rule_page(request, user, rule_id)


def _change(request: Request, user: User, rule_id: str, csrf: str, save, *, text: str | None, reason: str):
    """Run ``save(engine)`` for the officer; a refusal re-shows the page with the reason."""
    check_csrf(request, csrf)
    require(user, "edit_rules")
    try:
        save(platform(request).engine)
    except f.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except f.NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except REFUSALS as exc:
        # The officer's text stays in the form, so a typo costs a correction, not the edit.
        return _rule_page(request, user, rule_id, error=str(exc), text=text, reason=reason, status=status_of(exc))
    return RedirectResponse(f"/rules/{rule_id}", status_code=303)


@pages.post("/rules/{rule_id}")
def edit_form(request: Request, rule_id: str, definition: str = Form(""), reason: str = Form(""),
              expected_version: int = Form(..., ge=0, le=ID_MAX), csrf: str = Form(""), user: User = Depends(current_user)):
    return _change(request, user, rule_id, csrf,
                   lambda engine: edits.edit_rule(engine, rule_id, definition, reason=reason, user=user,
                                                  expected_version=expected_version),
                   text=definition, reason=reason)


@pages.post("/rules/{rule_id}/revert")
def revert_form(request: Request, rule_id: str, reason: str = Form(""), expected_version: int = Form(..., ge=0, le=ID_MAX),
                csrf: str = Form(""), user: User = Depends(current_user)):
    return _change(request, user, rule_id, csrf,
                   lambda engine: edits.revert_rule(engine, rule_id, reason=reason, user=user,
                                                    expected_version=expected_version),
                   text=None, reason=reason)


# ---- JSON API ---------------------------------------------------------------------------------

@api.get("")
def rules(request: Request, user: User = Depends(current_user)) -> list[dict]:
    """Every rule as it now stands (edits applied), with its version (0 = as packaged)."""
    require(user, "view_policies")
    return _rules(request)


@api.get("/{rule_id}", responses=responses(404))
def rule(request: Request, rule_id: str, user: User = Depends(current_user)) -> dict:
    """One rule as it now stands, with its stored versions (newest first; who, when, why, diff)."""
    require(user, "view_policies")
    return {**_rule(request, rule_id), "versions": _history(request, rule_id)}


@api.put("/{rule_id}", responses=responses(400, 404, 409))
def edit(body: EditRequest, request: Request, rule_id: str, user: User = Depends(current_user)) -> dict:
    """Save an edited definition as the rule's next version (policy officer); 409 when someone
    else saved first (``expected_version`` is the version the editor saw), 400 when refused."""
    check_api_write(request)
    version = call_store(edits.edit_rule, platform(request).engine, rule_id, body.definition, reason=body.reason,
                    user=user, expected_version=body.expected_version)
    return {**_rule(request, rule_id), "version": version}


router.include_router(api)
router.include_router(pages)
