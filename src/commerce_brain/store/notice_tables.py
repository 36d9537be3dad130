"""站内消息 (push notices) to enterprises, and the disputes they raise about them.

A notice is keyed by its ``topic``: ``award:<award id>`` for an award a batch proposed,
``eligible:<uscc>:<rule>:<year>`` for a rule new data makes an enterprise newly eligible for.
The unique topic is what makes a notice go out exactly once, whoever runs what again.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from .metadata import metadata

KINDS = ("award", "eligible")
MAX_REASON = 500

notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("topic", String(200), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("uscc", String(18), nullable=False),
    # The name as it was when sent: the gateway file addresses the enterprise by it.
    Column("name", String(500), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    # Where it came from: the batch (and its award) or the enterprise-data import.
    Column("award_id", Integer, ForeignKey("awards.id")),
    Column("batch_id", Integer, ForeignKey("award_batches.id")),
    Column("import_id", Integer, ForeignKey("enterprise_imports.id")),
    # 《title》文号 第n条（clause）: the article, never a file name.
    Column("article", String(1000), nullable=False),
    Column("message", Text, nullable=False),
    Column("link", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True)),
    Column("exported_at", DateTime(timezone=True)),
    CheckConstraint("kind IN ('award', 'eligible')", name="ck_notices_kind"),
    CheckConstraint("amount_fen >= 0", name="ck_notices_amount"),
    Index("ix_notices_uscc", "uscc"),
    Index("ix_notices_batch_id", "batch_id"),
)

# 'this notice is wrong': one per notice, a task on the policy office's /notices page until closed.
notice_disputes = Table(
    "notice_disputes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("notice_id", Integer, ForeignKey("notices.id"), nullable=False, unique=True),
    Column("reason", String(MAX_REASON), nullable=False),
    Column("raised_by", String(200), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("closed_by", String(200)),
    Column("closed_at", DateTime(timezone=True)),
    Column("answer", String(MAX_REASON)),
    CheckConstraint("(closed_at IS NULL) = (closed_by IS NULL)", name="ck_notice_disputes_closed"),
)
