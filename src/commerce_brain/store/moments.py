"""Stored moments read back: SQLite hands back naive datetimes, and everything stored is UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime | None) -> datetime | None:
    """The moment as an aware UTC datetime (None stays None)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
