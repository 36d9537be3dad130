"""`commerce-brain warning …`: the early-warning engines (预警监测) — scan a month, import and
template the data files of each kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import (
    DataDirOpt, DbOpt, Format, FormatOpt, err, load_catalog_or_exit, month_or_exit, open_store, out, print_rejection,
    progress,
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
    from .warning.scan import CONTRACT_KEYS, scan_file

    month = month_or_exit(month)
    catalog, orders = load_catalog_or_exit(), _orders_catalog()
    if orders_file is not None:
        try:
            rows = scan_file(orders_file, catalog, orders, month)
        except ImportRejected as exc:
            print_rejection(exc, imported=False)
            raise typer.Exit(1) from None
    else:
        from .orders_board import scan_stored

        rows = scan_stored(open_store(db, data_dir, reads_only=True), orders, month)
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
    kind: Annotated[str, typer.Argument(help="Kind of data: orders, retail, supply, remedies, country_risk.")],
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


@warning_app.command("import")
def warning_import(
    kind: Annotated[str, typer.Argument(help="Kind of data: orders, retail, supply, remedies, country_risk.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report what would change; store nothing.")] = False,
    user: Annotated[str | None, typer.Option("--user", help="Who imports (recorded in the import log).")] = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """导入数据 Validate a file and store it (all or nothing; a month imported again is a new version),
    then raise the warnings of its latest month."""
    import getpass
    from datetime import date

    from .io.actuals_import import ImportRejected
    from .store.enterprise_imports import source_digest

    entry = _kind(kind)
    catalog = load_catalog_or_exit()
    with progress() as bar:
        bar.add_task(f"读取并校验 {file.name}", total=None)
        try:
            parsed = entry.read(file, catalog)
        except ImportRejected as exc:
            print_rejection(exc, imported=True)
            raise typer.Exit(1) from None
    engine = open_store(db, data_dir, reads_only=dry_run)
    raised = None
    if dry_run:
        counts = entry.plan(engine, parsed)
    else:
        counts, raised = entry.store(engine, parsed, actor=user or getpass.getuser(), file_name=file.name,
                                     sha256=source_digest(file), today=date.today())
    warnings = {"new": raised.new, "unchanged": raised.unchanged} if raised else None
    if fmt is Format.json:
        out.print_json(json.dumps({"kind": kind, "file": str(file), "dry_run": dry_run, **counts,
                                   "warnings": warnings}, ensure_ascii=False))
        return
    verb = "将" if dry_run else "已"
    out.print(f"{file.name}：{counts['rows']} 行通过校验；{verb}新增 {counts['new']}，{verb}更新 {counts['changed']}，"
              f"未变 {counts['unchanged']}。" + ("（试运行，未写入）" if dry_run else
                                                 f"预警：新发出 {raised.new} 条，已有 {raised.unchanged} 条。"),
              highlight=False)


@warning_app.command("list")
def warning_list(
    status: Annotated[str | None, typer.Option(
        "--status", help="Only this state: open, acknowledged, action_taken, escalated, closed.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this engine, e.g. orders.")] = None,
    month: Annotated[str | None, typer.Option("--month", "-m", help="Only the warnings of this month YYYY-MM.")] = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """预警清单 The stored warnings of every engine, with their owner, due date and state."""
    from . import followup as fu
    from .access import Scope

    if status is not None and status not in fu.STATE_ZH:
        raise typer.BadParameter("状态无效；可选：" + "、".join(f"{k} {v}" for k, v in fu.STATE_ZH.items()),
                                 param_hint="--status")
    if source is not None and source not in fu.SOURCE_ZH:
        raise typer.BadParameter("来源无效；可选：" + "、".join(f"{k} {v}" for k, v in fu.SOURCE_ZH.items()),
                                 param_hint="--source")
    found = fu.list_warnings(open_store(db, data_dir, reads_only=True), Scope(), source=source, state=status,
                             period=month_or_exit(month) if month else None)
    if fmt is Format.json:
        out.print_json(json.dumps(fu.json_rows(found), ensure_ascii=False))
        return
    from .render import simple_table

    out.print(f"[bold]预警 {found.height} 条[/]", highlight=False)
    simple_table("预警（新的在前）", ["编号", "来源", "级别", "类型", "对象", "责任单位", "原因", "期限", "状态"],
                 [[str(r["id"]), fu.SOURCE_ZH[r["source"]], fu.LEVEL_ZH[r["level"]], fu.detector_zh(r["detector"]),
                   r["subject_name"], r["responsible_unit"] or "—", r["reason"], str(r["due_date"]),
                   fu.STATE_ZH[r["state"]]] for r in found.iter_rows(named=True)], out)
