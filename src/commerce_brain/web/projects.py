"""项目推进 pages: the project list with its lights, filters, roll-ups and export; a project's
page (facts, citation, S-curve, reports, warnings, the responsible unit's report form); the
project lint.

Every page reads the frames of ``project_views`` (the same as the API) and keeps to the scope:
a county analyst sees its org units' projects, a responsible unit (项目责任单位) its own. A
project outside the scope answers exactly as a missing one (404).
"""

from __future__ import annotations

from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from ..access import User, can
from ..followup import STATE_ZH, detector_zh, list_warnings
from ..projects.lint import SEVERITY_ZH
from ..projects.s_curve import s_curve
from .award_views import XLSX, temporary_download, when
from .pages import render, render_shared
from .params import ProjectId
from ..io.projects_xlsx import write_projects_xlsx
from ..store.project_tables import ReportRefused
from ..store.data_state import data_state
from .project_reports import FIELD_ZH, enter_report
from ..projects.schedule import LIGHT_ZH, STAGE_ZH
from .project_views import (
    LIGHT_COLOUR,
    SHOWN_LIGHTS,
    Filters,
    column_label,
    light_counts,
    lint_findings,
    month_or_latest,
    points,
    project_data,
    rollups,
    visible_status,
    yi,
)
from .security import check_csrf, current_user, platform, require, scope

router = APIRouter(include_in_schema=False)
PLANNED_COLOUR, ACTUAL_COLOUR = "#1d4e89", "#c2410c"
_HELPERS = {"yi": yi, "points": points, "LIGHT_ZH": LIGHT_ZH, "LIGHT_COLOUR": LIGHT_COLOUR, "LIGHTS": SHOWN_LIGHTS,
            "STAGE_ZH": STAGE_ZH, "column_label": column_label}


def _listing(request: Request, user: User, month: str | None, filters: Filters):
    """The data, the month shown, the scope's status and the filtered rows."""
    data = project_data(platform(request))
    shown = month_or_latest(data, month)
    visible = visible_status(data, scope(request, user), shown)
    return data, shown, visible, filters.apply(visible)


def _sorted(rows: pl.DataFrame) -> pl.DataFrame:
    """Red first, then yellow, green and unreported; the furthest behind first within a light."""
    order = pl.col("light").replace_strict({light: i for i, light in enumerate(SHOWN_LIGHTS)}, return_dtype=pl.Int32)
    return rows.sort([order, "schedule_gap", "id"], nulls_last=True)


@router.get("/projects", response_class=HTMLResponse)
async def project_list(request: Request, month: str | None = None, column: str | None = None,
                       unit: str | None = None, org_unit: str | None = None, light: str | None = None,
                       user: User = Depends(current_user)) -> str:
    """项目推进: every visible project's light in the month, filters, roll-ups with charts."""
    require(user, "view_projects")
    filters = Filters.parse(column, unit, org_unit, light)
    p = platform(request)
    # A read-only page: its data from the reader (the replica, if any), like the cockpit's.
    reader = p.reader
    data = project_data(p, engine=reader, state=data_state(reader).projects)
    shown = month_or_latest(data, month)
    visible_scope = scope(request, user)
    may_import = can(user, "import_projects")

    def context() -> dict:
        visible = visible_status(data, visible_scope, shown)
        rows = filters.apply(visible)
        blocks = rollups(rows)
        return {"month": shown, "months": data.months, "filters": filters, "rows": _sorted(rows).to_dicts(),
                "counts": light_counts(rows), "total": visible.height, "rollups": blocks,
                "columns": sorted({c for c in visible["column"].to_list() if c is not None}),
                "has_extra": visible["column"].null_count() > 0,
                "units": sorted({u.strip() for us in visible["responsible_unit"].drop_nulls().to_list()
                                 for u in us.split("、")}),
                "org_units": sorted(set(visible.select("org_unit", "org_unit_name").iter_rows()), key=lambda r: r[0]),
                "query": _query(shown, filters), "charts": {"stacks": [_light_chart(blocks[0]), _light_chart(blocks[2])]},
                "may_import": may_import, **_HELPERS}

    # Rendered once per state of the reports, month, filters and scope; shared by every request.
    return render_shared(request, "projects.html", user, (data,), (shown, filters, visible_scope, may_import), context)


def _query(month: str | None, filters: Filters) -> str:
    """The list's filters as a query string (the export link keeps them)."""
    pairs = {"month": month, "column": filters.column, "unit": filters.unit, "org_unit": filters.org_unit,
             "light": filters.light}
    return urlencode({k: v for k, v in pairs.items() if v is not None})


def _light_chart(block: dict) -> dict:
    """A stacked bar per roll-up row: how many projects in each light."""
    return {"title": block["title"], "units": [r["label"] for r in block["rows"]], "axis": "项目数",
            "series": [{"name": LIGHT_ZH[light], "colour": LIGHT_COLOUR[light],
                        "values": [r[light] for r in block["rows"]]} for light in SHOWN_LIGHTS]}


@router.get("/projects/export.xlsx")
def project_export(request: Request, month: str | None = None, column: str | None = None, unit: str | None = None,
                   org_unit: str | None = None, light: str | None = None,
                   user: User = Depends(current_user)) -> FileResponse:
    """The list as the page filters it (same scope, every row) as a workbook; cells neutralised."""
    require(user, "view_projects")
    _, shown, _, rows = _listing(request, user, month, Filters.parse(column, unit, org_unit, light))
    name = f"项目推进{shown or ''}.xlsx"
    return temporary_download(lambda path: write_projects_xlsx(rows, shown, path), name, XLSX)


@router.get("/projects/lint", response_class=HTMLResponse)
def project_lint_page(request: Request, user: User = Depends(current_user)) -> str:
    """项目核对: the count and sums of the projects against what the plan states, with numbers."""
    require(user, "view_projects")
    data = project_data(platform(request))
    places = {r["id"]: column_label(r["column"], r["number"]) for r in data.projects.select("id", "column", "number").iter_rows(named=True)}
    findings = [{**f, "severity_zh": SEVERITY_ZH[f["severity"]], "place": places.get(f["scope"], f["scope"])}
                for f in lint_findings(platform(request)).iter_rows(named=True)]
    return render(request, "project_lint.html", {"user": user, "findings": findings})


def _visible_project(request: Request, user: User, project_id: str, month: str | None):
    """The project's row in the month's status, or 404 when missing or outside the scope."""
    data = project_data(platform(request))
    shown = month_or_latest(data, month)
    row = visible_status(data, scope(request, user), shown).filter(pl.col("id") == project_id)
    if row.is_empty():
        raise HTTPException(404, "未找到该项目")
    return data, shown, row.row(0, named=True)


def project_page_response(request: Request, user: User, project_id: str, month: str | None, *,
                          form_errors: list | None = None, form: dict | None = None, status: int = 200) -> HTMLResponse:
    """The project page (also answering a refused report form with its errors)."""
    data, shown, project = _visible_project(request, user, project_id, month)
    reports = data.reports.filter(pl.col("project_id") == project_id).sort("month", descending=True)
    curve = s_curve(reports)
    chart = {"title": project["name_zh"], "unit": "亿元", "years": curve["month"].to_list(),
             "series": [{"name": "计划累计投资", "colour": PLANNED_COLOUR, "dashed": True,
                         "values": [_yi_number(v) for v in curve["planned_cum_wan"].to_list()]},
                        {"name": "实际累计完成", "colour": ACTUAL_COLOUR, "dashed": False,
                         "values": [_yi_number(v) for v in curve["actual_cum_wan"].to_list()]}]}
    may_report = can(user, "report_projects")
    context = {"user": user, "p": project, "month": shown, "reports": reports.to_dicts(), "when": when,
               "column_name": data.column_names.get(project["column"]), "charts": {"trends": [chart]} if curve.height else {},
               "warnings": _warnings_of(platform(request).engine, scope(request, user), project_id),
               "may_report": may_report, "form_errors": form_errors or [], "form": form or {}, "fields": FIELD_ZH,
               **_HELPERS}
    return HTMLResponse(render(request, "project.html", context), status_code=status)


def _warnings_of(engine, visible, project_id: str) -> list[dict]:
    """The project's warnings the user may see (the schedule's), newest first, each with its
    detector and state in Chinese."""
    frame = list_warnings(engine, visible, source="projects", subject_kind="project", subject_id=project_id)
    return [{**w, "detector_zh": detector_zh(w["detector"]), "state_zh": STATE_ZH.get(w["state"], "")}
            for w in frame.iter_rows(named=True)]


def _yi_number(wan: int | None) -> float | None:
    # For the chart's axis only (a drawing, not a figure anyone reads off as money).
    return None if wan is None else wan / 10_000


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: ProjectId, month: str | None = None,
                 user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "view_projects")
    return project_page_response(request, user, project_id, month)


@router.post("/projects/{project_id}/reports")
def post_report(request: Request, project_id: ProjectId, csrf: str = Form(""), month: str = Form(""),
                annual_plan_yi: str = Form(""), completed_month_yi: str = Form(""),
                completed_ytd_yi: str = Form(""), stage: str = Form(""), image_progress: str = Form(""),
                problems: str = Form(""), problem_owner: str = Form(""), user: User = Depends(current_user)):
    """The responsible unit enters a month's report on its project's page (versioned, audited)."""
    require(user, "report_projects")
    check_csrf(request, csrf)
    form = {"month": month, "annual_plan_yi": annual_plan_yi, "completed_month_yi": completed_month_yi,
            "completed_ytd_yi": completed_ytd_yi, "stage": stage, "image_progress": image_progress,
            "problems": problems, "problem_owner": problem_owner}
    p = platform(request)
    try:
        entered = enter_report(p.engine, project_data(p), project_id, form, user=user, scope=scope(request, user))
    except ReportRefused as exc:
        return project_page_response(request, user, project_id, None, form_errors=exc.problems, form=form,
                                     status=422)
    return RedirectResponse(f"/projects/{project_id}?month={entered.month}", status_code=303)
