"""项目进度导入: the bureau uploads monthly project reports (and further 重点项目) → the report of
problems by sheet, row, column and reason, or a preview → 确认导入 → stored, audited → history;
and the same for scripts at ``/api/v1/projects/imports``.

The shape of 数据导入 (``imports``): the upload waits under its SHA-256 between the preview and
the confirmation, so what is confirmed is what was checked; a rejected file is deleted at once
(its name, SHA-256 and problems audited); the body is limited at the edge (``upload_limits``)
and the workbook guarded before parsing (``io.project_reports_import``), in a worker thread
holding one of the process's parse turns. A county analyst's file is refused whole if any row
is for a project outside its org units.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from ..access import User, filter_visible
from ..io.actuals_import import ImportRejected, Problem
from ..io.project_reports_import import ProjectReportsFile, read_project_reports
from ..io.project_reports_template import write_project_reports_template
from ..projects.schedule import STAGE_ZH
from ..project_intake import import_reports as store_import
from ..store.project_tables import CHANGES, SavedReports, list_project_imports, plan_reports
from .award_views import XLSX, temporary_download, when
from .awards_api import check_api_write
from .errors import ErrorBody, responses
from .imports_api import _refusal as refusal
from .imports import SHA, SUFFIXES
from .pages import render
from .project_views import column_label, project_data, yi
from .security import Forbidden, check_csrf, current_user, platform, require, scope
from .upload_files import ImportsBusy, discard_rejected, parse_turn, store_upload, upload_dir

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/projects/imports", tags=["项目进度导入 project imports"])
PREFIX = "projects-"
PREVIEW_ROWS = 100
KIND = "project_reports"
TABLES_ZH = {"reports": "月度报送", "projects": "重点项目"}


def check_file(request: Request, user: User, path: Path, name: str) -> tuple[ProjectReportsFile | None, list[Problem]]:
    """The file's reports (and extra projects) if valid and within the user's scope; otherwise
    every problem. ``name`` is the file as uploaded (the stored copy is named by its hash)."""
    p = platform(request)
    data = project_data(p)
    try:
        with parse_turn(request):
            checked = read_project_reports(path, p.catalog, data.projects, stored=data.reports,
                                           limits=p.settings.uploads.actuals_sheet, shown_name=name)
    except ImportRejected as exc:
        return None, [Problem(name if pr.sheet == path.name else pr.sheet, pr.row, pr.column, pr.reason)
                      for pr in exc.problems]
    outside = _outside_scope(request, user, checked, data.projects, name)
    return (None, outside) if outside else (checked, [])


def _outside_scope(request: Request, user: User, checked: ProjectReportsFile, projects: pl.DataFrame,
                   name: str) -> list[Problem]:
    """A problem for each project of the file the user may not report on (a county analyst:
    projects outside its org units), named by its Chinese name."""
    visible = scope(request, user)
    if visible.org_units is None and visible.units is None:
        return []
    known = pl.concat([projects.select("id", "name_zh", "org_unit", "responsible_unit"),
                       checked.projects.select("id", "name_zh", "org_unit", "responsible_unit")],
                      how="vertical_relaxed")
    named = set(checked.reports["project_id"]) | set(checked.projects["id"])
    mine = set(filter_visible(known.filter(pl.col("id").is_in(sorted(named))), visible)["id"])
    outside = known.filter(pl.col("id").is_in(sorted(named - mine))).unique("id").sort("id")
    return [Problem(name, 0, "项目编号", f"超出您的范围，请删除此项目的行：{r['name_zh']} 不在您管辖的地区")
            for r in outside.iter_rows(named=True)]


def _preview_rows(request: Request, checked: ProjectReportsFile) -> list[dict]:
    """The first reports of the file, each with its project's name and place, for the preview."""
    projects = pl.concat([project_data(platform(request)).projects.select("id", "name_zh", "column", "number"),
                          checked.projects.select("id", "name_zh").with_columns(
                              pl.lit(None, pl.Int64).alias("column"), pl.lit(None, pl.Int64).alias("number"))],
                         how="vertical_relaxed").unique("id", keep="last")
    rows = checked.reports.head(PREVIEW_ROWS).join(projects, left_on="project_id", right_on="id", how="left")
    return [{**r, "place": column_label(r["column"], r["number"])} for r in rows.iter_rows(named=True)]


def _page(request: Request, user: User, **context) -> str:
    history = list_project_imports(platform(request).engine, limit=50)
    return render(request, "project_imports.html", {"user": user, "history": history, "when": when, "yi": yi,
                                                    "stage_zh": STAGE_ZH, "changes": CHANGES, "tables": TABLES_ZH,
                                                    **context})


@router.get("/project-imports", response_class=HTMLResponse)
def project_imports_page(request: Request, user: User = Depends(current_user)) -> str:
    require(user, "import_projects")
    return _page(request, user)


@router.get("/project-imports/template.xlsx")
def template(request: Request, user: User = Depends(current_user)) -> FileResponse:
    """The reports template: the 进度 and 项目 sheets, the project list and 说明."""
    require(user, "import_projects")
    projects = project_data(platform(request)).projects
    return temporary_download(lambda path: write_project_reports_template(path, projects), "项目进度导入模板.xlsx", XLSX)


@router.post("/project-imports/preview", response_class=HTMLResponse)
def preview(request: Request, file: UploadFile = File(...), csrf: str = Form(""),
            user: User = Depends(current_user)) -> HTMLResponse:
    # A plain def: FastAPI runs it in a worker thread, so copying and parsing never stall the loop.
    require(user, "import_projects")
    check_csrf(request, csrf)
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return HTMLResponse(_page(request, user, error=f"只接受 CSV 或 XLSX 文件：{name}"), 400)
    sha, path = store_upload(file, upload_dir(request), PREFIX, suffix)
    try:
        checked, problems = check_file(request, user, path, name)
    except ImportsBusy:
        path.unlink(missing_ok=True)  # not checked, so not kept: the user uploads it again
        raise
    if checked is None:
        discard_rejected(request, user, path, kind=KIND, name=name, sha=sha, problems=problems)
        return HTMLResponse(_page(request, user, file_name=name, problems=problems), 422)
    planned = plan_reports(platform(request).engine, checked.reports, checked.projects)
    return HTMLResponse(_page(request, user, file_name=name, sha=sha, suffix=suffix, checked=checked,
                              counts=planned.counts, rows=_preview_rows(request, checked), preview_rows=PREVIEW_ROWS))


@router.post("/project-imports/confirm", response_class=HTMLResponse)
def confirm(request: Request, sha: str = Form(...), suffix: str = Form(...), file_name: str = Form(...),
            csrf: str = Form(""), user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "import_projects")
    check_csrf(request, csrf)
    if not SHA.match(sha) or suffix not in SUFFIXES:
        raise Forbidden("无效的导入：请重新上传文件")
    path = upload_dir(request) / f"{PREFIX}{sha}{suffix}"
    if not path.exists():
        return HTMLResponse(_page(request, user, error="文件已过期，请重新上传"), 410)
    file_name = Path(file_name).name[:200]
    checked, problems = check_file(request, user, path, file_name)
    if checked is None:
        discard_rejected(request, user, path, kind=KIND, name=file_name, sha=sha, problems=problems)
        return HTMLResponse(_page(request, user, file_name=file_name, problems=problems), 422)
    done = _save(request, user, checked, file_name, sha)
    path.unlink(missing_ok=True)  # the import log keeps its name and SHA-256; the rows are in the store
    return HTMLResponse(_page(request, user, file_name=file_name, done=done))


def _save(request: Request, user: User, checked: ProjectReportsFile, file_name: str, sha: str) -> SavedReports:
    """Store the file's reports and raise the warnings of its latest month."""
    saved, _ = store_import(platform(request).engine, checked, actor=user,
                            import_meta={"file_name": file_name, "sha256": sha})
    return saved


# ---- the API ----------------------------------------------------------------------------------

def importer(request: Request, user: User = Depends(current_user)) -> User:
    """The signed-in user, refused (403) unless the role imports project reports: checked
    before the upload is read."""
    require(user, "import_projects")
    check_api_write(request)
    return user


@api.get("")
def imports_history(request: Request, user: User = Depends(current_user)) -> list[dict]:
    """The project imports, newest first: file, SHA-256, who, when, counts."""
    require(user, "import_projects")
    return [{k: (str(v) if k.endswith("_at") else v) for k, v in row.items()}
            for row in list_project_imports(platform(request).engine, limit=500)]


@api.post("", responses=responses(400, 413, 503))
def import_reports(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 项目进度"),
                   dry_run: bool = False, user: User = Depends(importer)):
    """Validate a reports file and store it, all or nothing (``dry_run``: check only, store
    nothing). A file with any problem is refused whole (422, each problem by sheet, row and
    column) and not kept."""
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return JSONResponse(ErrorBody(detail=f"只接受 CSV 或 XLSX 文件：{name}").model_dump(), status_code=400)
    sha, path = store_upload(file, upload_dir(request), "api-" + PREFIX, suffix)
    try:
        checked, problems = check_file(request, user, path, name)
        if checked is None:
            discard_rejected(request, user, path, kind=KIND, name=name, sha=sha, problems=problems)
            return refusal(422, f"文件被整体退回，未导入任何数据：{name}（{len(problems)} 个问题）", problems)
        summary = (plan_reports(platform(request).engine, checked.reports, checked.projects) if dry_run
                   else _save(request, user, checked, name, sha))
    finally:
        path.unlink(missing_ok=True)  # the API keeps no upload: checked and stored in one call
    return {"file": name, "dry_run": dry_run, "counts": summary.counts, "import_id": summary.import_id}
