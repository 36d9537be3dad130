"""Grading publications count the stored classes they cleared (enterprises the year's grading no
longer grades).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grading_publications") as batch:
        # Earlier publications cleared nothing: 0.
        batch.add_column(sa.Column("cleared", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("grading_publications") as batch:
        batch.drop_column("cleared")
