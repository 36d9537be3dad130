"""The kinds of early-warning data a file brings (``warning import KIND``, ``warning template
KIND``): one registry entry per kind, so that the CLI, the API and the import page dispatch on
the kind's code alone. Each engine adds its own entry here.

An entry names the kind in Chinese and gives its template writer, its reader (all or nothing:
``ImportRejected`` with sheet, row, column and reason), what storing it would do (the dry run)
and its store, which saves the file and raises its warnings. Imports are lazy so that naming a
kind costs nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WarningKind:
    """One kind of early-warning file: ``write_template(path, catalog, *, sample)``,
    ``read(path, catalog, *, limits=None, shown_name=None)`` (the parsed file, or ImportRejected),
    ``plan(engine, parsed)`` → counts {rows, new, changed, unchanged} storing nothing, and
    ``store(engine, parsed, *, actor, file_name, sha256, today)`` → (counts with ``import_id``,
    ``followup.Raised``): saved and its warnings raised."""

    name_zh: str
    write_template: Callable[..., Path]
    read: Callable[..., object]
    plan: Callable[..., dict]
    store: Callable[..., tuple[dict, object]]


def _orders_template(path: Path, catalog, *, sample: bool = False) -> Path:
    from ..io.orders_template import write_orders_template
    from .catalog import load_orders_catalog

    return write_orders_template(path, catalog, load_orders_catalog(), sample=sample)


def _orders_read(path: Path, catalog, **options):
    from ..io.orders_import import read_orders
    from .catalog import load_orders_catalog

    return read_orders(path, catalog, load_orders_catalog(), **options)


def _orders_plan(engine, parsed) -> dict:
    from ..store.order_tables import plan_orders_import

    return plan_orders_import(engine, parsed.orders).counts()


def _orders_store(engine, parsed, *, actor, file_name: str, sha256: str, today):
    from ..orders_board import import_orders
    from .catalog import load_orders_catalog

    stored, raised = import_orders(engine, parsed, load_orders_catalog(), actor=actor, file_name=file_name,
                                   sha256=sha256, today=today)
    return {**stored.counts(), "import_id": stored.import_id}, raised


def _retail_template(path: Path, catalog, *, sample: bool = False) -> Path:
    from ..io.retail_template import write_retail_template
    from .market_catalog import load_market_catalog

    return write_retail_template(path, catalog, load_market_catalog(), sample=sample)


def _retail_read(path: Path, catalog, **options):
    from ..io.retail_import import read_retail
    from .market_catalog import load_market_catalog

    return read_retail(path, catalog, load_market_catalog(), **options)


def _retail_store(engine, parsed, *, actor, file_name: str, sha256: str, today):
    from ..market_board import import_retail
    from .market_catalog import load_market_catalog

    catalog = _catalog()
    stored, raised = import_retail(engine, parsed, catalog, load_market_catalog(), actor=actor, file_name=file_name,
                                   sha256=sha256, today=today)
    return {**stored.counts(), "import_id": stored.import_id}, raised


def _supply_template(path: Path, catalog, *, sample: bool = False) -> Path:
    from ..io.supply_template import write_supply_template
    from .supply_catalog import load_supply_catalog

    return write_supply_template(path, catalog, load_supply_catalog(), sample=sample)


def _supply_read(path: Path, catalog, **options):
    from ..io.supply_import import read_supply
    from .supply_catalog import load_supply_catalog

    return read_supply(path, catalog, load_supply_catalog(), **options)


def _supply_store(engine, parsed, *, actor, file_name: str, sha256: str, today):
    from ..supply_board import import_supply
    from .supply_catalog import load_supply_catalog

    stored, raised = import_supply(engine, parsed, _catalog(), load_supply_catalog(), actor=actor,
                                   file_name=file_name, sha256=sha256, today=today)
    return {**stored.counts(), "import_id": stored.import_id}, raised


def _market_plan(kind_code: str):
    def plan(engine, parsed) -> dict:
        from ..store.market_tables import KINDS as STORED_KINDS
        from ..store.market_tables import plan_import

        return plan_import(engine, STORED_KINDS[kind_code], parsed).counts()

    return plan


def _trade(kind_code: str):
    """The template writer, reader and store of the case register (``remedies``) or the country
    risk table (``country_risk``)."""
    def template(path: Path, catalog, *, sample: bool = False) -> Path:
        from ..io import trade_template
        from .trade_catalog import load_trade_catalog

        writer = {"remedies": trade_template.write_remedies_template,
                  "country_risk": trade_template.write_country_risk_template}[kind_code]
        return writer(path, catalog, load_trade_catalog(), sample=sample)

    def read(path: Path, catalog, **options):
        from ..io import trade_import
        from .trade_catalog import load_trade_catalog

        reader = {"remedies": trade_import.read_remedies, "country_risk": trade_import.read_country_risk}[kind_code]
        return reader(path, catalog, load_trade_catalog(), **options)

    def store(engine, parsed, *, actor, file_name: str, sha256: str, today):
        from ..trade_board import import_country_risk, import_remedies
        from .trade_catalog import load_trade_catalog

        if kind_code == "remedies":
            stored, raised = import_remedies(engine, parsed, load_trade_catalog(), actor=actor, file_name=file_name,
                                             sha256=sha256, today=today)
        else:
            stored, raised = import_country_risk(engine, parsed, actor=actor, file_name=file_name, sha256=sha256)
        return {**stored.counts(), "import_id": stored.import_id}, raised

    return template, read, _market_plan(kind_code), store


def _catalog():
    from ..catalog import load_catalog

    return load_catalog()


KINDS: dict[str, WarningKind] = {
    "orders": WarningKind("订单+清单月度报表", _orders_template, _orders_read, _orders_plan, _orders_store),
    "retail": WarningKind("消费市场月度零售额", _retail_template, _retail_read, _market_plan("retail"), _retail_store),
    "supply": WarningKind("应急保供物资报表", _supply_template, _supply_read, _market_plan("supply"), _supply_store),
    "remedies": WarningKind("贸易救济案件", *_trade("remedies")),
    "country_risk": WarningKind("国别风险", *_trade("country_risk")),
}


def kind_or_none(code: str) -> WarningKind | None:
    """The registry entry of ``code``, or None when there is no such kind."""
    return KINDS.get(code)
