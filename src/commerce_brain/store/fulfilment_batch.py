"""免申即享: evaluate every rule over the stored enterprise data and propose the awards.

A batch may be run again (new data, a second officer, a retry): an award already stored under
the same key is left exactly as it is — whatever its state — and counted as already present;
the database's unique key decides, so two batches running at once cannot both insert it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine, func, insert, or_, select, update

from ..access import User
from ..catalog import Catalog
from ..policy.engine import evaluate_years, packaged
from ..policy.explain import explain_award
from ..policy.subjects import stable_subjects
from ..policy.model import PolicyCatalog
from .audit import record
from .fulfilment import (
    AWARD_KEY,
    FulfilmentError,
    NoData,
    actor_name,
    award_batches,
    awards,
    insert_ignoring_duplicates,
)
from .fulfilment_data import load_policy_data
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
        raise FulfilmentError("同一奖补在本次计算中出现两次，无法区分 two awards of this batch share a key")
    return frame


def run_batch(engine: Engine, year: int, *, actor: User | str, policies: PolicyCatalog | None = None,
              catalog: Catalog | None = None) -> BatchSummary:
    """Propose every award of award year ``year`` the stored enterprise data qualifies for.

    ``actor``: a User holding ``run_batch``, or a trusted caller's name. New awards are
    inserted as ``proposed`` with their explanation; existing keys are left as they are.
    Raises NoData without stored data, and the engine's PolicyYearError / PolicyDataError.
    """
    name = actor_name(actor, "run_batch")
    policies = policies or effective_policies(engine)
    catalog = catalog or packaged()[1]
    data = load_policy_data(engine)
    if data.enterprises.is_empty():
        raise NoData("尚无企业数据，请先导入 no enterprise data stored yet")
    result = evaluate_years(data.enterprises, data.facts, stable_subjects(data.events), [year],
                            policies=policies, catalog=catalog)
    computed = keyed_awards(result.awards.filter(pl.col("amount_fen") > 0))
    now = datetime.now(UTC)
    rows = [_row(award, policies, catalog, name, now) for award in computed.iter_rows(named=True)]
    with engine.begin() as conn:
        batch_id = conn.execute(insert(award_batches).values(
            year=year, run_by=name, run_at=now, computed=len(rows), inserted=0, already_present=0, changed=0,
            inserted_fen=0)).inserted_primary_key[0]
        if rows:
            conn.execute(insert_ignoring_duplicates(conn, awards, *AWARD_KEY),
                         [{**row, "batch_id": batch_id} for row in rows])
        # Counted by batch id rather than rowcount, which drivers report unevenly for executemany.
        inserted, inserted_fen = conn.execute(
            select(func.count(), func.coalesce(func.sum(awards.c.amount_fen), 0))
            .where(awards.c.batch_id == batch_id)).one()
        changed = _changed(conn, computed, year, batch_id)
        counts = {"computed": len(rows), "inserted": inserted, "already_present": len(rows) - inserted,
                  "changed": changed, "inserted_fen": int(inserted_fen)}
        conn.execute(update(award_batches).where(award_batches.c.id == batch_id).values(**counts))
        record(conn, actor=name, action="awards.batch", object=f"batch:{batch_id}", detail={"year": year, **counts})
    return BatchSummary(batch_id=batch_id, year=year, **counts)


def _row(award: dict, policies: PolicyCatalog, catalog: Catalog, actor: str, now: datetime) -> dict:
    return {
        "uscc": award["uscc"], "name": award["name"], "org_unit": award["org_unit"], "year": award["year"],
        "rule": award["rule"], "subject": award["subject"], "payee": award["payee"], "tranche": award["tranche"],
        "amount_fen": int(award["amount_fen"]), "payer": award["payer"],
        "settle_with_city": bool(award["settle_with_city"]), "needs_review": bool(award["needs_review"]),
        "explanation": explain_award(award, policies, catalog), "figures": award["figures"] or "{}",
        "state": "proposed", "reason": None, "updated_by": actor, "updated_at": now,
    }


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
