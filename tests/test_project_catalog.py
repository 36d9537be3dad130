"""The project catalog, the 亿元 ↔ 万元 conversion and the project lint, on the real catalog and
on copies of it broken on purpose."""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
import shutil

import polars as pl
import pytest
import yaml

from commerce_brain.catalog import CatalogError
from commerce_brain.catalog.load import default_catalog_dir
from commerce_brain.projects.amounts import wan_to_yi, wan_to_yi_text, yi_text_to_wan, yi_to_wan
from commerce_brain.projects.catalog import load_project_catalog
from commerce_brain.projects.lint import lint_projects


def test_yi_to_wan_is_exact_and_refuses_what_it_would_round():
    assert yi_to_wan("12.5") == 125_000
    assert yi_to_wan(Decimal("0.0001")) == 1
    assert yi_to_wan("1406.24") == 14_062_400
    for bad in ("0.00001", "-1", "abc", "NaN", "inf"):
        with pytest.raises(ValueError):
            yi_to_wan(bad)
    assert str(wan_to_yi(100_000)) == "10"  # never 1E+1
    assert str(wan_to_yi(3_814_500)) == "381.45"
    assert wan_to_yi(yi_to_wan("2415.84")) == Decimal("2415.84")


def test_yi_text_columnar_names_each_problem():
    frame = pl.DataFrame({"t": ["1.2345", "1.23456", "-1", "abc", None, "5亿", " 2416 ", "0.10000"]})
    got = frame.select(yi_text_to_wan(pl.col("t")).alias("r")).unnest("r")
    assert got["wan"].to_list() == [12345, None, None, None, None, 50_000, 24_160_000, 1000]
    assert got["problem"].to_list() == [None, "decimals", "negative", "shape", None, None, None, None]
    texts = pl.select(wan_to_yi_text(pl.Series([3_814_500, 400_000, -1_600, 0, 1, None]))).to_series()
    assert texts.to_list() == ["381.45", "40", "-0.16", "0", "0.0001", None]


def test_the_58_projects_load_with_citations_and_sums():
    catalog = load_project_catalog()
    projects = catalog.projects
    assert projects.height == 58
    assert projects["id"].n_unique() == 58
    assert projects["total_investment_wan"].sum() == 24_158_400
    assert projects["plan_period_investment_wan"].sum() == 14_062_400
    assert projects.group_by("column").len().sort("column")["len"].to_list() == [10, 16, 17, 15]
    assert projects["citation"].str.contains("衢发改发〔2021〕37号").all()
    assert set(projects["source"]) == {"catalog"}
    assert catalog.settings.green_from == Decimal("-0.05") and catalog.settings.red_below == Decimal("-0.15")
    assert (catalog.stated.count, catalog.stated.plan_period_investment_wan) == (58, 13_680_000)


def _broken_catalog(tmp_path: Path, edit) -> Path:
    directory = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), directory)
    path = directory / "projects" / "landmark_projects.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data["projects"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


@pytest.mark.parametrize(("edit", "words"), [
    (lambda p: p[1].update(id=p[0]["id"]), "重复"),
    (lambda p: p[2].update(start_year=2027), "晚于结束年份"),
    (lambda p: p[3].update(total_investment="-3"), "total_investment"),
    (lambda p: p[3].update(plan_period_investment="1.00001"), "plan_period_investment"),
    (lambda p: p[4].update(org_unit="999999"), "org_units.csv"),
    (lambda p: p[5].pop("citation"), "citation"),
    (lambda p: p[5]["citation"].update(quote=""), "quote"),
])
def test_a_bad_project_refuses_the_whole_file_naming_it(tmp_path, edit, words):
    directory = _broken_catalog(tmp_path, edit)
    with pytest.raises(CatalogError, match=words) as caught:
        load_project_catalog(directory=directory)
    assert "landmark_projects.yaml 第" in str(caught.value)


def _extra(**changes):
    row = {"id": "kp-001", "name_zh": "城东物流园", "start_year": 2023, "end_year": 2025,
           "total_investment_wan": 50_000, "plan_period_investment_wan": 50_000,
           "responsible_unit": "柯城区政府", "org_unit": "330802"}
    row.update(changes)
    return pl.DataFrame([row])


def test_imported_projects_join_the_catalog_after_the_same_checks():
    catalog = load_project_catalog(_extra())
    added = catalog.projects.filter(pl.col("id") == "kp-001").row(0, named=True)
    assert added["source"] == "import" and added["column"] is None and added["citation"] == "重点项目清单（导入）"
    assert catalog.projects.height == 59
    for changes, words in (({"id": "zl13-01"}, "重复"), ({"start_year": 2026}, "晚于"),
                           ({"total_investment_wan": -1}, "负数"), ({"org_unit": "330600x"}, "地区代码")):
        with pytest.raises(CatalogError, match=words):
            load_project_catalog(_extra(**changes))


def _lint():
    findings = lint_projects(load_project_catalog())
    return {(r["check"], r["scope"]): r for r in findings.iter_rows(named=True)}


def test_lint_reports_the_real_difference_of_the_plan_period_total():
    found = _lint()
    period = found[("plan_period_investment", "全部")]
    assert (period["stated"], period["computed"], period["severity"]) == (1368.0, 1406.24, "error")
    assert "+38.24 亿元" in period["message"] and "1406.24" in period["message"]
    assert "1368 亿元" in period["citation"]
    total = found[("total_investment", "全部")]
    assert (total["stated"], total["computed"], total["severity"]) == (2416.0, 2415.84, "note")
    assert "−0.16 亿元" in total["message"]
    count = found[("count", "全部")]
    assert (count["stated"], count["computed"], count["severity"]) == (58.0, 58.0, "info")


def test_lint_gives_per_column_sums_as_information_without_inventing_stated_ones():
    found = _lint()
    assert found[("column_count", "专栏13")]["computed"] == 10
    assert found[("column_total_investment", "专栏14")]["computed"] == 652.24
    assert "381.45 亿元" in found[("column_plan_period_investment", "专栏14")]["message"]
    for (check, scope), row in found.items():
        if check.startswith("column_"):
            assert row["stated"] is None and row["severity"] == "info"
    # 国家大学科技园 runs to 2026 yet plans its whole 40 亿 inside 2021–2025.
    note = found[("plan_period_equals_total", "zl13-03")]
    assert note["severity"] == "note" and "2022–2026" in note["message"] and "40 亿元" in note["message"]


def test_lint_finds_broken_projects_and_a_wrong_count():
    catalog = load_project_catalog()
    projects = catalog.projects.with_columns(
        pl.when(pl.col("id") == "zl13-01").then(40_000).when(pl.col("id") == "zl13-10").then(50_000)
        .otherwise(pl.col("plan_period_investment_wan")).alias("plan_period_investment_wan"),
        pl.when(pl.col("id") == "zl13-02").then(2018).otherwise(pl.col("start_year")).alias("start_year"),
        pl.when(pl.col("id") == "zl13-02").then(2019).otherwise(pl.col("end_year")).alias("end_year"),
    ).filter(pl.col("id") != "zl16-15")
    findings = lint_projects(replace(catalog, projects=projects))
    found = {(r["check"], r["scope"]): r for r in findings.iter_rows(named=True)}
    above = found[("plan_period_above_total", "zl13-01")]
    assert (above["severity"], above["stated"], above["computed"]) == ("error", 3.0, 4.0)
    assert "“十四五”期间计划投资 4 亿元高于总投资 3 亿元" in above["message"]
    assert found[("years_outside_plan", "zl13-02")]["severity"] == "error"
    assert "2018–2019" in found[("years_outside_plan", "zl13-02")]["message"]
    # 中浙高铁轨道交通实验室 (2021–2023, total 10 亿) now plans 5 亿 inside the period it lies in.
    assert found[("plan_period_below_total_inside", "zl13-10")]["severity"] == "note"
    assert found[("count", "全部")]["severity"] == "error"
    assert "相差 -1 个" in found[("count", "全部")]["message"]
