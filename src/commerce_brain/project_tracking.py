"""Project tracking wired to the store: the month's status from the stored reports (with a file
laid over them for one run), for the CLI, the API and the pages alike — as ``monitoring.py`` is
for plan monitoring."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine

from .access import Scope, filter_visible
from .io.project_reports_import import ProjectReportsFile
from .projects.catalog import ProjectCatalog, load_project_catalog
from .projects.schedule import project_status
from .store.project_tables import extra_projects, newest_reports


def tracked_catalog(engine: Engine, overlay: ProjectReportsFile | None = None) -> ProjectCatalog:
    """The 58 landmark projects with the stored 重点项目, and those of ``overlay`` laid over them
    (a project the file lists again is the file's)."""
    extra = extra_projects(engine)
    if overlay is not None and overlay.projects.height:
        extra = pl.concat([extra.join(overlay.projects.select("id"), on="id", how="anti"), overlay.projects])
    return load_project_catalog(extra)


def tracked_reports(engine: Engine, overlay: ProjectReportsFile | None = None) -> pl.DataFrame:
    """The newest stored reports, with ``overlay``'s laid over them: a project × month the file
    gives is the file's, for this run only (nothing is stored)."""
    stored = newest_reports(engine)
    if overlay is None or overlay.reports.is_empty():
        return stored
    kept = stored.join(overlay.reports.select("project_id", "month"), on=["project_id", "month"], how="anti")
    return pl.concat([kept, overlay.reports], how="diagonal_relaxed")


def month_status(engine: Engine, month: str, *, overlay: ProjectReportsFile | None = None,
                 scope: Scope | None = None, org_units: frozenset[str] | None = None
                 ) -> tuple[ProjectCatalog, pl.DataFrame]:
    """The catalog and ``project_status`` of every project for ``month`` (``YYYY-MM``), narrowed
    to what ``scope`` may see and to ``org_units`` (a county's subtree) when given."""
    catalog = tracked_catalog(engine, overlay)
    status = project_status(catalog.projects, tracked_reports(engine, overlay), month, catalog.settings)
    if scope is not None:
        status = filter_visible(status, scope)
    if org_units is not None:
        status = filter_visible(status, Scope(org_units=org_units))
    return catalog, status
