"""应急保供 as the CLI and the web show it: the stored supply reports through the pure engine
(``warning.supply``) with the names people read, and the warnings raised."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine

from .access import Scope
from .catalog import Catalog
from .followup import Raised, raise_warnings
from .store.market_tables import SUPPLY, MarketImport, save_import, stored
from .warning.supply import STATUS_COLUMNS, supply_status, supply_totals, supply_warnings
from .warning.supply_catalog import SupplyCatalog


def supply_warning_rows(catalog: Catalog, supply: SupplyCatalog, reports: pl.DataFrame, as_of: date,
                        today: date | None = None) -> pl.DataFrame:
    """The supply warnings of ``reports`` seen from ``as_of``, raised ``today`` (the WARNING ROW SHAPE)."""
    names = {u.code: u.name_zh for u in catalog.org_units}
    return supply_warnings(supply_status(reports, supply, as_of), supply, names, as_of, today)


def import_supply(engine: Engine, rows: pl.DataFrame, catalog: Catalog, supply: SupplyCatalog, *, actor,
                  file_name: str, sha256: str, today: date) -> tuple[MarketImport, Raised]:
    """Store an accepted supply file, then raise the warnings seen from the file's newest report
    date over everything stored (one per outlet, good and month: importing again raises nothing
    new)."""
    saved = save_import(engine, SUPPLY, rows, actor=actor, file_name=file_name, sha256=sha256)
    as_of = rows["report_date"].max()
    warnings = supply_warning_rows(catalog, supply, stored(engine, SUPPLY), as_of, today)
    return saved, raise_warnings(engine, warnings, actor=actor)


def supply_sheet(engine: Engine, scope: Scope, catalog: Catalog, supply: SupplyCatalog, *,
                 as_of: date | None = None) -> dict:
    """The supply status sheet seen from ``as_of`` (the newest report date stored when None):
    ``as_of``, ``outlets`` (each outlet and good the scope sees: latest report, days of cover and
    its level, the 4-week median price, the jump and its level; prices in integer fen),
    ``totals`` (per org unit and good) and the goods list with their floors."""
    reports = stored(engine, SUPPLY, scope=scope)
    if as_of is None:
        as_of = reports["report_date"].max() if reports.height else None
    goods = supply.goods.to_dicts()
    if as_of is None:
        return {"as_of": None, "outlets": [], "totals": [], "goods": goods}
    status = supply_status(reports, supply, as_of)
    names = catalog.org_unit_names()
    named = lambda rows: [{**r, "org_unit_name": names.get(r["org_unit"], r["org_unit"])} for r in rows]  # noqa: E731
    return {"as_of": as_of, "outlets": named(status.select(STATUS_COLUMNS).to_dicts()),
            "totals": named(supply_totals(status).to_dicts()), "goods": goods}
