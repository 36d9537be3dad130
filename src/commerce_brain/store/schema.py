"""Tables. Observations are never overwritten: every change is a new version."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    create_engine,
)

from .metadata import metadata, read_only  # noqa: F401  (re-exported: the tables' home and the read engine)

# A snapshot of the catalog, so the database describes itself to SQL users and reports; the
# catalog files stay the source of truth and are written here again on every sync.
plans = Table(
    "plans",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("doc_number", String(100)),
    Column("period_start", Integer, nullable=False),
    Column("period_end", Integer, nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("source", String(200), nullable=False),
)

indicators = Table(
    "indicators",
    metadata,
    Column("plan", String(100), ForeignKey("plans.id"), primary_key=True),
    Column("id", String(100), primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(300), nullable=False),
    Column("unit", String(50), nullable=False),
    Column("base_year", Integer, nullable=False),
    Column("base_value", Float),
    Column("target_year", Integer, nullable=False),
    Column("target_value", Float),
    Column("target_text", String(200)),
    Column("stated_growth", String(100)),
    Column("growth_kind", String(30), nullable=False),
    Column("attribute", String(20)),
    Column("direction", String(10), nullable=False),
    Column("citation", String(2000), nullable=False),
)

org_units = Table(
    "org_units",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("parent", String(20)),
    Column("kind", String(20), nullable=False),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("new", Integer, nullable=False),
    Column("revised", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

observation_versions = Table(
    "observation_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan", String(100), nullable=False),
    Column("indicator", String(100), nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("period", String(7), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer),
    Column("value", Float, nullable=False),
    Column("real_growth", Float),
    Column("source", String(500), nullable=False),
    Column("version", Integer, nullable=False),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    UniqueConstraint("plan", "indicator", "org_unit", "period", "version", name="uq_observation_version"),
)


def connect(database_url: str, *, migrate: bool = True) -> Engine:
    """An engine for the URL with the schema brought up to date by the migrations; SQLite's
    folder is made if missing."""
    from .migrate import upgrade

    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url)
    if migrate:
        upgrade(engine)
    return engine


# The other modules' tables register on `metadata` when imported; import them here so that
# every user of the schema (connect, the migrations, the tests) sees all of them.
from . import accounts as accounts  # noqa: E402
from . import audit as audit  # noqa: E402
from . import fulfilment_tables as fulfilment_tables  # noqa: E402
from . import enterprise_imports as enterprise_imports  # noqa: E402
from . import fact_values as fact_values  # noqa: E402
from . import sessions as sessions  # noqa: E402
from . import claims as claims  # noqa: E402
from . import rule_tables as rule_tables  # noqa: E402
from . import login_throttle as login_throttle  # noqa: E402
from . import project_tables as project_tables  # noqa: E402
from . import warning_tables as warning_tables  # noqa: E402
from . import fdi_tables as fdi_tables  # noqa: E402
from . import order_tables as order_tables  # noqa: E402
from . import market_tables as market_tables  # noqa: E402
from . import grading_tables as grading_tables  # noqa: E402
from . import library_tables as library_tables  # noqa: E402
from . import notice_tables as notice_tables  # noqa: E402
