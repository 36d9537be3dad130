"""The browser upload forms of the consumer market (/market: ``retail``), emergency supply
(/supply: ``supply``) and trade frictions (/trade: ``remedies``, ``country_risk``): template and
sample downloads and a one-step 上传并导入 with its 只校验不导入 box.

Each form is the kind's registry entry (``warning.kinds``) behind ``checked_one_step``, the
helper the orders and FDI forms use: parsed in a parse turn, refused whole with every problem by
sheet, row, column and reason (the file deleted, the refusal audited), a county analyst's file
refused when it holds another county's rows, and a county analyst refused the city-wide trade
tables, as the API refuses them. Needs ``import_warning_data``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse

from ..access import User, can
from ..warning.kinds import KINDS
from .award_views import XLSX, temporary_download
from .security import check_csrf, current_user, platform, require, scope
from .upload_files import checked_one_step

# A page's renderer: (request, user, extra context, status) → the page with the result shown.
PageRenderer = Callable[[Request, User, dict, int], HTMLResponse]
CITY_WIDE = "全市（全市数据须由市级账户导入）"


def _outside_units(request: Request, user: User, rows) -> list[str]:
    """The org units of a file's rows (``org_unit``) outside a county analyst's, by name."""
    units = scope(request, user).org_units
    if units is None:
        return []
    names = platform(request).catalog.org_unit_names()
    others = rows.filter(~rows["org_unit"].is_in(sorted(units)).fill_null(False))["org_unit"].unique()
    return sorted(names.get(u, u or "未填地区") for u in others.to_list())


def _outside_city_wide(request: Request, user: User, rows) -> list[str]:
    """A city-wide table (no org unit) lies outside any county analyst's scope."""
    return [] if scope(request, user).org_units is None else [CITY_WIDE]


def upload_card(user: User, request: Request, kind: str, base: str, *, city_wide: bool = False) -> dict | None:
    """What a page's upload section shows for ``kind`` (its name, the form's action and the
    template links), or None when the user may not import it (the form is not shown)."""
    if not can(user, "import_warning_data") or (city_wide and scope(request, user).org_units is not None):
        return None
    return {"kind": kind, "name_zh": KINDS[kind].name_zh, "action": f"{base}/import",
            "template": f"{base}/template.xlsx", "sample": f"{base}/template.xlsx?sample=true"}


def add_upload_routes(router: APIRouter, base: str, kind: str, page: PageRenderer, *, city_wide: bool = False) -> None:
    """Add ``GET {base}/template.xlsx`` (``sample=true``: the sample) and ``POST {base}/import``
    for the kind, its result or problems shown on the page ``page`` renders."""
    entry = KINDS[kind]
    outside = _outside_city_wide if city_wide else _outside_units

    def template_download(request: Request, sample: bool = False, user: User = Depends(current_user)) -> FileResponse:
        require(user, "import_warning_data")
        catalog = platform(request).catalog
        return temporary_download(lambda path: entry.write_template(path, catalog, sample=sample),
                                  f"{entry.name_zh}{'示例' if sample else '导入模板'}.xlsx", XLSX)

    def import_page(request: Request, file: UploadFile | None = File(None), csrf: str = Form(""),
                    dry_run: str = Form(""), user: User = Depends(current_user)) -> HTMLResponse:
        # The file is optional in the signature so that the role is checked before anything else.
        require(user, "import_warning_data")
        check_csrf(request, csrf)
        p = platform(request)

        def read(path: Path, name: str):
            return entry.read(path, p.catalog, limits=p.settings.uploads.actuals_sheet, shown_name=name)

        parsed, name, sha, problems = checked_one_step(
            request, user, file, prefix=f"{kind}-", kind=kind, read=read,
            outside=lambda rows: outside(request, user, rows), noun="地区") if file else (None, None, None, [])
        shown = {"upload_kind": entry.name_zh}
        if name is None:
            return page(request, user, {**shown, "upload_error": "只接受 CSV 或 XLSX 文件："
                                        + (Path(file.filename or "").name if file else "未选择文件")}, 400)
        if parsed is None:
            return page(request, user, {**shown, "problems": problems, "file_name": name}, 422)
        if dry_run:
            return page(request, user, {**shown, "checked": entry.plan(p.engine, parsed), "file_name": name}, 200)
        counts, raised = entry.store(p.engine, parsed, actor=user, file_name=name, sha256=sha, today=date.today())
        return page(request, user, {**shown, "done": counts, "raised": raised, "file_name": name}, 200)

    template_download.__doc__ = f"The {kind} file's template (``sample=true``: the sample), for those who import."
    import_page.__doc__ = (f"上传并导入 the {kind} file: checked whole and stored (its warnings raised), or every "
                           "problem by sheet, row, column and reason (nothing stored); 只校验不导入 only counts.")
    router.add_api_route(f"{base}/template.xlsx", template_download, methods=["GET"])
    router.add_api_route(f"{base}/import", import_page, methods=["POST"], response_class=HTMLResponse)
