"""Import the policy engine's input (政策兑现): enterprises, their yearly facts, dated events.

``read_policy_data`` reads one workbook with sheets ``enterprises``, ``facts`` and ``events``, or
a directory holding ``enterprises.csv``, ``facts.csv`` and ``events.csv``, and returns typed
frames — or raises ``ImportRejected`` listing every problem by sheet (or file), row and column.
All or nothing, like ``actuals_import``, whose problem types and file helpers it shares.

Money is exact: yuan text becomes integer fen by string arithmetic, never through a float (a
numeric XLSX cell is read through ``repr``, the shortest text that round-trips). Ratios and
rates become integer millionths (ppm), the unit of the policy engine's ``ppm`` variables.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ..catalog import Catalog
from ..policy.expr_compile import BOUNDS
from ..policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA
from ..uscc import make_uscc, uscc_problem, valid_uscc_mask
# Shared with the actuals importer so both report problems the same way.
from .actuals_import import (
    LABEL_COLS,
    PROBLEM_COLS,
    SHEET_COLS,
    ImportRejected,
    Problem,
    _capped,
    _csv_grid,
    _file_problem,
    _keys,
    _problem,
    _Unreadable,
)

__all__ = [
    "ENTERPRISE_COLUMNS", "ENTERPRISE_SCHEMA", "EVENT_COLUMNS", "EVENT_SCHEMA", "FACT_COLUMNS",
    "FACT_SCHEMA", "ImportRejected", "PolicyData", "Problem", "read_policy_data",
    "write_policy_template",
]

FLAGS = ("is_manufacturing", "is_industrial", "is_listed", "is_provincial_or_central_owned")
ENTERPRISE_COLUMNS = ("uscc", "name", "org_unit", "industry", *FLAGS)
FACT_COLUMNS = ("uscc", "year", "main_revenue", "rd_spend")
EVENT_COLUMNS = ("uscc", "date", "kind", "level", "amount", "count", "subject", "rating",
                 "local_share", "benchmark_rate", "days", "assessed_award", "already_paid")
MONEY = ("main_revenue", "rd_spend", "amount", "assessed_award", "already_paid")
RATIOS = ("local_share", "benchmark_rate")
COUNTS = ("count", "days")

# Every accepted spelling in one place (the engine's own Chinese names, from
# catalog/policies/variables.yaml, included). The first is the Chinese name used in messages.
# Headers are compared after NFKC (full-width brackets), without spaces, case-insensitively;
# a money header may carry "(元)", any other unit in brackets is refused rather than misread.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "信用代码"),
    "name": ("企业名称",),
    "org_unit": ("地区", "行政区划", "所在地区"),
    "industry": ("行业",),
    "is_manufacturing": ("是否制造业",),
    "is_industrial": ("是否工业",),
    "is_listed": ("是否上市",),
    "is_provincial_or_central_owned": ("是否省部属",),
    "year": ("年度", "年份"),
    "main_revenue": ("主营业务收入", "销售收入"),
    "rd_spend": ("研发投入",),
    "date": ("日期",),
    "kind": ("事件类型",),
    "level": ("级别",),
    "amount": ("金额",),
    "count": ("数量",),
    "subject": ("对象",),
    "rating": ("评级",),
    "local_share": ("本地投资比例",),
    "benchmark_rate": ("基准利率", "贷款同期基准利率"),
    "days": ("天数", "计息天数"),
    "assessed_award": ("评审金额", "评审核定金额"),
    "already_paid": ("已兑现金额",),
}
SHEET_ALIASES = {"enterprises": ("企业",), "facts": ("年度数据",), "events": ("事件",)}

QUZHOU = "330800"
YEARS = (2000, 2100)
PPM = 1_000_000
TRUE_WORDS = ("1", "true", "是", "y", "yes")
FALSE_WORDS = ("0", "false", "否", "n", "no")
MAX_ALLOWED_SHOWN = 12

# Yuan: optional sign, digits (commas only in groups of three), any decimals — the decimals
# beyond fen are checked separately so that the message can say why.
MONEY_RE = r"^(?<sign>[+-]?)(?<int>[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{0,15})(?:\.(?<frac>[0-9]*))?$"
RATIO_RE = r"^(?<sign>[+-]?)(?<int>[0-9]{0,9})(?:\.(?<frac>[0-9]+))?(?<pct>%?)$"
INT_RE = r"^(?<sign>[+-]?)(?<int>[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15})(?:\.0+)?$"
# 2023-05-01 | 2023/5/1 | 2023.5.1 | 2023年5月1日, optionally with the time Excel adds in CSV
DATE_RE = (r"^(?<y>[0-9]{4})[-/.年](?<m>[0-9]{1,2})[-/.月](?<d>[0-9]{1,2})日?"
           r"(?:[ T][0-9:.]+)?$")


@dataclass(frozen=True)
class PolicyData:
    """The policy engine's input: one row per enterprise, per enterprise-year, per event."""

    enterprises: pl.DataFrame
    facts: pl.DataFrame
    events: pl.DataFrame


@dataclass(frozen=True)
class _Table:
    name: str
    number: int  # sheet order, so problems list enterprises, then facts, then events
    fields: tuple[str, ...]
    required: tuple[str, ...]  # columns the header must have
    filled: tuple[str, ...]  # cells that must not be empty


# A flag column left out would silently make every enterprise "no" — for 是否省部属 that
# means paying the ones the policies exclude — so the flag columns are required (cells may be
# empty). main_revenue is required because the engine's contract has it non-null.
ENTERPRISES = _Table("enterprises", 0, ENTERPRISE_COLUMNS, ("uscc", "name", "org_unit", *FLAGS),
                     ("uscc", "name", "org_unit"))
FACTS = _Table("facts", 1, FACT_COLUMNS, ("uscc", "year", "main_revenue"),
               ("uscc", "year", "main_revenue"))
EVENTS = _Table("events", 2, EVENT_COLUMNS, ("uscc", "date", "kind"), ("uscc", "date", "kind"))
TABLES = (ENTERPRISES, FACTS, EVENTS)


def read_policy_data(source: Path, catalog: Catalog, *,
                     event_kinds: Collection[str] | None = None,
                     levels: Collection[str] | None = None,
                     ratings: Collection[str] | None = None) -> PolicyData:
    """Read and validate the policy engine's input from an XLSX file or a CSV directory.

    The enterprises sheet is required; facts and events may be absent (empty frames).
    ``event_kinds``, ``levels`` and ``ratings``, when given, are the only values allowed in
    those columns. Raises ``ImportRejected`` with every problem when anything is wrong.
    """
    source = Path(source)
    read = _read_tables(source)
    texts = {t.name: read.texts.get(t.name, _body(t, t.name, [], {})) for t in TABLES}
    # Without a readable enterprises sheet every fact would be "unknown"; that is one problem.
    known = None
    enterprises, found_e = _enterprises(texts["enterprises"], catalog)
    if "enterprises" in read.texts:
        known = enterprises["uscc"].drop_nulls().unique()
    sheet = read.sheets["enterprises"]
    facts, found_f = _facts(texts["facts"], known, sheet)
    events, found_v = _events(texts["events"], known, sheet,
                              {"kind": event_kinds, "level": levels, "rating": ratings})
    found = (pl.concat([found_e, found_f, found_v])
             .join(pl.DataFrame(read.columns, schema=LABEL_COLS),
                   on=["_sheet_no", "field"], how="left")
             .select(list(PROBLEM_COLS)))
    everything = pl.concat([pl.DataFrame(read.problems, schema=PROBLEM_COLS), found])
    if everything.height:
        raise ImportRejected(source, _capped(everything, source.name))
    return PolicyData(enterprises.cast(ENTERPRISE_SCHEMA), facts.cast(FACT_SCHEMA),
                      events.cast(EVENT_SCHEMA))


# ---- reading: sheets or CSV files into one text frame per table ------------------------------

@dataclass
class _Read:
    texts: dict[str, pl.DataFrame]  # table name → text frame, for the tables found
    sheets: dict[str, str]  # table name → sheet or file name as the user sees it
    columns: list[dict]  # LABEL_COLS rows: where each field's column is
    problems: list[dict]  # PROBLEM_COLS rows found while reading


def _read_tables(source: Path) -> _Read:
    """Each table's rows as trimmed text, with the labels that locate problems."""
    read = _Read({}, {t.name: t.name for t in TABLES}, [], [])
    try:
        grids, letters = _grids(source)
    except _Unreadable as exc:
        read.problems.append(_file_problem(source.name, str(exc)))
        return read
    for table in TABLES:
        label, grid = grids.get(table.name, (table.name if letters else f"{table.name}.csv", []))
        read.sheets[table.name] = label
        header = [_trimmed(c) for c in grid[0]] if grid else []
        if not any(header) and not any(_trimmed(c) for row in grid for c in row):
            if table is ENTERPRISES:  # facts and events may be left out, enterprises may not
                read.problems.append(_file_problem(label, _absent(table, grids, letters)))
            continue
        positions, header_problems = _header(table, label, header, letters)
        read.problems += header_problems
        if positions is None:
            continue
        read.columns += [{"_sheet_no": table.number, "field": f, "_pos": pos, "column": text}
                         for f, (pos, text) in positions.items()]
        rows = _body(table, label, grid[1:], {f: pos for f, (pos, _) in positions.items()})
        if table is ENTERPRISES and rows.height == 0:
            read.problems.append(_file_problem(label, "无数据行 no data rows: there is only a header"))
        read.texts[table.name] = rows
    return read


def _body(table: _Table, label: str, body: list[list[str | None]], positions: dict[str, int]
          ) -> pl.DataFrame:
    """The rows under the header as trimmed text, None for blank cells; blank rows dropped."""
    columns = {f: [cells[pos] if pos < len(cells) else None for cells in body]
               for f, pos in positions.items()}
    fields = list(positions)
    return (pl.DataFrame(columns, schema=dict.fromkeys(fields, pl.String))
            .with_columns(pl.col(fields).str.strip_chars())
            .with_columns(pl.when(pl.col(f) != "").then(pl.col(f)).alias(f) for f in fields)
            .with_row_index("_row", offset=2)
            .filter(pl.any_horizontal(pl.col(fields).is_not_null()))  # blank rows are layout
            .select(_sheet_no=pl.lit(table.number, pl.Int64), _sheet=pl.lit(label, pl.String),
                    _row=pl.col("_row").cast(pl.Int64),
                    **{f: pl.col(f) if f in positions else pl.lit(None, pl.String)
                       for f in table.fields}))


def _absent(table: _Table, grids: dict, letters: bool) -> str:
    if table.name in grids:
        return ("空工作表 empty sheet" if letters else "空文件 empty file") + f": {table.name} is required"
    if letters:
        return (f"缺少工作表 missing sheet: {table.name} ({'/'.join(SHEET_ALIASES[table.name])}) "
                "is required")
    return f"缺少文件 missing file: {table.name}.csv is required"


def _grids(source: Path) -> tuple[dict[str, tuple[str, list[list[str | None]]]], bool]:
    """Table name → (sheet or file name, rows of text), and whether columns have letters."""
    if source.is_dir():
        files: dict[str, Path] = {}
        for path in sorted(source.iterdir()):
            name = _table_of(path.stem) if path.suffix.lower() == ".csv" else None
            if name:
                files.setdefault(name, path)
        return {name: (p.name, _csv_grid(p)) for name, p in files.items()}, False
    if not source.exists():
        raise _Unreadable(f"找不到文件 not found: {source}")
    if source.suffix.lower() not in (".xlsx", ".xlsm"):
        raise _Unreadable(f"不支持的文件类型 unsupported file type '{source.suffix}': give an "
                          ".xlsx workbook or a directory of CSV files")
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise _Unreadable(f"无法打开 cannot open the workbook: {exc}") from exc
    try:
        grids = {}
        for sheet in book.worksheets:
            name = _table_of(sheet.title)
            if name and name not in grids:  # a second sheet of the same table is not read
                grids[name] = (sheet.title, [[_xlsx_text(c) for c in row]
                                             for row in sheet.iter_rows()])
        return grids, True
    finally:
        book.close()


def _table_of(title: str) -> str | None:
    key = _key(title)
    return next((t for t, aliases in SHEET_ALIASES.items()
                 if key in {t, *map(_key, aliases)}), None)


def _header(table: _Table, label: str, header: list[str | None], letters: bool
            ) -> tuple[dict[str, tuple[int, str]] | None, list[dict]]:
    """Field → (position, column label) from the header row; None when columns are missing."""
    by_key = {_key(alias): f for f in table.fields for alias in (f, *FIELD_ALIASES[f])}
    positions: dict[str, tuple[int, str]] = {}
    problems = []
    for pos, text in enumerate(header):
        shown = f"{text} ({get_column_letter(pos + 1)})" if letters else (text or "")
        key = _key(text)
        base, unit = re.fullmatch(r"(.*?)(?:\((.*)\))?", key).groups()
        field = by_key.get(key) or by_key.get(base)
        if field is None:
            continue
        if unit is not None and by_key.get(key) is None and not (field in MONEY and unit == "元"):
            problems.append(_problem(table.number, label, 1, pos, shown, (
                f"不支持的单位 unsupported unit '{unit}': {field} takes "
                + ("元 (yuan)" if field in MONEY else "the value as written, without a unit"))))
            continue
        if field in positions:
            problems.append(_problem(table.number, label, 1, pos, shown, "重复列 duplicate column: "
                                     f"{positions[field][1]} is also {field}"))
            continue
        positions[field] = (pos, shown)
    missing = [f for f in table.required if f not in positions]
    problems += [_problem(table.number, label, 1, -1, "",
                          f"缺少列 missing column: {f} ({'/'.join(FIELD_ALIASES[f])})")
                 for f in missing]
    return (None if missing else positions), problems


def _key(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").lower()


def _trimmed(value: str | None) -> str | None:
    return (value or "").strip() or None


def _xlsx_text(cell: Any) -> str | None:
    """A cell as the text the user sees: numbers through repr (exact), percent cells with '%',
    dates as ISO dates (a date-time cell means its day)."""
    value = cell.value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (getattr(cell, "number_format", None) or ""):
            return _plain(number * 100) + "%"
        return _plain(number)
    return str(value).strip() or None


def _plain(number: Decimal) -> str:
    """Fixed-point text without exponent or trailing zeros (2023.0 → 2023, 1E+15 → digits)."""
    if number.is_finite() and number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


# ---- parsing: text columns into values, each with the reason it failed (null when fine) -----

def _msg(*parts: str | pl.Expr) -> pl.Expr:
    """A message from literal text and column values (no format braces to escape)."""
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in parts],
                         ignore_nulls=True)


def _zh(field: str) -> str:
    return FIELD_ALIASES[field][0]


@dataclass(frozen=True)
class _Parsed:
    """How one text column becomes values. ``parts`` (the regex match) is computed first, as a
    column, so that the regex runs once; ``reason`` is null when the cell is fine; ``value`` is
    kept only for cells that are filled and fine."""

    parts: pl.Expr
    value: pl.Expr
    reason: pl.Expr


def _parse(df: pl.DataFrame, parsed: dict[str, _Parsed]) -> pl.DataFrame:
    """Adds ``{field}_value`` and ``_{field}_reason`` for each parsed field."""
    return (df.with_columns(**{_parts(f): p.parts for f, p in parsed.items()})
            .with_columns(**{f"_{f}_reason": p.reason for f, p in parsed.items()})
            .with_columns(**{f"{f}_value": pl.when(pl.col(f"_{f}_reason").is_null()).then(p.value)
                             for f, p in parsed.items()}))


def _reasons(parsed: dict[str, _Parsed]) -> list[tuple[str, pl.Expr]]:
    return [(f, pl.col(f"_{f}_reason")) for f in parsed]


def _parts(field: str) -> str:
    return f"_{field}_parts"


def _part(field: str, name: str) -> pl.Expr:
    return pl.col(_parts(field)).struct.field(name)


def _money(field: str) -> _Parsed:
    """Yuan text → fen (Int64), exactly: the digits are shifted, not multiplied as floats."""
    col = pl.col(field)
    digits = _part(field, "int").str.replace_all(",", "")
    frac = _part(field, "frac").fill_null("")
    shape_ok = digits.is_not_null() & ((digits != "") | (frac != ""))
    fen = _whole(digits) * 100 + frac.str.slice(0, 2).str.pad_end(2, "0").cast(pl.Int64)
    reason = (
        pl.when(col.is_null()).then(None)
        .when(~shape_ok).then(_msg(f"{_zh(field)}格式错误 malformed amount: '", col,
                                   "' (yuan, e.g. 1234567.89 or 1,234,567.89)"))
        .when(frac.str.slice(2).str.contains("[^0]")).then(_msg(
            "金额最多两位小数 at most two decimals (fen): '", col, "'"))
        .when((_part(field, "sign") == "-") & (fen > 0)).then(_msg(
            f"{_zh(field)}不能为负 negative amount: '", col, "'"))
        # The engine's exact arithmetic is sized for amounts up to 10万亿元 (BOUNDS).
        .when(fen > BOUNDS["money"]).then(_msg(
            f"{_zh(field)}超出范围 amount too large: '", col, "' (at most 10万亿元)"))
    )
    parts = col.str.strip_suffix("元").str.strip_chars().str.extract_groups(MONEY_RE)
    return _Parsed(parts, fen, reason)


def _whole(digits: pl.Expr) -> pl.Expr:
    """The integer part of a number; "" (as in ".5") is 0. Not strict: other rows' text is
    still there, and a failed cast is caught by the shape check."""
    return pl.when(digits == "").then(pl.lit(0, pl.Int64)).otherwise(
        digits.cast(pl.Int64, strict=False))


def _ratio(field: str) -> _Parsed:
    """"0.75" or "75%" → 750000 ppm. Digits past a millionth are rounded half up (a share may
    be a formula such as 1/3), unlike money, which must be exact."""
    col = pl.col(field)
    whole, given = _part(field, "int"), _part(field, "frac")
    frac = given.fill_null("").str.pad_end(7, "0")
    as_ratio = _whole(whole) * PPM + frac.str.slice(0, 6).cast(pl.Int64) + (
        frac.str.slice(6, 1).cast(pl.Int64) >= 5).cast(pl.Int64)
    as_percent = _whole(whole) * (PPM // 100) + frac.str.slice(0, 4).cast(pl.Int64) + (
        frac.str.slice(4, 1).cast(pl.Int64) >= 5).cast(pl.Int64)
    value = pl.when(_part(field, "pct") == "%").then(as_percent).otherwise(as_ratio)
    value = pl.when(_part(field, "sign") == "-").then(-value).otherwise(value)
    reason = (
        pl.when(col.is_null()).then(None)
        .when(whole.is_null() | ((whole == "") & given.is_null())).then(_msg(
            f"{_zh(field)}格式错误 malformed {field}: '", col,
            "' (a ratio such as 0.75 or a percent such as 75%)"))
        .when(~value.is_between(0, PPM)).then(_msg(
            f"{_zh(field)}超出范围 {field} outside 0..1: '", col,
            "' (write 0.75 or 75%; 4.35% or 0.0435 for a rate)"))
    )
    parts = col.str.replace_all("％", "%").str.replace_all(" ", "").str.extract_groups(RATIO_RE)
    return _Parsed(parts, value, reason)


def _integer(field: str, *, suffix: str = "") -> _Parsed:
    """Whole number (thousands commas allowed); negative counts and days are refused."""
    col = pl.col(field)
    number = _part(field, "int").str.replace_all(",", "").cast(pl.Int64, strict=False)
    number = pl.when(_part(field, "sign") == "-").then(-number).otherwise(number)
    reason = (
        pl.when(col.is_null()).then(None)
        .when(number.is_null()).then(_msg(f"{_zh(field)}不是整数 not a whole number: '", col, "'"))
        .when(number < 0).then(_msg(f"{_zh(field)}不能为负 negative {field}: '", col, "'"))
        .when(number > BOUNDS["number"]).then(_msg(
            f"{_zh(field)}超出范围 {field} too large: '", col, f"' (at most {BOUNDS['number']:,})"))
    )
    parts = col.str.strip_suffix(suffix).str.strip_chars().str.extract_groups(INT_RE)
    return _Parsed(parts, number, reason)


def _year(value: pl.Expr) -> pl.Expr:
    low, high = YEARS
    return pl.when(value.is_not_null() & ~value.is_between(low, high)).then(_msg(
        f"年份超出范围 year out of range: {low}–{high}, got ", value.cast(pl.String)))


def _boolean(field: str) -> _Parsed:
    """是/否, 1/0, Y/N, yes/no, true/false (any case); an empty cell is no."""
    words = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    parts = pl.col(field).str.to_lowercase().replace_strict(words, default=None,
                                                           return_dtype=pl.Boolean)
    reason = pl.when(pl.col(field).is_not_null() & pl.col(_parts(field)).is_null()).then(_msg(
        f"{_zh(field)}取值错误 bad yes/no: '", pl.col(field), "' (是/否, 1/0, Y/N, yes/no)"))
    return _Parsed(parts, pl.col(_parts(field)).fill_null(False), reason)


def _date(field: str) -> _Parsed:
    col = pl.col(field)
    value = pl.format("{}-{}-{}", _part(field, "y"), _part(field, "m").str.zfill(2),
                      _part(field, "d").str.zfill(2)).str.to_date("%Y-%m-%d", strict=False)
    reason = pl.when(col.is_not_null() & value.is_null()).then(_msg(
        f"{_zh(field)}格式错误 malformed date: '", col,
        "' (e.g. 2023-05-01, 2023/5/1 or 2023年5月1日)"))
    return _Parsed(col.str.extract_groups(DATE_RE), value, reason)


def _one_of(field: str, allowed: Collection[str] | None) -> pl.Expr:
    if allowed is None:
        return pl.lit(None, pl.String)
    values = sorted(set(allowed))
    shown = ", ".join(values[:MAX_ALLOWED_SHOWN]) or "(none)"
    if len(values) > MAX_ALLOWED_SHOWN:
        shown += f", … ({len(values)} in all)"
    col = pl.col(field)
    return pl.when(col.is_not_null() & ~col.is_in(values)).then(_msg(
        f"未知{_zh(field)} unknown {field}: '", col, f"' (allowed: {shown})"))


# ---- validation: one frame per table, one reason expression per kind of problem ---------------

def _with_uscc(rows: pl.DataFrame) -> pl.DataFrame:
    """Adds the upper-cased code, whether it is valid (vectorised) and, if not, why."""
    code = rows["uscc"].str.to_uppercase()
    ok = valid_uscc_mask(code)
    why = {c: uscc_problem(c) for c in code.filter(~ok).drop_nulls().unique().to_list()}
    return rows.with_columns(
        uscc_code=code, uscc_ok=ok,
        uscc_why=code.replace_strict(why, default=None, return_dtype=pl.String))


def _uscc_checks(known: pl.Series | None, sheet: str) -> list[tuple[str, pl.Expr]]:
    checks = [("uscc", pl.when(pl.col("uscc").is_not_null() & ~pl.col("uscc_ok")).then(_msg(
        "统一社会信用代码无效 invalid uscc '", pl.col("uscc"), "': ", pl.col("uscc_why"))))]
    if known is not None:
        unknown = pl.col("uscc_ok") & ~pl.col("uscc_code").is_in(known.implode())
        checks.append(("uscc", pl.when(unknown).then(_msg(
            "未登记企业 unknown enterprise: ", pl.col("uscc_code"), f" is not in {sheet}"))))
    return checks


def _filled(table: _Table) -> list[tuple[str, pl.Expr]]:
    return [(f, pl.when(pl.col(f).is_null()).then(pl.lit(
        f"{_zh(f)}为空 empty {f}: this cell is required"))) for f in table.filled]


def _repeats(key: list[str], message: str) -> dict[str, pl.Expr]:
    """``repeat``: the row repeats an earlier row's key; its message names the first row."""
    first = pl.col("_row").first().over(key)
    repeat = (pl.int_range(pl.len()).over(key) > 0) & pl.all_horizontal(
        pl.col(k).is_not_null() for k in key)
    return {"repeat": pl.when(repeat).then(_msg(message, first.cast(pl.String)))}


def _found(df: pl.DataFrame, checks: Iterable[tuple[str, pl.Expr]]) -> pl.DataFrame:
    frames = [df.select(*SHEET_COLS, field=pl.lit(f), reason=reason.cast(pl.String))
              for f, reason in checks]
    return pl.concat(frames).filter(pl.col("reason").is_not_null())


def _enterprises(rows: pl.DataFrame, catalog: Catalog) -> tuple[pl.DataFrame, pl.DataFrame]:
    orgs = _keys([(key, u.code) for u in catalog.org_units for key in (u.code, u.name_zh)],
                 {"org_unit": pl.String, "org_code": pl.String}, ["org_unit"])
    names = catalog.org_unit_names()
    quzhou = sorted(catalog.subtree(QUZHOU))
    flags = {f: _boolean(f) for f in FLAGS}
    df = (_parse(_with_uscc(rows), flags)
          .join(orgs, on="org_unit", how="left", maintain_order="left")
          .with_columns(pl.col("_ambiguous").fill_null(False),
                        org_name=pl.col("org_code").replace_strict(names, default=None))
          .with_columns(**_repeats(["uscc_code"], "重复企业 duplicate uscc: already given in row ")))
    col = pl.col
    checks = [
        *_filled(ENTERPRISES),
        *_uscc_checks(None, ""),
        ("uscc", col("repeat")),
        ("org_unit", pl.when(col("org_unit").is_not_null() & col("org_code").is_null()
                             & ~col("_ambiguous")).then(_msg(
            "未知地区 unknown org unit: '", col("org_unit"),
            "' is neither an org unit code nor its Chinese name"))),
        ("org_unit", pl.when(col("_ambiguous")).then(_msg(
            "地区名称不唯一 ambiguous org unit: '", col("org_unit"), "'; use the code"))),
        ("org_unit", pl.when(col("org_code").is_not_null() & ~col("org_code").is_in(quzhou))
         .then(_msg("不在衢州市范围 outside Quzhou: the policies are Quzhou's (",
                    col("org_name"), " ", col("org_code"), ")"))),
        *_reasons(flags),
    ]
    return df.select(
        uscc="uscc_code", name="name", org_unit="org_code", industry="industry",
        **{f: f"{f}_value" for f in FLAGS},
    ), _found(df, checks)


def _facts(rows: pl.DataFrame, known: pl.Series | None, sheet: str
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    parsed = {"year": _integer("year", suffix="年"),
              **{f: _money(f) for f in ("main_revenue", "rd_spend")}}
    df = (_parse(_with_uscc(rows), parsed)
          .with_columns(**_repeats(["uscc_code", "year_value"],
                                   "重复年度数据 duplicate uscc and year: already given in row ")))
    checks = [
        *_filled(FACTS),
        *_uscc_checks(known, sheet),
        *_reasons(parsed),
        ("year", _year(pl.col("year_value"))),
        ("year", pl.col("repeat")),
    ]
    return df.select(uscc="uscc_code", year="year_value", main_revenue="main_revenue_value",
                     rd_spend="rd_spend_value"), _found(df, checks)


def _events(rows: pl.DataFrame, known: pl.Series | None, sheet: str,
            allowed: dict[str, Collection[str] | None]) -> tuple[pl.DataFrame, pl.DataFrame]:
    parsed = {"date": _date("date"),
              **{f: _money(f) for f in ("amount", "assessed_award", "already_paid")},
              **{f: _ratio(f) for f in RATIOS}, **{f: _integer(f) for f in COUNTS}}
    df = _parse(_with_uscc(rows), parsed)
    checks = [
        *_filled(EVENTS),
        *_uscc_checks(known, sheet),
        *_reasons(parsed),
        ("date", _year(pl.col("date_value").dt.year())),
        *[(f, _one_of(f, values)) for f, values in allowed.items()],
    ]
    return df.select(
        uscc="uscc_code", date="date_value", year=pl.col("date_value").dt.year(), kind="kind",
        level="level", amount="amount_value", count="count_value", subject="subject",
        rating="rating", local_share="local_share_value",
        benchmark_rate="benchmark_rate_value", days="days_value",
        assessed_award="assessed_award_value", already_paid="already_paid_value",
    ), _found(df, checks)


# ---- template ---------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_A, _B = make_uscc("91330802MA2G00011"), make_uscc("91330800MA2G00022")
EXAMPLES = {
    "enterprises": [
        [_A, "衢州示例智能装备有限公司", "330802", "C34", "是", "是", "否", "否"],
        [_B, "衢州示例商贸有限公司", "330800", "F51", "否", "否", "否", "否"],
    ],
    "facts": [[_A, 2023, 152345678.9, 6093827.16], [_B, 2023, 80000000, None]],
    "events": [
        [_A, dt.date(2024, 3, 15), "invention_patent_granted", "national", None, 3, "一种节能电机",
         None, None, None, None, None, None],
        [_B, dt.date(2024, 6, 30), "green_loan", None, 10000000, None, "冷链仓储项目贷款",
         "dark_green", 0.75, 0.0435, 365, 120000.5, 50000],
    ],
}
FLAG_NOTE = "是/否、1/0、Y/N、yes/no、true/false；空格表示否，但列必须存在"
MONEY_NOTE = "单位元，最多两位小数（分），如 1234567.89 或 1,234,567.89"
# One line per column for the 说明 sheet; a test checks every column has one.
FIELD_NOTES = {
    "uscc": "统一社会信用代码，18位，含校验位（GB 32100）；三张表以它关联企业",
    "name": "企业名称",
    "org_unit": "行政区划代码或名称，须在衢州市范围内（330800 衢州市为市本级，330802 柯城区…）",
    "industry": "行业：GB/T 4754 代码，如 C34（通用设备制造业）；可空",
    **dict.fromkeys(FLAGS, FLAG_NOTE),
    "year": "年度，2000–2100；每个企业每年一行",
    "main_revenue": MONEY_NOTE,
    "rd_spend": MONEY_NOTE + "；可空",
    "date": "日期：2023-05-01、2023/5/1、2023年5月1日或日期单元格",
    "kind": "事件类型：政策规则的触发代码，如 invention_patent_granted（发明专利授权）",
    "level": "级别，如 national（国家级）/ provincial（省级）；可空",
    "amount": MONEY_NOTE + "；可空",
    "count": "数量：非负整数；可空",
    "subject": "对象：项目、产品或专利名称；可空",
    "rating": "评级，如 dark_green（深绿）；可空",
    "local_share": "比例 0.75 或百分比 75%（百分比单元格亦可），须在 0–1 之间；可空",
    "benchmark_rate": "基准利率：百分比 4.35% 或比例 0.0435；可空",
    "days": "天数：非负整数；可空",
    "assessed_award": "评审金额，" + MONEY_NOTE + "；可空",
    "already_paid": "已兑现金额，" + MONEY_NOTE + "；可空",
}
GENERAL_NOTES = [
    "政策兑现数据导入模板 Policy data import template: sheets enterprises, facts, events.",
    "列名可用英文或中文（见下表）；金额单位为元（不要用万元）；比例写 0.75 或 75%，利率写 4.35% 或 0.0435。",
    "任一行有误即整个文件退回，并列出工作表、行、列和原因。",
]


def write_policy_template(path: Path) -> Path:
    """Write an XLSX template: the three sheets with headers and two example rows, and 说明."""
    book = Workbook()
    book.remove(book.active)
    for table in TABLES:
        sheet = book.create_sheet(table.name)
        sheet.append(list(table.fields))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
        for row in EXAMPLES[table.name]:
            sheet.append(row)
        for letter in ("A", "B"):  # long enough to read a credit code and a name
            sheet.column_dimensions[letter].width = 24
        sheet.freeze_panes = "A2"
    events = book["events"]
    for row in range(2, events.max_row + 1):
        events.cell(row, 2).number_format = "yyyy-mm-dd"
        events.cell(row, 9).number_format = "0%"  # local_share, shows 75%
        events.cell(row, 10).number_format = "0.00%"  # benchmark_rate, shows 4.35%
    notes = book.create_sheet("说明")  # not a table's sheet name, so the import passes over it
    for line in GENERAL_NOTES:
        notes.append([line])
    notes.append([])
    notes.append(["工作表 sheet", "列 column", "中文列名", "必填 required", "说明 meaning and unit"])
    for table in TABLES:
        for field in table.fields:
            need = "必填" if field in table.filled else ("列必须存在" if field in table.required else "")
            notes.append([table.name, field, FIELD_ALIASES[field][0], need, FIELD_NOTES[field]])
    for letter, width in zip("ABCDE", (14, 32, 18, 14, 80)):
        notes.column_dimensions[letter].width = width
    book.save(path)
    return Path(path)
