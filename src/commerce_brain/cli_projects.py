"""`commerce-brain projects …`: project tracking (项目推进) commands."""

from __future__ import annotations

import json

import polars as pl
import typer

from .cli_common import Format, FormatOpt, err, out

projects_app = typer.Typer(help="项目推进 Project tracking: the landmark projects, lint, reports, status and lights.",
                           no_args_is_help=True)

LIST_JSON_COLUMNS = ["id", "name_zh", "column", "start_year", "end_year", "total_investment",
                     "plan_period_investment", "responsible_unit", "org_unit", "citation"]


def load_project_catalog_or_exit(extra: pl.DataFrame | None = None):
    """The project catalog (with ``extra`` imported projects), or the catalog's fault and exit 2."""
    from .catalog import CatalogError
    from .projects.catalog import load_project_catalog

    try:
        return load_project_catalog(extra)
    except CatalogError as exc:
        err.print(f"项目目录有误：{exc}", markup=False, highlight=False, soft_wrap=True, style="red")
        raise typer.Exit(2) from None


def projects_in_yi(projects: pl.DataFrame) -> pl.DataFrame:
    """The projects frame with its amounts in 亿元 for JSON (``total_investment``, ``plan_period_investment``)."""
    from .projects.amounts import wan_to_yi_float

    return projects.with_columns(wan_to_yi_float(pl.col("total_investment_wan")).alias("total_investment"),
                                 wan_to_yi_float(pl.col("plan_period_investment_wan")).alias("plan_period_investment"))


@projects_app.command("list")
def projects_list(fmt: FormatOpt = Format.table) -> None:
    """项目清单 The 58 landmark projects of 专栏13–16 with years, investment (亿元), unit and citation."""
    from .projects.amounts import wan_to_yi_text
    from .render import json_records, simple_table

    catalog = load_project_catalog_or_exit()
    projects = catalog.projects
    if fmt is Format.json:
        out.print_json(json_records(projects_in_yi(projects), LIST_JSON_COLUMNS))
        return
    names = _org_names()
    shown = projects.with_columns(wan_to_yi_text(pl.col("total_investment_wan")).alias("t"),
                                  wan_to_yi_text(pl.col("plan_period_investment_wan")).alias("p"))
    for column, title in catalog.columns.items():
        part = shown.filter(pl.col("column") == column)
        simple_table(f"专栏{column} {title}（{part.height} 个）",
                     ["编号", "项目", "年份", "总投资（亿元）", "“十四五”计划投资（亿元）", "责任单位", "所在地区"],
                     [[r["id"], r["name_zh"], f"{r['start_year']}–{r['end_year']}", r["t"], r["p"],
                       r["responsible_unit"], names.get(r["org_unit"], r["org_unit"])]
                      for r in part.iter_rows(named=True)], out)


def _org_names() -> dict[str, str]:
    from .cli_common import load_catalog_or_exit

    return {u.code: u.name_zh for u in load_catalog_or_exit().org_units}


@projects_app.command("lint")
def projects_lint(fmt: FormatOpt = Format.table) -> None:
    """项目体检 The projects against the totals the text states (58 个, 2416 亿, 1368 亿), per 专栏
    sums, plan-period investment above the total, years outside 2021–2025."""
    from .projects.lint import JSON_COLUMNS, SEVERITY_ZH, lint_projects
    from .render import json_records

    findings = lint_projects(load_project_catalog_or_exit())
    if fmt is Format.json:
        out.print_json(json_records(findings, JSON_COLUMNS))
        return
    counts = findings.group_by("severity").len()
    count = dict(zip(counts["severity"], counts["len"]))
    out.print(f"[bold]项目体检：错误 {count.get('error', 0)} 处，提示 {count.get('note', 0)} 处，"
              f"信息 {count.get('info', 0)} 条[/]\n")
    for n, row in enumerate(findings.iter_rows(named=True), start=1):
        out.print(f"[bold]{n}. 【{SEVERITY_ZH[row['severity']]}】{row['scope']}[/]（{row['check']}）", highlight=False)
        out.print(f"   {row['message']}", highlight=False)
        out.print(f"   出处：{row['citation']}\n", highlight=False, style="dim")
