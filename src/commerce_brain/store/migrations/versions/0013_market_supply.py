"""Early-warning market data: the import log of the market imports, retail sales (消费市场) and
supply reports (应急保供).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
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
        "retail_sales",
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("series_kind", sa.String(30), nullable=False),
        sa.Column("series", sa.String(100), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("market_imports.id"), nullable=False),
        sa.Column("sales_fen", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("period", "org_unit", "series_kind", "series", "import_id", name="pk_retail_sales"),
        sa.CheckConstraint("sales_fen >= 0", name="ck_retail_sales_fen"),
    )
    op.create_table(
        "supply_reports",
        sa.Column("report_date", sa.Date, nullable=False),
        sa.Column("org_unit", sa.String(20), nullable=False),
        sa.Column("outlet", sa.String(100), nullable=False),
        sa.Column("item", sa.String(50), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("market_imports.id"), nullable=False),
        sa.Column("stock", sa.BigInteger, nullable=False),
        sa.Column("daily_use", sa.BigInteger, nullable=False),
        sa.Column("price_fen", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("report_date", "org_unit", "outlet", "item", "import_id", name="pk_supply_reports"),
        sa.CheckConstraint("stock >= 0 AND daily_use >= 0 AND price_fen >= 0", name="ck_supply_reports_values"),
    )


def downgrade() -> None:
    op.drop_table("supply_reports")
    op.drop_table("retail_sales")
    op.drop_table("market_imports")
