"""A month's 订单+清单 warnings as the ``warning scan`` contract prints them: one row per open
warning, ``{"uscc", "detector", "level", "message", "owner", "status"}`` (and ``name``, the
enterprise's, for the table)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .catalog import OrdersCatalog
from .orders import detect, month_warnings, warning_rows

CONTRACT_KEYS = ("uscc", "detector", "level", "message", "owner", "status")


def contract_rows(found: pl.DataFrame, roster: pl.DataFrame, catalog: OrdersCatalog,
                  status: pl.DataFrame | None = None) -> list[dict]:
    """``found`` (rows of ``detect`` with a finding) as contract rows, sorted by enterprise. The
    status is the stored warning's (``status``: subject_id, detector, state) when given, else
    'open'; only open ones are kept."""
    from datetime import date

    rows = warning_rows(found, roster, catalog, date.today())
    if status is not None:
        rows = rows.join(status, on=["subject_id", "detector"], how="left")
    else:
        rows = rows.with_columns(state=pl.lit(None, pl.String))
    return (rows.with_columns(pl.col("state").fill_null("open")).filter(pl.col("state") == "open")
            .select(uscc="subject_id", detector="detector", level="level", message="reason",
                    owner="responsible_unit", status="state", name="subject_name")
            .to_dicts())


def scan_file(path: Path, catalog, orders: OrdersCatalog, month: str) -> list[dict]:
    """Scan an orders file for ``month`` without storing it (ImportRejected when the file is refused)."""
    from ..io.orders_import import read_orders

    parsed = read_orders(path, catalog, orders)
    return contract_rows(month_warnings(detect(parsed.orders, orders.settings), month), parsed.roster, orders)
