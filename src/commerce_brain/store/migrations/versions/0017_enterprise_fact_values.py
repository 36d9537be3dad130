"""The yearly-facts registry's long store: enterprise_fact_values and its versions, and the
import log's counts of them (issue 12). Facts added to the registry later need no migration.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

CHANGES = ("new", "changed", "unchanged")
# Written out here rather than imported: a migration must not change when the code does.
TEXT_LENGTH = 200


def _columns() -> list[sa.Column]:
    return [sa.Column("uscc", sa.String(18), nullable=False), sa.Column("year", sa.Integer, nullable=False),
            sa.Column("name", sa.String(64), nullable=False), sa.Column("value", sa.BigInteger),
            sa.Column("text", sa.String(TEXT_LENGTH))]


def upgrade() -> None:
    op.create_table("enterprise_fact_values", *_columns(),
                    sa.PrimaryKeyConstraint("uscc", "year", "name", name="pk_enterprise_fact_values"))
    op.create_table("enterprise_fact_value_versions", *_columns(),
                    sa.Column("version", sa.Integer, nullable=False),
                    sa.Column("import_id", sa.Integer, sa.ForeignKey("enterprise_imports.id"), nullable=False),
                    sa.PrimaryKeyConstraint("uscc", "year", "name", "version",
                                            name="pk_enterprise_fact_value_versions"))
    with op.batch_alter_table("enterprise_imports") as batch:
        for change in CHANGES:
            # Earlier imports stored no long facts: their counts are 0.
            batch.add_column(sa.Column(f"fact_values_{change}", sa.Integer, nullable=False,
                                       server_default="0"))
    with op.batch_alter_table("enterprise_imports") as batch:
        for change in CHANGES:
            batch.alter_column(f"fact_values_{change}", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("enterprise_imports") as batch:
        for change in CHANGES:
            batch.drop_column(f"fact_values_{change}")
    op.drop_table("enterprise_fact_value_versions")
    op.drop_table("enterprise_fact_values")
