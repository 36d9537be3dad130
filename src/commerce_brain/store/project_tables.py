"""Project tracking in the store: monthly reports (versioned), the import log, and imported
重点项目 beyond the 58 (versioned the same way).

``project_reports`` keeps every version of every project × month: a report imported or entered
again with other figures is the next version, the earlier ones stay; the newest version wins.
An identical report writes nothing. ``projects_extra`` does the same per project id.
``project_imports`` logs each import (file name, SHA-256, who, when, counts). Every write and
its audit event (``project_reports.save`` for an import, ``project_report.enter`` for a report
entered on a project's page) commit in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    literal,
    select,
)

from ..access import Scope, User, filter_visible
from ..io.project_reports_import import EXTRA_SCHEMA, REPORTS_SCHEMA, check_report_texts
from .audit import record
from .bulk import insert_frame, read_frame
from .fulfilment_tables import FulfilmentError, actor_name
from .metadata import metadata, read_only

CHANGES = ("new", "revised", "unchanged")
REPORT_VALUES = ["annual_plan_wan", "completed_month_wan", "completed_ytd_wan", "stage", "image_progress",
                 "problems", "problem_owner"]
EXTRA_VALUES = ["name_zh", "start_year", "end_year", "total_investment_wan", "plan_period_investment_wan",
                "responsible_unit", "org_unit"]

project_imports = Table(
    "project_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    *(Column(f"{table}_{change}", Integer, nullable=False) for table in ("reports", "projects") for change in CHANGES),
)

project_reports = Table(
    "project_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("version", Integer, nullable=False),
    Column("annual_plan_wan", BigInteger, nullable=False),
    Column("completed_month_wan", BigInteger),
    Column("completed_ytd_wan", BigInteger, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("image_progress", Text),
    Column("problems", Text),
    Column("problem_owner", String(200)),
    # Null for a report entered on the project's page.
    Column("import_id", Integer, ForeignKey("project_imports.id")),
    Column("entered_by", String(200), nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "month", "version", name="uq_project_reports_version"),
    CheckConstraint("stage IN ('not_started', 'under_construction', 'completed')", name="ck_project_reports_stage"),
    CheckConstraint("annual_plan_wan >= 0 AND completed_ytd_wan >= 0 AND "
                    "(completed_month_wan IS NULL OR completed_month_wan >= 0)", name="ck_project_reports_amounts"),
    Index("ix_project_reports_month", "month"),
)

projects_extra = Table(
    "projects_extra",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name_zh", String(200), nullable=False),
    Column("start_year", Integer, nullable=False),
    Column("end_year", Integer, nullable=False),
    Column("total_investment_wan", BigInteger, nullable=False),
    Column("plan_period_investment_wan", BigInteger, nullable=False),
    Column("responsible_unit", String(200), nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("import_id", Integer, ForeignKey("project_imports.id"), nullable=False),
    Column("entered_by", String(200), nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "version", name="uq_projects_extra_version"),
    CheckConstraint("start_year <= end_year", name="ck_projects_extra_years"),
    CheckConstraint("total_investment_wan >= 0 AND plan_period_investment_wan >= 0", name="ck_projects_extra_amounts"),
)

STORED_REPORT_SCHEMA = {**REPORTS_SCHEMA, "version": pl.Int64, "import_id": pl.Int64, "entered_by": pl.String,
                        "entered_at": pl.Datetime("us", "UTC")}


class ProjectNotFound(FulfilmentError):
    """No such project, or not one the user may see (both answer as missing)."""


class ReportRefused(FulfilmentError):
    """A report entered on the page breaks a rule; ``problems`` is [(field, reason)]."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(reason for _, reason in problems))


@dataclass(frozen=True)
class SavedReports:
    """What an import did (or, dry, would do): counts per table and the import's id once stored."""

    counts: dict[str, dict[str, int]]
    import_id: int | None = None


def plan_reports(engine: Engine, reports: pl.DataFrame, extra: pl.DataFrame | None = None) -> SavedReports:
    """What saving would do, storing nothing (``projects import --dry-run``, the preview)."""
    with engine.connect() as conn:
        return SavedReports(_counts(_diff_reports(conn, reports), _diff_extra(conn, _or_empty(extra))))


def save_reports(engine: Engine, reports: pl.DataFrame, *, actor: User | str, import_meta: Mapping[str, str],
                 extra: pl.DataFrame | None = None) -> SavedReports:
    """Store a checked file's reports (REPORTS_SCHEMA) and extra projects (EXTRA_SCHEMA) as one
    import, all or nothing, audited: new and revised rows as new versions, identical ones not at
    all. ``import_meta`` has ``file_name`` and ``sha256``. ``actor`` is a User holding
    ``import_projects`` or the name of a trusted caller (the CLI's operator)."""
    name = actor_name(actor, "import_projects")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        _serialise(conn)
        import_id = conn.execute(insert(project_imports).values(
            file_name=import_meta["file_name"], sha256=import_meta["sha256"], imported_by=name, imported_at=now,
            **{f"{t}_{c}": 0 for t in ("reports", "projects") for c in CHANGES})).inserted_primary_key[0]
        diffed_reports, diffed_extra = _diff_reports(conn, reports), _diff_extra(conn, _or_empty(extra))
        counts = _counts(diffed_reports, diffed_extra)
        conn.execute(project_imports.update().where(project_imports.c.id == import_id).values(
            {f"{t}_{c}": n for t, by in counts.items() for c, n in by.items()}))
        stamp = [pl.lit(import_id, pl.Int64).alias("import_id"), pl.lit(name).alias("entered_by"),
                 pl.lit(now, pl.Datetime("us", "UTC")).alias("entered_at")]
        written = diffed_extra.filter(pl.col("change") != "unchanged")
        insert_frame(conn, projects_extra, written.select(pl.col("id").alias("project_id"), "version",
                                                          *EXTRA_VALUES, *stamp))
        written = diffed_reports.filter(pl.col("change") != "unchanged")
        insert_frame(conn, project_reports, written.select("project_id", "month", "version", *REPORT_VALUES, *stamp))
        record(conn, actor=name, action="project_reports.save", object=f"project_import:{import_id}",
               detail={"file": import_meta["file_name"], "sha256": import_meta["sha256"], **counts})
    return SavedReports(counts, import_id)


def _serialise(conn: Connection) -> None:
    # Two saves at once would both number the same next version: the second waits for the first.
    # PostgreSQL: this lock; SQLite: the first write of a transaction takes the database's lock.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE project_reports IN SHARE ROW EXCLUSIVE MODE")


def _or_empty(extra: pl.DataFrame | None) -> pl.DataFrame:
    return pl.DataFrame(schema=EXTRA_SCHEMA) if extra is None else extra


def _counts(reports: pl.DataFrame, extra: pl.DataFrame) -> dict[str, dict[str, int]]:
    return {table: {c: int((frame["change"] == c).sum()) for c in CHANGES}
            for table, frame in (("reports", reports), ("projects", extra))}


def _classified(incoming: pl.DataFrame, stored: pl.DataFrame, key: list[str], values: list[str]) -> pl.DataFrame:
    """Each incoming row with ``change`` and the ``version`` it is stored as."""
    joined = incoming.join(stored.rename({c: f"old_{c}" for c in [*values, "version"]}), on=key, how="left")
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"old_{c}")) for c in values)
    return joined.with_columns(
        pl.when(pl.col("old_version").is_null()).then(pl.lit("new"))
        .when(same).then(pl.lit("unchanged")).otherwise(pl.lit("revised")).alias("change"),
        (pl.col("old_version").fill_null(0) + 1).alias("version"),
    ).with_columns(pl.when(pl.col("change") == "unchanged").then(pl.col("old_version"))
                   .otherwise(pl.col("version")).alias("version"))


def _diff_reports(conn: Connection, reports: pl.DataFrame) -> pl.DataFrame:
    incoming = reports.select(list(REPORTS_SCHEMA)).cast(REPORTS_SCHEMA)
    stored = _newest_reports(conn, months=sorted(set(incoming["month"].drop_nulls())))
    return _classified(incoming, stored.select("project_id", "month", *REPORT_VALUES, "version"),
                       ["project_id", "month"], REPORT_VALUES)


def _diff_extra(conn: Connection, extra: pl.DataFrame) -> pl.DataFrame:
    incoming = extra.select(list(EXTRA_SCHEMA)).cast(EXTRA_SCHEMA)
    stored = _newest_extra(conn)
    return _classified(incoming, stored.select("id", *EXTRA_VALUES, "version"), ["id"], EXTRA_VALUES)


def _newest(table: Table, key: list[str]):
    newest = (select(*(table.c[k] for k in key), func.max(table.c.version).label("v"))
              .group_by(*(table.c[k] for k in key)).subquery())
    return newest, [table.c[k] == newest.c[k] for k in key] + [table.c.version == newest.c.v]


def _newest_reports(conn: Connection, *, months: list[str] | None = None, project_id: str | None = None,
                    upto: str | None = None, columns: list[str] | None = None) -> pl.DataFrame:
    schema = {c: STORED_REPORT_SCHEMA[c] for c in (columns or STORED_REPORT_SCHEMA)}
    newest, on = _newest(project_reports, ["project_id", "month"])
    query = (select(*(project_reports.c[c] for c in schema))
             .select_from(project_reports.join(newest, and_(*on))))
    if upto is not None:  # months as YYYY-MM text sort as they fall
        query = query.where(project_reports.c.month <= upto)
    if months is not None and len(months) == 1:
        query = query.where(project_reports.c.month == months[0])
    if project_id is not None:
        query = query.where(project_reports.c.project_id == project_id)
    frame = read_frame(conn, query.order_by(project_reports.c.project_id, project_reports.c.month), schema)
    # Several months are picked here: read_frame takes no expanding IN parameters.
    return frame.filter(pl.col("month").is_in(months)) if months is not None and len(months) > 1 else frame


def _newest_extra(conn: Connection) -> pl.DataFrame:
    newest, on = _newest(projects_extra, ["project_id"])
    query = (select(projects_extra.c.project_id.label("id"), *(projects_extra.c[c] for c in EXTRA_VALUES),
                    projects_extra.c.version)
             .select_from(projects_extra.join(newest, and_(*on))).order_by(projects_extra.c.project_id))
    return read_frame(conn, query, {**EXTRA_SCHEMA, "version": pl.Int64})


def extra_projects(engine: Engine) -> pl.DataFrame:
    """The imported 重点项目, newest version of each (EXTRA_SCHEMA: what ``load_project_catalog``
    takes as ``extra``)."""
    with engine.connect() as conn:
        return _newest_extra(conn).select(list(EXTRA_SCHEMA))


def newest_reports(engine: Engine, *, month: str | None = None, scope: Scope | None = None,
                   projects: pl.DataFrame | None = None, upto: str | None = None,
                   columns: list[str] | None = None) -> pl.DataFrame:
    """The newest version of every stored report (STORED_REPORT_SCHEMA, or only ``columns``), of
    one month, of the months up to ``upto``, or all.

    With ``scope``, only the reports of projects the scope may see: by the projects' org unit
    and responsible unit, from ``projects`` (the project catalog's frame; loaded with the stored
    extra projects when not given). Fails closed like ``access.filter_visible``."""
    with engine.connect() as conn:
        reports = _newest_reports(conn, months=[month] if month else None, upto=upto, columns=columns)
    if scope is None:
        return reports
    if projects is None:
        from ..projects.catalog import load_project_catalog

        projects = load_project_catalog(extra_projects(engine)).projects
    visible = filter_visible(projects.select("id", "org_unit", "responsible_unit"), scope)
    return reports.filter(pl.col("project_id").is_in(visible["id"].implode()))


def store_state(engine: Engine) -> tuple[int, int]:
    """What identifies the stored reports and extra projects as they are: rows are only ever
    added, so the highest ids change with every write (a memo's key). In autocommit: asked on
    every request, it needs no transaction around it."""
    with read_only(engine).connect() as conn:
        return (conn.execute(select(func.coalesce(func.max(project_reports.c.id), 0))).scalar_one(),
                conn.execute(select(func.coalesce(func.max(projects_extra.c.id), 0))).scalar_one())


def report_history(engine: Engine, project_id: str) -> pl.DataFrame:
    """Every version of every report of one project, newest month and version first."""
    query = (select(*(project_reports.c[c] for c in STORED_REPORT_SCHEMA))
             .where(project_reports.c.project_id == project_id)
             .order_by(project_reports.c.month.desc(), project_reports.c.version.desc()))
    with engine.connect() as conn:
        return read_frame(conn, query, STORED_REPORT_SCHEMA)


def list_project_imports(engine: Engine, *, limit: int = 50) -> list[dict]:
    """The latest imports, newest first, with their counts."""
    query = select(project_imports).order_by(project_imports.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


@dataclass(frozen=True)
class EnteredReport:
    """What the page's form stored: the project, month and version; ``changed`` False when the
    figures were those stored already (nothing written)."""

    project_id: str
    month: str
    version: int
    changed: bool


def save_report_from_page(engine: Engine, texts: Mapping[str, str | None], *, actor: User, scope: Scope,
                          projects: pl.DataFrame) -> EnteredReport:
    """One month's report entered on the project's page by its responsible unit (``report_projects``).

    ``texts`` are the form's fields, named as the file's columns (``project, month,
    annual_plan_yi, completed_ytd_yi, stage`` and the optional ones; amounts in 亿元), checked by
    the same rules as a file (``ReportRefused`` with the problems). A project that does not exist
    or lies outside ``scope`` raises ``ProjectNotFound`` (answered as missing). ``projects`` is
    the project catalog's frame. Stored as the next version, audited in the same transaction."""
    name = actor_name(actor, "report_projects")
    visible = filter_visible(projects.select("id", "org_unit", "responsible_unit"), scope)
    project_id = (texts.get("project") or "").strip()
    if project_id not in set(visible["id"]):
        raise ProjectNotFound(f"项目不存在：{project_id}")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        _serialise(conn)
        stored = _newest_reports(conn, project_id=project_id)
        typed, problems = check_report_texts(texts, set(projects["id"]), stored)
        if problems:
            raise ReportRefused(problems)
        diffed = _classified(typed, stored.select("project_id", "month", *REPORT_VALUES, "version"),
                             ["project_id", "month"], REPORT_VALUES).row(0, named=True)
        if diffed["change"] == "unchanged":
            return EnteredReport(project_id, diffed["month"], diffed["version"], False)
        # The version is numbered inside the INSERT, so two forms sent at once cannot take the same one.
        number = (select(func.coalesce(func.max(project_reports.c.version), 0) + 1)
                  .where(project_reports.c.project_id == project_id, project_reports.c.month == diffed["month"])
                  .scalar_subquery())
        values = {c: diffed[c] for c in REPORT_VALUES}
        conn.execute(insert(project_reports).from_select(
            ["project_id", "month", "version", *REPORT_VALUES, "entered_by", "entered_at"],
            select(literal(project_id), literal(diffed["month"]), number, *(literal(v) for v in values.values()),
                   literal(name), literal(now))))
        version = conn.execute(select(func.max(project_reports.c.version)).where(
            project_reports.c.project_id == project_id, project_reports.c.month == diffed["month"])).scalar_one()
        record(conn, actor=name, action="project_report.enter", object=f"project:{project_id}",
               detail={"month": diffed["month"], "version": version, "stage": values["stage"],
                       "annual_plan_wan": values["annual_plan_wan"], "completed_ytd_wan": values["completed_ytd_wan"]})
    return EnteredReport(project_id, diffed["month"], version, True)

