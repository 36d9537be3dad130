"""Trade frictions (贸易摩擦): the register of trade remedy cases and the country risk table.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remedy_cases",
        sa.Column("case_id", sa.String(100), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("market_imports.id"), nullable=False),
        sa.Column("country", sa.String(20), nullable=False),
        sa.Column("product_hs", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("ruled_on", sa.Date),
        sa.Column("exports_usd", sa.BigInteger),
        sa.PrimaryKeyConstraint("case_id", "uscc", "import_id", name="pk_remedy_cases"),
        sa.CheckConstraint("exports_usd >= 0", name="ck_remedy_cases_exports"),
    )
    op.create_table(
        "country_risks",
        sa.Column("country", sa.String(20), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("market_imports.id"), nullable=False),
        sa.Column("risk_level", sa.String(20), nullable=False),
        sa.Column("projects", sa.BigInteger, nullable=False),
        sa.Column("investment_usd", sa.BigInteger, nullable=False),
        sa.Column("note", sa.String(500)),
        sa.PrimaryKeyConstraint("country", "import_id", name="pk_country_risks"),
        sa.CheckConstraint("projects >= 0 AND investment_usd >= 0", name="ck_country_risks_values"),
    )


def downgrade() -> None:
    op.drop_table("country_risks")
    op.drop_table("remedy_cases")
