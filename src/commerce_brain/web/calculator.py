"""政策计算器: an enterprise (or an officer for it) enters figures and events and sees every award
it qualifies for, the article quoted and the amount, and why each other rule gives nothing.

Nothing is stored: the page (/calculator) and the API (/api/v1/calculator) evaluate
``policy.checkup`` on the entered ``EnterpriseInputs`` with the effective rules. Who may
calculate for whom follows the data scopes: an enterprise only for itself, a county analyst
only for enterprises of its county (stored ones by their stored org unit, entered ones by the
org unit entered).
"""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from ..access import Scope, User, can
from ..policy.fact_registry import FACTS as REGISTRY
from ..policy import calculator_form as cf
from ..policy.checkup import Checkup, checkup
from ..policy.engine import PolicyDataError, PolicyYearError
from ..policy.inputs import EnterpriseInputs, InputError
from ..policy.model import PAYEE_ZH
from ..policy.payer import CITY, treasury_name
from ..policy.vocabulary import CHOICE_ZH, UnknownValues, Vocabulary
from ..fulfilment.data import stored_inputs
from ..fulfilment.rule_edits import effective_policies
from .award_views import BEIJING, money
from .awards_api import check_api_write
from .pages import render
from .params import YearField
from .errors import responses
from .security import Forbidden, check_csrf, current_user, platform, require, scope
from .views import DEFAULT_YEAR

router = APIRouter()
BLANK_ROWS = 5
NOT_YOURS = "无权为该企业测算：该企业不在您的权限范围内"


# ---- who may calculate for whom ---------------------------------------------------------------

def _org_units(request: Request, visible: Scope) -> dict[str, str]:
    """The Quzhou org units an enterprise may be entered in, limited to the user's scope."""
    catalog = platform(request).catalog
    names = catalog.org_unit_names()
    return {code: names[code] for code in sorted(catalog.subtree(CITY))
            if visible.org_units is None or code in visible.org_units}


def _check(visible: Scope, inputs: EnterpriseInputs) -> None:
    """Refuse inputs for an enterprise outside the scope (its USCC or its org unit)."""
    if visible.uscc is not None and inputs.uscc != visible.uscc:
        raise Forbidden(NOT_YOURS)
    if visible.org_units is not None and inputs.enterprise.get("org_unit") not in visible.org_units:
        raise Forbidden(NOT_YOURS)


def _stored(request: Request, visible: Scope, uscc: str) -> EnterpriseInputs | None:
    """The stored enterprise ``uscc`` if the user may see it; Forbidden (naming nothing) if not.

    None when nothing is stored under the code: 404 for those who see every enterprise, the
    same refusal as out-of-scope for scoped users (so they cannot probe which codes exist),
    except an enterprise's own code (it then starts from a blank form).
    """
    uscc = uscc.strip().upper()
    if visible.uscc is not None and uscc != visible.uscc:
        raise Forbidden(NOT_YOURS)
    inputs = stored_inputs(platform(request).engine, uscc)
    if inputs is None:
        if visible.uscc is not None:
            return None
        if visible.org_units is not None:
            raise Forbidden(NOT_YOURS)
        raise HTTPException(404, f"没有该企业的存储数据：{uscc}")
    _check(visible, inputs)
    return inputs


def vocabulary(request: Request) -> Vocabulary:
    """What kinds, levels, ratings and org units the rules in force know (the city's org units)."""
    p = platform(request)
    return Vocabulary.of(effective_policies(p.engine), p.catalog.subtree(CITY))


# ---- the calculation --------------------------------------------------------------------------

def calculate(request: Request, user: User, inputs: EnterpriseInputs, year: int) -> Checkup:
    """The checkup of the entered enterprise in award ``year`` with the effective rules. Only a
    reviewer (``review_awards``) may try reviewer figures (``assessed_award``, ``already_paid``);
    for anyone else they are dropped, so an enterprise sees a 最高… award at its cap, marked
    for review, as its claim would be."""
    p = platform(request)
    if not can(user, "review_awards"):
        inputs = inputs.without_reviewer_fields()
    enterprises, facts, events = inputs.frames()
    return checkup(inputs.uscc, enterprises, facts, events, year, policies=effective_policies(p.engine),
                   catalog=p.catalog)


def award_view(award: dict, names: dict[str, str]) -> dict:
    """One award as the page and the API show it (money as integer fen and exact 元 text)."""
    return {"rule": award["rule"], "name_zh": award["name_zh"], "article": award["article"],
            "citation": award["citation"],
            "quote": award["quote"], "subject": award["subject"], "amount_fen": award["amount_fen"],
            "amount_yuan": money(award["amount_fen"]).replace(",", ""), "explanation": award["explanation"],
            "payee": award["payee"], "payee_zh": PAYEE_ZH[award["payee"]], "payer": award["payer"],
            "payer_name": treasury_name(names, award["payer"]), "needs_review": award["needs_review"]}


def result_view(request: Request, result: Checkup, inputs: EnterpriseInputs) -> dict:
    """Awards and misses as the page and the API show them."""
    names = platform(request).catalog.org_unit_names()
    org_unit = inputs.enterprise.get("org_unit")
    return {"year": result.year, "uscc": "" if result.uscc == cf.TRIAL_USCC else result.uscc, "name": result.name,
            "org_unit": org_unit, "org_unit_name": names.get(org_unit, org_unit),
            "total_fen": result.total_fen, "total_yuan": money(result.total_fen).replace(",", ""),
            "awards": [award_view(a, names) for a in result.awards], "missed": result.missed}


# ---- page -------------------------------------------------------------------------------------

def _page(request: Request, user: User, values: dict[str, str], *, errors: list[tuple[str, str]] = (),
          message: str | None = None, result: dict | None = None, inputs_json: str | None = None,
          status: int = 200) -> HTMLResponse:
    visible = scope(request, user)
    policies = effective_policies(platform(request).engine)
    kinds = cf.event_kinds(policies)
    shown = sorted({int(r["row"]) for r in cf.event_rows(values)})
    blank = max(BLANK_ROWS - len(shown), 2)
    rows = shown + list(range((max(shown) + 1) if shown else 0, (max(shown) + 1 if shown else 0) + blank))
    context = {
        "user": user, "values": values, "errors": dict(reversed(errors)), "error_list": list(errors),
        "message": message, "result": result, "inputs_json": inputs_json, "rows": rows, "money": money,
        "kinds": {kind: policies.names.kind(kind) for kind in kinds}, "kind_fields": cf.fields_of_kinds(policies),
        "kind_articles": cf.kind_articles(policies), "choices": cf.choices(policies),
        "choice_zh": CHOICE_ZH, "org_units": _org_units(request, visible),
        "flags": [(f, policies.label(f)) for f in cf.FLAGS], "facts": REGISTRY,
        "event_fields": [(f, policies.label(f), policies.variables["events"].get(f, ("date",))[0])
                         for f in cf.EVENT_FIELDS[2:]],
        "year": _shown_year(values), "own_uscc": visible.uscc, "may_claim": can(user, "file_claims"),
        "prev": cf.PREV, "today": datetime.now(BEIJING).strftime("%Y-%m-%d"),
    }
    return HTMLResponse(render(request, "calculator.html", context), status_code=status)


def _shown_year(values: dict[str, str]) -> int:
    try:
        return cf.parse_year(values.get("year"))
    except cf.FieldError:
        return DEFAULT_YEAR


@router.get("/calculator", response_class=HTMLResponse, include_in_schema=False)
def calculator_page(request: Request, uscc: str | None = None, year: str | None = None,
                    user: User = Depends(current_user)) -> HTMLResponse:
    """The form: blank, or prefilled from a stored enterprise (an enterprise user: its own)."""
    require(user, "view_policies")
    visible = scope(request, user)
    shown = _shown_year({"year": year or ""})
    uscc = (uscc or "").strip() or visible.uscc
    values = {"year": str(shown), "uscc": visible.uscc or ""}
    if uscc:
        stored = _stored(request, visible, uscc)
        if stored is not None:
            values = cf.form_values(stored, shown, effective_policies(platform(request).engine))
    return _page(request, user, values)


@router.post("/calculator", response_class=HTMLResponse, include_in_schema=False)
async def calculator_form(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    """Evaluate the form: the result, or the form again with each problem beside its field."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.get("csrf"))
    return await run_in_threadpool(_evaluate_form, request, user, values)


def _evaluate_form(request: Request, user: User, values: dict[str, str]) -> HTMLResponse:
    require(user, "view_policies")
    visible = scope(request, user)
    if visible.uscc is not None:
        if (values.get("uscc") or "").strip().upper() not in ("", visible.uscc):
            raise Forbidden(NOT_YOURS)
        values["uscc"] = visible.uscc
    catalog = platform(request).catalog
    if visible.org_units is not None and values.get("org_unit") in catalog.subtree(CITY) - visible.org_units:
        raise Forbidden(NOT_YOURS)
    policies = effective_policies(platform(request).engine)
    parsed = cf.parse_form(values, policies=policies, org_units=_org_units(request, visible))
    if parsed.errors:
        return _page(request, user, values, errors=parsed.errors, status=422)
    _check(visible, parsed.inputs)
    try:
        result = calculate(request, user, parsed.inputs, parsed.year)
    except (PolicyYearError, PolicyDataError) as exc:
        return _page(request, user, values, message=str(exc), status=400)
    return _page(request, user, values, result=result_view(request, result, parsed.inputs),
                 inputs_json=parsed.inputs.to_json())


# ---- API --------------------------------------------------------------------------------------

class CalculatorRequest(BaseModel):
    """Either ``inputs`` (an ``EnterpriseInputs`` JSON object) or ``uscc`` of a stored enterprise."""

    model_config = ConfigDict(extra="forbid")
    year: YearField
    inputs: dict | None = None
    uscc: str | None = None


@router.post("/api/v1/calculator", tags=["政策计算器 calculator"], responses=responses(400, 404))
def calculator_api(body: CalculatorRequest, request: Request, user: User = Depends(current_user)) -> dict:
    """The awards and misses of the given (or stored) enterprise in ``year``; nothing is stored."""
    check_api_write(request)
    require(user, "view_policies")
    visible = scope(request, user)
    if (body.inputs is None) == (body.uscc is None):
        raise HTTPException(422, "请给出 inputs 或 uscc 之一（二者只给一个）")
    if body.uscc is not None:
        inputs = _stored(request, visible, body.uscc)
        if inputs is None:
            raise HTTPException(404, f"没有该企业的存储数据：{body.uscc}")
    else:
        enterprise = body.inputs.get("enterprise")
        if not isinstance(enterprise, dict) or not isinstance(enterprise.get("uscc"), str) or not enterprise["uscc"]:
            raise HTTPException(422, "缺少 inputs.enterprise.uscc：请填写企业的统一社会信用代码"
)
        try:
            inputs = EnterpriseInputs.from_json(json.dumps(body.inputs))
            found, facts, events = inputs.frames()
            vocabulary(request).check(found, events, facts)
        except (InputError, UnknownValues) as exc:
            raise HTTPException(422, str(exc)) from None
        _check(visible, inputs)
    try:
        result = calculate(request, user, inputs, body.year)
    except (PolicyYearError, PolicyDataError) as exc:
        raise HTTPException(400, str(exc)) from None
    return result_view(request, result, inputs)
