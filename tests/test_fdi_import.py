"""The pipeline file (外资项目全流程跟踪), real CSV and XLSX files: the template and the sample
round-trip, and every bad input is refused whole, named by sheet, row, column and reason."""

from __future__ import annotations

import csv
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from commerce_brain.catalog import load_catalog
from commerce_brain.io.fdi_import import ImportRejected, all_fields, read_fdi_pipeline
from commerce_brain.io.fdi_template import write_fdi_template
from commerce_brain.projects.fdi import pipeline_status
from commerce_brain.projects.fdi_catalog import load_fdi_catalog
from commerce_brain.settings import SheetLimits

TODAY = date(2026, 12, 6)
CATALOG = load_catalog()
FDI = load_fdi_catalog()
HEADERS = [aliases[0] for aliases in all_fields(FDI).values()]


def good_row(**changes) -> dict:
    """One valid signed-and-landed project (柯城区, 日本, 1,000 万美元 contracted, 400 arrived)."""
    row = dict.fromkeys(HEADERS, "")
    row.update({"项目编号": "WZ-1", "项目名称": "精密电子项目", "所在地区": "柯城区", "行业": "电子信息",
                "客商名称": "东瀛电子", "客商国别（地区）": "日本", "世界500强": "否",
                "合同外资（万美元）": "1000", "实到外资（万美元）": "400", "下一步责任单位": "柯城区商务局",
                "签约计划日期": "2026-01-10", "签约实际日期": "2026-01-10",
                "注册计划日期": "2026-02-01", "注册实际日期": "2026/2/3",
                "到资计划日期": "2026-03-01", "到资实际日期": "2026年3月5日",
                "开工计划日期": "2026-09-01"})
    row.update(changes)
    return row


def write_csv(path: Path, rows: list[dict], headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows([[r.get(h, "") for h in headers] for r in rows])
    return path


def write_xlsx(path: Path, rows: list[dict], sheet: str = "外资项目") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(HEADERS)
    for r in rows:
        ws.append([r.get(h, "") for h in HEADERS])
    book.save(path)
    return path


def rejected(path: Path, **options) -> list:
    with pytest.raises(ImportRejected) as info:
        read_fdi_pipeline(path, CATALOG, FDI, today=TODAY, **options)
    return info.value.problems


def problems_of(tmp_path: Path, **changes):
    """The problems of a file whose only row is good_row(**changes)."""
    return rejected(write_csv(tmp_path / "bad.csv", [good_row(**changes)]))


# ---- accepted files ---------------------------------------------------------------------------------

def test_a_good_row_is_read_exactly(tmp_path):
    row = good_row(**{"合同外资（万美元）": "1,234.5678", "世界500强": "是"})
    pipeline = read_fdi_pipeline(write_csv(tmp_path / "ok.csv", [row]), CATALOG, FDI, today=TODAY)
    p = pipeline.projects.row(0, named=True)
    assert (p["org_unit"], p["industry"], p["investor_country"], p["investor_fortune500"]) == (
        "330802", "electronics", "JP", True)
    assert (p["contracted_usd"], p["arrived_usd"]) == (12_345_678, 4_000_000)  # integer dollars, exact
    assert pipeline.stage_dates.filter(pipeline.stage_dates["stage"] == "capital_arrived").row(0) == (
        "WZ-1", "capital_arrived", date(2026, 3, 1), date(2026, 3, 5))
    assert pipeline.stage_dates.height == 4  # stages with no dates are not rows


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_sample_round_trips_and_shows_overdue_stages(tmp_path, suffix):
    path = write_fdi_template(tmp_path / f"sample{suffix}", CATALOG, FDI, sample=True, today=TODAY)
    pipeline = read_fdi_pipeline(path, CATALOG, FDI, today=TODAY)
    assert pipeline.projects.height == 9
    status = pipeline_status(pipeline.projects, pipeline.stage_dates, FDI, TODAY)
    assert set(status["level"].drop_nulls()) == {"yellow", "red"}
    assert status["landed"].sum() >= 3 and (~status["signed"]).sum() == 2
    assert "达产" in status["current_stage_zh"].to_list()


def test_the_blank_template_imports_nothing_and_lists_the_vocabularies(tmp_path):
    path = write_fdi_template(tmp_path / "blank.xlsx", CATALOG, FDI, today=TODAY)
    book = load_workbook(path)
    assert book.sheetnames == ["外资项目", "说明", "行业", "国别（地区）", "地区"]
    assert [c.value for c in book["外资项目"][1]] == HEADERS
    assert "集成电路" in [r[1].value for r in book["行业"].iter_rows()]
    assert [p.reason for p in rejected(path)] == ["无数据行：只有表头"]


def test_a_skipped_land_supply_and_an_xlsx_sheet_of_another_name_are_fine(tmp_path):
    row = good_row(**{"开工实际日期": "2026-09-02", "开工计划日期": "2026-09-01"})  # no 供地 dates at all
    pipeline = read_fdi_pipeline(write_xlsx(tmp_path / "one.xlsx", [row], sheet="Sheet1"), CATALOG, FDI, today=TODAY)
    assert pipeline.projects["project_id"].to_list() == ["WZ-1"]


# ---- each bad input, refused whole -------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"所在地区": "海淀区"}, "所在地区", "未知地区：“海淀区”"),
    ({"所在地区": "衢州市"}, "所在地区", "地区须为县（市、区）或功能区"),
    ({"行业": "房地产"}, "行业", "未知行业：“房地产”"),
    ({"客商国别（地区）": "火星"}, "客商国别（地区）", "未知国别（地区）：“火星”"),
    ({"世界500强": "也许"}, "世界500强", "世界500强取值错误"),
    ({"合同外资（万美元）": "-5"}, "合同外资（万美元）", "合同外资（万美元）不能为负"),
    ({"合同外资（万美元）": "一千"}, "合同外资（万美元）", "合同外资（万美元）格式错误"),
    ({"合同外资（万美元）": "1000.12345"}, "合同外资（万美元）", "最多四位小数"),
    ({"合同外资（万美元）": "123456789012"}, "合同外资（万美元）", "超出范围"),
    ({"实到外资（万美元）": "1000.0001"}, "实到外资（万美元）", "实到外资超过合同外资"),
    ({"项目名称": ""}, "项目名称", "项目名称为空"),
    ({"项目编号": "WZ/1"}, "项目编号", "只能由字母、数字、汉字"),
    ({"注册实际日期": "2026-02-30"}, "注册实际日期", "注册实际日期格式错误"),
    ({"开工计划日期": "1999-09-01"}, "开工计划日期", "年份超出范围"),
    ({"开工实际日期": "2026-12-07", "开工计划日期": "2026-12-01"}, "开工实际日期", "晚于今天"),
    ({"竣工实际日期": "2026-11-01", "竣工计划日期": "2026-11-01"}, "竣工实际日期", "此前的环节尚未完成：开工"),
    ({"注册实际日期": "2026-01-05"}, "注册实际日期", "早于此前环节的实际日期 2026-01-10"),
    ({"注册计划日期": "2026-01-01"}, "注册计划日期", "早于此前环节的计划日期 2026-01-10"),
    ({"签约计划日期": "", "签约实际日期": "", "注册实际日期": "", "到资实际日期": "", "实到外资（万美元）": "0"},
     "签约计划日期", "至少填写其一"),
    ({"到资实际日期": "", "实到外资（万美元）": "0", "到资计划日期": ""}, "到资计划日期", "须填写到资计划日期"),
    ({"到资实际日期": "", "到资计划日期": "2026-03-01"}, "实到外资（万美元）", "未填写到资实际日期"),
    ({"实到外资（万美元）": "0"}, "到资实际日期", "实到外资为空或为 0"),
])
def test_each_bad_cell_is_named_by_sheet_row_column_and_reason(tmp_path, changes, column, reason):
    problems = problems_of(tmp_path, **changes)
    assert {(p.sheet, p.row) for p in problems} == {("bad.csv", 2)}
    assert [p.column for p in problems if reason in p.reason] == [column], problems
    # One mistake, one or two problems: a follow-on of the same cell at most (a date both
    # malformed and so not comparable, a 1999 date also earlier than the stage before).
    assert len(problems) <= 2, problems


def test_an_xlsx_problem_names_the_sheet_and_the_column_letter(tmp_path):
    problems = rejected(write_xlsx(tmp_path / "bad.xlsx", [good_row(), good_row(**{"项目编号": "WZ-2", "行业": "房地产"})]))
    assert [(p.sheet, p.row, p.column) for p in problems] == [("外资项目", 3, "行业 (D)")]


def test_a_project_given_twice_and_an_investor_with_two_countries_are_refused(tmp_path):
    rows = [good_row(), good_row(**{"客商国别（地区）": "韩国"})]
    problems = rejected(write_csv(tmp_path / "twice.csv", rows))
    reasons = [(p.row, p.reason) for p in problems]
    assert (2, "重复项目：项目编号“WZ-1”在本文件中出现多次") in reasons
    assert any(row == 3 and "同一客商“东瀛电子”在本文件中填写了不同的国别（地区）" in why for row, why in reasons)


def test_a_missing_column_is_named(tmp_path):
    headers = [h for h in HEADERS if h != "达产实际日期"]
    problems = rejected(write_csv(tmp_path / "short.csv", [good_row()], headers))
    assert [(p.row, p.reason) for p in problems] == [(1, "缺少列：达产实际日期（可写作 full_production_actual）")]


def test_a_file_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "pipeline.txt"
    path.write_text("项目编号\n", encoding="utf-8")
    assert "不支持的文件类型" in rejected(path)[0].reason


def test_a_file_past_the_limits_is_refused_before_parsing(tmp_path):
    rows = [good_row(**{"项目编号": f"WZ-{i}"}) for i in range(30)]
    problems = rejected(write_csv(tmp_path / "many.csv", rows), limits=SheetLimits(10_000_000, 10_000_000, rows=10))
    assert len(problems) == 1 and "行" in problems[0].reason and problems[0].sheet == "many.csv"


def test_a_zip_bomb_is_refused_without_unpacking(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * 50_000_000 + b"</worksheet>")
    problems = rejected(path)
    assert len(problems) == 1 and "压缩炸弹" in problems[0].reason


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    rows = [good_row(**{"项目编号": "A", "行业": "房地产"}), good_row(**{"项目编号": "B", "所在地区": "火星"}),
            good_row(**{"项目编号": "C", "世界500强": "?"})]
    problems = rejected(write_csv(tmp_path / "three.csv", rows))
    assert [(p.row, p.column) for p in problems] == [(2, "行业"), (3, "所在地区"), (4, "世界500强")]
