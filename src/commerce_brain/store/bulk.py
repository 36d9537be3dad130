"""Many rows in and out of the store at once, for the enterprise data and the 免申即享 batch
(a city of 100,000 enterprises is 670,000 rows): COPY on PostgreSQL, the driver's
executemany on SQLite, and query results straight into Polars columns.

These run on the SQLAlchemy connection's own driver connection, so they are part of the
caller's transaction (its audit event commits with them or not at all). The values are stored
exactly as SQLAlchemy stores them (SQLite: dates as ISO text, booleans as 0/1).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

import polars as pl
from sqlalchemy import Connection, Select, Table
from sqlalchemy.exc import DBAPIError

# What COPY reads as NULL. Every string is quoted on the way in, and in CSV only an unquoted
# field can be NULL, so '' and the text '\N' stay text.
_NULL = r"\N"


def insert_frame(conn: Connection, table: Table | str, frame: pl.DataFrame, *,
                 skip_existing: Sequence[str] = ()) -> None:
    """Insert every row of ``frame`` into ``table`` (the frame's columns are the table's), in
    the frame's order. With ``skip_existing`` (the columns of a unique key), a row whose key is
    already stored is skipped, as ``INSERT … ON CONFLICT DO NOTHING`` does: under concurrency
    the loser of a race waits for the winner's commit and then skips the row."""
    if frame.is_empty():
        return
    name = table if isinstance(table, str) else table.name
    with _as_sqlalchemy_errors(conn, f"bulk insert into {name}"):
        if conn.dialect.name == "postgresql":
            _copy_in(conn, name, frame, skip_existing)
        else:
            _executemany(conn, name, frame, skip_existing)


def read_frame(conn: Connection, query: Select, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows of ``query`` (its columns in ``schema``'s order) as a frame."""
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    # The driver's own parameter style: positional for SQLite (qmark), named for psycopg.
    bound = [params[name] for name in compiled.positiontup] if compiled.positional else params
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), bound)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    sqlite = conn.dialect.name == "sqlite"
    # One list per column (zip(*rows) would pass every row as an argument: slow at 500,000).
    return pl.DataFrame([_series(name, [row[i] for row in rows], dtype, sqlite)
                         for i, (name, dtype) in enumerate(schema.items())])


def _series(name: str, values, dtype, sqlite: bool) -> pl.Series:
    # SQLite hands back what SQLAlchemy stored: ISO text for dates, 0/1 for booleans.
    if sqlite and dtype == pl.Date:
        return pl.Series(name, values, dtype=pl.String).str.to_date("%Y-%m-%d")
    if sqlite and isinstance(dtype, pl.Datetime):
        # Naive text, as SQLAlchemy and insert_frame store it; a zoned column's moments are UTC.
        moments = pl.Series(name, values, dtype=pl.String).str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
        return moments.dt.replace_time_zone(dtype.time_zone) if dtype.time_zone else moments
    if sqlite and dtype == pl.Boolean:
        return pl.Series(name, values, dtype=pl.Int64).cast(pl.Boolean)
    return pl.Series(name, values, dtype=dtype)


@contextmanager
def _as_sqlalchemy_errors(conn: Connection, statement: str):
    # Callers catch SQLAlchemy's IntegrityError & co., as for any other statement.
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as error:
        raise DBAPIError.instance(statement, None, error, base) from error


def _quoted(conn: Connection, names: list[str]) -> str:
    return ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)


def _copy_in(conn: Connection, name: str, frame: pl.DataFrame, skip_existing: Sequence[str]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    columns = _quoted(conn, frame.columns)
    target = quote(name)
    if skip_existing:
        # COPY cannot skip a row: it goes to a scratch table, then one INSERT … SELECT does.
        target = quote(f"bulk_{name}")
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS "
                             f"SELECT 0::bigint AS bulk_position, {columns} FROM {quote(name)} WITH NO DATA")
        frame = frame.with_row_index("bulk_position").with_columns(pl.col("bulk_position").cast(pl.Int64))
    data = frame.write_csv(include_header=False, null_value=_NULL, quote_style="non_numeric")
    copy_in = f"COPY {target} ({_quoted(conn, frame.columns)}) FROM STDIN (FORMAT csv, NULL '{_NULL}')"
    with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(copy_in) as copy:
        copy.write(data)
    if skip_existing:
        conn.exec_driver_sql(f"INSERT INTO {quote(name)} ({columns}) SELECT {columns} FROM {target} "
                             f"ORDER BY bulk_position ON CONFLICT ({_quoted(conn, skip_existing)}) DO NOTHING")
        conn.exec_driver_sql(f"DROP TABLE {target}")


def _executemany(conn: Connection, name: str, frame: pl.DataFrame, skip_existing: Sequence[str]) -> None:
    # Stored as SQLAlchemy stores them in SQLite: dates as ISO text, times as naive text.
    frame = frame.with_columns(pl.col(pl.Date).cast(pl.String),
                               pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S.%6f"))
    target = conn.dialect.identifier_preparer.quote(name)
    marks = ", ".join("?" * frame.width)
    skip = f" ON CONFLICT ({_quoted(conn, skip_existing)}) DO NOTHING" if skip_existing else ""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {target} ({_quoted(conn, frame.columns)}) VALUES ({marks}){skip}",
                           frame.iter_rows())
    finally:
        cursor.close()
