"""贸易摩擦 as the CLI and the web show it: the stored case register against the stored 订单+清单
sample (``warning.trade``), the country risk table ranked, and the warnings raised."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine

from .followup import Raised, raise_warnings
from .store.market_tables import COUNTRY_RISK, REMEDIES, MarketImport, save_import, stored
from .store.order_tables import stored_orders
from .warning.trade import case_exposure, ranked_countries, remedy_warnings
from .warning.trade_catalog import TradeCatalog


def _newest_case(cases: pl.DataFrame) -> date | None:
    return cases["opened_on"].max() if cases.height else None


def import_remedies(engine: Engine, rows: pl.DataFrame, trade: TradeCatalog, *, actor, file_name: str,
                    sha256: str, today: date) -> tuple[MarketImport, Raised]:
    """Store an accepted case register, then raise a warning for each case opened in the window
    before the newest stored case whose product the stored sample exports (once per case)."""
    saved = save_import(engine, REMEDIES, rows, actor=actor, file_name=file_name, sha256=sha256)
    cases = stored(engine, REMEDIES)
    as_of = _newest_case(cases)
    orders, _ = stored_orders(engine)
    return saved, raise_warnings(engine, remedy_warnings(case_exposure(cases, orders, as_of), trade, as_of, today),
                                 actor=actor)


def import_country_risk(engine: Engine, rows: pl.DataFrame, *, actor, file_name: str,
                        sha256: str) -> tuple[MarketImport, Raised]:
    """Store an accepted country risk table (it raises no warning: the table is the bureau's own)."""
    return save_import(engine, COUNTRY_RISK, rows, actor=actor, file_name=file_name, sha256=sha256), Raised(0, 0)


def trade_view(engine: Engine, trade: TradeCatalog) -> dict:
    """The cases (each with its exposure as of the newest case; Chinese names), newest first, and
    the country risk table ranked. Figures only — no enterprise is named, so every viewer of
    early-warning data may see it."""
    cases = stored(engine, REMEDIES)
    as_of = _newest_case(cases)
    orders, _ = stored_orders(engine)
    exposure = case_exposure(cases, orders, as_of) if as_of else pl.DataFrame()
    named = [{**r, "country_zh": trade.countries.get(r["country"], "其他"),
              "kind_zh": trade.remedy_kinds.get(r["kind"], "贸易救济")} for r in exposure.to_dicts()]
    return {"as_of": as_of, "cases": named, "countries": ranked_countries(stored(engine, COUNTRY_RISK), trade).to_dicts()}
