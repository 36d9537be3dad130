"""The command line: ``commerce-brain``. Thin wiring of the catalog, store and engines."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import DataDirOpt, announce_store, err, load_catalog_or_exit, out, progress, store_url
from .settings import DATA_DIR_ENV
from .cli_audit import audit_app
from .cli_db import db_app
from .cli_fdi import fdi_app
from .cli_grading import grading_app
from .cli_library import library_app
from .cli_plans import plans_app
from .cli_policy import policy_app
from .cli_projects import projects_app
from .cli_users import users_app
from .cli_warning import warning_app
from . import cli_market  # noqa: F401,E402  (adds warning market and warning supply to warning_app)
from . import cli_scale  # noqa: F401,E402  (adds policy scale to policy_app)

app = typer.Typer(help="商务大脑 Commerce Brain：规划监测与政策兑现。", no_args_is_help=True,
                  rich_markup_mode="rich")
app.add_typer(plans_app, name="plans")
app.add_typer(policy_app, name="policy")
projects_app.add_typer(fdi_app, name="fdi")  # the foreign-investment pipeline (外资项目全流程跟踪)
app.add_typer(projects_app, name="projects")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(warning_app, name="warning")  # early warning (预警监测)
app.add_typer(grading_app, name="grading")  # 亩均效益 grading and competitive allocation
app.add_typer(library_app, name="library")  # the policy library (政策工具箱)


@app.command("demo")
def demo(
    year: Annotated[int, typer.Option("--year", "-y", help="Evaluation year.")] = 2023,
    data_dir: DataDirOpt = None,
) -> None:
    """演示 Load the catalog and demo actuals into a fresh SQLite store, print the evaluation
    of every plan and write the reports."""
    settings, sample, example = _build_demo(data_dir, year)
    prog = _program()
    demo_dir = os.path.relpath(settings.data_dir)
    out.print("\n下一步：", highlight=False)
    for command in (f"{prog} serve --demo",
                    f"{prog} plans evaluate --year {year} --org-unit 330802 --explain --data-dir {demo_dir}",
                    f"{prog} plans lint",
                    f"{prog} projects status --month 2023-10 --reports {os.path.join(demo_dir, PROJECT_SAMPLE_FILE)}",
                    f"{prog} policy evaluate --data {os.path.relpath(sample)} --year {year}",
                    f"{prog} policy explain --data {os.path.relpath(sample)} --year {year} --uscc {example}",
                    f"{prog} --help"):
        out.print(f"  {command}", highlight=False, soft_wrap=True)


def _build_demo(data_dir: Path | None, year: int):
    """A fresh demo store in DATA_DIR/demo: the catalog, demo actuals, the evaluation of every
    plan (printed and written as reports) and the sample city's awards. Returns the demo's
    settings, the sample file and an enterprise worth explaining.

    Everything is built in a temporary folder beside it and moved in only when done, so a run
    that fails (a year no plan covers, Ctrl+C) leaves the previous demo as it was."""
    import shutil
    import tempfile

    from .settings import DATABASE_FILE, Settings

    target = Path(data_dir or os.environ.get("COMMERCE_BRAIN_DATA_DIR") or "data") / "demo"
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".demo-building-", dir=target.parent))
    try:
        example = _fill_demo(building, year)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target)
    building.replace(target)
    database = target / DATABASE_FILE
    out.print(f"\n演示数据库：{database.resolve()}", highlight=False, soft_wrap=True)
    out.print("报告：" + "，".join(str(target / f"evaluation-{year}.{s}") for s in ("html", "xlsx")),
              highlight=False, soft_wrap=True)
    settings = Settings(data_dir=target, database_url=f"sqlite:///{database.as_posix()}")
    return settings, target / SAMPLE_FILE, example


SAMPLE_FILE = "policy-sample.xlsx"


def _fill_demo(directory: Path, year: int) -> str:
    """Build the demo in ``directory``; returns an enterprise worth explaining. Exits 1 before
    writing anything when no plan covers the year."""
    from .cli_plans import no_plan_covers
    from .demo import demo_observations
    from .indicators.trajectory import trajectory
    from .io.report import write_report
    from .monitoring import evaluation_table, gather_observations
    from .render import evaluation_summary, evaluation_tables
    from .settings import DATABASE_FILE
    from .store.catalog_sync import sync_catalog
    from .store.observations import save_observations
    from .store.schema import connect

    catalog = load_catalog_or_exit()
    engine = connect(f"sqlite:///{(directory / DATABASE_FILE).as_posix()}")
    try:
        with progress() as bar:
            bar.add_task("载入目录与演示数据", total=None)
            sync_catalog(engine, catalog)
            save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="demo")
            observations = gather_observations(catalog, engine)
            evaluation = evaluation_table(catalog, observations, year, as_of=True)
        if evaluation.is_empty():
            err.print(no_plan_covers(catalog, year, as_of=True), markup=False, highlight=False, soft_wrap=True,
                      style="red")
            raise typer.Exit(1)
        evaluation_tables(evaluation, out)
        with progress() as bar:
            bar.add_task("写出报告", total=None)
            for suffix in ("html", "xlsx"):
                write_report(evaluation, trajectory(evaluation, observations), directory / f"evaluation-{year}.{suffix}",
                             year=year)
        out.print(f"\n[bold]{evaluation_summary(evaluation, year)}[/]")
    finally:
        engine.dispose()
    _project_demo(directory)
    _fdi_demo(directory)
    return _policy_demo(directory, year)


PROJECT_SAMPLE_FILE = "project-reports-sample.xlsx"


def _project_demo(directory: Path) -> None:
    """Write the sample project reports the README's walk imports (every light in 2023-10)."""
    from .cli_projects import load_project_catalog_or_exit
    from .io.project_reports_template import write_project_reports_template

    write_project_reports_template(directory / PROJECT_SAMPLE_FILE, load_project_catalog_or_exit().projects, sample=True)


FDI_SAMPLE_FILE = "fdi-sample.xlsx"


def _fdi_demo(directory: Path) -> None:
    """Write the sample foreign-investment pipeline the README's walk imports (its dates are set
    from today, so that it always shows yellow and red overdue stages)."""
    from .cli_fdi import _fdi_catalog
    from .io.fdi_template import write_fdi_template

    write_fdi_template(directory / FDI_SAMPLE_FILE, load_catalog_or_exit(), _fdi_catalog(), sample=True)


def _policy_demo(directory: Path, year: int) -> str:
    """Write the sample city, evaluate its awards, print the totals by rule; returns an
    enterprise worth explaining."""
    from .cli_policy import load_policies_or_exit, read_data_or_exit, run_engine_or_exit
    from .policy.award_table import totals
    from .policy.sample import write_sample
    from .render import simple_table

    catalog, policies = load_catalog_or_exit(), load_policies_or_exit()
    sample = directory / SAMPLE_FILE
    with progress() as bar:
        bar.add_task("生成示例企业数据", total=None)
        write_sample(sample, n_enterprises=300, seed=42, policies=policies)
    awards = run_engine_or_exit(read_data_or_exit(sample, catalog, policies), year, policies, catalog).awards
    summary = totals(awards, policies, catalog)
    simple_table(f"政策兑现示例：{year}年度 300 家示例企业，{summary['count']} 项奖补，合计 {summary['total_yuan']:,.2f} 元",
                 ["规则", "项数", "金额（元）"],
                 [[k, v["count"], f"{v['amount_yuan']:,.2f}"] for k, v in summary["by_rule"].items()], out)
    busiest = awards.group_by("uscc").len().sort(["len", "uscc"], descending=[True, False])
    return busiest["uscc"][0] if busiest.height else ""


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", envvar="COMMERCE_BRAIN_PORT", min=1, max=65535,
                                      help="Port (make demo PORT=8100 passes it on).")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (the web tier is stateless).")] = 1,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="Mark cookies Secure (behind HTTPS).")] = False,
    trust_proxy: Annotated[bool, typer.Option(
        "--trust-proxy", help="Behind a reverse proxy: take the client address and scheme from its "
                              "X-Forwarded-For / X-Forwarded-Proto headers.")] = False,
    demo: Annotated[bool, typer.Option("--demo", help="Start on a fresh demo store with one account per role.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """网页平台 Start the web platform (uvicorn); accounts come from `commerce-brain users add`,
    or with --demo one per role, printed with their passwords."""
    import uvicorn

    # Before the demo is rebuilt (tens of seconds): a busy port would only fail after it.
    _check_port_free(host, port)
    if demo:
        _start_demo_site(data_dir)
    else:
        # The workers build their app from the environment: --data-dir reaches them through it.
        if data_dir:
            os.environ[DATA_DIR_ENV] = str(data_dir)
        announce_store(store_url(None, data_dir))
    os.environ["COMMERCE_BRAIN_SECURE_COOKIES"] = "1" if secure_cookies else ""
    if trust_proxy:
        os.environ["COMMERCE_BRAIN_TRUST_PROXY"] = "1"
    out.print(f"\n商务大脑 http://{host}:{port}/  (API: /api/docs)  Ctrl+C 停止", highlight=False)
    # proxy_headers off: uvicorn would otherwise take X-Forwarded-* from local peers on its own;
    # the app reads them itself, only when told to trust the proxy (web/client.py).
    uvicorn.run("commerce_brain.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                proxy_headers=False)


def _check_port_free(host: str, port: int) -> None:
    """Exit 1 with a hint when nothing can listen on host:port (another server holds it)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise typer.BadParameter(f"无法解析主机名 {host}：{exc}", param_hint="--host") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option uvicorn sets: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            err.print(f"端口 {port} 已被占用（{host}）：换一个端口，如 --port {port + 100} "
                      f"或 make demo PORT={port + 100}", markup=False, highlight=False, soft_wrap=True, style="red")
            raise typer.Exit(1) from None


def _start_demo_site(data_dir: Path | None) -> None:
    """Build the demo store, create the demo accounts, print them, point the server at it."""
    from .demo_site import create_demo_accounts
    from .render import simple_table
    from .store.schema import connect

    from .cli_policy import load_policies_or_exit, read_data_or_exit
    from .fulfilment import save_policy_data

    settings, sample, example = _build_demo(data_dir, 2023)
    engine = connect(settings.database_url)
    catalog = load_catalog_or_exit()
    # The sample city's enterprises go into the store, so 政策兑现 can run its batch on them.
    save_policy_data(engine, read_data_or_exit(sample, catalog, load_policies_or_exit()), actor="demo",
                     file_name=sample.name)
    accounts = create_demo_accounts(engine, catalog, enterprise_uscc=example)
    engine.dispose()
    simple_table("演示账户（密码每次启动重新生成）", ["用户名", "角色", "范围", "密码", "先试试"],
                 [[a.username, a.role_zh, a.scope, a.password, a.try_first] for a in accounts], out)
    os.environ["COMMERCE_BRAIN_DATABASE_URL"] = settings.database_url


def _program() -> str:
    """How the user can call this command again: the path they ran, when it is a file."""
    invoked = Path(sys.argv[0])
    if invoked.name == "commerce-brain" and invoked.exists():
        return os.path.relpath(invoked)
    return "commerce-brain"


def main() -> None:
    """Entry point of the ``commerce-brain`` script."""
    app()


if __name__ == "__main__":
    main()
