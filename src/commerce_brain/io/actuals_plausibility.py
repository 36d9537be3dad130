"""Is a figure plausible? The checks an actuals import makes beyond “it is a number”.

Errors reject the file (as every other problem of an import does):
- a figure whose text has more significant digits than a float keeps (``9999…9`` with 29
  nines would be stored as 99,999,999,999,999,991,433,150,857,216), or whose magnitude is
  beyond ``MAX_MAGNITUDE`` (``1e308``);
- a negative figure: every indicator of the catalog is a level, a count, a five-year sum or a
  share, none of which can be below zero;
- a share above its whole (``SHARE_LIMITS`` by the indicator's unit: 100 for %, 1000 for ‰);
- an org unit outside the plan's region (the plan's org unit and its subtree in org_units.csv).

Warnings do not reject the file but must be accepted explicitly (``plans import
--accept-warnings``, the preview's checkbox): a figure that moved by more than the jump factor
(``Settings.import_jump_factor``: ``COMMERCE_BRAIN_IMPORT_JUMP_FACTOR``, default 3) against the same period a
year before, from the same file or, failing that, from the store.

The rules read the catalog (unit, growth kind, plan org unit), so a new indicator is checked
without a code change. All columnar: one expression per check over the whole file.
"""

from __future__ import annotations

import polars as pl

from ..catalog import Catalog

MAX_MAGNITUDE = 1e12  # no plan indicator comes near a trillion of its unit (亿元, 家, %…)
MAX_DIGITS = 15  # significant digits a float64 keeps exactly (and prints back the same)
# Indicators that are parts of a whole, by growth kind; their bound by unit.
SHARE_KINDS = ("share", "point_change")
SHARE_LIMITS = {"%": 100.0, "‰": 1000.0}
FACT_COLUMNS = {"plan_id": pl.String, "indicator_id": pl.String, "unit": pl.String, "share_limit": pl.Float64}
REGION_COLUMNS = {"plan_id": pl.String, "org_code": pl.String, "in_region": pl.Boolean}


def with_plausibility_facts(df: pl.DataFrame, catalog: Catalog) -> pl.DataFrame:
    """``df`` (resolved ``plan_id``, ``indicator_id``, ``org_code``) with what the checks need:
    the indicator's unit and share limit, whether the org unit is in the plan's region, and
    the value's significant digits as written."""
    facts = pl.DataFrame(
        [(i.plan, i.id, i.unit, SHARE_LIMITS.get(i.unit) if i.growth_kind in SHARE_KINDS else None)
         for i in catalog.indicators()], schema=FACT_COLUMNS, orient="row")
    regions = pl.DataFrame(
        [(p.id, code, True) for p in catalog.plans for code in sorted(catalog.subtree(p.org_unit))],
        schema=REGION_COLUMNS, orient="row")
    digits = (pl.col("value").str.replace(r"[eE].*$", "").str.replace_all(r"[^0-9]", "")
              .str.strip_chars_start("0").str.strip_chars_end("0").str.len_chars())
    return (df.join(facts, on=["plan_id", "indicator_id"], how="left", maintain_order="left")
            .join(regions, on=["plan_id", "org_code"], how="left", maintain_order="left")
            .with_columns(in_region=pl.col("in_region").fill_null(False), digits=digits))


def plausibility_checks() -> list[tuple[str, pl.Expr, pl.Expr]]:
    """(field, condition, reason) of each error, over the frame ``with_plausibility_facts`` made."""
    col, value = pl.col, pl.col("value_num")
    return [
        ("value", col("digits") > MAX_DIGITS, pl.format(
            "有效数字超过 {} 位，保存后会失真：'{}'，请核对", pl.lit(MAX_DIGITS), "value")),
        ("value", value.abs() > MAX_MAGNITUDE, pl.format(
            "数值过大：'{}' 超出合理范围（绝对值不超过一万亿）", "value")),
        ("value", value < 0, pl.format("数值不能为负：'{}'，该指标不会小于零", "value")),
        ("value", value > col("share_limit"), pl.format(
            "比重超过 {}{}：'{}'，请核对", col("share_limit").cast(pl.Int64), "unit", "value")),
        ("real_growth_pct", col("growth_num").abs() > MAX_MAGNITUDE, pl.format(
            "可比价增速过大：'{}'", "real_growth_pct")),
        ("org_unit", col("plan_id").is_not_null() & col("org_code").is_not_null() & ~col("in_region"),
         pl.format("地区不在该规划的范围内：'{}' 不属于规划 {} 所辖地区", "org_unit", "plan_id")),
    ]


def jump_warnings(rows: pl.DataFrame, stored: pl.DataFrame | None, factor: float) -> pl.DataFrame:
    """The rows whose value moved by more than ``factor`` (either way) against the same period
    a year before: from the same file if it holds that period, else from ``stored`` (the
    store's current observations). Returns the problem rows (sheet, row, field, reason)."""
    key = ["plan_id", "indicator_id", "org_code"]
    own = rows.select(*key, period_before=pl.col("period_norm"), before=pl.col("value_num"))
    if stored is not None and stored.height:
        kept = stored.select(plan_id="plan", indicator_id="indicator", org_code="org_unit",
                             period_before="period", before="value")
        own = pl.concat([own, kept.join(own, on=[*key, "period_before"], how="anti")], how="vertical_relaxed")
    year_before = (pl.col("year") - 1).cast(pl.String)
    period_before = pl.when(pl.col("month").is_null()).then(year_before).otherwise(
        pl.format("{}-{}", year_before, pl.col("month").cast(pl.String).str.zfill(2)))
    ratio = pl.col("value_num") / pl.col("before")
    return (rows.with_columns(period_before=period_before)
            .join(own, on=[*key, "period_before"], how="inner", maintain_order="left")
            .filter((pl.col("before") > 0) & (pl.col("value_num") > 0)
                    & ((ratio > factor) | (ratio < 1 / factor)))
            .select("_sheet_no", "_sheet", "_row", field=pl.lit("value"), reason=pl.format(
                "与上年同期相比变化超过 {} 倍（{}：{} → {}：{}），请核对", pl.lit(_factor_text(factor)),
                "period_before", "before", "period_norm", "value")))


def _factor_text(factor: float) -> str:
    return f"{factor:g}"
