"""补差 from what officers and the platform record, never from the enterprise. Pure: no I/O.

An event's ``already_paid`` (what was paid before for the same subject, deducted by 补差) is
reviewer data. It is the sum of
- what an officer recorded as paid elsewhere: the ``already_paid`` column of the enterprise
  data the policy office imports (stored events), and
- what the platform itself paid: paid awards of the same enterprise and subject in an earlier
  award year, under the event's own rule or a rule of the same 就高 group (one honour at two
  levels: a provincial centre paid in 2021 is deducted from its national award in 2023).

Both are joined over whole tables (Polars), for the 免申即享 batch and for a claim alike.
"""

from __future__ import annotations

import polars as pl

from .model import PolicyCatalog

PAID_SCHEMA = {"uscc": pl.String, "rule": pl.String, "subject": pl.String, "year": pl.Int32, "paid_fen": pl.Int64}


def related_rules(policies: PolicyCatalog) -> pl.DataFrame:
    """(kind, rule): for each event kind, the rules whose earlier payments count against it —
    the rules it triggers and every rule sharing a 就高 group with one of them."""
    rules = policies.rules()
    pairs = {(kind, other.id) for rule in rules for kind in rule.on if kind != "facts" for other in rules
             if other.id == rule.id or (rule.group is not None and other.group == rule.group)}
    return pl.DataFrame(sorted(pairs), schema={"kind": pl.String, "rule": pl.String}, orient="row")


def with_paid_before(events: pl.DataFrame, paid: pl.DataFrame, policies: PolicyCatalog) -> pl.DataFrame:
    """``events`` with the platform's earlier payments (``paid``: PAID_SCHEMA) added to
    ``already_paid`` for the same enterprise and subject (see the module docstring)."""
    if paid.is_empty() or events.is_empty():
        return events
    indexed = events.with_row_index("_row")
    found = (indexed.select("_row", "uscc", "kind", "subject", "year")
             .join(related_rules(policies), on="kind")
             .join(paid.rename({"year": "paid_year"}), on=["uscc", "rule", "subject"])
             .filter(pl.col("paid_year") < pl.col("year"))
             .group_by("_row").agg(pl.col("paid_fen").sum()))
    return (indexed.join(found, on="_row", how="left").sort("_row")  # the events' order names them
            .with_columns(pl.when(pl.col("paid_fen").is_null()).then(pl.col("already_paid"))
                          .otherwise(pl.col("already_paid").fill_null(0) + pl.col("paid_fen")).alias("already_paid"))
            .drop("_row", "paid_fen").select(events.columns))


def with_officer_records(events: pl.DataFrame, recorded: pl.DataFrame) -> pl.DataFrame:
    """An enterprise's events (its ``already_paid`` already dropped) with what officers recorded
    as paid elsewhere for the same kind and subject in the stored events (``recorded``: the
    stored events frame); an event nobody recorded keeps none."""
    if events.is_empty():
        return events
    known = (recorded.filter(pl.col("already_paid").is_not_null() & pl.col("subject").is_not_null())
             .group_by("uscc", "kind", "subject").agg(pl.col("already_paid").max().alias("_recorded")))
    return (events.with_row_index("_row").join(known, on=["uscc", "kind", "subject"], how="left").sort("_row")
            .with_columns(pl.col("_recorded").alias("already_paid")).select(events.columns))
