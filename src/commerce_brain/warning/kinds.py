"""The kinds of early-warning data a file brings (``warning import KIND``, ``warning template
KIND``): one registry entry per kind, so that the CLI, the API and the import page dispatch on
the kind's code alone. Each engine adds its own entry here.

An entry names the kind in Chinese and gives its template writer and its reader (all or nothing:
``ImportRejected`` with sheet, row, column and reason). Imports are lazy so that naming a kind
costs nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WarningKind:
    """One kind of early-warning file: ``write_template(path, catalog, *, sample)`` and
    ``read(path, catalog, *, limits=None, shown_name=None)`` (the parsed file, or ImportRejected)."""

    name_zh: str
    write_template: Callable[..., Path]
    read: Callable[..., object]


def _orders_template(path: Path, catalog, *, sample: bool = False) -> Path:
    from ..io.orders_template import write_orders_template
    from .catalog import load_orders_catalog

    return write_orders_template(path, catalog, load_orders_catalog(), sample=sample)


def _orders_read(path: Path, catalog, **options):
    from ..io.orders_import import read_orders
    from .catalog import load_orders_catalog

    return read_orders(path, catalog, load_orders_catalog(), **options)


KINDS: dict[str, WarningKind] = {
    "orders": WarningKind("订单+清单月度报表", _orders_template, _orders_read),
}


def kind_or_none(code: str) -> WarningKind | None:
    """The registry entry of ``code``, or None when there is no such kind."""
    return KINDS.get(code)
