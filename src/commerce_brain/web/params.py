"""The bounded parameters every route shares: record ids and years.

A number typed in a URL can be anything; the store's ids and versions are ``Integer`` columns,
signed 32-bit on PostgreSQL (SQLite's are 64-bit: the narrower bounds both). Every id in a
path or a query is declared with ``RecordId`` (or ``RecordIdQuery``) and every year with
``YearQuery``/``YearField``, so a value out of range is refused by validation (an id: 404, as
if the record did not exist; a year: 422) before it reaches SQL, where it would be a 500.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

ID_MAX = 2**31 - 1  # PostgreSQL's integer
# The years the platform computes for: the plans' and the policies' years with room around them.
YEARS = (2000, 2100)

RecordId = Annotated[int, Path(ge=1, le=ID_MAX, description="记录编号 a record's id (1 … 2^31−1)")]
RecordIdQuery = Annotated[int | None, Query(ge=1, le=ID_MAX, description="记录编号 a record's id")]
YearQuery = Annotated[int, Query(ge=YEARS[0], le=YEARS[1], description="年度 a year (2000–2100)")]
OptionalYearQuery = Annotated[int | None, Query(ge=YEARS[0], le=YEARS[1], description="年度 a year (2000–2100)")]
YearField = Annotated[int, Field(ge=YEARS[0], le=YEARS[1], description="年度 a year (2000–2100)")]
VersionField = Annotated[int, Field(ge=0, le=ID_MAX, description="版本号 a rule version (0 = as packaged)")]


def year_or_none(text: str | None) -> int | None:
    """A year typed in a page's filter form, or None (no filter) for anything that is not one:
    the form sends ``year=`` when left empty."""
    raw = (text or "").strip()
    if not raw.isdigit() or len(raw) != 4:
        return None
    year = int(raw)
    return year if YEARS[0] <= year <= YEARS[1] else None

# A project's id as the catalog and the project import write it (zl13-01, a city's 重点项目
# code): letters, digits, ``-``, ``_`` and ``.``, at most 64. Anything else is a missing project (404).
PROJECT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
ProjectId = Annotated[str, Path(pattern=PROJECT_ID_PATTERN, description="项目编号 a project's id (zl13-01)")]

# An enterprise's 统一社会信用代码 in a path: 18 digits or capitals; anything else is a missing
# enterprise (404). Checked by the route after its capability check (not by the path's
# validation), so that a role refused the page is refused alike for any code.
USCC_IN_PATH = re.compile(r"[0-9A-Z]{18}")
