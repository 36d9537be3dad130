"""消费市场监测 on the web: the market dashboard (/market) and the same as JSON
(/api/v1/warning/market).

Both need ``view_warnings``. What a user sees is its scope: a county analyst its county's series;
a role limited to its own units (a warning point, a project's unit) sees no market series. A
month that is not stored answers an empty dashboard; a malformed one 422. The figures come from
``market_board``, the functions the CLI prints.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse

from ..access import User
from ..fdi_board import share
from ..followup.raising import is_period
from ..io.actuals_import import ImportRejected
from ..io.retail_import import read_retail
from ..market_board import growth_chart, import_retail, market_view, wan_yuan
from ..store.market_tables import plan_retail_import
from ..warning.market_catalog import load_market_catalog
from .awards_api import check_api_write
from .errors import ErrorBody, responses
from .imports_api import _refusal
from .pages import render
from .security import current_user, platform, require, scope
from .upload_files import discard_rejected, parse_turn, store_upload, upload_dir
from .warning_uploads import add_upload_routes, upload_card

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/warning", tags=["预警监测 warning"])
router = APIRouter()

SUFFIXES = (".csv", ".xlsx")
Period = Annotated[str | None, Query(max_length=7, description="Month YYYY-MM (default: the newest stored).")]


def _view(request: Request, user: User, period: str | None) -> dict:
    require(user, "view_warnings")
    if period is not None and not is_period(period):
        raise HTTPException(422, f"月份应写作 2024-06 的形式，实为“{period}”")
    p = platform(request)
    return market_view(p.engine, scope(request, user), p.catalog, load_market_catalog(), period=period)


@api.get("/market")
def market_api(request: Request, period: Period = None, user: User = Depends(current_user)) -> dict:
    """The consumer market of one month: every series the user's scope sees with its month, 累计
    (year to date), 累计同比 and 环比, and for the plan-linked totals (社会消费品零售总额, 网络零售额)
    the year's target, the growth it needs, what the rest of the year needs and ``behind_pace``.
    Amounts in integer fen, growth as fractions."""
    return _view(request, user, period)


def warning_importer(request: Request, user: User = Depends(current_user)) -> User:
    """The signed-in user, refused (403) unless the role imports early-warning data: before the
    upload is read."""
    require(user, "import_warning_data")
    check_api_write(request)
    return user


def upload_import(request: Request, user: User, file: UploadFile, dry_run: bool, *, kind: str, read, plan,
                  save, org_units=lambda rows: rows["org_unit"]) -> dict | JSONResponse:
    """One early-warning upload, all or nothing: ``read(path, limits, shown_name)`` parses it in
    a worker's parse turn (refused: 422 with every problem, the file deleted and the refusal
    audited), a county analyst's file must hold only its own org units (``org_units(rows)``: the
    file's, as a Series; null counts as outside), then ``plan(rows)`` on a dry run or
    ``save(rows, name, sha)`` → (import, raised). The file is never kept."""
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return JSONResponse(ErrorBody(detail=f"只接受 CSV 或 XLSX 文件：{name}").model_dump(), status_code=400)
    p = platform(request)
    sha, path = store_upload(file, upload_dir(request), f"{kind}-", suffix)
    try:
        try:
            with parse_turn(request):
                rows = read(path, p.settings.uploads.actuals_sheet, name)
        except ImportRejected as exc:
            discard_rejected(request, user, path, kind=kind, name=name, sha=sha, problems=exc.problems)
            return _refusal(422, f"文件被整体退回，未导入任何数据：{name}（{len(exc.problems)} 个问题）", exc.problems)
        units = scope(request, user).org_units
        if units is not None and not org_units(rows).is_in(sorted(units)).fill_null(False).all():
            discard_rejected(request, user, path, kind=kind, name=name, sha=sha, problems=["含管辖范围以外的地区"])
            return JSONResponse(ErrorBody(detail="文件被整体退回：含本账户管辖范围以外的地区（全市数据须由市级账户导入）")
                                .model_dump(), status_code=422)
        raised = None
        if dry_run:
            result = plan(rows)
        else:
            result, raised = save(rows, name, sha)
    finally:
        path.unlink(missing_ok=True)  # checked and stored in one call: nothing is kept
    return {"file": name, "dry_run": dry_run, **result.counts(), "import_id": result.import_id,
            "warnings": {"new": raised.new, "unchanged": raised.unchanged} if raised else None}


@api.post("/market/imports", responses=responses(400, 413, 503))
def import_api(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 月度零售额文件"),
               dry_run: bool = False, user: User = Depends(warning_importer)) -> dict:
    """Validate a monthly retail sales file and store it, all or nothing (a changed figure is
    stored again, the earlier kept); then raise the market warnings of the file's newest month
    (``warnings``: how many are new, how many were raised before). A county analyst's file must
    hold only its county's series. Parsed in a worker thread within the upload limits of 数据导入;
    the file is not kept."""
    p, market = platform(request), load_market_catalog()
    return upload_import(
        request, user, file, dry_run, kind="retail",
        read=lambda path, limits, name: read_retail(path, p.catalog, market, limits=limits, shown_name=name),
        plan=lambda rows: plan_retail_import(p.engine, rows),
        save=lambda rows, name, sha: import_retail(p.engine, rows, p.catalog, market, actor=user, file_name=name,
                                                   sha256=sha, today=date.today()))


def _page(request: Request, user: User, period: str | None, extra: dict | None = None,
          status: int = 200) -> HTMLResponse:
    view = _view(request, user, period)
    market = load_market_catalog()
    return HTMLResponse(render(request, "market.html", {
        "user": user, "view": view, "wan": wan_yuan, "share": share, "citation": market.citations.get("system", ""),
        "charts": {"growth": growth_chart(view)}, "uploads": [upload_card(user, request, "retail", "/market")],
        **(extra or {})}), status)


@pages.get("/market", response_class=HTMLResponse)
def market_page(request: Request, period: Period = None, user: User = Depends(current_user)) -> HTMLResponse:
    return _page(request, user, period)


add_upload_routes(pages, "/market", "retail", lambda request, user, extra, status: _page(request, user, None, extra, status))


router.include_router(pages)
router.include_router(api)
