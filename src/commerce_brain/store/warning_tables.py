"""Warnings someone must answer (预警处置): one table for every engine that raises them, and
each warning's handling history.

A warning is raised once per (source, detector, subject, period): raising the same month's
warnings again changes nothing (``uq_warnings_key``). Its state moves by conditional UPDATEs
on ``version`` (every change adds one), so of two people acting at once exactly one wins. The
history (``warning_actions``) keeps who did what when, with the note and the optional file
(bytes and SHA-256 in the database, like a claim's evidence); the raising itself is the
warning's ``raised_at``.

The workflow over these tables is ``commerce_brain.followup``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
    UniqueConstraint,
)

from .metadata import metadata

STATES = ("open", "acknowledged", "action_taken", "escalated", "closed")
LEVELS = ("yellow", "red")
ACTIONS = ("acknowledge", "action", "escalate", "close")
MAX_NOTE = 2000
MAX_REASON = 1000


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


warnings_table = Table(
    "warnings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(30), nullable=False),        # the engine: projects, fdi, …
    Column("detector", String(50), nullable=False),      # its rule, named in followup/detectors.py
    Column("subject_kind", String(30), nullable=False),  # project, fdi_project, enterprise, …
    Column("subject_id", String(100), nullable=False),
    Column("subject_name", String(300), nullable=False),
    Column("org_unit", String(20)),
    # The owner: the 项目责任单位 that must answer (as the project names it; may list several, 、).
    Column("responsible_unit", String(200)),
    Column("level", String(10), nullable=False),
    Column("reason", String(MAX_REASON), nullable=False),
    Column("period", String(7), nullable=False),         # YYYY-MM
    Column("due_date", Date, nullable=False),
    Column("state", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("raised_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "detector", "subject_id", "period", name="uq_warnings_key"),
    CheckConstraint(_one_of("state", STATES), name="ck_warnings_state"),
    CheckConstraint(_one_of("level", LEVELS), name="ck_warnings_level"),
    Index("ix_warnings_state", "state"),
    Index("ix_warnings_org_unit", "org_unit"),
)

warning_actions = Table(
    "warning_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("warning_id", Integer, ForeignKey("warnings.id"), nullable=False, index=True),
    Column("action", String(20), nullable=False),
    Column("from_state", String(20), nullable=False),
    Column("to_state", String(20), nullable=False),
    Column("note", String(MAX_NOTE)),
    Column("filename", String(255)),
    Column("content_type", String(100)),
    Column("size", BigInteger),
    Column("sha256", String(64)),
    Column("content", LargeBinary),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_one_of("action", ACTIONS), name="ck_warning_actions_action"),
)
