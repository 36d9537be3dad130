"""The first schema: the catalog snapshot, the import log and versioned observations.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("doc_number", sa.String(100)),
        sa.Column("period_start", sa.Integer, nullable=False),
        sa.Column("period_end", sa.Integer, nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.create_table(
        "indicators",
        sa.Column("plan", sa.String(100), sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("base_year", sa.Integer, nullable=False),
        sa.Column("base_value", sa.Float),
        sa.Column("target_year", sa.Integer, nullable=False),
        sa.Column("target_value", sa.Float),
        sa.Column("target_text", sa.String(200)),
        sa.Column("stated_growth", sa.String(100)),
        sa.Column("growth_kind", sa.String(30), nullable=False),
        sa.Column("attribute", sa.String(20)),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("citation", sa.String(2000), nullable=False),
    )
    op.create_table(
        "org_units",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("parent", sa.String(20)),
        sa.Column("kind", sa.String(20), nullable=False),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("revised", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "observation_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan", sa.String(100), nullable=False),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("month", sa.Integer),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("real_growth", sa.Float),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.UniqueConstraint("plan", "indicator", "org_unit", "period", "version", name="uq_observation_version"),
    )


def downgrade() -> None:
    for table in ("observation_versions", "imports", "org_units", "indicators", "plans"):
        op.drop_table(table)
