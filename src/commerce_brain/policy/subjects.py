"""Names for events the data leaves unnamed, stable across imports."""

from __future__ import annotations

import polars as pl


def stable_subjects(events: pl.DataFrame) -> pl.DataFrame:
    """Events with a subject that survives a re-import: ``kind@date`` (``#2``… for a second
    event of that kind on that day), where the file gave none.

    The engine names a subject-less event by its row in the file (``events第9行``); stored
    awards are keyed by subject, so a re-import with one row more would shift every name
    after it and a re-run would propose those awards a second time. Each event still is its
    own subject, so 就高 and the caps see what they saw before.
    """
    missing = pl.col("subject").is_null()
    ordinal = pl.int_range(1, pl.len() + 1).over(["uscc", "kind", "date", missing])
    named = pl.format("{}@{}", pl.col("kind"), pl.col("date").cast(pl.String))
    named = pl.when(ordinal > 1).then(pl.format("{}#{}", named, ordinal)).otherwise(named)
    return events.with_columns(pl.when(missing).then(named).otherwise(pl.col("subject")).alias("subject"))
