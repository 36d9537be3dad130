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
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", envvar="COMMERCE_BRAIN_DATA_DIR",
                                                 help="Data directory for the default SQLite store [default: ./data].")]
YearOpt = Annotated[int, typer.Option("--year", "-y", help="Evaluation year, e.g. 2023.")]
OrgOpt = Annotated[str | None, typer.Option("--org-unit", help="Org unit code (GB/T 2260), e.g. 330802 柯城区.")]
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
        err.print(f"[red]目录文件有误 catalog error:[/] {exc}")
        raise typer.Exit(2) from None


def open_store(db: str | None, data_dir: Path | None):
    from .settings import Settings
    from .store.schema import connect

    return connect(Settings.from_env(database_url=db, data_dir=data_dir).database_url)


def read_actuals_or_exit(path: Path, catalog):
    return check_actuals_or_exit(path, catalog).frame


def check_actuals_or_exit(path: Path, catalog, **options):
    """``check_actuals`` (the rows and the warnings), or the rejection printed and exit 1."""
    from .io.actuals_import import ImportRejected, check_actuals

    with progress() as bar:
        bar.add_task(f"读取并校验 {path.name}", total=None)
        try:
            return check_actuals(path, catalog, **options)
        except ImportRejected as exc:
            err.print(str(exc), markup=False, highlight=False, soft_wrap=True, style="red")
            raise typer.Exit(1) from None


def progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err, transient=True)


def thresholds_or_exit(ahead: float, on_track: float):
    from .indicators.status import Thresholds

    try:
        return Thresholds(ahead=ahead, on_track=on_track)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def check_org_unit(catalog, org_unit: str | None) -> None:
    if org_unit is not None and org_unit not in catalog.org_unit_names():
        known = ", ".join(f"{c} {n}" for c, n in catalog.org_unit_names().items())
        raise typer.BadParameter(f"unknown org unit {org_unit!r}; known: {known}", param_hint="--org-unit")
