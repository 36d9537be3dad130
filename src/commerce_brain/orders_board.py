"""订单+清单 over the store: import a file and raise its month's warnings, scan a stored month,
an enterprise's history with its seasonal band, and the roll-ups — what the CLI, the API and
the pages call."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine

from .access import Scope
from .followup import Raised, list_warnings, raise_warnings
from .io.orders_import import OrdersFile
from .store.order_tables import OrderImport, save_orders, stored_orders
from .warning.catalog import OrdersCatalog
from .warning.orders import (
    ROLLUP_BY, SOURCE, detect, month_warnings, rollup, top_problems, warning_rows, with_reasons,
)
from .warning.scan import contract_rows


def import_orders(engine: Engine, parsed: OrdersFile, catalog: OrdersCatalog, *, actor, file_name: str,
                  sha256: str, today: date, raiser=None) -> tuple[OrderImport, Raised]:
    """Store an accepted orders file (``save_orders``), then raise the warnings of the file's
    latest month over the whole stored history (earlier months of a file are history being
    filled in, not news: raising them would flood the owners). Raising the same month again
    adds nothing. ``raiser`` is who raises (default ``actor``; the web passes a trusted name
    when an enterprise reports its own month)."""
    stored = save_orders(engine, parsed.orders, parsed.roster, actor=actor, file_name=file_name, sha256=sha256)
    return stored, raise_order_warnings(engine, parsed.orders["month"].max(), catalog, actor=raiser or actor,
                                        today=today)


def raise_order_warnings(engine: Engine, month: str, catalog: OrdersCatalog, *, actor, today: date) -> Raised:
    """The stored orders' warnings of ``month``, raised into the one warnings store: one per
    enterprise and month. The store keys a warning by its detector too, and the detector that
    leads can change when a month is corrected (a revised figure turns a 同比 fall into a
    seasonal one): an enterprise already warned for the month is not warned again."""
    orders, roster = stored_orders(engine, detectors_only=True)
    found = month_warnings(detect(orders, catalog.settings), month)
    rows = warning_rows(found, roster, catalog, today)
    warned = list_warnings(engine, Scope(), source=SOURCE, period=month)["subject_id"].to_list()
    fresh = rows.filter(~pl.col("subject_id").is_in(warned))
    raised = raise_warnings(engine, fresh, actor=actor)
    return Raised(new=raised.new, unchanged=raised.unchanged + rows.height - fresh.height)


def scan_stored(engine: Engine, catalog: OrdersCatalog, month: str, *, scope: Scope | None = None) -> list[dict]:
    """The contract rows of ``month`` over the stored orders the scope may see: a warning already
    raised shows its stored state, and only the open ones are listed."""
    scope = scope or Scope()
    orders, roster = stored_orders(engine, scope=scope, detectors_only=True)
    found = month_warnings(detect(orders, catalog.settings), month)
    states = list_warnings(engine, Scope(), source=SOURCE, period=month).select(
        "subject_id", "detector", "state")
    return contract_rows(found, roster, catalog, states)


def order_history(engine: Engine, catalog: OrdersCatalog, uscc: str, *, scope: Scope | None = None) -> dict | None:
    """One enterprise's months as the scope may see them (None when unseen or unknown): its
    roster entry and, per month, the figures, the seasonal band (``season_median``,
    ``season_low``) and the findings."""
    orders, roster = stored_orders(engine, scope=scope, uscc=uscc)
    if orders.is_empty():
        return None
    detected = with_reasons(detect(orders, catalog.settings)).drop("uscc")
    who = roster.row(0, named=True) if roster.height else {"uscc": uscc}
    return {**who, "months": detected.to_dicts()}


def order_rollups(engine: Engine, catalog: OrdersCatalog, by: str, *, scope: Scope | None = None,
                  top: int = 3) -> dict:
    """The roll-up by ``by`` (ROLLUP_BY) month by month and the problems most reported, over
    the stored orders the scope may see."""
    if by not in ROLLUP_BY:
        raise ValueError(f"roll-up by one of {', '.join(ROLLUP_BY)}, not {by!r}")
    orders, roster = stored_orders(engine, scope=scope)
    detected = detect(orders, catalog.settings)
    return {"by": by, "rollup": rollup(detected, roster, by).to_dicts(),
            "problems": top_problems(detected, roster, by, top=top).to_dicts()}
