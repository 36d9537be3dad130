"""Read the 订单+清单 monthly orders file (CSV or XLSX), all or nothing.

One row per sample enterprise × month: the contract columns ``uscc, month, new_orders_usd,
orders_in_hand_usd, expected_exports_usd, market, product_hs, problems`` (or their Chinese
headers), and optionally who the enterprise is (``name``, ``warning_point``, ``org_unit``,
``industry``: the roster). Amounts are whole US dollars; ``month`` is YYYY-MM; ``problems`` a
``;``-separated list of the 清单's codes or names, may be empty; markets, HS chapters, warning
points, counties and industries are checked against the catalog's vocabularies. The file is
accepted whole or refused with every problem by sheet, row, column and reason, and refused
before any parser sees it when past the limits (``spreadsheet_guard``). Every check is a Polars
expression over whole columns: no loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from ..settings import SheetLimits, UploadLimits
from ..uscc import valid_uscc_mask
from ..warning.catalog import OrdersCatalog
from ..warning.orders import ORDER_SCHEMA, ROSTER_SCHEMA
from .actuals_import import PROBLEM_COLS, ImportRejected, Problem, _capped, _keys
from .enterprise_cells import msg
from .enterprise_fields import INT_RE, YEARS
from .fdi_import import COUNTY_KINDS, _body, _header, _sheet, located
from .sheet_cells import Unreadable
from .spreadsheet_guard import SpreadsheetRefused, check_spreadsheet

SHEET = "订单清单"
SHEET_NAMES = (SHEET, "orders", "订单")
# field → (Chinese header, other accepted spellings). The first eight are the contract.
FIELDS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "信用代码"),
    "month": ("月份",),
    "new_orders_usd": ("新增出口订单（美元）", "新增出口订单", "新增订单"),
    "orders_in_hand_usd": ("在手订单（美元）", "在手订单"),
    "expected_exports_usd": ("预计未来1-3个月出口（美元）", "预计出口（美元）", "预计出口"),
    "market": ("主要市场",),
    "product_hs": ("主要产品（HS章）", "主要产品"),
    "problems": ("问题清单", "清单"),
    "name": ("企业名称",),
    "warning_point": ("预警点",),
    "org_unit": ("所在地区", "地区"),
    "industry": ("行业",),
}
ROSTER_FIELDS = ("name", "warning_point", "org_unit", "industry")
AMOUNTS = ("new_orders_usd", "orders_in_hand_usd", "expected_exports_usd")
# 2024-03 | 2024-3 | 2024/03 | 2024年3月 | 2024-03-01 (a date cell exported by Excel means its month)
MONTH_RE = r"^(?<y>[0-9]{4})[-/.年](?<m>[0-9]{1,2})月?(?:[-/.][0-9]{1,2}(?:[ T][0-9:.]+)?)?$"
HS_CHAPTERS = 97


@dataclass(frozen=True)
class OrdersFile:
    """An accepted orders file: ``orders`` (ORDER_SCHEMA) and ``roster`` (ROSTER_SCHEMA: one row
    per enterprise the file names anything about; null where the file says nothing)."""

    orders: pl.DataFrame
    roster: pl.DataFrame


def read_orders(source: Path, catalog: Catalog, orders: OrdersCatalog, *, limits: SheetLimits | None = None,
                shown_name: str | None = None) -> OrdersFile:
    """Read and check an orders file (XLSX sheet 订单清单 — or its only sheet — or a CSV). Raises
    ``ImportRejected`` with every problem, or at once when the file is past ``limits`` (the
    数据导入 limits by default)."""
    source = Path(source)
    name = shown_name or source.name
    try:
        check_spreadsheet(source, limits or UploadLimits.from_env().actuals_sheet, shown_name=name)
        sheet = _sheet(source, SHEET_NAMES)
    except (SpreadsheetRefused, Unreadable) as exc:
        raise ImportRejected(source, [Problem(name, 0, "", str(exc))]) from None
    positions, problems = _header(sheet, FIELDS, optional=ROSTER_FIELDS)
    if positions is None:
        raise ImportRejected(source, _capped(pl.DataFrame(problems, schema=PROBLEM_COLS), name))
    rows = _body(sheet, positions, FIELDS, numeric=("_usd", "product_hs"))
    if rows.height == 0:
        raise ImportRejected(source, [Problem(sheet.label, 0, "", "无数据行：只有表头")])
    rows = rows.with_columns(pl.lit(None, pl.String).alias(f) for f in ROSTER_FIELDS if f not in positions)
    checked, found = _check(rows, catalog, orders)
    found = located(found, positions, sheet)
    if found.height:
        raise ImportRejected(source, _capped(found, name))
    files = _frames(checked)
    # An enterprise whose county the file leaves blank lies in its warning point's county.
    point_county = pl.col("warning_point").replace_strict(orders.warning_points, default=None, return_dtype=pl.String)
    return OrdersFile(files.orders, files.roster.with_columns(org_unit=pl.coalesce("org_unit", point_county)))


def _lookup(vocabulary: dict[str, str], field: str) -> pl.DataFrame:
    """Every spelling (code or Chinese name) of ``vocabulary`` → ``{field}_code``."""
    return _keys([(k, code) for code, name in vocabulary.items() for k in (code, name)],
                 {field: pl.String, f"{field}_code": pl.String}, [field]).drop("_ambiguous")


def _check(rows: pl.DataFrame, catalog: Catalog, orders: OrdersCatalog) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows with parsed values, and every problem as (_row, field, reason)."""
    col = pl.col
    counties = {u.code: u.name_zh for u in catalog.org_units if u.kind in COUNTY_KINDS}
    month = col("month").str.extract_groups(MONTH_RE)
    year, mon = (month.struct.field(p).cast(pl.Int32, strict=False) for p in ("y", "m"))
    hs = col("product_hs").str.replace(r"\.0+$", "").cast(pl.Int32, strict=False)
    df = (rows.join(_lookup(orders.markets, "market"), on="market", how="left", maintain_order="left")
          .join(_lookup(dict(zip(orders.warning_points, orders.warning_points)), "warning_point"), on="warning_point", how="left", maintain_order="left")
          .join(_lookup(counties, "org_unit"), on="org_unit", how="left", maintain_order="left")
          .join(_lookup(orders.industries, "industry"), on="industry", how="left", maintain_order="left")
          .join(_problem_codes(rows, orders), on="_row", how="left", maintain_order="left")
          .with_columns(_uscc_ok=pl.Series(valid_uscc_mask(rows["uscc"])),
                        month_text=pl.when(year.is_between(*YEARS) & mon.is_between(1, 12)).then(
                            pl.format("{}-{}", year, mon.cast(pl.String).str.zfill(2))),
                        hs=pl.when(hs.is_between(1, HS_CHAPTERS)).then(hs.cast(pl.String).str.zfill(2)),
                        **{f"{f}_value": _whole(col(f)) for f in AMOUNTS}))
    checks: list[tuple[str, pl.Expr]] = [
        *[(f, pl.when(col(f).is_null()).then(pl.lit(f"{FIELDS[f][0]}为空：此格必须填写")))
          for f in ("uscc", "month", "new_orders_usd")],
        ("uscc", pl.when(col("uscc").is_not_null() & ~col("_uscc_ok")).then(msg(
            "统一社会信用代码“", col("uscc"), "”无效（应为 18 位，校验位正确）"))),
        ("month", pl.when(col("month").is_not_null() & col("month_text").is_null()).then(msg(
            "月份格式错误：“", col("month"), "”（应为 YYYY-MM，如 2024-03）"))),
        ("month", pl.when(col("month_text").is_not_null() & col("uscc").is_not_null()
                          & pl.struct("uscc", "month_text").is_duplicated()).then(msg(
            "重复：企业“", col("uscc"), "”的 ", col("month_text"), " 在本文件中出现多次"))),
        *[(f, pl.when(col(f).is_not_null() & col(f"{f}_value").is_null()).then(msg(
            f"{FIELDS[f][0]}应为不小于 0 的整数美元：“", col(f), "”"))) for f in AMOUNTS],
        ("market", pl.when(col("market").is_not_null() & col("market_code").is_null()).then(msg(
            "未知市场：“", col("market"), "”（可选：", pl.lit("、".join(orders.markets.values())), "）"))),
        ("product_hs", pl.when(col("product_hs").is_not_null() & col("hs").is_null()).then(msg(
            "HS章应为 01–97 的两位数字：“", col("product_hs"), "”"))),
        ("problems", pl.when(col("_unknown_problems") != "").then(msg(
            "未知问题：", col("_unknown_problems"), "（可选：", pl.lit("、".join(orders.problems.values())), "）"))),
        ("warning_point", pl.when(col("warning_point").is_not_null() & col("warning_point_code").is_null()).then(msg(
            "未知预警点：“", col("warning_point"), "”"))),
        ("org_unit", pl.when(col("org_unit").is_not_null() & col("org_unit_code").is_null()).then(msg(
            "未知地区：“", col("org_unit"), "”（应为县（市、区）或功能区的代码或名称）"))),
        ("industry", pl.when(col("industry").is_not_null() & col("industry_code").is_null()).then(msg(
            "未知行业：“", col("industry"), "”（可选：", pl.lit("、".join(orders.industries.values())), "）"))),
        *[(f, pl.when(col(f).is_not_null() & (col(f).min().over("uscc") != col(f).max().over("uscc"))).then(msg(
            "同一企业“", col("uscc"), f"”在本文件中填写了不同的{FIELDS[f][0]}"))) for f in ROSTER_FIELDS],
    ]
    frames = [df.select("_row", field=pl.lit(f), reason=reason.cast(pl.String)) for f, reason in checks]
    return df, pl.concat(frames).filter(col("reason").is_not_null())


def _whole(text: pl.Expr) -> pl.Expr:
    """Whole US dollars from text (thousands commas and a trailing .0 allowed); null when
    malformed or negative."""
    parts = text.str.extract_groups(INT_RE)
    return pl.when(parts.struct.field("sign") != "-").then(
        parts.struct.field("int").str.replace_all(",", "").cast(pl.Int64, strict=False))


def _problem_codes(rows: pl.DataFrame, orders: OrdersCatalog) -> pl.DataFrame:
    """Per row: ``_problem_codes`` (the ticked problems as codes, ``;``-joined in catalog order)
    and ``_unknown_problems`` (what matched no code or name, ``、``-joined; "" when none)."""
    order = {code: i for i, code in enumerate(orders.problems)}
    items = (rows.select("_row", item=pl.col("problems").str.replace_all("；", ";").str.split(";"))
             .explode("item").with_columns(pl.col("item").str.strip_chars())
             .filter(pl.col("item").is_not_null() & (pl.col("item") != ""))
             .join(_lookup(orders.problems, "item"), on="item", how="left")
             .with_columns(_order=pl.col("item_code").replace_strict(order, default=None, return_dtype=pl.Int32)))
    known = items.filter(pl.col("item_code").is_not_null()).unique(["_row", "item_code"]).sort("_row", "_order")
    return (rows.select("_row")
            .join(known.group_by("_row", maintain_order=True).agg(_problem_codes=pl.col("item_code").str.join(";")),
                  on="_row", how="left")
            .join(items.filter(pl.col("item_code").is_null()).group_by("_row").agg(
                _unknown_problems=pl.col("item").str.join("、")), on="_row", how="left")
            .with_columns(pl.col("_problem_codes").fill_null(""), pl.col("_unknown_problems").fill_null("")))


def _frames(df: pl.DataFrame) -> OrdersFile:
    orders = df.select(
        uscc="uscc", month="month_text", new_orders_usd="new_orders_usd_value",
        orders_in_hand_usd="orders_in_hand_usd_value", expected_exports_usd="expected_exports_usd_value",
        market="market_code", product_hs="hs", problems="_problem_codes",
    ).cast(ORDER_SCHEMA).sort("uscc", "month")
    roster = (df.group_by("uscc").agg(name=pl.col("name").drop_nulls().first(),
                                      warning_point=pl.col("warning_point_code").drop_nulls().first(),
                                      org_unit=pl.col("org_unit_code").drop_nulls().first(),
                                      industry=pl.col("industry_code").drop_nulls().first())
              .select(list(ROSTER_SCHEMA)).cast(ROSTER_SCHEMA).sort("uscc"))
    return OrdersFile(orders, roster)
