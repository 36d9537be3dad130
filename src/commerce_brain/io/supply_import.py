"""Import emergency-supply reports (应急保供物资报表) from CSV or XLSX, all or nothing.

One row per report date × reporting outlet × key good: 报送日期, 地区 (code or name), 网点 (the
outlet's name), 物资 (a good of the supply catalog, code or name), 库存 and 日均消费量 (whole
numbers in the good's unit) and 价格（元） (per unit, at most two decimals; stored as integer
fen). The file is accepted whole or refused with every problem by sheet, row, column and reason,
before any parser sees it when past the limits. Every check is a Polars expression over whole
columns.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from ..settings import SheetLimits
from ..warning.supply import SUPPLY_SCHEMA
from ..warning.supply_catalog import SupplyCatalog
from ..yuan import yuan_to_fen
from .actuals_import import _keys
from .enterprise_cells import msg
from .enterprise_fields import YEARS
from .fdi_import import _date, read_rows, reject_found
from .retail_import import MAX_NAME, MONEY_PROBLEM, org_lookup

SHEET = "应急保供"
SHEET_NAMES = (SHEET, "supply")
FIELDS: dict[str, tuple[str, ...]] = {
    "report_date": ("报送日期", "日期"),
    "org_unit": ("地区",),
    "outlet": ("网点", "报送网点"),
    "item": ("物资", "品种"),
    "stock_qty": ("库存", "库存量"),
    "daily_use_qty": ("日均消费量", "日均销量"),
    "price_yuan": ("价格（元）", "价格", "单价"),
}
# Whole numbers, commas only in groups of three; a numeric cell's "700.0" is a whole number too.
WHOLE_RE = r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,15})(?:\.0+)?$"


def read_supply(source: Path, catalog: Catalog, supply: SupplyCatalog, *, today: date | None = None,
                limits: SheetLimits | None = None, shown_name: str | None = None) -> pl.DataFrame:
    """Read and check a supply report file (XLSX sheet 应急保供 — or its only sheet — or a CSV):
    the rows in SUPPLY_SCHEMA (org units and goods as codes, prices in fen), or
    ``ImportRejected`` with every problem. ``today`` bounds the dates (none may lie ahead)."""
    source, sheet, positions, rows = read_rows(source, FIELDS, SHEET_NAMES, limits=limits, shown_name=shown_name,
                                               numeric=("_qty", "_yuan"))
    checked, found = _check(rows, catalog, supply, today or date.today())
    reject_found(source, sheet, positions, found, shown_name)
    return checked.select(report_date="date", org_unit="org_code", outlet="outlet", item="item_code",
                          stock="stock", daily_use="daily_use", price_fen="fen").cast(SUPPLY_SCHEMA)


def _whole(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.contains(WHOLE_RE)).then(
        text.str.replace(r"\.0+$", "").str.replace_all(",", "").cast(pl.Int64, strict=False))


def _check(rows: pl.DataFrame, catalog: Catalog, supply: SupplyCatalog, today: date
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    col = pl.col
    goods = _keys([(k, code) for code, name in supply.names.items() for k in (code, name)],
                  {"item": pl.String, "item_code": pl.String}, ["item"]).drop("_ambiguous")
    low, high = YEARS
    df = (rows.join(org_lookup(catalog), on="org_unit", how="left", maintain_order="left")
          .join(goods, on="item", how="left", maintain_order="left")
          .with_columns(col("_ambiguous").fill_null(False), date=_date(col("report_date")),
                        stock=_whole(col("stock_qty")), daily_use=_whole(col("daily_use_qty")),
                        money=yuan_to_fen(col("price_yuan")))
          .with_columns(fen=col("money").struct.field("fen"),
                        key=pl.concat_str([col("date").cast(pl.String), col("org_code"), col("outlet"),
                                           col("item_code")], separator="|")))
    checks: list[tuple[str, pl.Expr]] = [
        *[(f, pl.when(col(f).is_null()).then(pl.lit(f"{labels[0]}为空：此格必须填写"))) for f, labels in FIELDS.items()],
        ("report_date", pl.when(col("report_date").is_not_null() & col("date").is_null()).then(msg(
            "报送日期格式错误：“", col("report_date"), "”（如 2024-06-30、2024/6/30 或 2024年6月30日）"))),
        ("report_date", pl.when(col("date") > pl.lit(today)).then(msg(
            f"报送日期晚于今天（{today.isoformat()}）：实为 ", col("date").dt.strftime("%Y-%m-%d")))),
        ("report_date", pl.when(~col("date").dt.year().is_between(low, high)).then(msg(
            f"报送日期年份超出范围：应在 {low}–{high} 之间，实为 ", col("date").dt.year().cast(pl.String)))),
        ("org_unit", pl.when(col("org_unit").is_not_null() & col("org_code").is_null() & ~col("_ambiguous")).then(msg(
            "未知地区：“", col("org_unit"), "”既不是地区代码，也不是地区名称"))),
        ("org_unit", pl.when(col("_ambiguous")).then(msg("地区名称不唯一：“", col("org_unit"), "”，请填写地区代码"))),
        ("outlet", pl.when(col("outlet").str.len_chars() > MAX_NAME).then(pl.lit(f"网点名称过长：最多 {MAX_NAME} 个字符"))),
        ("outlet", pl.when(col("outlet").str.contains(r"[\x00-\x1f\x7f]")).then(pl.lit("网点名称含有控制字符"))),
        ("item", pl.when(col("item").is_not_null() & col("item_code").is_null()).then(msg(
            "未知物资：“", col("item"), "”（可选：", pl.lit("、".join(supply.names.values())), "）"))),
        ("stock_qty", pl.when(col("stock_qty").is_not_null() & col("stock").is_null()).then(msg(
            "库存应为不小于 0 的整数：“", col("stock_qty"), "”"))),
        ("daily_use_qty", pl.when(col("daily_use_qty").is_not_null() & col("daily_use").is_null()).then(msg(
            "日均消费量应为不小于 0 的整数：“", col("daily_use_qty"), "”"))),
        ("price_yuan", pl.when(col("money").struct.field("problem").is_not_null()).then(msg(
            "价格", col("money").struct.field("problem").replace_strict(MONEY_PROBLEM, default="格式错误"),
            "：“", col("price_yuan"), "”（每单位的元，如 25.80）"))),
        ("outlet", pl.when(col("key").is_duplicated() & col("key").is_not_null()).then(pl.lit(
            "重复行：同一报送日期、地区、网点和物资在本文件中出现多次"))),
    ]
    frames = [df.select("_row", field=pl.lit(f), reason=reason.cast(pl.String)) for f, reason in checks]
    return df, pl.concat(frames).filter(col("reason").is_not_null())
