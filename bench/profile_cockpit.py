"""Where a saturated web worker spends its time on the cockpit: ``commerce-brain serve`` (one
worker) on a private PostgreSQL with the bench store (``bench_web.build_store``), wrk with 50
connections on ``/`` and py-spy sampling the worker at 200 Hz during the measured run. Prints
requests/s, and the share of the samples in SQLAlchemy, in psycopg and in each per-request
query function (a sample counts for every function on its stack).

Run it against two checkouts in turn (A, B, A, B) to compare, e.g.:

    PYTHONPATH=<checkout>/src .venv/bin/python bench/profile_cockpit.py --duration 15s

Needs ``py-spy`` (the ``bench`` extra) and ptrace rights (root, or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_web as web

# Function names on the stack → what they are (old and new names of the per-request queries).
SHARES = {
    "SQLAlchemy": "sqlalchemy/", "psycopg": "psycopg",
    "session + user (find_session_user)": "find_session_user",
    "data version (stored_version)": "stored_version (",
    "award totals (award_totals)": "award_totals (",
    "warnings' counts (count_warnings)": "count_warnings (",
    "project lights (latest_light_counts)": "latest_light_counts",
    "one state query (data_state)": "data_state (",
    "page render (jinja2)": "jinja2/",
}


OWN_SQLALCHEMY = "SQLAlchemy's own (not inside psycopg)"


def shares(raw: Path) -> tuple[int, collections.Counter]:
    """Total samples and, per entry of SHARES, the samples whose stack holds it."""
    total, found = 0, collections.Counter()
    for row in raw.read_text().splitlines():
        stack, _, count = row.rpartition(" ")
        total += int(count)
        for label, marker in SHARES.items():
            if marker in stack:
                found[label] += int(count)
        if "sqlalchemy/" in stack and "psycopg" not in stack:
            found[OWN_SQLALCHEMY] += int(count)
    return total, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="15s")
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    sys.path.insert(0, str(web.ROOT / "tests"))
    from pg_server import TemporaryPostgres

    print(f"code: {os.environ.get('PYTHONPATH', '(installed)')}; load average at start {os.getloadavg()[0]:.2f}")
    server = TemporaryPostgres()
    try:
        url = server.start()
        password = web.build_store(url)
        app = web.Server(url, 1)
        try:
            cookie = web.sign_in(app.port, password)
            options = {"connections": args.connections, "threads": 2, "timeout": "10s"}
            web.wrk(app.port, "/", cookie, duration="5s", **options)
            with tempfile.TemporaryDirectory() as folder:
                raw = Path(folder) / "samples.txt"
                seconds = str(int(args.duration.rstrip("s")))
                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(app.process.pid), "-d", seconds, "-r", "200",
                                        "-f", "raw", "-o", str(raw), "--nonblocking"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                result = web.wrk(app.port, "/", cookie, duration=args.duration, **options)
                spy.wait()
                total, found = shares(raw)
        finally:
            app.stop()
    finally:
        server.stop()
    print(f"cockpit: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
          f"non-2xx {result['non2xx']}; {total} samples ({total / result['requests']:.3f} per request)")
    for label in [*SHARES, OWN_SQLALCHEMY]:
        print(f"  {label:<40} {100 * found[label] / total:5.1f} %")
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
