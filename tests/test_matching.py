"""Matching and near misses (issue 13 §3): which rules each enterprise meets with the engine's
amount, and for the others what it lacks — every comparison kind of the rule language."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.catalog import readable
from commerce_brain.policy.engine import evaluate, packaged
from commerce_brain.policy.expr_parse import parse
from commerce_brain.policy.match_gaps import GapCompiler, money_text, number_text
from commerce_brain.policy.matching import for_enterprise, match, near_misses

WAN = 1_000_000  # 1 万元 in fen
A, B, C = "91330800MA2A000001", "91330800MA2A000002", "91330800MA2A000003"


def _enterprise(uscc: str, **overrides) -> dict:
    return {"uscc": uscc, "name": f"企业{uscc[-1]}", "org_unit": "330802", "industry": "C39",
            "is_manufacturing": True, "is_industrial": True, "is_listed": False,
            "is_provincial_or_central_owned": False, **overrides}


def _data(enterprises, facts=(), events=()) -> PolicyData:
    return PolicyData(pl.DataFrame(list(enterprises)), pl.DataFrame(list(facts), schema={
        "uscc": pl.String, "year": pl.Int32, "main_revenue": pl.Int64, "rd_spend": pl.Int64}),
        pl.DataFrame(list(events)) if events else None)


def _gaps(condition: str, rows: list[dict], *, on=("facts",)) -> pl.DataFrame:
    """met / short / gaps of one condition over ``rows``, as the matcher compiles it."""
    policies, _ = packaged()
    variables = readable(policies.variables, on)
    compiler = GapCompiler(variables, policies, set(policies.variables["facts"]))
    gap = compiler.gap(parse(condition))
    frame = pl.DataFrame(rows).with_columns(pl.lit(0, dtype=pl.UInt32).alias("eid"))
    return frame.with_columns(**compiler.history).select(
        gap.met.alias("met"), gap.short.alias("short"), gap.gaps.alias("gaps"))


def test_the_issue_sentence_for_a_money_threshold_with_its_ratio():
    found = _gaps("rd_spend >= 200万", [{"rd_spend": 188_500_000}]).row(0, named=True)
    assert found["met"] is False
    assert found["gaps"] == ["年度研发投入 188.5 万元，距 200 万元门槛还差 11.5 万元"]
    assert found["short"] == pytest.approx(0.0575)


@pytest.mark.parametrize(("condition", "value", "met", "sentence", "short"), [
    ("rd_spend >= 200万", 200 * WAN, True, None, 0.0),
    ("rd_spend > 200万", 200 * WAN, False, "年度研发投入 200 万元，距 200 万元门槛还差 0 元", 0.0),
    ("rd_spend <= 200万", 210 * WAN, False, "年度研发投入 210 万元，超过 200 万元上限 10 万元", 0.05),
    ("rd_spend < 200万", 200 * WAN, False, "年度研发投入 200 万元，超过 200 万元上限 0 元", 0.0),
    ("rd_spend == 200万", 190 * WAN, False, "年度研发投入 190 万元，须等于 200 万元", 0.05),
    ("rd_spend != 200万", 200 * WAN, False, "年度研发投入 200 万元，须不等于 200 万元", None),
    ("200万 <= rd_spend", 150 * WAN, False, "年度研发投入 150 万元，距 200 万元门槛还差 50 万元", 0.25),
    ("not rd_spend < 200万", 150 * WAN, False, "年度研发投入 150 万元，距 200 万元门槛还差 50 万元", 0.25),
    ("rd_spend >= 200万", None, False, "缺少年度研发投入数据", None),
])
def test_every_numeric_comparison(condition, value, met, sentence, short):
    found = _gaps(condition, [{"rd_spend": value}]).row(0, named=True)
    assert found["met"] is met
    assert found["gaps"] == ([] if sentence is None else [sentence])
    assert found["short"] == (pytest.approx(short) if short is not None else float("inf"))


def test_money_against_a_rate_of_another_figure():
    found = _gaps("rd_spend >= main_revenue * 3%", [{"rd_spend": 27 * WAN, "main_revenue": 1000 * WAN}]).row(0, named=True)
    assert found["gaps"] == ["年度研发投入 27 万元，距主营业务收入 × 3%（30 万元）还差 3 万元"]
    assert found["short"] == pytest.approx(0.1)


def test_prev_reads_last_year_with_its_label():
    found = _gaps("rd_spend >= prev(rd_spend)", [{"rd_spend": 90 * WAN, "prev__rd_spend": 100 * WAN}]).row(0, named=True)
    assert found["gaps"] == ["年度研发投入 90 万元，距上年研发投入（100 万元）还差 10 万元"]
    assert found["short"] == pytest.approx(0.1)


def test_and_lists_every_failing_part_and_the_farthest_decides():
    found = _gaps("rd_spend >= 200万 and rd_spend >= main_revenue * 3%",
                  [{"rd_spend": 180 * WAN, "main_revenue": 10000 * WAN}]).row(0, named=True)
    assert found["gaps"] == ["年度研发投入 180 万元，距 200 万元门槛还差 20 万元",
                             "年度研发投入 180 万元，距主营业务收入 × 3%（300 万元）还差 120 万元"]
    assert found["short"] == pytest.approx(0.4)


def test_or_is_as_near_as_its_closest_branch_which_alone_speaks():
    rows = [{"rd_spend": 190 * WAN, "main_revenue": 1000 * WAN}]
    found = _gaps("rd_spend >= 200万 or main_revenue >= 5000万", rows).row(0, named=True)
    assert found["gaps"] == ["年度研发投入 190 万元，距 200 万元门槛还差 10 万元"]
    assert found["short"] == pytest.approx(0.05)
    met = _gaps("rd_spend >= 200万 or main_revenue >= 500万", rows).row(0, named=True)
    assert (met["met"], met["gaps"], met["short"]) == (True, [], 0.0)


def test_not_of_an_and_is_pushed_to_its_parts():
    found = _gaps("not (rd_spend >= 100万 and main_revenue >= 100万)",
                  [{"rd_spend": 150 * WAN, "main_revenue": 300 * WAN}]).row(0, named=True)
    # not (a and b) = rd_spend < 100万 or main_revenue < 100万: the closer branch speaks.
    assert found["gaps"] == ["年度研发投入 150 万元，超过 100 万元上限 50 万元"]
    assert found["met"] is False


def test_bool_facts_and_their_negation_are_not_thresholds():
    rows = [{"is_industrial": False, "is_listed": True}]
    assert _gaps("is_industrial", rows)["gaps"][0].to_list() == ["需为工业企业"]
    assert _gaps("not is_listed", rows)["gaps"][0].to_list() == ["需不是上市公司"]
    assert _gaps("is_industrial", rows)["short"][0] == float("inf")


def test_in_and_text_equality_use_the_vocabulary_names():
    rows = [{"level": "municipal"}]
    found = _gaps('level in ("national", "provincial")', rows, on=("enterprise_tech_center",))
    assert found["gaps"][0].to_list() == ["级别须为国家级或省级"]
    assert _gaps('level == "national"', rows, on=("enterprise_tech_center",))["gaps"][0].to_list() == ["级别须为国家级"]
    assert _gaps('level != "municipal"', rows, on=("enterprise_tech_center",))["gaps"][0].to_list() == ["级别须不为市级"]
    assert _gaps('level in ("national", "provincial")', rows, on=("enterprise_tech_center",))["short"][0] == float("inf")


def test_rates_and_counts_are_shown_in_their_units():
    found = _gaps("local_share >= 70%", [{"local_share": 650_000}], on=("ipo_funds_raised",)).row(0, named=True)
    assert found["gaps"] == ["本地投资比例 65%，距 70%门槛还差 5%"]
    counted = _gaps("count >= 3", [{"count": 2}], on=("invention_patent_granted",)).row(0, named=True)
    assert counted["gaps"] == ["数量 2，距 3门槛还差 1"]
    assert counted["short"] == pytest.approx(1 / 3)


def test_first_time_is_near_until_reached_and_never_after():
    rows = [{"eid": 0, "year": 2022, "main_revenue": 2100 * WAN}, {"eid": 0, "year": 2023, "main_revenue": 2200 * WAN},
            {"eid": 1, "year": 2023, "main_revenue": 1900 * WAN}]
    policies, _ = packaged()
    compiler = GapCompiler(readable(policies.variables, ("facts",)), policies, set(policies.variables["facts"]))
    gap = compiler.gap(parse("first_time(main_revenue >= 2000万)"))
    found = pl.DataFrame(rows).with_columns(**compiler.history).select(gap.met.alias("met"), gap.short.alias("short"), gap.gaps.alias("gaps"))
    assert found["gaps"].to_list()[1] == ["往年已达到“主营业务收入 ≥ 2000万元”，本条仅奖励首次达到"]
    assert found["gaps"].to_list()[2] == ["年度主营业务收入 1900 万元，距 2000 万元门槛还差 100 万元"]
    assert found["short"].to_list()[1:] == [float("inf"), pytest.approx(0.05)]


def test_figures_are_shown_exactly_without_float():
    shown = pl.select(money_text(pl.lit(123_456_789_012_345_67, dtype=pl.Int64)).alias("m"),
                      money_text(pl.lit(12_345, dtype=pl.Int64)).alias("y"),
                      number_text(pl.lit(1235), 100).alias("d"), number_text(pl.lit(1235), 1000).alias("t"),
                      number_text(pl.lit(-1), 3).alias("third"))
    assert shown.row(0) == ("12345678901.2346 万元", "123.45 元", "12.35", "1.235", "-0.33")


def _city() -> PolicyData:
    facts = [
        {"uscc": A, "year": 2023, "main_revenue": 5000 * WAN, "rd_spend": 250 * WAN},   # meets article 8
        {"uscc": B, "year": 2023, "main_revenue": 5000 * WAN, "rd_spend": 188_500_000},  # 188.5万: near
        {"uscc": C, "year": 2023, "main_revenue": 100 * WAN, "rd_spend": 10 * WAN},      # far
    ]
    events = [{"uscc": A, "date": date(2023, 5, 1), "year": 2023, "kind": "enterprise_tech_center",
               "level": "provincial", "subject": "中心一"}]
    return _data([_enterprise(A), _enterprise(B), _enterprise(C, org_unit="330881")], facts, events)


def test_met_rules_carry_the_engines_own_amounts():
    data = _city()
    found = match(None, data, year=2023)
    awards = evaluate(data.enterprises, data.facts, data.events, 2023)
    met = found.filter(pl.col("met")).group_by("uscc", "rule_id").agg(pl.col("amount_fen").sum()).sort("uscc", "rule_id")
    engine = awards.group_by("uscc", pl.col("rule").alias("rule_id")).agg(pl.col("amount_fen").sum()).sort("uscc", "rule_id")
    assert met.equals(engine)
    tech = found.filter((pl.col("uscc") == A) & (pl.col("rule_id") == "enterprise_tech_center")).row(0, named=True)
    assert (tech["met"], tech["amount_fen"], tech["gaps"]) == (True, 30 * WAN, [])


def test_an_enterprise_sees_its_near_miss_with_the_gap_and_the_event_it_lacks():
    rows = for_enterprise(match(None, _city(), year=2023), B)
    rd = rows.filter(pl.col("rule_id") == "rd_subsidy").row(0, named=True)
    assert rd["gaps"] == ["年度研发投入 188.5 万元，距 200 万元门槛还差 11.5 万元"]
    assert rd["near"] is True and rd["gap_ratio"] == pytest.approx(0.0575)
    # What it would get at its figures: 5% of 188.5万 (no growth known) = 9.425万.
    assert rd["money_at_stake_fen"] == 9_425_000
    # Met rules first (it first reached 2000万 of revenue), then the near miss before the others.
    assert rows.filter(~pl.col("met")).row(0, named=True)["rule_id"] == "rd_subsidy"
    tech = rows.filter(pl.col("rule_id") == "enterprise_tech_center").row(0, named=True)
    assert tech["gaps"] == ["需2023年新获“企业技术（研发）中心认定”（国家级或省级）"]
    assert tech["gap_ratio"] is None and tech["near"] is False
    assert tech["money_at_stake_fen"] == 100 * WAN  # its top tier


def test_near_misses_within_a_fraction_of_every_threshold():
    found = match(None, _city(), year=2023)
    near = near_misses(found, within=0.1)
    assert near.select("uscc", "rule_id").rows() == [(B, "rd_subsidy")]
    assert near_misses(found, within=0.05).is_empty()
    # C is 95% short of 200万: a miss, never near, whatever is asked below 0.95.
    assert near_misses(found, within=0.9).filter(pl.col("uscc") == C).is_empty()


def test_rules_out_of_region_are_not_considered():
    # An enterprise outside 衢州 (杭州市上城区) cannot meet these policies by any figure.
    data = _city()
    outside = PolicyData(data.enterprises.with_columns(
        pl.when(pl.col("uscc") == C).then(pl.lit("330102")).otherwise(pl.col("org_unit")).alias("org_unit")),
        data.facts, data.events)
    found = match(None, outside, year=2023)
    assert found.filter(pl.col("uscc") == C).is_empty()
    assert found.filter(pl.col("uscc") == A).height == len(packaged()[0].rules())


def test_leaving_out_absent_events_or_far_rows_keeps_every_near_miss():
    data = _city()
    full, lean = match(None, data, year=2023), match(None, data, year=2023, absent_events=False)
    assert lean.height < full.height
    assert near_misses(lean, within=0.1).equals(near_misses(full, within=0.1))
    for within in (0.05, 0.1, 0.5, 1.0):
        only = match(None, data, year=2023, within=within, near_only=True)
        assert only.filter(~pl.col("near")).is_empty()
        assert near_misses(only, within=within).equals(near_misses(full, within=within))


def test_registry_facts_decimal_class_and_bool():
    # land_area_mu is a decimal fact (亩, two places: 1230 is 12.30 亩); mu_class a class; is_above_scale a yes/no.
    row = [{"land_area_mu": 1230, "mu_class": "B", "is_above_scale": False, "avg_employees": 95}]
    land = _gaps("land_area_mu >= 12.5", row).row(0, named=True)
    assert land["gaps"] == ["年度用地面积（含租用） 12.3 亩，距 12.5 亩门槛还差 0.2 亩"]
    assert land["short"] == pytest.approx(0.016)
    assert _gaps("avg_employees >= 100", row)["gaps"][0].to_list() == ["年度年平均职工人数 95 人，距 100 人门槛还差 5 人"]
    assert _gaps('mu_class == "A"', row)["gaps"][0].to_list() == ["年度亩均效益综合评价类别须为A"]
    assert _gaps('mu_class in ("A", "B")', row)["met"][0] is True
    assert _gaps('mu_class == "A"', row)["short"][0] == float("inf")
    assert _gaps("is_above_scale", row)["gaps"][0].to_list() == ["需为规模以上工业企业"]


def test_a_rule_reading_the_registry_facts_matches_end_to_end(tmp_path):
    from commerce_brain.policy.catalog import load_policy_catalog
    from test_fact_registry import class_catalog

    policies = load_policy_catalog(class_catalog(tmp_path / "catalog"))
    data = _city()
    facts = data.facts.with_columns(pl.lit(True).alias("is_above_scale"),
                                    pl.Series("mu_class", ["A", "A", "C"]),
                                    pl.Series("land_area_mu", [1300, 1200, 1300], dtype=pl.Int64))
    found = match(policies, PolicyData(data.enterprises, facts, data.events), year=2023, catalog=packaged()[1])
    rows = {r["uscc"]: r for r in found.filter(pl.col("rule_id") == "a_class_test").iter_rows(named=True)}
    assert (rows[A]["met"], rows[A]["amount_fen"]) == (True, 1 * WAN)
    assert rows[B]["gaps"] == ["年度用地面积（含租用） 12 亩，距 12.5 亩门槛还差 0.5 亩"] and rows[B]["near"] is True
    assert rows[C]["gaps"] == ["年度亩均效益综合评价类别须为A"] and rows[C]["gap_ratio"] is None
