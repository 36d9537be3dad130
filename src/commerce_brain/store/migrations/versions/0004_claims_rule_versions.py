"""Claims with attachments, awards born of a claim, and rule versions (edits by the policy office).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("filed_by", sa.String(200), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_claims_uscc", "claims", ["uscc"])
    op.create_table(
        "claim_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("claim_id", sa.Integer, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("claim_id", "filename", name="uq_claim_attachments_name"),
    )
    op.create_index("ix_claim_attachments_claim_id", "claim_attachments", ["claim_id"])
    op.create_table(
        "rule_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("edited_by", sa.String(200), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("rule", "version", name="uq_rule_versions"),
    )
    # SQLite cannot alter a column in place; batch mode copies the table (and is a plain ALTER
    # on PostgreSQL).
    with op.batch_alter_table("awards") as batch:
        batch.alter_column("batch_id", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("claim_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_awards_claim_id", "claims", ["claim_id"], ["id"])
        batch.create_check_constraint("ck_awards_origin", "(batch_id IS NULL) <> (claim_id IS NULL)")
        batch.create_index("ix_awards_claim_id", ["claim_id"])


def downgrade() -> None:
    with op.batch_alter_table("awards") as batch:
        batch.drop_index("ix_awards_claim_id")
        batch.drop_constraint("ck_awards_origin", type_="check")
        batch.drop_constraint("fk_awards_claim_id", type_="foreignkey")
        batch.drop_column("claim_id")
        batch.alter_column("batch_id", existing_type=sa.Integer, nullable=False)
    op.drop_table("rule_versions")
    op.drop_index("ix_claim_attachments_claim_id", "claim_attachments")
    op.drop_table("claim_attachments")
    op.drop_index("ix_claims_uscc", "claims")
    op.drop_table("claims")
