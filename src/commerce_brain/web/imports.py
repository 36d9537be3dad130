"""数据导入: upload a statistics file → the validation report → confirm; and the import history.

The upload waits by its SHA-256 between the preview and the confirmation (``upload_files`` says
for how long). Handlers are plain ``def``: FastAPI runs them in a worker thread, so copying,
hashing and parsing a large file never stalls other requests.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import polars as pl
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse

from ..access import User
from ..io.actuals_import import (
    MAX_PROBLEMS,
    ImportRejected,
    Problem,
    check_actuals,
    read_sheets,
)
from ..io.actuals_template import write_template
from ..store.observations import current_observations, dry_run, list_imports, save_observations
from .award_views import XLSX, temporary_download, when
from .pages import render
from .security import Forbidden, check_csrf, current_user, platform, require, scope
from .upload_files import ImportsBusy, discard_rejected, parse_turn, store_upload, upload_dir

router = APIRouter(include_in_schema=False)
SUFFIXES = (".csv", ".xlsx")
SHA = re.compile(r"^[0-9a-f]{64}$")
PREVIEW_ROWS = 100  # changed rows listed before confirming; the counts cover them all
ACCEPT_LABEL = "我已核对上述提示，确认导入"


def check_upload(request: Request, user: User, path: Path, name: str
                 ) -> tuple[pl.DataFrame | None, list[Problem], list[Problem]]:
    """The file's rows if valid and within the user's org units, and the warnings to accept
    before storing them (figures that jumped year on year); otherwise every problem.

    ``name`` is the file's name as uploaded: the stored copy is named by its hash, which must not
    be what the report calls the file.
    """
    p = platform(request)
    try:
        with parse_turn(request):
            checked = check_actuals(path, p.catalog, stored=current_observations(p.engine),
                                    jump_factor=p.settings.import_jump_factor,
                                    limits=p.settings.uploads.actuals_sheet, shown_name=name)
    except ImportRejected as exc:
        return None, _named(exc.problems, path, name), []
    allowed = scope(request, user).org_units
    if allowed is not None:
        outside = _outside_scope(path, checked.frame, allowed, name)
        if outside:
            # A county analyst's file is refused whole if any row is for another county.
            return None, outside, []
    return checked.frame, [], _named(checked.warnings, path, name)


def _named(problems: list[Problem], path: Path, name: str) -> list[Problem]:
    """The problems with the stored copy's name replaced by the name the file was uploaded as."""
    return [replace(p, sheet=name) if p.sheet == path.name else p for p in problems]


def _outside_scope(path: Path, frame: pl.DataFrame, allowed: list[str], name: str) -> list[Problem]:
    """Each row of an accepted file whose org unit the user may not import, by sheet, row and column."""
    sheets, labels, _ = read_sheets(path)
    # read_actuals accepted the file, so it kept every data row in file order: the raw rows and
    # the resolved codes line up one to one.
    rows = pl.concat(sheets).select("_sheet_no", "_sheet", "_row").with_columns(code=frame["org_unit"])
    columns = labels.filter(pl.col("field") == "org_unit").select("_sheet_no", "column")
    outside = (rows.filter(~pl.col("code").is_in(list(allowed))).join(columns, on="_sheet_no", how="left")
               .head(MAX_PROBLEMS))
    return [Problem(name if r["_sheet"] == path.name else r["_sheet"], r["_row"], r["column"] or "org_unit",
                    f"超出您的范围，请删除此行：{r['code']} 不是您管辖的地区")
            for r in outside.iter_rows(named=True)]


def _page(request: Request, user: User, **context) -> str:
    engine = platform(request).engine
    history = list_imports(engine, org_units=scope(request, user).org_units, limit=50)
    return render(request, "imports.html", {"user": user, "history": history, "when": when,
                                            "accept_label": ACCEPT_LABEL, **context})


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, user: User = Depends(current_user)) -> str:
    require(user, "import_actuals")
    return _page(request, user)


@router.get("/imports/template.xlsx")
def template(request: Request, user: User = Depends(current_user)) -> FileResponse:
    """The import template: the columns, two example rows, and the valid codes on their own sheets."""
    require(user, "import_actuals")
    catalog = platform(request).catalog
    return temporary_download(lambda path: write_template(catalog, path), "实际值导入模板.xlsx", XLSX)


@router.post("/imports/preview", response_class=HTMLResponse)
def preview(request: Request, file: UploadFile = File(...), csrf: str = Form(""),
            user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "import_actuals")
    check_csrf(request, csrf)
    name = Path(file.filename or "upload").name
    if Path(name).suffix.lower() not in SUFFIXES:
        return HTMLResponse(_page(request, user, error=f"只接受 CSV 或 XLSX 文件：{name}"), 400)
    sha, path = store_upload(file, upload_dir(request), "", Path(name).suffix.lower())
    try:
        frame, problems, warnings = check_upload(request, user, path, name)
    except ImportsBusy:
        path.unlink(missing_ok=True)  # not checked, so not kept: the user uploads it again
        raise
    if frame is None:
        discard_rejected(request, user, path, kind="actuals", name=name, sha=sha, problems=problems)
        return HTMLResponse(_page(request, user, file_name=name, problems=problems), 422)
    return _preview_page(request, user, frame, warnings, name=name, sha=sha, suffix=Path(name).suffix.lower())


def _preview_page(request: Request, user: User, frame: pl.DataFrame, warnings: list[Problem], *, name: str,
                  sha: str, suffix: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    """What the import would change, the warnings to accept, and the confirm form."""
    summary = dry_run(platform(request).engine, frame)
    changed = _labelled(request, summary.changes.filter(pl.col("change") != "unchanged").head(PREVIEW_ROWS))
    return HTMLResponse(_page(request, user, file_name=name, summary=summary, changed=changed, sha=sha,
                              suffix=suffix, preview_rows=PREVIEW_ROWS, warnings=warnings, error=error),
                        status)


def _labelled(request: Request, changes: pl.DataFrame) -> list[dict]:
    """Changed rows with the plan's title and the indicator's and org unit's Chinese names."""
    catalog = platform(request).catalog
    names = {(i.plan, i.id): i.name_zh for i in catalog.indicators()}
    titles = {p.id: p.title for p in catalog.plans}
    units = catalog.org_unit_names()
    return [{**r, "plan_zh": titles.get(r["plan"], r["plan"]),
             "indicator_zh": names.get((r["plan"], r["indicator"]), r["indicator"]),
             "org_unit_zh": units.get(r["org_unit"], r["org_unit"])} for r in changes.iter_rows(named=True)]


@router.post("/imports/confirm", response_class=HTMLResponse)
def confirm(request: Request, sha: str = Form(...), suffix: str = Form(...), file_name: str = Form(...),
            accept_warnings: str = Form(""), csrf: str = Form(""), user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "import_actuals")
    check_csrf(request, csrf)
    if not SHA.match(sha) or suffix not in SUFFIXES:
        raise Forbidden("无效的导入：请重新上传文件")
    path = upload_dir(request) / f"{sha}{suffix}"
    if not path.exists():
        return HTMLResponse(_page(request, user, error="文件已过期，请重新上传"
), 410)
    frame, problems, warnings = check_upload(request, user, path, file_name)
    if frame is None:
        discard_rejected(request, user, path, kind="actuals", name=file_name, sha=sha, problems=problems)
        return HTMLResponse(_page(request, user, file_name=file_name, problems=problems), 422)
    if warnings and not accept_warnings:
        return _preview_page(request, user, frame, warnings, name=file_name, sha=sha, suffix=suffix,
                             error=f"请先核对下列 {len(warnings)} 条提示，勾选“{ACCEPT_LABEL}”后再导入", status=422)
    summary = save_observations(platform(request).engine, frame, file_name=file_name, sha256=sha,
                                imported_by=user.username, accepted_warnings=len(warnings))
    path.unlink(missing_ok=True)
    return HTMLResponse(_page(request, user, done=summary, file_name=file_name, affected=_affected(request, summary)))


def _affected(request: Request, summary) -> list[dict]:
    """The indicator pages (one per indicator, org unit and year) an import changed, to check the figures there."""
    written = summary.changes.filter(pl.col("change") != "unchanged")
    pages = written.select("plan", "indicator", "org_unit", "year").unique(maintain_order=True).head(PREVIEW_ROWS)
    return _labelled(request, pages)
