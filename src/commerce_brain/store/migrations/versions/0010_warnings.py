"""Warnings someone must answer (预警处置): the warnings of every engine and their handling history.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("detector", sa.String(50), nullable=False),
        sa.Column("subject_kind", sa.String(30), nullable=False),
        sa.Column("subject_id", sa.String(100), nullable=False),
        sa.Column("subject_name", sa.String(300), nullable=False),
        sa.Column("org_unit", sa.String(20)),
        sa.Column("responsible_unit", sa.String(200)),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source", "detector", "subject_id", "period", name="uq_warnings_key"),
        sa.CheckConstraint("state IN ('open', 'acknowledged', 'action_taken', 'escalated', 'closed')",
                           name="ck_warnings_state"),
        sa.CheckConstraint("level IN ('yellow', 'red')", name="ck_warnings_level"),
    )
    op.create_index("ix_warnings_state", "warnings", ["state"])
    op.create_index("ix_warnings_org_unit", "warnings", ["org_unit"])
    op.create_table(
        "warning_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("note", sa.String(2000)),
        sa.Column("filename", sa.String(255)),
        sa.Column("content_type", sa.String(100)),
        sa.Column("size", sa.BigInteger),
        sa.Column("sha256", sa.String(64)),
        sa.Column("content", sa.LargeBinary),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('acknowledge', 'action', 'escalate', 'close')",
                           name="ck_warning_actions_action"),
    )
    op.create_index("ix_warning_actions_warning_id", "warning_actions", ["warning_id"])


def downgrade() -> None:
    op.drop_index("ix_warning_actions_warning_id", "warning_actions")
    op.drop_table("warning_actions")
    op.drop_index("ix_warnings_org_unit", "warnings")
    op.drop_index("ix_warnings_state", "warnings")
    op.drop_table("warnings")
