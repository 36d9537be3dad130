"""The web workers' evaluation memo: pages stay exactly what a fresh computation shows, and an
import by another process (the CLI) is visible on the very next request."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from commerce_brain import monitoring
from commerce_brain.catalog import load_catalog
from commerce_brain.demo import demo_observations
from commerce_brain.render import num
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user
from commerce_brain.store.observations import save_observations
from commerce_brain.store.schema import connect
from commerce_brain.web import views
from commerce_brain.web.app import create_app

PASSWORD = "correct-horse-42"
INDICATOR = "/plans/qz_commerce_14th/retail_sales?year=2023&org_unit=330800"
NEW_VALUE = 1234.56  # 社会消费品零售总额, 2023, the city (the demo has its own figure, read below)


@pytest.fixture
def client(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="test")
    create_user(engine, username="city", password=PASSWORD, role="city_analyst", display_name="city",
                catalog=catalog)
    client = TestClient(create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path)))
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    signed_in = client.post("/login", data={"username": "city", "password": PASSWORD, "login_token": token},
                            follow_redirects=False)
    assert signed_in.status_code == 303
    yield client
    engine.dispose()


def _demo_retail_sales_2023() -> float:
    """The demo's figure the pages show before the import (the demo data moves when the catalog grows)."""
    import polars as pl

    from commerce_brain.catalog import load_catalog

    rows = demo_observations(load_catalog()).filter(
        (pl.col("plan") == "qz_commerce_14th") & (pl.col("indicator") == "retail_sales")
        & (pl.col("org_unit") == "330800") & (pl.col("period") == "2023"))
    return rows["value"].item()


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrf" value="[^"]*"', "", html)


def _fresh(client: TestClient, path: str) -> str:
    """The page as a worker that never saw a request computes it."""
    for memo in (monitoring._GATHERED, monitoring._EVALUATED, views._SORTED):
        memo.clear()
    return _without_csrf(client.get(path).text)


def test_repeated_requests_reuse_the_evaluation_and_show_the_same_page(client):
    first = _fresh(client, "/")
    gathered = monitoring.gather_observations(client.app.state.platform.catalog, client.app.state.platform.engine)
    again = client.get("/")
    assert _without_csrf(again.text) == first
    # The same frame served both requests: nothing was recomputed.
    assert monitoring.gather_observations(client.app.state.platform.catalog,
                                          client.app.state.platform.engine) is gathered
    assert _without_csrf(client.get(INDICATOR).text) == _fresh(client, INDICATOR)


def test_an_import_by_the_cli_in_another_process_shows_on_the_next_request(client, database_url, tmp_path):
    before_cockpit, before_indicator = client.get("/").text, client.get(INDICATOR).text
    assert num(NEW_VALUE) not in before_cockpit and "X_t=1,234.6" not in before_indicator
    demo = _demo_retail_sales_2023()
    assert num(demo) in before_cockpit and f"X_t={demo:,.1f}" in before_indicator

    actuals = tmp_path / "revision.csv"
    actuals.write_text("plan,indicator,org_unit,period,value,real_growth_pct,source\n"
                       f"qz_commerce_14th,retail_sales,330800,2023,{NEW_VALUE},,市统计局年报\n", encoding="utf-8")
    cli = Path(sys.executable).parent / "commerce-brain"
    done = subprocess.run([str(cli), "plans", "import", str(actuals), "--db", database_url, "--user", "tester"],
                          check=False, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr

    after_cockpit, after_indicator = client.get("/"), client.get(INDICATOR)
    assert after_cockpit.status_code == after_indicator.status_code == 200
    assert num(NEW_VALUE) in after_cockpit.text and "X_t=1,234.6" in after_indicator.text
    # And exactly what a fresh worker would show.
    assert _without_csrf(after_cockpit.text) == _fresh(client, "/")
    assert _without_csrf(client.get(INDICATOR).text) == _fresh(client, INDICATOR)


def test_stored_version_changes_with_every_import(database_url):
    catalog = load_catalog()
    engine = connect(database_url)
    empty = monitoring.stored_version(engine)
    assert empty == (0, 0)
    frame = demo_observations(catalog)
    save_observations(engine, frame, file_name="demo", sha256="-", imported_by="test")
    stored = monitoring.stored_version(engine)
    assert stored == (1, 1)
    # A second engine (another process's view) sees the same state, and its imports count.
    other = connect(database_url)
    assert monitoring.stored_version(other) == stored
    revised = frame.head(1).with_columns(value=frame["value"][0] + 1)
    save_observations(other, revised, file_name="rev", sha256="-", imported_by="test")
    assert monitoring.stored_version(engine) == (2, 2)
    gathered = monitoring.gather_observations(catalog, engine)
    key = frame.head(1).select("plan", "indicator", "org_unit", "period")
    assert gathered.join(key, on=key.columns)["value"].to_list() == [frame["value"][0] + 1]
    other.dispose()
    engine.dispose()
