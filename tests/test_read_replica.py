"""The monitoring pages read a real streaming replica; sign-in, sessions and writes use the primary.

A private PostgreSQL primary (the tests' ``TemporaryPostgres``, not the session's shared server,
so the base backup copies one small cluster) and a hot standby made from it by
``pg_basebackup -R`` on another port. Replay on the standby is paused while the primary takes a
new figure: the cockpit still shows the old one (it reads the standby, which has not replayed
it), while a sign-in done during the pause works at once (its session is written to and read
from the primary). Once replay resumes, the new figure shows on the next request.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import polars as pl
import pytest
from sqlalchemy import create_engine, event, text
from test_pages_chinese import PASSWORD, signed_in

from commerce_brain.catalog import load_catalog
from commerce_brain.demo import demo_observations
from commerce_brain.render import num
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user
from commerce_brain.store.observations import save_observations
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

pytestmark = pytest.mark.postgres

NEW_VALUE = 4321.98  # 社会消费品零售总额, 2023, the city: a figure the demo does not have


@pytest.fixture(scope="module")
def primary_and_replica():
    from pg_server import StreamingReplica, TemporaryPostgres

    primary = TemporaryPostgres()
    primary_url = primary.start()
    replica = StreamingReplica(primary)
    try:
        yield primary_url, replica.start(), replica
    finally:
        replica.stop()
        primary.stop()


def _caught_up(primary, standby, timeout: float = 30.0) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    with primary.connect() as conn:
        lsn = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with standby.connect() as conn:
            if conn.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}).scalar_one():
                return
        time.sleep(0.05)
    raise AssertionError(f"the replica did not replay up to {lsn} in {timeout} s")


@contextmanager
def _replay_paused(standby):
    """The standby stops applying the primary's WAL (it keeps receiving it) until the block ends."""
    with standby.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()"))
        while conn.execute(text("SELECT pg_get_wal_replay_pause_state()")).scalar_one() != "paused":
            time.sleep(0.02)
    try:
        yield
    finally:
        with standby.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))


def _statements(engine) -> list[str]:
    """Every SQL statement ``engine`` sends from now on (a real count on the real connection)."""
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: sent.append(statement))
    return sent


def test_the_cockpit_reads_the_replica_while_sign_in_and_writes_use_the_primary(primary_and_replica, tmp_path):
    primary_url, replica_url, _ = primary_and_replica
    catalog = load_catalog()
    primary = connect(primary_url)
    demo = demo_observations(catalog)
    save_observations(primary, demo, file_name="demo", sha256="-", imported_by="test")
    create_user(primary, username="city", password=PASSWORD, role="city_analyst", display_name="city",
                catalog=catalog)
    standby = create_engine(replica_url, isolation_level="AUTOCOMMIT")
    _caught_up(primary, standby)
    old = demo.filter((pl.col("plan") == "qz_commerce_14th") & (pl.col("indicator") == "retail_sales")
                      & (pl.col("org_unit") == "330800") & (pl.col("period") == "2023"))["value"].item()

    app = create_app(Settings.from_env(database_url=primary_url, replica_url=replica_url, data_dir=tmp_path))
    platform = app.state.platform
    with platform.reader.connect() as conn:  # the reader really is the standby
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
    with platform.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False
    on_primary, on_replica = _statements(platform.engine), _statements(platform.reader)

    with _replay_paused(standby):
        revised = demo.filter((pl.col("indicator") == "retail_sales") & (pl.col("org_unit") == "330800")
                              & (pl.col("period") == "2023")).with_columns(value=pl.lit(NEW_VALUE))
        save_observations(primary, revised, file_name="revision", sha256="-", imported_by="test")
        # Signed in during the lag: the session is on the primary only, and it is honoured at once.
        client = signed_in(app, "city")
        lagging = client.get("/")
        assert lagging.status_code == 200
        assert num(old) in lagging.text and num(NEW_VALUE) not in lagging.text
        assert client.get("/projects").status_code == 200
        with standby.connect() as conn:  # the standby has not seen the new import; the primary has
            assert conn.execute(text("SELECT count(*) FROM imports")).scalar_one() == 1
        with primary.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM imports")).scalar_one() == 2

    # Sessions were read and written on the primary only; the pages' data came from the replica.
    assert any("web_sessions" in s for s in on_primary)
    assert not any("web_sessions" in s for s in on_replica)
    assert any("imports" in s for s in on_replica) and any("observation_versions" in s for s in on_replica)
    assert not any("observation_versions" in s for s in on_primary)
    assert any("project_reports" in s for s in on_replica) and not any("project_reports" in s for s in on_primary)

    _caught_up(primary, standby)
    replicated = client.get("/")
    assert replicated.status_code == 200 and num(NEW_VALUE) in replicated.text

    # A form that writes (sign out: the session deleted and an audit event) goes to the primary.
    csrf = re.search(r'name="csrf" value="([^"]+)"', replicated.text).group(1)
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    with primary.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events WHERE action = 'logout'")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM web_sessions")).scalar_one() == 0
    assert client.get("/", follow_redirects=False).status_code == 303
    standby.dispose()
    primary.dispose()


def test_without_a_replica_the_reader_is_the_primary(tmp_path):
    app = create_app(Settings.from_env(database_url=f"sqlite:///{tmp_path / 'store.sqlite3'}", data_dir=tmp_path))
    assert app.state.platform.reader is app.state.platform.engine


def test_the_environments_replica_goes_with_the_environments_database_only(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMERCE_BRAIN_DATABASE_URL", "postgresql+psycopg://app@primary/cb")
    monkeypatch.setenv("COMMERCE_BRAIN_REPLICA_URL", "postgresql+psycopg://app@replica/cb")
    assert Settings.from_env().replica_url == "postgresql+psycopg://app@replica/cb"
    # A command pointed at another database (--db) must not read a replica of the environment's.
    assert Settings.from_env(database_url=f"sqlite:///{tmp_path / 'other.sqlite3'}").replica_url is None
    assert Settings.from_env(database_url="sqlite://", replica_url="sqlite:///r").replica_url == "sqlite:///r"


def test_when_the_replica_is_down_the_pages_read_the_primary(primary_and_replica, tmp_path):
    """A replica that stops answering must not take the cockpit with it (it answered 500)."""
    primary_url, replica_url, replica = primary_and_replica
    catalog = load_catalog()
    primary = connect(primary_url)
    create_user(primary, username="down", password=PASSWORD, role="city_analyst", display_name="down",
                catalog=catalog)
    app = create_app(Settings.from_env(database_url=primary_url, replica_url=replica_url, data_dir=tmp_path))
    platform = app.state.platform
    client = signed_in(app, "down")
    assert client.get("/").status_code == 200
    assert platform.reader is platform.replica.replica  # the replica answers: the pages read it

    replica.stop()  # the last test of the module: the fixture's own stop finds it stopped
    platform.replica.ask_again()  # at once, not after the usual few seconds
    assert platform.reader is platform.engine
    for page in ("/", "/projects", "/plans/qz_commerce_14th/retail_sales?year=2023&org_unit=330800"):
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert "商务大脑" in answer.text
    primary.dispose()
