"""The actuals template: the columns an import takes, an example, and the valid codes."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from ..catalog import Catalog
from .cells import neutralised

COLUMNS = ["plan", "indicator", "org_unit", "period", "value", "real_growth_pct", "source"]
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def example_rows(catalog: Catalog) -> list[list[object]]:
    """Two rows a user can copy: a yearly figure and a monthly year-to-date one. They are shown
    on the 说明 sheet only: left on the import sheet, real-looking figures would be imported as
    revisions of the real ones."""
    plan = catalog.plan("qz_commerce_14th") if any(p.id == "qz_commerce_14th" for p in catalog.plans) \
        else catalog.plans[0]
    ind = plan.indicators[0]
    return [
        [plan.id, ind.name_zh, plan.org_unit, str(ind.base_year + 1), 801.5, "", "市统计局年报"],
        [plan.id, ind.id, plan.org_unit, f"{ind.base_year + 2}-06", 420.3, "", "市统计局月报（1-6月累计）"],
    ]


def write_template(catalog: Catalog, path: Path) -> Path:
    """Write the blank template as XLSX (the header row; code lists, notes and examples on their
    own sheets) or as CSV (the header row alone)."""
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow(COLUMNS)
        return path
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"template must be .xlsx or .csv, got {path.name}")
    book = Workbook()
    sheet = book.active
    sheet.title = "actuals"
    _write(sheet, COLUMNS, [])
    _write(
        book.create_sheet("指标清单"),
        # Reference sheets avoid the import's header names so the importer passes them over.
        ["规划编号", "规划名称", "指标编号", "指标名称", "单位", "基期年", "目标年", "增长类型"],
        [[i.plan, catalog.plan(i.plan).title, i.id, i.name_zh, i.unit, i.base_year, i.target_year,
          i.growth_kind] for i in catalog.indicators()],
    )
    _write(
        book.create_sheet("地区代码"),
        ["代码", "名称", "上级", "类型"],
        [[u.code, u.name_zh, u.parent or "", u.kind] for u in catalog.org_units],
    )
    notes = book.create_sheet("说明")
    for line in TEMPLATE_NOTES:
        notes.append([line])
    notes.append([])
    # One cell per example: a row of separate cells under column names would read as data.
    notes.append(["填写示例（仅供参考，不会被导入）："])
    for row in example_rows(catalog):
        notes.append(neutralised([" | ".join("" if v is None else str(v) for v in row)]))
    notes.column_dimensions["A"].width = 110
    book.save(path)
    return path


def write_csv(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    """A template as CSV: the header row and ``rows``, neutralised, UTF-8 with a BOM (so that
    Excel opens the Chinese headers right)."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(neutralised(r) for r in rows)
    return Path(path)


def _write(sheet, headers: list[str], rows: list[list[object]]) -> None:
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        sheet.append(neutralised(row))  # catalog text: editable by administrators, so guarded too
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, width * 1.8), 60)


TEMPLATE_NOTES = [
    "实际值导入模板 Actuals import template",
    "plan：规划编号或规划全称；indicator：指标编号或指标中文名称（与“指标清单”一致）。",
    "org_unit：行政区划代码或名称（见“地区代码”）。",
    "period：年度写 2023；月度写 2023-06，月度数值为1至当月累计数（统计月报口径）。",
    "value：按指标单位填写的数值；real_growth_pct：可比价增速（%，如 7.2），仅可比价指标需要。",
    "五年累计指标（如〔3〕）按年度填写当年发生额，系统自动累计。",
    "整个文件任一行有误即全部退回，并列出工作表、行、列和原因；同一格再次导入将记录为新版本。",
]
