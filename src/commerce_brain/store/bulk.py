"""Many rows in and out of the store at once, for the enterprise data and the 免申即享 batch
(a city of 100,000 enterprises is 670,000 rows): COPY on PostgreSQL, the driver's
executemany on SQLite, and query results straight into Polars columns.

These run on the SQLAlchemy connection's own driver connection, so they are part of the
caller's transaction (its audit event commits with them or not at all). The values are stored
exactly as SQLAlchemy stores them (SQLite: dates as ISO text, booleans as 0/1).
"""

from __future__ import annotations

from contextlib import contextmanager

import polars as pl
from sqlalchemy import Connection, Select, Table
from sqlalchemy.exc import DBAPIError

# What COPY reads as NULL. Every string is quoted on the way in, and in CSV only an unquoted
# field can be NULL, so '' and the text '\N' stay text.
_NULL = r"\N"


def insert_frame(conn: Connection, table: Table | str, frame: pl.DataFrame) -> None:
    """Insert every row of ``frame`` into ``table`` (the frame's columns are the table's)."""
    if frame.is_empty():
        return
    name = table if isinstance(table, str) else table.name
    with _as_sqlalchemy_errors(conn, f"bulk insert into {name}"):
        if conn.dialect.name == "postgresql":
            _copy_in(conn, name, frame)
        else:
            _executemany(conn, name, frame)


def read_frame(conn: Connection, query: Select, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows of ``query`` (no bound parameters; its columns in ``schema``'s order) as a frame."""
    sql = str(query.compile(dialect=conn.dialect))
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
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


def _copy_in(conn: Connection, name: str, frame: pl.DataFrame) -> None:
    data = frame.write_csv(include_header=False, null_value=_NULL, quote_style="non_numeric")
    target = conn.dialect.identifier_preparer.quote(name)
    with conn.connection.dbapi_connection.cursor() as cursor:
        with cursor.copy(f"COPY {target} ({_quoted(conn, frame.columns)}) FROM STDIN "
                         f"(FORMAT csv, NULL '{_NULL}')") as copy:
            copy.write(data)


def _executemany(conn: Connection, name: str, frame: pl.DataFrame) -> None:
    frame = frame.with_columns(pl.col(pl.Date).cast(pl.String))
    target = conn.dialect.identifier_preparer.quote(name)
    marks = ", ".join("?" * frame.width)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {target} ({_quoted(conn, frame.columns)}) VALUES ({marks})",
                           frame.iter_rows())
    finally:
        cursor.close()
