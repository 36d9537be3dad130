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
