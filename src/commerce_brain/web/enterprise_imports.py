"""企业数据导入: the policy office uploads enterprises, facts and events → the validation report
or a preview of new and changed rows → 确认导入 → stored as revisions, audited; and the history.

The same shape as 数据导入 for actuals (``imports``): the upload is kept by its SHA-256 between
the preview and the confirmation, so what is confirmed is exactly what was checked; a rejected
file is deleted at once (``upload_files`` says what is kept and for how long). Its size is
limited at the edge (``upload_limits``) and the workbook guarded before parsing. Copying and
reading a workbook takes seconds for a city, so it runs in a worker thread and the server keeps
answering everyone else.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from ..access import User
from ..enterprise_changes import SHEET_ZH, changed_rows
from ..io.enterprise_import import ImportRejected, PolicyData, Problem, read_policy_data, write_policy_template
from ..policy.vocabulary import Vocabulary
from ..store.enterprise_imports import CHANGES, import_policy_data, list_enterprise_imports, plan_import
from ..fulfilment.rule_edits import effective_policies
from ..notices import watch_import
from .award_views import XLSX, temporary_download, when
from .imports import PREVIEW_ROWS, SHA
from .pages import render
from .security import Forbidden, check_csrf, current_user, platform, require
from .upload_files import ImportsBusy, discard_rejected, parse_turn, store_upload, upload_dir

router = APIRouter(include_in_schema=False)
SUFFIX = ".xlsx"


def _checked(request: Request, path: Path, name: str) -> tuple[PolicyData | None, list[Problem]]:
    """The file's data if valid, otherwise every problem (in a worker thread: it parses).

    ``name`` is the file as uploaded: the stored copy is named by its hash, which the report must
    not call the file.
    """
    engine = platform(request).engine
    try:
        with parse_turn(request):
            data = read_policy_data(path, platform(request).catalog,
                                    vocabulary=Vocabulary.of(effective_policies(engine)),
                                    limits=platform(request).settings.uploads.enterprise_sheet, shown_name=name)
    except ImportRejected as exc:
        return None, [replace(p, sheet=name) if p.sheet == path.name else p for p in exc.problems]
    return data, []


def _page(request: Request, user: User, **context) -> str:
    history = list_enterprise_imports(platform(request).engine, limit=50)
    return render(request, "enterprise_imports.html", {
        "user": user, "history": history, "when": when, "sheets": SHEET_ZH, "changes": CHANGES, **context})


@router.get("/enterprise-imports", response_class=HTMLResponse)
def enterprise_imports_page(request: Request, user: User = Depends(current_user)) -> str:
    require(user, "run_batch")
    return _page(request, user)


@router.get("/enterprise-imports/template.xlsx")
def template(user: User = Depends(current_user)) -> FileResponse:
    """The enterprise data template: the three sheets with example rows, and 说明."""
    require(user, "run_batch")
    return temporary_download(write_policy_template, "企业数据导入模板.xlsx", XLSX)


@router.post("/enterprise-imports/preview", response_class=HTMLResponse)
async def preview(request: Request, file: UploadFile = File(...), csrf: str = Form(""),
                  user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "run_batch")
    check_csrf(request, csrf)
    name = Path(file.filename or "upload").name
    if Path(name).suffix.lower() != SUFFIX:
        return HTMLResponse(_page(request, user, error=f"只接受 XLSX 工作簿：{name}"), 400)
    sha, path = await run_in_threadpool(store_upload, file, upload_dir(request), "enterprises-", SUFFIX)
    try:
        data, problems = await run_in_threadpool(_checked, request, path, name)
    except ImportsBusy:
        path.unlink(missing_ok=True)  # not checked, so not kept: the user uploads it again
        raise
    if data is None:
        await run_in_threadpool(discard_rejected, request, user, path, kind="enterprise_data", name=name, sha=sha,
                                problems=problems)
        return HTMLResponse(_page(request, user, file_name=name, problems=problems), 422)
    engine = platform(request).engine
    planned = await run_in_threadpool(plan_import, engine, data)
    rows = changed_rows(planned, data, catalog=platform(request).catalog, policies=effective_policies(engine),
                        limit=PREVIEW_ROWS)
    return HTMLResponse(_page(request, user, file_name=name, counts=planned.counts(), sha=sha, rows=rows,
                              preview_rows=PREVIEW_ROWS))


@router.post("/enterprise-imports/confirm", response_class=HTMLResponse)
async def confirm(request: Request, sha: str = Form(...), file_name: str = Form(...), csrf: str = Form(""),
                  user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "run_batch")
    check_csrf(request, csrf)
    if not SHA.match(sha):
        raise Forbidden("无效的导入：请重新上传文件"
)
    path = upload_dir(request) / f"enterprises-{sha}{SUFFIX}"
    if not path.exists():
        return HTMLResponse(_page(request, user, error="文件已过期，请重新上传"), 410)
    file_name = Path(file_name).name[:500]
    data, problems = await run_in_threadpool(_checked, request, path, file_name)
    if data is None:
        await run_in_threadpool(discard_rejected, request, user, path, kind="enterprise_data", name=file_name,
                                sha=sha, problems=problems)
        return HTMLResponse(_page(request, user, file_name=file_name, problems=problems), 422)
    engine = platform(request).engine
    done = await run_in_threadpool(lambda: import_policy_data(engine, data, actor=user, file_name=file_name, sha256=sha,
                                                              watch=watch_import(effective_policies(engine))))
    path.unlink(missing_ok=True)  # the import log keeps its SHA-256; the data is in the store
    return HTMLResponse(_page(request, user, file_name=file_name, done=done.import_id, done_counts=done.counts()))
