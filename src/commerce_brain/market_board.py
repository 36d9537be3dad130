"""消费市场监测 as the CLI and the web show it: the stored retail sales through the pure engine
(``warning.market``), with the plans' targets and the names people read, and the warnings raised.

The year's targets come from the plans' evaluation (``monitoring.evaluation_table``) over the
stored actuals, as ``plans pace`` reads them.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine

from .access import Scope
from .catalog import Catalog
from .followup import Raised, raise_warnings
from .monitoring import evaluation_table, gather_observations
from .store.market_tables import MarketImport, save_retail, stored_retail
from .warning.market import PACE_COLUMNS, market_pace, market_table, market_warnings
from .warning.market_catalog import MarketCatalog


def latest_month(retail: pl.DataFrame) -> tuple[int, int] | None:
    """The newest month of ``retail`` as (year, month), None when it is empty."""
    if retail.is_empty():
        return None
    newest = retail["period"].max()
    return int(newest[:4]), int(newest[5:7])


def _paced(engine: Engine | None, catalog: Catalog, market: MarketCatalog, retail: pl.DataFrame,
           year: int, month: int) -> pl.DataFrame:
    evaluation = evaluation_table(catalog, gather_observations(catalog, engine), year)
    return market_pace(retail, market_table(retail, year, month), catalog.indicators_frame(), evaluation, market)


def market_warning_rows(engine: Engine | None, catalog: Catalog, market: MarketCatalog, retail: pl.DataFrame,
                        year: int, month: int, *, today: date) -> pl.DataFrame:
    """The warnings of ``year``-``month`` over ``retail`` (the WARNING ROW SHAPE)."""
    names = {u.code: u.name_zh for u in catalog.org_units}
    return market_warnings(_paced(engine, catalog, market, retail, year, month), market, names, today)


def raise_market_warnings(engine: Engine, catalog: Catalog, market: MarketCatalog, *, year: int, month: int,
                          actor, today: date) -> Raised:
    """The market warnings of one month over the whole stored retail sales, raised."""
    rows = market_warning_rows(engine, catalog, market, stored_retail(engine), year, month, today=today)
    return raise_warnings(engine, rows, actor=actor)


def import_retail(engine: Engine, rows: pl.DataFrame, catalog: Catalog, market: MarketCatalog, *, actor,
                  file_name: str, sha256: str, today: date) -> tuple[MarketImport, Raised]:
    """Store an accepted retail file (``save_retail``), then raise the warnings of the file's
    newest month over everything stored (one per series and month: importing again raises
    nothing new)."""
    stored = save_retail(engine, rows, actor=actor, file_name=file_name, sha256=sha256)
    year, month = latest_month(rows)
    return stored, raise_market_warnings(engine, catalog, market, year=year, month=month, actor=actor, today=today)


def market_view(engine: Engine, scope: Scope, catalog: Catalog, market: MarketCatalog, *,
                period: str | None = None) -> dict:
    """The dashboard of one month (the newest stored when ``period`` is None): ``period``,
    ``periods`` (every stored month, newest first), ``series`` (one per series the scope sees:
    names, the month, 累计, 累计同比, 环比, and for the plan-linked totals the year's target, the
    growth it needs and what the rest of the year needs, ``behind_pace``) and ``trend`` (the
    city-level total and online 累计同比 month by month of the year). Amounts in integer fen,
    growth as fractions."""
    retail = stored_retail(engine, scope=scope)
    periods = sorted(set(retail["period"]), reverse=True)
    if period is None and periods:
        period = periods[0]
    if period is None:
        return {"period": None, "periods": [], "series": [], "trend": []}
    year, month = int(period[:4]), int(period[5:7])
    paced = _paced(engine, catalog, market, retail, year, month)
    names = catalog.org_unit_names()
    series = [{**r, "org_unit_name": names.get(r["org_unit"], r["org_unit"]),
               "kind_zh": market.kinds.get(r["series_kind"], "其他"),
               "series_zh": market.categories.get(r["series"], r["series"])}
              for r in paced.select(PACE_COLUMNS).iter_rows(named=True)]
    trend = []
    for m in range(1, month + 1):
        table = market_table(retail, year, m).filter(pl.col("series_kind").is_in(list(market.indicators)))
        for r in table.iter_rows(named=True):
            trend.append({"month": m, "org_unit": r["org_unit"], "series_kind": r["series_kind"],
                          "ytd_growth": r["ytd_growth"]})
    return {"period": period, "periods": periods, "series": series, "trend": trend}


def wan_yuan(fen: int | None) -> str:
    """Integer fen as 万元 with two decimals for people (1_234_567_890 → "1,234.57"; integer
    arithmetic, half up), "—" when there is none."""
    if fen is None:
        return "—"
    hundredths = (fen + 5_000) // 10_000
    whole, rest = divmod(hundredths, 100)
    return f"{whole:,}.{rest:02d}"


def growth_chart(view: dict) -> dict:
    """The dashboard's bar chart (``charts.js`` ``growth``): per plan-linked series, its 累计同比
    and the growth its year target needs, in percent."""
    linked = [s for s in view["series"] if s["annual_target_fen"] is not None]
    pct = lambda v: None if v is None else round(v * 100, 1)  # noqa: E731
    return {"units": [f"{s['org_unit_name']}{s['kind_zh']}" for s in linked],
            "series": [{"name": "累计同比", "colour": "#1f5fa8", "values": [pct(s["ytd_growth"]) for s in linked]},
                       {"name": "完成全年目标所需增速", "colour": "#b88a00",
                        "values": [pct(s["target_growth"]) for s in linked]}]}
