"""Who pays (附则二): the city treasury for 市本级 enterprises, the district or county for the
others; 柯城区 pays its own and settles with the city at year end."""

from __future__ import annotations

import polars as pl

CITY = "330800"
SETTLES_WITH_CITY = ("330802",)  # 柯城区


def payer_expr(city_level: tuple[str, ...]) -> pl.Expr:
    """The paying treasury's org-unit code for each row's ``org_unit``."""
    return pl.when(pl.col("org_unit").is_in(list(city_level))).then(pl.lit(CITY)).otherwise(pl.col("org_unit"))


def treasury_name(names: dict[str, str], code: str) -> str:
    """衢州市财政 / 柯城区财政 …"""
    return f"{names.get(code, code)}财政"
