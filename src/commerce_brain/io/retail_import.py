"""Import monthly retail sales (消费市场月度零售额) from CSV or XLSX, all or nothing.

One row per month × org unit × series: 月份 (YYYY-MM), 地区 (code or name of the city, a county
or a zone), 类别 (a series kind of the market catalog: 社会消费品零售总额, 网络零售额, 分类别零售额,
重点零售企业零售额), 名称 (a catalog goods category for 分类别零售额, the retailer's name for 重点零售企业,
empty for the totals) and 当月零售额（万元） (the month's own sales, at most six decimals: a fen;
stored as integer fen). The file is accepted whole or refused with every problem by sheet, row,
column and reason, before any parser sees it when past the limits. Every check is a Polars
expression over whole columns.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from ..settings import SheetLimits
from ..warning.market import RETAIL_SCHEMA
from ..warning.market_catalog import MarketCatalog
from ..yuan import DECIMALS, NEGATIVE, SHAPE, TOO_LARGE, yuan_to_fen
from .actuals_import import _keys
from .enterprise_cells import msg
from .fdi_import import read_rows, reject_found

SHEET = "零售额"
SHEET_NAMES = (SHEET, "retail", "retail_sales")
FIELDS: dict[str, tuple[str, ...]] = {
    "period": ("月份", "期间"),
    "org_unit": ("地区",),
    "series_kind": ("类别",),
    "series": ("名称",),
    "sales_wan": ("当月零售额（万元）", "当月零售额", "零售额（万元）"),
}
FILLED = ("period", "org_unit", "series_kind", "sales_wan")
MONTH_RE = r"^(?<y>\d{4})(?:-|/|年)(?<m>\d{1,2})月?$"
MAX_NAME = 100
# What ``yuan_to_fen`` found wrong, in words (the unit is said by the caller).
MONEY_PROBLEM = {SHAPE: "格式错误", DECIMALS: "小数位数过多（最多到分）", NEGATIVE: "不能为负", TOO_LARGE: "超出范围"}


def org_lookup(catalog: Catalog) -> pl.DataFrame:
    """Every spelling of an org unit below the province (code or name) → ``org_code``, with
    ``_ambiguous`` for a name two units share."""
    return _keys([(key, u.code) for u in catalog.org_units if u.kind != "province" for key in (u.code, u.name_zh)],
                 {"org_unit": pl.String, "org_code": pl.String}, ["org_unit"])


def read_retail(source: Path, catalog: Catalog, market: MarketCatalog, *, today: date | None = None,
                limits: SheetLimits | None = None, shown_name: str | None = None) -> pl.DataFrame:
    """Read and check a retail sales file (XLSX sheet 零售额 — or its only sheet — or a CSV):
    the rows in RETAIL_SCHEMA (org units as codes, kinds as codes, categories as codes), or
    ``ImportRejected`` with every problem. ``today`` bounds the months (none may lie ahead)."""
    source, sheet, positions, rows = read_rows(source, FIELDS, SHEET_NAMES, limits=limits,
                                               shown_name=shown_name, numeric=("_wan",))
    checked, found = _check(rows, catalog, market, today or date.today())
    reject_found(source, sheet, positions, found, shown_name)
    return checked.select(period="month", org_unit="org_code", series_kind="kind_code",
                          series=pl.col("series_code").fill_null(""), sales_fen="fen").cast(RETAIL_SCHEMA)


def _check(rows: pl.DataFrame, catalog: Catalog, market: MarketCatalog, today: date
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    col = pl.col
    kinds = _keys([(k, code) for code, name in market.kinds.items() for k in (code, name)],
                  {"series_kind": pl.String, "kind_code": pl.String}, ["series_kind"]).drop("_ambiguous")
    rules = pl.DataFrame({"kind_code": list(market.name_rules), "rule": list(market.name_rules.values())})
    categories = _keys([(k, code) for code, name in market.categories.items() for k in (code, name)],
                       {"series": pl.String, "category": pl.String}, ["series"]).drop("_ambiguous")
    parts = col("period").str.extract_groups(MONTH_RE)
    wan = col("sales_wan")
    df = (rows.join(org_lookup(catalog), on="org_unit", how="left", maintain_order="left")
          .join(kinds, on="series_kind", how="left", maintain_order="left")
          .join(rules, on="kind_code", how="left", maintain_order="left")
          .join(categories, on="series", how="left", maintain_order="left")
          .with_columns(col("_ambiguous").fill_null(False),
                        y=parts.struct.field("y").cast(pl.Int32, strict=False),
                        m=parts.struct.field("m").cast(pl.Int32, strict=False),
                        money=yuan_to_fen(pl.when(wan.str.ends_with("万")).then(wan).otherwise(wan + "万"), wan=True))
          .with_columns(month=pl.when(col("m").is_between(1, 12))
                        .then(pl.format("{}-{}", col("y"), col("m").cast(pl.String).str.zfill(2))),
                        fen=col("money").struct.field("fen"),
                        series_code=pl.when(col("rule") == "category").then("category")
                        .when(col("rule") == "free").then("series"))
          .with_columns(key=pl.concat_str([col("month"), col("org_code"), col("kind_code"),
                                           col("series_code").fill_null("")], separator="|")))
    this_month = f"{today.year}-{today.month:02d}"
    checks: list[tuple[str, pl.Expr]] = [
        *[(f, pl.when(col(f).is_null()).then(pl.lit(f"{FIELDS[f][0]}为空：此格必须填写"))) for f in FILLED],
        ("period", pl.when(col("period").is_not_null() & col("month").is_null()).then(msg(
            "月份格式错误：“", col("period"), "”（如 2024-06 或 2024年6月）"))),
        ("period", pl.when(col("month") > this_month).then(msg(
            f"月份晚于本月（{this_month}）：只能填写已经过去的月份，实为 ", col("month")))),
        ("org_unit", pl.when(col("org_unit").is_not_null() & col("org_code").is_null() & ~col("_ambiguous")).then(msg(
            "未知地区：“", col("org_unit"), "”既不是地区代码，也不是地区名称"))),
        ("org_unit", pl.when(col("_ambiguous")).then(msg("地区名称不唯一：“", col("org_unit"), "”，请填写地区代码"))),
        ("series_kind", pl.when(col("series_kind").is_not_null() & col("kind_code").is_null()).then(msg(
            "未知类别：“", col("series_kind"), "”（可选：", pl.lit("、".join(market.kinds.values())), "）"))),
        ("series", pl.when((col("rule") == "none") & col("series").is_not_null()).then(msg(
            "“", col("series_kind"), "”是总量，名称须留空，实为“", col("series"), "”"))),
        ("series", pl.when((col("rule") != "none") & col("series").is_null()).then(msg(
            "名称为空：“", col("series_kind"), "”须填写名称"))),
        ("series", pl.when((col("rule") == "category") & col("series").is_not_null() & col("category").is_null())
         .then(msg("未知商品类别：“", col("series"), "”（可选：", pl.lit("；".join(market.categories.values())), "）"))),
        ("series", pl.when((col("rule") == "free") & (col("series").str.len_chars() > MAX_NAME)).then(pl.lit(
            f"企业名称过长：最多 {MAX_NAME} 个字符"))),
        ("series", pl.when((col("rule") == "free") & col("series").str.contains(r"[\x00-\x1f\x7f]")).then(pl.lit(
            "企业名称含有控制字符"))),
        ("sales_wan", pl.when(col("money").struct.field("problem").is_not_null()).then(msg(
            "当月零售额", col("money").struct.field("problem").replace_strict(MONEY_PROBLEM, default="格式错误"),
            "：“", wan, "”（以万元为单位，如 1200 或 1,200.5）"))),
        ("org_unit", pl.when(col("key").is_duplicated() & col("key").is_not_null()).then(pl.lit(
            "重复行：同一月份、地区、类别和名称在本文件中出现多次"))),
    ]
    frames = [df.select("_row", field=pl.lit(f), reason=reason.cast(pl.String)) for f, reason in checks]
    return df, pl.concat(frames).filter(col("reason").is_not_null())
