"""Answering a warning: its owner acknowledges it and records what was done; the bureau's
analysts escalate and close it.

States: open → acknowledged → action_taken → closed. The owning unit (``answer_warnings``,
only its own warnings; for a warning a commerce bureau owns, BUREAU_OWNED, the bureau's
analysts) 签收 an open warning and records actions (text, optionally one file:
the same file rules as a claim's evidence, ≤ 10 MB) from any state but closed; an analyst
(``supervise_warnings``, a county analyst only in the county's org units) escalates an open,
acknowledged or action-taken warning (升级督办, with a reason) and closes one: after an action
without more ado, from any other state only with a reason. Nothing reopens a closed warning:
next month's figures raise a new one if the project is still behind.

Every change is a conditional UPDATE on the warning's ``version``, so of two clicks at once
one wins (the other: WrongState), with its history row and audit event in the same
transaction. A warning outside the user's scope is NotFound, as a missing one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
from sqlalchemy import Engine, and_, case, func, insert, select, update

from ..access import Scope, User, can, filter_visible, refusal
from ..fulfilment.claims_flow import checked_file
from ..store.audit import record
from ..store.bulk import read_frame
from ..store.fulfilment_tables import FulfilmentError, NotAllowed, NotFound, WrongState, actor_name
from ..store.moments import as_utc
from ..store.warning_tables import MAX_NOTE, warning_actions, warnings_table
from .detectors import ACTION_ZH, SOURCE_ZH, STATE_ZH

# action → (capability, the states it may start from, the state it leads to)
MOVES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "acknowledge": ("answer_warnings", ("open",), "acknowledged"),
    "action": ("answer_warnings", ("open", "acknowledged", "action_taken", "escalated"), "action_taken"),
    "escalate": ("supervise_warnings", ("open", "acknowledged", "action_taken"), "escalated"),
    "close": ("supervise_warnings", ("open", "acknowledged", "action_taken", "escalated"), "closed"),
}
# Closing without an action taken needs a reason; escalating and recording an action always do.
NOTE_REQUIRED = {"action": None, "escalate": None, "close": ("open", "acknowledged", "escalated")}
WARNING_COLUMNS = ("id", "source", "detector", "subject_kind", "subject_id", "subject_name", "org_unit",
                   "responsible_unit", "level", "reason", "period", "due_date", "state", "version",
                   "raised_at", "raised_by", "updated_at")
HISTORY_COLUMNS = ("id", "action", "from_state", "to_state", "note", "filename", "content_type", "size",
                   "sha256", "actor", "at")


class WarningRefused(FulfilmentError):
    """A note or file the rules refuse; nothing was stored."""


def list_warnings(engine: Engine, scope: Scope, *, source: str | None = None, state: str | None = None,
                  level: str | None = None, org_units: frozenset[str] | None = None,
                  responsible_unit: str | None = None, period: str | None = None,
                  subject_kind: str | None = None, subject_id: str | None = None,
                  today: date | None = None) -> pl.DataFrame:
    """The warnings ``scope`` may see, newest first, narrowed by the filters (``org_units``: a
    set of codes, e.g. a county's subtree; ``subject_kind`` and ``subject_id``: one project's,
    for its own page), with ``overdue`` (due before ``today`` and not closed)."""
    query = select(*(warnings_table.c[c] for c in WARNING_COLUMNS)).order_by(warnings_table.c.id.desc())
    for column, value in (("source", source), ("state", state), ("level", level), ("period", period),
                          ("subject_kind", subject_kind), ("subject_id", subject_id)):
        if value:
            query = query.where(warnings_table.c[column] == value)
    with engine.connect() as conn:
        frame = filter_visible(read_frame(conn, query, _SCHEMA), scope)
    if org_units is not None:
        frame = filter_visible(frame, Scope(org_units=frozenset(org_units)))
    if responsible_unit:
        frame = filter_visible(frame, Scope(units=frozenset({responsible_unit})))
    today = today or date.today()
    return frame.with_columns(overdue=(pl.col("due_date") < today) & (pl.col("state") != "closed"))


_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64, "source": pl.String, "detector": pl.String, "subject_kind": pl.String,
    "subject_id": pl.String, "subject_name": pl.String, "org_unit": pl.String, "responsible_unit": pl.String,
    "level": pl.String, "reason": pl.String, "period": pl.String, "due_date": pl.Date, "state": pl.String,
    "version": pl.Int64, "raised_at": pl.Datetime("us", "UTC"), "raised_by": pl.String,
    "updated_at": pl.Datetime("us", "UTC"),
}


JSON_COLUMNS = ("id", "source", "detector", "subject_kind", "subject_id", "subject_name", "org_unit",
                "responsible_unit", "level", "reason", "period", "due_date", "state", "overdue")


def json_rows(frame: pl.DataFrame) -> list[dict]:
    """A list of warnings as JSON-ready objects (JSON_COLUMNS; the due date as YYYY-MM-DD),
    for the CLI and the API alike."""
    return frame.select(JSON_COLUMNS).with_columns(pl.col("due_date").cast(pl.String)).to_dicts()


def warning_counts(frame: pl.DataFrame) -> dict:
    """Counts of a list of warnings: in all, per state, per level and per source (engine) among
    those not closed, and overdue. A frame with a column ``n`` is already grouped: each row
    counts ``n`` warnings."""
    weighted = frame.with_columns(n=pl.col("n") if "n" in frame.columns else pl.lit(1, pl.Int64))
    total = lambda where: int(weighted.filter(where)["n"].sum())  # noqa: E731
    live = pl.col("state") != "closed"
    return {"total": int(weighted["n"].sum()),
            "by_state": {s: total(pl.col("state") == s) for s in STATE_ZH},
            "open_by_level": {lv: total(live & (pl.col("level") == lv)) for lv in ("yellow", "red")},
            # Every engine the platform knows, with 0 for one that raised nothing (yet).
            "open_by_source": {src: total(live & (pl.col("source") == src)) for src in SOURCE_ZH},
            "overdue": total(pl.col("overdue")) if "overdue" in frame.columns else 0}


def count_warnings(engine: Engine, scope: Scope, *, today: date | None = None) -> dict:
    """``warning_counts`` of every warning ``scope`` may see, counted in the database (the
    cockpit asks on every request: it must not read the whole table). The scope's rule is
    applied to the grouped rows, so it is the same rule as the list's."""
    w = warnings_table.c
    late = and_(w.due_date < (today or date.today()), w.state != "closed")
    overdue = case((late, True), else_=False)
    query = (select(w.source, w.state, w.level, w.org_unit, w.responsible_unit, overdue.label("overdue"),
                    func.count().label("n"))
             .group_by(w.source, w.state, w.level, w.org_unit, w.responsible_unit, overdue))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    grouped = pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "source": pl.String, "state": pl.String, "level": pl.String, "org_unit": pl.String,
        "responsible_unit": pl.String, "overdue": pl.Boolean, "n": pl.Int64})
    return warning_counts(filter_visible(grouped, scope))


def get_warning(engine: Engine, warning_id: int, *, scope: Scope) -> dict:
    """One warning ``scope`` may see; NotFound for a missing one and for one outside the scope
    (one answer for both)."""
    query = select(*(warnings_table.c[c] for c in WARNING_COLUMNS)).where(warnings_table.c.id == warning_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound("无此预警")
    # The same filter as the list, on a one-row frame: one rule for who sees what.
    one = pl.DataFrame([{c: row._mapping[c] for c in ("org_unit", "responsible_unit")}],
                       schema={"org_unit": pl.String, "responsible_unit": pl.String})
    if filter_visible(one, scope).is_empty():
        raise NotFound("无此预警")
    found = dict(row._mapping)
    return {**found, "raised_at": as_utc(found["raised_at"]), "updated_at": as_utc(found["updated_at"]),
            "overdue": found["due_date"] < date.today() and found["state"] != "closed"}


def warning_history(engine: Engine, warning: dict) -> list[dict]:
    """What happened to a warning the caller may see, oldest first: its raising, then each
    step (who, when, the note, the file's name and SHA-256; not its bytes)."""
    query = (select(*(warning_actions.c[c] for c in HISTORY_COLUMNS))
             .where(warning_actions.c.warning_id == warning["id"]).order_by(warning_actions.c.id))
    with engine.connect() as conn:
        steps = [{**r._mapping, "at": as_utc(r.at)} for r in conn.execute(query)]
    raised = {"id": None, "action": "raise", "from_state": None, "to_state": "open", "note": warning["reason"],
              "filename": None, "content_type": None, "size": None, "sha256": None,
              "actor": warning["raised_by"], "at": warning["raised_at"]}
    return [raised, *steps]


def acknowledge(engine: Engine, warning_id: int, *, user: User, scope: Scope) -> dict:
    """签收: the owning unit takes the warning on (open → acknowledged). ``scope`` is the
    user's (``access.scope_for``). Returns the warning as it now is."""
    return act(engine, warning_id, "acknowledge", user=user, scope=scope, note=None, attachment=None)


def record_action(engine: Engine, warning_id: int, *, user: User, scope: Scope, note: str,
                  attachment: tuple[str, bytes] | None = None) -> dict:
    """采取措施: the owning unit records what it did (text, optionally one file as
    (filename, bytes))."""
    return act(engine, warning_id, "action", user=user, scope=scope, note=note, attachment=attachment)


def escalate(engine: Engine, warning_id: int, *, user: User, scope: Scope, note: str) -> dict:
    """升级督办: an analyst raises the warning to the bureau's attention, with a reason."""
    return act(engine, warning_id, "escalate", user=user, scope=scope, note=note, attachment=None)


def close(engine: Engine, warning_id: int, *, user: User, scope: Scope, note: str | None = None) -> dict:
    """办结: an analyst closes the warning (a reason is needed unless an action was taken)."""
    return act(engine, warning_id, "close", user=user, scope=scope, note=note, attachment=None)


def _note(action: str, state: str, note: str | None) -> str | None:
    note = (note or "").strip() or None
    needs = NOTE_REQUIRED.get(action, ())
    if note is None and action in NOTE_REQUIRED and (needs is None or state in needs):
        raise WarningRefused(f"请填写{ACTION_ZH[action]}说明")
    if note is not None and len(note) > MAX_NOTE:
        raise WarningRefused(f"{ACTION_ZH[action]}说明过长：最多 {MAX_NOTE} 字")
    return note


# The consumer market, emergency supply and trade frictions warn a commerce bureau itself (越城区商务局,
# 绍兴市商务局), not a unit with accounts of its own: the bureau's analysts (``supervise_warnings``,
# a county analyst within its org units) answer those warnings as well as escalate and close them.
BUREAU_OWNED = frozenset({"market", "supply", "trade"})


def required_capability(action: str, warning: dict) -> str:
    """The capability a step on ``warning`` needs: MOVES's, except that the answers to a
    bureau-owned warning (BUREAU_OWNED sources) are the bureau's analysts' to give."""
    capability = MOVES[action][0]
    if capability == "answer_warnings" and warning["source"] in BUREAU_OWNED:
        return "supervise_warnings"
    return capability


def act(engine: Engine, warning_id: int, action: str, *, user: User, scope: Scope, note: str | None = None,
        attachment: tuple[str, bytes] | None = None) -> dict:
    """One step of MOVES (``acknowledge``, ``action``, ``escalate``, ``close``) on a warning
    ``scope`` may see, by ``user``: NotAllowed without the step's capability, NotFound outside
    the scope, WrongState from a state the step does not start from or when someone else moved
    the warning first, WarningRefused for a missing or long note or a bad file (only an action
    carries one). Returns the warning as it now is."""
    if action not in MOVES:
        raise ValueError(f"unknown warning action {action!r}; known: {', '.join(MOVES)}")
    if attachment and action != "action":
        raise WarningRefused("只有采取措施时可以附文件")
    if not isinstance(user, User):
        raise TypeError("a warning is answered by a signed-in user")
    capability, starts, target = MOVES[action]
    # Refuse before looking up when the user could take this step on no warning at all.
    if not (can(user, capability) or (capability == "answer_warnings" and can(user, "supervise_warnings"))):
        raise NotAllowed(refusal(user, capability))
    warning = get_warning(engine, warning_id, scope=scope)
    name = actor_name(user, required_capability(action, warning))
    if warning["state"] not in starts:
        raise WrongState(f"该预警当前为“{STATE_ZH[warning['state']]}”，不能{ACTION_ZH[action]}")
    note = _note(action, warning["state"], note)
    stored = checked_file(*attachment, refusal=WarningRefused) if attachment else {}
    now = datetime.now(UTC)
    with engine.begin() as conn:
        changed = conn.execute(
            update(warnings_table).where(warnings_table.c.id == warning_id,
                                         warnings_table.c.version == warning["version"])
            .values(state=target, version=warning["version"] + 1, updated_at=now)).rowcount
        if changed != 1:
            raise WrongState("该预警刚被他人处理，请刷新后重试")
        conn.execute(insert(warning_actions).values(
            warning_id=warning_id, action=action, from_state=warning["state"], to_state=target, note=note,
            actor=name, at=now, **stored))
        record(conn, actor=name, action=f"warning.{action}", object=f"warning:{warning_id}", detail={
            "from": warning["state"], "to": target, "subject": warning["subject_name"], "note": note,
            "attachment": {"filename": stored["filename"], "sha256": stored["sha256"]} if stored else None})
    return get_warning(engine, warning_id, scope=Scope())


def warning_file(engine: Engine, warning_id: int, action_id: int, *, scope: Scope) -> dict:
    """The file of one step of a warning ``scope`` may see, with its bytes (``content``);
    NotFound when the warning is not visible or the step has no file (one answer for all)."""
    missing = NotFound("无此附件")
    try:
        get_warning(engine, warning_id, scope=scope)
    except NotFound:
        raise missing from None
    query = (select(warning_actions.c.filename, warning_actions.c.content_type, warning_actions.c.content)
             .where(warning_actions.c.id == action_id, warning_actions.c.warning_id == warning_id,
                    warning_actions.c.content.is_not(None)))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise missing
    return dict(row._mapping)
