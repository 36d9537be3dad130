"""The trade-frictions engine (贸易摩擦). Pure and columnar: frames in, frames out.

Input: ``cases`` (REMEDY_SCHEMA), the bureau's register of trade remedy cases — one row per case
and enterprise involved (``uscc`` empty for a case with none named yet), the case's facts
repeated on each row — and the 订单+清单 reports (``warning.orders.ORDER_SCHEMA``).

- **Exposure** of a case: the sampled enterprises whose latest report (on or before ``as_of``)
  names the case's product (the same HS chapter) — how many, how many have the case's country
  as their main market, and their orders in hand (US dollars); and the enterprises the register
  names as involved with their exports of the product.
- **Warning** (``trade_remedy_case``): a case opened in the ``open_window_days`` up to ``as_of``
  on a product the sample exports: red when one of them sells mainly to the case's country,
  else yellow; one per case.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ..projects.warning_rows import WARNING_COLUMNS
from .trade_catalog import TradeCatalog

REMEDY_SCHEMA = {"case_id": pl.String, "uscc": pl.String, "country": pl.String, "product_hs": pl.String,
                 "kind": pl.String, "opened_on": pl.Date, "ruled_on": pl.Date, "exports_usd": pl.Int64}
CASE_FACTS = ["country", "product_hs", "kind", "opened_on", "ruled_on"]
COUNTRY_RISK_SCHEMA = {"country": pl.String, "risk_level": pl.String, "projects": pl.Int64,
                       "investment_usd": pl.Int64, "note": pl.String}
SOURCE = "trade"
SUBJECT_KIND = "remedy_case"
REMEDY_CASE = "trade_remedy_case"
DETECTOR_ZH = {REMEDY_CASE: "贸易救济案件涉及本市出口产品"}
EXPOSURE_COLUMNS = ["case_id", *CASE_FACTS, "involved", "involved_exports_usd", "sampled_exporters",
                    "to_country", "orders_in_hand_usd"]


def case_exposure(cases: pl.DataFrame, orders: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per case (EXPOSURE_COLUMNS): its facts, the enterprises involved and their
    exports, and the sampled exporters of its HS chapter as of ``as_of`` (their count, how many
    sell mainly to the case's country, their orders in hand)."""
    facts = cases.group_by("case_id").agg(
        *(pl.col(c).first() for c in CASE_FACTS),
        involved=(pl.col("uscc") != "").sum().cast(pl.Int64),
        involved_exports_usd=pl.col("exports_usd").sum())
    latest = (orders.filter(pl.col("month") <= f"{as_of.year}-{as_of.month:02d}")
              .sort("month").group_by("uscc").last()
              .select("uscc", "market", "product_hs", "orders_in_hand_usd"))
    exposed = (facts.select("case_id", "country", "product_hs").join(latest, on="product_hs")
               .group_by("case_id").agg(
                   sampled_exporters=pl.len().cast(pl.Int64),
                   to_country=(pl.col("market") == pl.col("country")).sum().cast(pl.Int64),
                   orders_in_hand_usd=pl.col("orders_in_hand_usd").sum()))
    return (facts.join(exposed, on="case_id", how="left")
            .with_columns(pl.col("sampled_exporters", "to_country").fill_null(0))
            .select(EXPOSURE_COLUMNS).sort("opened_on", "case_id", descending=[True, False]))


def _wan(usd: pl.Expr) -> pl.Expr:
    """Integer US dollars as 万美元 text with one decimal."""
    return (usd.fill_null(0) / 10_000).round(1).cast(pl.String)


def remedy_warnings(exposure: pl.DataFrame, catalog: TradeCatalog, as_of: date,
                    raised_on: date | None = None) -> pl.DataFrame:
    """The warnings (WARNING_COLUMNS) of the cases opened in the window up to ``as_of`` whose
    product the sample exports; the period is the month the case opened (one warning per case),
    due ``answer_within_days`` after ``raised_on`` (``as_of`` by default)."""
    s = catalog.settings
    col = pl.col
    country = col("country").replace_strict(catalog.countries, default="其他国家（地区）", return_dtype=pl.String)
    kind = col("kind").replace_strict(catalog.remedy_kinds, default="贸易救济", return_dtype=pl.String)
    opened = (exposure.filter(col("opened_on").is_between(as_of - timedelta(days=s.open_window_days), as_of)
                              & (col("sampled_exporters") > 0))
              .with_columns(country_zh=country, kind_zh=kind))
    reason = pl.concat_str([
        col("country_zh"), pl.lit("对HS "), col("product_hs"), pl.lit("章产品"), col("kind_zh"),
        pl.lit("立案（"), col("opened_on").dt.strftime("%Y-%m-%d"), pl.lit("）：本市样本企业"),
        col("sampled_exporters").cast(pl.String), pl.lit("家出口该章产品，其中"), col("to_country").cast(pl.String),
        pl.lit("家主要市场为"), col("country_zh"), pl.lit("，在手订单合计"), _wan(col("orders_in_hand_usd")),
        pl.lit("万美元"),
        pl.when(col("involved") > 0).then(pl.concat_str([
            pl.lit("；涉案企业"), col("involved").cast(pl.String), pl.lit("家，涉案出口额"),
            _wan(col("involved_exports_usd")), pl.lit("万美元")])),
    ], ignore_nulls=True)
    return (opened.select(
        source=pl.lit(SOURCE), detector=pl.lit(REMEDY_CASE), subject_kind=pl.lit(SUBJECT_KIND),
        subject_id="case_id",
        subject_name=pl.concat_str([col("country_zh"), col("kind_zh"), pl.lit("·HS "), col("product_hs"),
                                    pl.lit("章")]),
        org_unit=pl.lit(s.org_unit), responsible_unit=pl.lit(s.owner),
        level=pl.when(col("to_country") > 0).then(pl.lit("red")).otherwise(pl.lit("yellow")),
        reason=reason, period=col("opened_on").dt.strftime("%Y-%m"),
        due_date=pl.lit((raised_on or as_of) + timedelta(days=s.answer_within_days), pl.Date))
        .select(WARNING_COLUMNS).sort("subject_id"))


def ranked_countries(risks: pl.DataFrame, catalog: TradeCatalog) -> pl.DataFrame:
    """The country risk table ranked: the highest risk level first, then the largest outward
    investment; with the Chinese names of the country and the level and the level's rank."""
    ranks = {code: i for i, code in enumerate(catalog.risk_levels)}
    return (risks.with_columns(
        country_zh=pl.col("country").replace_strict(catalog.countries, default="其他", return_dtype=pl.String),
        level_zh=pl.col("risk_level").replace_strict(catalog.risk_levels, default="未评级", return_dtype=pl.String),
        level_rank=pl.col("risk_level").replace_strict(ranks, default=-1, return_dtype=pl.Int64))
        .sort(["level_rank", "investment_usd", "country"], descending=[True, True, False]))
