"""The leading (龙头) and benchmark (标杆) lists of article 1: every exclusion, the cut, a tie at
the cut resolved by the stated tie-break, one enterprise on one list."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from commerce_brain.grading.catalog import load_grading_settings, load_leader_rules
from commerce_brain.grading.evaluate import evaluate
from commerce_brain.grading.leaders import select_leaders
from commerce_brain.grading.synthetic import synthetic_grading_facts

RULES = load_leader_rules()
YI = 100_000_000 * 100  # fen in 1亿元


def candidates(*rows: tuple) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(uscc, size_class, class, total, main_revenue fen, tax fen, industry, safety, env) → graded, facts."""
    cols = ["uscc", "size_class", "class", "total", "main_revenue", "tax_paid", "industry", "safety_incident", "env_violation"]
    data = pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])
    graded = data.select("uscc", pl.format("企业{}", "uscc").alias("name"), "size_class", "class", "total",
                         pl.lit(7, pl.Int64).alias("rank"))
    return graded, data.select("uscc", "main_revenue", "tax_paid", "industry", "safety_incident", "env_violation")


def decision(result: pl.DataFrame, lst: str, uscc: str) -> dict:
    return result.filter((pl.col("list") == lst) & (pl.col("uscc") == uscc)).row(0, named=True)


def test_every_exclusion_is_named():
    graded, facts = candidates(
        ("top", "above", "A", 150.0, 5 * YI, YI, "C26", False, False),
        ("small", "below", "A", 149.0, 5 * YI, YI, "C26", False, False),
        ("thin", "above", "A", 148.0, YI - 1, YI, "C26", False, False),
        ("dclass", "above", "D", 147.0, 5 * YI, YI, "C26", False, False),
        ("unsafe", "above", "A", 146.0, 5 * YI, YI, "C26", True, False),
        ("dirty", "above", "B", 145.0, 5 * YI, YI, "C26", False, True),
        ("cclass", "above", "C", 144.0, 5 * YI, YI, "C26", False, False),
    )
    result = select_leaders(graded, facts, RULES, size=50)
    assert result.height == 14  # every enterprise considered for each list
    reasons = {u: decision(result, "leading", u)["reason"] for u in graded["uscc"]}
    assert reasons["small"] == "本名单只选规上企业"
    assert reasons["thin"] == "主营业务收入9999.99万元，低于本名单门槛10000万元"
    assert reasons["dclass"] == "亩均效益评价为D类，本名单不选D类企业"
    assert reasons["unsafe"] == "发生较大及以上安全生产事故，不列入本名单"
    assert reasons["dirty"] == "受到环境行政处罚，不列入本名单"
    assert reasons["top"] == "亩均效益综合得分150分，排第1名，入选龙头企业"
    assert decision(result, "leading", "cclass")["selected"] and decision(result, "leading", "cclass")["rank"] == 2
    # The benchmark list: 规下 allowed, C and D out, the leaders already taken.
    assert decision(result, "benchmark", "top")["reason"] == "已入选龙头企业名单，一家企业只列入一个名单"
    assert decision(result, "benchmark", "cclass")["reason"] == "亩均效益评价为C类，本名单不选C、D类企业"
    assert decision(result, "benchmark", "small")["selected"] and decision(result, "benchmark", "small")["rank"] == 1
    assert decision(result, "benchmark", "thin")["selected"]  # no revenue floor on this list
    excluded = result.filter(pl.col("rank").is_null())
    assert not excluded["selected"].any()


def test_an_industry_filter_excludes_the_others():
    rules = dataclasses.replace(RULES, lists=(dataclasses.replace(RULES.lists[0], industries=("C26",)),))
    graded, facts = candidates(("chem", "above", "A", 100.0, 5 * YI, YI, "C2611", False, False),
                               ("steel", "above", "A", 120.0, 5 * YI, YI, "C31", False, False))
    result = select_leaders(graded, facts, rules)
    assert decision(result, "leading", "chem")["selected"]
    assert decision(result, "leading", "steel")["reason"] == "所属行业不在本名单的行业范围内"


def test_a_tie_at_the_cut_goes_to_the_higher_revenue_and_says_so():
    graded, facts = candidates(
        ("first", "above", "A", 120.0, 2 * YI, YI, "C26", False, False),
        ("tie_small", "above", "A", 100.0, 2 * YI, 3 * YI, "C26", False, False),
        ("tie_big", "above", "A", 100.0, 3 * YI, YI, "C26", False, False),
        ("tie_big_lowtax", "above", "A", 100.0, 3 * YI, YI // 2, "C26", False, False),
        ("last", "above", "B", 90.0, 9 * YI, 9 * YI, "C26", False, False),
    )
    result = select_leaders(graded, facts, RULES, size=2).filter(pl.col("list") == "leading")
    assert result.filter(pl.col("selected"))["uscc"].to_list() == ["first", "tie_big"]
    assert [decision(result, "leading", u)["rank"] for u in ("tie_big", "tie_big_lowtax", "tie_small", "last")] == [2, 3, 4, 5]
    assert decision(result, "leading", "tie_big")["reason"] == \
        "亩均效益综合得分100分，排第2名，入选龙头企业；与未入选企业得分相同，按主营业务收入、实缴税金较高者优先"
    assert decision(result, "leading", "tie_big_lowtax")["reason"] == \
        "亩均效益综合得分100分，与第2名得分相同，按主营业务收入、实缴税金较高者优先，排第3名，未入选"
    assert decision(result, "leading", "last")["reason"] == "亩均效益综合得分90分，排第5名，未进入前2名"
    assert decision(result, "leading", "first")["reason"] == "亩均效益综合得分120分，排第1名，入选龙头企业"


def test_fifty_are_drawn_for_each_list_from_a_synthetic_city():
    facts = synthetic_grading_facts(3_000, seed=5)
    graded = evaluate(facts, load_grading_settings(), year=2023).graded
    result = select_leaders(graded, facts, RULES)
    chosen = result.filter(pl.col("selected"))
    assert chosen.group_by("list").len().sort("list").rows() == [("benchmark", 50), ("leading", 50)]
    assert chosen["uscc"].n_unique() == 100  # no enterprise on both lists
    leading = chosen.filter(pl.col("list") == "leading")
    assert leading["score"].to_list() == sorted(leading["score"].to_list(), reverse=True)
    assert result.height == 2 * graded.height and result["reason"].null_count() == 0


def test_a_list_of_none_is_refused():
    graded, facts = candidates(("a", "above", "A", 1.0, YI, YI, "C26", False, False))
    with pytest.raises(ValueError, match="at least one"):
        select_leaders(graded, facts, RULES, size=0)
