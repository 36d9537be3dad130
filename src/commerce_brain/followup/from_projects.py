"""The project schedules' warnings of a month, raised into the one warnings store."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from ..project_tracking import month_status
from ..projects.warning_rows import warning_candidates
from .raising import Raised, raise_warnings


def raise_project_warnings(engine: Engine, month: str, *, actor, today: date | None = None) -> Raised:
    """Raise a warning for every yellow or red project of ``month`` (``YYYY-MM``) on the stored
    reports, due ``answer_within_days`` after ``today``. Raising a month again adds only what
    is new (a project that turned yellow since)."""
    catalog, status = month_status(engine, month)
    return raise_warnings(engine, warning_candidates(status, catalog.settings, today or date.today()), actor=actor)
