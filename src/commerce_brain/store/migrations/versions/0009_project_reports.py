"""Project tracking: monthly project reports (versioned), their import log, imported 重点项目.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        *(sa.Column(f"{table}_{change}", sa.Integer, nullable=False)
          for table in ("reports", "projects") for change in ("new", "revised", "unchanged")),
    )
    op.create_table(
        "project_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("annual_plan_wan", sa.BigInteger, nullable=False),
        sa.Column("completed_month_wan", sa.BigInteger),
        sa.Column("completed_ytd_wan", sa.BigInteger, nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("image_progress", sa.Text),
        sa.Column("problems", sa.Text),
        sa.Column("problem_owner", sa.String(200)),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("project_imports.id")),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("project_id", "month", "version", name="uq_project_reports_version"),
        sa.CheckConstraint("stage IN ('not_started', 'under_construction', 'completed')",
                           name="ck_project_reports_stage"),
        sa.CheckConstraint("annual_plan_wan >= 0 AND completed_ytd_wan >= 0 AND "
                           "(completed_month_wan IS NULL OR completed_month_wan >= 0)",
                           name="ck_project_reports_amounts"),
    )
    op.create_index("ix_project_reports_month", "project_reports", ["month"])
    op.create_table(
        "projects_extra",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("start_year", sa.Integer, nullable=False),
        sa.Column("end_year", sa.Integer, nullable=False),
        sa.Column("total_investment_wan", sa.BigInteger, nullable=False),
        sa.Column("plan_period_investment_wan", sa.BigInteger, nullable=False),
        sa.Column("responsible_unit", sa.String(200), nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("project_imports.id"), nullable=False),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("project_id", "version", name="uq_projects_extra_version"),
        sa.CheckConstraint("start_year <= end_year", name="ck_projects_extra_years"),
        sa.CheckConstraint("total_investment_wan >= 0 AND plan_period_investment_wan >= 0",
                           name="ck_projects_extra_amounts"),
    )


def downgrade() -> None:
    op.drop_table("projects_extra")
    op.drop_index("ix_project_reports_month", table_name="project_reports")
    op.drop_table("project_reports")
    op.drop_table("project_imports")
