"""The table of rule versions (edits by the policy office); the functions are in ``rule_edits``.

Kept apart so that ``schema`` can register the table without importing the audit and
fulfilment modules that the edit functions need (they import ``schema`` themselves).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text, UniqueConstraint

from .metadata import metadata

rule_versions = Table(
    "rule_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    # The complete rule as YAML in the catalog's own format, validated before it is stored.
    Column("definition", Text, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("edited_by", String(200), nullable=False),
    Column("edited_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("rule", "version", name="uq_rule_versions"),
)
