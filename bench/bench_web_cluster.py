"""Benchmark: 500 signed-in users through nginx over N web workers, on a PostgreSQL primary with
a streaming read replica — the deployment of docs/deploy.md, brought up on this machine by
``deploy/local-cluster.sh``.

The cluster is started in a temporary folder; the store gets the demo actuals, the landmark
projects' monthly reports (``bench_web.build_store``) and USERS city analysts, each its own
account, each signed in through the form via nginx like a browser (one session per user). wrk
then opens CONNECTIONS connections; every request is sent as the next user for the next page of
the mix (cockpit, indicator page, project list; ``sessions.lua``), a warm-up and the measured
run, for each worker count (``local-cluster.sh scale``) and each think time. Any response that
is not 2xx (a redirect to /login included) makes the run a failure. Also measured: how long a
commit on the primary takes to be visible on the replica (the replica's lag, idle and right
after the load). ``--sqlite`` adds the single-process baseline: ``commerce-brain serve`` on
SQLite, one worker, no nginx, the same users and mix.

Figures and the command are in bench/README.md; wrap each run in ``flock /tmp/cb-bench.lock``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_web as web

HERE = Path(__file__).resolve().parent
CLUSTER = HERE.parent / "deploy" / "local-cluster.sh"
SESSIONS_LUA = HERE / "sessions.lua"
MIX = {"cockpit": "/", "indicator": web.PAGES["indicator"], "projects": web.PAGES["projects"]}


def add_users(database_url: str, n: int) -> tuple[list[str], str]:
    """``n`` city analysts (bench-user-0001 …), one password; returns their names and the password."""
    from commerce_brain.catalog import load_catalog
    from commerce_brain.store.accounts import create_user
    from commerce_brain.store.schema import connect

    catalog, engine = load_catalog(), connect(database_url)
    password = "Bench-users-" + os.urandom(6).hex()
    names = [f"bench-user-{i:04d}" for i in range(1, n + 1)]
    for name in names:
        create_user(engine, username=name, password=password, role="city_analyst", display_name=name,
                    catalog=catalog)
    engine.dispose()
    return names, password


def sign_in_all(port: int, names: list[str], password: str, folder: Path) -> Path:
    """Every user signed in through the form (via nginx when ``port`` is its); the Cookie headers
    in a file, one per line, for ``sessions.lua``."""
    cookies = [web.sign_in(port, password, name, check=False) for name in names]
    for path in MIX.values():  # each page answers 200 for a user before the load starts
        if web.request(port, "GET", path, cookie=cookies[-1]).status != 200:
            raise RuntimeError(f"{path} does not answer 200 after sign-in")
    found = folder / "cookies.txt"
    found.write_text("\n".join(cookies) + "\n")
    return found


def replica_lag_ms(primary_url: str, replica_url: str, samples: int = 20) -> list[float]:
    """Milliseconds from a commit on the primary until the replica shows it (polled every 0.2 ms)."""
    from sqlalchemy import create_engine, text

    primary = create_engine(primary_url, isolation_level="AUTOCOMMIT")
    replica = create_engine(replica_url, isolation_level="AUTOCOMMIT")
    found = []
    with primary.connect() as p, replica.connect() as r:
        p.execute(text("CREATE TABLE IF NOT EXISTS bench_lag_probe (n integer)"))
        for n in range(samples):
            p.execute(text("INSERT INTO bench_lag_probe VALUES (:n)"), {"n": n})
            start = time.perf_counter()
            while True:
                try:
                    if r.execute(text("SELECT count(*) FROM bench_lag_probe WHERE n = :n"), {"n": n}).scalar():
                        break
                except Exception:  # noqa: BLE001 — the table itself not replicated yet
                    r.rollback()
                time.sleep(0.0002)
            found.append((time.perf_counter() - start) * 1000)
    primary.dispose()
    replica.dispose()
    return found


def run_mix(port: int, cookies: Path, args, think: int) -> dict:
    options = {"connections": args.connections, "threads": args.threads, "timeout": args.timeout, "think": think,
               "script": SESSIONS_LUA, "extra": (",".join(MIX[p] for p in args.pages),)}
    web.wrk(port, "/", f"@{cookies}", duration=args.warmup, **options)
    return web.wrk(port, "/", f"@{cookies}", duration=args.duration, **options)


def line(setup: str, workers: int, think: int, r: dict) -> str:
    failed = r["non2xx"] or r["socket_errors"] or r["timeouts"] or not r["requests"]
    return (f"{setup:<22} {workers:>7} {think:>8} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} {r['requests']:>9,} {r['non2xx']:>7} {r['socket_errors']:>6} {r['timeouts']:>8}"
            f"{'  FAILED' if failed else ''}")


HEADER = (f"{'setup':<22} {'workers':>7} {'think ms':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'requests':>9} {'non-2xx':>7} {'errors':>6} {'timeouts':>8}")


def cluster(command: str, *args: str) -> None:
    """``deploy/local-cluster.sh`` with this Python's ``commerce-brain`` (and its PYTHONPATH)."""
    env = {"COMMERCE_BRAIN_BIN": str(Path(sys.executable).parent / "commerce-brain"), **os.environ}
    subprocess.run([str(CLUSTER), command, *args], check=True, stdout=subprocess.DEVNULL, env=env)


def env_of(folder: Path) -> dict[str, str]:
    pairs = (shlex.split(x)[0].split("=", 1) for x in (folder / "cluster.env").read_text().splitlines() if x)
    return dict(pairs)


def measure_cluster(args, folder: Path) -> list[dict]:
    results = []
    start = time.perf_counter()
    cluster("up", str(folder), str(args.workers[0]), str(args.port))
    try:
        env = env_of(folder)
        web.build_store(env["PRIMARY_URL"])
        names, password = add_users(env["PRIMARY_URL"], args.users)
        print(f"replica lag before the load, ms (median, max of 20 commits): {_lag(env)}", flush=True)
        cookies = sign_in_all(args.port, names, password, folder)
        print(f"(cluster up, store built, {args.users} users signed in: {time.perf_counter() - start:.0f} s)", flush=True)
        for i, workers in enumerate(args.workers):
            if i:
                cluster("scale", str(folder), str(workers))
            for think in args.think:
                r = run_mix(args.port, cookies, args, think)
                results.append(r)
                print(line("nginx+pg+replica", workers, think, r), flush=True)
        print(f"replica lag after the load, ms (median, max of 20 commits): {_lag(env)}", flush=True)
    finally:
        cluster("down", str(folder))
    return results


def _lag(env: dict[str, str]) -> str:
    lags = replica_lag_ms(env["PRIMARY_URL"], env["REPLICA_URL"])
    return f"{statistics.median(lags):.2f}, {max(lags):.2f}"


def measure_sqlite(args, folder: Path) -> list[dict]:
    url = f"sqlite:///{folder}/bench.sqlite3"
    web.build_store(url)
    names, password = add_users(url, args.users)
    server = web.Server(url, 1)
    results = []
    try:
        cookies = sign_in_all(server.port, names, password, folder)
        for think in args.think:
            r = run_mix(server.port, cookies, args, think)
            results.append(r)
            print(line("sqlite, no nginx", 1, think, r), flush=True)
    finally:
        server.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", nargs="+", type=int, default=[2, 4])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pages", nargs="+", default=list(MIX), choices=list(MIX))
    parser.add_argument("--think", nargs="+", type=int, default=[1000, 0],
                        help="ms each user pauses between clicks (uniform from half to 1.5×); 0: saturation")
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--warmup", default="5s")
    parser.add_argument("--timeout", default="10s")
    parser.add_argument("--port", type=int, default=8090, help="nginx's port")
    parser.add_argument("--sqlite", action="store_true", help="only the SQLite single-worker baseline")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}; "
          f"{args.users} users, wrk -c {args.connections} -t {args.threads} -d {args.duration} (after a "
          f"{args.warmup} warm-up); pages {', '.join(args.pages)} in turn", flush=True)
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="cb-bench-cluster-") as folder:
        root = Path(folder)
        if os.geteuid() == 0:  # the PostgreSQL servers run as `postgres` and need to enter it
            root.chmod(0o755)
        results = measure_sqlite(args, root) if args.sqlite else measure_cluster(args, root)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    failed = [r for r in results if r["non2xx"] or r["socket_errors"] or r["timeouts"] or not r["requests"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
