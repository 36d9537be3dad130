"""Claims (申报): an enterprise asks for an award of one rule, with its figures and attachments.

A claim carries what the enterprise says (the rule, the award year, the figures or the event
it relies on, a statement) and the files that prove it. Filing evaluates the claim with the
same engine as the 免申即享 batch; the awards it yields enter the same review (``awards`` rows
with ``claim_id`` set instead of ``batch_id``). Attachments are kept in the database with their
SHA-256, so a backup of the database is a backup of the evidence.
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
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .metadata import metadata

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("name", String(500), nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("statement", Text, nullable=False),
    # The figures and events the claim was evaluated on, as JSON (what the enterprise entered).
    Column("inputs", Text, nullable=False),
    Column("filed_by", String(200), nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    # filed: evaluated with the registry's data (its awards carry claim_id); pending (待核实): the
    # enterprise is not in the registry, so no award until an officer registers it.
    Column("state", String(20), nullable=False, server_default="filed"),
    CheckConstraint("state IN ('filed', 'pending')", name="ck_claims_state"),
    Index("ix_claims_uscc", "uscc"),
)
CLAIM_STATE_ZH = {"filed": "已受理", "pending": "待核实"}

claim_attachments = Table(
    "claim_attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("claim_id", Integer, ForeignKey("claims.id"), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    UniqueConstraint("claim_id", "filename", name="uq_claim_attachments_name"),
    Index("ix_claim_attachments_claim_id", "claim_id"),
)
