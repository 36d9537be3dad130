"""The versions table of an enterprise-data table: every version of its rows, each naming the
import it came from (``enterprise_imports``). One shape for the registry, the yearly facts, the
events and the long facts, declared once."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, Table

from .metadata import metadata


def versions_of(current: Table, name: str, key: list[str]) -> Table:
    """A table of every version of ``current``'s rows: its columns (an event's id as
    ``event_id``) plus the version number and the import it came from."""
    columns = [Column("event_id" if c.name == "id" else c.name, c.type, nullable=c.nullable)
               for c in current.columns]
    return Table(
        name, metadata, *columns,
        Column("version", Integer, nullable=False),
        Column("import_id", Integer, ForeignKey("enterprise_imports.id"), nullable=False),
        PrimaryKeyConstraint(*key, "version", name=f"pk_{name}"),
        # An enterprise's history is looked up by its code (the other tables begin with it).
        *([Index(f"ix_{name}_uscc", "uscc")] if key == ["event_id"] else []),
    )
