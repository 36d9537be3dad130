"""站内消息: notices to enterprises (one per proposed award or newly eligible rule) and their disputes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("award_id", sa.Integer, sa.ForeignKey("awards.id")),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("award_batches.id")),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("enterprise_imports.id")),
        sa.Column("article", sa.String(1000), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("exported_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('award', 'eligible')", name="ck_notices_kind"),
        sa.CheckConstraint("amount_fen >= 0", name="ck_notices_amount"),
    )
    op.create_index("ix_notices_uscc", "notices", ["uscc"])
    op.create_index("ix_notices_batch_id", "notices", ["batch_id"])
    op.create_table(
        "notice_disputes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notice_id", sa.Integer, sa.ForeignKey("notices.id"), nullable=False, unique=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(200)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("answer", sa.String(500)),
        sa.CheckConstraint("(closed_at IS NULL) = (closed_by IS NULL)", name="ck_notice_disputes_closed"),
    )


def downgrade() -> None:
    op.drop_table("notice_disputes")
    op.drop_index("ix_notices_batch_id", table_name="notices")
    op.drop_index("ix_notices_uscc", table_name="notices")
    op.drop_table("notices")
