"""The state of the stored data in one round trip: what the cockpit asks on every request.

The cockpit's figures are memoised per process (the evaluation of the actuals, the award
totals, the warnings' counts, the projects' lights) and each memo needs to know, on every
request, whether its data changed — in this worker or any other, or by the CLI. Asked one by one
that was five statements (and five pool check-outs, two of them with BEGIN/ROLLBACK); here it is
one statement of scalar sub-queries, each answered from a primary-key index:

- ``actuals``: the import log's count and newest id (``monitoring.stored_version``'s pair);
- ``audit_head``: the newest audit event's id. Every change of state writes its audit event in
  the same transaction (a house rule: awards proposed, confirmed, approved, paid, assessed;
  warnings raised and handled; claims filed), and ids are the head's id + 1 under the audit's
  append lock (``store.audit.record``), so they rise in commit order: any committed change of
  an award or a warning moves the head;
- ``projects``: the newest project report and extra project (``project_tables.store_state``).

On a read replica the state comes from the replica, like the data it keys: a memo never mixes
the primary's state with the replica's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from .audit import audit_events
from .metadata import read_only
from .project_tables import project_reports, projects_extra
from .schema import imports


@dataclass(frozen=True)
class DataState:
    """What identifies the stored data as it is now (hashable: memo keys)."""

    actuals: tuple[int, int]
    audit_head: int
    projects: tuple[int, int]


def _newest(column):
    return select(func.coalesce(func.max(column), 0)).scalar_subquery()


# Built once: SQLAlchemy caches the compiled form by the statement's structure, so each request
# pays only the execution.
_STATE = select(
    select(func.count()).select_from(imports).scalar_subquery(),
    _newest(imports.c.id),
    _newest(audit_events.c.id),
    _newest(project_reports.c.id),
    _newest(projects_extra.c.id),
)


def data_state(engine: Engine) -> DataState:
    """The state of the stored data, in one autocommit statement."""
    with read_only(engine).connect() as conn:
        count, newest, head, reports, extra = conn.execute(_STATE).one()
    return DataState(actuals=(int(count), int(newest)), audit_head=int(head), projects=(int(reports), int(extra)))
