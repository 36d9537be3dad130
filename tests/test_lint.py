"""Plan lint on the real catalog (the seeds' own inconsistencies) and on small made-up plans."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from commerce_brain.catalog import default_catalog_dir, load_catalog
from commerce_brain.indicators.lint import FINDING_COLUMNS, lint_catalog
from commerce_brain.indicators.stated_growth import parse_stated_growth

# What a careful reader of the seeds finds; each is explained in the catalog's notes.
EXPECTED = {
    ("qz_commerce_13th", "fdi_utilized", "reported_growth"),        # 1.5 vs 3.81 from [2.92]→[3.52]
    ("qz_commerce_13th", "fdi_utilized", "unit"),                   # 万美元 printed for 亿美元 sums
    ("qz_commerce_13th", "outward_investment_chinese_side", "reported_growth"),  # 27.9 vs 52.0
    ("qz_commerce_13th", "services_trade", "stated_growth"),        # 4.42(4%) below a base of 8.10
    ("qz_commerce_14th", "services_trade", "statement"),            # 翻一番, but 8 → 15
    ("qz_services_14th", "digital_economy_services_main_revenue", "stated_growth"),  # 12.5 vs 14.54
    ("qz_services_14th", "digital_economy_services_main_revenue", "statement"),
    ("sx_commerce_14th", "online_retail_sales", "stated_growth"),   # 翻一番, but 747.3 → 1700 is 2.27×
}


def test_lint_finds_exactly_the_real_inconsistencies(catalog):
    findings = lint_catalog(catalog)
    assert list(findings.columns) == FINDING_COLUMNS
    assert set(findings.select("plan", "indicator", "check").iter_rows()) == EXPECTED


@pytest.mark.parametrize(("plan", "indicator"), [
    ("qz_commerce_14th", "retail_sales"),        # 757 → 1000 implies 5.73%, printed 6
    ("qz_commerce_14th", "online_retail_sales"),  # 14.94%, printed 15 and 15左右
    ("qz_commerce_14th", "bulk_cement_rate"),     # 2.23 points, printed 2.2
    ("qz_commerce_14th", "ready_mixed_mortar"),   # 7.51%, printed 7.5
    ("qz_commerce_14th", "fdi_utilized"),         # 0.65 → 1.3 is exactly 翻一番
    ("qz_commerce_13th", "retail_sales"),         # 551 → 850 implies 9.06%, printed 9
    ("qz_services_14th", "services_value_added"),  # >7.5 with 9.55% implied
    ("qz_services_14th", "knowledge_intensive_services_share"),  # [5] vs 4.9 points
    ("sx_commerce_14th", "goods_imports"),        # 400 on 191.92 is 2.08×, a rounded 翻一番
])
def test_consistent_rows_are_not_flagged(catalog, plan, indicator):
    ids = {p.id: {i.id for i in p.indicators} for p in catalog.plans}
    assert indicator in ids[plan]
    flagged = set(lint_catalog(catalog).select("plan", "indicator").iter_rows())
    assert (plan, indicator) not in flagged


def test_findings_cite_the_seed_and_say_what_was_implied(catalog):
    row = lint_catalog(catalog).filter(
        (lint_catalog(catalog)["indicator"] == "digital_economy_services_main_revenue")
        & (lint_catalog(catalog)["check"] == "stated_growth")
    ).row(0, named=True)
    assert row["stated"] == "12.5"
    assert row["implied"] == pytest.approx(14.54, abs=0.01)
    assert "《衢州市现代服务业发展“十四五”规划》（衢发改发〔2021〕37号）" in row["citation"]
    assert ".txt" not in row["citation"]
    assert "12.5" in row["message"] and "14.54" in row["message"]


@pytest.mark.parametrize(("text", "kind", "value", "comparator", "decimals"), [
    ("6", "rate", 6.0, "=", 0),
    (">7.5", "rate", 7.5, ">", 1),
    ("[1.5]", "bracket", 1.5, "=", 1),
    ("〔0.9〕", "bracket", 0.9, "=", 1),
    ("翻一番", "multiple", 2.0, ">=", 0),
    ("15左右", "rate", 15.0, "~", 0),
    ("13以上", "rate", 13.0, ">=", 0),
    ("份额提升0.1‰", "points", 0.1, "=", 1),
    ("比重提升 2.1%", "points", 2.1, "=", 1),
    ("-0.2", "rate", -0.2, "=", 1),
    ("—", "none", None, "=", 0),
])
def test_stated_growth_is_read_as_printed(text, kind, value, comparator, decimals):
    parsed = parse_stated_growth(text)
    assert (parsed.kind, parsed.value, parsed.comparator, parsed.decimals) == (kind, value, comparator, decimals)


def test_stated_growth_without_a_number_is_refused():
    with pytest.raises(ValueError, match="no number"):
        parse_stated_growth("较快增长")


def _plan(tmp_path: Path, indicators: list[dict], statements: list[dict] | None = None) -> Path:
    shutil.copy(default_catalog_dir() / "org_units.csv", tmp_path / "org_units.csv")
    (tmp_path / "plans").mkdir(exist_ok=True)
    cite = {"source": "test.txt", "section": "表1", "quote": "测试"}
    plan = {"id": "t", "title": "测试规划", "period": [2021, 2025], "base_year": 2020,
            "org_unit": "330800", "source": "test.txt",
            "indicators": [{"name_en": "x", "unit": "亿元", "base_year": 2020, "target_year": 2025,
                            "growth_kind": "annual_growth", "citation": cite, **i} for i in indicators],
            "statements": [{"citation": cite, **s} for s in statements or []]}
    (tmp_path / "plans" / "t.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_yearly_targets_must_add_up_to_the_period_total(tmp_path):
    catalog = load_catalog(_plan(tmp_path, [
        {"id": "ok", "name_zh": "甲", "base_value": 0, "target_value": 100, "growth_kind": "cumulative",
         "yearly_targets": {2021: 20, 2022: 20, 2023: 20, 2024: 20, 2025: 20}},
        {"id": "bad", "name_zh": "乙", "base_value": 0, "target_value": 100, "growth_kind": "cumulative",
         "yearly_targets": {2021: 20, 2022: 20, 2023: 20, 2024: 20, 2025: 25}},
    ]))
    findings = lint_catalog(catalog)
    assert findings.select("indicator", "check").rows() == [("bad", "yearly_targets")]
    assert findings["implied"][0] == 105


def test_doubling_short_of_two_is_flagged_but_rounding_is_not(tmp_path):
    catalog = load_catalog(_plan(tmp_path, [
        {"id": "short", "name_zh": "甲", "base_value": 8, "target_value": 15, "stated_growth": "翻一番"},
        {"id": "rounded", "name_zh": "乙", "base_value": 4810.7, "target_value": 9621, "stated_growth": "翻一番"},
    ]))
    assert lint_catalog(catalog)["indicator"].to_list() == ["short"]


def test_statement_and_comparators(tmp_path):
    catalog = load_catalog(_plan(tmp_path, [
        {"id": "g", "name_zh": "甲", "base_value": 100, "target_value": 140.255, "stated_growth": "7"},
    ], statements=[
        {"indicator": "g", "stated_growth": "8以上"},   # 7.0% implied: fails
        {"indicator": "g", "stated_growth": "7.5左右"},  # about: within one unit of 0.1? no
        {"indicator": "g", "stated_growth": ">6"},     # holds
    ]))
    stated = sorted(lint_catalog(catalog)["stated"].to_list())
    assert stated == ["7.5左右", "8以上"]


def test_same_indicator_in_two_plans_must_agree(tmp_path):
    root = _plan(tmp_path, [{"id": "r", "name_zh": "社会消费品零售总额", "base_value": 757, "target_value": 1000}])
    other = yaml.safe_load((root / "plans" / "t.yaml").read_text(encoding="utf-8"))
    other["id"] = "u"
    other["indicators"][0]["target_value"] = 1100
    (root / "plans" / "u.yaml").write_text(yaml.safe_dump(other, allow_unicode=True), encoding="utf-8")
    findings = lint_catalog(load_catalog(root))
    assert findings.select("plan", "check").rows() == [("t", "cross_plan")]
    assert "1100" in findings["message"][0]


def test_a_bracketed_five_year_target_must_equal_the_target_value(tmp_path):
    catalog = load_catalog(_plan(tmp_path, [
        {"id": "ok", "name_zh": "甲", "base_value": 2.92, "target_value": 3, "growth_kind": "cumulative",
         "target_as_printed": "[3]"},
        {"id": "bad", "name_zh": "乙", "base_value": 1.72, "target_value": 11, "growth_kind": "cumulative",
         "target_as_printed": "[12]"},
    ]))
    findings = lint_catalog(catalog)
    assert findings.select("indicator", "check").rows() == [("bad", "target_as_printed")]
    assert findings["implied"][0] == 11
    assert "五年累计" in findings["message"][0]


def test_the_thirteenth_plan_five_year_targets_agree_with_their_values(catalog):
    checked = lint_catalog(catalog).filter(lint_catalog(catalog)["check"] == "target_as_printed")
    assert checked.is_empty()


def test_findings_read_in_chinese_only():
    # Shown on the indicator page beside the figure: issue 9 wants no English sentence there.
    messages = lint_catalog(load_catalog())["message"].to_list()
    assert messages and all(re.search(r"[\u4e00-\u9fff]", m) for m in messages)
    assert [m for m in messages if re.search(r"[A-Za-z]{3,}", m)] == []
