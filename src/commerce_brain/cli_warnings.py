"""`commerce-brain projects warnings`: the warnings someone must answer (预警处置), listed and
filtered, and — with ``--raise`` — a month's project warnings raised first."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer

from .cli_common import (
    DataDirOpt, DbOpt, Format, FormatOpt, OrgOpt, check_org_unit, err, load_catalog_or_exit, month_or_exit, open_store,
    out,
)

WarningMonthOpt = Annotated[str | None, typer.Option(
    "--month", "-m", help="Only the warnings of this month YYYY-MM (required with --raise).")]
StateOpt = Annotated[str | None, typer.Option(
    "--state", help="Only this state: open, acknowledged, action_taken, escalated, closed.")]
RaiseOpt = Annotated[bool, typer.Option(
    "--raise", help="First raise the month's project warnings (yellow and red lights) from the stored reports; "
                    "raising a month twice adds nothing.")]


def projects_warnings(
    month: WarningMonthOpt = None,
    org_unit: OrgOpt = None,
    state: StateOpt = None,
    raise_first: RaiseOpt = False,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """预警处置 The warnings raised, with their owner, due date and state."""
    from . import followup as fu

    if state is not None and state not in fu.STATE_ZH:
        raise typer.BadParameter(f"状态“{state}”无效；可选：" + "、".join(f"{k} {v}" for k, v in fu.STATE_ZH.items()),
                                 param_hint="--state")
    if month is not None:
        month = month_or_exit(month)
    catalog = load_catalog_or_exit()
    code = check_org_unit(catalog, org_unit)
    if raise_first:
        if month is None:
            raise typer.BadParameter("--raise 须同时给出 --month", param_hint="--raise")
        from .followup.from_projects import raise_project_warnings

        raised = raise_project_warnings(open_store(db, data_dir), month, actor=f"cli:{getpass.getuser()}")
        # JSON goes to stdout alone; the count is for the person at the terminal.
        (out if fmt is Format.table else err).print(
            f"{month} 项目预警：新增 {raised.new} 条，已有 {raised.unchanged} 条", highlight=False)
    from .access import Scope

    engine = open_store(db, data_dir, reads_only=True)
    found = fu.list_warnings(engine, Scope(), state=state, period=month,
                             org_units=frozenset(catalog.subtree(code)) if code else None)
    if fmt is Format.json:
        out.print_json(json.dumps(fu.json_rows(found), ensure_ascii=False))
        return
    from .render import simple_table

    counts = fu.warning_counts(found)
    out.print(f"[bold]预警 {counts['total']} 条：" + "，".join(f"{fu.STATE_ZH[s]} {n}" for s, n in counts["by_state"].items())
              + f"；逾期未办结 {counts['overdue']} 条[/]", highlight=False)
    simple_table("预警（新的在前）", ["编号", "级别", "类型", "对象", "责任单位", "原因", "期限", "状态"],
                 [[str(r["id"]), fu.LEVEL_ZH[r["level"]], fu.detector_zh(r["detector"]), r["subject_name"],
                   r["responsible_unit"] or "—", r["reason"],
                   f"{r['due_date']}" + ("（逾期）" if r["overdue"] else ""), fu.STATE_ZH[r["state"]]]
                  for r in found.iter_rows(named=True)], out)
