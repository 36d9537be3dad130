"""Columns of text into values, each with the reason it failed (null when fine), as Polars
expressions over whole columns: money in 元 into integer fen exactly (the digits shifted, never
through a float), ratios and rates into millionths, whole numbers, yes/no flags, dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..policy.expr_compile import BOUNDS
from ..policy.fact_registry import Fact
from ..yuan import DECIMALS, NEGATIVE, SHAPE, TOO_LARGE, yuan_to_fen
from .enterprise_fields import (
    DATE_RE,
    FALSE_WORDS,
    FIELD_ALIASES,
    INT_RE,
    PPM,
    RATIO_RE,
    TRUE_WORDS,
    YEARS,
)

def msg(*parts: str | pl.Expr) -> pl.Expr:
    """A message from literal text and column values (no format braces to escape)."""
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in parts],
                         ignore_nulls=True)


def zh(field: str) -> str:
    return FIELD_ALIASES[field][0]


@dataclass(frozen=True)
class Parsed:
    """How one text column becomes values. ``parts`` (the regex match) is computed first, as a
    column, so that the regex runs once; ``reason`` is null when the cell is fine; ``value`` is
    kept only for cells that are filled and fine."""

    parts: pl.Expr
    value: pl.Expr
    reason: pl.Expr


def parse(df: pl.DataFrame, parsed: dict[str, Parsed]) -> pl.DataFrame:
    """Adds ``{field}_value`` and ``_{field}_reason`` for each parsed field."""
    return (df.with_columns(**{parts_of(f): p.parts for f, p in parsed.items()})
            .with_columns(**{f"_{f}_reason": p.reason for f, p in parsed.items()})
            .with_columns(**{f"{f}_value": pl.when(pl.col(f"_{f}_reason").is_null()).then(p.value)
                             for f, p in parsed.items()}))


def reasons(parsed: dict[str, Parsed]) -> list[tuple[str, pl.Expr]]:
    return [(f, pl.col(f"_{f}_reason")) for f in parsed]


def parts_of(field: str) -> str:
    return f"_{field}_parts"


def part(field: str, name: str) -> pl.Expr:
    return pl.col(parts_of(field)).struct.field(name)


def money(field: str) -> Parsed:
    """Yuan text → fen (Int64), exactly: the digits are shifted, not multiplied as floats. The
    rule is ``yuan.yuan_to_fen``, the one the 政策计算器 form uses (without 万: a file's money
    columns are in 元)."""
    col = pl.col(field)
    problem = part(field, "problem")
    reason = (
        pl.when(problem == SHAPE).then(msg(f"{zh(field)}格式错误：“", col,
                                           "”（以元为单位，如 1234567.89 或 1,234,567.89）"))
        .when(problem == DECIMALS).then(msg("金额最多两位小数（到分）：“", col, "”"))
        .when(problem == NEGATIVE).then(msg(f"{zh(field)}不能为负：“", col, "”"))
        .when(problem == TOO_LARGE).then(msg(
            f"{zh(field)}超出范围：“", col, "”（最多 10万亿元）"))
    )
    return Parsed(yuan_to_fen(col), part(field, "fen"), reason)


def whole_number(digits: pl.Expr) -> pl.Expr:
    """The integer part of a number; "" (as in ".5") is 0. Not strict: other rows' text is
    still there, and a failed cast is caught by the shape check."""
    return pl.when(digits == "").then(pl.lit(0, pl.Int64)).otherwise(
        digits.cast(pl.Int64, strict=False))


def ratio(field: str) -> Parsed:
    """"0.75" or "75%" → 750000 ppm. Digits past a millionth are rounded half up (a share may
    be a formula such as 1/3), unlike money, which must be exact."""
    col = pl.col(field)
    whole, given = part(field, "int"), part(field, "frac")
    frac = given.fill_null("").str.pad_end(7, "0")
    as_ratio = whole_number(whole) * PPM + frac.str.slice(0, 6).cast(pl.Int64) + (
        frac.str.slice(6, 1).cast(pl.Int64) >= 5).cast(pl.Int64)
    as_percent = whole_number(whole) * (PPM // 100) + frac.str.slice(0, 4).cast(pl.Int64) + (
        frac.str.slice(4, 1).cast(pl.Int64) >= 5).cast(pl.Int64)
    value = pl.when(part(field, "pct") == "%").then(as_percent).otherwise(as_ratio)
    value = pl.when(part(field, "sign") == "-").then(-value).otherwise(value)
    reason = (
        pl.when(col.is_null()).then(None)
        .when(whole.is_null() | ((whole == "") & given.is_null())).then(msg(
            f"{zh(field)}格式错误：“", col,
            "”（写比例如 0.75，或百分数如 75%）"))
        .when(~value.is_between(0, PPM)).then(msg(
            f"{zh(field)}超出范围：“", col,
            "”（应在 0 到 1 之间：写 0.75 或 75%；利率写 4.35% 或 0.0435）"))
    )
    parts = col.str.replace_all("％", "%").str.replace_all(" ", "").str.extract_groups(RATIO_RE)
    return Parsed(parts, value, reason)


def integer(field: str, *, suffix: str = "") -> Parsed:
    """Whole number (thousands commas allowed); negative counts and days are refused."""
    col = pl.col(field)
    number = part(field, "int").str.replace_all(",", "").cast(pl.Int64, strict=False)
    number = pl.when(part(field, "sign") == "-").then(-number).otherwise(number)
    reason = (
        pl.when(col.is_null()).then(None)
        .when(number.is_null()).then(msg(f"{zh(field)}不是整数：“", col, "”"))
        .when(number < 0).then(msg(f"{zh(field)}不能为负：“", col, "”"))
        .when(number > BOUNDS["number"]).then(msg(
            f"{zh(field)}超出范围：“", col, f"”（最多 {BOUNDS['number']:,}）"))
    )
    parts = col.str.strip_suffix(suffix).str.strip_chars().str.extract_groups(INT_RE)
    return Parsed(parts, number, reason)


def year_problem(value: pl.Expr) -> pl.Expr:
    low, high = YEARS
    return pl.when(value.is_not_null() & ~value.is_between(low, high)).then(msg(
        f"年份超出范围：应在 {low}–{high} 之间，实为 ", value.cast(pl.String)))


def boolean(field: str, *, empty: bool | None = False) -> Parsed:
    """是/否, 1/0, Y/N, yes/no, true/false (any case); an empty cell is ``empty`` (no, or
    unknown for a yearly fact)."""
    words = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    parts = pl.col(field).str.to_lowercase().replace_strict(words, default=None,
                                                           return_dtype=pl.Boolean)
    reason = pl.when(pl.col(field).is_not_null() & pl.col(parts_of(field)).is_null()).then(msg(
        f"{zh(field)}取值错误：“", pl.col(field), "”（应填 是/否 或 1/0）"))
    value = pl.col(parts_of(field))
    return Parsed(parts, value if empty is None else value.fill_null(empty), reason)


def date(field: str) -> Parsed:
    col = pl.col(field)
    value = pl.format("{}-{}-{}", part(field, "y"), part(field, "m").str.zfill(2),
                      part(field, "d").str.zfill(2)).str.to_date("%Y-%m-%d", strict=False)
    reason = pl.when(col.is_not_null() & value.is_null()).then(msg(
        f"{zh(field)}格式错误：“", col,
        "”（如 2023-05-01、2023/5/1 或 2023年5月1日）"
))
    return Parsed(col.str.extract_groups(DATE_RE), value, reason)


DECIMAL_RE = r"^(?<sign>[+-]?)(?<int>[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{0,15})(?:\.(?<frac>[0-9]*))?$"


def decimal(field: str, scale: int) -> Parsed:
    """"12.35" → 1235 with ``scale`` 2: the digits shifted, exact (never through a float);
    more decimals than the scale keeps are refused rather than rounded away."""
    col = pl.col(field)
    whole, frac = part(field, "int").str.replace_all(",", ""), part(field, "frac").fill_null("")
    value = (whole_number(whole) * 10 ** scale
             + pl.when(frac == "").then(pl.lit(0, pl.Int64))
             .otherwise(frac.str.pad_end(scale, "0").str.slice(0, scale).cast(pl.Int64, strict=False)))
    value = pl.when(part(field, "sign") == "-").then(-value).otherwise(value)
    reason = (
        pl.when(col.is_null()).then(None)
        .when(whole.is_null() | ((whole == "") & (frac == ""))).then(msg(
            f"{zh(field)}格式错误：“", col, "”（写数字，如 12.35）"))
        .when(frac.str.len_chars() > scale).then(msg(f"{zh(field)}最多 {scale} 位小数：“", col, "”"))
        .when(part(field, "sign") == "-").then(msg(f"{zh(field)}不能为负：“", col, "”"))
    )
    return Parsed(col.str.extract_groups(DECIMAL_RE), value, reason)


def text(field: str, *, longest: int) -> Parsed:
    """Text kept as written; longer than ``longest`` characters is refused."""
    col = pl.col(field)
    reason = pl.when(col.str.len_chars() > longest).then(msg(
        f"{zh(field)}过长：最多 {longest} 个字，实为 ", col.str.len_chars().cast(pl.String), " 个"))
    return Parsed(pl.lit(None), col, reason)


def choice(field: str, vocabulary: tuple[str, ...]) -> Parsed:
    """One of ``vocabulary`` (case as the catalog writes it: a 类别 "a" is read as "A")."""
    col = pl.col(field)
    upper = {v.upper(): v for v in vocabulary}
    value = col.str.to_uppercase().replace_strict(upper, default=None, return_dtype=pl.String)
    reason = pl.when(col.is_not_null() & value.is_null()).then(msg(
        f"{zh(field)}取值错误：“", col, f"”（可选：{'、'.join(vocabulary)}）"))
    return Parsed(pl.lit(None), value, reason)


def fact_cell(fact: Fact) -> Parsed:
    """How a cell of a registry fact's column is read, by the fact's kind, with its bounds
    (in the file's unit: 元, 亩, 人) checked after the cell is read."""
    if fact.kind == "bool":
        return boolean(fact.name, empty=None)
    if fact.kind == "class":
        return choice(fact.name, fact.vocabulary)
    if fact.kind == "text":
        return text(fact.name, longest=fact.bounds[1])
    parsed = (money(fact.name) if fact.kind == "money" else integer(fact.name) if fact.kind == "number"
              else decimal(fact.name, fact.scale))
    if fact.stored_bounds is None:
        return parsed
    low, high = fact.stored_bounds
    outside = pl.when(parsed.value.is_not_null() & ~parsed.value.is_between(low, high)).then(msg(
        f"{zh(fact.name)}超出范围：“", pl.col(fact.name),
        f"”（应在 {fact.bounds[0]:,} 到 {fact.bounds[1]:,}{fact.unit} 之间）"))
    return Parsed(parsed.parts, parsed.value, pl.coalesce(parsed.reason, outside))
