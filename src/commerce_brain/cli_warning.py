"""`commerce-brain warning …`: the early-warning engines (预警监测) — scan a month, import and
template the data files of each kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import (
    DataDirOpt, DbOpt, Format, FormatOpt, err, load_catalog_or_exit, month_or_exit, out, print_rejection,
)

warning_app = typer.Typer(help="Early warning (预警监测): scan a month, import and template the data files.",
                          no_args_is_help=True)

MonthOpt = Annotated[str, typer.Option("--month", "-m", help="The month to scan, YYYY-MM.")]
OrdersFileOpt = Annotated[Path | None, typer.Option(
    "--orders", exists=True, dir_okay=False,
    help="Scan this orders file (CSV or XLSX) for this run without storing it (like plans evaluate --actuals).")]


def _kind(code: str):
    from .warning.kinds import KINDS

    found = KINDS.get(code)
    if found is None:
        raise typer.BadParameter(f"未知的数据种类“{code}”；可选：" + "、".join(f"{k} {v.name_zh}" for k, v in KINDS.items()),
                                 param_hint="KIND")
    return found


def _orders_catalog():
    from .catalog import CatalogError
    from .warning.catalog import load_orders_catalog

    try:
        return load_orders_catalog()
    except CatalogError as exc:
        err.print(f"目录文件有误：{exc}", markup=False, style="red")
        raise typer.Exit(2) from None


@warning_app.command("scan")
def warning_scan(
    month: MonthOpt,
    orders_file: OrdersFileOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """预警扫描 The open warnings of a month: each enterprise's orders against its own history."""
    from .io.actuals_import import ImportRejected
    from .warning.scan import CONTRACT_KEYS, scan_file, scan_store

    month = month_or_exit(month)
    catalog, orders = load_catalog_or_exit(), _orders_catalog()
    if orders_file is not None:
        try:
            rows = scan_file(orders_file, catalog, orders, month)
        except ImportRejected as exc:
            print_rejection(exc, imported=False)
            raise typer.Exit(1) from None
    else:
        from .cli_common import open_store

        try:
            rows = scan_store(open_store(db, data_dir, reads_only=True), orders, month)
        except NotImplementedError as exc:
            err.print(str(exc), markup=False, style="red")
            raise typer.Exit(2) from None
    if fmt is Format.json:
        # The contract's keys, exactly: the enterprise's name is for the table.
        out.print_json(json.dumps([{k: r[k] for k in CONTRACT_KEYS} for r in rows], ensure_ascii=False))
        return
    from .followup import LEVEL_ZH, STATE_ZH, detector_zh
    from .render import simple_table

    out.print(f"[bold]{month} 订单+清单预警 {len(rows)} 条[/]", highlight=False)
    simple_table("预警", ["企业", "类型", "级别", "原因", "责任单位", "状态"],
                 [[r["name"], detector_zh(r["detector"]), LEVEL_ZH[r["level"]], r["message"], r["owner"] or "—",
                   STATE_ZH.get(r["status"], "待签收")] for r in rows], out)


@warning_app.command("template")
def warning_template(
    kind: Annotated[str, typer.Argument(help="Kind of data: orders.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.xlsx or FILE.csv.")],
    sample: Annotated[bool, typer.Option("--sample", help="Fill in the sample that shows every detector.")] = False,
) -> None:
    """导入模板 Write the import template of a kind of data (with --sample: the sample file)."""
    entry = _kind(kind)
    try:
        entry.write_template(out_file, load_catalog_or_exit(), sample=sample)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from None
    out.print(f"已写出{entry.name_zh}{'示例文件' if sample else '模板'} {out_file}", highlight=False)
