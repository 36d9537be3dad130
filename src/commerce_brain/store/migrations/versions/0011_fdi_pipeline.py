"""The foreign-investment pipeline (外资项目全流程跟踪): its imports, project versions and stage dates.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fdi_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
    )
    op.create_table(
        "fdi_project_versions",
        sa.Column("project_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("fdi_imports.id"), nullable=False),
        sa.Column("name_zh", sa.String(500), nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("industry", sa.String(100), nullable=False),
        sa.Column("investor_name", sa.String(500), nullable=False),
        sa.Column("investor_country", sa.String(20), nullable=False),
        sa.Column("investor_fortune500", sa.Boolean, nullable=False),
        sa.Column("contracted_usd", sa.BigInteger, nullable=False),
        sa.Column("arrived_usd", sa.BigInteger, nullable=False),
        sa.Column("next_step_owner", sa.String(500)),
        sa.PrimaryKeyConstraint("project_id", "version", name="pk_fdi_project_versions"),
        sa.CheckConstraint("contracted_usd >= 0 AND arrived_usd >= 0", name="ck_fdi_project_versions_usd"),
    )
    op.create_table(
        "fdi_stage_versions",
        sa.Column("project_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(50), nullable=False),
        sa.Column("planned_date", sa.Date),
        sa.Column("actual_date", sa.Date),
        sa.PrimaryKeyConstraint("project_id", "version", "stage", name="pk_fdi_stage_versions"),
        sa.ForeignKeyConstraint(["project_id", "version"],
                                ["fdi_project_versions.project_id", "fdi_project_versions.version"],
                                name="fk_fdi_stage_versions_project"),
    )


def downgrade() -> None:
    op.drop_table("fdi_stage_versions")
    op.drop_table("fdi_project_versions")
    op.drop_table("fdi_imports")
