"""Benchmark: the cockpit, an indicator page, the 大屏 and the project list (项目推进) under 50
concurrent users, served by the real server, on SQLite and on PostgreSQL.

For each database a demo store is built in a temporary folder (the demo actuals, as
``commerce-brain serve --demo`` stores them, monthly reports of the 58 landmark projects, and
one city analyst), ``commerce-brain serve``
is started as a subprocess with 1 and with 2 workers, the benchmark signs in through the
sign-in form like a browser, and ``wrk`` (Debian package ``wrk``) drives each page with the
session cookie: a warm-up, then the measured run. ``percentiles.lua`` counts every response
that is not 2xx; a run with any (a redirect to /login included) is reported as a failure.
PostgreSQL is a private throwaway cluster (``tests/pg_server.py``; needs Debian's postgresql,
which ``scripts/system-packages`` installs). Target: p95 under 100 ms. Figures and the
command are recorded in bench/README.md. Run: ``make bench-web``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "percentiles.lua"
PAGES = {
    "cockpit": "/",
    "indicator": "/plans/qz_commerce_14th/retail_sales?year=2023&org_unit=330800",
    "screen": "/cockpit/screen",  # the 大屏 summary (the cockpit's figures, county map)
    "projects": "/projects",  # 项目推进: 58 projects' lights, roll-ups and charts (issue 10)
}
TARGET_P95_MS = 100.0
USERNAME = "bench-city"


@dataclass
class Run:
    """One measured wrk run."""

    database: str
    workers: int
    page: str
    result: dict

    @property
    def failed(self) -> bool:
        r = self.result
        return bool(r["non2xx"] or r["socket_errors"] or r["timeouts"] or not r["requests"])


def build_store(database_url: str) -> str:
    """The demo actuals and one city analyst in the store at ``database_url``; returns the password."""
    from commerce_brain.catalog import load_catalog
    from commerce_brain.demo import demo_observations
    from commerce_brain.store.accounts import create_user
    from commerce_brain.store.catalog_sync import sync_catalog
    from commerce_brain.projects.catalog import load_project_catalog
    from commerce_brain.store.observations import save_observations
    from commerce_brain.store.project_tables import save_reports
    from commerce_brain.store.schema import connect

    catalog = load_catalog()
    engine = connect(database_url)
    sync_catalog(engine, catalog)
    save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="demo")
    save_reports(engine, project_reports(load_project_catalog().projects), actor="bench",
                 import_meta={"file_name": "bench-reports.xlsx", "sha256": "-"})
    password = "Bench-" + secrets.token_urlsafe(12)
    create_user(engine, username=USERNAME, password=password, role="city_analyst", display_name="市商务局分析员",
                catalog=catalog)
    engine.dispose()
    return password


def project_reports(projects, first: str = "2021-01", last: str = "2023-10", seed: int = 10):
    """Monthly reports of every landmark project from ``first`` to ``last`` (about 2,000 rows):
    each year's plan a fifth of the plan-period investment, the year to date that plan's share
    of the months gone times a per-project pace (0.5–1.2), so every light shows."""
    import numpy as np
    import polars as pl

    from commerce_brain.io.project_reports_import import REPORTS_SCHEMA

    months = pl.date_range(pl.date(int(first[:4]), int(first[5:]), 1), pl.date(int(last[:4]), int(last[5:]), 1),
                           "1mo", eager=True).dt.strftime("%Y-%m").alias("month")
    pace = pl.DataFrame({"id": projects["id"],
                         "pace": np.random.default_rng(seed).integers(50, 121, projects.height)})  # percent
    grid = projects.select("id", "plan_period_investment_wan").join(pace, on="id").join(months.to_frame(), how="cross")
    plan = (pl.col("plan_period_investment_wan") // 5).alias("annual_plan_wan")
    mon = pl.col("month").str.slice(5, 2).cast(pl.Int64)
    return grid.select(
        pl.col("id").alias("project_id"), "month", plan,
        pl.lit(None, pl.Int64).alias("completed_month_wan"),
        (plan * mon * pl.col("pace") // 1200).alias("completed_ytd_wan"),
        pl.lit("under_construction").alias("stage"), pl.lit(None, pl.String).alias("image_progress"),
        pl.lit(None, pl.String).alias("problems"), pl.lit(None, pl.String).alias("problem_owner"),
    ).cast(REPORTS_SCHEMA)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, *, body: str | None = None, cookie: str = "") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def cookie_value(response: http.client.HTTPResponse, name: str) -> str:
    for header in response.headers.get_all("set-cookie") or []:
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError(f"no {name} cookie in the response")


def sign_in(port: int, password: str, username: str = USERNAME, *, check: bool = True) -> str:
    """Sign in through the form like a browser; returns the Cookie header for the session
    (with ``check``, after making sure every benchmarked page answers 200 with it)."""
    form = request(port, "GET", "/login")
    token = re.search(rb'name="login_token" value="([^"]+)"', form.body).group(1).decode()
    login_cookie = f"cb_login={cookie_value(form, 'cb_login')}"
    body = urlencode({"username": username, "password": password, "login_token": token, "next": "/"})
    answer = request(port, "POST", "/login", body=body, cookie=login_cookie)
    if answer.status != 303:
        raise RuntimeError(f"sign-in failed: HTTP {answer.status}")
    cookie = f"cb_session={cookie_value(answer, 'cb_session')}"
    for path in PAGES.values() if check else ():
        page = request(port, "GET", path, cookie=cookie)
        if page.status != 200:
            raise RuntimeError(f"{path} answers HTTP {page.status} after sign-in")
    return cookie


class Server:
    """``commerce-brain serve`` in its own process group, on a free port."""

    def __init__(self, database_url: str, workers: int) -> None:
        self.port = free_port()
        env = {**os.environ, "COMMERCE_BRAIN_DATABASE_URL": database_url}
        command = [str(Path(sys.executable).parent / "commerce-brain"), "serve", "--port", str(self.port),
                   "--workers", str(workers)]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (the server writes to it until stop())
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if request(self.port, "GET", "/login").status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        self.log.seek(0)
        raise RuntimeError("the server did not start:\n" + self.log.read().decode(errors="replace")[-3000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wrk(port: int, path: str, cookie: str, *, duration: str, connections: int, threads: int,
        timeout: str, think: int = 0, script: Path = LUA, extra: tuple[str, ...] = ()) -> dict:
    """One wrk run with ``script`` (``percentiles.lua``: its arguments the cookie, the think time
    and ``extra``); its RESULT line parsed, with requests/s."""
    command = ["wrk", "-c", str(connections), "-t", str(threads), "-d", duration, "--timeout", timeout,
               "-s", str(script), f"http://127.0.0.1:{port}{path}", "--", cookie, str(think), *extra]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError("wrk printed no RESULT line:\n" + out)
    result = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / result["duration_s"] if result["duration_s"] else 0.0
    return result


def measure(database: str, url: str, workers_list: list[int], args) -> list[Run]:
    password = build_store(url)
    runs = []
    for workers in workers_list:
        server = Server(url, workers)
        try:
            cookie = sign_in(server.port, password)
            for page in args.pages:
                path = PAGES[page]
                options = {"connections": args.connections, "threads": args.threads, "timeout": args.timeout,
                           "think": args.think}
                wrk(server.port, path, cookie, duration=args.warmup, **options)
                result = wrk(server.port, path, cookie, duration=args.duration, **options)
                run = Run(database, workers, page, result)
                runs.append(run)
                print(line(run), flush=True)
        finally:
            server.stop()
    return runs


def line(run: Run) -> str:
    r = run.result
    verdict = "FAILED (non-2xx or socket errors)" if run.failed else (
        "met" if r["p95_ms"] < TARGET_P95_MS else "MISSED")
    return (f"{run.database:<10} {run.workers:>7} {run.page:<9} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} "
            f"{r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['requests']:>9,} {r['non2xx']:>7} "
            f"{r['socket_errors'] + r['timeouts']:>6}  {verdict}")


HEADER = (f"{'database':<10} {'workers':>7} {'page':<9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'requests':>9} {'non-2xx':>7} {'errors':>6}  p95 < {TARGET_P95_MS:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=list(PAGES))
    parser.add_argument("--duration", default="30s")
    parser.add_argument("--warmup", default="5s")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", default="10s", help="wrk's per-request timeout (a timeout is an error)")
    parser.add_argument("--think", type=int, default=0,
                        help="ms each user pauses between clicks (uniform from half to 1.5×); 0: no pause, "
                             "every connection asks again at once (the server saturated)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: install it with `apt-get install -y wrk` (Debian package wrk).", file=sys.stderr)
        return 2

    print(f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load average at start "
          f"{os.getloadavg()[0]:.2f}; wrk -c {args.connections} -t {args.threads} -d {args.duration} "
          f"(after a {args.warmup} warm-up); think time {args.think} ms")
    print(HEADER, flush=True)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="cb-bench-web-") as folder:
        for database in args.databases:
            if database == "sqlite":
                runs += measure(database, f"sqlite:///{folder}/bench.sqlite3", args.workers, args)
                continue
            sys.path.insert(0, str(ROOT / "tests"))
            from pg_server import (
                TemporaryPostgres,  # the tests' private throwaway cluster
            )

            server = TemporaryPostgres()
            try:
                runs += measure(database, server.start(), args.workers, args)
            finally:
                server.stop()
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    failed = [run for run in runs if run.failed]
    if failed:
        print(f"{len(failed)} run(s) had non-2xx responses or socket errors: not a result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
