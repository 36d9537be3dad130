"""A live server and a real browser: the web platform as a person uses it.

The server is the real app under uvicorn on 127.0.0.1 (a free port, a background thread), on a
temporary SQLite database with the demo actuals, the synthetic city's enterprise data (as
``serve --demo`` stores it; no batch has run), one account per role and a second finance officer
(four eyes: one lists a payment, another marks it paid). The enterprise
account belongs to ``ENTERPRISE_USCC``: the enterprise of 柯城区 with the most awards the 2023
batch will propose that an officer can approve as they stand. The browser is
Debian's Chromium (``make test`` installs it through ``scripts/system-packages``), driven by
Playwright, headless and offline: Playwright never downloads a browser of its own.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dialogs import answer_dialogs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
PASSWORD = "browser-test-pass-1"
LOCAL_HOSTS = {"127.0.0.1"}


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    org_unit: str | None = None
    uscc: str | None = None
    responsible_unit: str | None = None


YEAR = 2023
ENTERPRISE_ORG_UNIT = "330802"


def _city():
    """The synthetic city the live server stores (300 enterprises, 2019–2023)."""
    from commerce_brain.io.enterprise_import import PolicyData
    from commerce_brain.policy.engine import packaged
    from commerce_brain.policy.synthetic import city

    policies, _ = packaged()
    return PolicyData(*city(300, [2019, 2020, 2021, 2022, YEAR], event_kinds=sorted(policies.event_kinds())))


def _enterprise_with_awards(data) -> str:
    import polars as pl

    from commerce_brain.policy.engine import evaluate

    awards = evaluate(data.enterprises, data.facts, data.events, YEAR)
    approvable = awards.filter((pl.col("org_unit") == ENTERPRISE_ORG_UNIT) & ~pl.col("needs_review")
                               & (pl.col("amount_fen") > 0))
    busiest = approvable.group_by("uscc").len().sort(["len", "uscc"], descending=[True, False])
    return busiest["uscc"][0]


CITY = _city()
ENTERPRISE_USCC = _enterprise_with_awards(CITY)


def _accounts() -> dict[str, Account]:
    # By role; a second account of a role is keyed by its username.
    return {(a.username if a.username == "finance2" else a.role): a for a in [
        Account("admin1", "admin"),
        Account("city1", "city_analyst"),
        Account("kecheng1", "county_analyst", org_unit="330802"),
        Account("policy1", "policy_officer"),
        Account("finance1", "finance_officer"),
        # Four eyes: the finance officer who lists a payment is not the one who marks it paid.
        Account("finance2", "finance_officer"),
        Account("firm1", "enterprise", uscc=ENTERPRISE_USCC),
        Account("leader1", "leader"),
        Account("qujiang1", "project_unit", responsible_unit="衢江区政府"),
        Account("keqiao1", "warning_point", responsible_unit="柯桥区纺织品外贸预警点"),
    ]}


ACCOUNTS = _accounts()


@dataclass
class LiveServer:
    url: str
    engine: object
    database_url: str


def _wait_until_answering(url: str, thread: threading.Thread, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the test server's thread ended before it answered")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the test server at {url} did not answer within {timeout:.0f} s")


def _create_accounts(engine, catalog) -> None:
    from commerce_brain.store.accounts import create_user

    for account in ACCOUNTS.values():
        create_user(engine, username=account.username, password=PASSWORD, role=account.role,
                    display_name=account.username, org_unit=account.org_unit, uscc=account.uscc,
                    responsible_unit=account.responsible_unit, catalog=catalog)


@contextmanager
def serving(url: str):
    """The real app under uvicorn on 127.0.0.1 (a free port, a background thread) on the store at
    ``url`` (migrated first); yields a LiveServer and stops the server when the block ends."""
    import uvicorn

    from commerce_brain.settings import Settings
    from commerce_brain.store.schema import connect
    from commerce_brain.web.app import create_app

    engine = connect(url)
    # Bind first and hand the socket over: the port is ours from the start, no race for it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(Settings.from_env(database_url=url))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="browser-test-server",
                              daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(base, thread)
        yield LiveServer(url=base, engine=engine, database_url=url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """The web platform served on 127.0.0.1 for the whole session on SQLite, with the demo
    actuals, the synthetic city and the accounts; its base URL without a slash."""
    from commerce_brain.catalog import load_catalog
    from commerce_brain.demo import demo_observations
    from commerce_brain.fulfilment import save_policy_data
    from commerce_brain.store.observations import save_observations

    with serving(f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'store.sqlite3'}") as server:
        catalog = load_catalog()
        save_observations(server.engine, demo_observations(catalog), file_name="demo", sha256="-",
                          imported_by="browser-test")
        save_policy_data(server.engine, CITY, actor="browser-test")
        _create_accounts(server.engine, catalog)
        yield server


@pytest.fixture(scope="session")
def pg_live_server(postgres_url) -> LiveServer:
    """The web platform on a fresh PostgreSQL database holding only the accounts (the enterprise
    account without an enterprise yet): the test brings the enterprise data in itself."""
    from commerce_brain.catalog import load_catalog
    from pg_server import fresh_database

    with serving(fresh_database(postgres_url, "browser_pg")) as server:
        _create_accounts(server.engine, load_catalog())
        yield server


@pytest.fixture(scope="session")
def accounts() -> dict[str, Account]:
    """The live server's accounts by role (password ``PASSWORD``)."""
    return ACCOUNTS


@pytest.fixture
def sign_in(accounts):
    """``sign_in(page, role, password=PASSWORD)``: fill the sign-in form as a person does (by its
    labels, then the 登录 button) and wait for the page it leads to."""

    def sign_in(page, role: str, password: str = PASSWORD) -> None:
        if not urlsplit(page.url).path.startswith("/login"):
            page.goto("/login")
        page.get_by_label("用户名").fill(accounts[role].username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()

    return sign_in


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, started once for the session."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} was not found: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def _tab(browser, base_url: str):
    """A fresh browser context (no cookies) and page on ``base_url``.

    Every request the page makes is recorded on ``page.requests_seen`` (URLs) and every console
    error or uncaught script error on ``page.errors_seen``; the test fails at teardown if any
    request left 127.0.0.1, so no page may lean on a CDN or a web font.
    """
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=base_url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.requests_seen = []
    tab.errors_seen = []
    tab.on("request", lambda request: tab.requests_seen.append(request.url))
    tab.on("console", lambda message: message.type == "error" and tab.errors_seen.append(
        f"{message.text} ({message.location.get('url', '')})"))
    tab.on("pageerror", lambda error: tab.errors_seen.append(str(error)))
    answer_dialogs(tab)
    try:
        yield tab
    finally:
        context.close()
    outside = [u for u in tab.requests_seen if urlsplit(u).scheme not in ("data", "blob", "about")
               and urlsplit(u).hostname not in LOCAL_HOSTS]
    assert not outside, f"the page loaded resources from outside 127.0.0.1: {outside}"


@pytest.fixture
def page(browser, live_server):
    """A fresh page on the SQLite live server (see ``_tab``)."""
    with _tab(browser, live_server.url) as tab:
        yield tab


@pytest.fixture
def open_tab(browser):
    """``open_tab(server)``: a fresh page on that live server (see ``_tab``), closed and checked
    at the end of the test; for a test with several people or on the PostgreSQL server."""
    with ExitStack() as stack:
        yield lambda server: stack.enter_context(_tab(browser, server.url))
