"""Import monthly project reports (项目进度) and imported 重点项目 from CSV or XLSX, all or nothing.

The contract: a reports sheet (or CSV file) with the columns ``project, month, annual_plan_yi,
completed_ytd_yi, stage`` (``project`` the project id, ``month`` ``YYYY-MM``, amounts in 亿元,
``stage`` one of ``not_started``, ``under_construction``, ``completed``, or 未开工/在建/已竣工) and
the optional ``completed_month_yi, image_progress, problems, problem_owner``. An XLSX may carry a
second sheet ``项目`` (a folder: ``projects.csv`` or ``项目.csv`` beside ``reports.csv``) listing
further projects (``id, name_zh, start_year, end_year, total_investment_yi,
plan_period_investment_yi, responsible_unit, org_unit``) that the reports may then name.

Headers may be English or Chinese. The file is checked before parsing (``spreadsheet_guard``, the
limits of 数据导入), read as whole text columns (``sheet_cells``) and validated with Polars
expressions; the report rules are ``projects/report_checks.py``. A file with any problem is
refused whole, every problem named by sheet, row, column and reason."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from ..projects.amounts import PROBLEM_ZH, yi_text_to_wan
from ..projects.report_checks import report_problems
from ..projects.schedule import STAGE_ZH, STAGES
from ..settings import SheetLimits, UploadLimits
from .actuals_import import PROBLEM_COLS, ImportRejected, Problem, _capped, _file_problem, _problem
from .sheet_cells import SheetText, Unreadable, column_letters, read_csv_text, read_workbook
from .spreadsheet_guard import SpreadsheetRefused, check_spreadsheet

REPORT_REQUIRED = ("project", "month", "annual_plan_yi", "completed_ytd_yi", "stage")
REPORT_FIELDS = (*REPORT_REQUIRED, "completed_month_yi", "image_progress", "problems", "problem_owner")
PROJECT_FIELDS = ("id", "name_zh", "start_year", "end_year", "total_investment_yi", "plan_period_investment_yi",
                  "responsible_unit", "org_unit")
# The first name of each is how the template heads the column in Chinese.
ALIASES = {
    "project": ("项目编号", "项目", "project_id"),
    "month": ("月份", "报送月份"),
    "annual_plan_yi": ("年度计划投资（亿元）", "年度计划投资"),
    "completed_ytd_yi": ("本年累计完成投资（亿元）", "本年累计完成投资", "累计完成投资"),
    "stage": ("建设阶段", "阶段"),
    "completed_month_yi": ("本月完成投资（亿元）", "本月完成投资"),
    "image_progress": ("形象进度",),
    "problems": ("存在问题",),
    "problem_owner": ("问题解决责任单位", "问题责任单位"),
    "id": ("项目编号", "编号"),
    "name_zh": ("项目名称", "名称"),
    "start_year": ("开工年份", "开始年份"),
    "end_year": ("竣工年份", "结束年份"),
    "total_investment_yi": ("总投资（亿元）", "总投资"),
    "plan_period_investment_yi": ("“十四五”期间计划投资（亿元）", "十四五期间计划投资（亿元）", "“十四五”计划投资",
                                  "十四五计划投资"),
    "responsible_unit": ("责任单位",),
    "org_unit": ("所在地区", "地区", "行政区划"),
}
REPORT_SHEETS = ("reports", "进度", "项目进度")
PROJECT_SHEETS = ("projects", "项目")
SKIPPED_SHEETS = ("说明", "项目清单", "notes")
TEXT_LIMITS = {"image_progress": 2000, "problems": 2000, "problem_owner": 200, "name_zh": 200,
               "responsible_unit": 200}
REPORTS_SCHEMA = {"project_id": pl.String, "month": pl.String, "annual_plan_wan": pl.Int64,
                  "completed_month_wan": pl.Int64, "completed_ytd_wan": pl.Int64, "stage": pl.String,
                  "image_progress": pl.String, "problems": pl.String, "problem_owner": pl.String}
EXTRA_SCHEMA = {"id": pl.String, "name_zh": pl.String, "start_year": pl.Int64, "end_year": pl.Int64,
                "total_investment_wan": pl.Int64, "plan_period_investment_wan": pl.Int64,
                "responsible_unit": pl.String, "org_unit": pl.String}
MONTH_RE = r"^(?<y>\d{4})(?:[-/.年](?<m>\d{1,2})月?(?:[-/]\d{1,2}(?:[ T][\d:.]+)?)?)$"
_REPORTS, _PROJECTS = 0, 1


@dataclass(frozen=True)
class ProjectReportsFile:
    """An accepted file: the reports (REPORTS_SCHEMA) and the extra projects (EXTRA_SCHEMA)."""

    reports: pl.DataFrame
    projects: pl.DataFrame


def read_project_reports(source: Path, catalog: Catalog, known_projects: pl.DataFrame, *,
                         stored: pl.DataFrame | None = None, limits: SheetLimits | None = None,
                         shown_name: str | None = None) -> ProjectReportsFile:
    """Read and validate a reports file (XLSX, CSV, or a folder of CSV files).

    ``known_projects`` is the project catalog's frame (the 58 and the stored extra projects);
    ``stored`` the store's newest reports, against which a year-to-date figure may not fall.
    Raises ``ImportRejected`` naming every problem, or at once when the file is past ``limits``
    (those of 数据导入 by default)."""
    source = Path(source)
    try:
        check_spreadsheet(source, limits or UploadLimits.from_env().actuals_sheet, shown_name=shown_name)
    except SpreadsheetRefused as exc:
        raise ImportRejected(source, [Problem(source.name, 0, "", str(exc))]) from None
    problems: list[dict] = []
    try:
        report_sheet, project_sheet = _sheets(source)
    except Unreadable as exc:
        raise ImportRejected(source, [Problem(source.name, 0, "", str(exc))]) from None
    if report_sheet is None:
        raise ImportRejected(source, [Problem(source.name, 0, "", "缺少进度表：需要“进度”工作表（或 reports.csv）")])
    reports_text, labels_r = _table(report_sheet, _REPORTS, REPORT_FIELDS, REPORT_REQUIRED, problems)
    projects_text, labels_p = (_table(project_sheet, _PROJECTS, PROJECT_FIELDS, PROJECT_FIELDS, problems)
                               if project_sheet is not None else (None, []))
    if reports_text is not None and reports_text.height == 0 and not (projects_text is not None
                                                                      and projects_text.height):
        problems.append(_file_problem(report_sheet.label, "无数据行：只有表头", _REPORTS))
    org_codes = {key: u.code for u in catalog.org_units for key in (u.code, u.name_zh)}
    extra, found_p = _projects(projects_text, known_projects, org_codes)
    known = set(known_projects["id"]) | set(extra["id"].drop_nulls())
    reports, found_r = _reports(reports_text, known, stored)
    labels = pl.DataFrame(labels_r + labels_p, schema={"_sheet_no": pl.Int64, "field": pl.String,
                                                       "_pos": pl.Int64, "column": pl.String})
    found = (pl.concat([found_r, found_p]).join(labels, on=["_sheet_no", "field"], how="left")
             .select(list(PROBLEM_COLS)))
    everything = pl.concat([pl.DataFrame(problems, schema=PROBLEM_COLS), found])
    if everything.height:
        raise ImportRejected(source, _capped(everything, source.name))
    return ProjectReportsFile(reports, extra)


# ---- reading ---------------------------------------------------------------------------------

def _key(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").lower()


def _sheets(source: Path) -> tuple[SheetText | None, SheetText | None]:
    """The reports sheet and the projects sheet (either may be missing)."""
    reports_keys, projects_keys = {_key(s) for s in REPORT_SHEETS}, {_key(s) for s in PROJECT_SHEETS}
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() == ".csv")
        report = next((p for p in files if _key(p.stem) in reports_keys), None)
        project = next((p for p in files if _key(p.stem) in projects_keys), None)
        return (read_csv_text(report) if report else None), (read_csv_text(project) if project else None)
    if not source.exists():
        raise Unreadable(f"找不到文件：{source.name}")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        return read_csv_text(source), None
    if suffix not in (".xlsx", ".xlsm"):
        raise Unreadable(f"不支持的文件类型“{suffix}”：请提供 XLSX 工作簿、CSV 文件或 CSV 文件所在的文件夹")
    sheets = read_workbook(source)
    project = next((s for s in sheets if _key(s.label) in projects_keys), None)
    report = next((s for s in sheets if _key(s.label) in reports_keys), None)
    if report is None:  # else the first sheet that is neither the projects list nor notes
        skipped = projects_keys | {_key(s) for s in SKIPPED_SHEETS}
        report = next((s for s in sheets if _key(s.label) not in skipped), None)
    return report, project


def _table(sheet: SheetText, number: int, fields: tuple[str, ...], required: tuple[str, ...],
           problems: list[dict]) -> tuple[pl.DataFrame | None, list[dict]]:
    """The sheet's rows under the header as trimmed text (None for blank), with ``_row`` as Excel
    numbers it; and where each field's column is. None when required columns are missing."""
    by_key = {_key(alias): f for f in fields for alias in (f, *ALIASES[f])}
    positions: dict[str, tuple[int, str]] = {}
    for pos, text in enumerate(sheet.header()):
        field = by_key.get(_key(text))
        if field is None:
            continue
        shown = f"{text} ({column_letters(pos)})" if sheet.letters else (text or "")
        if field in positions:
            problems.append(_problem(number, sheet.label, 1, pos, shown, f"重复列：{positions[field][1]} 也是“{field}”"))
            continue
        positions[field] = (pos, shown)
    missing = [f for f in required if f not in positions]
    for f in missing:
        problems.append(_problem(number, sheet.label, 1, -1, "", f"缺少列：{f}（可写作 {'/'.join(ALIASES[f])}）"))
    if missing:
        return None, []
    labels = [{"_sheet_no": number, "field": f, "_pos": pos, "column": shown} for f, (pos, shown) in positions.items()]
    rows = (sheet.cells.select(pl.col(str(pos)).alias(f) for f, (pos, _) in positions.items()).slice(1)
            .with_columns(pl.col(f).str.strip_chars() for f in positions)
            .with_columns(pl.when(pl.col(f) != "").then(pl.col(f)).alias(f) for f in positions)
            .with_row_index("_row", offset=2)
            .filter(pl.any_horizontal(pl.col(list(positions)).is_not_null()))
            .select(pl.lit(number, pl.Int64).alias("_sheet_no"), pl.lit(sheet.label).alias("_sheet"),
                    pl.col("_row").cast(pl.Int64),
                    *[(pl.col(f) if f in positions else pl.lit(None, pl.String)).alias(f) for f in fields]))
    return rows, labels


# ---- validation ------------------------------------------------------------------------------

def check_report_texts(texts: dict[str, str | None], known: set[str], stored: pl.DataFrame | None
                       ) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """One report typed in a form (REPORT_FIELDS → text, amounts in 亿元) through the same checks
    as a file's rows: the typed row (REPORTS_SCHEMA) and the problems as (field, reason)."""
    row = pl.DataFrame([{"_sheet_no": _REPORTS, "_sheet": "form", "_row": 0,
                         **{f: (str(texts.get(f)).strip() or None) if texts.get(f) is not None else None
                            for f in REPORT_FIELDS}}],
                       schema={"_sheet_no": pl.Int64, "_sheet": pl.String, "_row": pl.Int64,
                               **dict.fromkeys(REPORT_FIELDS, pl.String)})
    reports, found = _reports(row, known, stored)
    return reports, [(r["field"], r["reason"]) for r in found.iter_rows(named=True)]


def _found(rows: pl.DataFrame, checks: list[tuple[str, pl.Expr]]) -> pl.DataFrame:
    frames = [rows.select("_sheet_no", "_sheet", "_row", pl.lit(f).alias("field"), reason.cast(pl.String).alias("reason"))
              for f, reason in checks]
    empty = pl.DataFrame(schema={"_sheet_no": pl.Int64, "_sheet": pl.String, "_row": pl.Int64, "field": pl.String,
                                 "reason": pl.String})
    return pl.concat([empty, *frames]).filter(pl.col("reason").is_not_null())


def _filled(fields) -> list[tuple[str, pl.Expr]]:
    return [(f, pl.when(pl.col(f).is_null()).then(pl.lit(f"{ALIASES[f][0]}为空：此格必须填写"))) for f in fields]


def _amount(field: str) -> tuple[pl.Expr, tuple[str, pl.Expr]]:
    parsed = yi_text_to_wan(pl.col(field))
    reason = pl.when(parsed.struct.field("problem").is_not_null()).then(pl.format(
        "{}“{}”{}", pl.lit(ALIASES[field][0]), pl.col(field),
        parsed.struct.field("problem").replace_strict(PROBLEM_ZH, return_dtype=pl.String)))
    return parsed.struct.field("wan"), (field, reason)


def _long_text(fields) -> list[tuple[str, pl.Expr]]:
    return [(f, pl.when(pl.col(f).str.len_chars() > TEXT_LIMITS[f]).then(pl.lit(
        f"{ALIASES[f][0]}过长：至多 {TEXT_LIMITS[f]} 字"))) for f in fields]


def _reports(rows: pl.DataFrame | None, known: set[str], stored: pl.DataFrame | None
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    if rows is None:
        return pl.DataFrame(schema=REPORTS_SCHEMA), _found(pl.DataFrame(), [])
    month = pl.col("month").str.extract_groups(MONTH_RE)
    year_n, month_n = month.struct.field("y").cast(pl.Int64), month.struct.field("m").cast(pl.Int64)
    stage_codes = {**{s: s for s in STAGES}, **{zh: code for code, zh in STAGE_ZH.items()}}
    amounts = {f: _amount(f) for f in ("annual_plan_yi", "completed_ytd_yi", "completed_month_yi")}
    typed = rows.with_columns(
        pl.when(year_n.is_between(2000, 2100) & month_n.is_between(1, 12))
        .then(pl.format("{}-{}", year_n, month_n.cast(pl.String).str.pad_start(2, "0"))).alias("month_norm"),
        pl.col("stage").replace_strict(stage_codes, default=None, return_dtype=pl.String).alias("stage_code"),
        *[value.alias(f"{f}_wan") for f, (value, _) in amounts.items()],
    )
    checks = [
        *_filled(REPORT_REQUIRED),
        ("month", pl.when(pl.col("month").is_not_null() & pl.col("month_norm").is_null()).then(pl.format(
            "月份“{}”无效：应为 YYYY-MM（如 2023-10）", pl.col("month")))),
        ("stage", pl.when(pl.col("stage").is_not_null() & pl.col("stage_code").is_null()).then(pl.format(
            "建设阶段“{}”无效：应为 not_started（未开工）、under_construction（在建）或 completed（已竣工）",
            pl.col("stage")))),
        *[check for _, check in amounts.values()],
        *_long_text(("image_progress", "problems", "problem_owner")),
    ]
    found = _found(typed, checks)
    reports = typed.select(
        "_row", pl.col("project").alias("project_id"), pl.col("month_norm").alias("month"),
        pl.col("annual_plan_yi_wan").alias("annual_plan_wan"),
        pl.col("completed_month_yi_wan").alias("completed_month_wan"),
        pl.col("completed_ytd_yi_wan").alias("completed_ytd_wan"), pl.col("stage_code").alias("stage"),
        "image_progress", "problems", "problem_owner")
    rules = (report_problems(reports, known, stored)
             .with_columns(pl.lit(_REPORTS, pl.Int64).alias("_sheet_no"),
                           pl.lit(rows["_sheet"][0] if rows.height else "", pl.String).alias("_sheet"))
             .select("_sheet_no", "_sheet", "_row", "field", "reason"))
    return reports.drop("_row").cast(REPORTS_SCHEMA), pl.concat([found, rules])


def _projects(rows: pl.DataFrame | None, known: pl.DataFrame, org_codes: dict[str, str]
              ) -> tuple[pl.DataFrame, pl.DataFrame]:
    if rows is None:
        return pl.DataFrame(schema=EXTRA_SCHEMA), _found(pl.DataFrame(), [])
    landmark = sorted(known.filter(pl.col("source") == "catalog")["id"]) if "source" in known.columns \
        else sorted(known["id"])
    amounts = {f: _amount(f) for f in ("total_investment_yi", "plan_period_investment_yi")}
    year = {f: pl.col(f).cast(pl.Int64, strict=False) for f in ("start_year", "end_year")}
    typed = rows.with_columns(
        *[value.alias(f"{f}_wan") for f, (value, _) in amounts.items()],
        *[expr.alias(f"{f}_n") for f, expr in year.items()],
        pl.col("org_unit").replace_strict(org_codes, default=None, return_dtype=pl.String).alias("org_code"),
    )
    first = pl.col("_row").first().over("id")
    checks = [
        *_filled(PROJECT_FIELDS),
        ("id", pl.when(pl.col("id").is_in(landmark)).then(pl.format(
            "项目编号 {} 已是标志性项目：重点项目请另取编号", pl.col("id")))),
        ("id", pl.when(~pl.col("id").is_first_distinct() & pl.col("id").is_not_null()).then(pl.format(
            "项目编号重复：已在第 {} 行给出", first))),
        *[(f, pl.when(pl.col(f).is_not_null() & ~pl.col(f"{f}_n").is_between(2000, 2100).fill_null(False))
           .then(pl.format("{}“{}”无效：应为四位年份", pl.lit(ALIASES[f][0]), pl.col(f)))) for f in year],
        ("end_year", pl.when(pl.col("start_year_n") > pl.col("end_year_n")).then(pl.lit("竣工年份早于开工年份"))),
        *[check for _, check in amounts.values()],
        ("plan_period_investment_yi", pl.when(pl.col("plan_period_investment_yi_wan")
                                              > pl.col("total_investment_yi_wan"))
         .then(pl.lit("“十四五”期间计划投资高于总投资"))),
        ("org_unit", pl.when(pl.col("org_unit").is_not_null() & pl.col("org_code").is_null()).then(pl.format(
            "所在地区“{}”无效：应为行政区划代码或名称（如 330802 或 柯城区）", pl.col("org_unit")))),
        *_long_text(("name_zh", "responsible_unit")),
    ]
    found = _found(typed, checks)
    extra = typed.select(
        "id", "name_zh", pl.col("start_year_n").alias("start_year"), pl.col("end_year_n").alias("end_year"),
        pl.col("total_investment_yi_wan").alias("total_investment_wan"),
        pl.col("plan_period_investment_yi_wan").alias("plan_period_investment_wan"),
        "responsible_unit", pl.col("org_code").alias("org_unit"))
    return extra.cast(EXTRA_SCHEMA), found
