"""The registry's yearly facts beyond the two columns of ``enterprise_facts``, stored long.

``enterprise_fact_values`` holds one row per enterprise, year and fact (``value`` for money in
fen, whole numbers, scaled decimals and yes/no as 1/0; ``text`` for classes and text), so a new
fact in the registry (catalog/policies/variables.yaml) needs no migration. Every version is kept
in ``enterprise_fact_value_versions`` naming its import, as for the other enterprise tables.

Pure frame helpers (``to_long``, ``to_wide``) turn the engine's wide facts (a column per fact)
into these rows and back; ``diff_values`` and ``store_values`` do an import's part for them.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
)

from ..policy.fact_registry import BY_NAME, LONG_FACTS, TEXT_LENGTH
from .bulk import insert_frame, read_frame
from .enterprise_versions import versions_of
from .metadata import metadata

TEXT_KINDS = ("class", "text")
KEY = ["uscc", "year", "name"]
LONG_SCHEMA = {"uscc": pl.String, "year": pl.Int32, "name": pl.String, "value": pl.Int64, "text": pl.String}

enterprise_fact_values = Table(
    "enterprise_fact_values",
    metadata,
    Column("uscc", String(18), nullable=False),
    Column("year", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    Column("value", BigInteger),
    Column("text", String(TEXT_LENGTH)),
    PrimaryKeyConstraint("uscc", "year", "name", name="pk_enterprise_fact_values"),
)

enterprise_fact_value_versions = versions_of(enterprise_fact_values, "enterprise_fact_value_versions", KEY)


def long_names(frame: pl.DataFrame) -> list[str]:
    """The frame's columns that are registry facts stored long, in registry order."""
    return [n for n in LONG_FACTS if n in frame.columns]


def to_long(facts: pl.DataFrame) -> pl.DataFrame:
    """Wide facts (``uscc, year`` and fact columns) → one row per enterprise, year and long
    fact the frame has a column for (empty cells included: they may revise a stored value)."""
    parts = [facts.select(
        "uscc", pl.col("year").cast(pl.Int32), name=pl.lit(n),
        value=(pl.lit(None, pl.Int64) if BY_NAME[n].kind in TEXT_KINDS else pl.col(n).cast(pl.Int64)),
        text=(pl.col(n).cast(pl.String) if BY_NAME[n].kind in TEXT_KINDS else pl.lit(None, pl.String)))
        for n in long_names(facts)]
    return pl.concat(parts) if parts else pl.DataFrame(schema=LONG_SCHEMA)


def to_wide(long: pl.DataFrame) -> pl.DataFrame:
    """Long rows → ``uscc, year`` and a column per registry fact found (typed by its kind);
    facts no longer in the registry are left out."""
    known = long.filter(pl.col("name").is_in(list(LONG_FACTS)))
    if known.is_empty():
        return pl.DataFrame(schema={"uscc": pl.String, "year": pl.Int32})
    # One column per fact: the value or the text, whichever its kind keeps.
    picked = known.with_columns(
        cell=pl.when(pl.col("name").is_in([n for n in LONG_FACTS if BY_NAME[n].kind in TEXT_KINDS]))
        .then(pl.col("text")).otherwise(pl.col("value").cast(pl.String)))
    wide = picked.pivot(on="name", index=["uscc", "year"], values="cell", aggregate_function="first")
    return wide.with_columns(_typed(n) for n in LONG_FACTS if n in wide.columns)


def _typed(name: str) -> pl.Expr:
    fact = BY_NAME[name]
    if fact.kind in TEXT_KINDS:
        return pl.col(name)
    number = pl.col(name).cast(pl.Int64)
    return (number == 1).alias(name) if fact.kind == "bool" else number


def _named(table: Table, names: list[str]):
    # Equalities rather than IN: read_frame runs compiled SQL, without IN's expanding parameter.
    return or_(false(), *(table.c.name == n for n in names))


def read_values(conn: Connection, *, names: list[str] | None = None, uscc: str | None = None) -> pl.DataFrame:
    """The stored long facts (only ``names``, only one enterprise, when given)."""
    table = enterprise_fact_values
    query = select(*(table.c[c] for c in LONG_SCHEMA))
    if names is not None:
        query = query.where(_named(table, names))
    if uscc is not None:
        query = query.where(table.c.uscc == uscc)
    return read_frame(conn, query, LONG_SCHEMA)


def diff_values(conn: Connection, incoming: pl.DataFrame) -> pl.DataFrame:
    """Each incoming long row with its ``change`` (new / changed / unchanged), its stored
    ``version`` (0 when new) and the stored ``old_value``/``old_text``. An empty cell where
    nothing is stored is no change at all and is dropped."""
    names = incoming["name"].unique().to_list()
    stored = read_values(conn, names=names).rename({"value": "old_value", "text": "old_text"})
    versions = enterprise_fact_value_versions
    latest = read_frame(conn, select(versions.c.uscc, versions.c.year, versions.c.name, func.max(versions.c.version))
                        .where(_named(versions, names))
                        .group_by(versions.c.uscc, versions.c.year, versions.c.name),
                        {"uscc": pl.String, "year": pl.Int32, "name": pl.String, "old_version": pl.Int64})
    stored = stored.join(latest, on=KEY, how="left").with_columns(pl.col("old_version").fill_null(1))
    joined = incoming.join(stored, on=KEY, how="left", maintain_order="left")
    same = pl.col("value").eq_missing(pl.col("old_value")) & pl.col("text").eq_missing(pl.col("old_text"))
    empty = pl.col("value").is_null() & pl.col("text").is_null()
    change = (pl.when(pl.col("old_version").is_null()).then(pl.lit("new"))
              .when(same).then(pl.lit("unchanged")).otherwise(pl.lit("changed")))
    return (joined.filter(pl.col("old_version").is_not_null() | ~empty)
            .with_columns(change=change, version=pl.col("old_version").fill_null(0))
            .drop("old_version"))


def store_values(conn: Connection, written: pl.DataFrame, import_id: int) -> None:
    """The new and changed long rows: the next version kept, the newest in place of the stored."""
    if written.is_empty():
        return
    rows = written.select(list(LONG_SCHEMA)).cast(LONG_SCHEMA)
    revised = written.filter(pl.col("change") == "changed").select(KEY)
    table = enterprise_fact_values
    if revised.height:
        conn.execute(delete(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in KEY)),
                     revised.rename({k: f"k_{k}" for k in KEY}).to_dicts())
    versions = enterprise_fact_value_versions
    # In key order, so that the key index grows at its end.
    insert_frame(conn, versions, rows.with_columns(
        version=(written["version"] + 1).cast(pl.Int64), import_id=pl.lit(import_id, pl.Int64)).sort(KEY))
    # Every row this import versioned is the newest: copied inside the database rather than sent
    # a second time (millions of rows for a city's grading facts).
    columns = [versions.c[c] for c in LONG_SCHEMA]
    conn.execute(insert(table).from_select(list(LONG_SCHEMA), select(*columns).where(versions.c.import_id == import_id)))
