"""Confirm, approve, reject: an award's way from proposal to a payment list, and who sees it.

Every change is read → conditional UPDATE (``WHERE state = <the state read>``) → audit event,
the last two in one transaction. The read happens before the transaction opens (SQLite would
otherwise have two readers each wait for the other to upgrade to a writer); the condition
makes the read safe: if anyone changed the award in between, nothing is updated and the
caller is told to reload.

Approval needs the enterprise's confirmation. 免申即享 spares the enterprise the application,
not the acceptance: confirming is where it attests the award is its own and was not paid
elsewhere, and no rule in the catalog is marked as payable without it. An award whose amount
awaits the reviewers' figure (``needs_review``, proposed at the 最高 cap) is never approved:
approving would pay the cap.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine, func, select, update

from ..access import Scope, User, can, filter_visible, refusal
from ..store.audit import audit_events, record
from ..store.fulfilment_tables import (
    MAX_REASON,
    STATE_ZH,
    FulfilmentError,
    NotAllowed,
    NotFound,
    WrongState,
    awards,
    payment_items,
    within_scope,
)
from ..store.moments import as_utc
from ..store.metadata import read_only

AWARD_FIELDS = ("id", "batch_id", "claim_id", "uscc", "name", "org_unit", "year", "rule", "subject", "payee",
                "tranche", "amount_fen", "payer", "settle_with_city", "needs_review", "explanation", "figures", "state",
                "reason", "updated_by", "updated_at")
AWARD_SCHEMA = {
    "id": pl.Int64, "batch_id": pl.Int64, "claim_id": pl.Int64, "uscc": pl.String, "name": pl.String,
    "org_unit": pl.String, "year": pl.Int32, "rule": pl.String, "subject": pl.String, "payee": pl.String,
    "tranche": pl.String,
    "amount_fen": pl.Int64, "payer": pl.String, "settle_with_city": pl.Boolean, "needs_review": pl.Boolean,
    "explanation": pl.String, "figures": pl.String, "state": pl.String, "reason": pl.String,
    "updated_by": pl.String, "updated_at": pl.Datetime("us", "UTC"), "list_id": pl.Int64,
}


def _query():
    # An award is on at most one list (uq_payment_items_award), so the outer join adds no rows.
    return (select(*(awards.c[f] for f in AWARD_FIELDS), payment_items.c.list_id)
            .select_from(awards.outerjoin(payment_items, payment_items.c.award_id == awards.c.id)))


def _frame(rows) -> pl.DataFrame:
    records = [{**row._mapping, "updated_at": as_utc(row.updated_at)} for row in rows]
    return pl.DataFrame(records, schema=AWARD_SCHEMA)


def list_awards(engine: Engine, *, scope: Scope, state: str | None = None, year: int | None = None,
                payer: str | None = None, limit: int | None = None) -> pl.DataFrame:
    """The awards ``scope`` may see, newest first, optionally of one state, year or treasury.

    Filtered in SQL for speed and again with ``access.filter_visible``, the one definition of
    who sees which rows (which fails closed)."""
    query = within_scope(_query().order_by(awards.c.id.desc()), awards, scope)
    for column, value in (("state", state), ("year", year), ("payer", payer)):
        if value is not None:
            query = query.where(awards.c[column] == value)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        frame = _frame(conn.execute(query).all())
    return filter_visible(frame, scope)


def award_totals(engine: Engine, *, scope: Scope, year: int | None = None) -> dict[str, dict]:
    """Per state: how many awards ``scope`` may see and their total (fen), summed by the database
    (the cockpit asks on every view; the awards table may hold a whole city's years)."""
    total = func.coalesce(func.sum(awards.c.amount_fen), 0)
    query = select(awards.c.state, func.count(), total).group_by(awards.c.state)
    if year is not None:
        query = query.where(awards.c.year == year)
    with read_only(engine).connect() as conn:
        rows = conn.execute(within_scope(query, awards, scope)).all()
    return {state: {"count": int(count), "total_fen": int(total)} for state, count, total in rows}


def get_award(engine: Engine, award_id: int, *, scope: Scope) -> dict:
    """One award (with ``list_id``, the payment list it is on) if ``scope`` may see it;
    NotFound when there is none or it is someone else's: the same answer, word for word, so
    that ids outside one's scope cannot be told from ids that do not exist."""
    with engine.connect() as conn:
        frame = _frame(conn.execute(_query().where(awards.c.id == award_id)).all())
    if frame.is_empty() or filter_visible(frame, scope).is_empty():
        raise NotFound("无此奖补")
    return frame.row(0, named=True)


def award_history(engine: Engine, award_id: int) -> list[dict]:
    """The audit events about one award, oldest first (who confirmed, approved, rejected)."""
    query = (select(audit_events.c.id, audit_events.c.at, audit_events.c.actor, audit_events.c.action,
                    audit_events.c.detail)
             .where(audit_events.c.object == f"award:{award_id}").order_by(audit_events.c.id))
    with engine.connect() as conn:
        return [{"id": r.id, "at": as_utc(r.at), "actor": r.actor, "action": r.action, "detail": _parse(r.detail)}
                for r in conn.execute(query)]


def confirm(engine: Engine, award_id: int, *, user: User) -> dict:
    """The enterprise accepts a proposed award of its own USCC (proposed → confirmed)."""
    _require(user, "confirm_own_awards")
    award = get_award(engine, award_id, scope=Scope(uscc=user.uscc or "\0"))
    _expect(award, ("proposed",), "确认")
    return _transition(engine, award, user, to="confirmed", action="award.confirm",
                       guard=(awards.c.uscc == user.uscc,))


def approve(engine: Engine, award_id: int, *, user: User) -> dict:
    """A policy officer approves a confirmed award (confirmed → approved); an award awaiting
    the reviewers' amount is refused (see the module docstring)."""
    _require(user, "review_awards")
    award = get_award(engine, award_id, scope=Scope())
    _expect(award, ("confirmed",), "审核通过")
    if award["needs_review"]:
        raise WrongState("该奖补金额待评审核定（按最高额暂列），不能审核通过")
    return _transition(engine, award, user, to="approved", action="award.approve",
                       guard=(awards.c.needs_review.is_(False),))


def reject(engine: Engine, award_id: int, *, user: User, reason: str) -> dict:
    """A policy officer rejects a proposed or confirmed award, giving the reason (kept with
    the award and in the audit log). Approved and paid awards cannot be rejected."""
    _require(user, "review_awards")
    reason = _reason(reason, "驳回")
    award = get_award(engine, award_id, scope=Scope())
    _expect(award, ("proposed", "confirmed"), "驳回")
    return _transition(engine, award, user, to="rejected", action="award.reject", reason=reason)


def reopen(engine: Engine, award_id: int, *, user: User, reason: str) -> dict:
    """A policy officer takes a rejected award back into review, giving the reason (new
    evidence, a mistaken rejection). A batch award returns to ``proposed`` (the enterprise
    confirms again); a claim's award to ``confirmed`` (the enterprise asked for it). Without
    this, a rejection would block the award's key for good: later batches leave it as it is."""
    _require(user, "review_awards")
    reason = _reason(reason, "重新审核")
    award = get_award(engine, award_id, scope=Scope())
    _expect(award, ("rejected",), "重新审核")
    back = "confirmed" if award.get("claim_id") else "proposed"
    return _transition(engine, award, user, to=back, action="award.reopen", reason=reason)


def _reason(reason: str | None, verb: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise FulfilmentError(f"请填写{verb}理由")
    if len(reason) > MAX_REASON:
        raise FulfilmentError(f"{verb}理由过长：最多 {MAX_REASON} 字"
)
    return reason


def _require(user: User, capability: str) -> None:
    if not can(user, capability):
        raise NotAllowed(refusal(user, capability))


def _expect(award: dict, states: tuple[str, ...], verb: str) -> None:
    if award["state"] not in states:
        allowed = "、".join(STATE_ZH[s] for s in states)
        raise WrongState(f"该奖补当前为“{STATE_ZH[award['state']]}”，只有“{allowed}”的可以{verb}")


def _transition(engine: Engine, award: dict, user: User, *, to: str, action: str, reason: str | None = None,
                guard: tuple = ()) -> dict:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        result = conn.execute(
            update(awards).where(awards.c.id == award["id"], awards.c.state == award["state"], *guard)
            .values(state=to, reason=reason, updated_by=user.username, updated_at=now))
        if result.rowcount != 1:
            raise WrongState("该奖补刚被他人处理，请刷新后重试")
        record(conn, actor=user.username, action=action, object=f"award:{award['id']}", detail={
            "from": award["state"], "to": to, "uscc": award["uscc"], "rule": award["rule"], "year": award["year"],
            "amount_fen": award["amount_fen"], "payer": award["payer"], "reason": reason})
    return {**award, "state": to, "reason": reason, "updated_by": user.username, "updated_at": now}




def _parse(detail: str):
    try:
        return json.loads(detail)
    except ValueError:  # an edited event; audit verify reports it
        return detail
