"""应急保供 on the web: the printable supply status sheet (/supply), the same as JSON
(/api/v1/warning/supply), and the report file's upload for scripts
(POST /api/v1/warning/supply/imports).

Reading needs ``view_warnings``, the upload ``import_warning_data``. What a user sees is its
scope: a county analyst its county's outlets; a role limited to its own units sees none.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from ..access import User
from ..fdi_board import share
from ..io.supply_import import read_supply
from ..store.market_tables import SUPPLY, plan_import
from ..supply_board import import_supply, supply_sheet
from ..warning.supply_catalog import load_supply_catalog
from .errors import responses
from .market import upload_import, warning_importer
from .pages import render
from .security import current_user, platform, require, scope
from .warning_uploads import add_upload_routes, upload_card

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/warning", tags=["预警监测 warning"])
router = APIRouter()

AsOf = Annotated[date | None, Query(description="Review date (default: the newest report stored).")]


def _sheet(request: Request, user: User, as_of: date | None) -> dict:
    require(user, "view_warnings")
    p = platform(request)
    return supply_sheet(p.engine, scope(request, user), p.catalog, load_supply_catalog(), as_of=as_of)


@api.get("/supply")
def supply_api(request: Request, as_of: AsOf = None, user: User = Depends(current_user)) -> dict:
    """The supply status seen from ``as_of``: each outlet and key good the user's scope sees with
    its latest report, days of cover against the good's floor, the 4-week median price and the
    jump (levels null when fine), and the totals per org unit and good. Prices in integer fen."""
    return _sheet(request, user, as_of)


@api.post("/supply/imports", responses=responses(400, 413, 503))
def import_api(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 应急保供物资报表"),
               dry_run: bool = False, user: User = Depends(warning_importer)) -> dict:
    """Validate a supply report file and store it, all or nothing; then raise the supply
    warnings seen from the file's newest report date (``warnings``: new and raised before). A
    county analyst's file must hold only its county's outlets. The file is not kept."""
    p, supply = platform(request), load_supply_catalog()
    return upload_import(
        request, user, file, dry_run, kind="supply",
        read=lambda path, limits, name: read_supply(path, p.catalog, supply, limits=limits, shown_name=name),
        plan=lambda rows: plan_import(p.engine, SUPPLY, rows),
        save=lambda rows, name, sha: import_supply(p.engine, rows, p.catalog, supply, actor=user, file_name=name,
                                                   sha256=sha, today=date.today()))


def yuan(fen: float | int | None) -> str:
    """A price in fen as 元 with two decimals ("—" when there is none)."""
    return "—" if fen is None else f"{round(fen) / 100:,.2f}"


def _page(request: Request, user: User, as_of: date | None, extra: dict | None = None,
          status: int = 200) -> HTMLResponse:
    sheet = _sheet(request, user, as_of)
    supply = load_supply_catalog()
    return HTMLResponse(render(request, "supply.html", {
        "user": user, "sheet": sheet, "yuan": yuan, "share": share, "settings": supply.settings,
        "citation": supply.citations.get("mechanism", ""), "uploads": [upload_card(user, request, "supply", "/supply")],
        **(extra or {})}), status)


@pages.get("/supply", response_class=HTMLResponse)
def supply_page(request: Request, as_of: AsOf = None, user: User = Depends(current_user)) -> HTMLResponse:
    return _page(request, user, as_of)


add_upload_routes(pages, "/supply", "supply", lambda request, user, extra, status: _page(request, user, None, extra, status))


router.include_router(pages)
router.include_router(api)
