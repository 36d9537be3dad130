"""Frames built in code for the engine tests: one indicator or observation per call."""

from __future__ import annotations

import polars as pl

from commerce_brain.catalog import OBSERVATION_SCHEMA
from commerce_brain.catalog.catalog import INDICATOR_SCHEMA

CITY = "330800"


def indicator(**overrides) -> dict:
    """A growth indicator 100 → 161.051 over 2020–2025, i.e. exactly 10% a year."""
    row = {
        "plan": "p", "indicator": "x", "name_zh": "测试指标", "name_en": "test", "category": "",
        "unit": "亿元", "plan_org_unit": CITY, "base_year": 2020, "base_value": 100.0,
        "target_year": 2025, "target_value": 161.051, "target_text": None,
        "target_comparator": ">=", "stated_growth": "10", "growth_kind": "annual_growth",
        "attribute": "expected", "direction": "higher", "price_basis": None, "citation": "「测试」",
    }
    row.update(overrides)
    return row


def indicators(*rows: dict) -> pl.DataFrame:
    """An indicators frame as ``Catalog.indicators_frame`` makes it."""
    return pl.DataFrame(list(rows), schema=INDICATOR_SCHEMA)


def obs(year: int, value: float, *, indicator: str = "x", plan: str = "p", org_unit: str = CITY,
        month: int | None = None, real_growth: float | None = None, period_total: bool = False) -> dict:
    """One observation row."""
    period = f"{year}-{month:02d}" if month else str(year)
    return {"plan": plan, "indicator": indicator, "org_unit": org_unit, "period": period,
            "year": year, "month": month, "value": value, "real_growth": real_growth,
            "is_period_total": period_total, "source": "test"}


def observations(*rows: dict) -> pl.DataFrame:
    """An observation frame with the engine's schema."""
    return pl.DataFrame(list(rows), schema=OBSERVATION_SCHEMA)


def store_project_reports(engine, reports: dict[str, tuple[str, str, str]], month: str, *,
                          actor: str = "setup") -> None:
    """Store one month's reports as an import would: project → (annual plan 亿, year to date 亿,
    stage)."""
    from commerce_brain.io.project_reports_import import REPORTS_SCHEMA
    from commerce_brain.projects.amounts import yi_to_wan
    from commerce_brain.store.project_tables import save_reports

    rows = pl.DataFrame([{"project_id": project, "month": month, "annual_plan_wan": yi_to_wan(plan),
                          "completed_month_wan": None, "completed_ytd_wan": yi_to_wan(ytd), "stage": stage,
                          "image_progress": "主体施工", "problems": None, "problem_owner": None}
                         for project, (plan, ytd, stage) in reports.items()], schema=REPORTS_SCHEMA)
    save_reports(engine, rows, actor=actor, import_meta={"file_name": f"{month}.xlsx", "sha256": "-"})
