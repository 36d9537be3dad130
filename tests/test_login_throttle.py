"""The brute-force limit on sign-in, on SQLite and PostgreSQL, through the real app: per account
and per client address, kept in the database so several workers share it, and audited."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from commerce_brain.cli_users import users_app
from commerce_brain.settings import Settings
from commerce_brain.store import login_throttle as throttle
from commerce_brain.store.accounts import create_user
from commerce_brain.store.audit import events, verify
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

PASSWORD = "correct-horse-42"
WRONG = "wrong-horse-battery-1"


@pytest.fixture
def engine(database_url, catalog):
    engine = connect(database_url)
    for username, role in (("admin", "admin"), ("city", "city_analyst")):
        create_user(engine, username=username, password=PASSWORD, role=role, display_name=username, catalog=catalog)
    yield engine
    engine.dispose()


def app_on(database_url, tmp_path, **options):
    """One app instance: two of them on one database stand for two worker processes."""
    return create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path), **options)


def attempt(client: TestClient, username: str, password: str, **headers):
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "login_token": token},
                       headers=headers, follow_redirects=False)


def age(engine, key: str, **moved) -> None:
    """Let time pass for a counter: move its timestamps into the past by SQL, as a clock would."""
    with engine.begin() as conn:
        conn.execute(update(throttle.login_throttle).where(throttle.login_throttle.c.key == key).values(**moved))


def test_fifty_wrong_passwords_for_admin_then_the_right_one_is_refused(engine, database_url, tmp_path):
    # The attack of issue 8: on the old platform the 51st attempt, with the right password, signed in.
    client = TestClient(app_on(database_url, tmp_path))
    answers = [attempt(client, "admin", f"{WRONG}{i}").status_code for i in range(50)]
    assert set(answers) <= {401, 429} and answers[:3] == [401, 401, 401]
    right = attempt(client, "admin", PASSWORD)
    assert right.status_code == 429 and "cb_session" not in right.cookies
    assert "已暂时锁定" in right.text and "请管理员解锁" in right.text
    state = throttle.state(engine, "user:admin")
    assert state["locked_until"] > datetime.now(UTC) + timedelta(minutes=14)
    # Only the attempts that checked a password are audited one by one, plus the lock itself.
    failed = events(engine, action="login.failed", limit=100)
    assert 3 <= len(failed) < throttle.ACCOUNT_LIMIT.lock_after + 1
    assert {e["actor"] for e in failed} == {"admin"} and all(e["detail"] == {"address": "testclient"} for e in failed)
    assert [e["object"] for e in events(engine, action="login.locked")] == ["user:admin"]
    assert not any(WRONG in str(e) or PASSWORD in str(e) for e in events(engine, limit=500))
    assert events(engine, action="login") == [] and verify(engine).ok


def test_two_app_instances_share_the_counters(engine, database_url, tmp_path):
    first, second = (TestClient(app_on(database_url, tmp_path)), TestClient(app_on(database_url, tmp_path)))
    for i in range(throttle.ACCOUNT_LIMIT.lock_after):
        age(engine, "user:admin", last_failure_at=datetime.now(UTC) - timedelta(minutes=2))  # past any delay
        assert attempt(first if i % 2 else second, "admin", WRONG).status_code == 401
    assert throttle.state(engine, "user:admin")["failures"] == throttle.ACCOUNT_LIMIT.lock_after
    for client in (first, second):
        assert attempt(client, "admin", PASSWORD).status_code == 429


def test_the_delay_grows_and_refuses_even_the_right_password(engine, database_url, tmp_path):
    client = TestClient(app_on(database_url, tmp_path))
    for _ in range(throttle.ACCOUNT_LIMIT.free):
        assert attempt(client, "city", WRONG).status_code == 401
    early = attempt(client, "city", PASSWORD)
    assert early.status_code == 429 and "秒后再试" in early.text
    # The refused attempt counted: the next wait is longer.
    assert throttle.state(engine, "user:city")["failures"] == throttle.ACCOUNT_LIMIT.free + 1
    assert throttle.ACCOUNT_LIMIT.delay(4) > throttle.ACCOUNT_LIMIT.delay(3) > 0
    age(engine, "user:city", last_failure_at=datetime.now(UTC) - timedelta(seconds=throttle.ACCOUNT_LIMIT.delay(4) + 1))
    assert attempt(client, "city", PASSWORD).status_code == 303
    # Success clears the account's counter and is audited with the address.
    assert throttle.state(engine, "user:city") is None
    signed_in = events(engine, action="login")
    assert [(e["actor"], e["detail"]["address"]) for e in signed_in] == [("city", "testclient")]


def test_a_lock_runs_out_after_its_period(engine, database_url, tmp_path):
    client = TestClient(app_on(database_url, tmp_path))
    for _ in range(12):
        attempt(client, "admin", WRONG)
    assert attempt(client, "admin", PASSWORD).status_code == 429
    age(engine, "user:admin", locked_until=datetime.now(UTC) - timedelta(seconds=1),
        last_failure_at=datetime.now(UTC) - timedelta(minutes=16))
    assert attempt(client, "admin", PASSWORD).status_code == 303


def test_an_admin_unlocks_from_the_command_line(engine, database_url, tmp_path):
    client = TestClient(app_on(database_url, tmp_path))
    for _ in range(12):
        attempt(client, "admin", WRONG)
    result = CliRunner().invoke(users_app, ["unlock", "ADMIN", "--db", database_url])
    assert result.exit_code == 0 and "已解锁 admin" in result.output, result.output
    assert attempt(client, "admin", PASSWORD).status_code == 303
    unlocked = events(engine, action="user.unlock")
    assert [(e["object"], e["detail"]) for e in unlocked] == [("user:admin", {"had_failures": True})]
    assert unlocked[0]["actor"].startswith("cli:")
    again = CliRunner().invoke(users_app, ["unlock", "admin", "--db", database_url])
    assert "admin 未被锁定，也没有登录失败记录" in again.output
    assert CliRunner().invoke(users_app, ["unlock", "nobody", "--db", database_url]).exit_code == 1


def test_guessing_many_names_from_one_address_slows_that_address_only(engine, database_url, tmp_path):
    app = app_on(database_url, tmp_path)
    attacker, office = TestClient(app, client=("203.0.113.9", 5000)), TestClient(app, client=("198.51.100.7", 5000))
    for i in range(throttle.ADDRESS_LIMIT.free):
        assert attempt(attacker, f"guess{i}", WRONG).status_code == 401
    # A valid account from the attacker's address waits; from another address it signs in.
    assert attempt(attacker, "city", PASSWORD).status_code == 429
    assert attempt(office, "city", PASSWORD).status_code == 303
    # Unknown names are counted like real ones, so the answers do not tell which names exist.
    assert throttle.state(engine, "user:guess0")["failures"] == 1
    assert throttle.state(engine, "addr:203.0.113.9")["failures"] == throttle.ADDRESS_LIMIT.free + 1


def test_forwarded_for_is_read_only_behind_a_trusted_proxy(engine, database_url, tmp_path):
    for trusted in (False, True):
        client = TestClient(app_on(database_url, tmp_path, trust_proxy=trusted), client=("10.0.0.2", 5000))
        # A client rotating X-Forwarded-For must not escape the per-address counter of its real address.
        attempt(client, "nobody", WRONG, **{"X-Forwarded-For": "1.1.1.1, 192.0.2.44"})
        counted = "addr:192.0.2.44" if trusted else "addr:10.0.0.2"
        assert throttle.state(engine, counted)["failures"] == 1
    assert throttle.state(engine, "addr:1.1.1.1") is None


def test_concurrent_failures_in_several_workers_all_count(engine):
    # Eight threads with their own connections stand for eight workers failing at once.
    keys = {"user:race": throttle.Limit(free=100, lock_after=8)}
    barrier = threading.Barrier(8)
    locked: list[list[str]] = []

    def fail():
        barrier.wait()
        with engine.begin() as conn:
            locked.append(throttle.count_failure(conn, keys))

    workers = [threading.Thread(target=fail) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert throttle.state(engine, "user:race")["failures"] == 8
    assert sum(len(found) for found in locked) == 1


def test_logout_is_audited(engine, database_url, tmp_path):
    client = TestClient(app_on(database_url, tmp_path))
    assert attempt(client, "city", PASSWORD).status_code == 303
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert [(e["actor"], e["object"]) for e in events(engine, action="logout")] == [("city", "web")]
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_audit_page_names_sign_in_and_account_events_in_chinese(engine, database_url, tmp_path):
    client = TestClient(app_on(database_url, tmp_path))
    attempt(client, "city", WRONG)
    assert attempt(client, "admin", PASSWORD).status_code == 303
    page = client.get("/audit").text
    for label in ("新建账户", "登录失败，来源地址 testclient", "以“系统管理员”身份登录"):
        assert label in page, label


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def test_an_admin_unlocks_on_the_accounts_page(engine, database_url, tmp_path):
    app = app_on(database_url, tmp_path)
    guesser, admin = TestClient(app, client=("203.0.113.9", 5000)), TestClient(app)
    for _ in range(12):
        attempt(guesser, "city", WRONG)
    assert attempt(admin, "admin", PASSWORD).status_code == 303
    page = admin.get("/accounts")
    assert page.status_code == 200 and "锁定至" in page.text and "解锁" in page.text
    row = re.search(r"<tr><td>city</td>.*?</tr>", page.text, re.S).group(0)
    assert "<td>12 次</td>" in row  # refused attempts count too
    answer = admin.post("/accounts/city/unlock", data={"csrf": csrf_of(admin)}, follow_redirects=False)
    assert answer.status_code == 303 and throttle.state(engine, "user:city") is None
    assert [(e["actor"], e["object"]) for e in events(engine, action="user.unlock")] == [("admin", "user:city")]
    assert admin.post("/accounts/nobody/unlock", data={"csrf": csrf_of(admin)}).status_code == 404
    assert attempt(TestClient(app, client=("198.51.100.7", 5000)), "city", PASSWORD).status_code == 303


def test_only_an_admin_may_unlock(engine, database_url, tmp_path):
    app = app_on(database_url, tmp_path)
    for _ in range(12):
        attempt(TestClient(app, client=("203.0.113.9", 5000)), "admin", WRONG)
    city = TestClient(app)
    assert attempt(city, "city", PASSWORD).status_code == 303
    assert city.get("/accounts").status_code == 403
    assert city.post("/accounts/admin/unlock", data={"csrf": csrf_of(city)}).status_code == 403
    assert throttle.state(engine, "user:admin")["locked_until"] is not None
    assert events(engine, action="user.unlock") == []
