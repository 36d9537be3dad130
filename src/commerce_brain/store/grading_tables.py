"""亩均效益评价 in the store: the evaluation runs and their results, the officers' re-grades
(手动调档, versioned), the publications of the classes, the leading-50 lists and the
competitive allocations.

A run is never changed once written: it keeps the year, who ran it and when, the digest of the
settings it used, where its data came from and its counts, with one result row per graded
enterprise (the engine's columns; the per-indicator values and scores and the merged parcel as
JSON text) and one row per enterprise left out of scope with the reason. A year's grading is its
newest city-wide run, with each later county run replacing that county's rows (``year_runs``). A re-grade is kept per year and enterprise, each one a new version
(the earlier kept); the newest applies to every run of the year. The writers here take an open
connection: the workflow (``grading_board``) writes the rows and their audit event in one
transaction.
"""

from __future__ import annotations

import json
from decimal import Decimal
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)

from .bulk import insert_frame, read_frame
from .metadata import metadata

CLASSES = ("A", "B", "C", "D")

grading_runs = Table(
    "grading_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False, index=True),
    Column("org_unit", String(20)),  # the org unit graded (its subtree); None: the whole city
    Column("source", String(300), nullable=False),  # "store", or the data file's name
    Column("settings_digest", String(64), nullable=False),
    Column("run_by", String(200), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Column("graded", Integer, nullable=False),
    Column("out_of_scope", Integer, nullable=False),
    Column("indicators", Text, nullable=False),  # JSON list of the indicator codes the results hold
)

grading_results = Table(
    "grading_results",
    metadata,
    Column("run_id", Integer, ForeignKey("grading_runs.id"), nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("name", String(500), nullable=False),
    Column("org_unit", String(20)),
    Column("county", String(20)),
    Column("industry_group", String(100), nullable=False),
    Column("size_class", String(10), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("bonus", Float, nullable=False),
    Column("penalty", Float, nullable=False),
    Column("total", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("group_size", Integer, nullable=False),
    Column("initial_class", String(1), nullable=False),
    Column("class", String(1), nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON: merged_with, value__*, score__*
    PrimaryKeyConstraint("run_id", "uscc", name="pk_grading_results"),
)

grading_exclusions = Table(
    "grading_exclusions",
    metadata,
    Column("run_id", Integer, ForeignKey("grading_runs.id"), nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("name", String(500), nullable=False),
    Column("org_unit", String(20)),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "uscc", name="pk_grading_exclusions"),
)

grading_regrades = Table(
    "grading_regrades",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("version", Integer, nullable=False),
    Column("from_class", String(1), nullable=False),
    Column("to_class", String(1), nullable=False),
    Column("reason", Text, nullable=False),
    Column("regraded_by", String(200), nullable=False),
    Column("regraded_at", DateTime(timezone=True), nullable=False),
    # Two officers re-grading the same enterprise at once: the second insert of a version fails.
    UniqueConstraint("year", "uscc", "version", name="uq_grading_regrades_version"),
)

grading_publications = Table(
    "grading_publications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("run_id", Integer, ForeignKey("grading_runs.id"), nullable=False),
    Column("fact_import_id", Integer, nullable=False),  # the enterprise-data import that stored mu_class
    Column("enterprises", Integer, nullable=False),
    # Enterprises whose stored class of the year this publication cleared (not graded by it).
    Column("cleared", Integer, nullable=False, server_default="0"),
    Column("published_by", String(200), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

grading_leader_lists = Table(
    "grading_leader_lists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("run_id", Integer, ForeignKey("grading_runs.id"), nullable=False),
    Column("rules", Text, nullable=False),  # JSON: the rules the officer set
    Column("drawn_by", String(200), nullable=False),
    Column("drawn_at", DateTime(timezone=True), nullable=False),
)

grading_leader_rows = Table(
    "grading_leader_rows",
    metadata,
    Column("list_id", Integer, ForeignKey("grading_leader_lists.id"), nullable=False),
    Column("list", String(20), nullable=False),  # leading | benchmark
    Column("uscc", String(18), nullable=False),
    Column("name", String(500), nullable=False),
    Column("org_unit", String(20)),
    Column("rank", Integer),
    Column("score", Float),
    Column("selected", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("list_id", "list", "uscc", name="pk_grading_leader_rows"),
)

grading_allocations = Table(
    "grading_allocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pot_name", String(300), nullable=False),
    Column("pot_yaml", Text, nullable=False),
    Column("applications_file", String(300), nullable=False),
    Column("applications_sha256", String(64), nullable=False),
    Column("result", Text, nullable=False),  # JSON: the allocation as the CLI's --format json prints it
    Column("visible", Text, nullable=False),  # JSON: application id → {uscc, org_unit}, for the scopes
    Column("allocated_by", String(200), nullable=False),
    Column("allocated_at", DateTime(timezone=True), nullable=False),
)

# The result columns as stored and read back (the per-indicator columns travel in ``detail``).
RESULT_SCHEMA: dict[str, pl.DataType] = {
    "uscc": pl.String, "name": pl.String, "org_unit": pl.String, "county": pl.String,
    "industry_group": pl.String, "size_class": pl.String, "unit": pl.String, "bonus": pl.Float64,
    "penalty": pl.Float64, "total": pl.Float64, "rank": pl.Int64, "group_size": pl.Int64,
    "initial_class": pl.String, "class": pl.String, "reason": pl.String, "detail": pl.String,
}
EXCLUSION_SCHEMA: dict[str, pl.DataType] = {"uscc": pl.String, "name": pl.String, "org_unit": pl.String,
                                            "reason": pl.String}
REGRADE_SCHEMA: dict[str, pl.DataType] = {
    "uscc": pl.String, "version": pl.Int64, "from_class": pl.String, "to_class": pl.String, "reason": pl.String,
    "regraded_by": pl.String, "regraded_at": pl.Datetime("us", "UTC"),
}
LEADER_SCHEMA: dict[str, pl.DataType] = {
    "list": pl.String, "uscc": pl.String, "name": pl.String, "org_unit": pl.String, "rank": pl.Int64,
    "score": pl.Float64, "selected": pl.Boolean, "reason": pl.String,
}


def now() -> datetime:
    return datetime.now(UTC)


def indicator_codes(graded: pl.DataFrame) -> list[str]:
    """The indicators a graded frame scores (its ``score__<code>`` columns), in frame order."""
    return [c.removeprefix("score__") for c in graded.columns if c.startswith("score__")]


def _detail_columns(codes: list[str]) -> list[str]:
    # benchmark__: the benchmark each score used, so that a score card read back shows the run's.
    return ["merged_with", *(f"{p}__{c}" for c in codes for p in ("value", "score", "benchmark"))]


def insert_run(conn: Connection, *, year: int, org_unit: str | None, source: str, settings_digest: str,
               actor: str, graded: pl.DataFrame, out_of_scope: pl.DataFrame) -> int:
    """Store one run with its results and exclusions; returns its id."""
    codes = indicator_codes(graded)
    run_id = conn.execute(insert(grading_runs).values(
        year=year, org_unit=org_unit, source=source[:300], settings_digest=settings_digest, run_by=actor, run_at=now(),
        graded=graded.height, out_of_scope=out_of_scope.height, indicators=json.dumps(codes))).inserted_primary_key[0]
    # One JSON object per row, built by Polars over the whole column set (no Python loop).
    detail = pl.struct(pl.col(c).cast(pl.Float64) if not c.startswith("merged") else pl.col(c)
                       for c in _detail_columns(codes) if c in graded.columns).struct.json_encode()
    rows = graded.select(pl.lit(run_id, pl.Int64).alias("run_id"),
                         *(pl.col(c).cast(t) for c, t in RESULT_SCHEMA.items() if c != "detail"),
                         detail.alias("detail"))
    insert_frame(conn, grading_results, rows)
    insert_frame(conn, grading_exclusions, out_of_scope.select(
        pl.lit(run_id, pl.Int64).alias("run_id"), *(pl.col(c).cast(t) for c, t in EXCLUSION_SCHEMA.items())))
    return run_id


def year_runs(conn: Connection, year: int) -> list[dict]:
    """The runs that make up ``year``'s grading, oldest first: the newest city-wide run (no
    ``org_unit``) and every county run after it (every run when none is city-wide)."""
    runs = [dict(r) for r in conn.execute(select(grading_runs).where(grading_runs.c.year == year)
                                          .order_by(grading_runs.c.id)).mappings()]
    start = max((r["id"] for r in runs if r["org_unit"] is None), default=0)
    return [r for r in runs if r["id"] >= start]


def newest_run(conn: Connection, year: int) -> dict | None:
    """The newest run of ``year`` as a mapping, or None when the year has none."""
    row = conn.execute(select(grading_runs).where(grading_runs.c.year == year)
                       .order_by(grading_runs.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def read_results(conn: Connection, run: dict, *, uscc: str | None = None) -> pl.DataFrame:
    """A run's graded frame as the engine gave it (only ``uscc``'s row when given): the fixed
    columns, ``merged_with`` and the per-indicator ``value__``/``score__``/``benchmark__``
    columns unpacked from the stored JSON."""
    codes = json.loads(run["indicators"])
    query = select(*(grading_results.c[c] for c in RESULT_SCHEMA)).where(grading_results.c.run_id == run["id"])
    if uscc is not None:
        query = query.where(grading_results.c.uscc == uscc)
    frame = read_frame(conn, query, RESULT_SCHEMA)
    dtype = pl.Struct({c: pl.List(pl.String) if c == "merged_with" else pl.Float64 for c in _detail_columns(codes)})
    return frame.with_columns(pl.col("detail").str.json_decode(dtype)).unnest("detail").sort(
        ["size_class", "industry_group", "rank", "uscc"])


def read_exclusions(conn: Connection, run_id: int) -> pl.DataFrame:
    """The enterprises a run left out of scope, with the reason."""
    query = select(*(grading_exclusions.c[c] for c in EXCLUSION_SCHEMA)).where(grading_exclusions.c.run_id == run_id)
    return read_frame(conn, query, EXCLUSION_SCHEMA).sort("uscc")


def read_regrades(conn: Connection, year: int, *, newest_only: bool = True) -> pl.DataFrame:
    """The re-grades of ``year`` (REGRADE_SCHEMA): each enterprise's newest, or every version."""
    t = grading_regrades
    query = select(*(t.c[c] for c in REGRADE_SCHEMA)).where(t.c.year == year)
    if newest_only:
        newest = (select(t.c.uscc, func.max(t.c.version).label("version")).where(t.c.year == year)
                  .group_by(t.c.uscc).subquery())
        query = query.join(newest, (t.c.uscc == newest.c.uscc) & (t.c.version == newest.c.version))
    return read_frame(conn, query, REGRADE_SCHEMA).sort(["uscc", "version"])


def insert_regrade(conn: Connection, *, year: int, uscc: str, version: int, from_class: str, to_class: str,
                   reason: str, actor: str) -> int:
    """Store ``version`` of an enterprise's re-grade for ``year`` (the one after the version the
    officer's ``from_class`` was read with); returns it. IntegrityError when that version is
    already stored: someone re-graded since the class was read."""
    t = grading_regrades
    conn.execute(insert(t).values(year=year, uscc=uscc, version=version, from_class=from_class, to_class=to_class,
                                  reason=reason, regraded_by=actor, regraded_at=now()))
    return version


def insert_publication(conn: Connection, *, year: int, run_id: int, fact_import_id: int, enterprises: int,
                       cleared: int, actor: str) -> int:
    """Record that the year's classes (``run_id``: the newest run they come from) were published
    as the enterprise-data import given, ``cleared`` stored classes removed."""
    return conn.execute(insert(grading_publications).values(
        year=year, run_id=run_id, fact_import_id=fact_import_id, enterprises=enterprises, cleared=cleared,
        published_by=actor, published_at=now())).inserted_primary_key[0]


def read_publication(conn: Connection, publication_id: int) -> dict | None:
    """One publication's record, or None."""
    row = conn.execute(select(grading_publications).where(grading_publications.c.id == publication_id)
                       ).mappings().first()
    return dict(row) if row else None


def publications(conn: Connection, year: int) -> list[dict]:
    """The publications of ``year``, newest first."""
    query = select(grading_publications).where(grading_publications.c.year == year).order_by(
        grading_publications.c.id.desc())
    return [dict(r) for r in conn.execute(query).mappings()]


def insert_leader_list(conn: Connection, *, year: int, run_id: int, rules: dict, rows: pl.DataFrame,
                       actor: str) -> int:
    """Store a drawn pair of lists (every candidate with its decision); returns the list id."""
    list_id = conn.execute(insert(grading_leader_lists).values(
        year=year, run_id=run_id, rules=json.dumps(rules, ensure_ascii=False, sort_keys=True, default=str),
        drawn_by=actor, drawn_at=now())).inserted_primary_key[0]
    insert_frame(conn, grading_leader_rows, rows.select(
        pl.lit(list_id, pl.Int64).alias("list_id"), *(pl.col(c).cast(t) for c, t in LEADER_SCHEMA.items())))
    return list_id


def newest_leader_list(conn: Connection, year: int) -> tuple[dict, pl.DataFrame] | None:
    """The newest lists of ``year``: (the list record, its rows), or None."""
    head = conn.execute(select(grading_leader_lists).where(grading_leader_lists.c.year == year)
                        .order_by(grading_leader_lists.c.id.desc()).limit(1)).mappings().first()
    if head is None:
        return None
    t = grading_leader_rows
    rows = read_frame(conn, select(*(t.c[c] for c in LEADER_SCHEMA)).where(t.c.list_id == head["id"]), LEADER_SCHEMA)
    return dict(head), rows.sort(["list", "selected", "rank", "uscc"], descending=[False, True, False, False],
                                 nulls_last=True)


def insert_allocation(conn: Connection, *, pot_name: str, pot_yaml: str, file_name: str, sha256: str,
                      result_json: str, visible: dict, actor: str) -> int:
    """Store one allocation's inputs and result (``result_json``: JSON text, its figures exact);
    returns its id."""
    return conn.execute(insert(grading_allocations).values(
        pot_name=pot_name[:300], pot_yaml=pot_yaml, applications_file=file_name[:300], applications_sha256=sha256,
        result=result_json, visible=json.dumps(visible, ensure_ascii=False),
        allocated_by=actor, allocated_at=now())).inserted_primary_key[0]


def read_allocation(conn: Connection, allocation_id: int) -> dict | None:
    """One stored allocation (``result`` and ``visible`` decoded; a fractional figure as an exact
    Decimal), or None."""
    row = conn.execute(select(grading_allocations).where(grading_allocations.c.id == allocation_id)).mappings().first()
    if row is None:
        return None
    return {**row, "result": json.loads(row["result"], parse_float=Decimal), "visible": json.loads(row["visible"])}


def allocation_ids(conn: Connection) -> list[int]:
    """Every stored allocation's id, newest first."""
    return list(conn.execute(select(grading_allocations.c.id).order_by(grading_allocations.c.id.desc())).scalars())


def run_years(conn: Connection) -> list[int]:
    """The years with at least one run, newest first."""
    query = select(grading_runs.c.year).distinct().order_by(grading_runs.c.year.desc())
    return list(conn.execute(query).scalars())
