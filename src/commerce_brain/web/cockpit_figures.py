"""The cockpit's per-request figures, memoised per state of the stored data.

Every view of the cockpit (and of the 大屏) shows the award totals and the warnings' counts of
the user's scope. Asked of the database on every request they cost a grouped query each (and a
frame built and filtered for the warnings), most of a saturated worker's time. They change only
when an award or a warning changes, and every such change writes an audit event in the same
transaction, so they are kept per process, keyed by the audit head that ``store.data_state``
reads in the request's one state query: a change by any worker, or by the CLI, moves the head
and the next request asks again. Workers share nothing but the database.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from .. import followup as fu
from ..access import Scope
from ..fulfilment.review import award_totals
from ..memo import IdentityMemo
from ..store.data_state import DataState

_AWARDS = IdentityMemo(256)
_WARNINGS = IdentityMemo(256)


def award_totals_at(engine: Engine, state: DataState, scope: Scope, year: int) -> dict[str, dict]:
    """``fulfilment.award_totals`` for ``scope`` and ``year`` as of ``state`` (read once per audit head)."""
    return _AWARDS.get((engine,), (state.audit_head, scope, year),
                       lambda: award_totals(engine, scope=scope, year=year))


def warning_counts_at(engine: Engine, state: DataState, scope: Scope) -> dict:
    """``followup.count_warnings`` for ``scope`` as of ``state``; also keyed by today's date,
    since a warning becomes overdue by the calendar alone."""
    today = date.today()
    return _WARNINGS.get((engine,), (state.audit_head, scope, today),
                         lambda: fu.count_warnings(engine, scope, today=today))
