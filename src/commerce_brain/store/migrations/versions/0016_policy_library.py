"""The policy library (政策工具箱): versioned documents, their articles, and the full-text
index — an FTS5 table on SQLite, a GIN index over the tokens' tsvector on PostgreSQL.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The tokens are jieba's, space-joined; the index only splits on the spaces (unicode61 keeps a
# run of Chinese characters whole) and the 'simple' configuration neither stems nor drops words.
SQLITE_FTS = ("CREATE VIRTUAL TABLE library_search USING fts5(title, body, "
              "tokenize = 'unicode61 remove_diacritics 0')")
PG_INDEX = ("CREATE INDEX ix_library_articles_search ON library_articles USING gin ("
            "(setweight(to_tsvector('simple', title_terms), 'A') || setweight(to_tsvector('simple', terms), 'B')))")


def upgrade() -> None:
    op.create_table(
        "library_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("doc_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("doc_number", sa.String(100)),
        sa.Column("issuer", sa.String(200), nullable=False),
        sa.Column("issued", sa.Date),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("superseded_by", sa.String(100)),
        sa.Column("departments", sa.Text, nullable=False),
        sa.Column("industries", sa.Text, nullable=False),
        sa.Column("enterprise_kinds", sa.Text, nullable=False),
        sa.Column("regions", sa.Text, nullable=False),
        sa.Column("preamble", sa.Text, nullable=False),
        sa.Column("validity_note", sa.Text, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("doc_id", "version", name="uq_library_document_version"),
    )
    op.create_index("ix_library_documents_current", "library_documents", ["current"])
    op.create_table(
        "library_articles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document", sa.Integer, sa.ForeignKey("library_documents.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("section", sa.String(300), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("title_terms", sa.Text, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.UniqueConstraint("document", "number", name="uq_library_article_number"),
    )
    op.create_index("ix_library_articles_document", "library_articles", ["document"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_FTS)
    elif dialect == "postgresql":
        op.execute(PG_INDEX)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE library_search")
    op.drop_table("library_articles")
    op.drop_table("library_documents")
