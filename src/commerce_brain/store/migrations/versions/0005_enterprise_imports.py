"""Enterprise data imports with revisions: the import log and every version of the registry,
facts and events. Rows already stored become version 1 of an import named for this migration.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("enterprises", "facts", "events")
CHANGES = ("new", "changed", "unchanged")
ENTERPRISE = [
    ("uscc", sa.String(18), False),
    ("name", sa.String(500), False),
    ("org_unit", sa.String(20), False),
    ("industry", sa.String(50), True),
    ("is_manufacturing", sa.Boolean, True),
    ("is_industrial", sa.Boolean, True),
    ("is_listed", sa.Boolean, True),
    ("is_provincial_or_central_owned", sa.Boolean, True),
]
FACT = [
    ("uscc", sa.String(18), False),
    ("year", sa.Integer, False),
    ("main_revenue", sa.BigInteger, True),
    ("rd_spend", sa.BigInteger, True),
]
EVENT = [
    ("event_id", sa.Integer, False),
    ("uscc", sa.String(18), False),
    ("date", sa.Date, False),
    ("year", sa.Integer, False),
    ("kind", sa.String(100), False),
    ("level", sa.String(50), True),
    ("amount", sa.BigInteger, True),
    ("count", sa.BigInteger, True),
    ("subject", sa.String(500), True),
    ("rating", sa.String(50), True),
    ("local_share", sa.BigInteger, True),
    ("benchmark_rate", sa.BigInteger, True),
    ("days", sa.BigInteger, True),
    ("assessed_award", sa.BigInteger, True),
    ("already_paid", sa.BigInteger, True),
]
# versions table → (its columns as (name, type, nullable), its key, the table of newest rows it backs)
VERSIONS = {
    "enterprise_versions": (ENTERPRISE, ["uscc"], "enterprises"),
    "enterprise_fact_versions": (FACT, ["uscc", "year"], "enterprise_facts"),
    "enterprise_event_versions": (EVENT, ["event_id"], "enterprise_events"),
}


def upgrade() -> None:
    imports = op.create_table(
        "enterprise_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        *(sa.Column(f"{t}_{c}", sa.Integer, nullable=False) for t in TABLES for c in CHANGES),
    )
    for name, (columns, key, _) in VERSIONS.items():
        op.create_table(
            name, *(sa.Column(n, kind, nullable=null) for n, kind, null in columns),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("import_id", sa.Integer, sa.ForeignKey("enterprise_imports.id"), nullable=False),
            sa.PrimaryKeyConstraint(*key, "version", name=f"pk_{name}"),
        )
    op.create_index("ix_enterprise_event_versions_uscc", "enterprise_event_versions", ["uscc"])
    _keep_what_is_stored(imports)


def _keep_what_is_stored(imports: sa.Table) -> None:
    """Data stored before this migration becomes version 1, from one import named for it."""
    conn = op.get_bind()
    counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {current}")).scalar_one()
              for t, (_, _, current) in zip(TABLES, VERSIONS.values(), strict=True)}
    if not any(counts.values()):
        return
    import_id = conn.execute(imports.insert().values(
        file_name="（迁移前已存数据）", sha256="-", imported_by="migration 0005", imported_at=datetime.now(UTC),
        **{f"{t}_{c}": (counts[t] if c == "new" else 0) for t in TABLES for c in CHANGES},
    )).inserted_primary_key[0]
    for name, (columns, _, current) in VERSIONS.items():
        target = ", ".join(f'"{c[0]}"' for c in columns)
        source = ", ".join('"id"' if c[0] == "event_id" else f'"{c[0]}"' for c in columns)
        conn.execute(sa.text(f"INSERT INTO {name} ({target}, version, import_id) "
                             f"SELECT {source}, 1, :import_id FROM {current}"), {"import_id": import_id})


def downgrade() -> None:
    op.drop_index("ix_enterprise_event_versions_uscc", "enterprise_event_versions")
    for name in VERSIONS:
        op.drop_table(name)
    op.drop_table("enterprise_imports")
