"""政策兑现: stored enterprise data, award batches, awards, payment lists and their items.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("industry", sa.String(50)),
        sa.Column("is_manufacturing", sa.Boolean),
        sa.Column("is_industrial", sa.Boolean),
        sa.Column("is_listed", sa.Boolean),
        sa.Column("is_provincial_or_central_owned", sa.Boolean),
    )
    op.create_table(
        "enterprise_facts",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("main_revenue", sa.BigInteger),
        sa.Column("rd_spend", sa.BigInteger),
    )
    op.create_table(
        "enterprise_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("level", sa.String(50)),
        sa.Column("amount", sa.BigInteger),
        sa.Column("count", sa.BigInteger),
        sa.Column("subject", sa.String(500)),
        sa.Column("rating", sa.String(50)),
        sa.Column("local_share", sa.BigInteger),
        sa.Column("benchmark_rate", sa.BigInteger),
        sa.Column("days", sa.BigInteger),
        sa.Column("assessed_award", sa.BigInteger),
        sa.Column("already_paid", sa.BigInteger),
    )
    op.create_index("ix_enterprise_events_uscc", "enterprise_events", ["uscc"])
    op.create_table(
        "award_batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("run_by", sa.String(200), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("already_present", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("inserted_fen", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "awards",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("award_batches.id"), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("payee", sa.String(30), nullable=False),
        sa.Column("tranche", sa.String(50), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("payer", sa.String(20), nullable=False),
        sa.Column("settle_with_city", sa.Boolean, nullable=False),
        sa.Column("needs_review", sa.Boolean, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500)),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("uscc", "rule", "subject", "payee", "year", "tranche", name="uq_awards_key"),
        sa.CheckConstraint("state IN ('proposed', 'confirmed', 'approved', 'rejected', 'paid')",
                           name="ck_awards_state"),
        sa.CheckConstraint("amount_fen > 0", name="ck_awards_amount"),
        sa.CheckConstraint("state <> 'rejected' OR reason IS NOT NULL", name="ck_awards_rejected_reason"),
    )
    op.create_index("ix_awards_payer_state", "awards", ["payer", "state"])
    op.create_index("ix_awards_uscc", "awards", ["uscc"])
    op.create_index("ix_awards_year_state", "awards", ["year", "state"])
    op.create_table(
        "payment_lists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("payer", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.Column("paid_by", sa.String(200)),
        sa.CheckConstraint("(paid_at IS NULL) = (paid_by IS NULL)", name="ck_payment_lists_paid"),
    )
    op.create_table(
        "payment_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("payment_lists.id"), nullable=False),
        sa.Column("award_id", sa.Integer, sa.ForeignKey("awards.id"), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("award_id", name="uq_payment_items_award"),
        sa.CheckConstraint("amount_fen > 0", name="ck_payment_items_amount"),
    )
    op.create_index("ix_payment_items_list_id", "payment_items", ["list_id"])


def downgrade() -> None:
    op.drop_index("ix_payment_items_list_id", "payment_items")
    op.drop_table("payment_items")
    op.drop_table("payment_lists")
    for index in ("ix_awards_year_state", "ix_awards_uscc", "ix_awards_payer_state"):
        op.drop_index(index, "awards")
    op.drop_table("awards")
    op.drop_table("award_batches")
    op.drop_index("ix_enterprise_events_uscc", "enterprise_events")
    for table in ("enterprise_events", "enterprise_facts", "enterprises"):
        op.drop_table(table)
