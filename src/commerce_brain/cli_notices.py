"""`commerce-brain policy notices …`: the 站内消息 gateway file (nothing is sent from the platform)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import DataDirOpt, DbOpt, err, open_store, out

notices_app = typer.Typer(help="站内消息 Notices to enterprises: the SMS / 浙政钉 gateway export.", no_args_is_help=True)


@notices_app.command("export")
def notices_export(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.csv for the gateway's import.")],
    user: Annotated[str | None, typer.Option("--user", help="Who exports (recorded in the audit log).")] = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """网关导出 Write the notices not yet exported as the gateway's CSV (UTF-8 with BOM; columns
    统一社会信用代码, 企业名称, 消息内容, 链接; formula-like cells neutralised) and mark them exported."""
    from .notices import export_pending

    if out_file.suffix.lower() != ".csv":
        raise typer.BadParameter(f"网关文件是 CSV，文件名应以 .csv 结尾，实际是 {out_file.name}", param_hint="--out")
    if out_file.exists():
        # The notices are marked exported: a file written over would lose the earlier ones for good.
        err.print(f"[red]{out_file} 已存在，请换一个文件名（已导出的消息不会再次导出）[/]")
        raise typer.Exit(1)
    engine = open_store(db, data_dir)
    content, count = export_pending(engine, user=user or getpass.getuser())
    if not count:
        out.print("没有待导出的消息，未写文件")
        return
    out_file.write_bytes(content)
    out.print(f"已导出 {count} 条消息到 {out_file}")
