"""Observation repository: versioned actuals, the current view, history and the import log."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine, func, insert, select

from ..catalog import OBSERVATION_SCHEMA
# schema first: it imports every table module (audit among them) in an order that resolves;
# entering through audit first stops at fulfilment → enterprise_imports → audit (half built),
# which broke `commerce-brain demo` and collecting tests/test_monitoring.py on its own.
from .schema import imports, observation_versions  # noqa: I001
from .audit import record

KEY = ["plan", "indicator", "org_unit", "period"]


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, on a dry run, would do) to the store."""

    rows: int
    new: int
    revised: int
    unchanged: int
    changes: pl.DataFrame
    import_id: int | None = None


def _current_query():
    latest = (
        select(
            observation_versions.c.plan,
            observation_versions.c.indicator,
            observation_versions.c.org_unit,
            observation_versions.c.period,
            func.max(observation_versions.c.version).label("version"),
        )
        .group_by(*(observation_versions.c[k] for k in KEY))
        .subquery()
    )
    ov = observation_versions
    return select(ov).join(
        latest,
        (ov.c.plan == latest.c.plan)
        & (ov.c.indicator == latest.c.indicator)
        & (ov.c.org_unit == latest.c.org_unit)
        & (ov.c.period == latest.c.period)
        & (ov.c.version == latest.c.version),
    )


def _stored_frame(engine: Engine) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(_current_query()).mappings().all()
    schema = {**OBSERVATION_SCHEMA, "version": pl.Int32}
    schema.pop("is_period_total")
    return pl.DataFrame([{k: r[k] for k in schema} for r in rows], schema=schema, orient="row")


def current_observations(engine: Engine) -> pl.DataFrame:
    """The latest version of every stored observation, as an observation frame."""
    stored = _stored_frame(engine)
    return stored.with_columns(pl.lit(False).alias("is_period_total")).select(list(OBSERVATION_SCHEMA))


def plan_changes(engine: Engine, frame: pl.DataFrame) -> pl.DataFrame:
    """Classify each incoming row against the store: ``new``, ``revised`` or ``unchanged``."""
    stored = _stored_frame(engine).select(
        *KEY, pl.col("value").alias("old_value"), pl.col("real_growth").alias("old_real_growth"),
        "version",
    )
    joined = frame.join(stored, on=KEY, how="left")
    same = (pl.col("value") == pl.col("old_value")) & (
        pl.col("real_growth").eq_missing(pl.col("old_real_growth"))
    )
    change = (
        pl.when(pl.col("old_value").is_null()).then(pl.lit("new"))
        .when(same).then(pl.lit("unchanged"))
        .otherwise(pl.lit("revised"))
    )
    return joined.with_columns(
        change.alias("change"),
        (pl.col("version").fill_null(0) + 1).cast(pl.Int32).alias("next_version"),
    )


def save_observations(
    engine: Engine, frame: pl.DataFrame, *, file_name: str, sha256: str, imported_by: str,
    accepted_warnings: int = 0,
) -> ImportSummary:
    """Store a validated frame in one transaction; revisions become new versions.
    ``accepted_warnings``: how many plausibility warnings the importer accepted (audited)."""
    planned = dry_run(engine, frame)
    to_write = planned.changes.filter(pl.col("change") != "unchanged")
    with engine.begin() as conn:
        import_id = conn.execute(
            insert(imports).values(
                file_name=file_name,
                sha256=sha256,
                rows=planned.rows,
                new=planned.new,
                revised=planned.revised,
                unchanged=planned.unchanged,
                imported_by=imported_by,
                imported_at=datetime.now(UTC),
            )
        ).inserted_primary_key[0]
        records = to_write.select(
            *KEY, "year", "month", "value", "real_growth", "source",
            pl.col("next_version").alias("version"),
        ).with_columns(pl.lit(import_id).alias("import_id")).to_dicts()
        if records:
            conn.execute(insert(observation_versions), records)
        # The import and its audit event commit together or not at all.
        record(conn, actor=imported_by, action="import_actuals", object=file_name,
               detail={"import_id": import_id, "rows": planned.rows, "new": planned.new,
                       "revised": planned.revised, "unchanged": planned.unchanged, "sha256": sha256,
                       **({"accepted_warnings": accepted_warnings} if accepted_warnings else {})})
    return replace(planned, import_id=import_id)


REJECTED_PROBLEMS_KEPT = 50  # of a rejected file's report, in its audit event


def log_rejected_import(engine: Engine, *, kind: str, file_name: str, sha256: str, problems: list[str],
                        actor: str) -> None:
    """Record a refused upload (the file itself is deleted): its name, SHA-256 and report."""
    with engine.begin() as conn:
        record(conn, actor=actor, action="import_rejected", object=file_name,
               detail={"kind": kind, "sha256": sha256, "problem_count": len(problems),
                       "problems": problems[:REJECTED_PROBLEMS_KEPT]})


def dry_run(engine: Engine, frame: pl.DataFrame) -> ImportSummary:
    """What ``save_observations`` would do, storing nothing."""
    changes = plan_changes(engine, frame)
    counts = {c: changes.filter(pl.col("change") == c).height for c in ("new", "revised", "unchanged")}
    return ImportSummary(rows=frame.height, changes=changes, **counts)


def history(engine: Engine, *, plan: str, indicator: str, org_unit: str) -> pl.DataFrame:
    """Every version of one indicator's observations for an org unit, oldest first."""
    ov = observation_versions
    query = (
        select(ov.c.period, ov.c.version, ov.c.value, ov.c.real_growth, ov.c.source,
               imports.c.file_name, imports.c.imported_by, imports.c.imported_at)
        .join(imports, imports.c.id == ov.c.import_id)
        .where(ov.c.plan == plan, ov.c.indicator == indicator, ov.c.org_unit == org_unit)
        .order_by(ov.c.period, ov.c.version)
    )
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def list_imports(engine: Engine, *, org_units: frozenset[str] | None = None, limit: int | None = None) -> list[dict]:
    """The import log, newest first; with ``org_units``, only the imports that stored a figure of
    one of them (a county analyst sees its county's imports, not the file names of others)."""
    query = select(imports).order_by(imports.c.id.desc()).limit(limit)
    if org_units is not None:
        touched = select(observation_versions.c.import_id).where(
            observation_versions.c.org_unit.in_(sorted(org_units)))
        query = query.where(imports.c.id.in_(touched))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
