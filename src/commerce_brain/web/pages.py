"""Server-rendered pages (Chinese, offline): sign-in, 驾驶舱 cockpit, 规划监测."""

from __future__ import annotations

import secrets
from importlib import resources

import polars as pl
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..access import Scope, User, can
from ..indicators.explain import symbols_in
from ..indicators.status import STATUS_ZH
from ..indicators.trajectory import trajectory
from ..io import report_rules as r
from ..io.report_html import card_view
from ..memo import IdentityMemo
from ..monitoring import evaluation_table, gather_observations
from ..policy.names import packaged_names
from ..policy.payer import treasury_name
from ..render import num, pct
from .. import fulfilment as f
from .. import followup as fu
from ..store import sign_in
from ..store.audit import events as audit_events
from ..store.audit import record, verify
from ..fulfilment.rule_edits import effective_policies
from ..store.sessions import end_session, find_session_user, start_session
from .audit_sentences import Names, audit_sentence
from ..store.data_state import data_state
from .award_views import money, when
from .cockpit_figures import award_totals_at, warning_counts_at
from .client import client_address, secure_cookies
from .params import YearQuery
from .security import (
    COOKIE,
    Forbidden,
    check_csrf,
    current_user,
    platform,
    require,
    scope,
    session_of,
)
from . import charts
from .project_views import latest_light_counts, project_data, project_light_tiles
from .views import (
    DEFAULT_YEAR,
    HOME,
    comparison_units,
    evaluation,
    status_counts,
    unit_evaluations,
    visible_org_unit,
)

from ..enterprise_changes import fact_shown  # noqa: E402
from ..policy.fact_registry import FACTS as FACT_REGISTRY  # noqa: E402

router = APIRouter(include_in_schema=False)

LOGIN_COOKIE = "cb_login"
# auto_reload off: templates ship with the package and do not change while the app runs (the
# check would stat the file on every render).
_ENV = Environment(loader=FileSystemLoader(str(resources.files("commerce_brain.web") / "templates")),
                   auto_reload=False,
                   autoescape=select_autoescape(["html"]))
_ENV.globals.update(num=num, pct=pct, STATUS_ZH=STATUS_ZH, colour=r.status_colour, can=can,
                    subject_zh=packaged_names().subject, kind_zh=packaged_names().kind,
                    choice_zh=packaged_names().choices, fact_registry=FACT_REGISTRY, fact_shown=fact_shown)


# Rendered page bodies of the monitoring pages, per evaluation frame (see render_shared).
_BODIES = IdentityMemo(256)


def render_shared(request: Request, template: str, user: User, objects: tuple, args, context) -> str:
    """A page whose title and main block depend only on ``objects`` (memoised frames, by
    identity) and ``args`` (hashable: the scope and the parameters), not on who asks: they are
    rendered once per key and shared by every request; only the layout around them (the
    signed-in user, the CSRF token) is rendered per request. ``context`` makes the template's
    variables on a miss."""
    def blocks() -> tuple[str, str]:
        page = _ENV.get_template(template)
        values = page.new_context({"request": None, "csrf": "", **context()})
        return "".join(page.blocks["title"](values)), "".join(page.blocks["main"](values))

    title, main = _BODIES.get(objects, (template, args), blocks)
    return render(request, "base.html", {"user": user, "shared_title": Markup(title), "shared_main": Markup(main)})


def render_plain(template: str, context: dict) -> str:
    """A page for no one in particular (no user, no CSRF token): answers given before a
    request reaches the app, such as 413 for a body past its limit."""
    return _ENV.get_template(template).render(request=None, csrf="", user=None, **context)


def render(request: Request, template: str, context: dict) -> str:
    """A page with the signed-in user and the CSRF token available to the layout."""
    session = session_of(request)
    user = context.get("user")
    # The header names a county analyst's unit by its name (柯城区), not its code.
    unit = _unit_name(request, user.org_unit) if user is not None and user.org_unit else ""
    return _ENV.get_template(template).render(request=request, csrf=session.csrf if session else "",
                                              user_unit=unit, **context)


def _unit_name(request: Request, code: str) -> str:
    try:
        return platform(request).catalog.org_unit(code).name_zh
    except KeyError:  # a unit a later catalog dropped: the account still signs in
        return code


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    # Before sign-in there is no session: the form's token is checked against a cookie instead.
    token = secrets.token_urlsafe(24)
    response = HTMLResponse(render(request, "login.html", {"next": next, "login_token": token, "error": None}))
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request))
    return response


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...), login_token: str = Form(""),
          next: str = Form("/")):
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, login_token):
        raise Forbidden("登录表单已失效，请刷新后重试")
    p = platform(request)
    outcome = sign_in.attempt(p.engine, username, password, address=client_address(request))
    if outcome.user is None:
        html = render(request, "login.html", {"next": next, "login_token": login_token, "error": _refusal(outcome)})
        # 429 tells scripts to back off; a plain wrong password stays 401.
        return HTMLResponse(html, status_code=429 if outcome.throttled else 401)
    token, _ = start_session(p.engine, outcome.user.id)
    # Only a local path: never redirect a signed-in user off the platform.
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure_cookies(request))
    response.delete_cookie(LOGIN_COOKIE)
    return response


def _refusal(outcome: sign_in.SignIn) -> str:
    """Why a sign-in failed, in Chinese; the same words whether or not the name exists."""
    if outcome.locked:
        minutes = max(1, -(-outcome.wait_seconds // 60)) if outcome.wait_seconds else None
        after = f"请 {minutes} 分钟后再试，" if minutes else "请稍后再试，"
        return f"登录失败次数过多，已暂时锁定。{after}或请管理员解锁"
    if outcome.throttled:
        return f"登录尝试过于频繁，请 {outcome.wait_seconds} 秒后再试"
    return "用户名或密码错误"


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    engine = platform(request).engine
    found = find_session_user(engine, request.cookies.get(COOKIE))
    with engine.begin() as conn:
        end_session(conn, request.cookies.get(COOKIE))
        if found:
            record(conn, actor=found[1].username, action="logout", object="web", detail={})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


AWARD_STATES = ("proposed", "confirmed", "approved", "paid", "rejected")
SCREEN_LAGGING = 6  # lagging indicators the wall display names (one screen, large type)


# The monitoring pages are async: on a memo hit they do a few small queries and no heavy
# work, and skipping the thread pool's hand-over doubles the pages a worker serves. The first
# request after an import computes the evaluation in the event loop (once per import and worker).
@router.get("/", response_class=HTMLResponse)
async def cockpit(request: Request, year: YearQuery = DEFAULT_YEAR, org_unit: str | None = None,
            user: User = Depends(current_user)) -> str:
    if not can(user, "view_plans"):
        return render(request, "home.html", {"user": user})
    return _monitoring_page(request, user, "cockpit.html", year, org_unit)


@router.get("/cockpit/screen", response_class=HTMLResponse)
async def cockpit_screen(request: Request, year: YearQuery = DEFAULT_YEAR, org_unit: str | None = None,
                         user: User = Depends(current_user)) -> str:
    """The one-screen summary for a wall display (可演示): the same figures as the cockpit."""
    require(user, "view_plans")
    return _monitoring_page(request, user, "screen.html", year, org_unit)


def _monitoring_page(request: Request, user: User, template: str, year: int, org_unit: str | None) -> str:
    """The cockpit or its wall-display summary: one evaluation, its charts and the award totals,
    rendered once per (evaluation, parameters) and shared by every request on a memo hit."""
    p = platform(request)
    visible = scope(request, user)
    # One statement says whether anything changed (store.data_state); everything else is read
    # from the reader (the replica, if any) only when it did, and memoised per process. The
    # reader is chosen once, so a request never mixes the replica's state with the primary's rows.
    reader = p.reader
    state = data_state(reader)
    observations = gather_observations(p.catalog, reader, version=state.actuals)
    frame = evaluation(reader, p.catalog, visible, year=year, org_unit=org_unit, observations=observations)
    totals = award_totals_at(reader, state, visible, year) if can(user, "view_policies") else None
    # The award totals and the warnings' counts are part of the rendering key.
    warnings = warning_counts_at(reader, state, visible) if can(user, "view_warnings") else None
    lights = (latest_light_counts(p, visible, engine=reader, state=state.projects)
              if can(user, "view_projects") else None)

    def context() -> dict:
        plans = [{"id": plan_id, "title": part["plan_title"][0], "counts": status_counts(part), "n": part.height}
                 for (plan_id,), part in frame.group_by(["plan"], maintain_order=True)]
        awards = None if totals is None else [
            {"state": s, "label": f.STATE_ZH[s], **totals.get(s, {"count": 0, "total_fen": 0})} for s in AWARD_STATES]
        unit = visible_org_unit(visible, org_unit, p.catalog)
        parent, compared = comparison_units(p.catalog, visible, unit)
        by_unit = charts.status_by_unit(unit_evaluations(p.catalog, observations, year, compared), compared)
        chart_data = {
            "trends": charts.trend_charts(frame, observations, year, limit=charts.COCKPIT_TRENDS),
            "counties": by_unit,
            "statuses": [{"name": s["name"], "colour": s["colour"], "value": status_counts(frame).get(s["key"], 0)}
                         for s in charts.status_legend()],
        }
        return {"year": year, "rows": frame.to_dicts(), "counts": status_counts(frame), "plans": plans,
                "unit_name": frame["org_unit_name"][0] if frame.height else "", "statuses": charts.STATUS_ORDER,
                "years": _years(p.catalog), "units": _units(p.catalog, visible),
                "org_unit": frame["org_unit"][0] if frame.height else org_unit, "awards": awards, "money": money,
                "project_lights": project_light_tiles(lights),
                "charts": chart_data, "county_map": charts.county_map(parent, compared, by_unit),
                "lagging": frame.filter(pl.col("status") == "lagging").head(SCREEN_LAGGING).to_dicts(),
                "warnings": warnings, "warning_states": fu.STATE_ZH, "warning_sources": fu.SOURCE_ZH}

    # The award counts are asked for on every request (one grouped query) and are part of the key.
    awards_key = None if totals is None else tuple(sorted((k, v["count"], v["total_fen"]) for k, v in totals.items()))
    warnings_key = None if warnings is None else (tuple(warnings["by_state"].items()),
                                                  tuple(warnings["open_by_level"].items()), warnings["overdue"],
                                                  tuple(warnings["open_by_source"].items()))
    return render_shared(request, template, user, (frame, observations),
                         (year, org_unit, visible, awards_key, warnings_key, lights), context)


def _years(catalog) -> list[int]:
    """The years some plan in the catalog covers, newest first (the cockpit's year choices)."""
    spans = [(plan.base_year + 1, plan.period[1]) for plan in catalog.plans]
    return list(range(max(t for _, t in spans), min(b for b, _ in spans) - 1, -1))


def _units(catalog, visible) -> list[tuple[str, str]]:
    """The org units the user may pick: each city with a plan (the platform's own first) and its
    counties, or the county's subtree."""
    names = catalog.org_unit_names()
    if visible.org_units is None:
        cities = dict.fromkeys([HOME] + [plan.org_unit for plan in catalog.plans])
        codes = [code for city in cities for code in [city] + [u.code for u in catalog.org_units if u.parent == city]]
    else:
        codes = sorted(visible.org_units)
    return [(code, names[code]) for code in codes]


@router.get("/plans/{plan_id}/{indicator_id}", response_class=HTMLResponse)
async def indicator_page(request: Request, plan_id: str, indicator_id: str, year: YearQuery = DEFAULT_YEAR,
                   org_unit: str | None = None, user: User = Depends(current_user)) -> str:
    require(user, "view_plans")
    p = platform(request)
    visible = scope(request, user)
    reader = p.reader
    observations = gather_observations(p.catalog, reader)
    # An indicator of a plan that has ended is still shown, as of its last year.
    frame = evaluation(reader, p.catalog, visible, year=year, org_unit=org_unit, as_of=True,
                       observations=observations)

    def context() -> dict:
        # Inside the memo: a refusal is not remembered, so it is checked again on each request.
        row_frame = frame.filter((frame["plan"] == plan_id) & (frame["indicator"] == indicator_id))
        if row_frame.is_empty():
            raise Forbidden(f"没有这个指标在{year}年的评估"
)
        rows = r.evaluation_rows(row_frame, year)
        # The page draws its line with ECharts: the card's SVG (for the offline report) is not made.
        card = card_view(rows[0], r.trajectories(trajectory(row_frame, observations), rows), draw=False)
        counties = _across_counties(p, visible, plan_id, indicator_id, year, observations)
        return {
            "row": rows[0], "card": card, "year": year, "explanation": row_frame["explanation"][0],
            "symbols": symbols_in(row_frame["explanation"][0]),
            "counties": counties,
            "charts": {"trends": charts.trend_charts(row_frame, observations, year),
                       "growth": charts.growth_by_unit(counties)},
            "findings": p.lint_findings.filter(
                (pl.col("plan") == plan_id) & (pl.col("indicator") == indicator_id)).to_dicts(),
        }

    return render_shared(request, "indicator.html", user, (frame, observations),
                         (plan_id, indicator_id, year, org_unit, visible), context)


def _across_counties(p, scope_: Scope, plan_id: str, indicator_id: str, year: int, observations) -> list[dict]:
    """The same indicator in each county the user may see (the plan's own org unit's children)."""
    plan = p.catalog.plan(plan_id)
    visible = scope_.org_units
    children = [u.code for u in p.catalog.org_units if u.parent == plan.org_unit and u.kind != "zone"
                and (visible is None or u.code in visible)]
    found = []
    for code in children:
        frame = evaluation_table(p.catalog, observations, year, org_unit=code, plans=[plan_id], as_of=True)
        found += frame.filter(pl.col("indicator") == indicator_id).to_dicts()
    return found


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, actor: str | None = None, action: str | None = None,
               user: User = Depends(current_user)) -> str:
    """审计日志: who did what, when, and whether the chain is intact; each event as a sentence."""
    require(user, "view_audit")
    p = platform(request)
    org_units = p.catalog.org_unit_names()
    names = Names(org_units=org_units, payers={code: treasury_name(org_units, code) for code in org_units},
                  rules={r.id: f"第{r.article}条 {r.name_zh}" for r in effective_policies(p.engine).rules()},
                  projects=dict(project_data(p).projects.select("id", "name_zh").iter_rows()))
    return render(request, "audit.html", {
        "user": user, "events": audit_events(p.engine, limit=200, actor=actor or None, action=action or None),
        "report": verify(p.engine), "actor": actor or "", "action": action or "", "actions": ACTION_ZH,
        "when": when, "sentence": lambda e: audit_sentence(e["action"], e["object"], e["detail"], names),
    })


# What each audited action is called on the page (the code stays in the log and the filter).
ACTION_ZH = {
    "login": "登录", "import_actuals": "导入统计数据", "import_rejected": "导入被退回",
    "enterprise_data.save": "企业数据导入",
    "awards.batch": "免申即享批次", "award.confirm": "企业确认", "award.approve": "审核通过",
    "award.reject": "驳回", "award.reopen": "重新审核", "claims.file": "企业申报", "payment_list.create": "生成兑付清单",
    "payment_list.paid": "标记已兑付", "rules.edit": "修改政策规则",
    "login.failed": "登录失败", "login.locked": "登录锁定", "logout": "退出登录",
    "user.add": "新建账户", "user.token": "签发令牌", "user.deactivate": "停用账户", "user.password": "修改密码",
    "user.role": "修改角色", "user.unlock": "解除锁定", "award.assess": "评审核定", "claims.verify": "核实申报（登记后核算）",
    "notices.send": "发送站内消息", "notices.read": "企业阅读消息", "notices.dispute": "企业反馈消息有误",
    "notices.dispute_close": "办结消息反馈", "notices.export": "导出网关文件",
}
