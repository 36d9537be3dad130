"""A month's report as a responsible unit enters it (the project page's form, the API's POST),
through ``project_intake.enter_report``: the store's checks, the same as a file's rows (amounts
in 亿元 to the 万元, the stage, a year-to-date figure that may not fall), the next version audited
in the same transaction, then the month's warnings raised. Only the project's own responsible unit enters it (``report_projects``
and the project within its unit scope); anyone else gets what a missing project gets.
"""

from __future__ import annotations

from fastapi import HTTPException

from ..access import Scope, User
from ..project_intake import enter_report as store_report
from ..store.project_tables import EnteredReport, ProjectNotFound
from .project_views import ProjectData

# The form's fields as a person reads them (the store's refusals name them the same way).
FIELD_ZH = {"project": "项目", "month": "月份", "annual_plan_yi": "年度计划投资", "completed_month_yi": "当月完成投资",
            "completed_ytd_yi": "本年累计完成投资", "stage": "建设阶段", "image_progress": "形象进度",
            "problems": "存在问题", "problem_owner": "需协调解决的单位"}
FORM_FIELDS = tuple(field for field in FIELD_ZH if field != "project")


def enter_report(engine, data: ProjectData, project_id: str, fields: dict[str, str | None], *, user: User,
                 scope: Scope) -> EnteredReport:
    """Store the report typed for ``project_id`` (``fields`` by FORM_FIELDS; text, amounts in 亿元).
    Raises ``store.project_tables.ReportRefused`` with the problems, or 404 outside the scope."""
    texts = {"project": project_id, **{k: fields.get(k) for k in FORM_FIELDS}}
    try:
        entered, _ = store_report(engine, texts, actor=user, scope=scope, projects=data.projects)
        return entered
    except ProjectNotFound:
        raise HTTPException(404, "未找到该项目") from None
