"""Where uploaded files wait between the preview and the confirmation, and for how long.

Both import pages (数据导入 and 企业数据导入) keep an upload under the data directory by its
SHA-256, so what is confirmed is exactly what was checked. A rejected file is deleted at once
(its name, SHA-256 and the problems go to the audit log); a confirmed one once its rows are
stored (the import log keeps its name and SHA-256); one previewed but never confirmed after
``PENDING_HOURS``. These functions do blocking file work: call them from a worker thread.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request, UploadFile
from starlette.datastructures import UploadFile as StarletteUpload

from ..access import User
from ..store.observations import log_rejected_import
from .security import platform

PENDING_HOURS = 24  # a previewed file not confirmed within this is deleted
CHUNK = 1024 * 1024


class ImportsBusy(Exception):
    """Every parsing turn of this worker stayed taken for the whole wait (answered 503)."""


@contextmanager
def parse_turn(request: Request) -> Iterator[None]:
    """Hold one of this worker's turns for parsing an upload while the block runs: a parse of
    a file near the limits holds a few hundred MB, so memory stays bounded however many
    uploads arrive at once. Raises ``ImportsBusy`` after ``parse_wait_seconds`` without one."""
    p = platform(request)
    if not p.parse_slots.acquire(timeout=p.settings.uploads.parse_wait_seconds):
        raise ImportsBusy
    try:
        yield
    finally:
        p.parse_slots.release()


def upload_dir(request: Request) -> Path:
    """Where uploads wait between the preview and the confirmation (made if missing)."""
    folder = platform(request).settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def forget_stale(folder: Path) -> None:
    """Delete uploads older than ``PENDING_HOURS``: nobody confirmed them."""
    cutoff = time.time() - PENDING_HOURS * 3600
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another worker deleted it first
            pass


def store_upload(upload: UploadFile, folder: Path, prefix: str, suffix: str) -> tuple[str, Path]:
    """Copy the upload into ``folder`` a chunk at a time, hashing as it goes (the whole file is
    never in memory); the copy is named ``prefix + SHA-256 + suffix``, so previewing the same
    file twice keeps one copy. Stale uploads are swept first."""
    forget_stale(folder)
    digest = hashlib.sha256()
    partial = folder / f".partial-{secrets.token_hex(8)}{suffix}"
    with partial.open("wb") as out:
        while chunk := upload.file.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    sha = digest.hexdigest()
    path = folder / f"{prefix}{sha}{suffix}"
    partial.replace(path)
    return sha, path


def discard_rejected(request: Request, user: User, path: Path, *, kind: str, name: str, sha: str,
                     problems: list) -> None:
    """A refused file is not kept: it is deleted, its SHA-256 and problems audited instead."""
    path.unlink(missing_ok=True)
    log_rejected_import(platform(request).engine, kind=kind, file_name=name[:200], sha256=sha,
                        problems=[str(p) for p in problems], actor=user.username)


async def form_with_file(request: Request, fields: tuple[str, ...], max_bytes: int) -> tuple[dict[str, str],
                                                                                          tuple[str, bytes] | None]:
    """A multipart form's ``fields`` (missing ones as "") and its one ``file`` as (name, bytes),
    read to one byte past ``max_bytes``: enough for the store to refuse it without holding a
    huge upload in memory. An empty file input is no file."""
    async with request.form(max_files=2, max_fields=10) as form:
        values = {k: str(form.get(k) or "") for k in fields}
        upload = form.get("file")
        file = ((upload.filename, await upload.read(max_bytes + 1))
                if isinstance(upload, StarletteUpload) and upload.filename else None)
    return values, file


ONE_STEP_SUFFIXES = (".csv", ".xlsx")


def checked_one_step(request: Request, user: User, file: UploadFile, *, prefix: str, kind: str,
                     read: Callable[[Path, str], object], outside: Callable[[object], list[str]],
                     noun: str, counter: str = "个"):
    """A one-step import's upload (checked and stored in the same request): ``(parsed, name,
    sha, problems)``. The upload is copied, then read by ``read(path, name)`` in a parse turn
    (memory stays bounded) and refused when ``outside(parsed)`` names records outside the user's
    scope (“含本账户管辖范围以外的{noun}”). A refused file is deleted and audited (``parsed``
    None, every problem by sheet, row, column and reason, a CSV's sheet named by the file as
    uploaded); an accepted one is deleted too, its rows about to be stored. ``name`` is None
    when the file is neither CSV nor XLSX."""
    from ..io.actuals_import import ImportRejected, Problem

    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in ONE_STEP_SUFFIXES:
        return None, None, None, []
    sha, path = store_upload(file, upload_dir(request), prefix, suffix)
    try:
        with parse_turn(request):
            parsed = read(path, name)
        others = outside(parsed)
        problems = [Problem(name, 0, "", f"含本账户管辖范围以外的{noun}：" + "、".join(others[:20])
                            + (f" 等 {len(others)} {counter}" if len(others) > 20 else ""))] if others else []
    except ImportRejected as exc:
        # A CSV's "sheet" is the stored copy, named by its hash: the person knows the file by its name.
        parsed, problems = None, [Problem(name if p.sheet == path.name else p.sheet, p.row, p.column, p.reason)
                                  for p in exc.problems]
    except ImportsBusy:
        path.unlink(missing_ok=True)  # not checked, so not kept: the user uploads it again
        raise
    if problems:
        discard_rejected(request, user, path, kind=kind, name=name, sha=sha, problems=problems)
        return None, name, sha, problems
    path.unlink(missing_ok=True)
    return parsed, name, sha, []
