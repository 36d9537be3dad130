"""数据导入: upload a statistics file → the validation report → confirm; and the import history.

The uploaded file is kept under the data directory by its SHA-256 between the preview and the
confirmation, so what is confirmed is exactly what was checked; a rejected file stores nothing.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import polars as pl
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from ..access import User
from ..io.actuals_import import ImportRejected, Problem, read_actuals
from ..store.observations import dry_run, list_imports, save_observations
from .pages import render
from .security import Forbidden, check_csrf, current_user, platform, require, scope

router = APIRouter(include_in_schema=False)
SUFFIXES = (".csv", ".xlsx")
SHA = re.compile(r"^[0-9a-f]{64}$")


def _upload_dir(request: Request) -> Path:
    folder = platform(request).settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _checked(request: Request, user: User, path: Path) -> tuple[pl.DataFrame | None, list[Problem]]:
    """The file's rows if valid and within the user's org units; otherwise every problem."""
    try:
        frame = read_actuals(path, platform(request).catalog)
    except ImportRejected as exc:
        return None, exc.problems
    allowed = scope(request, user).org_units
    if allowed is not None:
        outside = sorted(set(frame["org_unit"]) - set(allowed))
        if outside:
            # A county analyst's file is refused whole if any row is for another county.
            return None, [Problem(path.name, 0, "org_unit", f"超出您的范围 outside your scope: {', '.join(outside)}")]
    return frame, []


def _page(request: Request, user: User, **context) -> str:
    engine = platform(request).engine
    return render(request, "imports.html", {"user": user, "history": list_imports(engine)[:50], **context})


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, user: User = Depends(current_user)) -> str:
    require(user, "import_actuals")
    return _page(request, user)


@router.post("/imports/preview", response_class=HTMLResponse)
async def preview(request: Request, file: UploadFile = File(...), csrf: str = Form(""),
                  user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "import_actuals")
    check_csrf(request, csrf)
    name = Path(file.filename or "upload").name
    if Path(name).suffix.lower() not in SUFFIXES:
        return HTMLResponse(_page(request, user, error=f"只接受 CSV 或 XLSX 文件 only .csv or .xlsx: {name}"), 400)
    content = await file.read()
    sha = hashlib.sha256(content).hexdigest()
    path = _upload_dir(request) / f"{sha}{Path(name).suffix.lower()}"
    path.write_bytes(content)
    frame, problems = _checked(request, user, path)
    if frame is None:
        return HTMLResponse(_page(request, user, file_name=name, problems=problems), 422)
    summary = dry_run(platform(request).engine, frame)
    revised = summary.changes.filter(pl.col("change") == "revised").head(100).to_dicts()
    return HTMLResponse(_page(request, user, file_name=name, summary=summary, revised=revised, sha=sha,
                              suffix=Path(name).suffix.lower()))


@router.post("/imports/confirm", response_class=HTMLResponse)
def confirm(request: Request, sha: str = Form(...), suffix: str = Form(...), file_name: str = Form(...),
            csrf: str = Form(""), user: User = Depends(current_user)) -> HTMLResponse:
    require(user, "import_actuals")
    check_csrf(request, csrf)
    if not SHA.match(sha) or suffix not in SUFFIXES:
        raise Forbidden("无效的导入 invalid import reference")
    path = _upload_dir(request) / f"{sha}{suffix}"
    if not path.exists():
        return HTMLResponse(_page(request, user, error="文件已过期，请重新上传 the upload expired, upload again"), 410)
    frame, problems = _checked(request, user, path)
    if frame is None:
        return HTMLResponse(_page(request, user, file_name=file_name, problems=problems), 422)
    summary = save_observations(platform(request).engine, frame, file_name=file_name, sha256=sha,
                                imported_by=user.username)
    path.unlink(missing_ok=True)
    return HTMLResponse(_page(request, user, done=summary, file_name=file_name))
