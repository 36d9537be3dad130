"""Rule edits: a policy officer's change to a rule, kept as a new version beside the catalog.

The packaged catalog (``catalog/policies/*.yaml``) is the rule as the document states it;
an edit stores the whole edited rule definition as a new version with who, when and why,
and every later evaluation (batch, calculator, claim) uses the newest version of each rule.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, Text, UniqueConstraint

from ..policy.model import PolicyCatalog
from .schema import metadata

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


def effective_policies(engine: Engine) -> PolicyCatalog:
    """The policy catalog every evaluation uses: the packaged rules with the newest stored
    edit of each applied."""
    from ..policy.engine import packaged

    return packaged()[0]
