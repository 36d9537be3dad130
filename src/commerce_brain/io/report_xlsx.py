"""Excel plan-evaluation report: 评估总表, 图表数据 and native line charts on 图表."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference, Series
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import report_rules as r
from .cells import neutralise, neutralised
from .svg_chart import nice_ticks

PERCENT_2 = "0.00%"
PERCENT_1 = "0.0%"
PERCENT_0 = "0%"
VALUE = "value"  # a placeholder: values get a format with as many decimals as they need

# (header, width, value of a row, number format or None for text / per-cell formats)
_COLUMNS: list[tuple[str, int, Any, str | None]] = [
    ("规划", 28, lambda row: row["plan_title"], None),
    ("地区", 10, lambda row: row["org_unit_name"], None),
    ("评估年份", 9, lambda row: row["year"], "0"),
    ("指标", 26, lambda row: row["name_zh"], None),
    ("单位", 8, lambda row: row["unit"], None),
    ("基期值", 11, lambda row: row["base_value"], VALUE),
    ("目标值", 14, lambda row: _target(row), VALUE),
    ("规划增速", 10, lambda row: r.stated_growth(row), None),
    ("属性", 8, lambda row: r.attribute_display(row) or None, None),
    ("实际值", 11, lambda row: row["actual"], VALUE),
    ("年均增长", 13, lambda row: _growth(row), None),
    ("隐含年均增速", 12, lambda row: row["implied_growth"], PERCENT_2),
    ("所需年均增速", 12, lambda row: row["required_growth"], PERCENT_2),
    ("完成进度", 10, lambda row: row["progress"], PERCENT_1),
    ("时间进度", 10, lambda row: row["time_elapsed"], PERCENT_0),
    ("预计到期值", 11, lambda row: row["projected_value"], VALUE),
    ("评估结论", 13, lambda row: r.status_label(row), None),
    ("出处", 60, lambda row: row["citation"], None),
]
HEADERS = [c[0] for c in _COLUMNS]
DATA_HEADERS = ["规划", "指标", "地区", "年份", "目标路径", "实际值", "预测值"]

_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_THIN = Side(style="thin", color="D9DEE4")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAPPED = {HEADERS.index(h) + 1 for h in ("规划", "指标", "出处")}
_CENTRED = {HEADERS.index(h) + 1 for h in ("地区", "评估年份", "单位", "规划增速", "属性")}
_LINE_HEIGHT = 15  # points, one line of the default 11 pt font
_CHART_COLUMNS = 2
_CHART_STEP_COLUMNS = 11  # a 17 cm chart spans about ten default-width columns
_CHART_STEP_ROWS = 20  # a 9 cm chart spans about seventeen default-height rows


def write_xlsx(
    rows: list[dict[str, Any]],
    series: dict[r.Key, list[dict]],
    path: Path,
    *,
    year: int,
    title: str,
) -> None:
    """Write the workbook for ``rows`` (see ``report.evaluation_rows``) to ``path``."""
    wb = Workbook()
    wb.properties.title = f"{title}（{year}年）"
    summary = wb.active
    summary.title = "评估总表"
    _write_summary(summary, rows)
    blocks = _write_chart_data(wb.create_sheet("图表数据"), rows, series)
    _write_charts(wb.create_sheet("图表"), rows, blocks)
    wb.save(path)


def _value_format(value: float) -> str:
    # A fixed 0.00 would print 1,000.00 for a plan's 1000 and hide the third decimal of 0.052.
    decimals = r.decimals_for(value)
    return "#,##0." + "0" * decimals if decimals else "#,##0"


def _target(row: dict[str, Any]) -> float | str | None:
    # Keep a numeric target a number so analysts can compute with it; only wording is text.
    return row["target_value"] if row["target_value"] is not None else row["target_text"]


def _growth(row: dict[str, Any]) -> tuple[float | None, str | None]:
    """The 年均增长 cell: a rate, or a change whose number format carries its unit word."""
    if row["growth_kind"] == "annual_growth":
        return row["achieved_growth"], PERCENT_2
    delta = r.change(row)
    if delta is None:
        return None, None
    digits = "0." + "0" * d if (d := r.decimals_for(delta)) else "0"
    word = r.change_suffix(row["unit"]).replace('"', "")
    return delta, f'+{digits}"{word}";-{digits}"{word}";0"{word}"'


def _header(ws: Worksheet, headers: list[str], widths: list[int]) -> None:
    ws.append(headers)
    for cell, width in zip(ws[1], widths):
        cell.fill, cell.font, cell.border = _HEADER_FILL, _HEADER_FONT, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = width
    ws.row_dimensions[1].height = 30


def _row_height(ws: Worksheet, row: int) -> float:
    # openpyxl cannot auto-fit and Excel does not re-measure on open, so a wrapped citation
    # would overlap the next row; estimate the lines (a CJK glyph is two width units).
    lines = 1
    for column in _WRAPPED:
        text = str(ws.cell(row=row, column=column).value or "")
        units = sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)
        width = ws.column_dimensions[get_column_letter(column)].width or 10
        lines = max(lines, -(-units // max(1, int(width) - 1)))
    return lines * _LINE_HEIGHT + 3


def _write_summary(ws: Worksheet, rows: list[dict[str, Any]]) -> None:
    _header(ws, HEADERS, [c[1] for c in _COLUMNS])
    status_col = HEADERS.index("评估结论") + 1
    for i, row in enumerate(rows, start=2):
        for j, (_, _, value_of, fmt) in enumerate(_COLUMNS, start=1):
            value = value_of(row)
            if isinstance(value, tuple):
                value, fmt = value
            cell = ws.cell(row=i, column=j, value=neutralise(value))
            cell.border = _BORDER
            if fmt and isinstance(value, (int, float)):
                cell.number_format = _value_format(value) if fmt == VALUE else fmt
            cell.alignment = Alignment(vertical="center", wrap_text=j in _WRAPPED,
                                       horizontal="center" if j in _CENTRED else None)
        ws.row_dimensions[i].height = _row_height(ws, i)
        status = ws.cell(row=i, column=status_col)
        status.fill = PatternFill("solid", fgColor=r.status_colour(row["status"]).lstrip("#"))
        status.font = Font(bold=True, color="FFFFFF")
        status.alignment = Alignment(horizontal="center", vertical="center")
    # Keep 规划…指标 and the header in view while scrolling the wide table.
    ws.freeze_panes = "E2"
    # Printed, the 18 columns would spill over several pages; fit them to one landscape width.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:1"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(1, len(rows)) + 1}"


def _write_chart_data(
    ws: Worksheet, rows: list[dict[str, Any]], series: dict[r.Key, list[dict]]
) -> dict[r.Key, tuple[int, int]]:
    """Long-form trajectory rows; returns each key's first and last worksheet row."""
    _header(ws, DATA_HEADERS, [28, 26, 10, 8, 12, 12, 12])
    ws.freeze_panes = "A2"
    blocks: dict[r.Key, tuple[int, int]] = {}
    for row in rows:
        points = series.get(r.key(row), [])
        if not points:
            continue
        first = ws.max_row + 1
        for p in points:
            ws.append(neutralised([row["plan_title"], row["name_zh"], row["org_unit_name"], p["year"],
                                   p["path_value"], p["actual"], p["projected"]]))
            for cell in ws[ws.max_row][4:]:
                if cell.value is not None:
                    cell.number_format = _value_format(cell.value)
        blocks[r.key(row)] = (first, ws.max_row)
    return blocks


def _write_charts(
    ws: Worksheet, rows: list[dict[str, Any]], blocks: dict[r.Key, tuple[int, int]]
) -> None:
    data = ws.parent["图表数据"]
    charted = [row for row in rows if row["target_value"] is not None and r.key(row) in blocks]
    if not charted:
        ws["A1"] = "没有可作图的数值目标指标。"
    for n, row in enumerate(charted):
        first, last = blocks[r.key(row)]
        chart = _line_chart(data, first, last, row)
        column = get_column_letter(1 + (n % _CHART_COLUMNS) * _CHART_STEP_COLUMNS)
        ws.add_chart(chart, f"{column}{1 + (n // _CHART_COLUMNS) * _CHART_STEP_ROWS}")


def _line_chart(data: Worksheet, first: int, last: int, row: dict[str, Any]) -> LineChart:
    chart = LineChart()
    chart.title = f"{row['name_zh']}（{row['org_unit_name']}）"
    chart.y_axis.title = row["unit"] or None
    chart.x_axis.title = "年份"
    chart.height, chart.width = 9, 17  # cm; two fit side by side on a laptop screen
    chart.legend.position = "b"
    chart.display_blanks = "gap"  # a missing year is a gap, not a drop to zero
    # openpyxl ≥3.1 writes axes as deleted unless told otherwise; Excel then hides them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.majorGridlines.spPr = GraphicalProperties(ln=LineProperties(solidFill="E4E7EB"))
    styles = [(5, r.PATH_COLOUR, "solid", False), (6, r.ACTUAL_COLOUR, "solid", True),
              (7, r.PROJECTED_COLOUR, "dash", False)]
    for column, colour, dash, marker in styles:
        values = Reference(data, min_col=column, min_row=first, max_row=last)
        line = Series(values, title=DATA_HEADERS[column - 1])
        line.graphicalProperties.line.solidFill = colour.lstrip("#")
        line.graphicalProperties.line.width = 28575  # EMU, 2.25 pt
        line.graphicalProperties.line.dashStyle = dash
        line.marker.symbol = "circle" if marker else "none"
        if marker:
            line.marker.size = 6
            line.marker.graphicalProperties = GraphicalProperties(solidFill=colour.lstrip("#"))
        line.smooth = False
        chart.series.append(line)
    _scale_y(chart, data, first, last)
    chart.set_categories(Reference(data, min_col=4, min_row=first, max_row=last))
    return chart


def _scale_y(chart: LineChart, data: Worksheet, first: int, last: int) -> None:
    # Excel starts the value axis at 0, which flattens 757→1000 亿元 into a straight line;
    # use the same round ticks as the HTML chart instead.
    values = [c.value for row in data.iter_rows(min_row=first, max_row=last, min_col=5, max_col=7)
              for c in row if isinstance(c.value, (int, float))]
    if not values:
        return
    ticks = nice_ticks(min(values), max(values))
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = ticks[0], ticks[-1]
    chart.y_axis.majorUnit = round(ticks[1] - ticks[0], 10)
    decimals = max(r.decimals_for(t) for t in ticks)
    chart.y_axis.number_format = "#,##0." + "0" * decimals if decimals else "#,##0"
