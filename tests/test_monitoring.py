"""Pace (序时进度), trajectories, layering of observations and the demo data."""

import polars as pl
import pytest
from factories import CITY, indicator, indicators, obs, observations

from commerce_brain.demo import demo_observations
from commerce_brain.indicators.explain import explain
from commerce_brain.indicators.pace import pace
from commerce_brain.indicators.progress import evaluate
from commerce_brain.indicators.trajectory import trajectory
from commerce_brain.monitoring import evaluation_table, gather_observations, plans_covering


def test_pace_against_the_years_path_value_and_prior_year():
    ind = indicators(indicator())
    data = observations(obs(2022, 121.0), obs(2022, 60.0, month=6), obs(2021, 50.0, month=6))
    evaluation = evaluate(ind, data, 2022)
    row = pace(ind, data, 2022, 6, evaluation).row(0, named=True)
    assert row["annual_target"] == pytest.approx(121.0)          # the path value for 2022
    assert row["completion"] == pytest.approx(60 / 121)
    assert row["time_share"] == pytest.approx(0.5)
    assert row["pace_gap"] == pytest.approx(60 / 121 - 0.5)
    assert row["ytd_growth"] == pytest.approx(0.2)              # 累计同比
    assert row["on_pace"] is False


def test_pace_for_a_five_year_sum_uses_an_even_yearly_share():
    ind = indicators(indicator(base_value=250.0, target_value=300.0, growth_kind="cumulative"))
    data = observations(obs(2022, 40.0, month=9))
    row = pace(ind, data, 2022, 9, evaluate(ind, data, 2022)).row(0, named=True)
    assert row["annual_target"] == pytest.approx(60.0)
    assert row["on_pace"] is False  # 40/60 = 66.7% < 75% of the year


def test_pace_refuses_month_13():
    ind = indicators(indicator())
    with pytest.raises(ValueError, match="month"):
        pace(ind, observations(), 2022, 13, evaluate(ind, observations(), 2022))


def test_trajectory_runs_base_to_target_with_projection_from_now():
    ind = indicators(indicator())
    data = observations(obs(2020, 100.0), obs(2021, 110.0), obs(2022, 121.0))
    evaluation = evaluate(ind, data, 2022)
    series = trajectory(evaluation, data)
    assert series["year"].to_list() == [2020, 2021, 2022, 2023, 2024, 2025]
    assert series["path_value"].to_list() == pytest.approx([100, 110, 121, 133.1, 146.41, 161.051])
    assert series["actual"].to_list()[:3] == [100.0, 110.0, 121.0]
    assert series["actual"].to_list()[3:] == [None, None, None]
    assert series["projected"].to_list()[2:] == pytest.approx([121, 133.1, 146.41, 161.051])
    assert series["projected"].to_list()[:2] == [None, None]


def test_explanation_shows_formula_with_figures():
    ind = indicators(indicator())
    row = evaluate(ind, observations(obs(2022, 110.0)), 2022).row(0, named=True)
    text = explain(row)
    assert "(161.1/100)^(1/5)−1=10.00%" in text
    assert "(110/100)^(1/2)−1=4.88%" in text
    assert "滞后" in text and "「测试」" in text


def test_later_layers_win_and_statistics_serve_every_plan(catalog):
    stored = observations(obs(2021, 800.0, plan="qz_commerce_14th", indicator="retail_sales"))
    overlay = observations(obs(2021, 810.0, plan="qz_commerce_14th", indicator="retail_sales"))
    layered = gather_observations(catalog, None, pl.concat([stored, overlay]))
    both = layered.filter((pl.col("indicator") == "retail_sales") & (pl.col("period") == "2021"))
    # One figure for 14th commerce, the same figure borrowed by the services plan (same id, unit).
    assert sorted(both.select("plan", "value").rows()) == [("qz_commerce_14th", 810.0), ("qz_services_14th", 810.0)]


def test_statistics_are_not_shared_across_units(catalog):
    # 境外企业中方投资额 is in 万美元 in the 14th plan and 亿美元 in the 13th table.
    data = observations(obs(2020, 4810.7, plan="qz_commerce_14th", indicator="outward_investment_chinese_side"))
    layered = gather_observations(catalog, None, data)
    assert layered.filter(pl.col("indicator") == "outward_investment_chinese_side")["plan"].to_list() == [
        "qz_commerce_13th", "qz_commerce_14th"]  # the 13th row is its own printed total, not borrowed
    assert layered.filter(pl.col("plan") == "qz_commerce_13th", pl.col("indicator") == "outward_investment_chinese_side")[
        "value"].to_list() == [13.95]


def test_county_evaluation_only_covers_plans_above_it(catalog):
    assert "sx_commerce_14th" not in plans_covering(catalog, "330802")
    assert "qz_commerce_14th" in plans_covering(catalog, "330802")
    demo = demo_observations(catalog)
    frame = evaluation_table(catalog, gather_observations(catalog, None, demo), 2023, org_unit="330802")
    assert set(frame["org_unit"]) == {"330802"}
    assert set(frame["org_unit_name"]) == {"柯城区"}
    retail = frame.filter((pl.col("plan") == "qz_commerce_14th") & (pl.col("indicator") == "retail_sales")).row(0, named=True)
    assert retail["target_basis"] == "scaled_from_plan"
    assert retail["status"] in {"ahead", "on_track", "lagging", "achieved_early"}


def test_demo_data_is_repeatable_and_covers_every_status(catalog):
    first, second = demo_observations(catalog), demo_observations(catalog)
    assert first.equals(second)
    assert set(first["source"]) == {"演示数据 demo"}
    frame = evaluation_table(catalog, gather_observations(catalog, None, first), 2023)
    assert {"ahead", "on_track", "lagging", "achieved_early"} <= set(frame["status"])
    assert frame.filter(pl.col("plan") == "qz_commerce_14th")["org_unit"].unique().to_list() == [CITY]
    # The plan's printed base is kept exactly, so demo and catalog agree on the start.
    base = first.filter((pl.col("plan") == "qz_commerce_14th") & (pl.col("indicator") == "retail_sales")
                        & (pl.col("org_unit") == CITY) & (pl.col("period") == "2020"))
    assert base["value"].to_list() == [757.0]


def test_explanation_names_a_missing_base_rather_than_a_missing_target():
    ind = indicators(indicator(growth_kind="share", base_value=None, target_value=50.0))
    row = evaluate(ind, observations(obs(2022, 40.0, org_unit="330802")), 2022, org_units=["330802"]).row(0, named=True)
    assert row["status"] == "not_assessable"
    assert "缺少2020年基期值" in explain(row)


def test_demo_never_overrides_printed_outcomes(catalog):
    demo = demo_observations(catalog)
    assert demo.filter(pl.col("plan") == "qz_commerce_13th").is_empty()
    frame = evaluation_table(catalog, gather_observations(catalog, None, demo), 2020)
    retail = frame.filter((pl.col("plan") == "qz_commerce_13th") & (pl.col("indicator") == "retail_sales"))
    assert retail["actual"].to_list() == [757.0]
