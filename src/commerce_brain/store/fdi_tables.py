"""The foreign-investment pipeline in the store (外资项目全流程跟踪), versioned.

Every import of a pipeline file is logged in ``fdi_imports`` (file, SHA-256, who, when, counts).
A project whose id is new is stored as version 1; a project imported again with any other value
(a name, the capital, the owner, a stage's date) gets the next version, the earlier ones kept;
an identical project writes nothing; projects the file leaves out stay as they are (an import
never deletes). Each version holds the project's facts (``fdi_project_versions``) and its stage
dates (``fdi_stage_versions``); readers take the newest version of each project. The import, its
versions and its audit event are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    Engine,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    select,
    update,
)

from ..access import Scope, filter_visible
from ..io.fdi_import import FdiPipeline
from ..projects.fdi import PROJECT_SCHEMA, STAGE_DATE_SCHEMA
from .audit import record
from .bulk import insert_frame, read_frame
from .fulfilment_tables import actor_name
from .import_log import change_counts, import_log_table, open_import
from .metadata import metadata

fdi_imports = import_log_table("fdi_imports")

fdi_project_versions = Table(
    "fdi_project_versions",
    metadata,
    Column("project_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("import_id", Integer, ForeignKey("fdi_imports.id"), nullable=False),
    Column("name_zh", String(500), nullable=False),
    Column("org_unit", String(20), nullable=False),
    Column("industry", String(100), nullable=False),
    Column("investor_name", String(500), nullable=False),
    Column("investor_country", String(20), nullable=False),
    Column("investor_fortune500", Boolean, nullable=False),
    Column("contracted_usd", BigInteger, nullable=False),
    Column("arrived_usd", BigInteger, nullable=False),
    Column("next_step_owner", String(500)),
    PrimaryKeyConstraint("project_id", "version", name="pk_fdi_project_versions"),
    CheckConstraint("contracted_usd >= 0 AND arrived_usd >= 0", name="ck_fdi_project_versions_usd"),
)

fdi_stage_versions = Table(
    "fdi_stage_versions",
    metadata,
    Column("project_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("stage", String(50), nullable=False),
    Column("planned_date", Date),
    Column("actual_date", Date),
    PrimaryKeyConstraint("project_id", "version", "stage", name="pk_fdi_stage_versions"),
    ForeignKeyConstraint(["project_id", "version"], ["fdi_project_versions.project_id", "fdi_project_versions.version"],
                         name="fk_fdi_stage_versions_project"),
)

PROJECT_COLUMNS = list(PROJECT_SCHEMA)
STAGE_COLUMNS = list(STAGE_DATE_SCHEMA)


@dataclass(frozen=True)
class FdiImport:
    """What an import did: ``changes`` (project_id, change: new / changed / unchanged, version:
    the stored version after it), and the import's id once stored (None on a dry run)."""

    changes: pl.DataFrame
    import_id: int | None = None

    def counts(self) -> dict[str, int]:
        """{rows, new, changed, unchanged}: what the CLI prints and the audit event records."""
        return change_counts(self.changes)


def plan_fdi_import(engine: Engine, pipeline: FdiPipeline) -> FdiImport:
    """What storing ``pipeline`` would do, storing nothing (the dry run)."""
    with engine.connect() as conn:
        return FdiImport(_diff(conn, pipeline))


def save_fdi_pipeline(engine: Engine, pipeline: FdiPipeline, *, actor, file_name: str, sha256: str) -> FdiImport:
    """Store an accepted pipeline file as one import (all or nothing, audited as ``fdi.import``).
    ``actor`` is a User holding ``import_projects`` or the name of a trusted caller (the CLI)."""
    name = actor_name(actor, "import_projects")
    with engine.begin() as conn:
        import_id = open_import(conn, fdi_imports, file_name=file_name, sha256=sha256, imported_by=name)
        planned = FdiImport(_diff(conn, pipeline), import_id)
        counts = planned.counts()
        conn.execute(update(fdi_imports).where(fdi_imports.c.id == import_id).values(**counts))
        written = planned.changes.filter(pl.col("change") != "unchanged").select("project_id", "version")
        projects = pipeline.projects.join(written, on="project_id").with_columns(
            import_id=pl.lit(import_id, pl.Int64))
        insert_frame(conn, fdi_project_versions,
                     projects.select("project_id", "version", "import_id", *PROJECT_COLUMNS[1:]))
        stages = pipeline.stage_dates.join(written, on="project_id")
        insert_frame(conn, fdi_stage_versions,
                     stages.select("project_id", "version", "stage", "planned_date", "actual_date"))
        record(conn, actor=name, action="fdi.import", object=f"fdi_import:{import_id}",
               detail={"file": file_name, "sha256": sha256, **counts})
    return planned


def _fingerprint(projects: pl.DataFrame, stages: pl.DataFrame) -> pl.DataFrame:
    """project_id → one text holding every value of the project and its stage dates, so that an
    import compares a whole project with one column (nulls spelt out, stages in code order)."""
    values = pl.concat_str([pl.col(c).cast(pl.String).fill_null("∅") for c in PROJECT_COLUMNS[1:]], separator="|")
    dates = (stages.sort("project_id", "stage")
             .with_columns(pl.concat_str([pl.col("stage"), pl.col("planned_date").cast(pl.String).fill_null("∅"),
                                          pl.col("actual_date").cast(pl.String).fill_null("∅")], separator=":")
                           .alias("entry"))
             .group_by("project_id", maintain_order=True).agg(pl.col("entry").str.join(",").alias("dates")))
    return (projects.select("project_id", values.alias("facts"))
            .join(dates, on="project_id", how="left")
            .select("project_id", fingerprint=pl.concat_str([pl.col("facts"), pl.col("dates").fill_null("")],
                                                            separator="#")))


def _diff(conn: Connection, pipeline: FdiPipeline) -> pl.DataFrame:
    stored_projects, stored_stages = _newest(conn)
    incoming = _fingerprint(pipeline.projects, pipeline.stage_dates)
    stored = _fingerprint(stored_projects.drop("version"), stored_stages).join(
        stored_projects.select("project_id", "version"), on="project_id")
    joined = incoming.join(stored.rename({"fingerprint": "old"}), on="project_id", how="left", maintain_order="left")
    change = (pl.when(pl.col("version").is_null()).then(pl.lit("new"))
              .when(pl.col("old") == pl.col("fingerprint")).then(pl.lit("unchanged"))
              .otherwise(pl.lit("changed")))
    return joined.select(
        "project_id", change=change,
        version=pl.when(change == "unchanged").then(pl.col("version"))
        .otherwise(pl.col("version").fill_null(0) + 1).cast(pl.Int64))


def _newest(conn: Connection, project_id: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The newest version of every stored project (with ``version``) and its stage dates."""
    latest = (select(fdi_project_versions.c.project_id, func.max(fdi_project_versions.c.version).label("version"))
              .group_by(fdi_project_versions.c.project_id))
    if project_id is not None:
        latest = latest.where(fdi_project_versions.c.project_id == project_id)
    latest = latest.subquery()
    p, s = fdi_project_versions, fdi_stage_versions
    projects = read_frame(conn, select(*(p.c[c] for c in PROJECT_COLUMNS), p.c.version)
                          .join(latest, (p.c.project_id == latest.c.project_id) & (p.c.version == latest.c.version))
                          .order_by(p.c.project_id),
                          {**PROJECT_SCHEMA, "version": pl.Int64})
    stages = read_frame(conn, select(*(s.c[c] for c in STAGE_COLUMNS))
                        .join(latest, (s.c.project_id == latest.c.project_id) & (s.c.version == latest.c.version))
                        .order_by(s.c.project_id, s.c.stage),
                        STAGE_DATE_SCHEMA)
    return projects, stages


def newest_pipeline(engine: Engine, *, scope: Scope | None = None, project_id: str | None = None) -> FdiPipeline:
    """The newest version of every stored project the scope may see (a county analyst: its
    county's; a project's responsible unit: the projects whose next step it owns), with their
    stage dates; one project with ``project_id`` (an empty pipeline when unseen or unknown)."""
    with engine.connect() as conn:
        projects, stages = _newest(conn, project_id)
    visible = filter_visible(projects.drop("version"), scope or Scope(), unit_column="next_step_owner")
    return FdiPipeline(visible, stages.filter(pl.col("project_id").is_in(visible["project_id"].implode())))


def project_versions(engine: Engine, project_id: str) -> list[dict]:
    """Every stored version of one project, oldest first, with the file and who imported it
    (the caller checks the project is in the user's scope first)."""
    p, i = fdi_project_versions, fdi_imports
    query = (select(p.c.version, p.c.contracted_usd, p.c.arrived_usd, p.c.next_step_owner, i.c.file_name,
                    i.c.imported_by, i.c.imported_at)
             .join(i, i.c.id == p.c.import_id).where(p.c.project_id == project_id).order_by(p.c.version))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def list_fdi_imports(engine: Engine, *, limit: int = 50) -> list[dict]:
    """The import log, newest first."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(fdi_imports).order_by(fdi_imports.c.id.desc()).limit(limit))
                .mappings()]
