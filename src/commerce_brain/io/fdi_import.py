"""Import the foreign-investment pipeline (外资项目全流程跟踪) from CSV or XLSX, all or nothing.

One row per project: its id, name, org unit (code or name), industry and the investor (客商:
name, country or region, 世界500强) from the catalog's vocabularies, contracted and arrived
foreign capital in 万美元 (at most 4 decimals: a whole US dollar; stored as integer dollars), the
next step's owner, and per stage of the catalog a planned and an actual date. The file is
accepted whole or refused with every problem by sheet, row, column and reason, before any
parser sees it when past the limits (``spreadsheet_guard``). Every check is a Polars expression
over whole columns (the stage rules run across the row's stage columns): no loop over rows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from ..projects.fdi import PROJECT_SCHEMA, STAGE_DATE_SCHEMA
from ..projects.fdi_catalog import FdiCatalog
from ..settings import SheetLimits, UploadLimits
from .actuals_import import PROBLEM_COLS, ImportRejected, Problem, _capped, _file_problem, _keys, _problem
from .enterprise_cells import msg
from .enterprise_fields import DATE_RE, FALSE_WORDS, TRUE_WORDS, YEARS
from .sheet_cells import SheetText, Unreadable, column_letters, read_csv_text, read_workbook
from .spreadsheet_guard import SpreadsheetRefused, check_spreadsheet

SHEET = "外资项目"
SHEET_NAMES = (SHEET, "fdi_projects", "projects")
# field → (Chinese header, other accepted spellings); the stage date columns are added per stage.
BASE_FIELDS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号", "编号"),
    "name_zh": ("项目名称", "名称"),
    "org_unit": ("所在地区", "地区"),
    "industry": ("行业",),
    "investor_name": ("客商名称", "客商", "投资方"),
    "investor_country": ("客商国别（地区）", "国别（地区）", "国别"),
    "investor_fortune500": ("世界500强",),
    "contracted_usd_wan": ("合同外资（万美元）", "合同外资"),
    "arrived_usd_wan": ("实到外资（万美元）", "实到外资"),
    "next_step_owner": ("下一步责任单位", "责任单位"),
}
FILLED = ("project_id", "name_zh", "org_unit", "industry", "investor_name", "investor_country",
          "contracted_usd_wan")
COUNTY_KINDS = ("district", "county", "county_city", "zone")
# 万美元 with at most 4 decimals (one US dollar); thousands commas allowed.
USD_WAN_RE = r"^(?<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?<frac>[0-9]*))?$"
# A project id names the project's page (/fdi/{id}): letters, digits, Chinese, - _ . only.
PROJECT_ID_RE = r"^[0-9A-Za-z\u4e00-\u9fff._-]{1,100}$"
MAX_USD_WAN_DIGITS = 8  # up to 99,999,999 万美元 (about 1万亿美元): past any one project


@dataclass(frozen=True)
class FdiPipeline:
    """An accepted pipeline file: one row per project (PROJECT_SCHEMA) and one per project ×
    stage with a date (STAGE_DATE_SCHEMA)."""

    projects: pl.DataFrame
    stage_dates: pl.DataFrame


def stage_fields(catalog: FdiCatalog) -> dict[str, tuple[str, ...]]:
    """The per-stage date columns: ``{stage}_planned`` (签约计划日期) and ``{stage}_actual`` (签约实际日期)."""
    fields: dict[str, tuple[str, ...]] = {}
    for code, name in catalog.stage_names.items():
        fields[f"{code}_planned"] = (f"{name}计划日期", f"{name}计划")
        fields[f"{code}_actual"] = (f"{name}实际日期", f"{name}实际")
    return fields


def all_fields(catalog: FdiCatalog) -> dict[str, tuple[str, ...]]:
    """Every column of the pipeline file: field → (Chinese header, other spellings)."""
    return {**BASE_FIELDS, **stage_fields(catalog)}


def read_fdi_pipeline(source: Path, catalog: Catalog, fdi: FdiCatalog, *, today: date | None = None,
                      limits: SheetLimits | None = None, shown_name: str | None = None) -> FdiPipeline:
    """Read and check a pipeline file (XLSX sheet 外资项目 — or its only data sheet — or a CSV).
    Raises ``ImportRejected`` with every problem, or at once when the file is past ``limits``
    (the 数据导入 limits by default). ``today`` bounds the actual dates (none may lie ahead)."""
    fields = all_fields(fdi)
    source, sheet, positions, rows = read_rows(source, fields, SHEET_NAMES, limits=limits, shown_name=shown_name)
    checked, found = _check(rows, catalog, fdi, today or date.today())
    reject_found(source, sheet, positions, found, shown_name)
    return _frames(checked, fdi)


def read_rows(source: Path, fields: dict[str, tuple[str, ...]], names: tuple[str, ...], *,
              limits: SheetLimits | None = None, shown_name: str | None = None,
              numeric: tuple[str, ...] = ("_usd_wan",), optional: tuple[str, ...] = ()
              ) -> tuple[Path, SheetText, dict[str, tuple[int, str]], pl.DataFrame]:
    """The guarded first steps of a one-sheet import: refuse a file past ``limits`` (the 数据导入
    limits by default) before parsing, find the sheet (``names``), match the header to
    ``fields`` (all but ``optional`` required) and return the data rows as text (``_body``). Raises ``ImportRejected`` for a file
    too big, unreadable, missing columns or without data rows."""
    source = Path(source)
    name = shown_name or source.name
    try:
        check_spreadsheet(source, limits or UploadLimits.from_env().actuals_sheet, shown_name=name)
    except SpreadsheetRefused as exc:
        raise ImportRejected(source, [Problem(name, 0, "", str(exc))]) from None
    try:
        sheet = _sheet(source, names)
    except Unreadable as exc:
        raise ImportRejected(source, [Problem(name, 0, "", str(exc))]) from None
    positions, problems = _header(sheet, fields, optional)
    if positions is None:
        raise ImportRejected(source, _capped(pl.DataFrame(problems, schema=PROBLEM_COLS), name))
    rows = _body(sheet, positions, fields, numeric)
    if rows.height == 0:
        raise ImportRejected(source, [Problem(sheet.label, 0, "", "无数据行：只有表头")])
    return source, sheet, positions, rows


def reject_found(source: Path, sheet: SheetText, positions: dict[str, tuple[int, str]], found: pl.DataFrame,
                 shown_name: str | None = None) -> None:
    """Raise ``ImportRejected`` naming sheet, row, column and reason of every problem in ``found``
    (``_row``, ``field``, ``reason``); return when there is none."""
    if found.height:
        raise ImportRejected(source, _capped(located(found, positions, sheet), shown_name or source.name))


def located(found: pl.DataFrame, positions: dict[str, tuple[int, str]], sheet: SheetText) -> pl.DataFrame:
    """Problems as (_row, field, reason) placed on the sheet: PROBLEM_COLS, the column as its
    header reads (with its letter in XLSX)."""
    labels = pl.DataFrame([{"field": f, "_pos": pos, "column": label} for f, (pos, label) in positions.items()],
                          schema={"field": pl.String, "_pos": pl.Int64, "column": pl.String})
    return (found.join(labels, on="field", how="left")
            .select(_sheet_no=pl.lit(0, pl.Int64), _sheet=pl.lit(sheet.label), _row="_row", _pos="_pos",
                    column=pl.col("column").fill_null(""), reason="reason"))


def _sheet(source: Path, names: tuple[str, ...] = SHEET_NAMES) -> SheetText:
    """The data sheet of ``source``: a CSV file, or the XLSX sheet called one of ``names`` (the
    first is the one the refusal asks for), or a workbook's only sheet."""
    if not source.exists():
        raise Unreadable(f"找不到文件：{source.name}")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        return read_csv_text(source)
    if suffix not in (".xlsx", ".xlsm"):
        raise Unreadable(f"不支持的文件类型“{suffix}”：请提供 XLSX 工作簿或 CSV 文件")
    sheets = read_workbook(source)
    named = [s for s in sheets if _key(s.label) in {_key(n) for n in names}]
    if named:
        return named[0]
    if len(sheets) == 1:
        return sheets[0]
    raise Unreadable(f"缺少工作表：必须有“{names[0]}”工作表")


def _key(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").lower()


def _header(sheet: SheetText, fields: dict[str, tuple[str, ...]], optional: tuple[str, ...] = ()
            ) -> tuple[dict[str, tuple[int, str]] | None, list[dict]]:
    by_key = {_key(alias): f for f, aliases in fields.items() for alias in (f, *aliases)}
    positions: dict[str, tuple[int, str]] = {}
    problems = []
    for pos, text in enumerate(sheet.header()):
        field = by_key.get(_key(text))
        if field is None:
            continue  # columns of one's own (备注) are left alone
        shown = f"{text} ({column_letters(pos)})" if sheet.letters else (text or "")
        if field in positions:
            problems.append(_problem(0, sheet.label, 1, pos, shown, f"重复列：{positions[field][1]} 也是“{fields[field][0]}”"))
            continue
        positions[field] = (pos, shown)
    missing = [f for f in fields if f not in positions and f not in optional]
    problems += [_problem(0, sheet.label, 1, -1, "", f"缺少列：{fields[f][0]}（可写作 {f}）") for f in missing]
    if not sheet.header():
        problems = [_file_problem(sheet.label, "空工作表：没有表头和数据")]
    return (None if problems else positions), problems


def _body(sheet: SheetText, positions: dict[str, tuple[int, str]], fields: dict,
          numeric: tuple[str, ...] = ("_usd_wan",)) -> pl.DataFrame:
    """The data rows as text (header dropped, cells trimmed, blanks null, fully blank rows
    dropped) in columns named by field, ``_row`` their row number; the columns whose field ends
    with one of ``numeric`` hold numeric cells written exactly."""
    exact = sheet.exact_numbers(pos for f, (pos, _) in positions.items() if f.endswith(numeric))
    names = list(positions)
    columns = sheet.cells.select(
        [(pl.lit(exact[pos]) if pos in exact else pl.col(str(pos))).alias(f)
         for f, (pos, _) in positions.items()]).slice(1)
    return (columns.with_columns(pl.col(names).str.strip_chars())
            .with_columns(pl.when(pl.col(f) != "").then(pl.col(f)).alias(f) for f in names)
            .with_row_index("_row", offset=2)
            .with_columns(pl.col("_row").cast(pl.Int64))
            .filter(pl.any_horizontal(pl.col(names).is_not_null())))


# ---- checks: one expression per kind of problem, each naming its column ------------------------

def _check(rows: pl.DataFrame, catalog: Catalog, fdi: FdiCatalog, today: date
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows with parsed values, and every problem as (_row, field, reason)."""
    col = pl.col
    units = [u for u in catalog.org_units if u.kind in COUNTY_KINDS]
    orgs = _keys([(key, u.code) for u in catalog.org_units for key in (u.code, u.name_zh)],
                 {"org_unit": pl.String, "org_code": pl.String}, ["org_unit"])
    county_codes = [u.code for u in units]
    industries = _keys([(k, code) for code, name in fdi.industries.items() for k in (code, name)],
                       {"industry": pl.String, "industry_code": pl.String}, ["industry"]).drop("_ambiguous")
    countries = _keys([(k, code) for code, name in fdi.countries.items() for k in (code, name)],
                      {"investor_country": pl.String, "country_code": pl.String}, ["investor_country"]
                      ).drop("_ambiguous")
    words = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    df = (rows.join(orgs, on="org_unit", how="left", maintain_order="left")
          .join(industries, on="industry", how="left", maintain_order="left")
          .join(countries, on="investor_country", how="left", maintain_order="left")
          .with_columns(col("_ambiguous").fill_null(False),
                        fortune=col("investor_fortune500").str.to_lowercase().replace_strict(
                            words, default=None, return_dtype=pl.Boolean),
                        **{f"{f}_usd": _usd(col(f)) for f in ("contracted_usd_wan", "arrived_usd_wan")},
                        **{f"{f}_date": _date(col(f)) for f in stage_fields(fdi)}))
    checks: list[tuple[str, pl.Expr]] = [
        *[(f, pl.when(col(f).is_null()).then(pl.lit(f"{BASE_FIELDS[f][0]}为空：此格必须填写"))) for f in FILLED],
        ("project_id", pl.when(col("project_id").is_not_null() & ~col("project_id").str.contains(PROJECT_ID_RE)).then(msg(
            "项目编号“", col("project_id"), "”只能由字母、数字、汉字和 - _ . 组成，最长 100 个字符"))),
        ("project_id", pl.when(col("project_id").is_duplicated() & col("project_id").is_not_null()).then(msg(
            "重复项目：项目编号“", col("project_id"), "”在本文件中出现多次"))),
        ("org_unit", pl.when(col("org_unit").is_not_null() & col("org_code").is_null() & ~col("_ambiguous")).then(msg(
            "未知地区：“", col("org_unit"), "”既不是地区代码，也不是地区名称"))),
        ("org_unit", pl.when(col("_ambiguous")).then(msg("地区名称不唯一：“", col("org_unit"), "”，请填写地区代码"))),
        ("org_unit", pl.when(col("org_code").is_not_null() & ~col("org_code").is_in(county_codes)).then(msg(
            "地区须为县（市、区）或功能区：“", col("org_unit"), "”"))),
        ("industry", pl.when(col("industry").is_not_null() & col("industry_code").is_null()).then(msg(
            "未知行业：“", col("industry"), "”（可选：", pl.lit("、".join(fdi.industries.values())), "）"))),
        ("investor_country", pl.when(col("investor_country").is_not_null() & col("country_code").is_null()).then(msg(
            "未知国别（地区）：“", col("investor_country"), "”（可选：", pl.lit("、".join(fdi.countries.values())), "）"))),
        ("investor_fortune500", pl.when(col("investor_fortune500").is_not_null() & col("fortune").is_null()).then(msg(
            "世界500强取值错误：“", col("investor_fortune500"), "”（应填 是/否）"))),
        *[(f, _usd_reason(col(f), col(f"{f}_usd"), BASE_FIELDS[f][0])) for f in ("contracted_usd_wan", "arrived_usd_wan")],
        ("arrived_usd_wan", pl.when(col("arrived_usd_wan_usd") > col("contracted_usd_wan_usd")).then(msg(
            "实到外资超过合同外资：", col("arrived_usd_wan"), " 万美元 > ", col("contracted_usd_wan"), " 万美元"))),
        *_investor_checks(),
        *_date_checks(fdi, today),
        *_stage_checks(fdi),
    ]
    frames = [df.select("_row", field=pl.lit(f), reason=reason.cast(pl.String)) for f, reason in checks]
    return df, pl.concat(frames).filter(col("reason").is_not_null())


def _usd(text: pl.Expr) -> pl.Expr:
    """万美元 text → integer US dollars (digits shifted by four places; null when malformed)."""
    parts = text.str.extract_groups(USD_WAN_RE)
    whole = parts.struct.field("int").str.replace_all(",", "")
    frac = parts.struct.field("frac").fill_null("")
    ok = (whole.str.strip_chars_start("0").str.len_chars() <= MAX_USD_WAN_DIGITS) & (frac.str.len_chars() <= 4)
    return pl.when(ok).then(whole.cast(pl.Int64, strict=False) * 10_000
                            + frac.str.pad_end(4, "0").cast(pl.Int64, strict=False))


def _usd_reason(text: pl.Expr, usd: pl.Expr, label: str) -> pl.Expr:
    parts = text.str.extract_groups(USD_WAN_RE)
    return (pl.when(text.is_null()).then(None)
            .when(text.str.starts_with("-")).then(msg(f"{label}不能为负：“", text, "”"))
            .when(parts.struct.field("int").is_null()).then(msg(
                f"{label}格式错误：“", text, "”（以万美元为单位，如 1200 或 1,200.5）"))
            .when(parts.struct.field("frac").fill_null("").str.len_chars() > 4).then(msg(
                f"{label}最多四位小数（到美元）：“", text, "”"))
            .when(usd.is_null()).then(msg(f"{label}超出范围：“", text, "”（最多 99,999,999 万美元）")))


def _date(text: pl.Expr) -> pl.Expr:
    parts = text.str.extract_groups(DATE_RE)
    return pl.format("{}-{}-{}", parts.struct.field("y"), parts.struct.field("m").str.zfill(2),
                     parts.struct.field("d").str.zfill(2)).str.to_date("%Y-%m-%d", strict=False)


def _date_checks(fdi: FdiCatalog, today: date) -> list[tuple[str, pl.Expr]]:
    col = pl.col
    low, high = YEARS
    checks = []
    for f, (label, *_) in stage_fields(fdi).items():
        value = col(f"{f}_date")
        checks += [
            (f, pl.when(col(f).is_not_null() & value.is_null()).then(msg(
                f"{label}格式错误：“", col(f), "”（如 2026-05-01、2026/5/1 或 2026年5月1日）"))),
            (f, pl.when(value.is_not_null() & ~value.dt.year().is_between(low, high)).then(msg(
                f"{label}年份超出范围：应在 {low}–{high} 之间，实为 ", value.dt.year().cast(pl.String)))),
        ]
        if f.endswith("_actual"):
            checks.append((f, pl.when(value > pl.lit(today)).then(msg(
                f"{label}晚于今天（{today.isoformat()}）：实际日期只能填写已经发生的日期，实为 ",
                value.dt.strftime("%Y-%m-%d")))))
    return checks


def _stage_checks(fdi: FdiCatalog) -> list[tuple[str, pl.Expr]]:
    """The stage rules across each row's columns: a stage happens only after every earlier stage
    that may not be skipped, actual and planned dates never go back in time along the stages,
    a signed project that has not landed has planned landing dates, capital arrived goes with a
    到资 date, and a project has a signing date (planned or actual)."""
    col = pl.col
    names = fdi.stage_names
    codes = fdi.stage_codes
    skippable = dict(zip(fdi.stages["stage"], fdi.stages["skippable"], strict=True))
    actual = {c: col(f"{c}_actual_date") for c in codes}
    planned = {c: col(f"{c}_planned_date") for c in codes}
    checks: list[tuple[str, pl.Expr]] = []
    for i, code in enumerate(codes):
        earlier = codes[:i]
        needed = [c for c in earlier if not skippable[c]]
        if needed:
            missing = pl.concat_str([pl.when(actual[c].is_null()).then(pl.lit(names[c])) for c in needed],
                                    separator="、", ignore_nulls=True)
            checks.append((f"{code}_actual", pl.when(actual[code].is_not_null() & (missing != "")).then(msg(
                f"{names[code]}已有实际日期，但此前的环节尚未完成：", missing))))
        if earlier:
            for kind, dates in (("实际", actual), ("计划", planned)):
                before = pl.max_horizontal([dates[c] for c in earlier])
                checks.append((f"{code}_{'actual' if kind == '实际' else 'planned'}", pl.when(
                    dates[code].is_not_null() & (dates[code] < before)).then(msg(
                        f"{names[code]}{kind}日期 ", dates[code].dt.strftime("%Y-%m-%d"),
                        f" 早于此前环节的{kind}日期 ", before.dt.strftime("%Y-%m-%d")))))
    first = codes[0]
    checks.append((f"{first}_planned", pl.when(planned[first].is_null() & actual[first].is_null()).then(pl.lit(
        f"{names[first]}计划日期与实际日期均为空：至少填写其一"))))
    for code in fdi.landed:
        checks.append((f"{code}_planned", pl.when(
            actual[first].is_not_null() & actual[code].is_null() & planned[code].is_null()).then(pl.lit(
                f"已签约、尚未{names[code]}的项目须填写{names[code]}计划日期（用于计算落地率）"))))
    arrival = "capital_arrived" if "capital_arrived" in codes else None
    if arrival:
        checks += [
            ("arrived_usd_wan", pl.when((col("arrived_usd_wan_usd") > 0) & actual[arrival].is_null()).then(msg(
                "实到外资 ", col("arrived_usd_wan"), f" 万美元，但未填写{names[arrival]}实际日期"))),
            (f"{arrival}_actual", pl.when(actual[arrival].is_not_null()
                                          & ~(col("arrived_usd_wan_usd") > 0).fill_null(False)).then(pl.lit(
                f"已填写{names[arrival]}实际日期，但实到外资为空或为 0"))),
        ]
    return checks


def _investor_checks() -> list[tuple[str, pl.Expr]]:
    """One investor (客商, by name) is one country and one 世界500强 answer across the file."""
    col = pl.col
    by = "investor_name"
    return [
        ("investor_country", pl.when(col("country_code").n_unique().over(by) > 1).then(msg(
            "同一客商“", col(by), "”在本文件中填写了不同的国别（地区）"))),
        ("investor_fortune500", pl.when(col("fortune").fill_null(False).n_unique().over(by) > 1).then(msg(
            "同一客商“", col(by), "”在本文件中的世界500强填写不一致"))),
    ]


def _frames(df: pl.DataFrame, fdi: FdiCatalog) -> FdiPipeline:
    projects = df.select(
        project_id="project_id", name_zh="name_zh", org_unit="org_code", industry="industry_code",
        investor_name="investor_name", investor_country="country_code",
        investor_fortune500=pl.col("fortune").fill_null(False), contracted_usd="contracted_usd_wan_usd",
        arrived_usd=pl.col("arrived_usd_wan_usd").fill_null(0), next_step_owner="next_step_owner",
    ).cast(PROJECT_SCHEMA)
    long = pl.concat([
        df.select(project_id="project_id", stage=pl.lit(code), planned_date=f"{code}_planned_date",
                  actual_date=f"{code}_actual_date")
        for code in fdi.stage_codes])
    dates = (long.filter(pl.col("planned_date").is_not_null() | pl.col("actual_date").is_not_null())
             .cast(STAGE_DATE_SCHEMA).sort("project_id", "stage"))
    return FdiPipeline(projects.sort("project_id"), dates)
