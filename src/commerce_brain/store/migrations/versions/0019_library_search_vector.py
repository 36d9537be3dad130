"""The policy library on PostgreSQL: the articles' tsvector stored in a column, GIN-indexed.

0016 indexed the expression ``to_tsvector(...)``; ranking (``ts_rank``) then had to rebuild the
vector of every matching article on each query (a p95 of 737 ms over 10,000 articles, see
bench/README.md). Stored once at write, it is read instead. On SQLite the column is unused (the
FTS5 table holds the index) and stays empty.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

VECTOR = ("setweight(to_tsvector('simple', title_terms), 'A') || setweight(to_tsvector('simple', terms), 'B')")


def upgrade() -> None:
    with op.batch_alter_table("library_articles") as batch:
        batch.add_column(sa.Column("search_vector", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"UPDATE library_articles SET search_vector = {VECTOR}")
        op.execute("DROP INDEX ix_library_articles_search")
        op.execute("CREATE INDEX ix_library_articles_search ON library_articles USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_library_articles_search")
        op.execute(f"CREATE INDEX ix_library_articles_search ON library_articles USING gin (({VECTOR}))")
    with op.batch_alter_table("library_articles") as batch:
        batch.drop_column("search_vector")
