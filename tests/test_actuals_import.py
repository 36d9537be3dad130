"""Importing actuals: good CSV/XLSX files load, any bad row rejects the whole file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from commerce_brain.catalog import OBSERVATION_SCHEMA, load_catalog
from commerce_brain.io.actuals_import import MAX_PROBLEMS, ImportRejected, Problem, read_actuals

PLAN = "qz_commerce_14th"
TITLE = "衢州市商务高质量发展“十四五”规划"
HEADER = ["plan", "indicator", "org_unit", "period", "value", "real_growth_pct"]
GOOD = [PLAN, "retail_sales", "330800", "2023", 1000, 7.2]

ORG_UNITS = """code,name_zh,name_en,parent,kind
330000,浙江省,Zhejiang Province,,province
330800,衢州市,Quzhou City,330000,city
330802,柯城区,Kecheng District,330800,district
330803,衢江区,Qujiang District,330800,district
"""


def _indicator(id_: str, name: str, base_year: int, target_year: int) -> str:
    return f"""
  - id: {id_}
    name_zh: {name}
    name_en: {id_}
    category: 商贸流通
    unit: 亿元
    base_year: {base_year}
    base_value: 100
    target_year: {target_year}
    target_value: 200
    stated_growth: "6"
    growth_kind: annual_growth
    attribute: expected
    direction: higher
    citation: {{source: test.txt, section: 表1, quote: "{name}"}}"""


def _plan(id_: str, title: str, org_unit: str, indicators: str) -> str:
    return f"""id: {id_}
title: {title}
title_en: test plan
issuer: test
doc_number: null
period: [2021, 2025]
base_year: 2020
org_unit: "{org_unit}"
source: test.txt
indicators:{indicators}
"""


@pytest.fixture
def catalog(tmp_path):
    """A small catalog of our own, so these tests do not depend on the packaged plans."""
    root = tmp_path / "catalog"
    (root / "plans").mkdir(parents=True)
    (root / "org_units.csv").write_text(ORG_UNITS, encoding="utf-8")
    (root / "plans" / f"{PLAN}.yaml").write_text(_plan(PLAN, TITLE, "330800", (
        _indicator("retail_sales", "社会消费品零售总额", 2020, 2025)
        + _indicator("foreign_capital", "实际利用外资", 2021, 2025))), encoding="utf-8")
    # A second plan, so that "未知指标" means unknown *for the row's plan*.
    (root / "plans" / "other_plan.yaml").write_text(_plan(
        "other_plan", "另一个规划", "330000",
        _indicator("services_trade", "服务贸易进出口额", 2020, 2025)), encoding="utf-8")
    return load_catalog(root)


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def rejected(path: Path, catalog) -> list[Problem]:
    with pytest.raises(ImportRejected) as info:
        read_actuals(path, catalog)
    assert info.value.path == path
    return info.value.problems


# ---- good files ---------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_good_csv_with_chinese_headers_and_names(tmp_path, catalog, encoding):
    path = write_csv(tmp_path / "actuals.csv", [
        ["规划", "指标", "行政区划", "时期", "数值", "可比价增速（%）", "来源"],
        [TITLE, "社会消费品零售总额", "衢州市", "2023-6", "1,234.5", "7.2", ""],
        [],
        [PLAN, "retail_sales", "330802", "2022", "456", "", "衢州统计年鉴2023"],
        [PLAN, "实际利用外资", "衢江区", "2023年12月", "3.5", "-1.5%", ""],  # a level is never negative; a growth may be
    ], encoding)
    if encoding == "gb18030":  # the fallback must really be needed for this file
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")

    frame = read_actuals(path, catalog)

    assert frame.schema == OBSERVATION_SCHEMA
    assert frame.drop("real_growth").rows(named=True) == [
        {"plan": PLAN, "indicator": "retail_sales", "org_unit": "330800", "period": "2023-06",
         "year": 2023, "month": 6, "value": 1234.5, "is_period_total": False,
         "source": "actuals.csv"},
        {"plan": PLAN, "indicator": "retail_sales", "org_unit": "330802", "period": "2022",
         "year": 2022, "month": None, "value": 456.0, "is_period_total": False,
         "source": "衢州统计年鉴2023"},
        {"plan": PLAN, "indicator": "foreign_capital", "org_unit": "330803",
         "period": "2023-12", "year": 2023, "month": 12, "value": 3.5,
         "is_period_total": False, "source": "actuals.csv"},
    ]
    growth = frame["real_growth"].to_list()
    assert growth[0] == pytest.approx(0.072)
    assert growth[1] is None
    assert growth[2] == pytest.approx(-0.015)


def test_good_xlsx_reads_every_data_sheet_and_ignores_others(tmp_path, catalog):
    book = Workbook()
    book.remove(book.active)
    notes = book.create_sheet("说明")
    notes.append(["本表为衢州市统计局月报数据"])
    first = book.create_sheet("2023年")
    first.append(HEADER)
    first.append([PLAN, "retail_sales", 330802, dt.date(2023, 6, 1), 512.25, 7.2])
    first.append([PLAN, "retail_sales", 330802, dt.datetime(2023, 3, 31, 12, 0), 250, None])
    first.append([None] * 6)  # a blank row between blocks
    first.append([PLAN, "foreign_capital", "330800", 2023, 12, None])
    first.append([PLAN, "retail_sales", "330800", 2022.0, 900, 0.065])
    first["F6"].number_format = "0.0%"  # shows 6.5%, so it means 6.5 percent
    second = book.create_sheet("区县")
    second.append(["规划", "指标", "地区", "期间", "值", "可比价增速(%)", "来源"])
    second.append([TITLE, "社会消费品零售总额", "衢江区", "2024-1", "1,234.5", "8", "月报"])
    book.save(tmp_path / "actuals.xlsx")

    frame = read_actuals(tmp_path / "actuals.xlsx", catalog)

    assert frame.schema == OBSERVATION_SCHEMA
    assert frame.select("indicator", "org_unit", "period", "year", "month", "value",
                        "source").rows() == [
        ("retail_sales", "330802", "2023-06", 2023, 6, 512.25, "actuals.xlsx"),
        ("retail_sales", "330802", "2023-03", 2023, 3, 250.0, "actuals.xlsx"),
        ("foreign_capital", "330800", "2023", 2023, None, 12.0, "actuals.xlsx"),
        ("retail_sales", "330800", "2022", 2022, None, 900.0, "actuals.xlsx"),
        ("retail_sales", "330803", "2024-01", 2024, 1, 1234.5, "月报"),
    ]
    assert frame["plan"].unique().to_list() == [PLAN]
    growth = frame["real_growth"].to_list()
    assert growth[0] == pytest.approx(0.072)
    assert growth[1] is None and growth[2] is None
    assert growth[3] == pytest.approx(0.065)
    assert growth[4] == pytest.approx(0.08)
    assert not frame["is_period_total"].any()


# ---- bad rows: the file is refused whole --------------------------------------------------

BAD_ROWS = {
    "未知规划": ([f"{PLAN}x", "retail_sales", "330800", "2024", 1], "plan (A)",
                     ["未知规划"]),
    "indicator of another plan": ([PLAN, "services_trade", "330800", "2024", 1], "indicator (B)",
                                  ["未知指标", "未知指标", "services_trade", PLAN]),
    "未知指标 name": ([PLAN, "社零", "330800", "2024", 1], "indicator (B)",
                               ["未知指标", "社零"]),
    "unknown org unit": ([PLAN, "retail_sales", "柯桥区", "2024", 1], "org_unit (C)",
                         ["未知地区", "柯桥区"]),
    "数值为空": ([PLAN, "retail_sales", "330800", "2024", None], "value (E)", ["数值为空"]),
    "数值不是数字": ([PLAN, "retail_sales", "330800", "2024", "约1000"], "value (E)",
                          ["数值不是数字", "约1000"]),
    "NaN value": ([PLAN, "retail_sales", "330800", "2024", "nan"], "value (E)",
                  ["数值不是数字"]),
    "bad thousands separator": ([PLAN, "retail_sales", "330800", "2024", "1,23"], "value (E)",
                                ["数值不是数字"]),
    "non-numeric real growth": ([PLAN, "retail_sales", "330800", "2024", 1, "高"],
                                "real_growth_pct (F)", ["可比价增速不是数字"]),
    "期间格式错误": ([PLAN, "retail_sales", "330800", "2023Q2", 1], "period (D)",
                         ["期间格式错误", "2023Q2"]),
    "month 13": ([PLAN, "retail_sales", "330800", "2023-13", 1], "period (D)",
                 ["期间格式错误"]),
    "before the indicator's base year": ([PLAN, "foreign_capital", "330800", "2020-12", 1],
                                         "period (D)", ["期间超出范围", "2021"]),
    "after the target year": ([PLAN, "retail_sales", "330800", 2026, 1], "period (D)",
                              ["期间超出范围", "2025"]),
    # Same key as the good row 2, spelt with the title and Chinese names.
    "重复行": ([TITLE, "社会消费品零售总额", "衢州市", "2023", 2], "period (D)",
                      ["重复行", "第 2 行"]),
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_a_bad_row_rejects_the_whole_file(tmp_path, catalog, kind):
    bad, column, words = BAD_ROWS[kind]
    path = write_xlsx(tmp_path / "actuals.xlsx", {"数据": [HEADER, GOOD, bad]})

    problems = rejected(path, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("数据", 3, column)]
    for word in words:
        assert word in problems[0].reason


def test_every_problem_is_reported_in_file_order(tmp_path, catalog):
    path = write_csv(tmp_path / "actuals.csv", [
        HEADER,
        [PLAN, "社零", "330800", "2023", "abc", ""],
        [PLAN, "retail_sales", "330800", "2023", "1", ""],
        ["", "retail_sales", "330800", "2023", "1", ""],
    ])

    problems = rejected(path, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("actuals.csv", 2, "indicator"), ("actuals.csv", 2, "value"), ("actuals.csv", 4, "plan"),
    ]
    assert "规划为空" in problems[2].reason


def test_duplicate_across_sheets_names_the_first_sheet(tmp_path, catalog):
    path = write_xlsx(tmp_path / "actuals.xlsx", {"一月": [HEADER, GOOD], "二月": [HEADER, GOOD]})

    problems = rejected(path, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("二月", 2, "period (D)")]
    assert "重复行" in problems[0].reason and "已在工作表“一月”第 2 行" in problems[0].reason


def test_a_name_shared_by_two_org_units_is_ambiguous(tmp_path, catalog):
    root = tmp_path / "catalog"
    with (root / "org_units.csv").open("a", encoding="utf-8") as fh:
        fh.write("Z33080001,开发区,Zone A,330800,zone\nZ33080002,开发区,Zone B,330800,zone\n")
    path = write_xlsx(tmp_path / "actuals.xlsx", {"数据": [
        HEADER, GOOD, [PLAN, "retail_sales", "开发区", "2023", 1], [PLAN, "retail_sales",
                                                                    "Z33080002", "2023", 1]]})

    problems = rejected(path, load_catalog(root))

    assert [(p.row, p.column) for p in problems] == [(3, "org_unit (C)")]
    assert "地区名称不唯一" in problems[0].reason


# ---- bad files ----------------------------------------------------------------------------

def test_missing_required_column_is_a_file_level_problem(tmp_path, catalog):
    path = write_csv(tmp_path / "actuals.csv", [HEADER[:4] + ["备注"], GOOD[:4] + ["x"]])

    problems = rejected(path, catalog)

    assert len(problems) == 1
    assert (problems[0].sheet, problems[0].column) == ("actuals.csv", "")
    assert "缺少列" in problems[0].reason and "value" in problems[0].reason


def test_sheet_with_some_columns_is_a_problem_sheet_with_none_is_ignored(tmp_path, catalog):
    path = write_xlsx(tmp_path / "actuals.xlsx", {
        "数据": [HEADER, GOOD],
        "汇总": [["plan", "indicator", "合计"], [PLAN, "retail_sales", 5]],
        "说明": [["备注"], ["数据来源：衢州市统计局"]],
    })

    problems = rejected(path, catalog)

    assert sorted({p.sheet for p in problems}) == ["汇总"]
    assert {p.reason.split("：")[1].split("（")[0] for p in problems} == {"地区", "期间", "数值"}
    assert all("缺少列" in p.reason and p.column == "" for p in problems)


@pytest.mark.parametrize(("rows", "word"), [([], "空文件"), ([HEADER], "无数据行"),
                                            ([HEADER, [], []], "无数据行")])
def test_empty_file_or_no_data_rows(tmp_path, catalog, rows, word):
    path = write_csv(tmp_path / "actuals.csv", rows)

    problems = rejected(path, catalog)

    assert len(problems) == 1 and word in problems[0].reason
    assert (problems[0].sheet, problems[0].column) == ("actuals.csv", "")


def test_problem_list_is_capped(tmp_path, catalog):
    rows = [HEADER] + [[PLAN, "retail_sales", f"x{n}", "2023", "1", ""] for n in range(600)]
    path = write_csv(tmp_path / "actuals.csv", rows)

    problems = rejected(path, catalog)

    assert len(problems) == MAX_PROBLEMS
    assert problems[-2].row == MAX_PROBLEMS  # row 2 … row 500: the first 499 bad rows
    assert "另有 101 个" in problems[-1].reason


def test_rejection_renders_a_readable_report(tmp_path, catalog):
    bad = BAD_ROWS["未知规划"][0]
    path = write_xlsx(tmp_path / "actuals.xlsx", {"数据": [HEADER, GOOD, bad]})

    with pytest.raises(ImportRejected) as info:
        read_actuals(path, catalog)

    lines = str(info.value).splitlines()
    assert "actuals.xlsx" in lines[0] and "（1 个问题）" in lines[0]
    assert lines[1].strip().startswith("数据 第3行, plan (A): 未知规划")


def test_a_field_given_twice_is_a_problem(tmp_path, catalog):
    path = write_xlsx(tmp_path / "actuals.xlsx", {"数据": [HEADER + ["数值"], GOOD + [1]]})

    problems = rejected(path, catalog)

    assert [(p.row, p.column) for p in problems] == [(1, "数值 (G)")]
    assert "重复列" in problems[0].reason and "value (E)" in problems[0].reason


def test_unsupported_file_type(tmp_path, catalog):
    path = tmp_path / "actuals.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook")

    problems = rejected(path, catalog)

    assert "不支持的文件类型" in problems[0].reason
