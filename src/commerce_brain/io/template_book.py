"""Write a one-sheet import template as XLSX (the import sheet, 说明, reference sheets) or CSV
(the header row and the rows), every cell neutralised against formula injection."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from .actuals_template import _write
from .cells import neutralised


def write_template_book(path: Path, sheet: str, headers: list[str], rows: list[list], notes: list[str],
                        references: list[tuple[str, list[str], list[list]]]) -> Path:
    """``path`` as .xlsx (``sheet`` with ``headers`` and ``rows``, a 说明 sheet of ``notes``, and
    each reference sheet (name, headers, rows) — their headers are not the import's, so they are
    never read as data) or .csv (the header and ``rows``). ValueError for another suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            writer.writerows(neutralised(r) for r in rows)
        return path
    if suffix != ".xlsx":
        raise ValueError(f"template must be .xlsx or .csv, got {path.name}")
    book = Workbook()
    book.active.title = sheet
    _write(book.active, headers, rows)
    about = book.create_sheet("说明")
    for line in notes:
        about.append([line])
    about.column_dimensions["A"].width = 120
    for name, heads, values in references:
        _write(book.create_sheet(name), heads, values)
    book.save(path)
    return path
