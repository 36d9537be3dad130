"""亩均效益评价: grading runs and results, exclusions, re-grades (versioned), publications,
leader lists and competitive allocations.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grading_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("org_unit", sa.String(20)),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("settings_digest", sa.String(64), nullable=False),
        sa.Column("run_by", sa.String(200), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("graded", sa.Integer, nullable=False),
        sa.Column("out_of_scope", sa.Integer, nullable=False),
        sa.Column("indicators", sa.Text, nullable=False),
    )
    op.create_index("ix_grading_runs_year", "grading_runs", ["year"])
    op.create_table(
        "grading_results",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("grading_runs.id"), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("org_unit", sa.String(20)),
        sa.Column("county", sa.String(20)),
        sa.Column("industry_group", sa.String(100), nullable=False),
        sa.Column("size_class", sa.String(10), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("bonus", sa.Float, nullable=False),
        sa.Column("penalty", sa.Float, nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("group_size", sa.Integer, nullable=False),
        sa.Column("initial_class", sa.String(1), nullable=False),
        sa.Column("class", sa.String(1), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "uscc", name="pk_grading_results"),
    )
    op.create_table(
        "grading_exclusions",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("grading_runs.id"), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("org_unit", sa.String(20)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "uscc", name="pk_grading_exclusions"),
    )
    op.create_table(
        "grading_regrades",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("from_class", sa.String(1), nullable=False),
        sa.Column("to_class", sa.String(1), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("regraded_by", sa.String(200), nullable=False),
        sa.Column("regraded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("year", "uscc", "version", name="uq_grading_regrades_version"),
    )
    op.create_table(
        "grading_publications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("grading_runs.id"), nullable=False),
        sa.Column("fact_import_id", sa.Integer, nullable=False),
        sa.Column("enterprises", sa.Integer, nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "grading_leader_lists",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("grading_runs.id"), nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("drawn_by", sa.String(200), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "grading_leader_rows",
        sa.Column("list_id", sa.Integer, sa.ForeignKey("grading_leader_lists.id"), nullable=False),
        sa.Column("list", sa.String(20), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("org_unit", sa.String(20)),
        sa.Column("rank", sa.Integer),
        sa.Column("score", sa.Float),
        sa.Column("selected", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("list_id", "list", "uscc", name="pk_grading_leader_rows"),
    )
    op.create_table(
        "grading_allocations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pot_name", sa.String(300), nullable=False),
        sa.Column("pot_yaml", sa.Text, nullable=False),
        sa.Column("applications_file", sa.String(300), nullable=False),
        sa.Column("applications_sha256", sa.String(64), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("visible", sa.Text, nullable=False),
        sa.Column("allocated_by", sa.String(200), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("grading_allocations", "grading_leader_rows", "grading_leader_lists", "grading_publications",
                  "grading_regrades", "grading_exclusions", "grading_results"):
        op.drop_table(table)
    op.drop_index("ix_grading_runs_year", table_name="grading_runs")
    op.drop_table("grading_runs")
