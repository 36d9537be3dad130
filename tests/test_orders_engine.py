"""The 订单+清单 detectors (warning/orders.py) on hand-worked histories: each detector at its
threshold (just past it warns, just short of it does not), the seasonal band (a normal seasonal
dip is no warning, a dip below the band is, one freak year does not move it), the size floor,
missing months, a new reporter with no history, levels and reasons in words, the roll-ups, and
the settings refused when they are wrong."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from commerce_brain.catalog import CatalogError
from commerce_brain.followup import check_rows
from commerce_brain.io.orders_template import _months as months
from commerce_brain.warning.catalog import OrderSettings, load_order_settings, load_orders_catalog
from commerce_brain.warning.orders import (
    ORDER_SCHEMA, ROSTER_SCHEMA, detect, month_warnings, rollup, top_problems, warning_rows, with_reasons,
)

CATALOG = load_orders_catalog()
S = OrderSettings(yoy_fall=0.30, mom_fall=0.30, consecutive_falls=3, seasonal_k=3.0, seasonal_min_years=2,
                  seasonal_max_years=5, seasonal_min_band=0.10, size_floor_usd=50_000, red_yoy_fall=0.50,
                  red_findings=3)
A = "91330600MA2BX1001R"
B = "91330600MA2BX1002W"


def orders(series: dict[str, dict[str, int]], problems: str = "") -> pl.DataFrame:
    """{uscc: {month: new orders}} as an orders frame (in hand = 3 × new orders)."""
    rows = [{"uscc": u, "month": m, "new_orders_usd": v, "orders_in_hand_usd": 3 * v, "expected_exports_usd": v,
             "market": "US", "product_hs": "61", "problems": problems}
            for u, by_month in series.items() for m, v in by_month.items()]
    return pl.DataFrame(rows, schema=ORDER_SCHEMA)


def flat(first: str, last: str, value: int = 1_000_000) -> dict[str, int]:
    return dict.fromkeys(months(first, last), value)


def at(detected: pl.DataFrame, month: str, uscc: str = A) -> dict:
    return detected.filter((pl.col("uscc") == uscc) & (pl.col("month") == month)).row(0, named=True)


def found(series: dict[str, int], month: str, settings: OrderSettings = S) -> dict:
    return at(with_reasons(detect(orders({A: series}), settings)), month)


# ---- year on year ---------------------------------------------------------------------------------

def test_yoy_fall_at_its_threshold():
    """30% below the same month last year warns; 29.9% does not (one year of history: no band)."""
    history = flat("2024-01", "2025-01")
    assert found({**history, "2025-02": 700_000}, "2025-02")["yoy_fall"]
    none = found({**history, "2025-02": 701_000}, "2025-02")
    assert not none["yoy_fall"] and none["detector"] is None and none["reason"] is None


def test_yoy_needs_the_same_month_a_year_before():
    """A gap of more than a year is no year-on-year base (2023-02 is not last year of 2025-02)."""
    series = {**flat("2023-01", "2023-12"), **flat("2025-01", "2025-01"), "2025-02": 100_000}
    row = found(series, "2025-02")
    assert row["last_year_usd"] is None and not row["yoy_fall"]
    assert row["mom_fall"]  # the month before is there: −90%


# ---- month on month -------------------------------------------------------------------------------

def test_mom_fall_at_its_threshold():
    history = flat("2024-06", "2024-12")
    assert found({**history, "2025-01": 700_000}, "2025-01")["mom_fall"]
    assert not found({**history, "2025-01": 700_001}, "2025-01")["mom_fall"]


def test_missing_month_is_no_base_for_month_on_month():
    """2024-12 not reported: 2025-01 is not compared with 2024-11, and the run restarts."""
    series = {**flat("2024-06", "2024-11"), "2025-01": 100_000}
    row = found(series, "2025-01")
    assert row["prev_usd"] is None and not row["mom_fall"] and row["falls_run"] == 0
    assert row["detector"] is None


# ---- consecutive falls ----------------------------------------------------------------------------

def test_consecutive_falls_at_n():
    """Three small falls in a row warn (each under the month-on-month threshold); two do not."""
    base = flat("2024-06", "2024-10")
    series = {**base, "2024-11": 990_000, "2024-12": 980_000, "2025-01": 970_000}
    detected = with_reasons(detect(orders({A: series}), S))
    assert at(detected, "2024-12")["falls_run"] == 2 and not at(detected, "2024-12")["consecutive_falls"]
    last = at(detected, "2025-01")
    assert last["falls_run"] == 3 and last["consecutive_falls"] and not last["mom_fall"]
    assert last["detector"] == "orders_consecutive_falls" and last["reason"] == "新增订单连续3个月下降"


def test_a_run_is_broken_by_a_missing_month_and_by_a_rise():
    gap = {**flat("2024-06", "2024-09"), "2024-10": 990_000, "2024-12": 980_000, "2025-01": 970_000}
    assert found(gap, "2025-01")["falls_run"] == 1
    rise = {**flat("2024-06", "2024-09"), "2024-10": 990_000, "2024-11": 995_000, "2024-12": 980_000,
            "2025-01": 970_000}
    assert found(rise, "2025-01")["falls_run"] == 2


def test_runs_do_not_cross_enterprises():
    """B's first month is not compared with A's last one, though they sit next to each other."""
    detected = detect(orders({A: {"2024-01": 900_000, "2024-02": 800_000, "2024-03": 700_000},
                              B: {"2024-04": 100_000}}), S)
    row = at(detected, "2024-04", B)
    assert row["prev_usd"] is None and row["falls_run"] == 0


# ---- seasonal baseline ----------------------------------------------------------------------------

def seasonal(years: range, february: dict[int, int] | None = None) -> dict[str, int]:
    """1,000,000 a month, 700,000 every February (the Spring Festival dip), February overridden."""
    series = {}
    for y in years:
        for m in range(1, 13):
            series[f"{y}-{m:02d}"] = 700_000 if m == 2 else 1_000_000
        if february and y in february:
            series[f"{y}-02"] = february[y]
    return series


def test_a_normal_seasonal_dip_is_no_warning():
    """February falls 30% from January every year: with a baseline, that dip raises nothing."""
    row = found(seasonal(range(2021, 2026)), "2025-02")
    assert row["mom"] == pytest.approx(-0.30) and row["seasonal_normal"]
    assert row["season_median"] == 700_000 and row["season_years"] == 4
    assert not any(row[f] for f in ("mom_fall", "yoy_fall", "consecutive_falls", "below_seasonal"))


def test_a_dip_below_the_band_warns():
    """Identical Februaries give a MAD of 0: the band is then 10% of the median (630,000)."""
    below = found(seasonal(range(2021, 2026), {2025: 629_999}), "2025-02")
    assert below["season_low"] == pytest.approx(630_000) and below["below_seasonal"]
    assert below["detector"] == "orders_below_seasonal" and "低于季节基线" in below["reason"]
    assert below["mom_fall"]  # not a normal dip, so the month-on-month fall counts too
    edge = found(seasonal(range(2021, 2026), {2025: 630_000}), "2025-02")
    assert not edge["below_seasonal"] and not edge["mom_fall"]


def test_the_band_is_k_mad_wide_and_robust_to_a_freak_year():
    """Februaries 600k, 700k, 800k and a freak 5,000k: median 750k, MAD 100k, band 3 × 1.4826 ×
    100k = 444,780 below it. The freak year moves neither the median much nor the band."""
    row = found(seasonal(range(2021, 2026), {2021: 600_000, 2022: 700_000, 2023: 800_000, 2024: 5_000_000,
                                             2025: 306_000}), "2025-02")
    assert row["season_median"] == 750_000
    assert row["season_low"] == pytest.approx(750_000 - 3 * 1.4826 * 100_000)
    assert not row["below_seasonal"]
    assert found(seasonal(range(2021, 2026), {2021: 600_000, 2022: 700_000, 2023: 800_000, 2024: 5_000_000,
                                              2025: 305_000}), "2025-02")["below_seasonal"]


def test_no_band_under_the_minimum_years():
    """One earlier February is no baseline (min 2 years): the February dip is then a fall."""
    row = found(seasonal(range(2024, 2026)), "2025-02")
    assert row["season_low"] is None and row["season_years"] == 1
    assert row["mom_fall"] and row["detector"] == "orders_mom_fall"


def test_the_baseline_uses_at_most_the_last_max_years():
    row = found(seasonal(range(2015, 2026), {2015: 100, 2016: 100, 2017: 100, 2018: 100, 2019: 100}), "2025-02",
                replace(S, seasonal_max_years=5))
    assert row["season_years"] == 5 and row["season_median"] == 700_000


# ---- size floor, new reporters --------------------------------------------------------------------

def test_the_size_floor():
    """The largest of this month, the month before, last year and the median decides: 50,000 warns."""
    history = flat("2024-01", "2025-01", 50_000)
    assert found({**history, "2025-02": 10_000}, "2025-02")["detector"] == "orders_yoy_fall"
    tiny = found({**flat("2024-01", "2025-01", 49_999), "2025-02": 10_000}, "2025-02")
    assert not tiny["above_floor"] and tiny["detector"] is None and not tiny["yoy_fall"]


def test_a_new_reporter_with_no_history_raises_nothing():
    detected = detect(orders({A: {"2025-02": 5_000_000}, B: {"2025-02": 1}}), S)
    assert detected["detector"].null_count() == 2
    assert at(detected, "2025-02")["prev_usd"] is None and at(detected, "2025-02")["season_low"] is None


# ---- levels, reasons, rows ------------------------------------------------------------------------

def test_levels_and_the_reason_in_words():
    """A 38% fall year on year, three falls in a row and below the band: red (3 findings)."""
    series = seasonal(range(2021, 2026))
    series.update({"2024-11": 1_000_000, "2024-12": 900_000, "2025-01": 800_000, "2025-02": 434_000})
    row = found(series, "2025-02")
    assert row["level"] == "red"
    assert row["reason"].startswith("新增订单同比下降38%，环比下降46%，连续3个月下降，低于季节基线（往年同月中位数 70.0 万美元")
    yellow = found({**flat("2024-01", "2025-01"), "2025-02": 690_000}, "2025-02")
    assert yellow["level"] == "yellow"
    red = found({**flat("2024-01", "2025-01"), "2025-01": 500_000, "2025-02": 500_000}, "2025-02")
    assert red["yoy_fall"] and red["level"] == "red"  # 50% year on year


def test_warning_rows_fit_the_followup_shape():
    detected = detect(orders({A: {**flat("2024-01", "2025-01"), "2025-02": 100_000},
                              B: {**flat("2024-01", "2025-01"), "2025-02": 100_000}}), S)
    roster = pl.DataFrame({"uscc": [A], "name": ["甲公司"], "warning_point": ["柯桥区纺织品外贸预警点"], "org_unit": [None],
                           "industry": ["dyeing"]}, schema=ROSTER_SCHEMA)
    rows = warning_rows(month_warnings(detected, "2025-02"), roster, CATALOG, date(2025, 3, 1))
    checked = check_rows(rows)
    assert checked.height == 2
    first, second = checked.rows(named=True)
    assert (first["subject_name"], first["responsible_unit"], first["org_unit"]) == ("甲公司", "柯桥区纺织品外贸预警点", "330603")
    assert first["due_date"] == date(2025, 3, 16) and first["period"] == "2025-02"
    # An enterprise in no point's sample: named by its code, no owner.
    assert second["subject_name"] == f"企业 {B}" and second["responsible_unit"] is None


def test_rollups_by_point_and_problems_most_reported():
    detected = detect(pl.concat([
        orders({A: {**flat("2024-01", "2025-01"), "2025-02": 100_000}}, "tariff;shipping_cost"),
        orders({B: flat("2024-01", "2025-02", 2_000_000)}, "tariff")]), S)
    roster = pl.DataFrame({"uscc": [A, B], "name": ["甲", "乙"], "warning_point": ["越城区外贸预警点", "越城区外贸预警点"],
                           "org_unit": [None, None], "industry": ["textiles", "dyeing"]}, schema=ROSTER_SCHEMA)
    feb = rollup(detected, roster, "warning_point").filter(pl.col("month") == "2025-02").row(0, named=True)
    assert (feb["enterprises"], feb["at_risk"]) == (2, 1)
    assert feb["in_hand_usd"] == 300_000 + 6_000_000 and feb["share_at_risk"] == pytest.approx(300_000 / 6_300_000)
    top = top_problems(detected, roster, "industry").filter(pl.col("month") == "2025-02")
    assert top.filter(pl.col("industry") == "textiles")["problem"].to_list() == ["shipping_cost", "tariff"]
    with pytest.raises(ValueError):
        rollup(detected, roster, "uscc")


# ---- settings -------------------------------------------------------------------------------------

def test_settings_defaults_are_the_catalogs():
    assert load_order_settings() == OrderSettings()


@pytest.mark.parametrize(("text", "says"), [
    ("orders:\n  yoy_fall: '1.5'\n", "0 与 1"),
    ("orders:\n  red_yoy_fall: '0.2'\n", "red_yoy_fall"),
    ("orders:\n  seasonal_min_years: 6\n", "seasonal_max_years"),
    ("orders:\n  size_floor_usd: -1\n", "size_floor_usd"),
    ("orders:\n  surprise: 1\n", "surprise"),
])
def test_bad_settings_are_refused(tmp_path: Path, text: str, says: str):
    (tmp_path / "warning").mkdir()
    (tmp_path / "warning" / "settings.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=says):
        load_order_settings(tmp_path)
