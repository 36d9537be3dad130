"""Project tracking wired to the store: the month's status from the stored reports (with a file
laid over them for one run), for the CLI, the API and the pages alike — as ``monitoring.py`` is
for plan monitoring. Storing reports with the warnings they raise is ``project_intake.py``."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine

from .access import Scope, filter_visible
from .io.project_reports_import import ProjectReportsFile
from .memo import IdentityMemo
from .projects.catalog import ProjectCatalog, load_project_catalog
from .projects.schedule import REPORT_COLUMNS, project_status
from .store.project_tables import extra_projects, newest_reports, store_state

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

