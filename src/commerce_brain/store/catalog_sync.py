"""Write the catalog into the database, replacing the previous snapshot in one transaction."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert

from ..catalog import Catalog
from .schema import indicators, org_units, plans


def sync_catalog(engine: Engine, catalog: Catalog) -> int:
    """Replace the stored plans, indicators and org units with the catalog's; returns the
    number of indicators written."""
    frame = catalog.indicators_frame()
    indicator_rows = frame.select(
        "plan", frame["indicator"].alias("id"), "name_zh", "name_en", "unit", "base_year",
        "base_value", "target_year", "target_value", "target_text", "stated_growth",
        "growth_kind", "attribute", "direction", "citation",
    ).to_dicts()
    with engine.begin() as conn:
        conn.execute(delete(indicators))
        conn.execute(delete(plans))
        conn.execute(delete(org_units))
        conn.execute(insert(org_units), [
            {"code": u.code, "name_zh": u.name_zh, "name_en": u.name_en, "parent": u.parent,
             "kind": u.kind} for u in catalog.org_units
        ])
        conn.execute(insert(plans), [
            {"id": p.id, "title": p.title, "doc_number": p.doc_number, "period_start": p.period[0],
             "period_end": p.period[1], "org_unit": p.org_unit, "source": p.source}
            for p in catalog.plans
        ])
        conn.execute(insert(indicators), indicator_rows)
    return len(indicator_rows)
