"""订单+清单 pages: the roll-up of the sample (/orders: by warning point, county, industry or
market, month by month, the problems most reported, with a chart), an enterprise's months with
its seasonal band (/orders/{uscc}), the enterprise's own monthly report typed on that page, and
the orders file's template and upload for the bureau.

Reads need ``view_warnings`` (a warning point sees its sample, a county analyst its county's
enterprises); an enterprise (``report_orders``) sees and reports only its own months. An
enterprise outside the scope answers exactly as a missing one (404). The figures come from
``orders_board``, the functions the CLI prints; a typed report goes through the orders file's
own checks (``io.orders_import``) and the same store call as a file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from ..access import User, can, filter_visible
from ..io.actuals_import import ImportRejected
from ..io.actuals_import import Problem as FileProblem
from ..io.orders_import import FIELDS, read_orders
from ..io.orders_template import write_orders_template
from ..orders_board import import_orders, order_history, order_rollups
from ..store.order_tables import plan_orders_import
from ..warning.catalog import OrdersCatalog, load_orders_catalog
from ..warning.orders import ORDER_SCHEMA, ROLLUP_BY
from .award_views import XLSX, temporary_download
from .order_views import history_view, rollup_view
from .pages import render
from .params import USCC_IN_PATH
from .security import check_csrf, current_user, platform, require, scope
from .upload_files import checked_one_step

router = APIRouter(include_in_schema=False)
MISSING = "没有这家企业的订单报表"
# Who raises the warnings of a month an enterprise typed in (it may not raise warnings itself).
PAGE_RAISER = "订单+清单企业填报"


def _orders() -> OrdersCatalog:
    return load_orders_catalog()


def _rollup_page(request: Request, user: User, by: str, month: str | None, extra: dict | None = None,
                 status: int = 200) -> HTMLResponse:
    p = platform(request)
    found = order_rollups(p.engine, _orders(), by, scope=scope(request, user))
    view = rollup_view(found, month, _orders(), p.catalog.org_unit_names())
    return HTMLResponse(render(request, "orders.html", {
        "user": user, **view, "choices": ROLLUP_BY, "citation": _orders().citations.get("system", ""),
        "can_import": can(user, "import_warning_data"), **(extra or {})}), status)


@router.get("/orders", response_class=HTMLResponse)
def orders_page(request: Request, by: str = "warning_point", month: str | None = None,
                user: User = Depends(current_user)) -> HTMLResponse:
    """The sample's roll-up of a month (default: the newest) by ``by``; an unknown ``by`` shows
    the warning points, an unknown month the newest. An enterprise gets its own months here (its
    menu links to /orders, so that no page carries its code in a link)."""
    if not can(user, "view_warnings") and can(user, "report_orders") and user.uscc:
        return _history_page(request, user, user.uscc)
    require(user, "view_warnings")
    return _rollup_page(request, user, by if by in ROLLUP_BY else "warning_point", month)


def _may_read_orders(user: User) -> None:
    # Early-warning readers, and an enterprise for its own months (its scope keeps it to them).
    if not (can(user, "view_warnings") or can(user, "report_orders")):
        require(user, "view_warnings")


def _history_page(request: Request, user: User, uscc: str, extra: dict | None = None,
                  status: int = 200) -> HTMLResponse:
    _may_read_orders(user)
    # Checked after the role, so that a role that may not read orders is refused alike for any code.
    if not USCC_IN_PATH.fullmatch(uscc):
        raise HTTPException(404, MISSING)
    p = platform(request)
    history = order_history(p.engine, _orders(), uscc, scope=scope(request, user))
    mine = user.uscc == uscc and can(user, "report_orders")
    if history is None and not mine:
        raise HTTPException(404, MISSING)
    view = history_view(history, _orders(), p.catalog.org_unit_names()) if history else {
        "name": user.display_name, "uscc": uscc, "rows": [], "charts": {}}
    return HTMLResponse(render(request, "order_history.html", {
        "user": user, **view, "can_report": mine, "markets": _orders().markets, "problem_names": _orders().problems,
        "this_month": date.today().strftime("%Y-%m"), **(extra or {})}), status)


@router.get("/orders/template.xlsx")
def template_download(request: Request, sample: bool = False, user: User = Depends(current_user)) -> FileResponse:
    """The orders file's template (``sample=true``: the sample months), for those who import."""
    require(user, "import_warning_data")
    catalog = platform(request).catalog
    return temporary_download(lambda path: write_orders_template(path, catalog, _orders(), sample=sample),
                              "订单清单示例.xlsx" if sample else "订单清单导入模板.xlsx", XLSX)


def _outside(request: Request, user: User, parsed) -> list[str]:
    """The file's enterprises outside a county analyst's org units (by the file's roster; one
    the file places nowhere is outside too)."""
    visible = scope(request, user)
    if visible.org_units is None:
        return []
    usccs = parsed.orders.select("uscc").unique()
    placed = usccs.join(parsed.roster.select("uscc", "org_unit"), on="uscc", how="left")
    return sorted(set(usccs["uscc"]) - set(filter_visible(placed, visible)["uscc"]))


def _checked_upload(request: Request, user: User, file: UploadFile):
    """(parsed, name, sha, problems) of the orders upload: ``checked_one_step`` with the orders
    file's reader and the county analyst's limit."""
    p = platform(request)

    def read(path: Path, name: str):
        return read_orders(path, p.catalog, _orders(), limits=p.settings.uploads.actuals_sheet, shown_name=name)

    return checked_one_step(request, user, file, prefix="orders-", kind="orders", read=read,
                            outside=lambda parsed: _outside(request, user, parsed), noun="企业", counter="家")


@router.post("/orders/import", response_class=HTMLResponse)
def import_page(request: Request, file: UploadFile | None = File(None), csrf: str = Form(""),
                dry_run: str = Form(""), user: User = Depends(current_user)) -> HTMLResponse:
    """上传并导入: the orders file checked whole and stored (its newest month's warnings raised),
    or the report of every problem by sheet, row, column and reason (nothing stored). With
    ``dry_run`` ticked (只校验不导入) an accepted file is only counted: what importing it would
    add, change and leave, nothing stored."""
    # The file is optional in the signature so that the role is checked before anything else.
    require(user, "import_warning_data")
    check_csrf(request, csrf)
    parsed, name, sha, problems = _checked_upload(request, user, file) if file else (None, None, None, [])
    if name is None:
        shown = Path(file.filename or "").name if file else "未选择文件"
        return _rollup_page(request, user, "warning_point", None, {"error": f"只接受 CSV 或 XLSX 文件：{shown}"}, 400)
    if parsed is None:
        return _rollup_page(request, user, "warning_point", None, {"problems": problems, "file_name": name}, 422)
    if dry_run:
        planned = plan_orders_import(platform(request).engine, parsed.orders)
        return _rollup_page(request, user, "warning_point", None, {"checked": planned.counts(), "file_name": name})
    stored, raised = import_orders(platform(request).engine, parsed, _orders(), actor=user, file_name=name,
                                   sha256=sha, today=date.today())
    return _rollup_page(request, user, "warning_point", None,
                        {"done": stored.counts(), "raised": raised, "file_name": name})


@router.get("/orders/{uscc}", response_class=HTMLResponse)
def history_page(request: Request, uscc: str, user: User = Depends(current_user)) -> HTMLResponse:
    """An enterprise's months: figures, problems, findings and the seasonal band."""
    return _history_page(request, user, uscc)


FORM_FIELDS = [c for c in ORDER_SCHEMA if c != "uscc"]


def _typed_file(uscc: str, fields: dict[str, str]) -> bytes:
    """The typed report as a one-row orders file (the contract's columns), so that it passes
    exactly the checks a file's row does."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(ORDER_SCHEMA))
    writer.writerow([uscc, *(fields.get(c, "").strip() for c in FORM_FIELDS)])
    return out.getvalue().encode("utf-8")


@router.post("/orders/{uscc}/reports", response_class=HTMLResponse)
async def report_form(request: Request, uscc: str, user: User = Depends(current_user)):
    """The enterprise's own month, typed on its page: checked as a file's row, stored as a
    one-row import (a month reported again is a new version), its month's warnings raised."""
    require(user, "report_orders")
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    if user.uscc != uscc or not USCC_IN_PATH.fullmatch(uscc):
        raise HTTPException(404, MISSING)
    problems_ticked = [str(v) for v in form.getlist("problems") if str(v) in _orders().problems]
    fields = {c: str(form.get(c) or "")[:100] for c in FORM_FIELDS if c != "problems"}
    fields["problems"] = ";".join(problems_ticked)
    content = _typed_file(uscc, fields)
    return await _store_typed(request, user, uscc, content, fields)


async def _store_typed(request: Request, user: User, uscc: str, content: bytes, fields: dict):
    from starlette.concurrency import run_in_threadpool

    def work():
        p = platform(request)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "网页填报.csv"
            path.write_bytes(content)
            try:
                parsed = read_orders(path, p.catalog, _orders(), shown_name="网页填报")
            except ImportRejected as exc:
                # Named as the form names them: the field's label, not a sheet's row.
                return [FileProblem("本月报表", 0, FIELDS.get(pr.column, (pr.column,))[0], pr.reason)
                        for pr in exc.problems]
        import_orders(p.engine, parsed, _orders(), actor=user, file_name="网页填报",
                      sha256=hashlib.sha256(content).hexdigest(), today=date.today(), raiser=PAGE_RAISER)
        return None

    problems = await run_in_threadpool(work)
    if problems:
        return _history_page(request, user, uscc, {"problems": problems, "file_name": "本月报表", "typed": fields,
                                                   "refused_title": "报表未提交，请按下列原因修改后重新提交"}, 422)
    return RedirectResponse(f"/orders/{uscc}#months", status_code=303)

