"""The 订单+清单 export-order detectors. Pure and columnar: frames in, frames out, no loop over rows.

Input: ``orders`` (ORDER_SCHEMA, one row per enterprise × month as reported; months may be
missing) and the settings. Every detector compares an enterprise's new export orders
(``new_orders_usd``, integer US dollars) with its own history:

- **同比下降** (``orders_yoy_fall``): at least ``yoy_fall`` below the same month a year before.
- **环比下降** (``orders_mom_fall``): at least ``mom_fall`` below the month before.
- **连续下降** (``orders_consecutive_falls``): ``consecutive_falls`` month-on-month falls in a row,
  over months reported back to back (a missing month breaks the run: nothing is known of it).
- **低于季节基线** (``orders_below_seasonal``): below the band of the same calendar month in the
  earlier years (at most ``seasonal_max_years``, at least ``seasonal_min_years`` of them):
  median − max(k × 1.4826 × MAD, ``seasonal_min_band`` × median). Median and MAD, not mean and
  standard deviation, so that one freak year does not move the band.
- A month within its seasonal band is a **normal seasonal dip**: a month-on-month fall or a run
  of falls there is no warning (the enterprise always dips that month).
- **Size floor**: when the largest of this month, the month before, the same month last year and
  the seasonal median is below ``size_floor_usd``, nothing is raised (tiny exporters).
- A new reporter has no month before, no last year and no baseline: it raises nothing.

An enterprise-month with any finding is one warning: its detector is the first finding in
DETECTOR_ZH's order, its reason lists them all in words (“新增订单同比下降38%，连续3个月下降，
低于季节基线…”); red when the year-on-year fall reaches ``red_yoy_fall`` or the findings reach
``red_findings``, else yellow.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from .catalog import OrderSettings, OrdersCatalog

ORDER_SCHEMA = {
    "uscc": pl.String, "month": pl.String, "new_orders_usd": pl.Int64, "orders_in_hand_usd": pl.Int64,
    "expected_exports_usd": pl.Int64, "market": pl.String, "product_hs": pl.String, "problems": pl.String,
}
# The sample enterprise's facts (花名册): who it is and where it belongs (its warning point by
# name, as accounts are scoped to it); any may be null.
ROSTER_SCHEMA = {"uscc": pl.String, "name": pl.String, "warning_point": pl.String, "org_unit": pl.String,
                 "industry": pl.String}
SOURCE = "orders"
SOURCE_ZH = {SOURCE: "订单+清单"}
# In the order a warning names its detector: the most telling first.
DETECTOR_ZH = {
    "orders_below_seasonal": "订单低于季节基线",
    "orders_yoy_fall": "订单同比下降",
    "orders_consecutive_falls": "订单连续下降",
    "orders_mom_fall": "订单环比下降",
}
FLAGS = {"orders_below_seasonal": "below_seasonal", "orders_yoy_fall": "yoy_fall",
         "orders_consecutive_falls": "consecutive_falls", "orders_mom_fall": "mom_fall"}
DETECTOR_ENUM = pl.Enum(list(DETECTOR_ZH))
LEVEL_ENUM = pl.Enum(["yellow", "red"])
MAD_SCALE = 1.4826  # MAD × this estimates the standard deviation of normal data
PROBLEM_SEPARATORS = r"[;；]"


def month_index(month: pl.Expr) -> pl.Expr:
    """'YYYY-MM' → months since year 0 (consecutive months differ by 1)."""
    return month.str.slice(0, 4).cast(pl.Int32) * 12 + month.str.slice(5, 2).cast(pl.Int32) - 1


def detect(orders: pl.DataFrame, settings: OrderSettings) -> pl.DataFrame:
    """One row per row of ``orders`` with the figures every detector uses and its findings:
    ``prev_usd`` (the month before, when reported), ``last_year_usd`` (the same month a year
    before), ``yoy``/``mom`` (changes as fractions, null without a base > 0), ``falls_run`` (falls
    in a row ending here), ``season_years``, ``season_median``, ``season_low`` (the band's lower
    edge; null under ``seasonal_min_years``), ``seasonal_normal``, ``size_usd``, ``above_floor``,
    one boolean column per detector (FLAGS), ``findings``, ``detector`` and ``level`` (null when
    nothing is found). Sorted by uscc and month. The reasons in words are built by
    ``with_reasons`` for the rows that need them (building 3 million strings would cost more
    than every detector together)."""
    s = settings
    v = pl.col("new_orders_usd")
    frame = orders.select(list(ORDER_SCHEMA)).with_columns(
        # The enterprise as a number: sorting integers is far cheaper than sorting 18-character codes.
        _key=pl.col("uscc").cast(pl.Categorical).to_physical().cast(pl.Int64),
        _idx=month_index(pl.col("month")),
        _cal=pl.col("month").str.slice(5, 2).cast(pl.Int8),
    )
    # One integer to sort by is cheaper than three columns (the month index stays under 50,000).
    frame = _seasonal(frame.sort(pl.col("_key") * 1_000_000 + pl.col("_cal").cast(pl.Int64) * 50_000 + pl.col("_idx")), s)
    frame = _chronological(frame.sort(pl.col("_key") * 50_000 + pl.col("_idx")), s)
    yoy = pl.when(pl.col("last_year_usd") > 0).then((v - pl.col("last_year_usd")) / pl.col("last_year_usd"))
    mom = pl.when(pl.col("prev_usd") > 0).then((v - pl.col("prev_usd")) / pl.col("prev_usd"))
    has_band = pl.col("season_low").is_not_null()
    frame = frame.with_columns(
        yoy=yoy, mom=mom,
        seasonal_normal=has_band & (v >= pl.col("season_low")),
        size_usd=pl.max_horizontal(v, "prev_usd", "last_year_usd", pl.col("season_median")),
    ).with_columns(above_floor=pl.col("size_usd") >= s.size_floor_usd)
    ok, normal = pl.col("above_floor"), pl.col("seasonal_normal")
    frame = frame.with_columns(
        below_seasonal=ok & has_band & (v < pl.col("season_low")).fill_null(False),
        yoy_fall=ok & (pl.col("yoy") <= -s.yoy_fall).fill_null(False),
        consecutive_falls=ok & ~normal & (pl.col("falls_run") >= s.consecutive_falls),
        mom_fall=ok & ~normal & (pl.col("mom") <= -s.mom_fall).fill_null(False),
    )
    found = pl.sum_horizontal(pl.col(list(FLAGS.values())).cast(pl.Int32))
    # Enums, not strings: 3 million rows of mostly null text would cost more than a detector.
    detector = pl.coalesce([pl.when(pl.col(flag)).then(pl.lit(code, DETECTOR_ENUM)) for code, flag in FLAGS.items()])
    level = (pl.when(found == 0).then(None)
             .when((pl.col("yoy") <= -s.red_yoy_fall).fill_null(False) | (found >= s.red_findings))
             .then(pl.lit("red", LEVEL_ENUM)).otherwise(pl.lit("yellow", LEVEL_ENUM)))
    return (frame.with_columns(findings=found)
            .with_columns(detector=detector, level=level)
            .drop("_key", "_idx", "_cal"))


def _seasonal(frame: pl.DataFrame, s: OrderSettings) -> pl.DataFrame:
    """Sorted by enterprise, calendar month and month: the rows before a row with the same
    enterprise and calendar month are its earlier years (the last ``seasonal_max_years``)."""
    v = pl.col("new_orders_usd")
    same = [(pl.col("_key").shift(j) == pl.col("_key")) & (pl.col("_cal").shift(j) == pl.col("_cal"))
            for j in range(1, s.seasonal_max_years + 1)]
    years = [f"_y{j}" for j in range(1, s.seasonal_max_years + 1)]
    earlier = [pl.when(ok).then(v.shift(j)).cast(pl.Float64).alias(y) for j, (ok, y) in enumerate(zip(same, years,
                                                                                                   strict=True), 1)]
    last_year = pl.when(same[0] & (pl.col("_idx").shift(1) == pl.col("_idx") - 12)).then(v.shift(1))
    frame = frame.with_columns(*earlier, last_year_usd=last_year)
    history = frame.select(years).to_numpy()  # rows × years, NaN where a year is missing
    median = _row_median(history)
    mad = _row_median(np.abs(history - median[:, None]))
    count = (~np.isnan(history)).sum(axis=1)
    enough = count >= s.seasonal_min_years
    band = np.maximum(mad * (s.seasonal_k * MAD_SCALE), median * s.seasonal_min_band)
    return frame.drop(years).with_columns(
        season_years=pl.Series(count, dtype=pl.Int32),
        season_median=pl.Series(np.where(enough, median, np.nan)).fill_nan(None),
        season_low=pl.Series(np.where(enough, median - band, np.nan)).fill_nan(None))


def _row_median(values: np.ndarray) -> np.ndarray:
    """The median of each row ignoring NaN (NaN for a row of NaN), over whole arrays: NumPy sorts
    every row at once (NaN last), then the middle one or two of the row's count are averaged.
    (A list median per row in Polars costs a Python-level call per row's list: 20× slower.)"""
    ordered = np.sort(values, axis=1)
    count = (~np.isnan(values)).sum(axis=1)
    last = values.shape[1] - 1
    low = np.take_along_axis(ordered, np.clip((count - 1) // 2, 0, last)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, np.clip(count // 2, 0, last)[:, None], axis=1)[:, 0]
    return np.where(count > 0, (low + high) / 2, np.nan)


def _chronological(frame: pl.DataFrame, s: OrderSettings) -> pl.DataFrame:
    """Sorted by enterprise and month: the month before, and the run of falls ending at each row
    (rows since the last row that was not a fall; an enterprise's first row is never a fall, so
    a run never crosses enterprises)."""
    v = pl.col("new_orders_usd")
    back_to_back = (pl.col("_key").shift(1) == pl.col("_key")) & (pl.col("_idx").shift(1) == pl.col("_idx") - 1)
    frame = frame.with_columns(prev_usd=pl.when(back_to_back).then(v.shift(1)))
    fall = (v < pl.col("prev_usd")).fill_null(False)
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    return frame.with_columns(
        falls_run=(row - pl.when(~fall).then(row).forward_fill()).cast(pl.Int32))


def _percent(change: pl.Expr) -> pl.Expr:
    return (-change * 100).round(0).cast(pl.Int64).cast(pl.String)


def _wan(usd: pl.Expr) -> pl.Expr:
    """US dollars as 万美元 text with one decimal (display only)."""
    return (usd / 10_000).round(1).cast(pl.String)


def with_reasons(detected: pl.DataFrame) -> pl.DataFrame:
    """Rows of ``detect`` with ``reason``: the findings in words, most telling first (“新增订单同比
    下降38%，连续3个月下降，低于季节基线（…）”); null where nothing is found."""
    return detected.with_columns(reason=_reason())


def _reason() -> pl.Expr:
    parts = [
        pl.when("yoy_fall").then(pl.concat_str([pl.lit("同比下降"), _percent(pl.col("yoy")), pl.lit("%")])),
        pl.when("mom_fall").then(pl.concat_str([pl.lit("环比下降"), _percent(pl.col("mom")), pl.lit("%")])),
        pl.when("consecutive_falls").then(pl.concat_str([
            pl.lit("连续"), pl.col("falls_run").cast(pl.String), pl.lit("个月下降")])),
        pl.when("below_seasonal").then(pl.concat_str([
            pl.lit("低于季节基线（往年同月中位数 "), _wan(pl.col("season_median")), pl.lit(" 万美元，下限 "),
            _wan(pl.col("season_low")), pl.lit(" 万美元，本月 "), _wan(pl.col("new_orders_usd")), pl.lit(" 万美元）")])),
    ]
    listed = pl.concat_str(parts, separator="，", ignore_nulls=True)
    return pl.when(pl.col("findings") > 0).then(pl.concat_str([pl.lit("新增订单"), listed]))


def month_warnings(detected: pl.DataFrame, month: str) -> pl.DataFrame:
    """The enterprise-months of ``month`` with a finding (rows of ``detect``), with their reasons."""
    return with_reasons(detected.filter((pl.col("month") == month) & pl.col("detector").is_not_null()))


def warning_rows(found: pl.DataFrame, roster: pl.DataFrame, catalog: OrdersCatalog, today: date) -> pl.DataFrame:
    """``found`` (rows of ``detect`` with a finding) in the WARNING ROW SHAPE of
    ``followup.raise_warnings``: source 'orders', the enterprise as subject (its name from
    ``roster``, else 企业 + its code), its county, its warning point as the responsible unit (the
    owner; null when the enterprise is in no point's sample), due ``answer_within_days`` after
    ``today``."""
    points = pl.DataFrame({"warning_point": list(catalog.warning_points),
                           "point_unit": list(catalog.warning_points.values())}, schema={
                               "warning_point": pl.String, "point_unit": pl.String})
    who = roster.select(list(ROSTER_SCHEMA)).join(points, on="warning_point", how="left")
    due = today + timedelta(days=catalog.settings.answer_within_days)
    return found.join(who, on="uscc", how="left").select(
        source=pl.lit(SOURCE), detector=pl.col("detector").cast(pl.String), subject_kind=pl.lit("enterprise"),
        subject_id="uscc",
        subject_name=pl.coalesce("name", pl.concat_str([pl.lit("企业 "), pl.col("uscc")])),
        org_unit=pl.coalesce("org_unit", "point_unit"), level=pl.col("level").cast(pl.String),
        responsible_unit=pl.when(pl.col("point_unit").is_not_null()).then(pl.col("warning_point")),
        reason="reason", period="month", due_date=pl.lit(due, pl.Date),
    ).sort("subject_id")


ROLLUP_BY = {"warning_point": "预警点", "org_unit": "地区", "industry": "行业", "market": "市场"}


def rollup(detected: pl.DataFrame, roster: pl.DataFrame, by: str) -> pl.DataFrame:
    """Month by month per ``by`` (a ROLLUP_BY key: warning point, county, industry or market):
    ``enterprises`` sampled, ``at_risk`` (with a finding), ``new_orders_usd`` and
    ``in_hand_usd`` in total, ``at_risk_in_hand_usd`` (orders in hand of the enterprises at
    risk) and ``share_at_risk`` (that ÷ all orders in hand; a ratio for display, null when no
    orders in hand). Sorted by month and group."""
    if by not in ROLLUP_BY:
        raise ValueError(f"roll-up by one of {', '.join(ROLLUP_BY)}, not {by!r}")
    frame = _with_roster(detected, roster)
    risk = pl.col("detector").is_not_null()
    in_hand = pl.col("orders_in_hand_usd").fill_null(0)
    return (frame.group_by("month", by).agg(
        enterprises=pl.len().cast(pl.Int64), at_risk=risk.sum().cast(pl.Int64),
        new_orders_usd=pl.col("new_orders_usd").sum(), in_hand_usd=in_hand.sum(),
        at_risk_in_hand_usd=in_hand.filter(risk).sum())
        .with_columns(share_at_risk=pl.when(pl.col("in_hand_usd") > 0)
                      .then(pl.col("at_risk_in_hand_usd") / pl.col("in_hand_usd")))
        .sort("month", by, nulls_last=True))


def top_problems(detected: pl.DataFrame, roster: pl.DataFrame, by: str, *, top: int = 3) -> pl.DataFrame:
    """Month by month per ``by``: the problems of the 清单 most reported (``problem`` code,
    ``reports`` = enterprises ticking it, ``rank`` from 1), the ``top`` of each."""
    if by not in ROLLUP_BY:
        raise ValueError(f"roll-up by one of {', '.join(ROLLUP_BY)}, not {by!r}")
    ticked = (_with_roster(detected, roster)
              .select("month", by, problem=pl.col("problems").str.split(";"))
              .explode("problem").filter(pl.col("problem").is_not_null() & (pl.col("problem") != "")))
    return (ticked.group_by("month", by, "problem").agg(reports=pl.len().cast(pl.Int64))
            .sort(["month", by, "reports", "problem"], descending=[False, False, True, False], nulls_last=True)
            .with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("month", by))
            .filter(pl.col("rank") <= top))


def _with_roster(detected: pl.DataFrame, roster: pl.DataFrame) -> pl.DataFrame:
    return detected.join(roster.select("uscc", "warning_point", "org_unit", "industry"), on="uscc", how="left")
