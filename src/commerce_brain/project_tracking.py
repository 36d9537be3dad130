"""Project tracking wired to the store: the month's status from the stored reports (with a file
laid over them for one run), and storing reports with the warnings they raise — for the CLI, the
API and the pages alike, as ``monitoring.py`` is for plan monitoring."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl
from sqlalchemy import Engine

from .access import Scope, User, filter_visible
from .followup import Raised, raise_warnings
from .io.project_reports_import import ProjectReportsFile
from .memo import IdentityMemo
from .projects.catalog import ProjectCatalog, load_project_catalog
from .projects.schedule import REPORT_COLUMNS, project_status
from .projects.warning_rows import warning_candidates
from .store.project_tables import (
    EnteredReport, SavedReports, extra_projects, newest_reports, save_report_from_page, save_reports, store_state,
)

# Per process: the month's status until a report or project is stored (a page reads it on
# every request; reading 600,000 stored reports takes about a second).
_MEMO = IdentityMemo(size=16)


def tracked_catalog(engine: Engine, overlay: ProjectReportsFile | None = None) -> ProjectCatalog:
    """The 58 landmark projects with the stored 重点项目, and those of ``overlay`` laid over them
    (a project the file lists again is the file's)."""
    extra = extra_projects(engine)
    if overlay is not None and overlay.projects.height:
        extra = pl.concat([extra.join(overlay.projects.select("id"), on="id", how="anti"), overlay.projects])
    return load_project_catalog(extra)


def tracked_reports(engine: Engine, overlay: ProjectReportsFile | None = None, *,
                    upto: str | None = None) -> pl.DataFrame:
    """The newest stored reports (those up to ``upto`` when given), with ``overlay``'s laid over
    them: a project × month the file gives is the file's, for this run only (nothing is stored)."""
    stored = newest_reports(engine, upto=upto)
    if overlay is None or overlay.reports.is_empty():
        return stored
    kept = stored.join(overlay.reports.select("project_id", "month"), on=["project_id", "month"], how="anti")
    return pl.concat([kept, overlay.reports], how="diagonal_relaxed")


def month_status(engine: Engine, month: str, *, overlay: ProjectReportsFile | None = None,
                 scope: Scope | None = None, org_units: frozenset[str] | None = None
                 ) -> tuple[ProjectCatalog, pl.DataFrame]:
    """The catalog and ``project_status`` of every project for ``month`` (``YYYY-MM``), narrowed
    to what ``scope`` may see and to ``org_units`` (a county's subtree) when given. Without an
    overlay the result is memoised per process until the stored reports change."""
    def compute() -> tuple[ProjectCatalog, pl.DataFrame]:
        catalog = tracked_catalog(engine, overlay)
        # The status reads no month after the one asked for, and only the engine's columns.
        reports = (newest_reports(engine, upto=month, columns=list(REPORT_COLUMNS)) if overlay is None
                   else tracked_reports(engine, overlay, upto=month))
        return catalog, project_status(catalog.projects, reports, month, catalog.settings)

    catalog, status = (compute() if overlay is not None
                       else _MEMO.get((engine,), (month, store_state(engine)), compute))
    if scope is not None:
        status = filter_visible(status, scope)
    if org_units is not None:
        status = filter_visible(status, Scope(org_units=org_units))
    return catalog, status


def raise_month_warnings(engine: Engine, month: str, *, actor: str, today: date | None = None) -> Raised | None:
    """Raise the warning of every yellow or red project of ``month`` (``followup.raise_warnings``:
    idempotent, one warning per project, detector and month); None when there is none to raise.
    ``actor`` is who stored the reports that lit them (recorded as the raiser)."""
    catalog, status = month_status(engine, month)
    rows = warning_candidates(status, catalog.settings, today or date.today())
    if rows.is_empty():
        return None
    return raise_warnings(engine, rows, actor=actor)


def import_reports(engine: Engine, checked: ProjectReportsFile, *, actor: User | str,
                   import_meta: Mapping[str, str]) -> tuple[SavedReports, Raised | None]:
    """Store a checked reports file (``save_reports``), then raise the warnings of its latest
    month in the same run — what ``projects import`` and the 项目进度导入 page do."""
    saved = save_reports(engine, checked.reports, actor=actor, import_meta=import_meta, extra=checked.projects)
    months = checked.reports["month"].drop_nulls()
    raised = raise_month_warnings(engine, months.max(), actor=_name(actor)) if months.len() else None
    return saved, raised


def enter_report(engine: Engine, texts: Mapping[str, str | None], *, actor: User, scope: Scope,
                 projects: pl.DataFrame) -> tuple[EnteredReport, Raised | None]:
    """One report entered on the project's page (``save_report_from_page``), then the warnings
    of its month raised in the same run when it changed anything."""
    entered = save_report_from_page(engine, texts, actor=actor, scope=scope, projects=projects)
    raised = raise_month_warnings(engine, entered.month, actor=actor.username) if entered.changed else None
    return entered, raised


def _name(actor: User | str) -> str:
    return actor.username if isinstance(actor, User) else actor
