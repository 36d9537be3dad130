"""The catalog: every seed plan loads, cites its source, and bad files are refused whole."""

import shutil

import pytest
import yaml

from commerce_brain.catalog import CatalogError, default_catalog_dir, load_catalog

SEEDS = {"000_20ac092af27a5de7.txt", "001_b86ec25aded59a60.txt", "002_dba1953ff89e5dba.txt",
         "003_ef1ba93025f3a1e3.txt"}


def test_every_seed_plan_is_in_the_catalog(catalog):
    plans = {p.id: p for p in catalog.plans}
    assert set(plans) == {"qz_commerce_13th", "qz_commerce_14th", "qz_services_14th",
                          "sx_commerce_14th", "qz_growth_pole_2022"}
    assert {p.source for p in catalog.plans} == SEEDS
    assert plans["qz_commerce_14th"].doc_number == "衢发改发〔2021〕18号"
    assert plans["qz_services_14th"].doc_number == "衢发改发〔2021〕37号"
    assert plans["sx_commerce_14th"].doc_number == "绍政发〔2021〕25号"


def test_tables_are_complete(catalog):
    assert len([i for i in catalog.plan("qz_commerce_13th").indicators]) == 12   # 000 表1
    table2 = [i for i in catalog.plan("qz_commerce_14th").indicators if i.citation.section.startswith("表2")]
    assert len(table2) == 10                                                       # 000 表2
    table1 = [i for i in catalog.plan("qz_services_14th").indicators if i.citation.section.startswith("表1")]
    assert len(table1) == 12                                                       # 001 表1


def test_printed_values_are_kept_as_printed(catalog):
    retail = catalog.plan("qz_commerce_14th").indicator("retail_sales")
    assert (retail.base_value, retail.target_value, retail.stated_growth) == (757, 1000, "6")
    assert retail.attribute == "expected"
    services = catalog.plan("qz_services_14th").indicator("services_value_added")
    assert services.stated_growth == ">7.5"
    assert services.price_basis == "comparable"
    employment = catalog.plan("qz_services_14th").indicator("services_employment_share")
    assert (employment.base_year, employment.stated_growth) == (2019, "[1.5]")
    satisfaction = catalog.plan("qz_services_14th").indicator("service_quality_satisfaction")
    assert satisfaction.target_value is None and satisfaction.target_text == "高于全省平均"
    fdi = catalog.plan("qz_commerce_13th").indicator("fdi_utilized")
    assert fdi.growth_kind == "cumulative" and fdi.unit_as_printed == "万美元"


def test_every_indicator_has_a_short_quote_and_known_kind(catalog):
    for ind in catalog.indicators():
        assert ind.citation.source in SEEDS, ind.id
        assert 0 < len(ind.citation.quote) <= 200, ind.id
        assert ind.name_zh == ind.name_zh.strip() and "  " not in ind.name_zh


def test_org_units_are_a_tree_with_gb2260_codes(catalog):
    names = catalog.org_unit_names()
    assert names["330802"] == "柯城区" and names["330881"] == "江山市" and names["330683"] == "嵊州市"
    quzhou = catalog.subtree("330800")
    assert {"330802", "330803", "330822", "330824", "330825", "330881"} <= quzhou
    assert "330602" not in quzhou
    zones = [u for u in catalog.org_units if u.kind == "zone"]
    assert {u.name_zh for u in zones} >= {"智造新城", "智慧新城"}


def _copy(tmp_path):
    shutil.copytree(default_catalog_dir(), tmp_path / "catalog")
    return tmp_path / "catalog"


def _edit(root, plan, change):
    path = root / "plans" / f"{plan}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["indicators"][0].update(growth_kind="linear"), "growth_kind 'linear'"),
    (lambda d: d["indicators"][0].update(stated_growth=6), "quoted text"),
    (lambda d: d["indicators"][0].update(stated_growth="较快"), "no number"),
    (lambda d: d["indicators"][0].update(colour="red"), "不认识的字段 colour"),
    (lambda d: d["indicators"][0].update(base_value="七百"), "base_value must be a number"),
    (lambda d: d["indicators"][0].update(target_year=2019), "must follow base_year"),
    (lambda d: d["indicators"][0].pop("citation"), "citation"),
    (lambda d: d.update(org_unit="999999"), "org_unit 999999"),
    (lambda d: d["indicators"].append(dict(d["indicators"][0])), "used twice: retail_sales"),
    (lambda d: d["statements"][0].update(indicator="nope"), "unknown indicator 'nope'"),
    (lambda d: d["indicators"][0].update(target_as_printed="[1000]"), "growth_kind must be cumulative"),
    (lambda d: d["indicators"][0].update(target_as_printed=1000), "quoted text"),
])
def test_a_bad_plan_file_is_refused_naming_file_and_reason(tmp_path, change, message):
    root = _copy(tmp_path)
    _edit(root, "qz_commerce_14th", change)
    with pytest.raises(CatalogError, match="qz_commerce_14th.yaml") as exc:
        load_catalog(root)
    assert message in str(exc.value)


def test_indicators_frame_matches_the_plans(catalog):
    frame = catalog.indicators_frame()
    assert frame.height == len(catalog.indicators())
    assert frame.filter(frame["plan"] == "sx_commerce_14th")["plan_org_unit"].unique().to_list() == ["330600"]


# The targets issue 9 found missing: (plan, indicator, unit, base, target, growth_kind, target year).
MISSING_TARGETS = [
    # 001 三、(一)1 发展目标
    ("qz_services_14th", "logistics_bases", "个", None, 2, "count", 2025),
    # 001 专栏1, 2, 3, 10
    ("qz_services_14th", "hazardous_chemicals_logistics_parks_closed_rate", "%", None, 100, "share", 2025),
    ("qz_services_14th", "full_supply_chain_leading_enterprises", "家", None, 10, "count", 2025),
    ("qz_services_14th", "full_chain_industrial_clusters", "个", None, 2, "count", 2025),
    ("qz_services_14th", "quality_performing_arts_projects", "个", None, 5, "count", 2025),
    ("qz_services_14th", "night_tour_brands", "个", None, 5, "count", 2025),
    ("qz_services_14th", "national_culture_tourism_consumption_pilot_cities", "个", None, 1, "count", 2025),
    ("qz_services_14th", "national_night_culture_tourism_consumption_clusters", "个", None, 1, "count", 2025),
    ("qz_services_14th", "hr_park_enterprises", "家", None, 40, "count", 2025),
    ("qz_services_14th", "hr_park_cumulative_output", "亿元", None, 50, "cumulative", 2025),
    ("qz_services_14th", "hr_park_cumulative_tax", "亿元", None, 1, "cumulative", 2025),
    ("qz_services_14th", "hr_park_enterprises_revenue_over_100m", "家", None, 8, "count", 2025),
    # 001 五、(四)
    ("qz_services_14th", "agri_full_industry_chains_5bn", "条", None, 3, "count", 2025),
    ("qz_services_14th", "agri_full_industry_chains_1bn", "条", None, 5, "count", 2025),
    ("qz_services_14th", "one_county_one_park", "个", None, 30, "count", 2025),
    ("qz_services_14th", "beautiful_village_benchmark_villages", "个", None, 60, "count", 2025),
    # 002: 公交“一卡通” from 245 to 260 cities, and the 全覆盖 targets as 100 %
    ("qz_growth_pole_2022", "public_transport_card_cities", "个", 245, 260, "count", 2022),
    ("qz_growth_pole_2022", "yinong_service_village_coverage", "%", None, 100, "share", 2022),
    ("qz_growth_pole_2022", "five_g_coverage", "%", None, 100, "share", 2022),
    ("qz_growth_pole_2022", "undifferentiated_service_acceptance_coverage", "%", None, 100, "share", 2022),
]


@pytest.mark.parametrize(("plan", "indicator", "unit", "base", "target", "kind", "year"), MISSING_TARGETS)
def test_the_missing_targets_are_encoded(catalog, plan, indicator, unit, base, target, kind, year):
    ind = catalog.plan(plan).indicator(indicator)
    assert (ind.unit, ind.base_value, ind.target_value, ind.growth_kind, ind.target_year) == (
        unit, base, target, kind, year)
    assert ind.target_comparator == ">=" and ind.direction == "higher"
    assert ind.stated_growth is None  # none of them prints a growth
    # the quote carries the figure: as digits, or as 两大 (two) or 全覆盖 (100 %)
    assert any(word in ind.citation.quote for word in (f"{target:g}", "两大", "全覆盖"))


def test_plan_sizes_match_the_readme(catalog):
    sizes = {p.id: len(p.indicators) for p in catalog.plans}
    assert sizes == {"qz_commerce_13th": 12, "qz_commerce_14th": 12, "qz_services_14th": 47,
                     "sx_commerce_14th": 16, "qz_growth_pole_2022": 20}


def test_thirteenth_plan_bracketed_targets_are_five_year_sums(catalog):
    plan = catalog.plan("qz_commerce_13th")
    for indicator, printed, target in (("fdi_utilized", "[3]", 3), ("outward_investment_chinese_side", "[11]", 11)):
        ind = plan.indicator(indicator)
        assert (ind.target_as_printed, ind.target_value, ind.growth_kind) == (printed, target, "cumulative")
        assert ind.stated_growth is None  # the target column is a sum, not a growth rate
        assert printed in ind.citation.quote
