"""The project reports template (项目进度导入模板), blank or with the sample the README walks
through: one month (2023-10) that lights every rule — a green, a yellow and a red project, one
due to start but not started, one due to finish but not finished, a 重点项目 beyond the 58 —
and the months before it for the S-curve; every other project stays unreported (``none``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from openpyxl import Workbook

from ..projects.amounts import wan_to_yi_text
from .actuals_template import _write
from .cells import neutralised
from .project_reports_import import PROJECT_FIELDS, REPORT_FIELDS

SAMPLE_MONTH = "2023-10"
# In the order of REPORT_FIELDS: project, month, annual plan, completed ytd, stage (the contract's
# five), completed in the month (亿元), image progress, problems, who must solve them.
SAMPLE_REPORTS = [
    ("zl13-01", "2023-03", "1", "0.2", "under_construction", "0.08", "主体结构施工", "", ""),
    ("zl13-01", "2023-06", "1", "0.52", "under_construction", "0.1", "主体结构封顶", "", ""),
    ("zl13-01", "2023-09", "1", "0.86", "under_construction", "0.12", "幕墙施工", "", ""),
    # 97.2% in October: 13.9 points ahead (green).
    ("zl13-01", "2023-10", "1", "0.972", "under_construction", "0.112", "室内装修", "", ""),
    ("zl13-02", "2023-06", "3", "1.2", "under_construction", "0.2", "园区道路施工", "", ""),
    # 73% against 83%: 10 points behind (yellow).
    ("zl13-02", "2023-10", "3", "2.2", "under_construction", "0.25", "厂房主体施工", "招商进度慢于预期", "智慧新城管委会"),
    # 40% against 83%: 43 points behind (red).
    ("zl13-04", "2023-10", "2", "0.8", "under_construction", "0.05", "土方开挖", "政策处理未完成，部分地块未交地",
     "柯城区政府"),
    # 2022–2028, still not started in 2023 (red: 应开工未开工).
    ("zl13-06", "2023-10", "1.5", "0", "not_started", "0", "前期手续办理中", "用地指标未落实", "衢江区政府"),
    # 2020–2022, not finished in 2023 (red: 应竣工未竣工).
    ("zl14-01", "2023-10", "0.5", "0.45", "under_construction", "0.02", "沿街立面收尾", "验收资料不全", "衢州市城投集团"),
    # A 重点项目 beyond the 58, listed on the 项目 sheet.
    ("kp-2023-001", "2023-10", "2", "1.8", "under_construction", "0.2", "设备安装", "", ""),
]
SAMPLE_PROJECTS = [
    ("kp-2023-001", "衢州市城东冷链物流中心", "2023", "2025", "6", "6", "衢江区政府", "衢江区"),
]
NOTES = [
    "项目进度导入模板",
    "“进度”表每行一个项目一个月份：project 为项目编号（标志性项目如 zl13-01，见“项目清单”；其他重点项目先列在“项目”表）；",
    "month 为月份 YYYY-MM；annual_plan_yi 为本年度计划投资，completed_ytd_yi 为本年 1 月至当月累计完成投资，"
    "completed_month_yi 为当月完成投资，单位均为亿元（至多四位小数，即 1 万元）；",
    "stage 为建设阶段：not_started（未开工）、under_construction（在建）、completed（已竣工），也可填中文；",
    "image_progress 形象进度、problems 存在问题、problem_owner 问题解决责任单位，可不填。",
    "“项目”表列出标志性项目以外的重点项目：编号、名称、开工与竣工年份、总投资与“十四五”期间计划投资（亿元）、责任单位、所在地区。",
    "整个文件任一行有误即全部退回，并列出工作表、行、列和原因；同一项目同一月份再次导入记为新版本。",
    "同一年内累计完成不能减少；累计完成超过年度计划 3 倍视为单位有误。",
]


def write_project_reports_template(path: Path, projects: pl.DataFrame, *, sample: bool = False) -> Path:
    """Write the template workbook to ``path`` (.xlsx): the 进度 and 项目 sheets (with the sample
    rows when ``sample``), the project list for reference and the notes."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"template must be .xlsx, got {path.name}")
    book = Workbook()
    reports = book.active
    reports.title = "进度"
    _write(reports, list(REPORT_FIELDS), [list(r) for r in SAMPLE_REPORTS] if sample else [])
    _write(book.create_sheet("项目"), list(PROJECT_FIELDS), [list(r) for r in SAMPLE_PROJECTS] if sample else [])
    listed = projects.with_columns(wan_to_yi_text(pl.col("total_investment_wan")).alias("t"),
                                   wan_to_yi_text(pl.col("plan_period_investment_wan")).alias("p"))
    # The reference sheet's headers avoid the import's column names, so it is never read as data.
    _write(book.create_sheet("项目清单"), ["编号", "项目", "起止年份", "总投资（亿）", "“十四五”投资（亿）", "责任"],
           listed.select("id", "name_zh", pl.format("{}–{}", "start_year", "end_year"), "t", "p",
                         "responsible_unit").rows())
    notes = book.create_sheet("说明")
    for line in NOTES:
        notes.append(neutralised([line]))
    notes.column_dimensions["A"].width = 120
    book.save(path)
    return path

