"""Read a workbook sheet or a CSV file as whole columns of text, fast and exactly.

XLSX is read by calamine (``fastexcel``), CSV by Polars' reader; neither builds a Python object
per cell. Every cell becomes the text a person sees: a numeric cell through the shortest text
that round-trips its double (never the 9-decimal rendering calamine gives, which would turn
123456789012.34 into 123456789012.339996338), and a percent-formatted numeric cell as percent
text (a cell showing 75% holds 0.75 and becomes "75%"). Row 1 of the sheet is row 0 of the
frame, blank leading rows and columns included, so problems can name the row and the column
letter exactly as Excel numbers them.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import fastexcel
import polars as pl

# A decimal as Polars writes a float: 2023.0, 0.29, 1e-7, 1.2345678901234568e+16.
_FLOAT_TEXT = r"^(?<sign>-?)(?<int>[0-9]+)(?:\.(?<frac>[0-9]+))?(?:e(?<exp>[+-]?[0-9]+))?$"
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"
_NINE_DECIMALS = r"^-?[0-9]+\.[0-9]{9}$"
_ZEROS = "0" * 400  # more than a double's exponent can ask for
_PERCENT_FORMATS = {9, 10}  # Excel's built-in 0% and 0.00%
_CHUNK = 8 << 20


class Unreadable(Exception):
    """The file cannot be read at all; the message is the problem's reason."""


@dataclass
class SheetText:
    """One sheet (or CSV file): ``cells`` holds every row as text, column ``str(i)`` being the
    i-th column of the sheet (A is 0); columns before the first used one are absent."""

    label: str
    cells: pl.DataFrame
    letters: bool  # XLSX: columns have letters (A, B…); CSV: they have only their header
    _book: fastexcel.ExcelReader | None = field(default=None, repr=False)
    _path: Path | None = field(default=None, repr=False)
    _names: dict[int, str] = field(default_factory=dict, repr=False)  # position → calamine's name

    def header(self) -> list[str | None]:
        """Row 1 as trimmed text, position i being column i (None where blank)."""
        if self.cells.height == 0:
            return []
        first = self.cells.row(0, named=True)
        width = max((int(c) for c in self.cells.columns), default=-1) + 1
        return [_trimmed(first.get(str(pos))) for pos in range(width)]

    def exact_numbers(self, positions: Iterable[int]) -> dict[int, pl.Series]:
        """For these columns, each cell's text with numeric cells written exactly (XLSX only: CSV
        is text already), and percent-formatted numeric cells as percent text.

        calamine writes a number rounded to 9 decimals (0.29 → "0.29", but 1/3 → "0.333333333"
        and 123456789012.34 → "123456789012.339996338"), so only texts with exactly 9 decimals
        can differ from the number: for those rows alone the column is read again as numbers and
        written as the shortest text that round-trips.
        """
        positions = [p for p in positions if str(p) in self.cells.columns]
        if self._book is None or not positions:
            return {}
        percent = _percent_cells(self._path, self.label, positions) if self._path else {}
        texts = self.cells.select(pl.col(str(p)) for p in positions)
        suspects = texts.select(pl.col(str(p)).str.strip_chars().str.contains(_NINE_DECIMALS).fill_null(False)
                                for p in positions)
        lossy = [p for p in positions if suspects[str(p)].any()]
        numbers = {}
        if lossy:
            loaded = self._book.load_sheet(self.label, header_row=None, skip_rows=0, dtypes="float",
                                           use_columns=[self._names[p] for p in lossy])
            frame = loaded.to_polars()
            numbers = {p: frame[self._names[p]].cast(pl.Float64) for p in lossy}
        exact = {}
        for pos in positions:
            text = texts[str(pos)]
            if pos in numbers:
                rows = suspects[str(pos)].arg_true()
                fixed = (pl.DataFrame({"n": numbers[pos].gather(rows)})
                         .select(_float_text(pl.col("n"))).to_series())
                text = text.scatter(rows, fixed.fill_null(text.gather(rows)))
            if percent.get(pos):
                rows = pl.Series(percent[pos], dtype=pl.Int64)
                rows = rows.filter(rows < len(text))
                shown = pl.DataFrame({"t": text.gather(rows)})
                number = pl.col("t").str.strip_chars()
                shown = shown.select(pl.when(number.str.contains(_PLAIN_NUMBER))
                                     .then(_times_hundred(number) + "%").otherwise(pl.col("t"))).to_series()
                text = text.scatter(rows, shown)
            exact[pos] = text
        return exact


def read_workbook(path: Path) -> list[SheetText]:
    """Every sheet of an XLSX workbook, in order, as text."""
    try:
        book = fastexcel.read_excel(path)
        sheets = []
        for name in book.sheet_names:
            loaded = book.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            names = {c.absolute_index: c.name for c in loaded.available_columns()}
            frame = loaded.to_polars()
            cells = frame.rename({name: str(pos) for pos, name in names.items() if name in frame.columns})
            sheets.append(SheetText(name, cells, True, book, path, names))
        return sheets
    except fastexcel.FastExcelError as exc:
        raise Unreadable("无法打开工作簿：文件已损坏或不是 XLSX 格式") from exc


def read_csv_text(path: Path) -> SheetText:
    """A CSV file as text: UTF-8 (with or without BOM), else GB18030, which Chinese Excel
    writes unless told otherwise."""
    data = path.read_bytes()
    try:
        cells = _csv_frame(data)
    except pl.exceptions.ComputeError:
        try:
            cells = _csv_frame(data.decode("gb18030").encode("utf-8"))
        except (UnicodeDecodeError, pl.exceptions.ComputeError):
            raise Unreadable("无法识别的编码：请将 CSV 另存为 UTF-8 或 GB18030 编码"
) from None
    return SheetText(path.name, cells, False)


def _csv_frame(data: bytes) -> pl.DataFrame:
    if not data.strip():
        return pl.DataFrame()
    frame = pl.read_csv(data, has_header=False, infer_schema=False, truncate_ragged_lines=True,
                        quote_char='"', raise_if_empty=False)
    return frame.rename({c: str(i) for i, c in enumerate(frame.columns)})


def _trimmed(value: str | None) -> str | None:
    return (value or "").strip() or None


def _float_text(number: pl.Expr) -> pl.Expr:
    """A double as plain decimal text, the shortest that round-trips (no exponent, no ".0")."""
    parts = number.cast(pl.String).str.to_lowercase().str.extract_groups(_FLOAT_TEXT)
    sign, whole = parts.struct.field("sign"), parts.struct.field("int")
    frac, exp = parts.struct.field("frac").fill_null(""), parts.struct.field("exp").cast(pl.Int64)
    digits = whole + frac
    point = whole.str.len_chars().cast(pl.Int64) + exp  # where the decimal point goes in digits
    size = digits.str.len_chars().cast(pl.Int64)
    zeros = pl.lit(_ZEROS)
    # Every branch is computed for every row, so no length may go negative.
    inside = point.clip(0, None)
    shifted = (pl.when(point <= 0).then("0." + zeros.str.slice(0, (-point).clip(0, None)) + digits)
               .when(point >= size).then(digits + zeros.str.slice(0, (point - size).clip(0, None)))
               .otherwise(digits.str.slice(0, inside) + "." + digits.str.slice(inside)))
    plain = pl.when(exp.is_null()).then(
        pl.when(frac.str.contains("^0*$")).then(whole).otherwise(whole + "." + frac)).otherwise(shifted)
    return _strip_zeros(sign + plain)


def _times_hundred(text: pl.Expr) -> pl.Expr:
    """Plain decimal text × 100, by moving the point (0.0435 → 4.35)."""
    parts = text.str.extract_groups(r"^(?<sign>-?)(?<int>[0-9]+)(?:\.(?<frac>[0-9]*))?$")
    frac = parts.struct.field("frac").fill_null("").str.pad_end(2, "0")
    whole = (parts.struct.field("int") + frac.str.slice(0, 2)).str.strip_chars_start("0")
    rest = frac.str.slice(2)
    return (parts.struct.field("sign") + pl.when(whole == "").then(pl.lit("0")).otherwise(whole)
            + pl.when(rest == "").then(pl.lit("")).otherwise("." + rest))


def _strip_zeros(text: pl.Expr) -> pl.Expr:
    """Trailing zeros of the decimals and a bare point removed (12.30 → 12.3, 5.0 → 5)."""
    return pl.when(text.str.contains(r"\.")).then(
        text.str.strip_chars_end("0").str.strip_chars_end(".")).otherwise(text)


# ---- percent formats: calamine does not report number formats, so the sheet's XML is scanned
# for the cells styled with one; only when the workbook has such a style at all ------------------

def _percent_cells(path: Path, sheet: str, positions: list[int]) -> dict[int, list[int]]:
    """Column position → the frame rows (sheet row − 1) of cells with a percent format."""
    try:
        with zipfile.ZipFile(path) as book:
            styles = _percent_styles(book)
            if not styles:
                return {}
            member = _sheet_member(book, sheet)
            if member is None:
                return {}
            wanted = {column_letters(p): p for p in positions}
            pattern = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]+)"[^>]*?\bs="('
                                 + b"|".join(str(s).encode() for s in sorted(styles)) + rb')"')
            found: dict[int, list[int]] = {}
            for letters, row in _scan(book, member, pattern):
                if letters in wanted:
                    found.setdefault(wanted[letters], []).append(row - 1)
            return found
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return {}


def _scan(book: zipfile.ZipFile, member: str, pattern: re.Pattern) -> Iterable[tuple[str, int]]:
    """Matches of ``pattern`` in a zip member read in chunks (memory stays bounded)."""
    tail = b""
    with book.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            text = tail + chunk
            cut = text.rfind(b"<c ")  # a cell tag may straddle chunks: keep it for the next round
            cut = len(text) if cut < 0 else cut
            for match in pattern.finditer(text, 0, cut):
                yield match.group(1).decode(), int(match.group(2))
            tail = text[cut:]
    for match in pattern.finditer(tail):
        yield match.group(1).decode(), int(match.group(2))


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


def _percent_styles(book: zipfile.ZipFile) -> set[int]:
    """Indices of cell styles (cellXfs) whose number format shows a percent."""
    if "xl/styles.xml" not in book.namelist():
        return set()
    root = ElementTree.fromstring(book.read("xl/styles.xml"))
    percent = set(_PERCENT_FORMATS)
    for fmt in root.iterfind("m:numFmts/m:numFmt", _NS):
        if "%" in re.sub(r'"[^"]*"|\\.', "", fmt.get("formatCode", "")):
            percent.add(int(fmt.get("numFmtId", "-1")))
    xfs = root.find("m:cellXfs", _NS)
    return {i for i, xf in enumerate(xfs if xfs is not None else [])
            if int(xf.get("numFmtId", "0")) in percent}


def _sheet_member(book: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rid = next((s.get(f"{{{_NS['r']}}}id") for s in workbook.iterfind("m:sheets/m:sheet", _NS)
                if s.get("name") == sheet), None)
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.iterfind("p:Relationship", _NS) if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)


def column_letters(position: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    text, n = "", position + 1
    while n:
        n, rest = divmod(n - 1, 26)
        text = chr(65 + rest) + text
    return text
