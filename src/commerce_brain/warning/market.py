"""The consumer market engine (消费市场监测). Pure and columnar: frames in, frames out.

Input: ``retail`` (RETAIL_SCHEMA), one row per month × org unit × series with the month's own
retail sales (当月值, integer fen). A series is an org unit's total retail sales, its online
retail sales, one goods category's sales or one key retailer's.

- **累计 (year to date)**: the sum of months 1…M of the year; only when every one of those months
  was reported (a missing month leaves it null: a partial sum would read as a fall).
- **累计同比**: year to date over the same months of the year before, minus one.
- **环比**: the month over the month before it (December for January), minus one.
- **Plan link**: a total or online series is measured against the year's target of the plan
  indicator it serves (社会消费品零售总额, 网络零售额), taken from the plans' target path with the
  monthly clock of ``plans pace`` (``indicators.pace``). The target needs
  ``target_growth`` = target ÷ last year's full-year sales − 1; what the rest of the year still
  needs is ``needed_growth`` = (target − year to date) ÷ (last year's full year − its year to
  date) − 1. A series whose 累计同比 is below ``target_growth`` is behind the target's pace.

Warnings (``market_warnings``): 低于目标所需增速 (``market_below_pace``: red when more than
``red_gap_points`` below) and 累计同比下降 (``market_ytd_fall``: a fall beyond
``yellow_fall_percent``, red beyond ``red_fall_percent``), one per series and month.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ..indicators.pace import pace
from ..projects.warning_rows import WARNING_COLUMNS
from .market_catalog import MarketCatalog

RETAIL_SCHEMA = {"period": pl.String, "org_unit": pl.String, "series_kind": pl.String, "series": pl.String,
                 "sales_fen": pl.Int64}
SERIES = ["org_unit", "series_kind", "series"]
FEN_PER_YI = 10_000_000_000  # 1 亿元 = 10^8 元 = 10^10 分: the plans state these targets in 亿元
SOURCE = "market"
SUBJECT_KIND = "market_series"
BELOW_PACE, YTD_FALL = "market_below_pace", "market_ytd_fall"
DETECTOR_ZH = {BELOW_PACE: "消费市场累计增速低于目标所需", YTD_FALL: "消费市场累计同比下降"}
TABLE_COLUMNS = [*SERIES, "year", "month", "month_fen", "prior_month_fen", "ytd_fen", "ytd_prior_fen",
                 "months_reported", "ytd_growth", "mom_growth"]
PACE_COLUMNS = [*TABLE_COLUMNS, "plan", "indicator", "annual_target_fen", "prior_full_fen", "target_growth",
                "needed_growth", "behind_pace"]


def _ym(period: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return period.str.slice(0, 4).cast(pl.Int32), period.str.slice(5, 2).cast(pl.Int32)


def market_table(retail: pl.DataFrame, year: int, month: int) -> pl.DataFrame:
    """One row per series reported for ``year``-``month``: the month's sales, the month before,
    year to date and the same months of the year before (null unless every month is reported),
    ``months_reported`` this year, 累计同比 ``ytd_growth`` and 环比 ``mom_growth`` as fractions."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, got {month}")
    y, m = _ym(pl.col("period"))
    rows = retail.select(*SERIES, "sales_fen", year=y, month=m)
    prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    at = lambda yy, mm: (pl.col("year") == yy) & (pl.col("month") == mm)  # noqa: E731
    so_far = lambda yy: (pl.col("year") == yy) & (pl.col("month") <= month)  # noqa: E731
    sums = rows.group_by(SERIES).agg(
        month_fen=pl.col("sales_fen").filter(at(year, month)).first(),
        prior_month_fen=pl.col("sales_fen").filter(at(prev_year, prev_month)).first(),
        ytd=pl.col("sales_fen").filter(so_far(year)).sum(),
        months_reported=so_far(year).sum().cast(pl.Int64),
        ytd_prior=pl.col("sales_fen").filter(so_far(year - 1)).sum(),
        prior_months=so_far(year - 1).sum(),
    )
    return (sums.filter(pl.col("month_fen").is_not_null())
            .with_columns(pl.lit(year, pl.Int32).alias("year"), pl.lit(month, pl.Int32).alias("month"),
                          ytd_fen=pl.when(pl.col("months_reported") == month).then("ytd"),
                          ytd_prior_fen=pl.when(pl.col("prior_months") == month).then("ytd_prior"))
            .with_columns(ytd_growth=_growth(pl.col("ytd_fen"), pl.col("ytd_prior_fen")),
                          mom_growth=_growth(pl.col("month_fen"), pl.col("prior_month_fen")))
            .select(TABLE_COLUMNS).sort(SERIES))


def _growth(now: pl.Expr, before: pl.Expr) -> pl.Expr:
    return pl.when(before > 0).then(now / before - 1)


def market_pace(retail: pl.DataFrame, table: pl.DataFrame, indicators: pl.DataFrame, evaluation: pl.DataFrame,
                catalog: MarketCatalog) -> pl.DataFrame:
    """``table`` (``market_table`` for one month) with the plan link of each total and online
    series: the plan and indicator, ``annual_target_fen`` (the year's target on the plan's path,
    from ``indicators.pace`` over ``evaluation``), last year's full-year sales, the growth the
    target needs, the growth the rest of the year still needs, and ``behind_pace``. Other series
    and series without a target have nulls there."""
    links = pl.DataFrame({"series_kind": list(catalog.indicators), "indicator": list(catalog.indicators.values())},
                         schema={"series_kind": pl.String, "indicator": pl.String})
    if table.is_empty():
        return table.with_columns(
            plan=pl.lit(None, pl.String), indicator=pl.lit(None, pl.String), annual_target_fen=pl.lit(None, pl.Int64),
            prior_full_fen=pl.lit(None, pl.Int64), target_growth=pl.lit(None, pl.Float64),
            needed_growth=pl.lit(None, pl.Float64), behind_pace=pl.lit(None, pl.Boolean)).select(PACE_COLUMNS)
    year, month = int(table["year"][0]), int(table["month"][0])
    plans = indicators.select("plan", "indicator")
    # The year to date as plans observe it (亿元, the month's cumulative figure): pace's input.
    observed = (table.join(links, on="series_kind").join(plans, on="indicator")
                .filter(pl.col("ytd_fen").is_not_null())
                .select("plan", "indicator", "org_unit", "year", "month",
                        value=pl.col("ytd_fen") / FEN_PER_YI))
    targets = (pace(indicators, observed, year, month, evaluation)
               .filter(pl.col("annual_target").is_not_null())
               # Two plans may track the same figure (both Quzhou plans): one target per series.
               .sort("plan").unique(subset=["indicator", "org_unit"], keep="first")
               .select("plan", "indicator", "org_unit",
                       annual_target_fen=(pl.col("annual_target") * FEN_PER_YI).round(0).cast(pl.Int64)))
    y, m = _ym(pl.col("period"))
    prior_full = (retail.filter(y == year - 1).group_by(SERIES)
                  .agg(prior_full_fen=pl.col("sales_fen").sum(), n=pl.len())
                  .filter(pl.col("n") == 12).drop("n"))
    ytd, prior, target, full = (pl.col(c) for c in ("ytd_fen", "ytd_prior_fen", "annual_target_fen",
                                                      "prior_full_fen"))
    return (table.join(links, on="series_kind", how="left")
            .join(targets, on=["indicator", "org_unit"], how="left")
            .join(prior_full, on=SERIES, how="left")
            .with_columns(indicator=pl.when(target.is_not_null()).then("indicator"),
                          target_growth=_growth(target, full),
                          needed_growth=pl.when(pl.col("month") < 12).then(_growth(target - ytd, full - prior)))
            .with_columns(behind_pace=pl.col("ytd_growth") < pl.col("target_growth"))
            .select(PACE_COLUMNS).sort(SERIES))


def _pct(fraction: pl.Expr) -> pl.Expr:
    """A fraction as people write a percentage: one decimal, no sign (the words carry it)."""
    return (fraction.abs() * 100).round(1).cast(pl.String) + "%"


def _change(fraction: pl.Expr) -> pl.Expr:
    return pl.when(fraction < 0).then(pl.lit("下降")).otherwise(pl.lit("增长")) + _pct(fraction)


def market_warnings(paced: pl.DataFrame, catalog: MarketCatalog, org_names: dict[str, str],
                    raised_on: date) -> pl.DataFrame:
    """The warnings of one month (WARNING_COLUMNS) from ``market_pace``'s rows: one per series
    behind its target's pace, one per series whose 累计同比 fell beyond the threshold. The owner
    (``responsible_unit``) is the org unit's commerce bureau; the reason gives the figures."""
    s = catalog.settings
    names = pl.DataFrame({"org_unit": list(org_names), "org_name": list(org_names.values())},
                         schema={"org_unit": pl.String, "org_name": pl.String})
    kinds = pl.DataFrame({"series_kind": list(catalog.kinds), "kind_zh": list(catalog.kinds.values())},
                         schema={"series_kind": pl.String, "kind_zh": pl.String})
    categories = dict(catalog.categories)
    col = pl.col
    series_zh = col("series").replace_strict(categories, default=col("series"), return_dtype=pl.String)
    named = (paced.join(names, on="org_unit", how="left").join(kinds, on="series_kind", how="left")
             .with_columns(org_name=col("org_name").fill_null(col("org_unit")),
                           subject_name=pl.concat_str(
                               [col("org_name").fill_null(col("org_unit")), col("kind_zh"),
                                pl.when(col("series") != "").then(pl.lit("·") + series_zh)], ignore_nulls=True),
                           months=pl.format("1–{}月", col("month"))))
    # Rounded so that a fall of exactly the threshold (5.000000000000004 in floats) is not past it.
    gap_points = ((col("target_growth") - col("ytd_growth")) * 100).round(6)
    behind = named.filter(col("behind_pace").fill_null(False)).with_columns(
        detector=pl.lit(BELOW_PACE),
        level=pl.when(gap_points > s.red_gap_points).then(pl.lit("red")).otherwise(pl.lit("yellow")),
        reason=pl.concat_str([
            col("subject_name"), col("months"), pl.lit("累计同比"), _change(col("ytd_growth")),
            pl.lit("，低于完成全年目标所需的"), _change(col("target_growth")),
            pl.when(col("needed_growth").is_not_null()).then(pl.lit("；余下月份须同比") + _change(col("needed_growth"))),
        ], ignore_nulls=True))
    fall = (-col("ytd_growth") * 100).round(6)
    fell = named.filter((fall > s.yellow_fall_percent).fill_null(False)).with_columns(
        detector=pl.lit(YTD_FALL),
        level=pl.when(fall > s.red_fall_percent).then(pl.lit("red")).otherwise(pl.lit("yellow")),
        reason=pl.concat_str([col("subject_name"), col("months"), pl.lit("累计同比"), _change(col("ytd_growth")),
                              pl.lit(f"，降幅超过{s.yellow_fall_percent:g}%的预警线")]))
    due = raised_on + timedelta(days=s.answer_within_days)
    return (pl.concat([behind, fell], how="diagonal_relaxed")
            .select(source=pl.lit(SOURCE), detector="detector", subject_kind=pl.lit(SUBJECT_KIND),
                    subject_id=pl.concat_str([col("org_unit"), col("series_kind"), col("series")], separator="/"),
                    subject_name="subject_name", org_unit="org_unit",
                    responsible_unit=col("org_name") + s.owner_suffix, level="level", reason="reason",
                    period=pl.format("{}-{}", col("year"), col("month").cast(pl.String).str.zfill(2)),
                    due_date=pl.lit(due, pl.Date))
            .select(WARNING_COLUMNS).sort("detector", "subject_id"))
