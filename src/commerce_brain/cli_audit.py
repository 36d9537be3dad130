"""`commerce-brain audit …`: verify the hash chain of the audit log, list its events."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .cli_common import DataDirOpt, DbOpt, Format, FormatOpt, open_store, out

audit_app = typer.Typer(help="审计日志 Audit log: verify the chain, list events.", no_args_is_help=True)

LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, help="How many of the newest events.")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Only this actor's events.")]
ActionOpt = Annotated[str | None, typer.Option("--action", help="Only this action, e.g. import.")]


def _open(db: str | None, data_dir):
    # Imported before connecting so the audit tables are registered on the schema's metadata.
    from .store import audit

    return audit, open_store(db, data_dir, reads_only=True)


@audit_app.command("verify")
def audit_verify(db: DbOpt = None, data_dir: DataDirOpt = None, fmt: FormatOpt = Format.table) -> None:
    """校验 Walk the hash chain; print every edited, deleted or inserted event. Exit 1 on any problem."""
    audit, engine = _open(db, data_dir)
    report = audit.verify(engine)
    engine.dispose()
    if fmt is Format.json:
        problems = [p._asdict() for p in report.problems]
        out.print_json(json.dumps({"ok": report.ok, "events": report.events, "problems": problems},
                                  ensure_ascii=False))
    else:
        out.print(str(report), markup=False, highlight=False, soft_wrap=True,
                  style="green" if report.ok else "red")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("list")
def audit_list(limit: LimitOpt = 20, actor: ActorOpt = None, action: ActionOpt = None, db: DbOpt = None,
               data_dir: DataDirOpt = None, fmt: FormatOpt = Format.table) -> None:
    """事件 The newest events, newest first."""
    from .render import simple_table

    audit, engine = _open(db, data_dir)
    rows = audit.events(engine, limit=limit, actor=actor, action=action)
    engine.dispose()
    if fmt is Format.json:
        data = [{**r, "at": r["at"].isoformat(timespec="microseconds")} for r in rows]
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    simple_table(f"审计事件（最新 {len(rows)} 条）",
                 ["#", "时间（UTC）", "操作人", "动作", "对象", "详情", "哈希"],
                 [[r["id"], r["at"].strftime("%Y-%m-%d %H:%M:%S"), r["actor"], r["action"], r["object"],
                   json.dumps(r["detail"], ensure_ascii=False), r["hash"][:12]] for r in rows], out)
