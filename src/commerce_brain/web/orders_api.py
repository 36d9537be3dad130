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

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile

from ..access import User, can
from ..io.orders_import import read_orders
from ..orders_board import import_orders, order_history, order_rollups, scan_stored
from ..store.order_tables import plan_orders_import
from ..warning.catalog import OrdersCatalog, load_orders_catalog
from ..warning.orders import ROLLUP_BY
from ..warning.scan import CONTRACT_KEYS
from .errors import responses
from .market import upload_import, warning_importer
from .security import current_user, platform, require, scope

api = APIRouter(prefix="/api/v1/warning", tags=["预警监测 early warning"])
MISSING = "没有这家企业的订单数据"
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


@api.post("/orders/imports", responses=responses(400, 413, 503))
def import_api(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 订单+清单月度报表"),
               dry_run: bool = False, user: User = Depends(warning_importer)) -> dict:
    """Validate an orders file and store it, all or nothing (a month imported again is a new
    version); then raise the warnings of its latest month (``warnings``: new, raised before). A
    county analyst's file must hold only its county's enterprises (by the file's county or its
    warning point's). Parsed in a worker thread within the upload limits of 数据导入; the file is
    not kept."""
    p = platform(request)
    return upload_import(
        request, user, file, dry_run, kind="orders",
        read=lambda path, limits, name: read_orders(path, p.catalog, _orders(), limits=limits, shown_name=name),
        org_units=lambda parsed: parsed.roster["org_unit"],
        plan=lambda parsed: plan_orders_import(p.engine, parsed.orders),
        # The warnings are raised by the platform on the stored figures, not by the importer's hand.
        save=lambda parsed, name, sha: import_orders(p.engine, parsed, _orders(), actor=user, file_name=name,
                                                     sha256=sha, today=date.today(),
                                                     raiser=f"orders-import:{user.username}"))
