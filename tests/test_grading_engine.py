"""The 亩均效益 grading engine: hand-worked scores, caps, percentile boundaries and small groups,
ties, merged parcels, missing emissions, bonus and penalty, scope, benchmarks by year and county,
industry groups, regrades, the score card and the catalog's validation."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

from commerce_brain.catalog.checks import CatalogError
from commerce_brain.catalog.load import default_catalog_dir
from commerce_brain.grading.catalog import load_grading_settings, load_leader_rules
from commerce_brain.grading.evaluate import apply_regrades, evaluate
from commerce_brain.grading.explain import score_card
from commerce_brain.grading.fact_units import decimal_scale, is_money
from commerce_brain.grading.leaders import select_leaders
from commerce_brain.grading.facts_frame import grading_input
from commerce_brain.grading.synthetic import synthetic_grading_facts
from commerce_brain.io.enterprise_import import PolicyData
from tests.grading_frames import firm, frame, ladder

SETTINGS = load_grading_settings()
YEAR = 2023


def graded(*rows, settings=SETTINGS, year=YEAR) -> pl.DataFrame:
    return evaluate(frame(*rows), settings, year=year).graded


def row(result: pl.DataFrame, uscc: str) -> dict:
    return result.filter(pl.col("uscc") == uscc).row(0, named=True)


def classes(result: pl.DataFrame) -> str:
    return "".join(result.sort("uscc")["class"])


# --- scoring ---------------------------------------------------------------------------------

def test_each_indicator_scores_value_over_benchmark_times_weight():
    r = row(graded(firm("a")), "a")
    # Stored figures: tax 240.97万元 on 10亩, value added 1361.6万元, 100 people, 680.8 tce,
    # 0.276 t emissions (stored to the kilogram), R&D 151万元 of 5000万元 revenue.
    assert r["value__tax_per_mu"] == pytest.approx(24.097)
    assert r["score__tax_per_mu"] == pytest.approx(30.0)
    assert r["score__value_added_per_mu"] == pytest.approx(20.0)
    assert r["score__labour_productivity"] == pytest.approx(13.616 / 18.14 * 10)
    assert r["score__value_added_per_energy"] == pytest.approx(2.0 / 2.694 * 20)
    assert r["score__value_added_per_emission"] == pytest.approx(1361.6 / 0.276 / 4929.81 * 10)
    assert r["score__rd_share"] == pytest.approx(10.0)
    assert r["score__tax_per_kwh"] is None  # a 规下 indicator
    expected = 30 + 20 + 13.616 / 18.14 * 10 + 2.0 / 2.694 * 20 + 1361.6 / 0.276 / 4929.81 * 10 + 10
    assert r["total"] == pytest.approx(expected, abs=1e-6)
    assert r["size_class"] == "above" and r["unit"] == "a" and r["merged_with"] == []


def test_below_scale_scores_tax_per_mu_and_tax_per_kwh():
    r = row(graded(firm("b", above=False, tax_wan=115.932, kwh=4_929_082)), "b")
    assert r["size_class"] == "below"
    assert r["score__tax_per_mu"] == pytest.approx(50.0)
    assert r["score__tax_per_kwh"] == pytest.approx(1_159_320 / 4_929_082 / 0.2352 * 50)
    assert r["score__value_added_per_mu"] is None
    assert r["benchmark__tax_per_mu"] == pytest.approx(11.5932)


def test_an_indicator_is_capped_and_a_negative_value_scores_zero():
    r = row(graded(firm("a", rd_wan=5000, va_wan=-100)), "a")
    assert r["score__rd_share"] == 20.0  # 100% ÷ 3.02% × 10 = 331 points, capped at 20
    assert r["score__value_added_per_mu"] == 0.0
    card = {c["key"]: c for c in score_card(r, SETTINGS)}
    assert "超过该项上限 20 分，按 20 分计" in card["rd_share"]["formula"]
    assert card["rd_share"]["value"] == "100%" and card["rd_share"]["benchmark"] == "3.02%"
    assert card["value_added_per_mu"]["formula"].endswith("为负，计 0 分")


def test_a_score_card_read_back_without_benchmarks_takes_the_catalogs():
    r = row(graded(firm("a")), "a")
    stored = {k: v for k, v in r.items() if not k.startswith("benchmark__") and k != "year"}
    assert score_card(stored, SETTINGS, year=YEAR) == score_card(r, SETTINGS)
    card = score_card(r, SETTINGS)
    assert [c["name_zh"] for c in card] == ["亩均税收", "亩均增加值", "全员劳动生产率", "单位能耗增加值",
                                           "单位排放增加值", "R&D经费支出占主营业务收入比重"]
    assert card[0] == {"key": "tax_per_mu", "name_zh": "亩均税收", "value": "24.097万元/亩", "benchmark": "24.097万元/亩",
                       "weight": "30", "cap": "60", "score": 30.0, "formula": "24.097 ÷ 24.097 × 30 = 30 分"}


def test_a_missing_or_zero_denominator_scores_zero():
    r = row(graded(firm("a", employees=0, energy_tce=None)), "a")
    assert r["value__labour_productivity"] is None and r["score__labour_productivity"] == 0.0
    assert r["score__value_added_per_energy"] == 0.0
    assert "全员劳动生产率无数据，计0分" in r["reason"]


# --- classes from percentiles --------------------------------------------------------------

def test_exactly_at_twenty_percent_is_a_and_the_bottom_five_percent_is_d():
    # 规上 of 10: positions 1–2 have under 20% above them (A), 3–8 under 80% (B), 9–10 C.
    assert classes(graded(*ladder(10))) == "AABBBBBBCC"
    # Of 20 the 20th has 95% above it: D.
    result = graded(*ladder(20))
    assert classes(result) == "AAAA" + "B" * 12 + "CCC" + "D"
    assert row(result, "E019")["rank"] == 20 and row(result, "E019")["group_size"] == 20


def test_below_scale_cuts_are_five_seventy_five_ninety_five():
    result = graded(*ladder(20, above=False))
    assert classes(result) == "A" + "B" * 14 + "CCCC" + "D"


def test_small_groups_favour_the_enterprise_at_each_boundary():
    assert classes(graded(*ladder(1))) == "A"
    assert classes(graded(*ladder(2))) == "AB"
    assert classes(graded(*ladder(3))) == "ABB"
    assert classes(graded(*ladder(6))) == "AABBBC"  # ⌈20% × 6⌉ = 2 A


def test_equal_totals_share_a_rank_and_a_class():
    rows = ladder(10)
    rows[2] = firm("E002", tax_wan=rows[1]["tax_paid"] / 1_000_000)  # ties the second
    result = graded(*rows)
    assert [row(result, u)["rank"] for u in ("E000", "E001", "E002", "E003")] == [1, 2, 2, 4]
    assert classes(result)[:4] == "AAAB"  # the tie at the A boundary keeps both in A


# --- parcels, missing data, bonus and penalty ---------------------------------------------------

def test_enterprises_on_one_parcel_are_graded_as_one_unit():
    result = graded(firm("m1", land_mu=6, tax_wan=100, parcel="P-7"), firm("m2", land_mu=4, tax_wan=140.97, parcel="P-7"),
                    firm("solo"))
    m1, m2 = row(result, "m1"), row(result, "m2")
    assert m1["unit"] == m2["unit"] == "P-7"
    assert m1["merged_with"] == ["m2"] and m2["merged_with"] == ["m1"]
    assert m1["value__tax_per_mu"] == pytest.approx((100 + 140.97) / 10)  # summed over summed land
    assert m1["value__value_added_per_mu"] == pytest.approx(2 * 1361.6 / 10)
    assert m1["total"] == m2["total"] and m1["rank"] == m2["rank"]
    assert m1["group_size"] == 2  # the parcel and solo
    assert "同宗地的企业m1、企业m2合并评价（用地合计）；规上企业" in m1["reason"]


def test_two_small_enterprises_on_one_parcel_reach_the_land_threshold_together():
    result = evaluate(frame(firm("s1", above=False, land_mu=2, parcel="P"), firm("s2", above=False, land_mu=1.5, parcel="P")),
                      SETTINGS, year=YEAR)
    assert sorted(result.graded["uscc"]) == ["s1", "s2"] and result.out_of_scope.height == 0
    maxed = dataclasses.replace(SETTINGS, parcel_land="max")
    result = evaluate(frame(firm("s1", above=False, land_mu=2, parcel="P"), firm("s2", above=False, land_mu=1.5, parcel="P")),
                      maxed, year=YEAR)
    assert result.graded.height == 0
    assert set(result.out_of_scope["reason"]) == {"规下企业用地面积2亩，不足3亩，不在评价范围"}


def test_missing_emissions_take_the_groups_average_score():
    result = graded(firm("a", emissions_t=0.5), firm("b", emissions_t=1.0), firm("c", emissions_t=None))
    a, b, c = (row(result, u) for u in "abc")
    assert c["value__value_added_per_emission"] is None
    assert c["score__value_added_per_emission"] == pytest.approx((a["score__value_added_per_emission"]
                                                                  + b["score__value_added_per_emission"]) / 2)
    assert "单位排放增加值无数据，按同组平均得分" in c["reason"]
    card = {x["key"]: x for x in score_card(c, SETTINGS)}
    assert card["value_added_per_emission"]["formula"].startswith("无数据，按同组企业该项平均得分计")
    # Nobody in the group has the figure: nothing to average, 0.
    alone = row(graded(firm("z", emissions_t=None)), "z")
    assert alone["score__value_added_per_emission"] == 0.0


def test_bonus_and_penalty_adjust_the_total():
    result = graded(firm("h", high_tech=True), firm("s", safety=True, env=True), firm("n"))
    h, s, n = (row(result, u) for u in "hsn")
    assert (h["bonus"], h["penalty"]) == (3.0, 0.0)
    assert (s["bonus"], s["penalty"]) == (0.0, 15.0)
    assert h["total"] == pytest.approx(n["total"] + 3) and s["total"] == pytest.approx(n["total"] - 15)
    assert [h["rank"], n["rank"], s["rank"]] == [1, 2, 3]
    assert "加3分（国家高新技术企业）" in h["reason"]
    assert "减10分（发生较大及以上安全生产事故），减5分（受到环境行政处罚）" in s["reason"]


# --- scope ---------------------------------------------------------------------------------

def test_out_of_scope_enterprises_are_listed_with_the_reason():
    result = evaluate(frame(
        firm("svc", industrial=False), firm("shop", industrial=None, industry="F51"),
        firm("tiny", above=False, land_mu=2.99), firm("three", above=False, land_mu=3),
        firm("big", above=True, land_mu=1), firm("noland", land_mu=None)), SETTINGS, year=YEAR)
    out = dict(zip(result.out_of_scope["uscc"], result.out_of_scope["reason"], strict=True))
    assert out == {
        "svc": "非工业企业，不在亩均效益评价范围",
        "shop": "非工业企业，不在亩均效益评价范围",
        "tiny": "规下企业用地面积2.99亩，不足3亩，不在评价范围",
        "noland": "未填报用地面积，无法计算亩均效益，不参加评价",
    }
    assert sorted(result.graded["uscc"]) == ["big", "three"]  # 规上 on 1 亩 is graded; 3 亩 exactly is enough


def test_industry_groups_rank_separately_with_the_longest_prefix():
    settings = dataclasses.replace(SETTINGS, groups=(("化工", ("C26",)), ("专用化学品", ("C266",))))
    result = graded(firm("x1", industry="C2611"), firm("x2", industry="C2611", tax_wan=100),
                    firm("y1", industry="C2661"), firm("z1", industry="C30"), settings=settings)
    assert row(result, "x2")["industry_group"] == "化工" and row(result, "x2")["rank"] == 2
    assert row(result, "y1")["industry_group"] == "专用化学品" and row(result, "y1")["rank"] == 1
    assert row(result, "z1")["industry_group"] == "全部工业" and row(result, "z1")["group_size"] == 1


# --- the catalog -----------------------------------------------------------------------------

def copy_catalog(tmp_path: Path) -> Path:
    shutil.copytree(default_catalog_dir() / "grading", tmp_path / "grading")
    return tmp_path


def edit(tmp_path: Path, name: str, change) -> Path:
    directory = copy_catalog(tmp_path)
    path = directory / "grading" / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


def test_benchmarks_by_year_and_county_override_the_default(tmp_path):
    def change(data):
        data["benchmarks"]["years"] = {2023: {"city": {"above": {"tax_per_mu": "12.0485"}},
                                              "330881": {"above": {"tax_per_mu": "48.194"}}}}
    settings = load_grading_settings(edit(tmp_path, "mu_benefit.yaml", change))
    result = graded(firm("ke"), firm("js", org_unit="330881"), settings=settings)
    assert row(result, "ke")["score__tax_per_mu"] == pytest.approx(60.0)  # twice the city's 2023 figure
    assert row(result, "js")["score__tax_per_mu"] == pytest.approx(15.0)  # half 江山's
    assert row(result, "ke")["score__value_added_per_mu"] == pytest.approx(20.0)  # default kept
    other_year = graded(firm("ke"), settings=settings, year=2022)
    assert row(other_year, "ke")["score__tax_per_mu"] == pytest.approx(30.0)


def test_the_packaged_catalog_loads_with_its_citations():
    assert SETTINGS.min_land_mu_below_scale == 3.0
    assert [i.weight for i in SETTINGS.indicators["above"]] == [30, 20, 10, 20, 10, 10]
    assert SETTINGS.class_cuts == {"above": {"A": 20, "B": 80, "C": 95}, "below": {"A": 5, "B": 75, "C": 95}}
    assert SETTINGS.citations["document"] == "《浙江省人民政府关于深化“亩均论英雄”改革的指导意见》（浙政发〔2018〕5号）"
    # The scope and parcels quoted from a county's published evaluation notice, not paraphrased.
    assert "用地3亩(含)以上的规模以下工业企业" in SETTINGS.citations["scope"]
    assert "合并计算并共享评价结果" in SETTINGS.citations["parcels"]
    assert "上浮2个百分点" in SETTINGS.citations["class_use_article_5"]
    rules = load_leader_rules()
    assert [lst.key for lst in rules.lists] == ["leading", "benchmark"] and "第1条" in rules.citation


@pytest.mark.parametrize(("name", "change", "message"), [
    ("mu_benefit.yaml", lambda d: d["indicators"]["above"]["tax_per_mu"].update(weight=30.5), "tax_per_mu.weight"),
    ("mu_benefit.yaml", lambda d: d["indicators"]["above"]["tax_per_mu"].update(colour="red"), "不认识的字段 colour"),
    ("mu_benefit.yaml", lambda d: d["indicators"]["below"]["tax_per_kwh"].update(when_missing="guess"), "when_missing"),
    ("mu_benefit.yaml", lambda d: d["indicators"]["below"]["tax_per_kwh"].update(numerator_unit="亿元"), "numerator_unit"),
    ("mu_benefit.yaml", lambda d: d["benchmarks"]["default"]["above"].pop("rd_share"), "缺少基准值 rd_share"),
    ("mu_benefit.yaml", lambda d: d["benchmarks"]["default"]["below"].update(tax_per_kwh="0"), "tax_per_kwh：应为大于0"),
    ("mu_benefit.yaml", lambda d: d["classes"]["above"].update(B=10), "0 < A ≤ B ≤ C ≤ 100"),
    ("mu_benefit.yaml", lambda d: d["scope"].update(parcel_land="avg"), "parcel_land"),
    ("mu_benefit.yaml", lambda d: d["bonuses"][0].pop("points"), "bonuses[0]：缺少必填字段 points"),
    ("mu_benefit.yaml", lambda d: d["indicators"]["above"]["tax_per_mu"].update(numerator="profit"), "不是年度数据登记表"),
    ("mu_benefit.yaml", lambda d: d["indicators"]["above"]["tax_per_mu"].update(denominator="parcel"), "parcel 的类型为 text"),
    ("mu_benefit.yaml", lambda d: d["penalties"][0].update(fact="tax_paid"), "penalties[0].fact：tax_paid 的类型为 money"),
    ("leaders.yaml", lambda d: d["lists"]["leading"].update(exclude_classes=["E"]), "exclude_classes"),
    ("leaders.yaml", lambda d: d["lists"]["leading"]["exclude_facts"].update(bankrupt="破产"), "'bankrupt' 不是年度数据登记表"),
    ("leaders.yaml", lambda d: d["tie_break"].append({"fact": "mu_class", "name_zh": "类别"}), "tie_break[2].fact：mu_class 的类型为 class"),
    ("leaders.yaml", lambda d: d["lists"]["leading"].update(basis="__import__"), "basis"),
    ("leaders.yaml", lambda d: d["lists"]["leading"].update(exclude_selected_in=["benchmark"]), "排在前面的名单"),
])
def test_a_bad_entry_refuses_the_whole_catalog_naming_it(tmp_path, name, change, message):
    directory = edit(tmp_path, name, change)
    loader = load_grading_settings if name == "mu_benefit.yaml" else load_leader_rules
    with pytest.raises(CatalogError, match=message.replace("[", r"\[").replace("]", r"\]")):
        loader(directory)


# --- regrades, input, scale ------------------------------------------------------------------

def test_regrades_change_the_class_and_say_why():
    result = graded(*ladder(10))
    regrades = pl.DataFrame({"uscc": ["E005", "E009", "E005", "nobody"], "class": ["C", "A", "A", "D"],
                             "reason": ["初审", "核实后纳税额有误", "复核", "无"], "by": ["officer1", "officer2", "officer1", "x"]})
    after = apply_regrades(result, regrades)
    assert after.height == result.height
    e5, e9 = row(after, "E005"), row(after, "E009")
    assert (e5["initial_class"], e5["class"]) == ("B", "A")  # the last regrade wins
    assert e5["reason"].startswith("手动调档：由B类调为A类，理由：复核（officer1）。")
    assert (e9["initial_class"], e9["class"]) == ("C", "A") and "核实后纳税额有误" in e9["reason"]
    assert row(after, "E000")["reason"] == row(result, "E000")["reason"]
    with pytest.raises(ValueError, match="unknown class 'E'"):
        apply_regrades(result, pl.DataFrame({"uscc": ["E001"], "class": ["E"], "reason": ["x"], "by": ["y"]}))


def test_an_enterprise_given_twice_is_refused_and_an_empty_year_grades_nobody():
    with pytest.raises(ValueError, match="credit code.*twice, e.g. a"):
        evaluate(frame(firm("a"), firm("a", tax_wan=1)), SETTINGS, year=YEAR)
    empty = evaluate(frame(firm("a")).clear(), SETTINGS, year=YEAR)
    assert empty.graded.height == 0 and empty.out_of_scope.height == 0
    assert {"total", "class", "score__tax_per_mu", "reason"} <= set(empty.graded.columns)


def test_grading_input_takes_one_row_per_enterprise_of_the_year():
    enterprises = pl.DataFrame({"uscc": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "org_unit": ["330802"] * 3,
                                "industry": ["C26", "C30", "F51"], "is_manufacturing": [True, True, False],
                                "is_industrial": [True, True, False]})
    facts = pl.DataFrame({"uscc": ["a", "a", "b", "z"], "year": [2022, 2023, 2023, 2023],
                          "main_revenue": [1, 2, 3, 4], "rd_spend": [None, 1, 1, 1],
                          "land_area_mu": [500, 600, 700, 800], "is_above_scale": [True, True, False, True]})
    got = grading_input(PolicyData(enterprises, facts, pl.DataFrame()), year=2023)
    assert got["uscc"].to_list() == ["a", "b"]  # c has no facts that year; z no enterprise row
    assert got.filter(pl.col("uscc") == "a")["land_area_mu"].to_list() == [600]
    assert {"name", "org_unit", "industry", "is_industrial", "is_above_scale"} <= set(got.columns)
    assert "year" not in got.columns
    assert evaluate(got, SETTINGS, year=2023).graded.height == 2


def test_a_synthetic_city_spreads_over_the_classes_as_set():
    result = evaluate(synthetic_grading_facts(5_000, seed=3), SETTINGS, year=YEAR)
    shares = (result.graded.filter(pl.col("unit") == pl.col("uscc"))
              .group_by("size_class").agg((pl.col("class") == "A").mean().alias("a"), (pl.col("class") == "D").mean().alias("d")))
    got = {r["size_class"]: (r["a"], r["d"]) for r in shares.iter_rows(named=True)}
    assert got["above"][0] == pytest.approx(0.20, abs=0.01) and got["above"][1] == pytest.approx(0.05, abs=0.01)
    assert got["below"][0] == pytest.approx(0.05, abs=0.01)
    assert result.graded["uscc"].n_unique() == result.graded.height
    assert result.graded.height + result.out_of_scope.height == 5_000


def test_every_reason_and_score_card_speaks_chinese():
    facts = synthetic_grading_facts(2_000, seed=9)
    result = evaluate(facts, SETTINGS, year=YEAR)
    leaders = select_leaders(result.graded, facts, load_leader_rules())
    sentences = pl.concat([result.graded["reason"], result.out_of_scope["reason"], leaders["reason"]])
    english = sentences.filter(sentences.str.contains(r"[A-Za-z]{2,}|True|False|None|null|nan|inf"))
    assert english.len() == 0, english.head(3).to_list()
    for r in result.graded.head(50).iter_rows(named=True):
        for entry in score_card(r, SETTINGS):
            text = entry["value"] + entry["benchmark"] + entry["formula"]
            assert not re.search(r"[A-Za-z]{2,}", text), text


def test_the_grading_reads_the_facts_in_the_registrys_units():
    # Money in fen, land and energy × 100, emissions × 1000: as the yearly-facts registry stores them.
    assert [is_money(f) for f in ("tax_paid", "value_added", "rd_spend", "main_revenue")] == [True] * 4
    assert not is_money("land_area_mu") and not is_money("avg_employees")
    assert [decimal_scale(f) for f in ("land_area_mu", "energy_tce", "emissions_t", "electricity_kwh")] == [2, 2, 3, 0]



def test_the_policy_engines_synthetic_city_grades_through_grading_input():
    from commerce_brain.policy.synthetic import city

    data = PolicyData(*city(1_500, [2022, 2023]))
    facts = grading_input(data, year=2023)
    assert facts.height == 1_500 and set(SETTINGS.bool_facts()) <= set(facts.columns)
    result = evaluate(facts, SETTINGS, year=2023)
    assert result.graded.height + result.out_of_scope.height == 1_500
    assert set(result.graded["class"]) == {"A", "B", "C", "D"}
    assert result.graded.filter(pl.col("merged_with").list.len() > 0).height >= 2  # the sample's shared parcels
