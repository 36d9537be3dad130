"""The 订单+清单 orders in the store: the sample enterprises (花名册) and their monthly reports,
versioned, and the import log.

Every import is logged in ``order_imports`` (file, SHA-256, who, when, counts). A report (an
enterprise's month) whose key is new is stored as version 1; one imported again with any other
figure gets the next version, the one it replaces moved to ``order_report_history``; an
identical one writes nothing; months a file leaves out stay as they are (an import never
deletes). ``order_reports`` holds only the current version of each month, so the detectors read
one table. The roster (``order_enterprises``) keeps the last name, warning point, county and
industry a file gave (a blank cell keeps what was stored). The import, its rows and its audit
event are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import (
    BigInteger, CheckConstraint, Column, Connection, Engine, ForeignKey, Integer, PrimaryKeyConstraint,
    String, Table, delete, insert, select, tuple_, update,
)

from ..access import Scope, filter_visible
from ..warning.orders import ORDER_SCHEMA, ROSTER_SCHEMA
from .audit import record
from .bulk import insert_frame, read_frame
from .fulfilment_tables import actor_name
from .import_log import change_counts, import_log_table, open_import
from .metadata import metadata

FIGURES = [c for c in ORDER_SCHEMA if c not in ("uscc", "month")]
DETECTOR_COLUMNS = ["uscc", "month", "new_orders_usd"]

order_imports = import_log_table("order_imports")


def _report_columns() -> list[Column]:
    return [
        Column("uscc", String(18), nullable=False),
        Column("month", String(7), nullable=False),
        Column("version", Integer, nullable=False),
        Column("import_id", Integer, ForeignKey("order_imports.id"), nullable=False),
        Column("new_orders_usd", BigInteger, nullable=False),
        Column("orders_in_hand_usd", BigInteger),
        Column("expected_exports_usd", BigInteger),
        Column("market", String(20)),
        Column("product_hs", String(2)),
        Column("problems", String(500), nullable=False),
    ]


order_reports = Table(
    "order_reports", metadata, *_report_columns(),
    PrimaryKeyConstraint("uscc", "month", name="pk_order_reports"),
    CheckConstraint("new_orders_usd >= 0 AND orders_in_hand_usd >= 0 AND expected_exports_usd >= 0",
                    name="ck_order_reports_usd"),
)
order_report_history = Table(
    "order_report_history", metadata, *_report_columns(),
    PrimaryKeyConstraint("uscc", "month", "version", name="pk_order_report_history"),
)
order_enterprises = Table(
    "order_enterprises",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", String(500)),
    Column("warning_point", String(20)),
    Column("org_unit", String(20)),
    Column("industry", String(50)),
)


@dataclass(frozen=True)
class OrderImport:
    """What an import did: ``changes`` (uscc, month, change: new / changed / unchanged, version
    after it), and the import's id once stored (None on a dry run)."""

    changes: pl.DataFrame
    import_id: int | None = None

    def counts(self) -> dict[str, int]:
        """{rows, new, changed, unchanged}: what the CLI prints and the audit event records."""
        return change_counts(self.changes)


def plan_orders_import(engine: Engine, orders: pl.DataFrame) -> OrderImport:
    """What storing ``orders`` (ORDER_SCHEMA) would do, storing nothing (the dry run)."""
    with engine.connect() as conn:
        return OrderImport(_diff(conn, orders))


def save_orders(engine: Engine, orders: pl.DataFrame, roster: pl.DataFrame, *, actor, file_name: str,
                sha256: str) -> OrderImport:
    """Store an accepted orders file as one import (all or nothing, audited as ``orders.import``).
    ``actor`` is a User holding ``import_warning_data`` or ``report_orders`` (an enterprise its
    own months: the caller has checked the rows are its own), or a trusted caller's name (the CLI)."""
    from ..access import User, can

    capability = "report_orders" if isinstance(actor, User) and can(actor, "report_orders") else "import_warning_data"
    name = actor_name(actor, capability)
    with engine.begin() as conn:
        import_id = open_import(conn, order_imports, file_name=file_name, sha256=sha256, imported_by=name)
        planned = OrderImport(_diff(conn, orders), import_id)
        counts = planned.counts()
        conn.execute(update(order_imports).where(order_imports.c.id == import_id).values(**counts))
        changed = planned.changes.filter(pl.col("change") == "changed").select("uscc", "month")
        if changed.height:
            _retire(conn, changed)
        written = planned.changes.filter(pl.col("change") != "unchanged").select("uscc", "month", "version")
        insert_frame(conn, order_reports, orders.join(written, on=["uscc", "month"]).select(
            "uscc", "month", "version", import_id=pl.lit(import_id, pl.Int64), *FIGURES))
        _merge_roster(conn, roster)
        record(conn, actor=name, action="orders.import", object=f"order_import:{import_id}",
               detail={"file": file_name, "sha256": sha256, **counts})
    return planned


def _retire(conn: Connection, keys: pl.DataFrame) -> None:
    """Move the current versions of ``keys`` (uscc, month) to the history."""
    r = order_reports
    for chunk in keys.iter_slices(500):  # bounded statements; each is one set-based move
        pairs = list(chunk.iter_rows())
        where = tuple_(r.c.uscc, r.c.month).in_(pairs)
        conn.execute(insert(order_report_history).from_select([c.name for c in r.columns], select(r).where(where)))
        conn.execute(delete(r).where(where))


def _merge_roster(conn: Connection, roster: pl.DataFrame) -> None:
    """The roster's given values over the stored ones (a null keeps what is stored)."""
    said = roster.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in ROSTER_SCHEMA if c != "uscc"))
    if said.is_empty():
        return
    e = order_enterprises
    # The roster is a sample (hundreds of enterprises): read whole.
    stored = read_frame(conn, select(*(e.c[c] for c in ROSTER_SCHEMA)), ROSTER_SCHEMA)
    merged = said.join(stored, on="uscc", how="left", suffix="_old").select(
        "uscc", *(pl.coalesce(c, f"{c}_old").alias(c) for c in ROSTER_SCHEMA if c != "uscc"))
    conn.execute(delete(e).where(e.c.uscc.in_(said["uscc"].to_list())))
    insert_frame(conn, e, merged)


def _diff(conn: Connection, orders: pl.DataFrame) -> pl.DataFrame:
    r = order_reports
    # The file's span of months (read_frame binds plain values, not lists); the join keeps the file's keys.
    stored = read_frame(conn, select(*(r.c[c] for c in ORDER_SCHEMA), r.c.version).where(
        r.c.month.between(orders["month"].min(), orders["month"].max())), {**ORDER_SCHEMA, "version": pl.Int64})
    same = pl.all_horizontal((pl.col(c).eq_missing(pl.col(f"{c}_old"))) for c in FIGURES)
    joined = orders.join(stored, on=["uscc", "month"], how="left", suffix="_old", maintain_order="left")
    change = (pl.when(pl.col("version").is_null()).then(pl.lit("new"))
              .when(same).then(pl.lit("unchanged")).otherwise(pl.lit("changed")))
    return joined.select("uscc", "month", change=change,
                         version=pl.when(change == "unchanged").then(pl.col("version"))
                         .otherwise(pl.col("version").fill_null(0) + 1).cast(pl.Int64))


def stored_orders(engine: Engine, *, scope: Scope | None = None, uscc: str | None = None,
                  detectors_only: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The current orders (ORDER_SCHEMA) and the roster (ROSTER_SCHEMA) the scope may see: an
    enterprise its own; a warning point (``Scope.units``: its name) its sample; a county analyst
    its county's. Only ``uscc``'s when given. ``detectors_only``: read only the columns the
    detectors use (the rest null): a third of the reading, which is most of a scan's time."""
    r, e = order_reports, order_enterprises
    read = DETECTOR_COLUMNS if detectors_only else list(ORDER_SCHEMA)
    orders_query = select(*(r.c[c] for c in read)).order_by(r.c.uscc, r.c.month)
    roster_query = select(*(e.c[c] for c in ROSTER_SCHEMA)).order_by(e.c.uscc)
    if uscc is not None:
        orders_query, roster_query = orders_query.where(r.c.uscc == uscc), roster_query.where(e.c.uscc == uscc)
    with engine.connect() as conn:
        orders = read_frame(conn, orders_query, {c: ORDER_SCHEMA[c] for c in read})
        roster = read_frame(conn, roster_query, ROSTER_SCHEMA)
    orders = orders.with_columns(pl.lit(None, t).alias(c) for c, t in ORDER_SCHEMA.items() if c not in read
                                 ).select(list(ORDER_SCHEMA))
    scope = scope or Scope()
    if scope == Scope():
        return orders, roster
    # An enterprise in no roster has no point and no county: only the city-wide see it.
    roster = roster.join(orders.select("uscc").unique(), on="uscc", how="full", coalesce=True)
    visible = filter_visible(roster.with_columns(responsible_unit=pl.col("warning_point")), scope)
    return orders.filter(pl.col("uscc").is_in(visible["uscc"].implode())), visible.select(list(ROSTER_SCHEMA))


def list_order_imports(engine: Engine, *, limit: int = 50) -> list[dict]:
    """The import log, newest first."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(order_imports).order_by(order_imports.c.id.desc())
                                              .limit(limit)).mappings()]
