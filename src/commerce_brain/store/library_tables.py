"""The policy library in the store: documents (versioned), their articles, the search index.

A document is never changed in place: a revision (a changed catalog file, an officer's new
text) is a new row with the next version, and only the newest version of a document is
``current`` (read and searched); the older ones stay for the record. Each article row keeps its
text and the jieba-segmented tokens (space-joined) of its title and body, which the full-text
index reads: on SQLite an FTS5 table ``library_search`` (rowid = the article's id, the
``unicode61`` tokenizer splitting on the spaces), on PostgreSQL a GIN index over the tsvector of
the same tokens (stored in ``search_vector``). The FTS5 table and the GIN index are not declared
here: both are dialect-only objects the migrations make
(and tests/test_migrations.py leaves out of its comparison).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

from .metadata import metadata

SEARCH_VECTOR = ("setweight(to_tsvector('simple', title_terms), 'A') || "
                 "setweight(to_tsvector('simple', terms), 'B')")

library_documents = Table(
    "library_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("doc_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("current", Boolean, nullable=False),
    Column("title", String(500), nullable=False),
    Column("doc_number", String(100)),
    Column("issuer", String(200), nullable=False),
    Column("issued", Date),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date),
    Column("superseded_by", String(100)),
    Column("departments", Text, nullable=False),  # JSON list of plain Chinese names
    Column("industries", Text, nullable=False),  # JSON list
    Column("enterprise_kinds", Text, nullable=False),  # JSON list
    Column("regions", Text, nullable=False),  # JSON list of org-unit codes
    Column("preamble", Text, nullable=False),
    Column("validity_note", Text, nullable=False),
    Column("source", String(20), nullable=False),  # catalog | officer
    Column("digest", String(64), nullable=False),  # of the document's content: sync skips the unchanged
    Column("added_by", String(200), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("doc_id", "version", name="uq_library_document_version"),
    Index("ix_library_documents_current", "current"),
)

library_articles = Table(
    "library_articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document", Integer, ForeignKey("library_documents.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),  # reading order within the document
    Column("number", Integer, nullable=False),  # 1…: articles; 0: 附则; negative: a section's opening
    Column("section", String(300), nullable=False),
    Column("title", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("title_terms", Text, nullable=False),  # segmented title, space-joined
    Column("terms", Text, nullable=False),  # segmented text, space-joined
    # PostgreSQL: the tsvector of the two (title weight A, text B), written with the row and
    # GIN-indexed, so ranking reads it instead of rebuilding it per query. Unused on SQLite.
    Column("search_vector", Text().with_variant(TSVECTOR(), "postgresql")),
    UniqueConstraint("document", "number", name="uq_library_article_number"),
)

# The dialect-only search objects the migration makes (FTS5's table, whose shadow tables are
# named after it, and PostgreSQL's GIN index): schema comparisons leave them out.
SEARCH_TABLE = "library_search"
SEARCH_INDEX = "ix_library_articles_search"


def declared_elsewhere(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: False for the search index objects (not in ``metadata``)."""
    if type_ == "table" and name and name.startswith(SEARCH_TABLE):
        return False
    return not (type_ == "index" and name == SEARCH_INDEX)
