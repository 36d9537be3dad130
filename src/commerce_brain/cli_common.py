"""What every command group shares: consoles, output formats, options, and the loaders."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

out = Console()
if not out.is_terminal:
    # Piped or logged output keeps whole rows rather than wrapping them at 80 columns.
    out = Console(width=160)
err = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table for people, json for scripts.")]
DbOpt = Annotated[str | None, typer.Option("--db", envvar="COMMERCE_BRAIN_DATABASE_URL",
                                           help="Database URL; default: SQLite in the data directory.")]
# No square brackets in help texts: the rich markup of --help would take "[default: …]" for a tag
# and drop it.
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", envvar="COMMERCE_BRAIN_DATA_DIR",
                                                 help="Data directory for the default SQLite store "
                                                      "(default: ./data; the demo's is ./data/demo).")]
YearOpt = Annotated[int, typer.Option("--year", "-y", help="Evaluation year, e.g. 2023.")]
OrgOpt = Annotated[str | None, typer.Option("--org-unit", help="Org unit: its code (GB/T 2260) or Chinese name, "
                                                             "e.g. 330802 or 柯城区.")]
ActualsOpt = Annotated[Path | None, typer.Option("--actuals", exists=True, dir_okay=False,
                                                 help="CSV/XLSX of actuals laid over the stored ones for this run only.")]
AheadOpt = Annotated[float, typer.Option("--ahead", help="Ratio r at or above which an indicator is 快于预期.")]
OnTrackOpt = Annotated[float, typer.Option("--on-track", help="Ratio r at or above which it is 基本符合预期 (below: 滞后).")]
AsOfOpt = Annotated[bool, typer.Option("--as-of", help="Also evaluate plans that ended before the year, in their last year.")]


def load_catalog_or_exit():
    from .catalog import CatalogError, load_catalog

    try:
        return load_catalog()
    except CatalogError as exc:
        err.print(f"[red]目录文件有误：[/]{exc}")
        raise typer.Exit(2) from None


def store_url(db: str | None, data_dir: Path | None) -> str:
    """The database URL a command uses: --db, then the environment, then the data directory."""
    from .settings import Settings

    return Settings.from_env(database_url=db, data_dir=data_dir).database_url


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for another database (or SQLite in memory)."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    return Path(path) if path and path != ":memory:" else None


def announce_store(url: str) -> Path | None:
    """Say on stderr which store this command uses (stdout stays clean for JSON), and warn when
    a SQLite file is missing. Returns the missing file, if it is."""
    from sqlalchemy.engine import make_url

    file = sqlite_file(url)
    if file is None:
        err.print(f"数据库：{make_url(url).render_as_string(hide_password=True)}", markup=False,
                  highlight=False, soft_wrap=True)
        return None
    err.print(f"数据库：{file.resolve()}", markup=False, highlight=False, soft_wrap=True)
    if file.exists():
        return None
    hint = ""
    demo = file.parent / "demo" / file.name
    if demo.exists():
        hint = f"；演示数据库在 {demo}，加 --data-dir {demo.parent} 即可使用"
    err.print(f"提示：数据库文件不存在，按空库处理{hint}",
              markup=False, highlight=False, soft_wrap=True, style="yellow")
    return file


def open_store(db: str | None, data_dir: Path | None, *, reads_only: bool = False):
    """An engine on the command's store, named on stderr. A command that only reads does not
    create a missing SQLite file: it reads an empty store in memory instead, and says so."""
    from .store.schema import connect

    url = store_url(db, data_dir)
    missing = announce_store(url)
    return connect("sqlite://" if missing and reads_only else url)


def read_actuals_or_exit(path: Path, catalog):
    """An overlay of actuals for one run (``--actuals``): nothing is imported, so a refusal says so."""
    return check_actuals_or_exit(path, catalog, imports=False).frame


def check_actuals_or_exit(path: Path, catalog, *, imports: bool = True, **options):
    """``check_actuals`` (the rows and the warnings), or the rejection printed and exit 1."""
    from .io.actuals_import import ImportRejected, check_actuals

    with progress() as bar:
        bar.add_task(f"读取并校验 {path.name}", total=None)
        try:
            return check_actuals(path, catalog, **options)
        except ImportRejected as exc:
            print_rejection(exc, imported=imports)
            raise typer.Exit(1) from None


def print_rejection(exc, *, imported: bool) -> None:
    """A refused file's report on stderr, headed by what was (not) done with it."""
    err.print(exc.report(imported=imported), markup=False, highlight=False, soft_wrap=True, style="red")


def warn(message: str) -> None:
    """A warning on stderr: the answer on stdout is empty or partial, and this says why."""
    err.print(f"提示：{message}", markup=False, highlight=False, soft_wrap=True, style="yellow")


def progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err, transient=True)


def thresholds_or_exit(ahead: float, on_track: float):
    from .indicators.status import Thresholds

    try:
        return Thresholds(ahead=ahead, on_track=on_track)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def check_org_unit(catalog, org_unit: str | None) -> str | None:
    """The org unit's code, given its code or its Chinese name (柯城区); unknown ones are refused."""
    if org_unit is None:
        return None
    names = catalog.org_unit_names()
    by_name = {name: code for code, name in names.items()}
    if org_unit in names or org_unit in by_name:
        return by_name.get(org_unit, org_unit)
    known = "、".join(f"{c} {n}" for c, n in names.items())
    raise typer.BadParameter(f"未知的地区“{org_unit}”；可选：{known}", param_hint="--org-unit")


def month_or_exit(month: str) -> str:
    """``month`` if it is YYYY-MM, else the refusal of the --month option (exit 2)."""
    from .projects.schedule import parse_month

    try:
        parse_month(month)
    except ValueError:
        raise typer.BadParameter(f"月份“{month}”无效：应为 YYYY-MM，如 2023-10", param_hint="--month") from None
    return month
