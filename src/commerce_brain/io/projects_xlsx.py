"""The project list as a workbook (项目推进's 导出为 Excel): the rows the page shows, in Chinese.

Amounts are exact 亿元 (Decimal from integer 万元, never a float); every text cell goes through
``cells.neutralised``: a project, unit or problem typed as ``=HYPERLINK(…)`` stays text.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ..projects.amounts import wan_to_yi
from ..projects.schedule import LIGHT_ZH, STAGE_ZH
from .cells import neutralised

# (header, how a status row gives the cell)
COLUMNS = [
    ("专栏", lambda r: f"专栏{r['column']}" if r["column"] is not None else "重点项目"),
    ("序号", lambda r: r["number"]),
    ("项目名称", lambda r: r["name_zh"]),
    ("责任单位", lambda r: r["responsible_unit"]),
    ("所在地区", lambda r: r["org_unit_name"]),
    ("建设年限", lambda r: f"{r['start_year']}—{r['end_year']}"),
    ("总投资（亿元）", lambda r: _yi(r["total_investment_wan"])),
    ("“十四五”期间计划投资（亿元）", lambda r: _yi(r["plan_period_investment_wan"])),
    ("月份", lambda r: r["month"]),
    ("年度计划投资（亿元）", lambda r: _yi(r["annual_plan_wan"])),
    ("本年累计完成（亿元）", lambda r: _yi(r["completed_ytd_wan"])),
    ("序时进度（百分点）", lambda r: None if r["schedule_gap"] is None else round(100 * r["schedule_gap"], 1)),
    ("建设阶段", lambda r: STAGE_ZH.get(r["stage"]) if r["stage"] else None),
    ("灯", lambda r: LIGHT_ZH[r["light"]]),
    ("说明", lambda r: r["reason"]),
]


def _yi(wan: int | None):
    return None if wan is None else wan_to_yi(wan)


def write_projects_xlsx(rows: pl.DataFrame, month: str | None, path: Path) -> Path:
    """``rows`` (the month's status joined with the projects' facts, as the list page shows
    them) written to ``path`` as one sheet 项目推进; returns ``path``."""
    book = Workbook()
    sheet = book.active
    sheet.title = "项目推进"
    sheet.append([title for title, _ in COLUMNS])
    for row in rows.iter_rows(named=True):
        sheet.append(neutralised(cell(row) for _, cell in COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.freeze_panes = "A2"
    for n, (title, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = 48 if title in ("项目名称", "说明") else max(10, 2 * len(title) + 4)
    book.save(path)
    return path
