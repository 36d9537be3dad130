"""Refuse a spreadsheet that is too big to parse, before any parser sees it.

A 1.8 MB XLSX can unpack to 476 MB of sheet XML (a zip bomb) and a 150 MB CSV can hold
millions of rows; either froze the server for minutes while a parser built it in memory. The
checks here read the file in fixed-size chunks, so they cost little memory whatever the file:

- the file's own size;
- for XLSX, the unpacked size of its members as the zip declares them, and how much each
  expands (a deflated zip bomb expands hundreds of times, real sheets about ten) — both from
  the zip's directory, so a bomb is refused without unpacking anything; then every member is
  unpacked in chunks (Python's zipfile stops at the declared size and checks the CRC, so a zip
  whose directory lies is refused too) while the rows of each worksheet are counted;
- for CSV, the line count (an upper bound of the rows: a quoted cell may hold a line break).

The refusal is Chinese first and names the file, like every import problem.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..settings import MB, SheetLimits

CHUNK = 1024 * 1024
WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
ROOT_PREFIX = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")


class SpreadsheetRefused(Exception):
    """The file is refused before parsing; ``str(exc)`` is the reason, naming the file."""


def check_spreadsheet(path: Path, limits: SheetLimits, *, shown_name: str | None = None) -> None:
    """Raise ``SpreadsheetRefused`` if ``path`` (an .xlsx/.xlsm, a .csv, or a folder of CSV
    files) is past ``limits``; other files are left to the parser to reject. ``shown_name`` is
    the name the user knows the file by (an upload is stored under its hash)."""
    path = Path(path)
    if path.is_dir():
        for member in sorted(path.iterdir()):
            if member.suffix.lower() == ".csv":
                check_spreadsheet(member, limits)
        return
    name = shown_name or path.name
    if not path.is_file():
        return  # the parser says the file is missing, with the rest of its report
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise SpreadsheetRefused(f"文件过大，已拒绝：{name} 有 {_mb(size)}，上限为 {_mb(limits.file_bytes)}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        _check_xlsx(path, name, limits)
    elif suffix == ".csv":
        _check_rows(name, _count_lines(path), limits)


def _check_xlsx(path: Path, name: str, limits: SheetLimits) -> None:
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: the parser reports it cannot open the workbook
    with book:
        members = book.infolist()
        declared = sum(m.file_size for m in members)
        if declared > limits.unpacked_bytes:
            raise SpreadsheetRefused(
                f"文件解压后过大，已拒绝：{name} 解压后有 {_mb(declared)}，上限为 {_mb(limits.unpacked_bytes)}")
        for member in members:
            _check_expansion(name, member.file_size, member.compress_size, limits)
        for member in members:
            rows = _unpack_counting_rows(book, member, name, limits)
            _check_rows(name, rows, limits)


def _check_expansion(name: str, unpacked: int, packed: int, limits: SheetLimits) -> None:
    # Small members may expand a lot (an empty sheet is mostly repeated markup) without harm.
    if unpacked > MB and unpacked > limits.expansion * max(packed, 1):
        raise SpreadsheetRefused(
            f"文件压缩比异常（解压后超过 {limits.expansion} 倍），疑似压缩炸弹，已拒绝：{name}")


def _unpack_counting_rows(book: zipfile.ZipFile, member: zipfile.ZipInfo, name: str,
                          limits: SheetLimits) -> int:
    """Unpack ``member`` in chunks, checking what it really expands to; its rows if a worksheet."""
    is_sheet = bool(WORKSHEET.match(member.filename))
    tag, carry, rows, unpacked = b"<row", b"", 0, 0
    try:
        with book.open(member) as stream:
            while chunk := stream.read(CHUNK):
                unpacked += len(chunk)
                _check_expansion(name, unpacked, member.compress_size, limits)
                if not is_sheet:
                    continue
                if unpacked == len(chunk):  # the first chunk: the root's namespace prefix, if any
                    prefix = ROOT_PREFIX.search(chunk)
                    if prefix and prefix.group(1):
                        tag = b"<" + prefix.group(1) + b":row"
                # Count up to the last "<" and carry the rest over: a tag cut by the chunk's
                # end is counted whole in the next window, and none is counted twice.
                window = carry + chunk
                cut = window.rfind(b"<")
                done, carry = (window, b"") if cut < 0 else (window[:cut], window[cut:])
                rows += _count_row_tags(done, tag)
            rows += _count_row_tags(carry, tag)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise SpreadsheetRefused(f"工作簿已损坏，无法打开：{name}") from exc
    return rows


def _count_row_tags(data: bytes, tag: bytes) -> int:
    # Every "<row…" is a row element but "<rowBreaks" (page breaks); two passes of bytes.count.
    return data.count(tag) - data.count(tag + b"Breaks")


def _count_lines(path: Path) -> int:
    lines, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _check_rows(name: str, rows: int, limits: SheetLimits) -> None:
    if rows > limits.rows:
        raise SpreadsheetRefused(f"行数过多，已拒绝：{name} 有 {rows:,} 行，上限为 {limits.rows:,} 行")


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB"
