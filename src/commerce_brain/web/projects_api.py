"""JSON API of 项目推进 under /api/v1/projects: the same frames as the pages and the CLI.

Amounts are 亿元 (numbers with at most four decimals, as ``projects list --format json``
prints them); ``schedule_gap`` a fraction rounded to three places. Every list keeps to the
caller's scope, and a project outside it answers as a missing one (404). A report written with
a session cookie carries the session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import polars as pl
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..access import User, filter_visible
from ..cli_projects import LIST_JSON_COLUMNS, STATUS_JSON_COLUMNS, projects_in_yi
from ..projects.amounts import wan_to_yi_float
from ..projects.lint import JSON_COLUMNS as LINT_COLUMNS
from ..render import clean
from .awards_api import check_api_write
from .errors import ErrorBody, Problem, responses
from .params import ProjectId
from ..store.project_tables import ReportRefused
from .project_reports import enter_report
from .project_views import MONTH, Filters, lint_findings, month_or_latest, project_data, visible_status
from .security import current_user, platform, require, scope

api = APIRouter(prefix="/api/v1/projects", tags=["项目推进 projects"])
REPORT_KEYS = ("month", "annual_plan_wan", "completed_month_wan", "completed_ytd_wan", "stage", "image_progress",
               "problems", "problem_owner", "entered_by", "entered_at")
Amount = str | int | float | None


class ReportBody(BaseModel):
    """One month's report of a project, amounts in 亿元 (text or number, at most four decimals)."""

    model_config = ConfigDict(extra="forbid")
    month: str = Field(description="月份 YYYY-MM")
    annual_plan_yi: Amount = Field(description="年度计划投资（亿元）")
    completed_ytd_yi: Amount = Field(description="本年累计完成投资（亿元）")
    stage: str = Field(description="建设阶段 not_started | under_construction | completed")
    completed_month_yi: Amount = Field(None, description="当月完成投资（亿元）")
    image_progress: str | None = Field(None, description="形象进度")
    problems: str | None = Field(None, description="存在问题")
    problem_owner: str | None = Field(None, description="需协调解决的单位")


def _records(frame: pl.DataFrame, keys) -> list[dict]:
    return [{k: clean(row[k]) for k in keys} for row in frame.select(list(keys)).iter_rows(named=True)]


def _status_frame(request: Request, user: User, month: str | None) -> pl.DataFrame:
    if month is not None and not MONTH.match(month):
        raise HTTPException(422, "月份应为 YYYY-MM，如 2024-10")
    data = project_data(platform(request))
    return visible_status(data, scope(request, user), month_or_latest(data, month))


@api.get("")
def projects(request: Request, column: str | None = None, unit: str | None = None, org_unit: str | None = None,
             user: User = Depends(current_user)) -> list[dict]:
    """The projects the caller may see (the 58 of the catalog and the imported 重点项目)."""
    require(user, "view_projects")
    frame = filter_visible(project_data(platform(request)).projects, scope(request, user))
    frame = Filters.parse(column, unit, org_unit, None).apply(frame)
    return _records(projects_in_yi(frame), LIST_JSON_COLUMNS)


@api.get("/status")
def status(request: Request, month: str | None = None, user: User = Depends(current_user)) -> list[dict]:
    """One row per visible project in ``month`` (default: the newest reported): light, gap, reason —
    the rows of ``projects status --format json``."""
    require(user, "view_projects")
    return _records(_status_frame(request, user, month), STATUS_JSON_COLUMNS)


@api.get("/lint")
def lint(request: Request, user: User = Depends(current_user)) -> list[dict]:
    """Project lint: the count and sums against what the plan states, each finding with numbers."""
    require(user, "view_projects")
    return _records(lint_findings(platform(request)), LINT_COLUMNS)


def _project(request: Request, user: User, project_id: str, month: str | None) -> dict:
    frame = _status_frame(request, user, month).filter(pl.col("id") == project_id)
    if frame.is_empty():
        raise HTTPException(404, "未找到：该项目不存在，或不在您的权限范围内")
    return frame.row(0, named=True)


@api.get("/{project_id}", responses=responses(404))
def project(request: Request, project_id: ProjectId, month: str | None = None,
            user: User = Depends(current_user)) -> dict:
    """A project: its facts (亿元), its status in ``month`` (default the newest) and its reports."""
    require(user, "view_projects")
    row = _project(request, user, project_id, month)
    data = project_data(platform(request))
    facts = projects_in_yi(data.projects.filter(pl.col("id") == project_id))
    reports = data.reports.filter(pl.col("project_id") == project_id).sort("month")
    in_yi = [pl.col(c).pipe(wan_to_yi_float).alias(c.replace("_wan", "_yi"))
             for c in ("annual_plan_wan", "completed_month_wan", "completed_ytd_wan")]
    report_keys = [k.replace("_wan", "_yi") for k in REPORT_KEYS]
    return {**_records(facts, LIST_JSON_COLUMNS)[0],
            "status": {"month": row["month"], **{k: clean(row[k]) for k in STATUS_JSON_COLUMNS if k != "id"}},
            "reports": _records(reports.with_columns(in_yi).with_columns(pl.col("entered_at").cast(pl.String)),
                                report_keys)}


@api.post("/{project_id}/reports", status_code=201, responses=responses(400, 404))
def post_report(request: Request, project_id: ProjectId, body: ReportBody, user: User = Depends(current_user)):
    """The project's responsible unit enters a month's report (a second one for the month is a
    revision; the old version stays). Answers the version and the project's light in that month."""
    require(user, "report_projects")
    check_api_write(request)
    p = platform(request)
    fields = {k: None if v is None else str(v) for k, v in body.model_dump().items()}
    try:
        entered = enter_report(p.engine, project_data(p), project_id, fields, user=user, scope=scope(request, user))
    except ReportRefused as exc:
        problems = [Problem(location="body", field=field, message=reason) for field, reason in exc.problems]
        detail = "报送有误，未保存：" + "；".join(reason for _, reason in exc.problems)
        return JSONResponse(ErrorBody(detail=detail, problems=problems).model_dump(), status_code=422)
    row = _project(request, user, project_id, entered.month)
    return {"id": project_id, "month": entered.month, "version": entered.version, "changed": entered.changed,
            **{k: clean(row[k]) for k in STATUS_JSON_COLUMNS if k != "id"}}
