"""Import the policy engine's input (政策兑现): enterprises, their yearly facts, dated events.

``read_policy_data`` reads one workbook with sheets ``enterprises``, ``facts`` and ``events``, or
a directory holding ``enterprises.csv``, ``facts.csv`` and ``events.csv``, and returns typed
frames — or raises ``ImportRejected`` listing every problem by sheet (or file), row and column.
All or nothing, like ``actuals_import``, whose problem types it shares.

Fast where it matters: XLSX is read by calamine and CSV by Polars' reader (``sheet_cells``),
each column whole, and every check is a Polars expression over whole columns
(``enterprise_cells``): no Python loop over rows. Money is exact: yuan text becomes integer
fen by string arithmetic, never through a float (a numeric XLSX cell is read through the
shortest text that round-trips it). Ratios and rates become integer millionths (ppm), the unit
of the policy engine's ``ppm`` variables.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from ..policy.catalog import load_policy_catalog
from ..policy.frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA
from ..policy.vocabulary import Vocabulary, unknown, with_codes
from ..settings import SheetLimits, UploadLimits
from ..uscc import uscc_problem, valid_uscc_mask
# Shared with the actuals importer so both report problems the same way.
from .actuals_import import (
    LABEL_COLS,
    PROBLEM_COLS,
    SHEET_COLS,
    ImportRejected,
    Problem,
    _capped,
    _file_problem,
    _keys,
    _problem,
)
from ..policy.fact_registry import FACTS as REGISTRY
from .enterprise_cells import (
    boolean,
    fact_cell,
    date,
    integer,
    money,
    msg,
    parse,
    ratio,
    reasons,
    year_problem,
    zh,
)
from .enterprise_fields import (
    COUNTS,
    DECIMALS,
    ENTERPRISE_COLUMNS,
    ENTERPRISES,
    EVENT_COLUMNS,
    EVENTS,
    FACT_COLUMNS,
    FACTS,
    FIELD_ALIASES,
    FLAGS,
    MONEY,
    QUZHOU,
    RATIOS,
    SHEET_ALIASES,
    TABLES,
    UNITS,
    Table,
)
from .enterprise_template import write_policy_template
from .sheet_cells import SheetText, Unreadable, column_letters, read_csv_text, read_workbook
from .spreadsheet_guard import SpreadsheetRefused, check_spreadsheet

__all__ = [
    "ENTERPRISE_COLUMNS", "ENTERPRISE_SCHEMA", "EVENT_COLUMNS", "EVENT_SCHEMA", "FACT_COLUMNS",
    "FACT_SCHEMA", "ImportRejected", "PolicyData", "Problem", "read_policy_data",
    "write_policy_template",
]


@dataclass(frozen=True)
class PolicyData:
    """The policy engine's input: one row per enterprise, per enterprise-year, per event."""

    enterprises: pl.DataFrame
    facts: pl.DataFrame
    events: pl.DataFrame


def read_policy_data(source: Path, catalog: Catalog, *,
                     event_kinds: Collection[str] | None = None,
                     levels: Collection[str] | None = None,
                     ratings: Collection[str] | None = None, limits: SheetLimits | None = None,
                     shown_name: str | None = None, vocabulary: Vocabulary | None = None) -> PolicyData:
    """Read and validate the policy engine's input from an XLSX file or a CSV directory.

    The enterprises sheet is required; facts and events may be absent (empty frames).
    ``kind``, ``level`` and ``rating`` must be in ``vocabulary`` (by default that of the
    packaged policy catalog; pass the rules in force, edits applied, where there are some);
    ``event_kinds``, ``levels`` and ``ratings``, when given, narrow it to those values. A level
    or rating may be written by its Chinese name (省级, 深绿): the frame holds the code. Raises
    ``ImportRejected`` with every problem when anything is wrong, or at once when the file is
    past ``limits`` (``UploadLimits``' enterprise limits by default; ``shown_name`` is the
    file's name in that refusal when it is stored under another).
    """
    vocabulary = vocabulary or Vocabulary.of(load_policy_catalog())
    allowed = {"kind": vocabulary.event_kinds if event_kinds is None else event_kinds,
               "level": vocabulary.levels if levels is None else levels,
               "rating": vocabulary.ratings if ratings is None else ratings}
    source = Path(source)
    try:  # before any parser: a zip bomb or millions of rows are refused at once
        check_spreadsheet(source, limits or UploadLimits.from_env().enterprise_sheet, shown_name=shown_name)
    except SpreadsheetRefused as exc:
        raise ImportRejected(source, [Problem(source.name, 0, "", str(exc))]) from None
    read = _read_tables(source)
    texts = {t.name: read.texts.get(t.name, _empty(t)) for t in TABLES}
    # Without a readable enterprises sheet every fact would be "unknown"; that is one problem.
    known = None
    enterprises, found_e = _enterprises(texts["enterprises"], catalog)
    if "enterprises" in read.texts:
        known = enterprises["uscc"].drop_nulls().unique()
    sheet = read.sheets["enterprises"]
    # Only the facts the file has a column for are given (a stored fact it leaves out stays).
    given = {c["field"] for c in read.columns if c["_sheet_no"] == FACTS.number}
    facts, found_f = _facts(texts["facts"], known, sheet, given)
    events, found_v = _events(texts["events"], known, sheet, allowed)
    found = (pl.concat([found_e, found_f, found_v])
             .join(pl.DataFrame(read.columns, schema=LABEL_COLS),
                   on=["_sheet_no", "field"], how="left")
             .select(list(PROBLEM_COLS)))
    everything = pl.concat([pl.DataFrame(read.problems, schema=PROBLEM_COLS), found])
    if everything.height:
        raise ImportRejected(source, _capped(everything, source.name))
    return PolicyData(enterprises.cast(ENTERPRISE_SCHEMA), facts.cast({c: FACT_SCHEMA[c] for c in facts.columns}),
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
        found, letters = _sheets(source)
    except Unreadable as exc:
        read.problems.append(_file_problem(source.name, str(exc)))
        return read
    for table in TABLES:
        sheet = found.get(table.name)
        label = sheet.label if sheet else (table.name if letters else f"{table.name}.csv")
        read.sheets[table.name] = label
        header = sheet.header() if sheet else []
        if sheet is None or _blank(sheet):
            if table is ENTERPRISES:  # facts and events may be left out, enterprises may not
                read.problems.append(_file_problem(label, _absent(table, sheet is not None, letters)))
            continue
        positions, header_problems = _header(table, label, header, letters)
        read.problems += header_problems
        if positions is None:
            continue
        read.columns += [{"_sheet_no": table.number, "field": f, "_pos": pos, "column": text}
                         for f, (pos, text) in positions.items()]
        rows = _body(table, sheet, {f: pos for f, (pos, _) in positions.items()})
        if table is ENTERPRISES and rows.height == 0:
            read.problems.append(_file_problem(label, "无数据行：只有表头"
))
        read.texts[table.name] = rows
    return read


def _blank(sheet: SheetText) -> bool:
    cells = sheet.cells
    if cells.height == 0 or cells.width == 0:
        return True
    return not cells.select(pl.any_horizontal(
        (pl.all().str.strip_chars() != "").fill_null(False)).any()).item()


def _body(table: Table, sheet: SheetText, positions: dict[str, int]) -> pl.DataFrame:
    """The rows under the header as trimmed text, None for blank cells; blank rows dropped.
    Money and ratio cells are read exactly (``SheetText.exact_numbers``)."""
    exact = sheet.exact_numbers(pos for f, pos in positions.items() if f in MONEY or f in RATIOS or f in DECIMALS)
    fields = list(positions)
    columns = sheet.cells.select(
        [(pl.lit(exact[pos]) if pos in exact else pl.col(str(pos))).alias(f)
         for f, pos in positions.items()]).slice(1)
    return (columns
            .with_columns(pl.col(fields).str.strip_chars())
            .with_columns(pl.when(pl.col(f) != "").then(pl.col(f)).alias(f) for f in fields)
            .with_row_index("_row", offset=2)
            .filter(pl.any_horizontal(pl.col(fields).is_not_null()))  # blank rows are layout
            .select(_sheet_no=pl.lit(table.number, pl.Int64), _sheet=pl.lit(sheet.label, pl.String),
                    _row=pl.col("_row").cast(pl.Int64),
                    **{f: pl.col(f) if f in positions else pl.lit(None, pl.String)
                       for f in table.fields}))


def _empty(table: Table) -> pl.DataFrame:
    """A table left out: no rows, the columns of a read one."""
    return pl.DataFrame(schema={**SHEET_COLS, **dict.fromkeys(table.fields, pl.String)})


def _absent(table: Table, present: bool, letters: bool) -> str:
    if present:
        return ("空工作表" if letters else "空文件") + f"：必须有“{SHEET_ALIASES[table.name][0]}”的数据"
    if letters:
        return f"缺少工作表：必须有“{SHEET_ALIASES[table.name][0]}”（{table.name}）工作表"
    return f"缺少文件：必须有 {table.name}.csv（{SHEET_ALIASES[table.name][0]}）"


def _sheets(source: Path) -> tuple[dict[str, SheetText], bool]:
    """Table name → its sheet (or CSV file) as text, and whether columns have letters."""
    if source.is_dir():
        files: dict[str, Path] = {}
        for path in sorted(source.iterdir()):
            name = _table_of(path.stem) if path.suffix.lower() == ".csv" else None
            if name:
                files.setdefault(name, path)
        return {name: read_csv_text(path) for name, path in files.items()}, False
    if not source.exists():
        raise Unreadable(f"找不到文件：{source.name}")
    if source.suffix.lower() not in (".xlsx", ".xlsm"):
        raise Unreadable(f"不支持的文件类型“{source.suffix}”：请提供 XLSX 工作簿或 CSV 文件所在的文件夹")
    found: dict[str, SheetText] = {}
    for sheet in read_workbook(source):
        name = _table_of(sheet.label)
        if name and name not in found:  # a second sheet of the same table is not read
            found[name] = sheet
    return found, True


def _table_of(title: str) -> str | None:
    key = _key(title)
    return next((t for t, aliases in SHEET_ALIASES.items()
                 if key in {t, *map(_key, aliases)}), None)


def _header(table: Table, label: str, header: list[str | None], letters: bool
            ) -> tuple[dict[str, tuple[int, str]] | None, list[dict]]:
    """Field → (position, column label) from the header row; None when columns are missing."""
    by_key = {_key(alias): f for f in table.fields for alias in (f, *FIELD_ALIASES[f])}
    positions: dict[str, tuple[int, str]] = {}
    problems = []
    for pos, text in enumerate(header):
        shown = f"{text} ({column_letters(pos)})" if letters else (text or "")
        key = _key(text)
        # The last bracket is the unit: 用地面积(含租用)(亩) is 用地面积(含租用) in 亩.
        base, unit = re.fullmatch(r"(.*?)(?:\(([^()]*)\))?", key).groups()
        field = by_key.get(key) or by_key.get(base)
        if field is None:
            continue
        if unit is not None and by_key.get(key) is None and unit != _key(UNITS.get(field)):
            problems.append(_problem(table.number, label, 1, pos, shown, (
                f"不支持的单位“{unit}”：{zh(field)}"
                + (f"以{UNITS[field]}为单位" if field in UNITS else "按原值填写，不带单位"))))
            continue
        if field in positions:
            problems.append(_problem(table.number, label, 1, pos, shown, "重复列："
                                     f"{positions[field][1]} 也是“{zh(field)}”"))
            continue
        positions[field] = (pos, shown)
    missing = [f for f in table.required if f not in positions]
    problems += [_problem(table.number, label, 1, -1, "",
                          f"缺少列：{zh(f)}（可写作 {'/'.join(FIELD_ALIASES[f])}）")
                 for f in missing]
    return (None if missing else positions), problems


def _key(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").lower()


# ---- validation: one frame per table, one reason expression per kind of problem ---------------

def _with_uscc(rows: pl.DataFrame) -> pl.DataFrame:
    """Adds the upper-cased code, whether it is valid (vectorised) and, if not, why. Each
    distinct code is checked once: a facts sheet repeats every code once a year."""
    code = rows["uscc"].str.to_uppercase()
    distinct = code.drop_nulls().unique()
    valid = distinct.filter(valid_uscc_mask(distinct))
    ok = code.is_in(valid.implode()).fill_null(False)
    why = {c: uscc_problem(c) for c in code.filter(~ok).drop_nulls().unique().to_list()}
    return rows.with_columns(
        uscc_code=code, uscc_ok=ok,
        uscc_why=code.replace_strict(why, default=None, return_dtype=pl.String))


def _uscc_checks(known: pl.Series | None, sheet: str) -> list[tuple[str, pl.Expr]]:
    checks = [("uscc", pl.when(pl.col("uscc").is_not_null() & ~pl.col("uscc_ok")).then(msg(
        "统一社会信用代码无效：“", pl.col("uscc"), "”（", pl.col("uscc_why"), "）"
)))]
    if known is not None:
        unknown = pl.col("uscc_ok") & ~pl.col("uscc_code").is_in(known.implode())
        checks.append(("uscc", pl.when(unknown).then(msg(
            "未登记企业：", pl.col("uscc_code"), f" 不在“{sheet}”中"))))
    return checks


def _filled(table: _Table) -> list[tuple[str, pl.Expr]]:
    return [(f, pl.when(pl.col(f).is_null()).then(pl.lit(
        f"{zh(f)}为空：此格必须填写"))) for f in table.filled]


def _with_repeats(df: pl.DataFrame, key: list[str], message: str) -> pl.DataFrame:
    """Adds ``repeat``: the row repeats an earlier row's key; its message names the first row.
    Repeats are rare, so the first row of each key is looked up only when there are some."""
    repeat = ~pl.struct(key).is_first_distinct() & pl.all_horizontal(
        pl.col(k).is_not_null() for k in key)
    df = df.with_columns(_repeat=repeat)
    if not df["_repeat"].any():
        return df.with_columns(repeat=pl.lit(None, pl.String)).drop("_repeat")
    first = pl.col("_row").first().over(key)
    return df.with_columns(repeat=pl.when("_repeat").then(msg(message, first.cast(pl.String), " 行给出"))
                           ).drop("_repeat")


def _found(df: pl.DataFrame, checks: Iterable[tuple[str, pl.Expr]]) -> pl.DataFrame:
    frames = [df.select(*SHEET_COLS, field=pl.lit(f), reason=reason.cast(pl.String))
              for f, reason in checks]
    return pl.concat(frames).filter(pl.col("reason").is_not_null())


def _enterprises(rows: pl.DataFrame, catalog: Catalog) -> tuple[pl.DataFrame, pl.DataFrame]:
    orgs = _keys([(key, u.code) for u in catalog.org_units for key in (u.code, u.name_zh)],
                 {"org_unit": pl.String, "org_code": pl.String}, ["org_unit"])
    names = catalog.org_unit_names()
    quzhou = sorted(catalog.subtree(QUZHOU))
    flags = {f: boolean(f) for f in FLAGS}
    df = (parse(_with_uscc(rows), flags)
          .join(orgs, on="org_unit", how="left", maintain_order="left")
          .with_columns(pl.col("_ambiguous").fill_null(False),
                        org_name=pl.col("org_code").replace_strict(names, default=None))
          .pipe(_with_repeats, ["uscc_code"], "重复企业：同一统一社会信用代码已在第 "))
    col = pl.col
    checks = [
        *_filled(ENTERPRISES),
        *_uscc_checks(None, ""),
        ("uscc", col("repeat")),
        ("org_unit", pl.when(col("org_unit").is_not_null() & col("org_code").is_null()
                             & ~col("_ambiguous")).then(msg(
            "未知地区：“", col("org_unit"),
            "”既不是地区代码，也不是地区名称"))),
        ("org_unit", pl.when(col("_ambiguous")).then(msg(
            "地区名称不唯一：“", col("org_unit"), "”对应多个地区，请填写地区代码"))),
        ("org_unit", pl.when(col("org_code").is_not_null() & ~col("org_code").is_in(quzhou))
         .then(msg("不在衢州市范围：本平台的政策只适用于衢州市（", col("org_name"), "）"))),
        *reasons(flags),
    ]
    return df.select(
        uscc="uscc_code", name="name", org_unit="org_code", industry="industry",
        **{f: f"{f}_value" for f in FLAGS},
    ), _found(df, checks)


def _facts(rows: pl.DataFrame, known: pl.Series | None, sheet: str, given: Collection[str]
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The 年度数据 rows: every registry fact parsed by its kind and checked against its bounds
    or vocabulary. The frame has the facts stored as columns (as ever: empty when left out) and
    the other facts the file has a column for."""
    parsed = {"year": integer("year", suffix="年"), **{f.name: fact_cell(f) for f in REGISTRY}}
    df = (parse(_with_uscc(rows), parsed)
          .pipe(_with_repeats, ["uscc_code", "year_value"],
                "重复年度数据：同一企业同一年度已在第 "))
    checks = [
        *_filled(FACTS),
        *_uscc_checks(known, sheet),
        *reasons(parsed),
        ("year", year_problem(pl.col("year_value"))),
        ("year", pl.col("repeat")),
    ]
    kept = [f.name for f in REGISTRY if f.column or f.name in given]
    return df.select(uscc="uscc_code", year="year_value", **{f: f"{f}_value" for f in kept}), _found(df, checks)


def _events(rows: pl.DataFrame, known: pl.Series | None, sheet: str,
            allowed: dict[str, Collection[str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    parsed = {"date": date("date"),
              **{f: money(f) for f in ("amount", "assessed_award", "already_paid")},
              **{f: ratio(f) for f in RATIOS}, **{f: integer(f) for f in COUNTS}}
    df = parse(_with_uscc(with_codes(rows)), parsed)
    checks = [
        *_filled(EVENTS),
        *_uscc_checks(known, sheet),
        *reasons(parsed),
        ("date", year_problem(pl.col("date_value").dt.year())),
        *[(f, unknown(f, values)) for f, values in allowed.items()],
    ]
    return df.select(
        uscc="uscc_code", date="date_value", year=pl.col("date_value").dt.year(), kind="kind",
        level="level", amount="amount_value", count="count_value", subject="subject",
        rating="rating", local_share="local_share_value",
        benchmark_rate="benchmark_rate_value", days="days_value",
        assessed_award="assessed_award_value", already_paid="already_paid_value",
    ), _found(df, checks)
