"""The foreign-investment board (外资项目全流程跟踪) as the CLI, the API and the pages show it: the
stored pipeline within the user's scope, filtered by org unit, country and industry, run through
the engine for one review date, and laid out as plain records (amounts in integer US dollars,
names in Chinese beside the codes). One function per view, so that the three callers agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine

from .access import Scope
from .catalog import Catalog
from .followup import raise_warnings
from .followup.raising import Raised
from .io.fdi_import import FdiPipeline
from .projects.fdi import (
    LEVEL_ZH,
    county_rates,
    fdi_warning_rows,
    investors,
    pipeline_counts,
    pipeline_status,
    stage_table,
    total_rates,
)
from .projects.fdi_catalog import FdiCatalog
from .store.fdi_tables import FdiImport, newest_pipeline, project_versions, save_fdi_pipeline


@dataclass(frozen=True)
class BoardFilters:
    """What the board is narrowed to: an org unit code (its subtree), a country code, an industry code."""

    org_unit: str | None = None
    country: str | None = None
    industry: str | None = None


def usd_wan(usd: int | None) -> str:
    """Integer US dollars as 万美元 for people (12345678 → "1,234.5678"; integer arithmetic)."""
    if usd is None:
        return "—"
    whole, rest = divmod(usd, 10_000)
    return f"{whole:,}" + (f".{rest:04d}".rstrip("0") if rest else "")


def share(value: float | None) -> str:
    """A rate as a percentage with one decimal (0.5 → "50.0%"), "—" when there is none."""
    return "—" if value is None else f"{value * 100:.1f}%"


def import_pipeline(engine: Engine, pipeline: FdiPipeline, fdi: FdiCatalog, *, actor, file_name: str,
                    sha256: str, today: date) -> tuple[FdiImport, Raised]:
    """Store an accepted pipeline file (``save_fdi_pipeline``), then raise a warning for every
    stored project with an overdue stage as of ``today`` (``followup.raise_warnings``: one per
    project and month, so importing again in the same month raises nothing new)."""
    stored = save_fdi_pipeline(engine, pipeline, actor=actor, file_name=file_name, sha256=sha256)
    return stored, raise_stage_warnings(engine, fdi, actor=actor, today=today)


def raise_stage_warnings(engine: Engine, fdi: FdiCatalog, *, actor, today: date) -> Raised:
    """The overdue stages of the whole stored pipeline as of ``today``, raised as warnings."""
    everything = newest_pipeline(engine)
    status = pipeline_status(everything.projects, everything.stage_dates, fdi, today)
    return raise_warnings(engine, fdi_warning_rows(status, fdi, today), actor=actor)


def _filtered(engine: Engine, scope: Scope, catalog: Catalog, filters: BoardFilters):
    pipeline = newest_pipeline(engine, scope=scope)
    projects = pipeline.projects
    if filters.org_unit:
        projects = projects.filter(pl.col("org_unit").is_in(sorted(catalog.subtree(filters.org_unit))))
    if filters.country:
        projects = projects.filter(pl.col("investor_country") == filters.country)
    if filters.industry:
        projects = projects.filter(pl.col("industry") == filters.industry)
    return projects, pipeline.stage_dates


def board(engine: Engine, scope: Scope, catalog: Catalog, fdi: FdiCatalog, *, as_of: date,
          filters: BoardFilters = BoardFilters()) -> dict:
    """The board: ``stages`` (count and overdue count per stage, unsigned first), ``counties``
    (落地率 and 到资率 per org unit), ``total`` and ``projects`` (each with its current stage and
    its overdue stages), for the projects the scope sees and the filters keep."""
    projects, dates = _filtered(engine, scope, catalog, filters)
    status = pipeline_status(projects, dates, fdi, as_of)
    overdue = (stage_table(dates.filter(pl.col("project_id").is_in(status["project_id"].implode())), fdi, as_of)
               .filter("overdue"))
    names = catalog.org_unit_names()
    return {
        "as_of": as_of.isoformat(),
        "stages": [{"stage": r["stage"], "name_zh": r["stage_zh"], "projects": r["projects"], "overdue": r["overdue"]}
                   for r in pipeline_counts(status, fdi).iter_rows(named=True)],
        "counties": [{**r, "name_zh": names.get(r["org_unit"], r["org_unit"])}
                     for r in county_rates(status).iter_rows(named=True)],
        "total": total_rates(status),
        "projects": [_project_record(r, overdue, fdi, names) for r in status.iter_rows(named=True)],
    }


def _project_record(row: dict, overdue: pl.DataFrame, fdi: FdiCatalog, names: dict[str, str]) -> dict:
    late = overdue.filter(pl.col("project_id") == row["project_id"])
    return {
        "id": row["project_id"], "name_zh": row["name_zh"], "org_unit": row["org_unit"],
        "org_unit_zh": names.get(row["org_unit"], row["org_unit"]),
        "industry": row["industry"], "industry_zh": fdi.industries.get(row["industry"], row["industry"]),
        "investor": row["investor_name"], "country": row["investor_country"],
        "country_zh": fdi.countries.get(row["investor_country"], row["investor_country"]),
        "fortune500": row["investor_fortune500"], "contracted_usd": row["contracted_usd"],
        "arrived_usd": row["arrived_usd"], "next_step_owner": row["next_step_owner"],
        "current_stage": row["current_stage"], "current_stage_zh": row["current_stage_zh"],
        "signed": row["signed"], "landed": row["landed"], "due_to_land": row["due_to_land"],
        "level": row["level"], "level_zh": LEVEL_ZH.get(row["level"]) if row["level"] else None,
        "overdue": [{"stage": r["stage"], "name_zh": r["stage_zh"], "planned_date": r["planned_date"].isoformat(),
                     "days_overdue": r["days_overdue"], "level": r["level"]} for r in late.iter_rows(named=True)],
    }


def project_detail(engine: Engine, scope: Scope, catalog: Catalog, fdi: FdiCatalog, project_id: str, *,
                   as_of: date) -> dict | None:
    """One project as its page shows it (each stage planned against actual, the investor, the
    capital, its versions), or None when it does not exist or the scope does not see it."""
    pipeline = newest_pipeline(engine, scope=scope, project_id=project_id)
    if pipeline.projects.is_empty():
        return None
    status = pipeline_status(pipeline.projects, pipeline.stage_dates, fdi, as_of)
    stages = stage_table(pipeline.stage_dates, fdi, as_of)
    record = _project_record(status.row(0, named=True), stages.filter("overdue"), fdi, catalog.org_unit_names())
    record["stages"] = [
        {"stage": r["stage"], "name_zh": r["stage_zh"], "planned_date": _iso(r["planned_date"]),
         "actual_date": _iso(r["actual_date"]), "done": r["done"], "overdue": r["overdue"],
         "days_overdue": r["days_overdue"], "level": r["level"], "skippable": r["skippable"]}
        for r in stages.iter_rows(named=True)]
    record["versions"] = project_versions(engine, project_id)
    return record


def investor_records(engine: Engine, scope: Scope, catalog: Catalog, fdi: FdiCatalog, *, as_of: date,
                     filters: BoardFilters = BoardFilters()) -> list[dict]:
    """客商库: one record per investor of the projects the scope sees and the filters keep."""
    projects, dates = _filtered(engine, scope, catalog, filters)
    names = catalog.org_unit_names()
    found = investors(pipeline_status(projects, dates, fdi, as_of))
    return [{"name": r["investor_name"], "country": r["investor_country"],
             "country_zh": fdi.countries.get(r["investor_country"], r["investor_country"]),
             "fortune500": r["investor_fortune500"], "projects": r["projects"], "landed": r["landed"],
             "project_ids": r["project_ids"], "org_units": r["org_units"],
             "org_units_zh": [names.get(c, c) for c in r["org_units"]],
             "contracted_usd": r["contracted_usd"], "arrived_usd": r["arrived_usd"]}
            for r in found.iter_rows(named=True)]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


__all__ = ["BoardFilters", "board", "investor_records", "project_detail", "share", "usd_wan"]
