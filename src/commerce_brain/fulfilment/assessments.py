"""评审核定: the policy officer enters the reviewers' figure for a 最高… award.

A 最高… award (``up_to`` in the catalog) is proposed at its cap and marked ``needs_review``;
approving it as it stands would pay the cap. The policy officer enters what the reviewers
assessed — in fen, more than zero, at most the proposal (the cap after 补差 and the rule's
caps) — with the review's reason and, optionally, the 专家评审意见 as a file (the same file
rules as a claim's evidence). In one transaction the award's amount becomes the assessed
figure, ``needs_review`` is cleared (approval is possible from then on), the assessment is
kept (with the proposal's figure, who and when) and the audit event is written.

The figure comes from an officer only: an enterprise's ``assessed_award`` is dropped wherever
it enters (claims, the calculator), and this step needs ``review_awards``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from ..access import Scope, User
from ..store.audit import record
from .claims_flow import checked_file
from ..policy.explain import yuan
from ..store.fulfilment_tables import FulfilmentError, NotFound, WrongState, actor_name, award_assessments, awards
from .review import _expect, _reason, get_award
from ..store.moments import as_utc

SHOWN = ("award_id", "proposed_fen", "amount_fen", "reason", "filename", "content_type", "size", "sha256",
         "assessed_by", "assessed_at")


class AssessmentRefused(FulfilmentError):
    """An assessed figure, reason or file the rules refuse; nothing was stored."""


def assess(engine: Engine, award_id: int, *, user: User, amount_fen: int, reason: str,
           attachment: tuple[str, bytes] | None = None) -> dict:
    """Set the reviewers' figure of a ``needs_review`` award (proposed or confirmed): the award's
    amount becomes ``amount_fen`` and it may be approved. ``user`` needs ``review_awards``.

    Refused (AssessmentRefused) when the figure is not a whole number of fen above zero and at
    most the proposal, the reason is missing or too long, or the file breaks the evidence rules;
    WrongState when the award is not awaiting a figure (already assessed, a fixed amount) or not
    proposed/confirmed, or changed meanwhile. Returns the stored assessment."""
    if not isinstance(user, User):
        raise TypeError("评审核定 is entered by a policy officer")
    name = actor_name(user, "review_awards")
    award = get_award(engine, award_id, scope=Scope())
    if not award["needs_review"]:
        raise WrongState("该奖补金额无需评审核定或已核定")
    _expect(award, ("proposed", "confirmed"), "评审核定")
    cap = award["amount_fen"]
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise AssessmentRefused("核定金额须大于零")
    if amount_fen > cap:
        raise AssessmentRefused(f"核定金额不能超过本条款上限 {yuan(cap)}")
    reason = _reason(reason, "评审核定")
    stored = checked_file(*attachment, refusal=AssessmentRefused) if attachment else {}
    now = datetime.now(UTC)
    with engine.begin() as conn:
        changed = conn.execute(
            update(awards).where(awards.c.id == award_id, awards.c.state == award["state"],
                                 awards.c.needs_review.is_(True), awards.c.amount_fen == cap)
            .values(amount_fen=amount_fen, needs_review=False, updated_by=name, updated_at=now)).rowcount
        if changed != 1:
            raise WrongState("该奖补刚被他人处理，请刷新后重试")
        conn.execute(insert(award_assessments).values(
            award_id=award_id, proposed_fen=cap, amount_fen=amount_fen, reason=reason, assessed_by=name,
            assessed_at=now, **stored))
        record(conn, actor=name, action="award.assess", object=f"award:{award_id}", detail={
            "from_fen": cap, "to_fen": amount_fen, "reason": reason, "uscc": award["uscc"], "rule": award["rule"],
            "year": award["year"], "payer": award["payer"],
            "attachment": {"filename": stored["filename"], "sha256": stored["sha256"]} if stored else None})
    return get_assessment(engine, award_id)


def get_assessment(engine: Engine, award_id: int) -> dict | None:
    """The award's assessment without the file's bytes (None when it has none). The caller has
    already checked that the user may see the award."""
    query = select(*(award_assessments.c[c] for c in SHOWN)).where(award_assessments.c.award_id == award_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else {**row._mapping, "assessed_at": as_utc(row.assessed_at)}


def assessment_file(engine: Engine, award_id: int, *, scope: Scope) -> dict:
    """The 专家评审意见 of an award ``scope`` may see, with its bytes (``content``); NotFound when
    the award is not visible, has no assessment or the assessment no file (one answer for all)."""
    missing = NotFound("无此附件"
)
    try:
        get_award(engine, award_id, scope=scope)
    except NotFound:
        raise missing from None
    query = (select(award_assessments.c.filename, award_assessments.c.content_type, award_assessments.c.content)
             .where(award_assessments.c.award_id == award_id, award_assessments.c.content.is_not(None)))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise missing
    return dict(row._mapping)

