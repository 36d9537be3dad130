"""Import published actuals (统计数据) from CSV or XLSX, all or nothing.

A file is accepted whole or rejected with every problem in it, each located by sheet, row and
column, so the clerk fixes the file in one pass and a half-imported file never reaches the
progress engine.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from commerce_brain.catalog import OBSERVATION_SCHEMA, Catalog
from commerce_brain.settings import DEFAULT_JUMP_FACTOR, SheetLimits, UploadLimits

from .spreadsheet_guard import SpreadsheetRefused, check_spreadsheet

from .actuals_plausibility import jump_warnings, plausibility_checks, with_plausibility_facts

MAX_PROBLEMS = 500
REQUIRED = ("plan", "indicator", "org_unit", "period", "value")
FIELDS = (*REQUIRED, "real_growth_pct", "source")
FIELD_ZH = {
    "plan": "规划", "indicator": "指标", "org_unit": "地区", "period": "期间", "value": "数值",
    "real_growth_pct": "可比价增速(%)", "source": "来源",
}
# Header spellings accepted, compared after _header_key (NFKC folds full-width （%） into (%)).
HEADERS = {
    "plan": ("plan", "规划"),
    "indicator": ("indicator", "指标"),
    "org_unit": ("org_unit", "地区", "行政区划"),
    "period": ("period", "期间", "时期"),
    "value": ("value", "数值", "值"),
    "real_growth_pct": ("real_growth_pct", "可比价增速(%)", "可比价增速"),
    "source": ("source", "来源"),
}
# 2023 | 2023.0 | 2023年 | 2023-06 | 2023-6 | 2023年6月 | 2023/6/1 | 2023-06-01 00:00:00 (the
# last two are date cells exported to CSV by Excel: they mean their month)
PERIOD_RE = (r"^(?<y>\d{4})(?:\.0+|年|[-/年](?<m>\d{1,2})(?:月|[-/]\d{1,2}(?:[ T][\d:.]+)?)?)?$")
THOUSANDS_RE = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
SHEET_COLS = {"_sheet_no": pl.Int64, "_sheet": pl.String, "_row": pl.Int64}
PROBLEM_COLS = {**SHEET_COLS, "_pos": pl.Int64, "column": pl.String, "reason": pl.String}
LABEL_COLS = {"_sheet_no": pl.Int64, "field": pl.String, "_pos": pl.Int64, "column": pl.String}


@dataclass(frozen=True)
class Problem:
    """One reason a file is rejected, located as the user sees the file.

    ``sheet`` is the XLSX sheet name or, for CSV, the file name. ``row`` is the spreadsheet row
    (the header is row 1; 0 means the file or sheet as a whole). ``column`` is the header as
    written, with its letter in XLSX (``数值 (E)``); "" for file-level problems.
    """

    sheet: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = self.sheet + (f" 第{self.row}行" if self.row else "")
        return f"{where}{', ' + self.column if self.column else ''}: {self.reason}"


class ImportRejected(Exception):
    """The file was refused whole; ``problems`` lists every reason, ``path`` names the file."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.report(imported=True)

    def report(self, *, imported: bool) -> str:
        """Every problem under one heading; ``imported=False`` for a file only read for one run
        (``policy evaluate``, ``--actuals``), where nothing was going to be imported."""
        head = "导入被拒绝，未导入任何数据" if imported else "文件被拒绝，未做计算"
        head = f"{head}：{self.path.name}（{len(self.problems)} 个问题）"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


@dataclass(frozen=True)
class CheckedActuals:
    """An accepted file's rows, and the warnings a person must accept before they are stored."""

    frame: pl.DataFrame
    warnings: list[Problem]


def read_actuals(path: Path, catalog: Catalog, *, limits: SheetLimits | None = None,
                 shown_name: str | None = None) -> pl.DataFrame:
    """Read actuals from a CSV or XLSX file into an ``OBSERVATION_SCHEMA`` frame.

    Columns ``plan, indicator, org_unit, period, value`` (or their Chinese headers) are
    required, ``real_growth_pct`` and ``source`` optional. Plans, indicators and org units may be
    given by id/code or by exact Chinese name; the frame holds ids and codes. Monthly values are
    stored as given (year-to-date sums, as published). Raises ``ImportRejected`` with every
    problem found when anything in the file is wrong (implausible figures included, see
    ``actuals_plausibility``), or at once when the file is past ``limits`` (the environment's,
    by default; see ``UploadLimits``) — ``shown_name`` is the name the refusal gives the file,
    when it is stored under another. The warnings are for ``check_actuals``' callers, who store.
    """
    return check_actuals(path, catalog, limits=limits, shown_name=shown_name).frame


def check_actuals(path: Path, catalog: Catalog, *, stored: pl.DataFrame | None = None,
                  jump_factor: float = DEFAULT_JUMP_FACTOR, limits: SheetLimits | None = None,
                  shown_name: str | None = None) -> CheckedActuals:
    """``read_actuals`` with the warnings: each figure that moved by more than ``jump_factor``
    against the same period a year before (in the file, else in ``stored``, the store's current
    observations), by sheet, row and column."""
    path = Path(path)
    try:
        check_spreadsheet(path, limits or UploadLimits.from_env().actuals_sheet, shown_name=shown_name)
    except SpreadsheetRefused as exc:
        raise ImportRejected(path, [Problem(path.name, 0, "", str(exc))]) from None
    frames, labels, problems = read_sheets(path)
    rows = pl.concat([_text_frame([]), *frames])
    if rows.height == 0 and not problems:
        problems = [_file_problem(path.name, "无数据行：只有表头")]
    checked, found = _validate(rows, catalog)
    found = found.join(labels, on=["_sheet_no", "field"], how="left").select(list(PROBLEM_COLS))
    everything = pl.concat([pl.DataFrame(problems, schema=PROBLEM_COLS), found])
    if everything.height:
        raise ImportRejected(path, _capped(everything, path.name))
    warned = jump_warnings(checked, stored, jump_factor).join(labels, on=["_sheet_no", "field"], how="left")
    return CheckedActuals(_observations(checked, path), _capped(warned.select(list(PROBLEM_COLS)), path.name))


def _observations(checked: pl.DataFrame, path: Path) -> pl.DataFrame:
    return checked.select(
        plan="plan_id",
        indicator="indicator_id",
        org_unit="org_code",
        period="period_norm",
        year="year",
        month="month",
        value="value_num",
        real_growth=pl.col("growth_num") / 100,
        is_period_total=pl.lit(False),
        source=pl.coalesce("source", pl.lit(path.name)),
    ).cast(OBSERVATION_SCHEMA)


# ---- reading: files into one text frame per sheet -------------------------------------------

class _Unreadable(Exception):
    """The file cannot be opened at all; the message is the problem's reason."""


def read_sheets(path: Path) -> tuple[list[pl.DataFrame], pl.DataFrame, list[dict]]:
    """Each usable sheet as a frame of trimmed text, the column labels, and header problems."""
    letters = path.suffix.lower() in (".xlsx", ".xlsm")
    try:
        if path.suffix.lower() == ".csv":
            grids = [(path.name, _csv_grid(path))]
        elif letters:
            grids = _xlsx_grids(path)
        else:
            raise _Unreadable(f"不支持的文件类型“{path.suffix}”：请另存为 XLSX 或 CSV 文件")
    except _Unreadable as exc:
        return [], pl.DataFrame(schema=LABEL_COLS), [_file_problem(path.name, str(exc))]

    sheets, label_rows, problems = [], [], []
    # In a workbook of several sheets, notes or pivot sheets without our columns are not data.
    skip_unrelated = len(grids) > 1
    for number, (name, grid) in enumerate(grids):
        if not any(_cell_text(c) is not None for row in grid for c in row):
            if not skip_unrelated:
                problems.append(_file_problem(name, "空文件：没有可导入的数据", number))
            continue
        positions, sheet_problems = _header(name, number, grid[0], letters, skip_unrelated)
        problems += sheet_problems
        if positions is None:
            continue
        label_rows += [{"_sheet_no": number, "field": f, "_pos": pos, "column": label}
                       for f, (pos, label) in positions.items()]
        records = []
        for row_number, cells in enumerate(grid[1:], start=2):
            record = {f: _cell_text(cells[pos]) if pos < len(cells) else None
                      for f, (pos, _) in positions.items()}
            if any(v is not None for v in record.values()):  # blank rows are layout, not data
                records.append({"_sheet_no": number, "_sheet": name, "_row": row_number,
                                **record})
        sheets.append(_text_frame(records))
    if skip_unrelated and not sheets and not problems:
        problems.append(_file_problem(path.name, "没有数据表：没有一个工作表含有这些列："
                                      + "、".join(FIELD_ZH[f] for f in REQUIRED)))
    return sheets, pl.DataFrame(label_rows, schema=LABEL_COLS), problems


def _header(name: str, number: int, header: tuple, letters: bool, skip_unrelated: bool
            ) -> tuple[dict[str, tuple[int, str]] | None, list[dict]]:
    """Field → (position, label) from the header row; None when the sheet cannot be read."""
    by_key = {_header_key(alias): field for field, aliases in HEADERS.items() for alias in aliases}
    positions: dict[str, tuple[int, str]] = {}
    problems = []
    for pos, cell in enumerate(header):
        text = _cell_text(cell)
        field = by_key.get(_header_key(text))
        if field is None:
            continue
        label = f"{text} ({get_column_letter(pos + 1)})" if letters else text
        if field in positions:
            problems.append(_problem(number, name, 1, pos, label, "重复列："
                                     f"{positions[field][1]} 也是“{FIELD_ZH[field]}”"))
        else:
            positions[field] = (pos, label)
    missing = [f for f in REQUIRED if f not in positions]
    if skip_unrelated and len(missing) == len(REQUIRED):
        return None, []
    problems += [_problem(number, name, 1, -1, "",
                          f"缺少列：{FIELD_ZH[f]}（可写作 {'/'.join(HEADERS[f])}）")
                 for f in missing]
    return (None if missing else positions), problems


def _csv_grid(path: Path) -> list[list[str]]:
    # Read straight from the file (no whole-file bytes or text copy beside the rows); the
    # guard has bounded the rows already.
    with path.open(encoding=_csv_encoding(path), newline="") as fh:
        return list(csv.reader(fh))


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes so, else GB18030: Chinese Excel
    saves "CSV" in GB18030/GBK unless told otherwise. Decoded in chunks, nothing kept."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1024 * 1024):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise _Unreadable("无法识别的编码：请将 CSV 另存为 UTF-8 或 GB18030 编码")


def _xlsx_grids(path: Path) -> list[tuple[str, list[tuple]]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise _Unreadable("无法打开工作簿：文件已损坏或不是 XLSX 格式") from exc
    try:
        return [(sheet.title, [tuple(_xlsx_value(c) for c in row) for row in sheet.iter_rows()])
                for sheet in book.worksheets]
    finally:
        book.close()


def _xlsx_value(cell: Any) -> Any:
    """The cell's value as the user sees it: a cell formatted 7.2% holds 0.072 but means 7.2."""
    value = cell.value
    if "%" in (getattr(cell, "number_format", None) or "") and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        return float(f"{value * 100:.12g}")
    return value


def _cell_text(value: Any) -> str | None:
    """One cell as trimmed text, None when blank; dates become their month (a period cell)."""
    if value is None:
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2023 and 330802 as floats
    text = str(value).strip()
    return text or None


def _text_frame(records: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(records, schema={**SHEET_COLS, **dict.fromkeys(FIELDS, pl.String)})


def _header_key(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").lower()


def _problem(number: int, sheet: str, row: int, pos: int, column: str, reason: str) -> dict:
    return {"_sheet_no": number, "_sheet": sheet, "_row": row, "_pos": pos, "column": column,
            "reason": reason}


def _file_problem(sheet: str, reason: str, number: int = -1) -> dict:
    return _problem(number, sheet, 0, -1, "", reason)


def _capped(problems: pl.DataFrame, file_name: str) -> list[Problem]:
    rows = problems.sort("_sheet_no", "_row", "_pos", maintain_order=True).rows(named=True)
    listed = [Problem(r["_sheet"], r["_row"], r["column"] or "", r["reason"]) for r in rows]
    if len(listed) > MAX_PROBLEMS:
        more = len(listed) - (MAX_PROBLEMS - 1)
        listed = listed[:MAX_PROBLEMS - 1] + [Problem(
            file_name, 0, "", f"另有 {more} 个问题未列出")]
    return listed


# ---- validation: joins against the catalog, one expression per kind of problem ---------------

def _validate(rows: pl.DataFrame, catalog: Catalog) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Resolve names to ids and parse numbers and periods; return the rows and their problems."""
    plans = _keys(
        [(key, p.id) for p in catalog.plans for key in (p.id, p.title)],
        {"plan": pl.String, "plan_id": pl.String}, ["plan"])
    indicators = _keys(
        [(i.plan, key, i.id, i.base_year, i.target_year)
         for i in catalog.indicators() for key in (i.id, i.name_zh)],
        {"plan_id": pl.String, "indicator": pl.String, "indicator_id": pl.String,
         "base_year": pl.Int32, "target_year": pl.Int32}, ["plan_id", "indicator"])
    org_units = _keys(
        [(key, u.code) for u in catalog.org_units for key in (u.code, u.name_zh)],
        {"org_unit": pl.String, "org_code": pl.String}, ["org_unit"])

    df = (
        rows.join(plans, on="plan", how="left", maintain_order="left")
        .join(indicators, on=["plan_id", "indicator"], how="left", maintain_order="left",
              suffix="_indicator")
        .join(org_units, on="org_unit", how="left", maintain_order="left", suffix="_org")
        .with_columns(
            pl.col("^_ambiguous.*$").fill_null(False),
            value_num=_number(pl.col("value")),
            growth_num=_number(pl.col("real_growth_pct").str.strip_suffix("%").str.strip_chars()),
            parts=pl.col("period").str.extract_groups(PERIOD_RE),
        )
        .unnest("parts")
        .with_columns(year=pl.col("y").cast(pl.Int32), month=pl.col("m").cast(pl.Int32))
        .with_columns(period_ok=pl.col("year").is_not_null()
                      & (pl.col("month").is_null() | pl.col("month").is_between(1, 12)))
        .with_columns(period_norm=pl.when("period_ok").then(
            pl.when(pl.col("month").is_null()).then(pl.col("year").cast(pl.String))
            .otherwise(pl.format("{}-{}", "year", pl.col("month").cast(pl.String).str.zfill(2)))))
    )
    # Rows are in file order, so the first of each key is the one the user wrote first.
    key = ["plan_id", "indicator_id", "org_code", "period_norm"]
    df = df.with_columns(
        first_row=pl.col("_row").first().over(key),
        first_sheet=pl.col("_sheet").first().over(key),
        repeat=(pl.int_range(pl.len()).over(key) > 0)
        & pl.all_horizontal(pl.col(key).is_not_null()),
    )

    df = with_plausibility_facts(df, catalog)
    col = pl.col
    checks: list[tuple[str, pl.Expr, pl.Expr]] = [*plausibility_checks(),
        *[(f, col(f).is_null(), pl.lit(f"{FIELD_ZH[f]}为空：此格必须填写"))
          for f in REQUIRED],
        ("plan", col("plan").is_not_null() & col("plan_id").is_null() & ~col("_ambiguous"),
         pl.format("未知规划：“{}”既不是规划编号，也不是规划名称", "plan")),
        ("plan", col("_ambiguous"), pl.format(
            "规划名称不唯一：“{}”对应多个规划，请填写规划编号", "plan")),
        ("indicator", col("plan_id").is_not_null() & col("indicator").is_not_null()
         & col("indicator_id").is_null() & ~col("_ambiguous_indicator"), pl.format(
            "未知指标：“{}”不是规划 {} 的指标",
            "indicator", "plan_id")),
        ("indicator", col("_ambiguous_indicator"), pl.format(
            "指标名称不唯一：“{}”对应规划 {} 的多个指标，请填写指标编号", "indicator", "plan_id")),
        ("org_unit", col("org_unit").is_not_null() & col("org_code").is_null()
         & ~col("_ambiguous_org"), pl.format(
            "未知地区：“{}”既不是地区代码，也不是地区名称",
            "org_unit")),
        ("org_unit", col("_ambiguous_org"), pl.format(
            "地区名称不唯一：“{}”对应多个地区，请填写地区代码",
            "org_unit")),
        ("value", col("value").is_not_null() & col("value_num").is_null(), pl.format(
            "数值不是数字：“{}”", "value")),
        ("real_growth_pct", col("real_growth_pct").is_not_null() & col("growth_num").is_null(),
         pl.format("可比价增速不是数字：“{}”（按百分数填写，如 7.2）",
                   "real_growth_pct")),
        ("period", col("period").is_not_null() & ~col("period_ok"), pl.format(
            "期间格式错误：“{}”（年度写 2023，月度写 2023-06）",
            "period")),
        ("period", col("period_ok") & col("indicator_id").is_not_null()
         & ~col("year").is_between(col("base_year"), col("target_year")), pl.format(
            "期间超出范围：{} 不在指标 {} 的年份内（{}–{}）",
            "period_norm", "indicator_id", "base_year", "target_year")),
        ("period", col("repeat"), pl.format(
            "重复行：{} / {} / {} / {} 已在{}第 {} 行给出",
            "plan_id", "indicator_id", "org_code", "period_norm",
            pl.when(col("first_sheet") == col("_sheet")).then(pl.lit(""))
            .otherwise(pl.format("工作表“{}”", "first_sheet")), "first_row")),

    ]
    found = pl.concat([
        df.filter(condition).select(*SHEET_COLS, field=pl.lit(field), reason=reason)
        for field, condition, reason in checks
    ])
    return df, found


def _keys(rows: list[tuple], schema: dict, on: list[str]) -> pl.DataFrame:
    """A lookup from every spelling (id or name) to its target. A spelling naming two targets
    is flagged ``_ambiguous`` and resolves to nothing, rather than doubling the row in the join."""
    table = pl.DataFrame(rows, schema=schema, orient="row").unique(maintain_order=True)
    values = [c for c in table.columns if c not in on]
    return (table.with_columns(_ambiguous=pl.len().over(on) > 1)
            .with_columns([pl.when(~pl.col("_ambiguous")).then(pl.col(c)).alias(c)
                           for c in values])
            .unique(subset=on, keep="first", maintain_order=True))


def _number(text: pl.Expr) -> pl.Expr:
    """Finite number from text, else null; commas only as thousands separators ('1,234.5')."""
    grouped_ok = ~text.str.contains(",") | text.str.contains(THOUSANDS_RE)
    number = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
    return pl.when(grouped_ok & number.is_finite()).then(number)
