"""The early-warning data the bureau imports (消费市场、应急保供、贸易救济案件、国别风险), versioned.

Every import is logged in ``market_imports`` (its kind, file, SHA-256, who, when, counts). Each
kind's figures are keyed (a retail figure by month × org unit × series, a supply report by date ×
org unit × outlet × good); importing a key again with other values stores it again under the new
import, the earlier kept; identical values write nothing; keys the file leaves out stay as they
are (an import never deletes). Readers take each key's newest import. The import, its rows and
its audit event are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Date,
    Engine,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    func,
    select,
    update,
)

from ..access import Scope, filter_visible
from ..warning.market import RETAIL_SCHEMA, SERIES
from ..warning.supply import OUTLET_KEY, SUPPLY_SCHEMA
from ..warning.trade import COUNTRY_RISK_SCHEMA, REMEDY_SCHEMA
from .audit import record
from .bulk import insert_frame, read_frame
from .fulfilment_tables import actor_name
from .import_log import change_counts, import_log_table, open_import
from .metadata import metadata

IMPORT_CAPABILITY = "import_warning_data"

market_imports = import_log_table("market_imports", Column("kind", String(30), nullable=False))

retail_sales = Table(
    "retail_sales",
    metadata,
    Column("period", String(7), nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("series_kind", String(30), nullable=False),
    Column("series", String(100), nullable=False),
    Column("import_id", Integer, ForeignKey("market_imports.id"), nullable=False),
    Column("sales_fen", BigInteger, nullable=False),
    PrimaryKeyConstraint("period", "org_unit", "series_kind", "series", "import_id", name="pk_retail_sales"),
    CheckConstraint("sales_fen >= 0", name="ck_retail_sales_fen"),
)

supply_reports = Table(
    "supply_reports",
    metadata,
    Column("report_date", Date, nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("outlet", String(100), nullable=False),
    Column("item", String(50), nullable=False),
    Column("import_id", Integer, ForeignKey("market_imports.id"), nullable=False),
    Column("stock", BigInteger, nullable=False),
    Column("daily_use", BigInteger, nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    PrimaryKeyConstraint("report_date", "org_unit", "outlet", "item", "import_id", name="pk_supply_reports"),
    CheckConstraint("stock >= 0 AND daily_use >= 0 AND price_fen >= 0", name="ck_supply_reports_values"),
)

remedy_cases = Table(
    "remedy_cases",
    metadata,
    Column("case_id", String(100), nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("import_id", Integer, ForeignKey("market_imports.id"), nullable=False),
    Column("country", String(20), nullable=False),
    Column("product_hs", String(2), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("ruled_on", Date),
    Column("exports_usd", BigInteger),
    PrimaryKeyConstraint("case_id", "uscc", "import_id", name="pk_remedy_cases"),
    CheckConstraint("exports_usd >= 0", name="ck_remedy_cases_exports"),
)

country_risks = Table(
    "country_risks",
    metadata,
    Column("country", String(20), nullable=False),
    Column("import_id", Integer, ForeignKey("market_imports.id"), nullable=False),
    Column("risk_level", String(20), nullable=False),
    Column("projects", BigInteger, nullable=False),
    Column("investment_usd", BigInteger, nullable=False),
    Column("note", String(500)),
    PrimaryKeyConstraint("country", "import_id", name="pk_country_risks"),
    CheckConstraint("projects >= 0 AND investment_usd >= 0", name="ck_country_risks_values"),
)


@dataclass(frozen=True)
class Kind:
    """One kind of imported early-warning data: its table, the columns that name a figure (the
    key), and the columns and types a reader gives (``schema``: the key first, then the values)."""

    code: str
    table: Table
    key: tuple[str, ...]
    schema: dict[str, pl.DataType]


RETAIL = Kind("retail", retail_sales, ("period", *SERIES), RETAIL_SCHEMA)
SUPPLY = Kind("supply", supply_reports, ("report_date", *OUTLET_KEY), SUPPLY_SCHEMA)
REMEDIES = Kind("remedies", remedy_cases, ("case_id", "uscc"), REMEDY_SCHEMA)
COUNTRY_RISK = Kind("country_risk", country_risks, ("country",), COUNTRY_RISK_SCHEMA)
KINDS = {k.code: k for k in (RETAIL, SUPPLY, REMEDIES, COUNTRY_RISK)}


@dataclass(frozen=True)
class MarketImport:
    """What an import did: ``changes`` (the file's keys with change: new / changed / unchanged)
    and the import's id once stored (None on a dry run)."""

    changes: pl.DataFrame
    import_id: int | None = None

    def counts(self) -> dict[str, int]:
        """{rows, new, changed, unchanged}: what the CLI prints and the audit event records."""
        return change_counts(self.changes)


def _newest(conn: Connection, kind: Kind) -> pl.DataFrame:
    t = kind.table
    latest = (select(*(t.c[c] for c in kind.key), func.max(t.c.import_id).label("import_id"))
              .group_by(*(t.c[c] for c in kind.key)).subquery())
    joined = and_(t.c.import_id == latest.c.import_id, *(t.c[c] == latest.c[c] for c in kind.key))
    query = select(*(t.c[c] for c in kind.schema)).join(latest, joined).order_by(*(t.c[c] for c in kind.key))
    return read_frame(conn, query, kind.schema)


def _diff(conn: Connection, kind: Kind, rows: pl.DataFrame) -> pl.DataFrame:
    values = [c for c in kind.schema if c not in kind.key]
    stored = _newest(conn, kind).rename({c: f"stored_{c}" for c in values}).with_columns(_stored=pl.lit(True))
    joined = rows.join(stored, on=list(kind.key), how="left", maintain_order="left")
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"stored_{c}")) for c in values)
    change = (pl.when(pl.col("_stored").is_null()).then(pl.lit("new"))
              .when(same).then(pl.lit("unchanged")).otherwise(pl.lit("changed")))
    return joined.select(*kind.schema, change=change)


def plan_import(engine: Engine, kind: Kind, rows: pl.DataFrame) -> MarketImport:
    """What storing ``rows`` (``kind.schema``, as its reader gives them) would do, storing nothing."""
    with engine.connect() as conn:
        return MarketImport(_diff(conn, kind, rows))


def save_import(engine: Engine, kind: Kind, rows: pl.DataFrame, *, actor, file_name: str,
                sha256: str) -> MarketImport:
    """Store an accepted file of ``kind`` as one import (all or nothing, audited as
    ``market.import``). ``actor`` is a User holding ``import_warning_data`` or the name of a
    trusted caller (the CLI)."""
    name = actor_name(actor, IMPORT_CAPABILITY)
    with engine.begin() as conn:
        import_id = open_import(conn, market_imports, file_name=file_name, sha256=sha256, imported_by=name, kind=kind.code)
        planned = MarketImport(_diff(conn, kind, rows), import_id)
        counts = planned.counts()
        conn.execute(update(market_imports).where(market_imports.c.id == import_id).values(**counts))
        values = [c for c in kind.schema if c not in kind.key]
        written = (planned.changes.filter(pl.col("change") != "unchanged")
                   .select(*kind.key, import_id=pl.lit(import_id, pl.Int64), *values))
        insert_frame(conn, kind.table, written)
        record(conn, actor=name, action="market.import", object=f"market_import:{import_id}",
               detail={"kind": kind.code, "file": file_name, "sha256": sha256, **counts})
    return planned


def stored(engine: Engine, kind: Kind, *, scope: Scope | None = None) -> pl.DataFrame:
    """Every stored figure of ``kind`` at its newest import (``kind.schema``), within ``scope``
    (a county analyst: its county's; a role limited otherwise sees none)."""
    with engine.connect() as conn:
        rows = _newest(conn, kind)
    return filter_visible(rows, scope or Scope())


def plan_retail_import(engine: Engine, rows: pl.DataFrame) -> MarketImport:
    """What storing retail ``rows`` would do, storing nothing (the dry run)."""
    return plan_import(engine, RETAIL, rows)


def save_retail(engine: Engine, rows: pl.DataFrame, *, actor, file_name: str, sha256: str) -> MarketImport:
    """Store an accepted retail file (``save_import`` of RETAIL)."""
    return save_import(engine, RETAIL, rows, actor=actor, file_name=file_name, sha256=sha256)


def stored_retail(engine: Engine, *, scope: Scope | None = None) -> pl.DataFrame:
    """Every stored retail figure at its newest import (RETAIL_SCHEMA), within ``scope``."""
    return stored(engine, RETAIL, scope=scope)


def list_market_imports(engine: Engine, *, kind: str | None = None, limit: int = 50) -> list[dict]:
    """The import log, newest first (one kind, or all)."""
    query = select(market_imports).order_by(market_imports.c.id.desc()).limit(limit)
    if kind:
        query = query.where(market_imports.c.kind == kind)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
