"""From candidate awards to what is paid: 就高、补差 (附则二) and the caps, over the whole table.

1. 就高: where one subject (a centre, a listing, an enterprise-year) qualifies several times
   in one declared exclusivity group in a year, only the highest award stands (an assessed
   award before a proposal awaiting review).
2. 补差: what was already paid for that subject (an earlier policy or level) is deducted.
3. Caps: per deal on each award; per enterprise or per subject on the sum, the largest
   awards first.

Both 1 and 3 work on a sorted table: a segment starts where the key changes, so no
per-group window is needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

SUBJECT = ["eid", "year", "group", "subject"]


def _starts(keys: Sequence[str]) -> pl.Expr:
    """True on the first row of each run of equal keys in a sorted table."""
    changed = [pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys]
    return pl.any_horizontal(changed).fill_null(True)


def highest_once(candidates: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the highest candidate per subject and group; return (kept, superseded)."""
    # Only rules with a declared group can collide; the rest are one row per key already.
    alone = candidates.filter(~pl.col("grouped"))
    grouped = candidates.filter(pl.col("grouped"))
    # An assessed award outranks a proposal awaiting review (a proposal is the cap, not an
    # amount anyone has granted); among equals the highest amount stands.
    ordered = grouped.sort([*SUBJECT, "needs_review", "amount_fen", "rule"],
                              descending=[False] * 4 + [False, True, False])
    ordered = ordered.with_columns(_starts(SUBJECT).alias("_first"))
    ordered = ordered.with_columns(
        pl.when(pl.col("_first")).then(pl.col("rule")).forward_fill().alias("superseded_by")
    )
    kept = ordered.filter(pl.col("_first")).drop("_first", "superseded_by")
    superseded = ordered.filter(~pl.col("_first")).drop("_first")
    return pl.concat([alone, kept]), superseded


def pay_difference(awards: pl.DataFrame) -> pl.DataFrame:
    """补差: deduct what was already paid for the subject; never below zero."""
    paid = pl.col("already_paid_fen").fill_null(0)
    return awards.with_columns(
        pl.col("amount_fen").alias("computed_fen"),
        pl.max_horizontal(pl.col("amount_fen") - paid, pl.lit(0, dtype=pl.Int64)).alias("amount_fen"),
    )


def apply_caps(awards: pl.DataFrame) -> pl.DataFrame:
    """Cap each deal, and the sum per enterprise or per subject within a rule and year."""
    cap = pl.col("cap_fen")
    awards = awards.with_columns(
        pl.when(cap.is_not_null() & (pl.col("cap_per") == "deal"))
        .then(pl.min_horizontal("amount_fen", cap)).otherwise(pl.col("amount_fen")).alias("amount_fen")
    )
    pooled = cap.is_not_null() & pl.col("cap_per").is_in(["enterprise", "subject"])
    shared, alone = awards.filter(pooled), awards.filter(~pooled)
    if shared.is_empty():
        return awards
    keys = ["eid", "year", "rule", "_scope"]
    # The largest awards are counted first, so a cap trims the smallest ones.
    shared = (
        shared.with_columns(pl.when(pl.col("cap_per") == "subject").then(pl.col("subject")).otherwise(pl.lit(""))
                            .alias("_scope"))
        .sort([*keys, "amount_fen"], descending=[False] * 4 + [True])
        .with_columns(pl.col("amount_fen").cum_sum().alias("_running"), _starts(keys).alias("_first"))
    )
    # Amount counted before this row within its segment: running total less the segment's start.
    offset = pl.when(pl.col("_first")).then(pl.col("_running") - pl.col("amount_fen")).forward_fill()
    before = pl.col("_running") - pl.col("amount_fen") - offset
    room = pl.max_horizontal(cap - before, pl.lit(0, dtype=pl.Int64))
    shared = shared.with_columns(pl.min_horizontal("amount_fen", room).alias("amount_fen")).drop(
        "_scope", "_running", "_first")
    return pl.concat([alone, shared])


def arbitrate(candidates: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Candidates → awards to pay (amount > 0: a proposal that 补差 or a cap leaves at zero
    has nothing left to review); also the superseded ones."""
    kept, superseded = highest_once(candidates)
    awards = apply_caps(pay_difference(kept))
    return awards.filter(pl.col("amount_fen") > 0), superseded
