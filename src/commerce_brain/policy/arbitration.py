"""From candidate awards to what is paid: 就高、补差 (附则二) and the caps, over the whole table.

1. 就高: where one subject (a centre, a listing, an enterprise-year) qualifies several times
   in one declared exclusivity group in a year, only the highest award stands (an assessed
   award before a proposal awaiting review).
2. 补差: what was already paid for that subject (an earlier policy or level) is deducted.
3. Caps: per deal on each award; per enterprise or per subject on the sum, the largest
   awards first.

Both 1 and 3 work on a sorted table: a segment starts where the key changes, so no
per-group window is needed. Only the few key and amount columns are sorted, never the whole
candidate table: results go back to the candidates' rows (``_row``), and the caller gathers
the paid rows once.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

SUBJECT = ["eid", "year", "group", "subject"]
_ROW = pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row")  # a candidate's row, to put results back


def _starts(keys: Sequence[str]) -> pl.Expr:
    """True on the first row of each run of equal keys in a sorted table."""
    changed = [pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys]
    return pl.any_horizontal(changed).fill_null(True)


def highest_once(candidates: pl.DataFrame) -> tuple[pl.Series, pl.DataFrame]:
    """Which candidates stand (a boolean per row: every ungrouped one, the highest per subject
    and group of the grouped), and the superseded ones with the rule they gave way to."""
    stands = ~candidates["grouped"]
    # Only rules with a declared group can collide; the rest are one row per key already, so
    # only the grouped rows' keys (not every column) are sorted.
    grouped = candidates.select(_ROW, *SUBJECT, "needs_review", "amount_fen", "rule", "grouped").filter(pl.col("grouped"))
    if grouped.is_empty():
        return stands, candidates.clear().with_columns(pl.lit(None, dtype=pl.String).alias("superseded_by"))
    # An assessed award outranks a proposal awaiting review (a proposal is the cap, not an
    # amount anyone has granted); among equals the highest amount stands.
    ordered = grouped.sort([*SUBJECT, "needs_review", "amount_fen", "rule"],
                           descending=[False] * 4 + [False, True, False])
    ordered = ordered.with_columns(_starts(SUBJECT).alias("_first"))
    ordered = ordered.with_columns(
        pl.when(pl.col("_first")).then(pl.col("rule")).forward_fill().alias("superseded_by")
    )
    stands = stands.scatter(ordered.filter(pl.col("_first"))["_row"], True)
    lost = ordered.filter(~pl.col("_first"))
    return stands, candidates[lost["_row"]].with_columns(lost["superseded_by"])


def pay_difference(candidates: pl.DataFrame) -> pl.DataFrame:
    """补差: deduct what was already paid for the subject; never below zero."""
    paid = pl.col("already_paid_fen").fill_null(0)
    return candidates.with_columns(
        pl.col("amount_fen").alias("computed_fen"),
        pl.max_horizontal(pl.col("amount_fen") - paid, pl.lit(0, dtype=pl.Int64)).alias("amount_fen"),
    )


def apply_caps(candidates: pl.DataFrame, stands: pl.Series) -> pl.DataFrame:
    """Cap each deal, and the sum per enterprise or per subject within a rule and year, over
    the candidates that ``stands``."""
    cap = pl.col("cap_fen")
    candidates = candidates.with_columns(
        pl.when(cap.is_not_null() & (pl.col("cap_per") == "deal"))
        .then(pl.min_horizontal("amount_fen", cap)).otherwise(pl.col("amount_fen")).alias("amount_fen")
    )
    keys = ["eid", "year", "rule", "_scope"]
    # Only the pooled rows' keys and amounts are sorted; their capped amounts go back in place.
    shared = candidates.select(
        _ROW, "eid", "year", "rule", "amount_fen", "cap_fen", "cap_per", "subject", stands.alias("_stands"),
    ).filter(cap.is_not_null() & pl.col("cap_per").is_in(["enterprise", "subject"]) & pl.col("_stands"))
    if shared.is_empty():
        return candidates
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
    capped = shared.select("_row", pl.min_horizontal("amount_fen", room).alias("amount_fen"))
    return candidates.with_columns(candidates["amount_fen"].scatter(capped["_row"], capped["amount_fen"]))


def arbitrate(candidates: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """Candidates → what is paid: the candidates with their amount after 就高、补差 and the
    caps (``computed_fen`` before 补差), the rows of those paid (they stand and the amount is
    > 0: a proposal that 补差 or a cap leaves at zero has nothing left to review), and the
    superseded. Rows rather than a filtered copy: the caller gathers the columns it shows."""
    stands, superseded = highest_once(candidates)
    amounts = apply_caps(pay_difference(candidates), stands)
    paid = amounts.select((pl.col("amount_fen") > 0) & stands).to_series()
    return amounts, paid.arg_true(), superseded
