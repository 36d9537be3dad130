"""The emergency-supply engine (应急保供). Pure and columnar: frames in, frames out.

Input: ``reports`` (SUPPLY_SCHEMA), one row per report date × reporting outlet × key good: the
stock and the daily consumption (integers, in the good's unit) and the price (integer fen per
unit). Seen from a review date ``as_of``:

- **Latest report**: per outlet and good, the newest report on or before ``as_of`` (a report
  older than ``stale_after_days`` is left out: it no longer tells the stock).
- **Days of cover**: stock ÷ daily consumption (none when nothing is consumed). Below the good's
  floor (catalog ``cover_floor_days``) is a warning, yellow; below half of it, red.
- **Price jump**: the price over the median of the same outlet's prices of the good reported
  in the ``price_window_days`` (4 weeks) before the report, minus one — the median, so that one
  odd report in the window moves nothing. An outlet with no earlier price in the window has no
  jump. Beyond ``price_jump_percent`` is a warning, yellow; beyond ``red_jump_percent``, red.
- **Totals**: per org unit and good, the stock and consumption of its outlets and their days of
  cover (the sheet's summary).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ..projects.warning_rows import WARNING_COLUMNS
from .supply_catalog import SupplyCatalog

SUPPLY_SCHEMA = {"report_date": pl.Date, "org_unit": pl.String, "outlet": pl.String, "item": pl.String,
                 "stock": pl.Int64, "daily_use": pl.Int64, "price_fen": pl.Int64}
OUTLET_KEY = ["org_unit", "outlet", "item"]
SOURCE = "supply"
SUBJECT_KIND = "supply_item"
LOW_COVER, PRICE_JUMP = "supply_low_cover", "supply_price_jump"
DETECTOR_ZH = {LOW_COVER: "应急物资可供天数不足", PRICE_JUMP: "应急物资价格异动"}
STALE_AFTER_DAYS = 14
STATUS_COLUMNS = [*OUTLET_KEY, "item_zh", "unit", "report_date", "stock", "daily_use", "days_of_cover",
                  "cover_floor_days", "cover_level", "price_fen", "median_price_fen", "price_jump", "price_level"]


def _level(value: pl.Expr, yellow: pl.Expr | float, red: pl.Expr | float, *, below: bool) -> pl.Expr:
    """red / yellow / null: ``value`` past ``red`` / past ``yellow`` (under them when ``below``)."""
    past = (lambda v, t: v < t) if below else (lambda v, t: v > t)
    return pl.when(past(value, red)).then(pl.lit("red")).when(past(value, yellow)).then(pl.lit("yellow"))


def supply_status(reports: pl.DataFrame, catalog: SupplyCatalog, as_of: date) -> pl.DataFrame:
    """One row per outlet and good with a report in the ``STALE_AFTER_DAYS`` up to ``as_of``: its
    latest report, days of cover and their level against the floor, the 4-week median price
    before it, the jump and its level (STATUS_COLUMNS; levels null when fine)."""
    s = catalog.settings
    seen = reports.filter(pl.col("report_date") <= as_of)
    latest = (seen.sort("report_date").group_by(OUTLET_KEY, maintain_order=True).last()
              .filter(pl.col("report_date") >= as_of - timedelta(days=STALE_AFTER_DAYS)))
    window = pl.duration(days=s.price_window_days)
    earlier = (latest.select(*OUTLET_KEY, latest_date="report_date")
               .join(seen.select(*OUTLET_KEY, "report_date", "price_fen"), on=OUTLET_KEY)
               .filter((pl.col("report_date") < pl.col("latest_date"))
                       & (pl.col("report_date") >= pl.col("latest_date") - window))
               .group_by(OUTLET_KEY).agg(median_price_fen=pl.col("price_fen").median()))
    cover = pl.when(pl.col("daily_use") > 0).then(pl.col("stock") / pl.col("daily_use"))
    floor = pl.col("cover_floor_days")
    # Rounded so that a jump of exactly the threshold (20.000000000000004 in floats) is not past it.
    jump_points = (pl.col("price_jump") * 100).round(6)
    return (latest.join(earlier, on=OUTLET_KEY, how="left")
            .join(catalog.goods, on="item", how="left")
            .with_columns(days_of_cover=cover,
                          price_jump=pl.when(pl.col("median_price_fen") > 0)
                          .then(pl.col("price_fen") / pl.col("median_price_fen") - 1))
            .with_columns(cover_level=_level(pl.col("days_of_cover"), floor, floor / 2, below=True),
                          price_level=_level(jump_points, s.price_jump_percent, s.red_jump_percent, below=False))
            .select(STATUS_COLUMNS).sort("org_unit", "outlet", "item"))


def supply_totals(status: pl.DataFrame) -> pl.DataFrame:
    """Per org unit and good: outlets reporting, stock, daily consumption and days of cover of
    their sum, and how many outlets are below the floor."""
    return (status.group_by("org_unit", "item", "item_zh", "unit", "cover_floor_days")
            .agg(outlets=pl.len(), stock=pl.col("stock").sum(), daily_use=pl.col("daily_use").sum(),
                 below_floor=pl.col("cover_level").is_not_null().sum())
            .with_columns(days_of_cover=pl.when(pl.col("daily_use") > 0).then(pl.col("stock") / pl.col("daily_use")))
            .sort("org_unit", "item"))


def _yuan(fen: pl.Expr) -> pl.Expr:
    """Integer fen as 元 text with two decimals (integer arithmetic)."""
    return fen.floordiv(100).cast(pl.String) + "." + (fen % 100).cast(pl.String).str.zfill(2)


def supply_warnings(status: pl.DataFrame, catalog: SupplyCatalog, org_names: dict[str, str],
                    as_of: date, raised_on: date | None = None) -> pl.DataFrame:
    """The warnings (WARNING_COLUMNS) of ``supply_status``'s rows: one per outlet and good below
    its floor of days of cover, one per outlet and good whose price jumped, for the month of
    ``as_of``, due ``answer_within_days`` after ``raised_on`` (``as_of`` by default); the owner
    is the org unit's commerce bureau, the reason gives the figures."""
    s = catalog.settings
    col = pl.col
    names = pl.DataFrame({"org_unit": list(org_names), "org_name": list(org_names.values())},
                         schema={"org_unit": pl.String, "org_name": pl.String})
    named = (status.join(names, on="org_unit", how="left")
             .with_columns(org_name=col("org_name").fill_null(col("org_unit")))
             .with_columns(subject_name=pl.concat_str([col("org_name"), col("outlet"), pl.lit("·"), col("item_zh")])))
    low = named.filter(col("cover_level").is_not_null()).with_columns(
        detector=pl.lit(LOW_COVER), level="cover_level",
        reason=pl.concat_str([col("subject_name"), pl.lit("库存"), col("stock").cast(pl.String), col("unit"),
                              pl.lit("，日均消费"), col("daily_use").cast(pl.String), col("unit"), pl.lit("，可供"),
                              col("days_of_cover").round(1).cast(pl.String), pl.lit("天，低于"),
                              col("cover_floor_days").round(1).cast(pl.String).str.strip_suffix(".0"),
                              pl.lit("天的保障线")]))
    jumped = named.filter(col("price_level").is_not_null()).with_columns(
        detector=pl.lit(PRICE_JUMP), level="price_level",
        reason=pl.concat_str([col("subject_name"), pl.lit("价格每"), col("unit"), _yuan(col("price_fen")),
                              pl.lit("元，较近4周中位数"), _yuan(col("median_price_fen").round(0).cast(pl.Int64)),
                              pl.lit("元上涨"), (col("price_jump") * 100).round(1).cast(pl.String),
                              pl.lit(f"%，超过{s.price_jump_percent:g}%的预警线")]))
    return (pl.concat([low, jumped], how="diagonal_relaxed")
            .select(source=pl.lit(SOURCE), detector="detector", subject_kind=pl.lit(SUBJECT_KIND),
                    subject_id=pl.concat_str(OUTLET_KEY, separator="/"), subject_name="subject_name",
                    org_unit="org_unit", responsible_unit=col("org_name") + s.owner_suffix, level="level",
                    reason="reason", period=pl.lit(f"{as_of.year}-{as_of.month:02d}"),
                    due_date=pl.lit((raised_on or as_of) + timedelta(days=s.answer_within_days), pl.Date))
            .select(WARNING_COLUMNS).sort("detector", "subject_id"))
