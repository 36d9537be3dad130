"""`commerce-brain projects …` end to end: the JSON contracts of the issue, on real files."""

import json

from test_cli import run


def test_projects_list_json_contract():
    data = json.loads(run("projects", "list", "--format", "json").stdout)
    assert len(data) == 58
    assert list(data[0]) == ["id", "name_zh", "column", "start_year", "end_year", "total_investment",
                             "plan_period_investment", "responsible_unit", "org_unit", "citation"]
    first = {p["id"]: p for p in data}["zl13-09"]
    assert (first["start_year"], first["end_year"], first["total_investment"], first["plan_period_investment"]) \
        == (2019, 2024, 50, 44.8)
    assert first["org_unit"] == "330822" and "专栏13 第9项" in first["citation"]
    assert round(sum(p["plan_period_investment"] for p in data), 2) == 1406.24


def test_projects_list_table_speaks_chinese():
    text = run("projects", "list").stdout
    assert "专栏16" in text and "常山县" in text and "总投资（亿元）" in text


def test_projects_lint_json_contract_and_the_plan_period_gap():
    data = json.loads(run("projects", "lint", "--format", "json").stdout)
    assert list(data[0]) == ["check", "scope", "stated", "computed", "message", "citation"]
    found = {(f["check"], f["scope"]): f for f in data}
    period = found[("plan_period_investment", "全部")]
    assert (period["stated"], period["computed"]) == (1368, 1406.24)
    assert "+38.24 亿元" in period["message"]
    assert found[("total_investment", "全部")]["computed"] == 2415.84
    assert found[("count", "全部")]["computed"] == 58
    assert found[("column_total_investment", "专栏15")]["stated"] is None


def test_projects_lint_table_names_errors_and_notes():
    text = run("projects", "lint").stdout
    assert "错误 1 处" in text and "【错误】全部" in text and "+38.24 亿元" in text
    # Each finding's check is named in Chinese, never by its code.
    assert "（“十四五”期间计划投资合计）" in text and "（计划投资等于总投资）" in text
    assert "plan_period" not in text and "（count）" not in text


def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMERCE_BRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COMMERCE_BRAIN_DATABASE_URL", raising=False)


def test_the_readme_walk_template_import_status(tmp_path, monkeypatch):
    _isolated(tmp_path, monkeypatch)
    sample = tmp_path / "project-reports-sample.xlsx"
    run("projects", "template", str(sample), "--sample")
    # --reports lays the file over the (empty) store for this run; nothing is stored.
    overlay = json.loads(run("projects", "status", "--month", "2023-10", "--reports", str(sample),
                             "--format", "json").stdout)
    assert list(overlay[0]) == ["id", "light", "schedule_gap", "reason"]
    lights = {r["id"]: r for r in overlay}
    assert (lights["zl13-01"]["light"], lights["zl13-01"]["schedule_gap"]) == ("green", 0.139)
    assert lights["zl13-02"]["light"] == "yellow" and lights["zl13-04"]["light"] == "red"
    assert "仍未开工" in lights["zl13-06"]["reason"] and "尚未竣工" in lights["zl14-01"]["reason"]
    assert lights["zl13-03"]["light"] == "none" and lights["kp-2023-001"]["light"] == "green"
    stored = json.loads(run("projects", "status", "--month", "2023-10", "--format", "json").stdout)
    assert {r["light"] for r in stored} == {"none"} and len(stored) == 58
    dry = json.loads(run("projects", "import", str(sample), "--dry-run", "--format", "json").stdout)
    assert dry["dry_run"] and dry["import_id"] is None and dry["counts"]["reports"]["new"] == 10
    done = json.loads(run("projects", "import", str(sample), "--user", "市商务局", "--format", "json").stdout)
    assert done["import_id"] == 1 and done["counts"]["projects"] == {"new": 1, "revised": 0, "unchanged": 0}
    # The yellow and the three reds of 2023-10 are raised as warnings, once.
    assert done["warnings"] == {"new": 4, "unchanged": 0}
    again = json.loads(run("projects", "import", str(sample), "--format", "json").stdout)
    assert again["counts"]["reports"]["unchanged"] == 10 and again["warnings"] == {"new": 0, "unchanged": 4}
    stored = {r["id"]: r for r in json.loads(run("projects", "status", "--month", "2023-10", "--format", "json").stdout)}
    assert stored == lights
    county = json.loads(run("projects", "status", "--month", "2023-10", "--org-unit", "柯城区", "--format", "json").stdout)
    assert {r["id"] for r in county if r["light"] != "none"} == {"zl13-04"}
    table = run("projects", "status", "--month", "2023-10").stdout
    assert "红灯 3" in table and "按专栏汇总" in table and "重点项目" in table


def test_a_rejected_file_is_named_and_nothing_stored(tmp_path, monkeypatch):
    _isolated(tmp_path, monkeypatch)
    bad = tmp_path / "bad.csv"
    bad.write_text("project,month,annual_plan_yi,completed_ytd_yi,stage\nzl13-01,2023-10,1,-2,under_construction\n",
                   encoding="utf-8")
    result = run("projects", "import", str(bad), ok=False)
    assert result.exit_code == 1 and "导入被拒绝，未导入任何数据" in result.output and "第2行" in result.output
    result = run("projects", "status", "--month", "2023-10", "--reports", str(bad), ok=False)
    assert result.exit_code == 1 and "文件被拒绝，未做计算" in result.output
    result = run("projects", "status", "--month", "2023-13", ok=False)
    assert result.exit_code == 2 and "月份" in result.output
