"""Reports into the store and the warnings they raise, in one run: what ``projects import``, the
项目进度导入 page and a project page's report form call. (Above both ``project_tracking`` and
``followup``, which reads the month's status from it: no import circle.)"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from sqlalchemy import Engine

from .access import Scope, User
from .followup.from_projects import raise_project_warnings
from .followup.raising import Raised
from .io.project_reports_import import ProjectReportsFile
from .store.project_tables import EnteredReport, SavedReports, save_report_from_page, save_reports


def import_reports(engine: Engine, checked: ProjectReportsFile, *, actor: User | str,
                   import_meta: Mapping[str, str]) -> tuple[SavedReports, Raised | None]:
    """Store a checked reports file (``save_reports``), then raise the warnings of its latest
    month (``followup.raise_project_warnings``: idempotent); None when the file has no report."""
    saved = save_reports(engine, checked.reports, actor=actor, import_meta=import_meta, extra=checked.projects)
    months = checked.reports["month"].drop_nulls()
    if months.is_empty():
        return saved, None
    name = actor.username if isinstance(actor, User) else actor
    return saved, raise_project_warnings(engine, months.max(), actor=name)


def enter_report(engine: Engine, texts: Mapping[str, str | None], *, actor: User, scope: Scope,
                 projects: pl.DataFrame) -> tuple[EnteredReport, Raised | None]:
    """One report entered on the project's page (``save_report_from_page``), then the warnings
    of its month raised when it changed anything (None when it did not). The raiser recorded is
    the unit's account: the engine raises on what it stored."""
    entered = save_report_from_page(engine, texts, actor=actor, scope=scope, projects=projects)
    if not entered.changed:
        return entered, None
    return entered, raise_project_warnings(engine, entered.month, actor=actor.username)
