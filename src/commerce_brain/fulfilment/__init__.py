"""政策兑现 (award fulfilment), the workflow over the store: enterprise data, awards and payment lists.

The flow: ``run_batch`` (免申即享) turns the stored enterprise data into proposals; the enterprise
``confirm``s its own; a policy officer ``approve``s or ``reject``s (with a reason); a finance
officer gathers the approved awards of one paying treasury into a payment list
(``create_payment_list``), exports it (``payment_list_xlsx``) and marks it paid (``mark_paid``).

Money cannot go wrong because the database, not the code path, enforces it:
- one award per (uscc, rule, subject, payee, year, tranche) — ``uq_awards_key``; tranche and
  subject are stored as '' rather than NULL, since NULLs never collide in a unique index;
- an award is on at most one payment list — ``uq_payment_items_award``;
- every change of state is a conditional UPDATE (``WHERE state = <what the caller saw>``), so of
  two officers acting at once exactly one changes the row, and the audit event is written in the
  same transaction as the change it records.

States: proposed → confirmed → approved → paid; proposed or confirmed → rejected; a rejected
award may be reopened (→ proposed, or confirmed for a claim's award) with a reason. Approval
needs the enterprise's confirmation (see ``approve``). Money is integer fen throughout.

The package re-exports what callers need. It imports downwards — the tables, errors and helpers
from ``store.fulfilment_tables`` (the leaf the workflow modules share), the functions from its
modules (``batch``, ``data``, ``review``, ``payments``) — and none of them imports it back, nor
does ``store/`` import anything here, so there is no import cycle.
"""

from __future__ import annotations

from ..store import enterprise_imports as enterprise_imports  # the versions of the enterprise data (schema)
from .batch import BatchSummary, recent_batches, run_batch, stable_subjects
from .data import load_policy_data, save_policy_data
from .payments import (
    create_payment_list,
    get_payment_list,
    list_payment_lists,
    mark_paid,
    payment_list_xlsx,
    pending_by_payer,
)
from .review import (
    approve,
    award_history,
    award_totals,
    confirm,
    get_award,
    list_awards,
    reject,
    reopen,
)
from ..store.fulfilment_tables import (
    AWARD_KEY,
    MAX_REASON,
    STATE_ZH,
    STATES,
    FulfilmentError,
    NoData,
    NotAllowed,
    NotFound,
    NothingToPay,
    SameOfficer,
    WrongState,
    actor_name,
    award_assessments,
    award_batches,
    awards,
    enterprise_events,
    enterprise_facts,
    enterprises,
    insert_ignoring_duplicates,
    payment_items,
    payment_lists,
    within_scope,
)

__all__ = [  # noqa: RUF022 (grouped: tables, errors, functions)
    "AWARD_KEY", "MAX_REASON", "STATES", "STATE_ZH", "award_assessments", "award_batches", "awards", "enterprise_events", "enterprise_facts",
    "enterprises", "payment_items", "payment_lists",
    "FulfilmentError", "NoData", "NotAllowed", "NotFound", "NothingToPay", "SameOfficer", "WrongState",
    "actor_name", "insert_ignoring_duplicates", "within_scope",
    "BatchSummary", "recent_batches", "run_batch", "stable_subjects", "load_policy_data", "save_policy_data",
    "approve", "award_history", "award_totals", "confirm", "get_award", "list_awards", "reject", "reopen",
    "create_payment_list", "get_payment_list", "list_payment_lists", "mark_paid", "payment_list_xlsx",
    "pending_by_payer",
]
