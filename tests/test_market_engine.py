"""The consumer market engine (消费市场监测): 累计, 累计同比 and 环比 per series, missing months,
the link to the plans' year targets through the monthly clock of ``plans pace``, and both
warnings at their thresholds."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from commerce_brain.catalog import load_catalog
from commerce_brain.followup import check_rows
from commerce_brain.monitoring import evaluation_table, gather_observations
from commerce_brain.warning.market import (
    BELOW_PACE,
    FEN_PER_YI,
    RETAIL_SCHEMA,
    YTD_FALL,
    market_pace,
    market_table,
    market_warnings,
)
from commerce_brain.warning.market_catalog import load_market_catalog

CATALOG, MARKET = load_catalog(), load_market_catalog()
NAMES = {u.code: u.name_zh for u in CATALOG.org_units}
EVALUATION_2024 = evaluation_table(CATALOG, gather_observations(CATALOG), 2024)
RAISED_ON = date(2024, 7, 10)


def series(org: str, kind: str, name: str, prior: int, now: int, months: int = 6, *, skip=()) -> list[tuple]:
    """A flat series: ``prior`` fen every month of 2023, ``now`` every month of 2024 up to ``months``."""
    rows = [(f"2023-{m:02d}", org, kind, name, prior) for m in range(1, 13)]
    return rows + [(f"2024-{m:02d}", org, kind, name, now) for m in range(1, months + 1) if m not in skip]


def frame(*parts: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame([r for p in parts for r in p], schema=RETAIL_SCHEMA, orient="row")


def warnings_for(retail: pl.DataFrame, month: int = 6) -> pl.DataFrame:
    table = market_table(retail, 2024, month)
    paced = market_pace(retail, table, CATALOG.indicators_frame(), EVALUATION_2024, MARKET)
    return market_warnings(paced, MARKET, NAMES, RAISED_ON)


def test_year_to_date_growth_and_month_on_month():
    retail = frame([(f"2023-{m:02d}", "330603", "category", "autos", 100 * m) for m in range(1, 13)]
                   + [("2024-01", "330603", "category", "autos", 120), ("2024-02", "330603", "category", "autos", 150)])
    row = market_table(retail, 2024, 2).row(0, named=True)
    assert (row["ytd_fen"], row["ytd_prior_fen"], row["months_reported"]) == (270, 300, 2)
    assert row["ytd_growth"] == pytest.approx(-0.1)
    assert row["mom_growth"] == pytest.approx(150 / 120 - 1)
    january = market_table(retail, 2024, 1).row(0, named=True)
    # January's month before is December of the year before.
    assert january["mom_growth"] == pytest.approx(120 / 1200 - 1)


def test_a_missing_month_leaves_the_year_to_date_empty_and_raises_nothing():
    retail = frame(series("330624", "total", "", 1000, 500, skip=(3,)))
    row = market_table(retail, 2024, 6).row(0, named=True)
    assert row["months_reported"] == 5 and row["ytd_fen"] is None and row["ytd_growth"] is None
    assert warnings_for(retail).is_empty()


def test_a_new_series_with_no_history_has_no_growth_and_raises_nothing():
    retail = frame([(f"2024-{m:02d}", "330603", "retailer", "新开业商场", 500) for m in range(1, 7)])
    row = market_table(retail, 2024, 6).row(0, named=True)
    assert row["ytd_fen"] == 3000 and row["ytd_prior_fen"] is None and row["ytd_growth"] is None
    assert warnings_for(retail).is_empty()


def test_the_plan_target_and_the_growth_it_needs():
    prior = 240 * FEN_PER_YI  # 240亿元 a month: 2880亿元 in 2023
    retail = frame(series("330600", "total", "", prior, prior * 106 // 100))
    paced = market_pace(retail, market_table(retail, 2024, 6), CATALOG.indicators_frame(), EVALUATION_2024, MARKET)
    row = paced.row(0, named=True)
    target = EVALUATION_2024.filter((pl.col("plan") == "sx_commerce_14th") & (pl.col("indicator") == "retail_sales")
                                    )["path_value"][0]
    assert row["plan"] == "sx_commerce_14th" and row["indicator"] == "retail_sales"
    assert row["annual_target_fen"] == round(target * FEN_PER_YI)
    assert row["target_growth"] == pytest.approx(target / 2880 - 1)
    ytd, ytd_prior = 6 * prior * 106 // 100, 6 * prior
    assert row["needed_growth"] == pytest.approx((row["annual_target_fen"] - ytd) / (12 * prior - ytd_prior) - 1)
    assert row["behind_pace"] is True


def test_behind_pace_is_yellow_within_the_gap_and_red_beyond_it():
    prior = 240 * FEN_PER_YI
    target_growth = EVALUATION_2024.filter((pl.col("plan") == "sx_commerce_14th")
                                           & (pl.col("indicator") == "retail_sales"))["path_value"][0] / 2880 - 1
    gap = MARKET.settings.red_gap_points / 100

    def level(growth: float) -> str | None:
        found = warnings_for(frame(series("330600", "total", "", prior, round(prior * (1 + growth)))))
        found = found.filter(pl.col("detector") == BELOW_PACE)
        return found["level"][0] if found.height else None

    assert level(target_growth + 0.001) is None  # on pace: nothing
    assert level(target_growth - 0.001) == "yellow"  # just behind
    assert level(target_growth - gap + 0.001) == "yellow"  # within the red gap
    assert level(target_growth - gap - 0.001) == "red"  # beyond it


def test_a_series_without_a_plan_target_is_never_behind_pace():
    # A county's total: no plan sets 柯桥区's retail target; a 1% growth is no pace warning.
    retail = frame(series("330603", "total", "", 1000, 1010))
    paced = market_pace(retail, market_table(retail, 2024, 6), CATALOG.indicators_frame(), EVALUATION_2024, MARKET)
    assert paced["annual_target_fen"][0] is None and paced["behind_pace"][0] is None
    assert warnings_for(retail).is_empty()


@pytest.mark.parametrize(("now", "level"), [(950, None), (949, "yellow"), (850, "yellow"), (849, "red")])
def test_a_year_to_date_fall_at_its_thresholds(now, level):
    # 5% fall is the line (yellow beyond it), 15% the red line.
    found = warnings_for(frame(series("330603", "category", "autos", 1000, now)))
    assert (found["level"][0] if found.height else None) == level
    if level:
        row = found.row(0, named=True)
        assert row["detector"] == YTD_FALL and row["responsible_unit"] == "柯桥区商务局"
        assert row["subject_name"] == "柯桥区分类别零售额·汽车类" and row["period"] == "2024-06"
        assert "1–6月累计同比下降" in row["reason"] and "%" in row["reason"]


def test_the_reason_reads_in_words_and_the_rows_pass_the_warning_shape():
    prior = 240 * FEN_PER_YI
    found = warnings_for(frame(series("330600", "total", "", prior, prior * 104 // 100),
                               series("330602", "total", "", 1000, 800)))
    checked = check_rows(found)  # the WARNING ROW SHAPE, vocabulary included
    pace = checked.filter(pl.col("detector") == BELOW_PACE).row(0, named=True)
    assert pace["reason"].startswith("绍兴市社会消费品零售总额1–6月累计同比增长4.0%，低于完成全年目标所需的增长")
    assert "余下月份须同比增长" in pace["reason"] and pace["due_date"] == date(2024, 7, 25)
    fall = checked.filter(pl.col("detector") == YTD_FALL).row(0, named=True)
    assert fall["reason"] == "越城区社会消费品零售总额1–6月累计同比下降20.0%，降幅超过5%的预警线"
    assert fall["level"] == "red"
