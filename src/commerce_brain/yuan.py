"""Money typed in 元 → integer fen: the one rule the file import and the 政策计算器 form share.

Exact by construction: the digits are shifted, never multiplied as a float, and a figure with
more decimals than fen is refused, not rounded. Commas are allowed only as thousands separators
(1,234,567.89), a trailing 元 is dropped, and where a form allows it a trailing 万 scales by ten
thousand (12.5万 = 125,000 元; the fen are then the sixth decimal). Columnar: ``yuan_to_fen``
is a Polars expression over a whole column; a single value goes through the same expression.
"""

from __future__ import annotations

import polars as pl

from .policy.expr_compile import BOUNDS

# Optional sign; integer digits (commas only in groups of three) or none (".5"); any decimals —
# the decimals beyond fen are a problem of their own, so that the message can say why.
YUAN_RE = r"^(?<sign>[+-]?)(?<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.(?<frac>[0-9]*))?$"
MAX_FEN = BOUNDS["money"]  # 10万亿元: what the engine's exact arithmetic is sized for
# What can be wrong, in the order it is reported.
SHAPE, DECIMALS, NEGATIVE, TOO_LARGE = "shape", "decimals", "negative", "too_large"


def yuan_to_fen(text: pl.Expr, *, wan: bool = False) -> pl.Expr:
    """A struct of ``fen`` (Int64, null unless fine) and ``problem`` (null, or one of SHAPE,
    DECIMALS, NEGATIVE, TOO_LARGE) for trimmed text in 元 (or 万元 with ``wan``). Null text
    gives null fen and no problem."""
    text = text.str.strip_suffix("元").str.strip_chars()
    in_wan = text.str.ends_with("万") if wan else pl.lit(False)
    if wan:
        text = pl.when(in_wan).then(text.str.strip_suffix("万").str.strip_chars()).otherwise(text)
    parts = text.str.extract_groups(YUAN_RE)
    sign, frac = parts.struct.field("sign"), parts.struct.field("frac").fill_null("")
    digits = parts.struct.field("int").str.replace_all(",", "", literal=True)
    significant = digits.str.strip_chars_start("0").str.len_chars()
    # The decimals that are fen: 2 for 元, 6 for 万元 (0.000001万 is one fen).
    places = pl.when(in_wan).then(pl.lit(6, pl.Int64)).otherwise(pl.lit(2, pl.Int64))
    # More integer digits than 10万亿元 has is too large; cut off before Int64 could overflow.
    too_long = significant > 16 - places
    whole = pl.when(~too_long & (digits != "")).then(digits.cast(pl.Int64, strict=False)).otherwise(0)
    fen = (whole * pl.when(places == 6).then(pl.lit(1_000_000, pl.Int64)).otherwise(pl.lit(100, pl.Int64))
           + pl.when(places == 6).then(frac.str.slice(0, 6).str.pad_end(6, "0"))
           .otherwise(frac.str.slice(0, 2).str.pad_end(2, "0")).cast(pl.Int64))
    beyond = pl.when(places == 6).then(frac.str.slice(6)).otherwise(frac.str.slice(2))
    problem = (
        pl.when(text.is_null()).then(None)
        .when(digits.is_null() | ((digits == "") & (frac == ""))).then(pl.lit(SHAPE))
        .when(beyond.str.contains("[^0]")).then(pl.lit(DECIMALS))
        .when((sign == "-") & (too_long | (fen > 0))).then(pl.lit(NEGATIVE))
        .when(too_long | (fen > MAX_FEN)).then(pl.lit(TOO_LARGE))
    )
    return pl.struct(fen=pl.when(problem.is_null() & text.is_not_null()).then(fen), problem=problem)


def parse_yuan(text: str, *, wan: bool = False) -> tuple[int | None, str | None]:
    """One trimmed text through ``yuan_to_fen``: (fen, None) or (None, problem)."""
    found = pl.select(yuan_to_fen(pl.lit(text, pl.String), wan=wan).alias("r")).item()
    return found["fen"], found["problem"]
