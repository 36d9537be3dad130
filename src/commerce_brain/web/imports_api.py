"""数据导入 for scripts: ``POST /api/v1/imports/actuals`` — the page's checks in one call.

The same validation as the 数据导入 page and ``plans import`` (``imports.check_upload``): a file
with any problem is refused whole (422, each problem by sheet, row and column) and not kept;
a file whose figures jumped year on year is stored only with ``accept_warnings=true`` (else
409 listing the warnings); ``dry_run=true`` reports what would change and stores nothing.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse

from ..access import User
from ..io.actuals_import import Problem as FileProblem
from ..store.observations import dry_run as plan_import
from ..store.observations import save_observations
from .awards_api import check_api_write
from .errors import ErrorBody, Problem, responses
from .imports import SUFFIXES, check_upload
from .security import current_user, platform, require
from .upload_files import discard_rejected, store_upload, upload_dir

router = APIRouter(prefix="/api/v1/imports", tags=["数据导入 imports"])


def importer(request: Request, user: User = Depends(current_user)) -> User:
    """The signed-in user, refused (403) unless the role imports actuals: checked before the
    upload is read, so a refused caller is told so whatever it sent."""
    require(user, "import_actuals")
    check_api_write(request)
    return user


def _refusal(status: int, detail: str, problems: list[FileProblem]) -> JSONResponse:
    listed = [Problem(location="file", field=p.sheet + (f" 第{p.row}行" if p.row else "")
                      + (f" {p.column}" if p.column else ""), message=p.reason) for p in problems]
    return JSONResponse(ErrorBody(detail=detail, problems=listed).model_dump(), status_code=status)


@router.post("/actuals", responses=responses(400, 409, 413, 503))
def import_actuals(request: Request, file: UploadFile = File(..., description="CSV 或 XLSX 统计数据"),
                   dry_run: bool = False, accept_warnings: bool = False,
                   user: User = Depends(importer)) -> dict:
    """Validate a statistics file (CSV/XLSX) and store its actuals, all or nothing, versioned.

    ``dry_run``: report only. ``accept_warnings``: store even though some figures moved by more
    than the jump factor against the year before (after checking them)."""
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return JSONResponse(ErrorBody(detail=f"只接受 CSV 或 XLSX 文件：{name}").model_dump(), status_code=400)
    sha, path = store_upload(file, upload_dir(request), "api-", suffix)
    try:
        frame, problems, warnings = check_upload(request, user, path, name)
        if frame is None:
            discard_rejected(request, user, path, kind="actuals", name=name, sha=sha, problems=problems)
            return _refusal(422, f"文件被整体退回，未导入任何数据：{name}（{len(problems)} 个问题）", problems)
        if warnings and not accept_warnings and not dry_run:
            return _refusal(409, f"有 {len(warnings)} 条提示需要核对，未导入任何数据；核对无误后以 "
                                 "accept_warnings=true 再导入", warnings)
        engine = platform(request).engine
        summary = (plan_import(engine, frame) if dry_run else
                   save_observations(engine, frame, file_name=name, sha256=sha, imported_by=user.username,
                                     accepted_warnings=len(warnings)))
    finally:
        path.unlink(missing_ok=True)  # the API keeps no upload: it is checked and stored in one call
    return {"file": name, "dry_run": dry_run, "rows": summary.rows, "new": summary.new, "revised": summary.revised,
            "unchanged": summary.unchanged, "import_id": summary.import_id,
            "warnings": [str(w) for w in warnings]}
