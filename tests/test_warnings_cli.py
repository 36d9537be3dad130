"""`commerce-brain projects warnings`: raising a month's project warnings once, the filters,
the JSON rows, and a project unit account whose unit only an imported project names."""

import json

import openpyxl

from test_cli import run, runner

from commerce_brain.cli import app
from test_projects_cli import _isolated

JSON_KEYS = ["id", "source", "detector", "subject_kind", "subject_id", "subject_name", "org_unit",
             "responsible_unit", "level", "reason", "period", "due_date", "state", "overdue"]


def test_raise_a_month_once_then_list_and_filter(tmp_path, monkeypatch):
    _isolated(tmp_path, monkeypatch)
    sample = tmp_path / "project-reports-sample.xlsx"
    run("projects", "template", str(sample), "--sample")
    # The import raises its month's warnings itself (project_intake); --raise then finds them there.
    imported = json.loads(run("projects", "import", str(sample), "--user", "市商务局", "--format", "json").stdout)
    assert imported["warnings"] == {"new": 4, "unchanged": 0}
    first = run("projects", "warnings", "--month", "2023-10", "--raise")
    assert "新增 0 条，已有 4 条" in first.stdout and "待签收 4" in first.stdout
    again = run("projects", "warnings", "--month", "2023-10", "--raise", "--format", "json")
    rows = json.loads(again.stdout)  # the count goes to stderr: stdout is the JSON alone
    assert "新增 0 条，已有 4 条" in again.stderr
    assert [list(r) for r in rows] == [JSON_KEYS] * 4
    found = {r["subject_id"]: r for r in rows}
    assert {k: (r["detector"], r["level"]) for k, r in found.items()} == {
        "zl13-02": ("schedule_behind", "yellow"), "zl13-04": ("schedule_behind", "red"),
        "zl13-06": ("not_started", "red"), "zl14-01": ("not_finished", "red")}
    assert found["zl13-04"]["reason"].startswith("年度计划投资完成 40%") and found["zl13-04"]["state"] == "open"
    county = json.loads(run("projects", "warnings", "--org-unit", "柯城区", "--format", "json").stdout)
    assert [r["subject_id"] for r in county] == ["zl13-04"]
    assert json.loads(run("projects", "warnings", "--state", "closed", "--format", "json").stdout) == []
    assert json.loads(run("projects", "warnings", "--month", "2023-11", "--format", "json").stdout) == []
    table = run("projects", "warnings").stdout
    assert "应开工未开工" in table and "红灯" in table and "黄灯" in table and "not_started" not in table


def test_bad_options_are_refused_in_chinese(tmp_path, monkeypatch):
    _isolated(tmp_path, monkeypatch)
    assert "--raise 须同时给出 --month" in run("projects", "warnings", "--raise", ok=False).output
    assert "状态“nope”无效" in run("projects", "warnings", "--state", "nope", ok=False).output
    assert "月份“2023-13”无效" in run("projects", "warnings", "--month", "2023-13", ok=False).output


def test_a_unit_named_only_by_an_imported_project_may_have_an_account(tmp_path, monkeypatch):
    _isolated(tmp_path, monkeypatch)
    sample = tmp_path / "project-reports-sample.xlsx"
    run("projects", "template", str(sample), "--sample")
    unit = "衢州市文旅集团"  # no landmark project names it
    book = openpyxl.load_workbook(sample)
    book["项目"]["G2"] = unit  # the sample's 重点项目 now belongs to it
    book.save(sample)

    def add_account():
        return runner.invoke(app, ["users", "add", "unit1", "--role", "project_unit", "--responsible-unit", unit,
                                   "--password-stdin"], input="correct horse 7 staple\n")
    refused = add_account()
    assert refused.exit_code == 1 and f"未知责任单位“{unit}”" in refused.output
    run("projects", "import", str(sample), "--user", "市商务局")
    added = add_account()
    assert added.exit_code == 0 and unit in added.stdout, added.output
