"""A throwaway PostgreSQL server for the test session, from Debian's postgresql package.

`COMMERCE_BRAIN_TEST_PG_URL` points the tests at a server of your own instead. Otherwise a
private cluster is created in a temporary folder, listening only on a Unix socket there, and
removed at the end. As root (CI), the cluster runs as the `postgres` user the package makes.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PORT = 54329


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} was not found: run `make test`, which installs Debian's postgresql")
    return found


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class TemporaryPostgres:
    """Start with ``start()`` (returns a SQLAlchemy URL), end with ``stop()``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cb-pg-"))
        self.data = self.root / "data"

    def start(self) -> str:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self.root.chmod(0o755)
        subprocess.run(_as_server_user([_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                        "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
        options = f"-k {self.root} -p {PORT} -c listen_addresses='' -c fsync=off"
        subprocess.run(_as_server_user([_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-w",
                                        "-l", str(self.root / "server.log"), "start"]), check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@/postgres?host={self.root}&port={PORT}"

    def stop(self) -> None:
        subprocess.run(_as_server_user([_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """The URL of an empty database ``name`` on the server at ``server_url`` (its ``postgres``
    database), dropped first if it is there."""
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.replace("/postgres?", f"/{name}?")


REPLICA_PORT = 54330


class StreamingReplica(TemporaryPostgres):
    """A hot-standby streaming replica of a running ``TemporaryPostgres``, in a folder of its own on
    another port: ``pg_basebackup -R`` copies the primary and writes its ``primary_conninfo``,
    then the standby replays the primary's WAL as it streams (read only: a write is refused)."""

    def __init__(self, primary: TemporaryPostgres) -> None:
        super().__init__()
        self.primary = primary

    def start(self) -> str:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self.root.chmod(0o755)
        subprocess.run(_as_server_user([_binary("pg_basebackup"), "-D", str(self.data), "-R", "-X", "stream",
                                        "-h", str(self.primary.root), "-p", str(PORT), "-U", "postgres"]),
                       check=True, capture_output=True)
        options = f"-k {self.root} -p {REPLICA_PORT} -c listen_addresses='' -c fsync=off -c hot_standby=on"
        subprocess.run(_as_server_user([_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-w",
                                        "-l", str(self.root / "server.log"), "start"]), check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@/postgres?host={self.root}&port={REPLICA_PORT}"
