"""The tables, errors and shared helpers of 政策兑现 (award fulfilment): the leaf the workflow
modules (the ``commerce_brain.fulfilment`` package and ``store.enterprise_imports``) import, so
that none of them imports another through the package's facade.

The rules the tables enforce and the awards' states are described in ``commerce_brain.fulfilment``.
"""

from __future__ import annotations

from sqlalchemy import (
    false,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .metadata import metadata

STATES = ("proposed", "confirmed", "approved", "rejected", "paid")
STATE_ZH = {"proposed": "待确认", "confirmed": "企业已确认", "approved": "审核通过", "rejected": "已驳回",
            "paid": "已兑付"}
# The columns that make one award one award (the unique key and the ON CONFLICT target).
AWARD_KEY = ("uscc", "rule", "subject", "payee", "year", "tranche")
MAX_REASON = 500

# ---- stored enterprise data: the policy engine's three input frames ---------------------------

enterprises = Table(
    "enterprises",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("industry", String(50)),
    Column("is_manufacturing", Boolean),
    Column("is_industrial", Boolean),
    Column("is_listed", Boolean),
    Column("is_provincial_or_central_owned", Boolean),
)

enterprise_facts = Table(
    "enterprise_facts",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("main_revenue", BigInteger),
    Column("rd_spend", BigInteger),
)

enterprise_events = Table(
    "enterprise_events",
    metadata,
    # The event's position in the import (1-based), not a sequence: the engine names an event
    # without a subject by its row, so loading must give the rows back in the same order.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("uscc", String(18), nullable=False),
    Column("date", Date, nullable=False),
    Column("year", Integer, nullable=False),
    Column("kind", String(100), nullable=False),
    Column("level", String(50)),
    Column("amount", BigInteger),
    Column("count", BigInteger),
    Column("subject", String(500)),
    Column("rating", String(50)),
    Column("local_share", BigInteger),
    Column("benchmark_rate", BigInteger),
    Column("days", BigInteger),
    Column("assessed_award", BigInteger),
    Column("already_paid", BigInteger),
    Index("ix_enterprise_events_uscc", "uscc"),
)

# ---- awards and their batches ---------------------------------------------------------------

award_batches = Table(
    "award_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("run_by", String(200), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Column("computed", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("already_present", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
    Column("inserted_fen", BigInteger, nullable=False),
)

awards = Table(
    "awards",
    metadata,
    Column("id", Integer, primary_key=True),
    # An award comes from a 免申即享 batch or from an enterprise's claim: exactly one of the two.
    Column("batch_id", Integer, ForeignKey("award_batches.id")),
    Column("claim_id", Integer, ForeignKey("claims.id")),
    Column("uscc", String(18), nullable=False),
    # Name and org unit as they were when proposed: the payment list must show what was
    # decided on, and a later import may drop or rename the enterprise.
    Column("name", String(500), nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("year", Integer, nullable=False),
    Column("rule", String(100), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("payee", String(30), nullable=False),
    Column("tranche", String(50), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("payer", String(20), nullable=False),
    Column("settle_with_city", Boolean, nullable=False),
    Column("needs_review", Boolean, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("figures", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("reason", String(MAX_REASON)),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(*AWARD_KEY, name="uq_awards_key"),
    CheckConstraint("state IN ('proposed', 'confirmed', 'approved', 'rejected', 'paid')", name="ck_awards_state"),
    CheckConstraint("amount_fen > 0", name="ck_awards_amount"),
    CheckConstraint("(batch_id IS NULL) <> (claim_id IS NULL)", name="ck_awards_origin"),
    CheckConstraint("state <> 'rejected' OR reason IS NOT NULL", name="ck_awards_rejected_reason"),
    Index("ix_awards_payer_state", "payer", "state"),
    Index("ix_awards_uscc", "uscc"),
    Index("ix_awards_year_state", "year", "state"),
    Index("ix_awards_claim_id", "claim_id"),
)

# 评审核定: the reviewers' figure of a 最高… award, entered by the policy officer (fulfilment.assessments).
award_assessments = Table(
    "award_assessments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("award_id", Integer, ForeignKey("awards.id"), nullable=False),
    # The proposal's figure (拟定/上限) beside the assessed one: what the cap would have paid.
    Column("proposed_fen", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("reason", String(MAX_REASON), nullable=False),
    # The optional 专家评审意见, kept like a claim's evidence (bytes and SHA-256 in the database).
    Column("filename", String(255)),
    Column("content_type", String(100)),
    Column("size", BigInteger),
    Column("sha256", String(64)),
    Column("content", LargeBinary),
    Column("assessed_by", String(200), nullable=False),
    Column("assessed_at", DateTime(timezone=True), nullable=False),
    # Once per award: a second figure would be a second decision on the same money.
    UniqueConstraint("award_id", name="uq_award_assessments_award"),
    CheckConstraint("amount_fen > 0 AND amount_fen <= proposed_fen", name="ck_award_assessments_amount"),
)


# ---- disbursement: one list per paying treasury, paid once ------------------------------------

payment_lists = Table(
    "payment_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("payer", String(20), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True)),
    Column("paid_by", String(200)),
    CheckConstraint("(paid_at IS NULL) = (paid_by IS NULL)", name="ck_payment_lists_paid"),
)

payment_items = Table(
    "payment_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", Integer, ForeignKey("payment_lists.id"), nullable=False),
    Column("award_id", Integer, ForeignKey("awards.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    UniqueConstraint("award_id", name="uq_payment_items_award"),
    CheckConstraint("amount_fen > 0", name="ck_payment_items_amount"),
    Index("ix_payment_items_list_id", "list_id"),
)


# ---- errors: each says in Chinese, then English, why --------------------------------------------

class FulfilmentError(ValueError):
    """A request the fulfilment rules refuse."""


class NotFound(FulfilmentError):
    """No such award or payment list (or not one the user may see)."""


class NotAllowed(FulfilmentError):
    """The user's role or scope does not allow this."""


class WrongState(FulfilmentError):
    """The award or list is not in a state that allows this (or someone else changed it first)."""


class SameOfficer(NotAllowed):
    """Four eyes: the person who prepared a step may not also complete it (the finance officer
    who created a payment list marking it paid)."""


class NothingToPay(FulfilmentError):
    """No approved award of that treasury is waiting for a payment list."""


class NoData(FulfilmentError):
    """No enterprise data has been stored yet."""


def actor_name(actor, capability: str) -> str:
    """The audit name of whoever acts. A ``User`` must hold ``capability``; a plain string is a
    trusted caller (the CLI run by the operator) and is recorded as given."""
    from ..access import User, can, refusal

    if isinstance(actor, User):
        if not can(actor, capability):
            raise NotAllowed(refusal(actor, capability))

        return actor.username
    if not isinstance(actor, str) or not actor.strip():
        raise TypeError(f"actor must be a User or a non-empty name, not {actor!r}")
    return actor.strip()


def within_scope(query, table, scope):
    """``query`` narrowed in SQL to the rows of ``table`` that ``scope`` may see, by the table's
    ``uscc`` and ``org_unit`` columns: for speed and for sums the database makes. Where rows come
    back, ``access.filter_visible`` still decides (it fails closed). A responsible unit's scope
    sees no award, claim or enterprise row: those tables have no unit to match."""
    if scope.units is not None:
        query = query.where(false())
    if scope.uscc is not None:
        query = query.where(table.c.uscc == scope.uscc)
    if scope.org_units is not None:
        query = query.where(table.c.org_unit.in_(sorted(scope.org_units)))
    return query


def insert_ignoring_duplicates(conn, table, *key: str):
    """``INSERT … ON CONFLICT (key) DO NOTHING`` in the connection's dialect: under concurrency
    the loser of a race waits for the winner's commit and then skips the row, without an error."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"no ON CONFLICT support for {conn.dialect.name}")
    return insert(table).on_conflict_do_nothing(index_elements=list(key))
