"""订单+清单 under /api/v1/warning: a month's scan (the ``warning scan`` contract), an enterprise's
order history with its seasonal band, the roll-ups, and the orders file's upload for scripts
(POST /api/v1/warning/orders/imports).

Reading needs ``view_warnings``; an enterprise (``report_orders``) may read its own history only.
What a user sees is its scope: a warning point its sample, a county analyst its county's
enterprises; an enterprise outside the scope answers exactly as a missing one (404). The upload
needs ``import_warning_data``; a county analyst's file must hold only its county's enterprises.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from ..access import Scope, User, can, filter_visible
from ..io.actuals_import import ImportRejected
from ..io.actuals_import import Problem as FileProblem
from ..io.orders_import import read_orders
from ..orders_board import import_orders, order_history, order_rollups, scan_stored
from ..store.order_tables import plan_orders_import
from ..warning.catalog import OrdersCatalog, load_orders_catalog
from ..warning.orders import ROLLUP_BY
from ..warning.scan import CONTRACT_KEYS
from .awards_api import check_api_write
from .errors import ErrorBody, responses
from .imports_api import _refusal
from .security import current_user, platform, require, scope
from .upload_files import ImportsBusy, discard_rejected, parse_turn, store_upload, upload_dir

api = APIRouter(prefix="/api/v1/warning", tags=["预警监测 early warning"])
MISSING = "没有这家企业的订单数据"
SUFFIXES = (".csv", ".xlsx")
Month = Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="The month, YYYY-MM.")


def _orders() -> OrdersCatalog:
    return load_orders_catalog()


@api.get("/scan")
def scan_api(request: Request, month: str = Month, user: User = Depends(current_user)) -> list[dict]:
    """One row per open 订单+清单 warning of ``month`` over the stored orders the user may see:
    ``uscc, detector, level, message, owner, status`` (the `warning scan` contract)."""
    require(user, "view_warnings")
    rows = scan_stored(platform(request).engine, _orders(), month, scope=scope(request, user))
    return [{k: r[k] for k in CONTRACT_KEYS} for r in rows]


@api.get("/orders/rollup")
def rollup_api(request: Request, by: str = Query("warning_point", description="warning_point, org_unit, "
                                                 "industry or market."),
               user: User = Depends(current_user)) -> dict:
    """Month by month per group: enterprises sampled, at risk, orders in hand and the share at
    risk; and the problems of the 清单 most reported."""
    require(user, "view_warnings")
    if by not in ROLLUP_BY:
        raise HTTPException(422, "分组方式无效；可选：" + "、".join(f"{k}（{v}）" for k, v in ROLLUP_BY.items()))
    return order_rollups(platform(request).engine, _orders(), by, scope=scope(request, user))


@api.get("/orders/{uscc}", responses=responses(404))
def history_api(request: Request, uscc: str, user: User = Depends(current_user)) -> dict:
    """One enterprise's months: new orders, orders in hand, expected exports, the seasonal band
    (``season_median``, ``season_low``) and the findings; its warning point, county, industry."""
    if not can(user, "view_warnings") and not (can(user, "report_orders") and user.uscc == uscc):
        require(user, "view_warnings")  # refused: 403, the same for any code
    found = order_history(platform(request).engine, _orders(), uscc, scope=scope(request, user))
    if found is None:
        raise HTTPException(404, MISSING)
    return found


def orders_importer(request: Request, user: User = Depends(current_user)) -> User:
    """The signed-in user, refused (403) unless the role imports warning data: before the upload is read."""
    require(user, "import_warning_data")
    check_api_write(request)
    return user


def _checked_upload(request: Request, user: User, file: UploadFile):
    """(parsed, name, sha, problems): the upload parsed in a parse turn and within the user's
    scope, or the problems after the refused file was deleted and audited; name None when the
    file is neither CSV nor XLSX."""
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return None, None, None, []
    p = platform(request)
    sha, path = store_upload(file, upload_dir(request), "orders-api-", suffix)
    try:
        with parse_turn(request):
            parsed = read_orders(path, p.catalog, _orders(), limits=p.settings.uploads.actuals_sheet, shown_name=name)
        outside = _outside(scope(request, user), parsed)
        problems = [FileProblem(name, 0, "", "含本账户管辖范围以外的企业：" + "、".join(outside[:20])
                                + (f" 等 {len(outside)} 家" if len(outside) > 20 else ""))] if outside else []
    except ImportRejected as exc:
        parsed, problems = None, exc.problems
    except ImportsBusy:
        path.unlink(missing_ok=True)  # not checked, so not kept: the user uploads it again
        raise
    if problems:
        discard_rejected(request, user, path, kind="orders", name=name, sha=sha, problems=problems)
        return None, name, sha, problems
    path.unlink(missing_ok=True)  # checked and stored in this request: nothing is kept
    return parsed, name, sha, []


def _outside(user_scope: Scope, parsed) -> list[str]:
    """The enterprises of the file outside a county analyst's county (by the file's county or its
    warning point's); none for a city-wide user."""
    if user_scope.org_units is None:
        return []
    roster = parsed.roster
    return sorted(set(roster["uscc"]) - set(filter_visible(roster, user_scope)["uscc"]))


@api.post("/orders/imports", responses=responses(400, 413, 503))
def import_api(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 订单+清单月度报表"),
               dry_run: bool = False, user: User = Depends(orders_importer)) -> dict:
    """Validate an orders file and store it, all or nothing (a month imported again is a new
    version); then raise the warnings of its latest month (``warnings``: new, raised before).
    Parsed in a worker thread within the upload limits of 数据导入; the file is not kept."""
    parsed, name, sha, problems = _checked_upload(request, user, file)
    if name is None:
        return JSONResponse(ErrorBody(detail=f"只接受 CSV 或 XLSX 文件：{Path(file.filename or '').name}")
                            .model_dump(), status_code=400)
    if parsed is None:
        return _refusal(422, f"文件被整体退回，未导入任何数据：{name}（{len(problems)} 个问题）", problems)
    engine = platform(request).engine
    if dry_run:
        counts, raised = plan_orders_import(engine, parsed.orders).counts(), None
        import_id = None
    else:
        # The warnings are raised by the platform on the stored figures, not by the importer's hand.
        stored, raised = import_orders(engine, parsed, _orders(), actor=user, file_name=name, sha256=sha,
                                       today=date.today(), raiser=f"orders-import:{user.username}")
        counts, import_id = stored.counts(), stored.import_id
    return {"file": name, "dry_run": dry_run, **counts, "import_id": import_id,
            "warnings": {"new": raised.new, "unchanged": raised.unchanged} if raised else None}
