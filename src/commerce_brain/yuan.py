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
    """A struct whose fields ``fen`` (Int64, null unless fine) and ``problem`` (null, or one of
    SHAPE, DECIMALS, NEGATIVE, TOO_LARGE) read trimmed text in 元 (or 万元 with ``wan``); its
    other fields are the steps. Null text gives null fen and no problem.

    Built stage by stage on one struct (``pl.field``), so the regex runs once per cell: written
    as one nested expression, Polars evaluated it once per reference (10× slower)."""
    field = pl.field
    steps = pl.struct(text.str.strip_suffix("元").str.strip_chars().alias("t"))
    if wan:
        steps = steps.struct.with_fields(in_wan=field("t").str.ends_with("万")).struct.with_fields(
            t=pl.when(field("in_wan")).then(field("t").str.strip_suffix("万").str.strip_chars()).otherwise(field("t")))
    else:
        steps = steps.struct.with_fields(in_wan=pl.lit(False))
    steps = (
        steps.struct.with_fields(parts=field("t").str.extract_groups(YUAN_RE))
        .struct.with_fields(
            sign=field("parts").struct.field("sign"),
            digits=field("parts").struct.field("int").str.replace_all(",", "", literal=True),
            frac=field("parts").struct.field("frac").fill_null(""),
            # The decimals that are fen: 2 for 元, 6 for 万元 (0.000001万 is one fen).
            places=pl.when(field("in_wan")).then(pl.lit(6, pl.Int64)).otherwise(pl.lit(2, pl.Int64)))
        .struct.with_fields(
            # More integer digits than 10万亿元 has is too large; cut off before Int64 could overflow.
            too_long=field("digits").str.strip_chars_start("0").str.len_chars() > 16 - field("places"),
            head=pl.when(field("in_wan")).then(field("frac").str.slice(0, 6).str.pad_end(6, "0"))
            .otherwise(field("frac").str.slice(0, 2).str.pad_end(2, "0")),
            beyond=pl.when(field("in_wan")).then(field("frac").str.slice(6)).otherwise(field("frac").str.slice(2)))
        .struct.with_fields(raw_fen=pl.when(~field("too_long") & (field("digits") != ""))
                            .then(field("digits").cast(pl.Int64, strict=False)).otherwise(0)
                            * pl.when(field("in_wan")).then(pl.lit(1_000_000, pl.Int64)).otherwise(pl.lit(100, pl.Int64))
                            + field("head").cast(pl.Int64, strict=False))
    )
    problem = (
        pl.when(field("t").is_null()).then(None)
        .when(field("digits").is_null() | ((field("digits") == "") & (field("frac") == ""))).then(pl.lit(SHAPE))
        .when(field("beyond").str.contains("[^0]")).then(pl.lit(DECIMALS))
        .when((field("sign") == "-") & (field("too_long") | (field("raw_fen") > 0))).then(pl.lit(NEGATIVE))
        .when(field("too_long") | (field("raw_fen") > MAX_FEN)).then(pl.lit(TOO_LARGE))
    )
    return steps.struct.with_fields(problem=problem).struct.with_fields(
        fen=pl.when(field("problem").is_null() & field("t").is_not_null()).then(field("raw_fen")))


def parse_yuan(text: str, *, wan: bool = False) -> tuple[int | None, str | None]:
    """One trimmed text through ``yuan_to_fen``: (fen, None) or (None, problem)."""
    found = pl.select(yuan_to_fen(pl.lit(text, pl.String), wan=wan).alias("r")).item()
    return found["fen"], found["problem"]
