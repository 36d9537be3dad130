"""Plan-evaluation report writers: HTML (inline SVG) and Excel (native charts), and svg_chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import polars as pl
import pytest
from openpyxl import load_workbook

from commerce_brain.io import report_rules as r
from commerce_brain.io.report import write_report
from commerce_brain.io.report_xlsx import HEADERS
from commerce_brain.io.svg_chart import Series, line_chart, nice_ticks

SVG_NS = "{http://www.w3.org/2000/svg}"
YEAR = 2023
QZ_COMMERCE = "衢州市商务高质量发展“十四五”规划"
QZ_SERVICES = "衢州市现代服务业发展“十四五”规划"
RETAIL_CITATION = "「1 社会消费品零售总额 亿元 757 1000 6 预期性」（《衢州市商务高质量发展“十四五”规划》（衢发改发〔2021〕18号）表2 第1行）"

EVALUATION_SCHEMA = {
    "plan": pl.String, "plan_title": pl.String, "indicator": pl.String, "name_zh": pl.String,
    "unit": pl.String, "org_unit": pl.String, "org_unit_name": pl.String, "year": pl.Int64,
    "base_year": pl.Int64, "base_value": pl.Float64, "target_year": pl.Int64,
    "target_value": pl.Float64, "target_text": pl.String, "stated_growth": pl.String,
    "growth_kind": pl.String, "attribute": pl.String, "actual": pl.Float64,
    "achieved_growth": pl.Float64, "implied_growth": pl.Float64, "required_growth": pl.Float64,
    "progress": pl.Float64, "time_elapsed": pl.Float64, "path_value": pl.Float64,
    "projected_value": pl.Float64, "status": pl.String, "status_zh": pl.String,
    "citation": pl.String,
}
TRAJECTORY_SCHEMA = {
    "plan": pl.String, "indicator": pl.String, "org_unit": pl.String, "year": pl.Int64,
    "path_value": pl.Float64, "actual": pl.Float64, "projected": pl.Float64,
}


def _row(**values) -> dict:
    base = dict.fromkeys(EVALUATION_SCHEMA)
    base.update(org_unit="330800", org_unit_name="衢州市", year=YEAR, base_year=2020,
                target_year=2025, time_elapsed=0.6, attribute="expected")
    base.update(values)
    return base


def _evaluation() -> pl.DataFrame:
    rows = [
        _row(plan="qz_commerce_14th", plan_title=QZ_COMMERCE, indicator="retail_sales",
             name_zh="社会消费品零售总额", unit="亿元", base_value=757.0, target_value=1000.0,
             stated_growth="6", growth_kind="annual_growth", actual=860.0,
             achieved_growth=0.043393, implied_growth=0.057300, required_growth=0.078310,
             progress=0.423868, path_value=894.63, projected_value=936.27, status="lagging",
             status_zh="滞后", citation=RETAIL_CITATION),
        _row(plan="qz_commerce_14th", plan_title=QZ_COMMERCE, indicator="online_retail_sales",
             name_zh="网络零售额<b>测试</b>", unit="亿元", base_value=389.0, target_value=780.0,
             stated_growth="15", growth_kind="annual_growth", actual=800.0,
             achieved_growth=0.271700, implied_growth=0.149300, required_growth=-0.012578,
             progress=1.053708, path_value=591.6, projected_value=1294.0,
             status="achieved_early", status_zh="提前实现",
             citation="「2 网络零售额 亿元 389 780 15 预期性」（《衢州市商务高质量发展“十四五”规划》（衢发改发〔2021〕18号）表2 第2行）"),
        _row(plan="qz_services_14th", plan_title=QZ_SERVICES, indicator="service_satisfaction",
             name_zh="服务质量满意度", unit="%", target_text="高于全省平均", growth_kind="share",
             attribute=None, actual=92.0, status="not_assessable", status_zh="无法量化评估",
             citation="「服务质量满意度 % 高于全省平均」（《衢州市现代服务业发展“十四五”规划》（衢发改发〔2021〕37号）表1）"),
        _row(plan="qz_services_14th", plan_title=QZ_SERVICES, indicator="innovation_zones",
             name_zh="省级现代服务业创新发展区", unit="个", base_value=5.0, target_value=10.0,
             growth_kind="count", path_value=8.0, status="no_data", status_zh="暂无数据",
             citation="「省级现代服务业创新发展区 个 5 10」（《衢州市现代服务业发展“十四五”规划》（衢发改发〔2021〕37号）表1）"),
    ]
    # A row of another year must be left out of the 2023 report.
    rows.append(rows[0] | {"year": 2022, "status": "on_track", "status_zh": "基本符合预期"})
    return pl.DataFrame(rows, schema=EVALUATION_SCHEMA)


def _trajectory() -> pl.DataFrame:
    points = []
    years = range(2020, 2026)
    retail_path = [757 * 1.0573**i for i in range(6)]
    retail_actual = [757.0, None, 820.0, 860.0, None, None]  # 2021 missing: a gap in the line
    retail_projected = [None, None, None, None, 898.0, 936.27]
    online_path = [389 * 1.1493**i for i in range(6)]
    online_actual = [389.0, 500.0, 650.0, 800.0, None, None]
    zones_path = [5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    for plan, indicator, org_unit, path, actual, projected in [
        ("qz_commerce_14th", "retail_sales", "330800", retail_path, retail_actual, retail_projected),
        ("qz_commerce_14th", "retail_sales", "330802", retail_path, retail_actual, retail_projected),
        ("qz_commerce_14th", "online_retail_sales", "330800", online_path, online_actual,
         [None] * 4 + [1017.0, 1294.0]),
        ("qz_services_14th", "innovation_zones", "330800", zones_path, [None] * 6, [None] * 6),
    ]:
        for year, p, a, q in zip(years, path, actual, projected):
            points.append({"plan": plan, "indicator": indicator, "org_unit": org_unit,
                           "year": year, "path_value": p, "actual": a, "projected": q})
    return pl.DataFrame(points, schema=TRAJECTORY_SCHEMA)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("html") / "评估.html"
    assert write_report(_evaluation(), _trajectory(), path, year=YEAR) == path
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "评估.xlsx"
    write_report(_evaluation(), _trajectory(), path, year=YEAR)
    return load_workbook(path)


def _summary_rows(workbook) -> dict[str, dict]:
    ws = workbook["评估总表"]
    header = [c.value for c in ws[1]]
    return {row[header.index("指标")].value: dict(zip(header, row)) for row in ws.iter_rows(min_row=2)}


# ---- Excel -----------------------------------------------------------------------------------


def test_xlsx_headers_and_layout(workbook):
    ws = workbook["评估总表"]
    header = [c.value for c in ws[1]]
    assert header == HEADERS
    for name in ("规划", "地区", "评估年份", "指标", "单位", "基期值", "目标值", "属性", "实际值",
                 "年均增长", "隐含年均增速", "所需年均增速", "完成进度", "时间进度", "预计到期值",
                 "评估结论", "出处"):
        assert name in header
    assert ws.max_row == 5  # 4 indicators of 2023; the 2022 row is left out
    assert ws.freeze_panes == "E2"
    assert ws[1][0].font.bold
    assert ws.column_dimensions["R"].width >= 40


def test_xlsx_percentages_are_numbers(workbook):
    retail = _summary_rows(workbook)["社会消费品零售总额"]
    implied = retail["隐含年均增速"]
    assert isinstance(implied.value, float) and implied.value == pytest.approx(0.0573)
    assert implied.number_format == "0.00%"
    assert retail["年均增长"].value == pytest.approx(0.043393)
    assert retail["年均增长"].number_format == "0.00%"
    assert retail["完成进度"].value == pytest.approx(0.423868)
    assert retail["完成进度"].number_format == "0.0%"
    assert retail["时间进度"].number_format == "0%"
    assert retail["目标值"].value == 1000
    assert retail["规划增速"].value == "6"
    assert retail["出处"].value == RETAIL_CITATION


def test_xlsx_text_target_and_missing_values(workbook):
    rows = _summary_rows(workbook)
    satisfaction = rows["服务质量满意度"]
    assert satisfaction["目标值"].value == "高于全省平均"
    assert satisfaction["属性"].value is None
    zones = rows["省级现代服务业创新发展区"]
    assert zones["实际值"].value is None
    assert zones["属性"].value == "预期性"


def test_xlsx_status_fill(workbook):
    rows = _summary_rows(workbook)
    for name, status in [("社会消费品零售总额", "lagging"), ("网络零售额<b>测试</b>", "achieved_early"),
                         ("省级现代服务业创新发展区", "no_data")]:
        cell = rows[name]["评估结论"]
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb.upper().endswith(r.STATUS_COLOURS[status].lstrip("#").upper())
    assert rows["社会消费品零售总额"]["评估结论"].value == "滞后"


def test_xlsx_charts_and_chart_data(workbook):
    assert len(workbook["图表"]._charts) == 3  # one per indicator with a numeric target
    data = workbook["图表数据"]
    assert [c.value for c in data[1]] == ["规划", "指标", "地区", "年份", "目标路径", "实际值", "预测值"]
    # 3 charted indicators × 6 years; the trajectory of org unit 330802 is not charted.
    assert data.max_row == 1 + 18
    assert {row[2] for row in data.iter_rows(min_row=2, values_only=True)} == {"衢州市"}


# ---- HTML ------------------------------------------------------------------------------------


def test_html_table_and_statuses(html):
    for header in ("指标", "单位", "基期值", "目标值", "属性", "实际值", "年均增长", "完成进度", "评估结论"):
        assert f"<th>{header}</th>" in html
    for label in ("提前实现", "滞后", "无法量化评估", "暂无数据"):
        assert label in html
    assert "《衢州市商务高质量发展“十四五”规划》实施评估（2023年）" in html
    assert "1000（6）" in html
    assert "4.34%" in html
    assert "42.4%（时间进度 60%）" in html
    assert "高于全省平均" in html


def test_html_one_svg_per_numeric_indicator(html):
    assert html.count("<svg") == 3
    assert RETAIL_CITATION in html
    assert "「服务质量满意度 % 高于全省平均」" in html  # cited even without a chart


def test_html_escapes_and_is_offline(html):
    assert "网络零售额&lt;b&gt;测试&lt;/b&gt;" in html
    assert "<b>" not in html
    offline = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in offline and "https://" not in offline
    assert "@media print" in html
    assert '"Microsoft YaHei"' in html


# ---- dispatch and contract -------------------------------------------------------------------


def test_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.xlsx, \.html"):
        write_report(_evaluation(), _trajectory(), tmp_path / "report.pdf", year=YEAR)
    assert not (tmp_path / "report.pdf").exists()


def test_missing_columns_and_year(tmp_path):
    with pytest.raises(ValueError, match="plan_title"):
        write_report(_evaluation().drop("plan_title"), _trajectory(), tmp_path / "a.html", year=YEAR)
    with pytest.raises(ValueError, match="no evaluation rows for year 2000"):
        write_report(_evaluation(), _trajectory(), tmp_path / "a.html", year=2000)
    doubled = pl.concat([_trajectory(), _trajectory()])
    with pytest.raises(ValueError, match="several rows for one year"):
        write_report(_evaluation(), doubled, tmp_path / "a.xlsx", year=YEAR)


def test_rows_are_reported_as_of_the_year():
    # Every row is evaluated in YEAR; a report for a later year shows them as of YEAR.
    rows = r.evaluation_rows(_evaluation(), YEAR + 3)
    assert {row["year"] for row in rows} == {YEAR}  # the 2022 row of retail_sales gives way
    assert len(rows) == 4
    earlier = r.evaluation_rows(_evaluation(), YEAR - 1)
    assert [(row["indicator"], row["year"]) for row in earlier] == [("retail_sales", 2022)]


# ---- display rules ---------------------------------------------------------------------------


def test_display_rules():
    point = _row(growth_kind="point_change", unit="%", base_value=45.0, actual=46.2,
                 progress=0.46, time_elapsed=0.6, target_value=50.0, stated_growth="-")
    assert r.growth_display(point) == "+1.2个百分点"
    assert r.progress_display(point) == "46.0%（时间进度 60%）"
    assert r.target_display(point) == "50"  # a printed dash is no stated growth
    permille = _row(growth_kind="point_change", unit="‰", base_value=1.4, actual=1.5)
    assert r.growth_display(permille) == "+0.1个千分点"
    count = _row(growth_kind="count", unit="个", base_value=5.0, actual=8.0)
    assert r.growth_display(count) == "+3个"
    fell = _row(growth_kind="count", unit="家", base_value=5.0, actual=3.0)
    assert r.growth_display(fell) == "-2家"
    cumulative = _row(growth_kind="cumulative", unit="亿美元", base_value=2.92, actual=1.2)
    assert r.growth_display(cumulative) == "—"
    assert r.target_display(_row(target_text="1/3以上", stated_growth=None)) == "1/3以上"
    assert r.target_display(_row(target_value=1.5, stated_growth="[1.5]")) == "1.5（[1.5]）"
    assert r.target_display(_row()) == "—"
    assert r.progress_display(_row()) == "—"
    assert r.fmt_number(0.052) == "0.052" and r.fmt_number(358.40) == "358.4"
    assert r.plan_heading("某某方案", 2023) == "《某某方案》规划实施评估（2023年）"


# ---- svg_chart -------------------------------------------------------------------------------


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, so escaping held


def test_svg_missing_values_break_the_line():
    svg = line_chart(
        [2020, 2021, 2022, 2023, 2024],
        [Series("实际值", [1.0, None, 3.0, 4.0, None], "#1f4e79"),
         Series("预测<值>", [None, None, None, 4.0, None], "#d9822b", "dashed", markers=False)],
        title="指标 & <测试>", unit="亿元",
    )
    root = _parse(svg)
    polylines = root.findall(f"{SVG_NS}polyline")
    assert len(polylines) == 1  # 2022–2023 joined; 2020 alone, gap at 2021
    circles = root.findall(f"{SVG_NS}circle")
    # 3 actual values + the isolated projected point + the legend marker of 实际值
    assert len(circles) == 5
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert "指标 & <测试>" in texts and "预测<值>" in texts and "单位：亿元" in texts
    assert {"2020", "2024"} <= set(texts)
    assert "&lt;测试&gt;" in svg
    assert circles[-1].get("fill") == "#1f4e79"  # the actual's dot sits above the projection's


def test_svg_value_ticks_and_empty_chart():
    svg = line_chart([2020, 2025], [Series("目标路径", [757.0, 1000.0])], title="零售")
    ticks = [t.text for t in _parse(svg).iter(f"{SVG_NS}text")
             if t.get("text-anchor") == "end"]
    assert ticks == ["750", "800", "850", "900", "950", "1000"]
    empty = _parse(line_chart([2020, 2021], [Series("实际值", [None, None])], title="空"))
    assert "暂无数据" in [t.text for t in empty.iter(f"{SVG_NS}text")]
    assert not empty.findall(f"{SVG_NS}polyline")


@pytest.mark.parametrize("lo,hi", [(757, 1000), (0.52, 0.8), (1.4, 1.5), (5, 5), (-3, 2),
                                   (0.0573, 0.0573), (0, 1e6), (-0.01, 0.0)])
def test_nice_ticks(lo, hi):
    ticks = nice_ticks(lo, hi)
    assert 4 <= len(ticks) <= 6
    assert ticks[0] <= lo and ticks[-1] >= hi
    steps = {round(b - a, 12) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1


def test_svg_rejects_bad_input():
    with pytest.raises(ValueError, match="3 values for 2 years"):
        line_chart([2020, 2021], [Series("a", [1.0, 2.0, 3.0])], title="t")
    with pytest.raises(ValueError, match="dash"):
        Series("a", [1.0], dash="wavy")
    with pytest.raises(ValueError, match="increasing"):
        line_chart([2021, 2020], [Series("a", [1.0, 2.0])], title="t")
    svg = line_chart([2020], [Series("a", [1.0])], title="t")
    assert re.findall(r"https?://[^\"']*", svg) == ["http://www.w3.org/2000/svg"]
