"""Accounts of a project's responsible unit (项目责任单位): the unit a project_unit account answers for.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("responsible_unit", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("responsible_unit")
