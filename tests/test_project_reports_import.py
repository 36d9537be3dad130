"""Project reports from real XLSX and CSV files: the contract's columns, the 项目 sheet, and every
rejection named by sheet, row, column and reason (nothing accepted from a file with a problem)."""

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from commerce_brain.catalog import load_catalog
from commerce_brain.io.actuals_import import ImportRejected
from commerce_brain.io.project_reports_import import REPORT_FIELDS, check_report_texts, read_project_reports
from commerce_brain.io.project_reports_template import SAMPLE_REPORTS, write_project_reports_template
from commerce_brain.projects.catalog import load_project_catalog
from commerce_brain.settings import SheetLimits

CATALOG = load_catalog()
PROJECTS = load_project_catalog().projects
HEADER = ["project", "month", "annual_plan_yi", "completed_ytd_yi", "stage"]


def _xlsx(path: Path, rows, header=HEADER, projects=None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "进度"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if projects is not None:
        extra = book.create_sheet("项目")
        extra.append(["id", "name_zh", "start_year", "end_year", "total_investment_yi", "plan_period_investment_yi",
                      "responsible_unit", "org_unit"])
        for row in projects:
            extra.append(row)
    book.save(path)
    return path


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _problems(path: Path, stored=None) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        read_project_reports(path, CATALOG, PROJECTS, stored=stored)
    assert "导入被拒绝，未导入任何数据" in caught.value.report(imported=True)
    return [str(p) for p in caught.value.problems]


def test_the_contract_columns_read_exactly(tmp_path):
    path = _xlsx(tmp_path / "r.xlsx", [["zl13-01", "2023-10", 1, 0.972, "under_construction"],
                                      ["zl13-02", "2023年9月", "3", "2.2", "在建"]])
    got = read_project_reports(path, CATALOG, PROJECTS).reports
    assert got.select("project_id", "month", "annual_plan_wan", "completed_ytd_wan", "stage").rows() == [
        ("zl13-01", "2023-10", 10_000, 9_720, "under_construction"),
        ("zl13-02", "2023-09", 30_000, 22_000, "under_construction")]


def test_csv_with_chinese_headers_and_optional_columns(tmp_path):
    path = _csv(tmp_path / "r.csv", ["项目编号,月份,年度计划投资（亿元）,本年累计完成投资（亿元）,建设阶段,本月完成投资（亿元）,存在问题",
                                     "zl13-04,2023-10,2,0.8,under_construction,0.05,政策处理未完成"])
    row = read_project_reports(path, CATALOG, PROJECTS).reports.row(0, named=True)
    assert (row["completed_month_wan"], row["problems"]) == (500, "政策处理未完成")


@pytest.mark.parametrize(("row", "words"), [
    (["zl99-01", "2023-10", 1, 0.5, "under_construction"], "进度 第3行, project (A): 未知项目：zl99-01"),
    (["zl13-01", "2023-13", 1, 0.5, "under_construction"], "第3行, month (B): 月份“2023-13”无效"),
    (["zl13-01", "10/2023", 1, 0.5, "under_construction"], "month (B): 月份“10/2023”无效"),
    (["zl13-01", "2023-10", -1, 0.5, "under_construction"], "annual_plan_yi (C): 年度计划投资（亿元）“-1”不能为负数"),
    (["zl13-01", "2023-10", 1, "-0.5", "under_construction"], "completed_ytd_yi (D): 本年累计完成投资（亿元）“-0.5”不能为负数"),
    (["zl13-01", "2023-10", "1.00001", 0.5, "under_construction"], "精度超过 1 万元"),
    (["zl13-01", "2023-10", "一亿", 0.5, "under_construction"], "不是数字"),
    (["zl13-01", "2023-10", 1, 0.5, "started"], "stage (E): 建设阶段“started”无效"),
    (["zl13-01", "2023-10", 1, 3.5, "under_construction"], "超过年度计划投资 1 亿元的 3 倍，疑为单位有误"),
    (["zl13-01", "2023-10", None, 0.5, "under_construction"], "annual_plan_yi (C): 年度计划投资（亿元）为空"),
])
def test_each_bad_cell_rejects_the_file_naming_sheet_row_column_and_reason(tmp_path, row, words):
    problems = _problems(_xlsx(tmp_path / "r.xlsx", [["zl13-02", "2023-10", 3, 2.2, "under_construction"], row]))
    assert any(words in p for p in problems), problems
    assert all("第2行" not in p for p in problems)  # the good row is not blamed


def test_three_times_the_plan_is_the_limit(tmp_path):
    exactly = _xlsx(tmp_path / "ok.xlsx", [["zl13-01", "2023-10", 1, 3, "under_construction"]])
    assert read_project_reports(exactly, CATALOG, PROJECTS).reports["completed_ytd_wan"][0] == 30_000
    nothing_planned = _xlsx(tmp_path / "zero.xlsx", [["zl13-01", "2023-10", 0, 0.5, "under_construction"]])
    assert read_project_reports(nothing_planned, CATALOG, PROJECTS).reports.height == 1


def test_ytd_falling_within_a_year_is_refused_in_the_file_and_against_the_store(tmp_path):
    problems = _problems(_xlsx(tmp_path / "r.xlsx", [["zl13-01", "2023-09", 1, 0.8, "under_construction"],
                                                     ["zl13-01", "2023-10", 1, 0.7, "under_construction"],
                                                     ["zl13-01", "2024-01", 1, 0.1, "under_construction"]]))
    assert any("第3行, completed_ytd_yi (D): 本年累计完成 0.7 亿元小于 2023-09 的累计 0.8 亿元" in p for p in problems)
    assert not any("第4行" in p for p in problems)  # a new year starts again from zero
    stored = pl.DataFrame({"project_id": ["zl13-01", "zl13-01"], "month": ["2023-11", "2023-08"],
                           "completed_ytd_wan": [6_000, 1_000]})
    problems = _problems(_xlsx(tmp_path / "s.xlsx", [["zl13-01", "2023-10", 1, 0.9, "under_construction"]]), stored)
    assert any("本年累计完成 0.9 亿元大于 2023-11 的累计 0.6 亿元" in p for p in problems), problems
    # The stored month the file gives again is the file's: no clash with its old figure.
    stored = pl.DataFrame({"project_id": ["zl13-01"], "month": ["2023-10"], "completed_ytd_wan": [9_999]})
    path = _xlsx(tmp_path / "t.xlsx", [["zl13-01", "2023-10", 1, 0.9, "under_construction"]])
    assert read_project_reports(path, CATALOG, PROJECTS, stored=stored).reports.height == 1


def test_a_project_month_twice_and_month_above_ytd(tmp_path):
    path = _xlsx(tmp_path / "r.xlsx", [["zl13-01", "2023-10", 1, 0.5, "under_construction", 0.6],
                                       ["zl13-01", "2023-10", 1, 0.5, "under_construction", 0.1]],
                 header=[*HEADER, "completed_month_yi"])
    problems = _problems(path)
    assert any("第3行, month (B): 同一项目同一月份重复：已在第 2 行给出" in p for p in problems)
    assert any("第2行, completed_month_yi (F): 本月完成投资 0.6 亿元大于本年累计完成 0.5 亿元" in p for p in problems)


def test_missing_columns_and_an_empty_file(tmp_path):
    problems = _problems(_xlsx(tmp_path / "r.xlsx", [["zl13-01", "2023-10", 1]], header=HEADER[:3]))
    assert any("缺少列：completed_ytd_yi" in p for p in problems) and any("缺少列：stage" in p for p in problems)
    problems = _problems(_xlsx(tmp_path / "e.xlsx", []))
    assert any("无数据行" in p for p in problems)
    problems = _problems(_csv(tmp_path / "x.txt", ["a"]))
    assert any("不支持的文件类型" in p for p in problems)


def test_extra_projects_come_with_the_reports_and_are_checked(tmp_path):
    good = ["kp-001", "城东冷链物流中心", 2023, 2025, 6, 6, "衢江区政府", "衢江区"]
    path = _xlsx(tmp_path / "r.xlsx", [["kp-001", "2023-10", 2, 1.8, "under_construction"]], projects=[good])
    read = read_project_reports(path, CATALOG, PROJECTS)
    assert read.projects.row(0, named=True)["org_unit"] == "330803"
    assert read.projects["total_investment_wan"][0] == 60_000
    bad = [["zl13-01", "重名", 2023, 2025, 1, 1, "衢江区政府", "衢江区"],
           ["kp-002", "倒序", 2026, 2024, 1, 1, "衢江区政府", "衢江区"],
           ["kp-003", "超额", 2023, 2025, 1, 2, "衢江区政府", "衢江区"],
           ["kp-004", "无地区", 2023, 2025, 1, 1, "衢江区政府", "火星"],
           ["kp-004", "重复", 2023, 2025, 1, 1, "衢江区政府", "衢江区"]]
    problems = _problems(_xlsx(tmp_path / "b.xlsx", [["kp-002", "2023-10", 1, 0.5, "under_construction"]],
                               projects=bad))
    for words in ("项目 第2行, id (A): 项目编号 zl13-01 已是标志性项目", "项目 第3行, end_year (D): 竣工年份早于开工年份",
                  "项目 第4行, plan_period_investment_yi (F): “十四五”期间计划投资高于总投资",
                  "项目 第5行, org_unit (H): 所在地区“火星”无效", "项目 第6行, id (A): 项目编号重复：已在第 5 行给出"):
        assert any(words in p for p in problems), (words, problems)


def test_a_folder_of_csv_files(tmp_path):
    folder = tmp_path / "dir"
    folder.mkdir()
    _csv(folder / "reports.csv", [",".join(HEADER), "kp-001,2023-10,2,1.8,completed"])
    _csv(folder / "projects.csv", ["id,name_zh,start_year,end_year,total_investment_yi,plan_period_investment_yi,"
                                   "responsible_unit,org_unit", "kp-001,城东冷链物流中心,2023,2025,6,6,衢江区政府,330803"])
    read = read_project_reports(folder, CATALOG, PROJECTS)
    assert read.reports["stage"][0] == "completed" and read.projects["id"][0] == "kp-001"


def test_files_past_the_limits_are_refused_before_parsing(tmp_path):
    path = _csv(tmp_path / "big.csv", [",".join(HEADER)] + ["zl13-01,2023-10,1,0.5,under_construction"] * 50)
    with pytest.raises(ImportRejected) as caught:
        read_project_reports(path, CATALOG, PROJECTS, limits=SheetLimits(10 * 1024 * 1024, 10 * 1024 * 1024, 10))
    assert "行" in str(caught.value.problems[0]) and len(caught.value.problems) == 1


def test_the_sample_lights_every_rule_and_reads_back(tmp_path):
    path = write_project_reports_template(tmp_path / "sample.xlsx", PROJECTS, sample=True)
    read = read_project_reports(path, CATALOG, PROJECTS)
    assert read.reports.height == len(SAMPLE_REPORTS) and read.projects.height == 1
    blank = write_project_reports_template(tmp_path / "blank.xlsx", PROJECTS)
    book = openpyxl.load_workbook(blank)
    assert book.sheetnames == ["进度", "项目", "项目清单", "说明"]
    assert [c.value for c in book["进度"][1]] == list(REPORT_FIELDS)
    assert book["进度"].max_row == 1


def test_one_report_from_a_form_takes_the_same_checks():
    typed, problems = check_report_texts({"project": "zl13-01", "month": "2023-10", "annual_plan_yi": "1",
                                          "completed_ytd_yi": "5", "stage": "under_construction"}, {"zl13-01"}, None)
    assert problems == [("completed_ytd_yi", "本年累计完成 5 亿元超过年度计划投资 1 亿元的 3 倍，疑为单位有误（应以亿元填写）")]
    typed, problems = check_report_texts({"project": "zl13-01", "month": "2023-10", "annual_plan_yi": "1",
                                          "completed_ytd_yi": "0.5", "stage": "在建"}, {"zl13-01"}, None)
    assert problems == [] and typed["completed_ytd_wan"][0] == 5_000 and typed["stage"][0] == "under_construction"
