"""The deployment of docs/deploy.md, brought up by ``deploy/local-cluster.sh``: a PostgreSQL
primary, its streaming replica, two stateless web workers and nginx balancing over them.

One browser session, made through nginx, is honoured by both workers (sessions live in the
primary, nothing in a worker's memory); sign-out through one worker ends it on all; and a
forged ``X-Forwarded-For`` sent to nginx does not become the address the sign-in limit counts.
Needs Debian's postgresql and nginx (``scripts/system-packages``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from commerce_brain.catalog import load_catalog
from commerce_brain.store.accounts import create_user
from commerce_brain.store.schema import connect

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy" / "local-cluster.sh"
PASSWORD = "correct-horse-42"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    # Not under pytest's tmp folder (mode 0700): as root the PostgreSQL servers run as `postgres`.
    folder = Path(tempfile.mkdtemp(prefix="cb-cluster-"))
    folder.chmod(0o755)
    port, first_worker = _free_port(), _free_port()
    env = {**os.environ, "COMMERCE_BRAIN_BIN": str(Path(sys.executable).parent / "commerce-brain"),
           "FIRST_WORKER_PORT": str(first_worker),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    up = subprocess.run([str(SCRIPT), "up", str(folder / "c"), "2", str(port)], env=env, capture_output=True, text=True)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        values = dict(shlex.split(line)[0].split("=", 1) for line in (folder / "c" / "cluster.env").read_text().splitlines())
        yield {"folder": folder / "c", "port": port, **values}
    finally:
        subprocess.run([str(SCRIPT), "down", str(folder / "c")], env=env, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _sign_in(base: str, headers: dict | None = None) -> httpx.Client:
    client = httpx.Client(base_url=base, headers=headers or {})
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/login", data={"username": "city", "password": PASSWORD, "login_token": token})
    assert answer.status_code == 303, answer.text
    return client


def _served_by(folder: Path) -> list[int]:
    """How many requests for ``/`` each worker's access log shows."""
    return [log.read_text().count('"GET / HTTP/1.1" 200') for log in sorted(folder.glob("logs/worker-*.log"))]


def test_one_session_through_nginx_is_honoured_by_every_worker_and_ends_on_all(cluster):
    primary = connect(cluster["PRIMARY_URL"])
    create_user(primary, username="city", password=PASSWORD, role="city_analyst", display_name="city",
                catalog=load_catalog())
    base = f"http://127.0.0.1:{cluster['port']}"
    client = _sign_in(base)
    before = _served_by(cluster["folder"])
    pages = [client.get("/") for _ in range(20)]
    assert [p.status_code for p in pages] == [200] * 20
    served = [after - b for after, b in zip(_served_by(cluster["folder"]), before, strict=True)]
    assert len(served) == 2 and all(n > 0 for n in served) and sum(served) == 20  # both workers, one session

    csrf = re.search(r'name="csrf" value="([^"]+)"', pages[-1].text).group(1)
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    after = [client.get("/").status_code for _ in range(6)]
    assert after == [303] * 6  # signed out on every worker at once
    primary.dispose()


def test_a_forged_forwarded_for_does_not_become_the_address_counted(cluster):
    # The attacker sends its own X-Forwarded-For to spread failed sign-ins over made-up
    # addresses; nginx appends the real peer and the app reads only that last entry.
    _sign_in(f"http://127.0.0.1:{cluster['port']}", headers={"X-Forwarded-For": "203.0.113.9"})
    engine = create_engine(cluster["PRIMARY_URL"])
    with engine.connect() as conn:
        detail = conn.execute(text("SELECT detail FROM audit_events WHERE action = 'login' ORDER BY id DESC")).first()[0]
    engine.dispose()
    assert json.loads(detail)["address"] == "127.0.0.1"

