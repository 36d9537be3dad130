"""贸易摩擦 on the web: the trade remedy cases with the city's exposure and the country risk table
ranked (/trade), the same as JSON (/api/v1/warning/trade), and the uploads of the case register
and the country risk table for scripts.

Reading needs ``view_warnings``, the uploads ``import_warning_data``. The page shows figures
only (counts and sums, no enterprise named), so every viewer of early-warning data sees it whole.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse

from ..access import User
from ..io.trade_import import read_country_risk, read_remedies
from ..store.market_tables import COUNTRY_RISK, REMEDIES, plan_import
from ..trade_board import import_country_risk, import_remedies, trade_view
from ..warning.trade_catalog import load_trade_catalog
from .errors import responses
from .market import upload_import, warning_importer
from .pages import render
from .security import current_user, platform, require
from .warning_uploads import add_upload_routes, upload_card

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/warning", tags=["预警监测 warning"])
router = APIRouter()


def _city_wide(rows) -> pl.Series:
    """A city-wide table has no org unit: for a county analyst's upload it lies outside (refused)."""
    return pl.Series([None], dtype=pl.String)


def _view(request: Request, user: User) -> dict:
    require(user, "view_warnings")
    return trade_view(platform(request).engine, load_trade_catalog())


@api.get("/trade")
def trade_api(request: Request, user: User = Depends(current_user)) -> dict:
    """The trade remedy cases, newest first, each with the enterprises involved and their exports
    and the city's sampled exporters of its HS chapter (how many sell mainly to the case's
    country, their orders in hand, in US dollars); and the country risk table, highest risk first."""
    return _view(request, user)


@api.post("/trade/remedies/imports", responses=responses(400, 413, 503))
def remedies_import_api(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 贸易救济案件"),
                        dry_run: bool = False, user: User = Depends(warning_importer)) -> dict:
    """Validate a case register and store it, all or nothing; then raise a warning for each case
    opened in the window on a product the city's sample exports. The file is not kept."""
    p, trade = platform(request), load_trade_catalog()
    return upload_import(
        request, user, file, dry_run, kind="remedies", org_units=_city_wide,
        read=lambda path, limits, name: read_remedies(path, p.catalog, trade, limits=limits, shown_name=name),
        plan=lambda rows: plan_import(p.engine, REMEDIES, rows),
        save=lambda rows, name, sha: import_remedies(p.engine, rows, trade, actor=user, file_name=name, sha256=sha,
                                                     today=date.today()))


@api.post("/trade/country-risk/imports", responses=responses(400, 413, 503))
def country_risk_import_api(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 国别风险表"),
                            dry_run: bool = False, user: User = Depends(warning_importer)) -> dict:
    """Validate the country risk table and store it, all or nothing. The file is not kept."""
    p, trade = platform(request), load_trade_catalog()
    return upload_import(
        request, user, file, dry_run, kind="country_risk", org_units=_city_wide,
        read=lambda path, limits, name: read_country_risk(path, p.catalog, trade, limits=limits, shown_name=name),
        plan=lambda rows: plan_import(p.engine, COUNTRY_RISK, rows),
        save=lambda rows, name, sha: import_country_risk(p.engine, rows, actor=user, file_name=name, sha256=sha))


def usd_wan(usd: int | None) -> str:
    """Integer US dollars as 万美元 with one decimal ("—" when none)."""
    return "—" if usd is None else f"{usd / 10_000:,.1f}"


def _page(request: Request, user: User, extra: dict | None = None, status: int = 200) -> HTMLResponse:
    trade = load_trade_catalog()
    uploads = [upload_card(user, request, kind, base, city_wide=True) for kind, base in TRADE_UPLOADS.items()]
    return HTMLResponse(render(request, "trade.html", {
        "user": user, "view": _view(request, user), "usd_wan": usd_wan, "window": trade.settings.open_window_days,
        "citation": trade.citations.get("response", ""), "outward": trade.citations.get("outward", ""),
        "uploads": uploads, **(extra or {})}), status)


@pages.get("/trade", response_class=HTMLResponse)
def trade_page(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    return _page(request, user)


# The two city-wide tables' forms (a county analyst is refused them, as by the API).
TRADE_UPLOADS = {"remedies": "/trade/remedies", "country_risk": "/trade/country-risk"}
for _kind, _base in TRADE_UPLOADS.items():
    add_upload_routes(pages, _base, _kind, lambda request, user, extra, status: _page(request, user, extra, status),
                      city_wide=True)


router.include_router(pages)
router.include_router(api)
