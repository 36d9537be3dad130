"""Investment amounts: files and JSON speak 亿元 (decimals), the platform keeps integer 万元.

1 亿元 = 10,000 万元, so a figure finer than 1 万元 (more than four decimals of 亿) is refused,
never rounded. Conversions go through Decimal or through the digit-shifting parser of
``yuan.py`` (columnar), never through a float.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

from ..yuan import DECIMALS, NEGATIVE, SHAPE, TOO_LARGE, yuan_to_fen

WAN_PER_YI = 10_000
# What can be wrong with a figure in 亿元, in words for the import's report.
PROBLEM_ZH = {
    SHAPE: "不是数字（以亿元为单位，如 12.5）",
    DECIMALS: "精度超过 1 万元（亿元最多四位小数）",
    NEGATIVE: "不能为负数",
    TOO_LARGE: "数值过大",
}


def yi_to_wan(value: str | Decimal | int) -> int:
    """An amount in 亿元 as integer 万元: ``yi_to_wan("12.5") == 125000``.

    Raises ValueError for text that is not a number, a negative amount or one finer than 1 万元
    (``"0.00001"``): the platform never rounds an investment figure silently."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount in 亿元: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount in 亿元: {value!r}")
    if amount < 0:
        raise ValueError(f"negative amount: {value!r}")
    wan = amount * WAN_PER_YI
    if wan != wan.to_integral_value():
        raise ValueError(f"finer than 1 万元: {value!r}")
    return int(wan)


def wan_to_yi(wan: int) -> Decimal:
    """Integer 万元 as 亿元, exactly: ``wan_to_yi(125000) == Decimal("12.5")``."""
    yi = Decimal(int(wan)).scaleb(-4)
    # Without trailing zeros, and never in exponent form (100000 万元 is 10, not 1E+1).
    return yi.quantize(Decimal(1)) if yi == yi.to_integral_value() else yi.normalize()


def yi_text_to_wan(text: pl.Expr) -> pl.Expr:
    """Columnar ``yi_to_wan`` over trimmed text in 亿元: a struct with ``wan`` (Int64, null unless
    fine) and ``problem`` (null or a key of PROBLEM_ZH). Null text gives null and no problem.

    Reuses the 元 → fen parser: “N 亿” read as “N 万” 元 is N × 10⁶ fen, and N × 10⁴ 万元 is that
    ÷ 100; a remainder means digits finer than 1 万元."""
    trimmed = text.str.strip_chars().str.strip_suffix("亿元").str.strip_suffix("亿").str.strip_chars()
    parsed = yuan_to_fen(trimmed + pl.lit("万"), wan=True)
    fen = parsed.struct.field("fen")
    problem = (pl.when(parsed.struct.field("problem").is_not_null()).then(parsed.struct.field("problem"))
               .when((fen % 100) != 0).then(pl.lit(DECIMALS)))
    return pl.struct(
        wan=pl.when(problem.is_null()).then(fen // 100),
        problem=problem,
    )


def wan_to_yi_float(wan: pl.Expr) -> pl.Expr:
    """万元 → 亿元 for display and JSON only (a float of a figure with at most four decimals
    prints back exactly); never for arithmetic on money."""
    return wan.cast(pl.Float64) / WAN_PER_YI


def wan_to_yi_text(wan: pl.Expr) -> pl.Expr:
    """Integer 万元 as exact 亿元 text for sentences, columnar: 3814500 → "381.45", 400000 → "40",
    −1600 → "-0.16" (digits shifted, never a float)."""
    magnitude = wan.abs()
    fraction = (magnitude % WAN_PER_YI).cast(pl.String).str.pad_start(4, "0").str.strip_chars_end("0")
    sign = pl.when(wan < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.when(wan.is_null()).then(None).otherwise(pl.concat_str([
        sign, (magnitude // WAN_PER_YI).cast(pl.String),
        pl.when(fraction == "").then(pl.lit("")).otherwise(pl.lit(".") + fraction)]))
