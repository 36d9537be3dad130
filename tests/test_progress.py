"""The progress engine on hand-worked numbers, one growth kind and edge case at a time."""

import math

import pytest
from factories import CITY, indicator, indicators, obs, observations

from commerce_brain.indicators.progress import evaluate
from commerce_brain.indicators.status import Thresholds


def one(ind: dict, *rows: dict, year: int, **kwargs) -> dict:
    frame = evaluate(indicators(ind), observations(*rows), year, **kwargs)
    assert frame.height == 1
    return frame.row(0, named=True)


def test_growth_on_track_exactly_on_the_path():
    # 100 → 161.051 is 10% a year; 121 in 2022 is exactly on the path.
    row = one(indicator(), obs(2022, 121.0), year=2022)
    assert row["implied_growth"] == pytest.approx(0.10)
    assert row["achieved_growth"] == pytest.approx(0.10)
    assert row["required_growth"] == pytest.approx(0.10)
    assert row["path_value"] == pytest.approx(121.0)
    assert row["projected_value"] == pytest.approx(161.051)
    assert row["progress"] == pytest.approx(21 / 61.051)
    assert row["time_elapsed"] == pytest.approx(0.4)
    assert row["ratio"] == pytest.approx(1.0)
    assert row["status"] == "on_track"
    assert row["status_zh"] == "基本符合预期"


def test_growth_ahead_with_hand_worked_required_growth():
    row = one(indicator(), obs(2022, 130.0), year=2022)
    assert row["achieved_growth"] == pytest.approx(math.sqrt(1.3) - 1)        # 14.02%
    assert row["required_growth"] == pytest.approx((161.051 / 130) ** (1 / 3) - 1)  # 7.40%
    assert row["ratio"] == pytest.approx((math.sqrt(1.3) - 1) / 0.10)
    assert row["status"] == "ahead"


def test_growth_lagging():
    row = one(indicator(), obs(2022, 110.0), year=2022)
    assert row["achieved_growth"] == pytest.approx(0.0488088, abs=1e-7)
    assert row["status"] == "lagging"


def test_target_already_met_is_achieved_early():
    row = one(indicator(), obs(2022, 170.0), year=2022)
    assert row["status"] == "achieved_early"
    assert row["status_zh"] == "提前实现"


def test_target_met_in_the_last_year_reads_achieved():
    row = one(indicator(), obs(2025, 161.051), year=2025)
    assert row["status"] == "achieved_early"
    assert row["status_zh"] == "已实现"


def test_last_year_of_the_plan_has_no_required_growth():
    row = one(indicator(), obs(2025, 150.0), year=2025)
    assert row["required_growth"] is None
    assert row["time_elapsed"] == pytest.approx(1.0)
    assert row["ratio"] == pytest.approx((1.5 ** 0.2 - 1) / 0.1)
    assert row["status"] == "lagging"


def test_thresholds_are_configurable():
    ind, actual = indicator(), obs(2022, 130.0)
    assert one(ind, actual, year=2022)["status"] == "ahead"
    assert one(ind, actual, year=2022, thresholds=Thresholds(ahead=1.5, on_track=0.5))["status"] == "on_track"
    assert one(ind, obs(2022, 110.0), year=2022, thresholds=Thresholds(ahead=1.5, on_track=0.4))["status"] == "on_track"


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="on_track"):
        Thresholds(ahead=0.9, on_track=1.0)


def test_point_change_progress_against_time():
    ind = indicator(unit="%", base_value=15.9, target_value=18.0, growth_kind="point_change",
                    stated_growth="比重提升2.1%")
    row = one(ind, obs(2023, 16.95), year=2023)
    assert row["progress"] == pytest.approx(0.5)
    assert row["time_elapsed"] == pytest.approx(0.6)
    assert row["ratio"] == pytest.approx(0.5 / 0.6)
    assert row["path_value"] == pytest.approx(15.9 + 2.1 * 0.6)
    assert row["achieved_growth"] is None
    assert row["status"] == "lagging"


def test_count_from_zero():
    ind = indicator(unit="个", base_value=0.0, target_value=6.0, growth_kind="count", stated_growth=None)
    row = one(ind, obs(2023, 4.0), year=2023)
    assert row["progress"] == pytest.approx(4 / 6)
    assert row["projected_value"] == pytest.approx(4 / 0.6)
    assert row["status"] == "ahead"


def test_share_met_is_achieved():
    ind = indicator(unit="%", base_value=40.0, target_value=50.0, growth_kind="share", stated_growth=None)
    assert one(ind, obs(2022, 50.0), year=2022)["status"] == "achieved_early"


@pytest.mark.parametrize("base", [0.0, -5.0])
def test_zero_or_negative_base_falls_back_to_linear_progress(base):
    ind = indicator(base_value=base, target_value=5.0 if base < 0 else 10.0)
    target = ind["target_value"]
    actual = base + (target - base) * 0.5
    row = one(ind, obs(2023, actual), year=2023)
    assert row["implied_growth"] is None
    assert row["achieved_growth"] is None
    assert row["progress"] == pytest.approx(0.5)
    assert row["ratio"] == pytest.approx(0.5 / 0.6)
    assert row["status"] == "lagging"


def test_cumulative_sums_flows_against_the_five_year_total():
    ind = indicator(base_value=250.0, target_value=300.0, growth_kind="cumulative", stated_growth="[300]")
    row = one(ind, obs(2021, 50.0), obs(2022, 70.0), obs(2023, 60.0), year=2023)
    assert row["actual"] == pytest.approx(180.0)
    assert row["progress"] == pytest.approx(0.6)
    assert row["path_value"] == pytest.approx(180.0)
    assert row["projected_value"] == pytest.approx(300.0)
    assert row["flows_missing"] == 0
    assert row["status"] == "on_track"


def test_cumulative_with_a_missing_year_counts_it():
    ind = indicator(base_value=250.0, target_value=300.0, growth_kind="cumulative", stated_growth="[300]")
    row = one(ind, obs(2021, 50.0), obs(2023, 60.0), year=2023)
    assert row["actual"] == pytest.approx(110.0)
    assert row["flows_missing"] == 1
    assert row["status"] == "lagging"


def test_cumulative_period_total_as_printed():
    ind = indicator(base_year=2015, target_year=2020, base_value=2.92, target_value=3.0,
                    growth_kind="cumulative", stated_growth="[3]")
    row = one(ind, obs(2020, 3.52, period_total=True), year=2020)
    assert row["actual"] == pytest.approx(3.52)
    assert row["status"] == "achieved_early"


@pytest.mark.parametrize(("actual", "status"), [(95.0, "lagging"), (90.0, "ahead"), (84.0, "achieved_early")])
def test_lower_is_better_growth(actual, status):
    ind = indicator(base_value=100.0, target_value=85.0, direction="lower", stated_growth=None)
    row = one(ind, obs(2022, actual), year=2022)
    assert row["implied_growth"] == pytest.approx(0.85 ** 0.2 - 1)
    assert row["status"] == status


def test_lower_is_better_points():
    ind = indicator(unit="%", base_value=10.0, target_value=8.0, direction="lower",
                    growth_kind="point_change", stated_growth=None)
    row = one(ind, obs(2023, 9.0), year=2023)
    assert row["progress"] == pytest.approx(0.5)
    assert row["status"] == "lagging"
    assert one(ind, obs(2023, 7.9), year=2023)["status"] == "achieved_early"


def test_strict_comparator_needs_more_than_the_target():
    ind = indicator(target_comparator=">", growth_kind="share", base_value=80.0, target_value=90.0)
    assert one(ind, obs(2022, 90.0), year=2022)["status"] != "achieved_early"
    assert one(ind, obs(2022, 90.1), year=2022)["status"] == "achieved_early"


def test_missing_actual_is_no_data():
    row = one(indicator(), obs(2021, 110.0), year=2022)
    assert row["actual"] is None
    assert row["status"] == "no_data"


def test_qualitative_target_is_not_assessable():
    ind = indicator(target_value=None, target_text="高于全省平均", stated_growth=None, growth_kind="share")
    row = one(ind, obs(2022, 88.0), year=2022)
    assert row["status"] == "not_assessable"


def test_years_outside_the_plan_window_are_left_out():
    ind = indicators(indicator())
    assert evaluate(ind, observations(obs(2020, 100.0)), 2020).is_empty()
    assert evaluate(ind, observations(obs(2026, 170.0)), 2026).is_empty()


def test_comparable_prices_chain_the_published_real_growth():
    ind = indicator(base_value=887.4, target_value=1400.0, stated_growth=">7.5", price_basis="comparable")
    rows = (obs(2021, 960.0, real_growth=0.08), obs(2022, 1040.0, real_growth=0.07))
    row = one(ind, *rows, year=2022)
    chain = 1.08 * 1.07
    assert row["growth_basis"] == "comparable"
    assert row["implied_growth"] == pytest.approx(0.075)
    assert row["achieved_growth"] == pytest.approx(math.sqrt(chain) - 1)
    assert row["required_growth"] == pytest.approx((1.075 ** 5 / chain) ** (1 / 3) - 1)
    assert row["progress"] == pytest.approx((1040 - 887.4) / (1400 - 887.4))  # levels stay levels
    assert row["status"] == "on_track"


def test_comparable_prices_without_every_rate_fall_back_to_levels():
    ind = indicator(base_value=887.4, target_value=1400.0, stated_growth=">7.5", price_basis="comparable")
    row = one(ind, obs(2021, 960.0), obs(2022, 1040.0, real_growth=0.07), year=2022)
    assert row["growth_basis"] == "current"
    assert row["achieved_growth"] == pytest.approx((1040 / 887.4) ** 0.5 - 1)


def test_county_takes_its_own_base_and_the_plans_growth():
    county = "330802"
    row = one(indicator(), obs(2020, 20.0, org_unit=county), obs(2022, 24.2, org_unit=county),
              year=2022, org_units=[county])
    assert row["org_unit"] == county
    assert row["base_value"] == pytest.approx(20.0)
    assert row["target_value"] == pytest.approx(20 * 1.61051)
    assert row["target_basis"] == "scaled_from_plan"
    assert row["status"] == "on_track"


def test_county_points_target_shifts_by_the_plans_points():
    ind = indicator(unit="%", base_value=15.9, target_value=18.0, growth_kind="point_change")
    row = one(ind, obs(2020, 10.0, org_unit="330803"), obs(2023, 11.0, org_unit="330803"),
              year=2023, org_units=["330803"])
    assert row["target_value"] == pytest.approx(12.1)


def test_county_without_a_base_observation_has_no_target():
    row = one(indicator(), obs(2022, 24.2, org_unit="330802"), year=2022, org_units=["330802"])
    assert row["target_value"] is None
    assert row["status"] == "not_assessable"


def test_a_rate_alone_fixes_the_target_from_the_observed_base():
    ind = indicator(base_year=2018, target_year=2022, base_value=None, target_value=None, stated_growth=">7")
    row = one(ind, obs(2018, 50.0), obs(2020, 50 * 1.07 ** 2), year=2020)
    assert row["target_basis"] == "stated_growth"
    assert row["target_value"] == pytest.approx(50 * 1.07 ** 4)
    assert row["achieved_growth"] == pytest.approx(0.07)
    assert row["status"] == "on_track"


def test_many_indicators_evaluated_together_keep_catalog_order():
    rows = [indicator(indicator=f"i{n}") for n in range(5)]
    data = [obs(2022, 100.0 + 10 * n, indicator=f"i{n}") for n in range(5)]
    frame = evaluate(indicators(*rows), observations(*data), 2022)
    assert frame["indicator"].to_list() == [f"i{n}" for n in range(5)]
    assert frame["status"].to_list() == ["lagging", "lagging", "on_track", "ahead", "ahead"]
    assert set(frame["org_unit"]) == {CITY}
