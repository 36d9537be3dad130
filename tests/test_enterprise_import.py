"""Importing the policy engine's input: typed frames from good files, every problem from bad."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from commerce_brain.io.enterprise_import import (
    ENTERPRISE_COLUMNS,
    ENTERPRISE_SCHEMA,
    EVENT_COLUMNS,
    EVENT_SCHEMA,
    FACT_COLUMNS,
    FACT_SCHEMA,
    ImportRejected,
    Problem,
    read_policy_data,
    write_policy_template,
)
from commerce_brain.uscc import make_uscc

U1 = make_uscc("91330802MA2G00011")
U2 = make_uscc("91330800MA2G00022")
U3 = make_uscc("91330803MA2G00033")  # an enterprise with no facts or events
STRANGER = make_uscc("91330881MA2G00044")  # valid, but not in the enterprises sheet
COLUMNS = {"enterprises": ENTERPRISE_COLUMNS, "facts": FACT_COLUMNS, "events": EVENT_COLUMNS}

ENTERPRISES = [
    [U1, "衢州甲智能装备有限公司", "330802", "通用设备制造业", "是", "是", "否", "否"],
    [U3, "衢州丙贸易有限公司", "衢江区", None, None, None, None, None],
    [U2, "衢州乙商贸有限公司", 330800, "批发业", 0, "N", "no", "false"],
]
FACTS = [
    [U1, 2023, "1,234,567.89", "50000"],
    [U2, 2023, 1234.56, None],
]
EVENTS = [
    [U1, "2024-03-15", "invention_patent_granted", "national", None, 3, "一种节能电机",
     None, None, None, None, None, None],
    [U2, dt.date(2024, 6, 30), "green_loan", None, "10,000,000", None, None,
     "dark_green", "75%", "4.35%", 365, "120000.50", "0"],
]
GOOD = {"enterprises": ENTERPRISES, "facts": FACTS, "events": EVENTS}


def write_xlsx(path: Path, sheets: dict[str, list[list]], headers: bool = True) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        if headers:
            sheet.append(list(COLUMNS[name]))
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def replaced(sheet: str, row: int, field: str, value) -> dict[str, list[list]]:
    """The good sheets with one cell changed; ``row`` is the spreadsheet row (header is 1)."""
    sheets = {name: [list(r) for r in rows] for name, rows in GOOD.items()}
    sheets[sheet][row - 2][COLUMNS[sheet].index(field)] = value
    return sheets


def label(sheet: str, field: str) -> str:
    return f"{field} ({get_column_letter(COLUMNS[sheet].index(field) + 1)})"


def rejected(source: Path, catalog, **allowed) -> list[Problem]:
    with pytest.raises(ImportRejected) as info:
        read_policy_data(source, catalog, **allowed)
    assert info.value.path == source
    return info.value.problems


# ---- good files ---------------------------------------------------------------------------

def test_good_workbook_gives_the_engine_contract(tmp_path, catalog):
    data = read_policy_data(write_xlsx(tmp_path / "p.xlsx", GOOD), catalog)

    assert data.enterprises.schema == ENTERPRISE_SCHEMA
    assert data.facts.schema == FACT_SCHEMA
    assert data.events.schema == EVENT_SCHEMA
    assert data.enterprises.rows() == [
        (U1, "衢州甲智能装备有限公司", "330802", "通用设备制造业", True, True, False, False),
        (U3, "衢州丙贸易有限公司", "330803", None, False, False, False, False),
        (U2, "衢州乙商贸有限公司", "330800", "批发业", False, False, False, False),
    ]
    two = data.facts.select("uscc", "year", "main_revenue", "rd_spend")
    assert two.rows() == [(U1, 2023, 123456789, 5000000), (U2, 2023, 123456, None)]
    # The registry's other facts are columns of the sheet too, here left empty.
    assert data.facts.drop(two.columns).null_count().row(0) == (2,) * (data.facts.width - 4)
    assert data.events.rows(named=True) == [
        {"uscc": U1, "date": dt.date(2024, 3, 15), "year": 2024, "kind": "invention_patent_granted",
         "level": "national", "amount": None, "count": 3, "subject": "一种节能电机",
         "rating": None, "local_share": None, "benchmark_rate": None, "days": None,
         "assessed_award": None, "already_paid": None},
        {"uscc": U2, "date": dt.date(2024, 6, 30), "year": 2024, "kind": "green_loan",
         "level": None, "amount": 1_000_000_000, "count": None, "subject": None,
         "rating": "dark_green", "local_share": 750_000, "benchmark_rate": 43_500, "days": 365,
         "assessed_award": 12_000_050, "already_paid": 0},
    ]


def test_csv_directory_in_gb18030_with_chinese_headers(tmp_path, catalog):
    folder = tmp_path / "data"
    write_csv(folder / "enterprises.csv", [
        ["统一社会信用代码", "企业名称", "行政区划", "行业", "是否制造业", "是否工业", "是否上市",
         "是否省部属", "备注"],
        [U1.lower(), "衢州甲智能装备有限公司", "柯城区", "", "是", "Y", "YES", "否", "随便"],
    ], "gb18030")
    write_csv(folder / "facts.csv", [
        ["统一社会信用代码", "年度", "主营业务收入（元）", "研发投入"],
        [U1, "2023年", "1,234,567.8", "0.1"],
    ], "gb18030")
    write_csv(folder / "events.csv", [
        ["统一社会信用代码", "日期", "事件类型", "级别", "金额", "本地投资比例", "基准利率", "天数"],
        [U1, "2023/5/1", "first_of_kind_equipment", "省级", "1000.05", "0.75", "0.0435", "1,200"],
        [U1, "2023年12月31日", "first_of_kind_equipment", "", "", "", "", ""],
        [U1, "2024-01-02 00:00:00", "first_of_kind_equipment", "", "", "", "", ""],
    ], "gb18030")
    with pytest.raises(UnicodeDecodeError):  # the GB18030 fallback is really needed
        (folder / "events.csv").read_bytes().decode("utf-8")

    data = read_policy_data(folder, catalog)

    assert data.enterprises.rows() == [
        (U1, "衢州甲智能装备有限公司", "330802", None, True, True, True, False)]
    assert data.facts.rows() == [(U1, 2023, 123456780, 10)]
    assert data.events.select("date", "level", "amount", "local_share", "benchmark_rate",
                              "days").rows() == [
        (dt.date(2023, 5, 1), "provincial", 100005, 750000, 43500, 1200),  # 省级: the code
        (dt.date(2023, 12, 31), None, None, None, None, None),
        (dt.date(2024, 1, 2), None, None, None, None, None),
    ]


def test_facts_and_events_may_be_absent(tmp_path, catalog):
    data = read_policy_data(write_xlsx(tmp_path / "p.xlsx",
                                       {"enterprises": ENTERPRISES}), catalog)

    assert data.enterprises.height == 3
    assert (data.facts.height, data.events.height) == (0, 0)
    # Without a facts sheet no long fact is given (stored ones stay); the column facts are there.
    assert dict(data.facts.schema) == {c: FACT_SCHEMA[c] for c in ("uscc", "year", "main_revenue", "rd_spend")}
    assert data.events.schema == EVENT_SCHEMA


def test_only_enterprises_csv_in_a_directory(tmp_path, catalog):
    folder = tmp_path / "data"
    write_csv(folder / "enterprises.csv", [list(ENTERPRISE_COLUMNS), ENTERPRISES[0]])
    write_csv(folder / "readme.csv", [["not", "ours"]])

    data = read_policy_data(folder, catalog)

    assert data.enterprises["uscc"].to_list() == [U1]
    assert data.events.schema == EVENT_SCHEMA and data.events.height == 0


# ---- exact money and ratios -----------------------------------------------------------------

@pytest.mark.parametrize(("cell", "fen"), [
    ("0.1", 10),
    ("1,000.05", 100005),
    ("1234567.89", 123456789),
    ("1,234,567.8", 123456780),
    ("12.300", 1230),  # zeros past the fen change nothing
    ("5元", 500),
    ("0", 0),
    ("-0.00", 0),
    (1234.56, 123456),  # a float cell, read through repr, never multiplied as a float
    (0.29, 29),  # 0.29 * 100 is 28.999999999999996 in floats
    (7, 700),
    (123456789012.34, 12345678901234),
])
def test_money_is_parsed_exactly(tmp_path, catalog, cell, fen):
    path = write_xlsx(tmp_path / "p.xlsx", replaced("facts", 2, "rd_spend", cell))

    assert read_policy_data(path, catalog).facts["rd_spend"][0] == fen


@pytest.mark.parametrize(("cell", "words"), [
    ("1.005", ["金额最多两位小数", "1.005"]),
    (1234.5678, ["金额最多两位小数", "1234.5678"]),  # a number cell, checked through repr
    ("1,23", ["格式错误"]),
    ("12,3456.00", ["格式错误"]),
    ("约100", ["格式错误"]),
    ("1.5万", ["格式错误"]),  # 万元 is not yuan
    ("-", ["格式错误"]),
    ("-5", ["不能为负"]),
])
def test_money_that_is_not_exact_yuan_is_refused(tmp_path, catalog, cell, words):
    path = write_xlsx(tmp_path / "p.xlsx", replaced("facts", 3, "main_revenue", cell))

    problems = rejected(path, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("facts", 3, "main_revenue (C)")]
    for word in words:
        assert word in problems[0].reason


@pytest.mark.parametrize(("cell", "ppm"), [
    ("0.75", 750_000),
    ("75%", 750_000),
    ("75 ％", 750_000),
    ("1", 1_000_000),
    ("0", 0),
    (".5", 500_000),
    (0.75, 750_000),
    (1 / 3, 333_333),  # a formula: rounded to the millionth
    (2 / 3, 666_667),
    ("12.34565%", 123_457),  # a percent keeps four decimals; the fifth rounds
])
def test_local_share_in_millionths(tmp_path, catalog, cell, ppm):
    path = write_xlsx(tmp_path / "p.xlsx", replaced("events", 3, "local_share", cell))

    assert read_policy_data(path, catalog).events["local_share"][1] == ppm


@pytest.mark.parametrize(("cell", "ppm"), [("4.35%", 43_500), ("0.0435", 43_500),
                                           ("3.1%", 31_000), ("0.000001", 1)])
def test_benchmark_rate_in_millionths(tmp_path, catalog, cell, ppm):
    path = write_xlsx(tmp_path / "p.xlsx", replaced("events", 3, "benchmark_rate", cell))

    assert read_policy_data(path, catalog).events["benchmark_rate"][1] == ppm


def test_percent_formatted_cells_mean_what_they_show(tmp_path, catalog):
    path = write_xlsx(tmp_path / "p.xlsx", replaced("events", 3, "local_share", 0.75))
    book = load_workbook(path)
    book["events"]["I3"].number_format = "0%"  # shows 75%
    book["events"]["J3"] = 0.0435
    book["events"]["J3"].number_format = "0.00%"  # shows 4.35%
    book.save(path)

    events = read_policy_data(path, catalog).events

    assert events.select("local_share", "benchmark_rate").row(1) == (750_000, 43_500)


@pytest.mark.parametrize("cell", ["2024-06-30", "2024/6/30", "2024年6月30日", "2024.6.30",
                                  dt.date(2024, 6, 30), dt.datetime(2024, 6, 30, 15, 30)])
def test_date_spellings(tmp_path, catalog, cell):
    path = write_xlsx(tmp_path / "p.xlsx", replaced("events", 3, "date", cell))

    events = read_policy_data(path, catalog).events

    assert events.select("date", "year").row(1) == (dt.date(2024, 6, 30), 2024)


@pytest.mark.parametrize(("cell", "flag"), [
    ("是", True), ("否", False), (1, True), (0, False), ("TRUE", True), ("false", False),
    ("Y", True), ("n", False), ("Yes", True), ("NO", False), (None, False), (True, True),
])
def test_flag_spellings(tmp_path, catalog, cell, flag):
    path = write_xlsx(tmp_path / "p.xlsx", replaced("enterprises", 3, "is_listed", cell))

    assert read_policy_data(path, catalog).enterprises["is_listed"][1] is flag


# ---- one bad cell rejects the whole file ----------------------------------------------------

BAD_CELLS = {
    # enterprises: row 3 is U3, which no fact or event refers to
    "统一社会信用代码为空": ("enterprises", "uscc", None, ["统一社会信用代码为空", "统一社会信用代码为空"]),
    "企业名称为空": ("enterprises", "name", None, ["企业名称为空", "企业名称为空"]),
    "empty org unit": ("enterprises", "org_unit", None, ["地区为空"]),
    "校验位错误": ("enterprises", "uscc", U3[:-1] + ("0" if U3[-1] != "0" else "1"),
                              ["统一社会信用代码无效", f"第 18 位应为 {U3[-1]}"]),
    "short uscc": ("enterprises", "uscc", U3[:-1], ["统一社会信用代码无效", "长度错误"]),
    "letter O in uscc": ("enterprises", "uscc", U3[:8] + "O" + U3[9:],
                         ["统一社会信用代码无效", "第 9 位", "“O”"]),
    "unknown org unit": ("enterprises", "org_unit", "衢州新区",
                         ["未知地区", "衢州新区"]),
    "org unit 不在衢州市范围": ("enterprises", "org_unit", "330602",
                                ["不在衢州市范围：本平台的政策只适用于衢州市",
                                 "越城区"]),
    "province is not Quzhou": ("enterprises", "org_unit", "浙江省",
                               ["不在衢州市范围", "浙江省"]),
    "bad boolean": ("enterprises", "is_provincial_or_central_owned", "maybe",
                    ["是否省部属取值错误", "取值错误", "maybe"]),
    # facts: row 3 is U2 2023
    "empty fact uscc": ("facts", "uscc", None, ["统一社会信用代码为空"]),
    "年度为空": ("facts", "year", None, ["年度为空", "年度为空"]),
    "empty main revenue": ("facts", "main_revenue", None, ["为空"]),
    "year before 2000": ("facts", "year", 1999, ["年份超出范围", "1999"]),
    "year after 2100": ("facts", "year", "2101", ["年份超出范围", "2101"]),
    "year in words": ("facts", "year", "二〇二三", ["不是整数"]),
    "fact of an 未登记企业": ("facts", "uscc", STRANGER,
                                      ["未登记企业", STRANGER, "不在“enterprises”中"]),
    "fact with an 统一社会信用代码无效": ("facts", "uscc", STRANGER[:-1] + "I",
                                  ["统一社会信用代码无效", "第 18 位"]),
    "negative rd spend": ("facts", "rd_spend", "-0.01", ["研发投入不能为负", "不能为负"]),
    # events: row 3 is U2's green loan
    "empty event uscc": ("events", "uscc", None, ["统一社会信用代码为空"]),
    "日期为空": ("events", "date", None, ["日期为空", "日期为空"]),
    "事件类型为空": ("events", "kind", None, ["事件类型为空", "事件类型为空"]),
    "no 30 February": ("events", "date", "2023-02-30", ["格式错误", "2023-02-30"]),
    "date as words": ("events", "date", "去年", ["格式错误"]),
    "date before 2000": ("events", "date", "1999/12/31", ["年份超出范围", "1999"]),
    "event of an 未登记企业": ("events", "uscc", STRANGER, ["未登记企业"]),
    "不能为负": ("events", "amount", "-1", ["金额不能为负", "不能为负"]),
    "negative 已标记为已兑付": ("events", "already_paid", "-100", ["不能为负"]),
    "assessed award in thousandths": ("events", "assessed_award", "1.001",
                                      ["金额最多两位小数"]),
    "local share above 1": ("events", "local_share", "1.5", ["超出范围"]),
    "local share above 100%": ("events", "local_share", "150%", ["应在 0 到 1 之间"]),
    "local share as a bare percent": ("events", "local_share", "75", ["应在 0 到 1 之间"]),
    "negative local share": ("events", "local_share", "-0.1", ["应在 0 到 1 之间"]),
    "local share in words": ("events", "local_share", "七成", ["格式错误"]),
    "benchmark rate without %": ("events", "benchmark_rate", "4.35",
                                 ["超出范围", "4.35%"]),
    "count not whole": ("events", "count", "2.5", ["数量不是整数", "不是整数"]),
    "不能为负": ("events", "days", "-3", ["天数不能为负", "不能为负"]),
}


@pytest.mark.parametrize("kind", list(BAD_CELLS))
def test_a_bad_cell_rejects_the_whole_file(tmp_path, catalog, kind):
    sheet, field, value, words = BAD_CELLS[kind]
    path = write_xlsx(tmp_path / "p.xlsx", replaced(sheet, 3, field, value))

    problems = rejected(path, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [(sheet, 3, label(sheet, field))]
    for word in words:
        assert word in problems[0].reason


@pytest.mark.parametrize(("field", "value", "allowed"), [
    ("kind", "patent", {"event_kinds": ["invention_patent_granted", "green_loan"]}),
    ("level", "county", {"levels": ["national", "provincial"]}),
    ("rating", "light_green", {"ratings": ["dark_green", "medium_green"]}),
])
def test_unknown_kind_level_rating_when_the_values_are_given(tmp_path, catalog, field, value,
                                                             allowed):
    good = write_xlsx(tmp_path / "good.xlsx", GOOD)
    read_policy_data(good, catalog, **allowed)  # the good values are allowed
    path = write_xlsx(tmp_path / "p.xlsx", replaced("events", 3, field, value))

    problems = rejected(path, catalog, **allowed)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("events", 3, label("events",
                                                                                    field))]
    assert f"“{value}”" in problems[0].reason and "未知的" in problems[0].reason
    assert problems[0].reason.isascii() is False


# The attacks of issue 8: a level and a rating no rule knows were paid (galactic, as 其他) or
# vanished (ultraviolet). Without any list given, the policy catalog's vocabulary applies.
@pytest.mark.parametrize(("kind", "field", "value", "words"), [
    ("national_high_tech_enterprise", "level", "galactic", ["未知的级别“galactic”", "国家级", "省级"]),
    ("green_loan", "rating", "ultraviolet", ["未知的评级“ultraviolet”", "深绿", "浅绿"]),
    ("national_high_tech_enterprise", "kind", "national_high_tech_enterprize", ["未知的事件类型"]),
])
def test_out_of_vocabulary_values_reject_the_file_by_default(tmp_path, catalog, kind, field, value,
                                                           words):
    sheets = replaced("events", 3, "kind", kind)
    sheets["events"][1][EVENT_COLUMNS.index(field)] = value
    path = write_xlsx(tmp_path / "p.xlsx", sheets)

    problems = rejected(path, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("events", 3, label("events", field))]
    for word in words:
        assert word in problems[0].reason


def test_levels_and_ratings_may_be_written_in_chinese(tmp_path, catalog):
    sheets = replaced("events", 3, "rating", "深绿")
    sheets["events"][0][EVENT_COLUMNS.index("level")] = "国家级"

    events = read_policy_data(write_xlsx(tmp_path / "p.xlsx", sheets), catalog).events

    assert events.select("level", "rating").rows() == [("national", None), (None, "dark_green")]


def test_a_long_list_of_allowed_values_is_shortened(tmp_path, catalog):
    kinds = [f"kind_{n:02d}" for n in range(30)] + ["invention_patent_granted"]
    path = write_xlsx(tmp_path / "p.xlsx", GOOD)

    problems = rejected(path, catalog, event_kinds=kinds)

    assert [p.row for p in problems] == [3]  # green_loan is not in the list
    assert "kind_00、kind_01" in problems[0].reason and "共 31 个" in problems[0].reason
    assert "kind_29" not in problems[0].reason


def test_duplicate_uscc_in_enterprises_names_the_first_row(tmp_path, catalog):
    sheets = {**GOOD, "enterprises": [*ENTERPRISES, [U1.lower(), "重名", "330802"]]}

    problems = rejected(write_xlsx(tmp_path / "p.xlsx", sheets), catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("enterprises", 5, "uscc (A)")]
    assert "重复企业" in problems[0].reason and "第 2 行" in problems[0].reason


def test_duplicate_year_in_facts_names_the_first_row(tmp_path, catalog):
    sheets = {**GOOD, "facts": [*FACTS, [U1, 2022, 1, None], [U1, "2023", 5, None]]}

    problems = rejected(write_xlsx(tmp_path / "p.xlsx", sheets), catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("facts", 5, "year (B)")]
    assert "重复年度数据" in problems[0].reason and "第 2 行" in problems[0].reason


def test_every_problem_in_sheet_then_row_then_column_order(tmp_path, catalog):
    sheets = replaced("events", 2, "kind", None)
    sheets["facts"][1][2] = "abc"  # facts row 3, main_revenue
    sheets["facts"][1][1] = 1990  # facts row 3, year
    sheets["enterprises"][1][7] = "?"  # enterprises row 3, last flag

    problems = rejected(write_xlsx(tmp_path / "p.xlsx", sheets), catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("enterprises", 3, "is_provincial_or_central_owned (H)"),
        ("facts", 3, "year (B)"),
        ("facts", 3, "main_revenue (C)"),
        ("events", 2, "kind (C)"),
    ]


def test_csv_problems_name_the_file_and_the_header_as_written(tmp_path, catalog):
    folder = tmp_path / "data"
    write_csv(folder / "enterprises.csv", [list(ENTERPRISE_COLUMNS), ENTERPRISES[0]])
    write_csv(folder / "facts.csv", [["统一社会信用代码", "年度", "主营业务收入"],
                                     [U1, "2023", "1.234"]], "gb18030")

    problems = rejected(folder, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("facts.csv", 2, "主营业务收入")]
    assert "金额最多两位小数" in problems[0].reason


# ---- bad files and headers ------------------------------------------------------------------

def test_missing_required_column(tmp_path, catalog):
    path = tmp_path / "p.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.title = "enterprises"
    sheet.append(["uscc", "name", "industry", *ENTERPRISE_COLUMNS[4:]])
    sheet.append([U1, "甲", "制造业", 1, 1, 0, 0])
    book.save(path)

    problems = rejected(path, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("enterprises", 1, "")]
    assert "缺少列：地区（可写作 地区/行政区划" in problems[0].reason


def test_a_flag_column_left_out_is_missing_not_false(tmp_path, catalog):
    without = [r[:-1] for r in ENTERPRISES]
    path = tmp_path / "p.xlsx"
    book = Workbook()
    book.active.title = "enterprises"
    book.active.append(list(ENTERPRISE_COLUMNS[:-1]))
    for row in without:
        book.active.append(row)
    book.save(path)

    problems = rejected(path, catalog)

    assert len(problems) == 1
    assert "缺少列：是否省部属（可写作 是否省部属）" in problems[0].reason


@pytest.mark.parametrize("layout", ["xlsx", "csv"])
def test_enterprises_are_required(tmp_path, catalog, layout):
    if layout == "xlsx":
        source = write_xlsx(tmp_path / "p.xlsx", {"facts": FACTS})
    else:
        source = tmp_path / "data"
        write_csv(source / "facts.csv", [list(FACT_COLUMNS), *FACTS])

    problems = rejected(source, catalog)

    # Only that: facts are not also reported as "未登记企业" one by one.
    assert len(problems) == 1 and problems[0].row == 0
    assert ("缺少工作表：必须有“企业”（enterprises）工作表" if layout == "xlsx"
            else "缺少文件：必须有 enterprises.csv（企业）") in problems[0].reason


def test_enterprises_with_only_a_header(tmp_path, catalog):
    problems = rejected(write_xlsx(tmp_path / "p.xlsx", {"enterprises": []}), catalog)

    assert [(p.sheet, p.row) for p in problems] == [("enterprises", 0)]
    assert "无数据行" in problems[0].reason


def test_a_money_header_in_wan_yuan_is_refused_not_misread(tmp_path, catalog):
    folder = tmp_path / "data"
    write_csv(folder / "enterprises.csv", [list(ENTERPRISE_COLUMNS), ENTERPRISES[0]])
    write_csv(folder / "facts.csv", [["uscc", "year", "主营业务收入(万元)"], [U1, 2023, "12.5"]])

    problems = rejected(folder, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("facts.csv", 1, ""), ("facts.csv", 1, "主营业务收入(万元)")]
    assert "缺少列：主营业务收入" in problems[0].reason
    assert "不支持的单位“万元”" in problems[1].reason


def test_a_field_given_twice(tmp_path, catalog):
    path = write_xlsx(tmp_path / "p.xlsx", {"enterprises": ENTERPRISES})
    book = load_workbook(path)
    book["enterprises"]["I1"] = "企业名称"
    book.save(path)

    problems = rejected(path, catalog)

    assert [(p.row, p.column) for p in problems] == [(1, "企业名称 (I)")]
    assert "重复列" in problems[0].reason and "name (B)" in problems[0].reason


@pytest.mark.parametrize(("name", "word"), [("p.xls", "不支持的文件类型"),
                                            ("absent.xlsx", "找不到文件")])
def test_unreadable_sources(tmp_path, catalog, name, word):
    path = tmp_path / name
    if name.endswith(".xls"):
        path.write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook")

    problems = rejected(path, catalog)

    assert len(problems) == 1 and word in problems[0].reason


# ---- template -------------------------------------------------------------------------------

def test_template_round_trips(tmp_path, catalog):
    path = write_policy_template(tmp_path / "template.xlsx", with_examples=True)

    data = read_policy_data(path, catalog, event_kinds=["invention_patent_granted", "green_loan"],
                            levels=["national"], ratings=["dark_green"])

    assert data.enterprises["org_unit"].to_list() == ["330802", "330800"]
    assert data.enterprises["is_manufacturing"].to_list() == [True, False]
    assert data.facts.height == 2 and data.facts["main_revenue"][0] == 15_234_567_890
    loan = data.events.row(1, named=True)
    assert (loan["local_share"], loan["benchmark_rate"], loan["amount"]) == (
        750_000, 43_500, 1_000_000_000)
    assert loan["assessed_award"] == 12_000_050


def test_template_explains_every_column(tmp_path):
    book = load_workbook(write_policy_template(tmp_path / "template.xlsx"))

    assert book.sheetnames == ["enterprises", "facts", "events", "说明"]
    rows = [r for r in book["说明"].iter_rows(values_only=True)]
    explained = {(r[0], r[1]): r[4] for r in rows if r[0] in COLUMNS}
    assert set(explained) == {(t, f) for t, fields in COLUMNS.items() for f in fields}
    assert "元" in explained[("facts", "main_revenue")]
    assert "75%" in explained[("events", "local_share")]
    assert "百分比" in explained[("events", "benchmark_rate")]
    assert all(explained.values())


def test_amount_beyond_ten_trillion_yuan_is_refused(tmp_path, catalog):
    folder = tmp_path / "big"
    folder.mkdir()
    write_csv(folder / "enterprises.csv", [list(ENTERPRISE_COLUMNS), [U1, "甲", "330800", "C", "是", "是", "否", "否"]])
    write_csv(folder / "facts.csv", [list(FACT_COLUMNS), [U1, "2023", "10000000000001", "0"]])
    with pytest.raises(ImportRejected) as exc:
        read_policy_data(folder, catalog)
    assert any(p.column.startswith("main_revenue") and "超出范围" in p.reason for p in exc.value.problems)


# ---- where a problem is: rows and column letters as Excel numbers them ----------------------

def test_a_sheet_starting_at_column_b_and_row_2_is_located_as_excel_shows_it(tmp_path, catalog):
    path = write_xlsx(tmp_path / "p.xlsx", replaced("facts", 3, "main_revenue", "1.005"))
    book = load_workbook(path)
    book["facts"].insert_cols(1)  # column A left blank: the table starts at B
    book["facts"].insert_rows(1)  # row 1 blank: the header moves to row 2
    book.save(path)

    problems = rejected(path, catalog)

    # The header must be row 1, so a blank row 1 means 缺少列s: named as such.
    assert [(p.sheet, p.row) for p in problems][0] == ("facts", 1)
    book = load_workbook(path)
    book["facts"].delete_rows(1)
    book.save(path)

    problems = rejected(path, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("facts", 3, "main_revenue (D)")]


def test_numbers_calamine_would_round_are_read_exactly(tmp_path, catalog):
    sheets = replaced("facts", 2, "main_revenue", 9999999999999.99)  # 1e13 − 0.01: the largest
    sheets["facts"][1][2] = 99999999999.99
    path = write_xlsx(tmp_path / "p.xlsx", sheets)
    book = load_workbook(path)
    book["events"]["I3"] = 1 / 3
    book["events"]["I3"].number_format = "0%"  # shows 33%, holds 0.333…
    book.save(path)

    data = read_policy_data(path, catalog)

    assert data.facts["main_revenue"].to_list() == [999999999999999, 9999999999999]
    assert data.events["local_share"][1] == 333_333


def test_csv_rows_count_blank_lines_as_the_file_has_them(tmp_path, catalog):
    folder = tmp_path / "data"
    write_csv(folder / "enterprises.csv", [list(ENTERPRISE_COLUMNS), ENTERPRISES[0]])
    (folder / "facts.csv").write_text(f"uscc,year,main_revenue\n\n{U1},2022,1\n\n{U1},2023,x\n",
                                      encoding="utf-8")

    problems = rejected(folder, catalog)

    assert [(p.sheet, p.row, p.column) for p in problems] == [("facts.csv", 5, "main_revenue")]
