"""评审核定 (the reviewers' figure of a 最高… award) and claims waiting for verification (待核实).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "award_assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("award_id", sa.Integer, sa.ForeignKey("awards.id"), nullable=False),
        sa.Column("proposed_fen", sa.BigInteger, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("content_type", sa.String(100)),
        sa.Column("size", sa.BigInteger),
        sa.Column("sha256", sa.String(64)),
        sa.Column("content", sa.LargeBinary),
        sa.Column("assessed_by", sa.String(200), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("award_id", name="uq_award_assessments_award"),
        sa.CheckConstraint("amount_fen > 0 AND amount_fen <= proposed_fen", name="ck_award_assessments_amount"),
    )
    # Claims filed before this revision were all evaluated on the spot: 'filed'.
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("state", sa.String(20), nullable=False, server_default="filed"))
        batch.create_check_constraint("ck_claims_state", "state IN ('filed', 'pending')")


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint("ck_claims_state", type_="check")
        batch.drop_column("state")
    op.drop_table("award_assessments")
