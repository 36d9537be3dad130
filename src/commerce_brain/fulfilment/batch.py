"""免申即享: evaluate every rule over the stored enterprise data and propose the awards.

A batch may be run again (new data, a second officer, a retry): an award already stored under
the same key is left exactly as it is — whatever its state — and counted as already present;
the database's unique key decides, so two batches running at once cannot both insert it.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine, func, insert, or_, select, update

from ..access import User
from ..catalog import Catalog
from ..notices import notify_proposed
from ..policy.engine import evaluate_years, packaged, variables_read
from ..policy.explain import explain_award
from ..policy.model import PolicyCatalog
from ..policy.paid_before import with_paid_before
from ..policy.subjects import stable_subjects
from ..store.audit import record
from ..store.bulk import insert_frame
from ..store.fulfilment_tables import (
    AWARD_KEY,
    FulfilmentError,
    NoData,
    actor_name,
    award_batches,
    awards,
)
from .data import load_policy_data
from .payments import paid_before
from .rule_edits import effective_policies


@dataclass(frozen=True)
class BatchSummary:
    """What one run did: awards computed, newly proposed, already stored (left as they were),
    and how many of those the data now computes differently (for an officer to look at)."""

    batch_id: int
    year: int
    computed: int
    inserted: int
    already_present: int
    changed: int
    inserted_fen: int


def keyed_awards(computed: pl.DataFrame) -> pl.DataFrame:
    """The awards with a unique key: '' for a missing subject or tranche (NULLs never collide
    in a unique index), and ``#2``… where one rule pays one subject twice in a year (two loans
    of one project both count) — the largest keeps the plain key."""
    frame = computed.with_columns(pl.col("subject").fill_null(""), pl.col("tranche").fill_null(""))
    frame = frame.sort([*AWARD_KEY, "amount_fen", "figures"], descending=[False] * len(AWARD_KEY) + [True, False])
    ordinal = pl.int_range(1, pl.len() + 1).over(list(AWARD_KEY))
    frame = frame.with_columns(
        pl.when(ordinal > 1).then(pl.format("{}#{}", pl.col("subject"), ordinal)).otherwise(pl.col("subject"))
        .alias("subject"))
    if frame.select(pl.struct(list(AWARD_KEY)).is_duplicated().any()).item():
        # Never let ON CONFLICT silently drop an award of this very batch.
        raise FulfilmentError("同一奖补在本次计算中出现两次，无法区分")
    return frame


def run_batch(engine: Engine, year: int, *, actor: User | str, policies: PolicyCatalog | None = None,
              catalog: Catalog | None = None, timings: dict[str, float] | None = None) -> BatchSummary:
    """Propose every award of award year ``year`` the stored enterprise data qualifies for.

    ``actor``: a User holding ``run_batch``, or a trusted caller's name. New awards are
    inserted as ``proposed`` with their explanation; existing keys are left as they are.
    Raises NoData without stored data, and the engine's PolicyYearError / PolicyDataError.
    ``timings``, if given, receives the seconds spent loading, in the engine, explaining and
    storing (the benchmark reports them).
    """
    phase = _Phases(timings if timings is not None else {})
    name = actor_name(actor, "run_batch")
    policies = policies or effective_policies(engine)
    catalog = catalog or packaged()[1]
    with phase("load"):
        # Only the yearly facts the rules read: the registry's others are rows the batch never uses.
        read = variables_read(policies)
        data = load_policy_data(engine, facts={n.removeprefix("prev__") for n in read})
    if data.enterprises.is_empty():
        raise NoData("尚无企业数据，请先导入"
)
    with phase("engine"):
        # 补差: what the imported data records as paid elsewhere, plus what the platform paid.
        events = with_paid_before(data.events, paid_before(engine), policies)
        result = evaluate_years(data.enterprises, data.facts, stable_subjects(events), [year],
                                policies=policies, catalog=catalog)
        computed = keyed_awards(result.awards.filter(pl.col("amount_fen") > 0))
    now = datetime.now(UTC)
    with phase("explain"):
        rows = _rows(computed, _explanations(computed, policies, catalog), name, now)
    with phase("insert"), engine.begin() as conn:
        batch_id = conn.execute(insert(award_batches).values(
            year=year, run_by=name, run_at=now, computed=rows.height, inserted=0, already_present=0, changed=0,
            inserted_fen=0)).inserted_primary_key[0]
        # In bulk (COPY on PostgreSQL): a row-by-row executemany of 20,000 awards takes seconds.
        insert_frame(conn, awards, rows.with_columns(pl.lit(batch_id, dtype=pl.Int64).alias("batch_id")),
                     skip_existing=AWARD_KEY)
        # Counted by batch id rather than rowcount, which drivers report unevenly for executemany.
        inserted, inserted_fen = conn.execute(
            select(func.count(), func.coalesce(func.sum(awards.c.amount_fen), 0))
            .where(awards.c.batch_id == batch_id)).one()
        changed = _changed(conn, computed, year, batch_id)
        counts = {"computed": rows.height, "inserted": inserted, "already_present": rows.height - inserted,
                  "changed": changed, "inserted_fen": int(inserted_fen)}
        conn.execute(update(award_batches).where(award_batches.c.id == batch_id).values(**counts))
        record(conn, actor=name, action="awards.batch", object=f"batch:{batch_id}", detail={"year": year, **counts})
        # The enterprises hear of their new awards with the awards, or not at all.
        notify_proposed(conn, batch_id, policies, actor=name)
    return BatchSummary(batch_id=batch_id, year=year, **counts)


class _Phases:
    """``with phase("load"): …`` adds the block's wall time to ``timings["load"]``."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


# What explain_award reads of an award. Awards that agree on all of it (a flat award, the same
# figures) get the same text, so each distinct combination is explained once; handing it only
# these fields makes it fail loudly rather than share texts wrongly if it ever reads another.
_EXPLAINED_BY = ("rule", "figures", "computed_fen", "amount_fen", "already_paid_fen", "cap_fen", "needs_review",
                 "settle_with_city", "payee", "payer")


def _explanations(computed: pl.DataFrame, policies: PolicyCatalog, catalog: Catalog) -> pl.Series:
    fields = [c for c in _EXPLAINED_BY if c in computed.columns]
    texts: dict[tuple, str] = {}
    explained = []
    for key in computed.select(fields).iter_rows():
        text = texts.get(key)
        if text is None:
            text = texts[key] = explain_award(dict(zip(fields, key, strict=True)), policies, catalog)
        explained.append(text)
    return pl.Series("explanation", explained, dtype=pl.String)


def _rows(computed: pl.DataFrame, explanations: pl.Series, actor: str, now: datetime) -> pl.DataFrame:
    """The awards as rows of the awards table, proposed (batch id still to add)."""
    figures = pl.col("figures")
    return computed.select(
        "uscc", "name", "org_unit", pl.col("year").cast(pl.Int64), "rule", "subject", "payee", "tranche",
        pl.col("amount_fen").cast(pl.Int64), "payer",
        pl.col("settle_with_city").fill_null(False).cast(pl.Boolean),
        pl.col("needs_review").fill_null(False).cast(pl.Boolean),
        explanations,
        pl.when(figures.is_null() | (figures == "")).then(pl.lit("{}")).otherwise(figures).alias("figures"),
        pl.lit("proposed").alias("state"), pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(actor).alias("updated_by"), pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("updated_at"),
    )


def _changed(conn, computed: pl.DataFrame, year: int, batch_id: int) -> int:
    """Stored awards (of earlier batches) the data now computes with another amount or review flag."""
    columns = [*AWARD_KEY, "amount_fen", "needs_review"]
    stored = conn.execute(select(*(awards.c[c] for c in columns))
                          .where(awards.c.year == year,
                                 or_(awards.c.batch_id.is_(None), awards.c.batch_id != batch_id))).all()
    if not stored or computed.is_empty():
        return 0
    schema = {**{c: computed.schema[c] for c in AWARD_KEY}, "amount_fen": pl.Int64, "needs_review": pl.Boolean}
    before = pl.DataFrame([tuple(r) for r in stored], schema=schema, orient="row")
    both = before.join(computed.select(columns), on=list(AWARD_KEY), suffix="_now")
    return both.filter((pl.col("amount_fen") != pl.col("amount_fen_now"))
                       | (pl.col("needs_review") != pl.col("needs_review_now"))).height


def recent_batches(engine: Engine, *, limit: int = 10, batch_id: int | None = None) -> list[dict]:
    """The newest batches (or the one ``batch_id``), with their counts."""
    query = select(award_batches).order_by(award_batches.c.id.desc()).limit(limit)
    if batch_id is not None:
        query = query.where(award_batches.c.id == batch_id)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:  # SQLite hands back naive datetimes; they were written in UTC
        row["run_at"] = row["run_at"].replace(tzinfo=UTC) if row["run_at"].tzinfo is None else row["run_at"]
    return rows
