"""The 订单+清单 orders in the store, on SQLite and PostgreSQL: versions and history, the roster
merged, the import log and its audit event in the same transaction, the warnings of the latest
month raised once, what each scope reads, and the `warning` commands on a stored month (a
warning acknowledged is no longer listed as open)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
from sqlalchemy import func, select
from typer.testing import CliRunner

from commerce_brain import followup as fu
from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.cli import app as cli_app
from commerce_brain.io.orders_import import read_orders
from commerce_brain.io.orders_template import write_orders_template
from commerce_brain.orders_board import import_orders, order_history, order_rollups, scan_stored
from commerce_brain.store.audit import events, verify
from commerce_brain.store.order_tables import (
    list_order_imports, order_report_history, order_reports, plan_orders_import, save_orders, stored_orders,
)
from commerce_brain.store.schema import connect
from commerce_brain.warning.catalog import load_orders_catalog

TODAY = date(2025, 3, 3)
CATALOG, ORDERS = load_catalog(), load_orders_catalog()
KEQIAO = "柯桥区纺织品外贸预警点"
runner = CliRunner()


def sample(tmp_path):
    return read_orders(write_orders_template(tmp_path / "sample.csv", CATALOG, ORDERS, sample=True), CATALOG, ORDERS)


def test_an_import_is_stored_versioned_and_audited(database_url, tmp_path):
    engine = connect(database_url)
    parsed = sample(tmp_path)
    assert plan_orders_import(engine, parsed.orders).counts()["new"] == parsed.orders.height
    first = save_orders(engine, parsed.orders, parsed.roster, actor="officer", file_name="s.csv", sha256="a" * 64)
    assert first.counts() == {"rows": parsed.orders.height, "new": parsed.orders.height, "changed": 0, "unchanged": 0}
    orders, roster = stored_orders(engine)
    assert orders.equals(parsed.orders) and roster.equals(parsed.roster)
    # One month corrected, one enterprise's name given again blank: a new version, the old one kept.
    feb = parsed.orders.filter(pl.col("month") == "2025-02").head(1)
    changed = feb.with_columns(new_orders_usd=pl.col("new_orders_usd") + 1)
    blank = parsed.roster.head(0)
    second = save_orders(engine, changed, blank, actor="officer", file_name="fix.csv", sha256="b" * 64)
    assert second.counts() == {"rows": 1, "new": 0, "changed": 1, "unchanged": 0}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(order_report_history)).scalar_one() == 1
        current = conn.execute(select(order_reports.c.version, order_reports.c.new_orders_usd).where(
            order_reports.c.uscc == feb["uscc"][0], order_reports.c.month == "2025-02")).one()
    assert tuple(current) == (2, feb["new_orders_usd"][0] + 1)
    assert stored_orders(engine)[1].equals(parsed.roster)  # a blank roster keeps what is stored
    assert [i["file_name"] for i in list_order_imports(engine)] == ["fix.csv", "s.csv"]
    assert [e["action"] for e in events(engine)][-2:] == ["orders.import", "orders.import"]
    assert verify(engine) is None or verify(engine)


def test_import_raises_the_latest_months_warnings_once(database_url, tmp_path):
    engine = connect(database_url)
    parsed = sample(tmp_path)
    stored, raised = import_orders(engine, parsed, ORDERS, actor="officer", file_name="s.csv", sha256="a" * 64,
                                   today=TODAY)
    assert (raised.new, raised.unchanged) == (5, 0)
    again = import_orders(engine, parsed, ORDERS, actor="officer", file_name="s.csv", sha256="a" * 64, today=TODAY)[1]
    assert (again.new, again.unchanged) == (0, 5)
    found = fu.list_warnings(engine, Scope(), source="orders")
    assert set(found["period"]) == {"2025-02"} and found.height == 5
    deep = found.filter(pl.col("level") == "red").row(0, named=True)
    assert deep["responsible_unit"] == KEQIAO and deep["reason"].startswith("新增订单同比下降42%")
    # The point acknowledges: the scan lists only the open ones.
    rows = scan_stored(engine, ORDERS, "2025-02")
    assert len(rows) == 5 and {r["status"] for r in rows} == {"open"}
    # The point's account (a unit scoped to its name; the warning_point role answers the same way).
    point = User(1, "keqiao", "柯桥预警点", "project_unit", responsible_unit=KEQIAO)
    fu.acknowledge(engine, deep["id"], user=point, scope=Scope(units=frozenset({KEQIAO})))
    assert len(scan_stored(engine, ORDERS, "2025-02")) == 4


def test_a_corrected_month_does_not_warn_an_enterprise_twice(database_url, tmp_path):
    """The warnings store keys by detector; when a correction changes which detector leads, the
    enterprise already warned for the month is not warned again (replays a second warning)."""
    from sqlalchemy import update

    from commerce_brain.orders_board import raise_order_warnings
    from commerce_brain.store.warning_tables import warnings_table

    engine = connect(database_url)
    import_orders(engine, sample(tmp_path), ORDERS, actor="officer", file_name="s.csv", sha256="a" * 64, today=TODAY)
    # As if each warning had been raised under another detector before the month was corrected.
    with engine.begin() as conn:
        conn.execute(update(warnings_table).where(warnings_table.c.source == "orders").values(detector="mom_fall"))
    again = raise_order_warnings(engine, "2025-02", ORDERS, actor="officer", today=TODAY)
    assert (again.new, again.unchanged) == (0, 5)
    assert fu.list_warnings(engine, Scope(), source="orders").height == 5
    engine.dispose()


def test_scopes_read_their_own(database_url, tmp_path):
    engine = connect(database_url)
    parsed = sample(tmp_path)
    import_orders(engine, parsed, ORDERS, actor="officer", file_name="s.csv", sha256="a" * 64, today=TODAY)
    keqiao = parsed.roster.filter(pl.col("warning_point") == KEQIAO)["uscc"].to_list()
    orders, roster = stored_orders(engine, scope=Scope(units=frozenset({KEQIAO})))
    assert sorted(roster["uscc"]) == sorted(keqiao) and set(orders["uscc"]) == set(keqiao)
    one = keqiao[0]
    assert set(stored_orders(engine, scope=Scope(uscc=one))[0]["uscc"]) == {one}
    assert stored_orders(engine, scope=Scope(units=frozenset({"无此预警点"})))[0].is_empty()
    # A county analyst (柯桥区) sees its points' enterprises.
    assert set(stored_orders(engine, scope=Scope(org_units=frozenset({"330603"})))[0]["uscc"]) == set(keqiao)
    assert len(scan_stored(engine, ORDERS, "2025-02", scope=Scope(units=frozenset({KEQIAO})))) == 2
    # History: the band per month; another enterprise's is none of its business.
    history = order_history(engine, ORDERS, one, scope=Scope(units=frozenset({KEQIAO})))
    assert history["warning_point"] == KEQIAO and history["months"][-1]["month"] == "2025-02"
    other = parsed.roster.filter(pl.col("warning_point") != KEQIAO)["uscc"][0]
    assert order_history(engine, ORDERS, other, scope=Scope(units=frozenset({KEQIAO}))) is None
    rolled = order_rollups(engine, ORDERS, "warning_point")
    feb = [r for r in rolled["rollup"] if r["month"] == "2025-02" and r["warning_point"] == KEQIAO][0]
    assert (feb["enterprises"], feb["at_risk"]) == (3, 2)


def test_the_commands_on_a_stored_month(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COMMERCE_BRAIN_DATABASE_URL", database_url)
    path = write_orders_template(tmp_path / "sample.xlsx", CATALOG, ORDERS, sample=True)
    dry = runner.invoke(cli_app, ["warning", "import", "orders", str(path), "--dry-run", "--format", "json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["warnings"] is None
    done = runner.invoke(cli_app, ["warning", "import", "orders", str(path), "--format", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["warnings"] == {"new": 5, "unchanged": 0}
    scanned = json.loads(runner.invoke(cli_app, ["warning", "scan", "--month", "2025-02", "--format", "json"]).stdout)
    assert len(scanned) == 5 and all(list(r) == ["uscc", "detector", "level", "message", "owner", "status"]
                                     for r in scanned)
    listed = runner.invoke(cli_app, ["warning", "list", "--status", "open", "--source", "orders", "--format", "json"])
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 5
    table = runner.invoke(cli_app, ["warning", "list", "--status", "open"]).stdout
    assert "订单+清单" in table and "orders" not in table
    bad = runner.invoke(cli_app, ["warning", "list", "--source", "nothing"])
    assert bad.exit_code == 2
