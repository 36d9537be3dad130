"""订单+清单 export orders: the import log, the current monthly reports, their history and the roster.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _report_columns() -> list[sa.Column]:
    return [
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("order_imports.id"), nullable=False),
        sa.Column("new_orders_usd", sa.BigInteger, nullable=False),
        sa.Column("orders_in_hand_usd", sa.BigInteger),
        sa.Column("expected_exports_usd", sa.BigInteger),
        sa.Column("market", sa.String(20)),
        sa.Column("product_hs", sa.String(2)),
        sa.Column("problems", sa.String(500), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "order_imports",
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
        "order_reports", *_report_columns(),
        sa.PrimaryKeyConstraint("uscc", "month", name="pk_order_reports"),
        sa.CheckConstraint("new_orders_usd >= 0 AND orders_in_hand_usd >= 0 AND expected_exports_usd >= 0",
                           name="ck_order_reports_usd"),
    )
    op.create_table(
        "order_report_history", *_report_columns(),
        sa.PrimaryKeyConstraint("uscc", "month", "version", name="pk_order_report_history"),
    )
    op.create_table(
        "order_enterprises",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(500)),
        sa.Column("warning_point", sa.String(20)),
        sa.Column("org_unit", sa.String(20)),
        sa.Column("industry", sa.String(50)),
    )


def downgrade() -> None:
    op.drop_table("order_enterprises")
    op.drop_table("order_report_history")
    op.drop_table("order_reports")
    op.drop_table("order_imports")
