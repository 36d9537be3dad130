"""Import the trade remedy case register (贸易救济案件) and the country risk table (国别风险) from
CSV or XLSX, all or nothing; every problem by sheet, row, column and reason; every check a
Polars expression over whole columns.

Cases: one row per case and enterprise involved — 案件编号, 国家（地区） and 案件类型 (the catalog's
vocabularies, code or name), 产品（HS章） (01–97), 立案日期, 裁决日期 (may be empty), 涉案企业
（统一社会信用代码, may be empty) and 涉案出口额（美元） (whole dollars, with an enterprise only). A
case's facts must read the same on each of its rows.

Country risk: one row per country or region — 风险等级 (the catalog's levels), 境外投资项目数,
中方投资额（万美元, at most four decimals: a dollar） and 说明.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from ..settings import SheetLimits
from ..uscc import valid_uscc_mask
from ..warning.trade import COUNTRY_RISK_SCHEMA, REMEDY_SCHEMA
from ..warning.trade_catalog import TradeCatalog
from .actuals_import import _keys
from .enterprise_cells import msg
from .fdi_import import PROJECT_ID_RE, _date, _usd, _usd_reason, read_rows, reject_found
from .supply_import import _whole

REMEDY_FIELDS: dict[str, tuple[str, ...]] = {
    "case_id": ("案件编号",),
    "country": ("国家（地区）", "国家"),
    "product_hs": ("产品（HS章）", "HS章"),
    "kind": ("案件类型", "类型"),
    "opened": ("立案日期",),
    "ruled": ("裁决日期",),
    "uscc": ("涉案企业（统一社会信用代码）", "涉案企业"),
    "exports_usd_text": ("涉案出口额（美元）", "涉案出口额"),
}
RISK_FIELDS: dict[str, tuple[str, ...]] = {
    "country": ("国家（地区）", "国家"),
    "risk_level": ("风险等级",),
    "projects_text": ("境外投资项目数",),
    "investment_usd_wan": ("中方投资额（万美元）", "中方投资额"),
    "note": ("说明",),
}
MAX_NOTE = 500


def _lookup(vocabulary: dict[str, str], field: str, code: str) -> pl.DataFrame:
    return _keys([(k, c) for c, name in vocabulary.items() for k in (c, name)],
                 {field: pl.String, code: pl.String}, [field]).drop("_ambiguous")


def _required(fields: dict[str, tuple[str, ...]], names: tuple[str, ...]) -> list[tuple[str, pl.Expr]]:
    return [(f, pl.when(pl.col(f).is_null()).then(pl.lit(f"{fields[f][0]}为空：此格必须填写"))) for f in names]


def _unknown(field: str, code: str, label: str, vocabulary: dict[str, str]) -> tuple[str, pl.Expr]:
    return (field, pl.when(pl.col(field).is_not_null() & pl.col(code).is_null()).then(msg(
        f"未知{label}：“", pl.col(field), "”（可选：", pl.lit("、".join(vocabulary.values())), "）")))


def _found(df: pl.DataFrame, checks: list[tuple[str, pl.Expr]]) -> pl.DataFrame:
    frames = [df.select("_row", field=pl.lit(f), reason=reason.cast(pl.String)) for f, reason in checks]
    return pl.concat(frames).filter(pl.col("reason").is_not_null())


def read_remedies(source: Path, catalog: Catalog, trade: TradeCatalog, *, today: date | None = None,
                  limits: SheetLimits | None = None, shown_name: str | None = None) -> pl.DataFrame:
    """Read and check a case register (XLSX sheet 贸易救济案件 or a CSV): REMEDY_SCHEMA rows
    (``uscc`` "" for a case without an enterprise), or ``ImportRejected`` with every problem."""
    source, sheet, positions, rows = read_rows(source, REMEDY_FIELDS, ("贸易救济案件", "remedies"), limits=limits,
                                               shown_name=shown_name, numeric=("_text", "product_hs"))
    today = today or date.today()
    col = pl.col
    hs = col("product_hs").str.replace(r"\.0+$", "").cast(pl.Int32, strict=False)
    df = (rows.join(_lookup(trade.countries, "country", "country_code"), on="country", how="left", maintain_order="left")
          .join(_lookup(trade.remedy_kinds, "kind", "kind_code"), on="kind", how="left", maintain_order="left")
          .with_columns(hs=pl.when(hs.is_between(1, 97)).then(hs.cast(pl.String).str.zfill(2)),
                        opened_on=_date(col("opened")), ruled_on=_date(col("ruled")),
                        exports_usd=_whole(col("exports_usd_text")),
                        uscc_ok=pl.Series(valid_uscc_mask(rows["uscc"].fill_null(""))) | col("uscc").is_null())
          .with_columns(facts=pl.concat_str([col(c).cast(pl.String).fill_null("∅")
                                             for c in ("country_code", "hs", "kind_code", "opened_on", "ruled_on")],
                                            separator="|")))
    checks = [
        *_required(REMEDY_FIELDS, ("case_id", "country", "product_hs", "kind", "opened")),
        ("case_id", pl.when(col("case_id").is_not_null() & ~col("case_id").str.contains(PROJECT_ID_RE)).then(msg(
            "案件编号“", col("case_id"), "”只能由字母、数字、汉字和 - _ . 组成，最长 100 个字符"))),
        _unknown("country", "country_code", "国家（地区）", trade.countries),
        _unknown("kind", "kind_code", "案件类型", trade.remedy_kinds),
        ("product_hs", pl.when(col("product_hs").is_not_null() & col("hs").is_null()).then(msg(
            "HS章应为 01–97 的两位数字：“", col("product_hs"), "”"))),
        *[(f, pl.when(col(f).is_not_null() & col(d).is_null()).then(msg(
            f"{REMEDY_FIELDS[f][0]}格式错误：“", col(f), "”（如 2025-02-10）"))) for f, d in (("opened", "opened_on"),
                                                                                          ("ruled", "ruled_on"))],
        ("opened", pl.when(col("opened_on") > pl.lit(today)).then(msg(
            f"立案日期晚于今天（{today.isoformat()}）：实为 ", col("opened_on").dt.strftime("%Y-%m-%d")))),
        ("ruled", pl.when(col("ruled_on") < col("opened_on")).then(pl.lit("裁决日期早于立案日期"))),
        ("uscc", pl.when(~col("uscc_ok")).then(msg("统一社会信用代码无效：“", col("uscc"), "”"))),
        ("exports_usd_text", pl.when(col("exports_usd_text").is_not_null() & col("exports_usd").is_null()).then(msg(
            "涉案出口额应为不小于 0 的整数（美元）：“", col("exports_usd_text"), "”"))),
        ("exports_usd_text", pl.when(col("exports_usd_text").is_not_null() & col("uscc").is_null()).then(pl.lit(
            "涉案出口额须与涉案企业同填"))),
        ("case_id", pl.when(col("facts").n_unique().over("case_id") > 1).then(msg(
            "同一案件“", col("case_id"), "”在各行的国家、产品、类型或日期不一致"))),
        ("uscc", pl.when(pl.struct("case_id", "uscc").is_duplicated() & col("case_id").is_not_null()).then(pl.lit(
            "重复行：同一案件和涉案企业在本文件中出现多次"))),
    ]
    reject_found(source, sheet, positions, _found(df, checks), shown_name)
    return df.select("case_id", uscc=col("uscc").fill_null(""), country="country_code", product_hs="hs",
                     kind="kind_code", opened_on="opened_on", ruled_on="ruled_on",
                     exports_usd="exports_usd").cast(REMEDY_SCHEMA).select(list(REMEDY_SCHEMA))


def read_country_risk(source: Path, catalog: Catalog, trade: TradeCatalog, *, limits: SheetLimits | None = None,
                      shown_name: str | None = None, **_) -> pl.DataFrame:
    """Read and check a country risk table (XLSX sheet 国别风险 or a CSV): COUNTRY_RISK_SCHEMA rows
    (investment in integer US dollars), or ``ImportRejected`` with every problem."""
    source, sheet, positions, rows = read_rows(source, RISK_FIELDS, ("国别风险", "country_risk"), limits=limits,
                                               shown_name=shown_name, numeric=("_text", "_usd_wan"))
    col = pl.col
    df = (rows.join(_lookup(trade.countries, "country", "country_code"), on="country", how="left", maintain_order="left")
          .join(_lookup(trade.risk_levels, "risk_level", "level_code"), on="risk_level", how="left",
                maintain_order="left")
          .with_columns(projects=_whole(col("projects_text")), investment_usd=_usd(col("investment_usd_wan"))))
    checks = [
        *_required(RISK_FIELDS, ("country", "risk_level", "projects_text", "investment_usd_wan")),
        _unknown("country", "country_code", "国家（地区）", trade.countries),
        _unknown("risk_level", "level_code", "风险等级", trade.risk_levels),
        ("projects_text", pl.when(col("projects_text").is_not_null() & col("projects").is_null()).then(msg(
            "境外投资项目数应为不小于 0 的整数：“", col("projects_text"), "”"))),
        ("investment_usd_wan", _usd_reason(col("investment_usd_wan"), col("investment_usd"), "中方投资额")),
        ("note", pl.when(col("note").str.len_chars() > MAX_NOTE).then(pl.lit(f"说明过长：最多 {MAX_NOTE} 个字符"))),
        ("country", pl.when(col("country_code").is_duplicated() & col("country_code").is_not_null()).then(pl.lit(
            "重复行：同一国家（地区）在本文件中出现多次"))),
    ]
    reject_found(source, sheet, positions, _found(df, checks), shown_name)
    return df.select(country="country_code", risk_level="level_code", projects="projects",
                     investment_usd="investment_usd", note="note").cast(COUNTRY_RISK_SCHEMA)

