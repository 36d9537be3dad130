"""`commerce-brain projects …`: project tracking (项目推进) commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from .cli_common import (
    DataDirOpt, DbOpt, Format, FormatOpt, OrgOpt, check_org_unit, err, load_catalog_or_exit, month_or_exit, open_store,
    out, print_rejection, progress,
)

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
    return {u.code: u.name_zh for u in load_catalog_or_exit().org_units}


@projects_app.command("lint")
def projects_lint(fmt: FormatOpt = Format.table) -> None:
    """项目体检 The projects against the totals the text states (58 个, 2416 亿, 1368 亿), per 专栏
    sums, plan-period investment above the total, years outside 2021–2025."""
    from .projects.lint import CHECK_ZH, JSON_COLUMNS, SEVERITY_ZH, lint_projects
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
        out.print(f"[bold]{n}. 【{SEVERITY_ZH[row['severity']]}】{row['scope']}[/]（{CHECK_ZH.get(row['check'], '其他检查')}）", highlight=False)
        out.print(f"   {row['message']}", highlight=False)
        out.print(f"   出处：{row['citation']}\n", highlight=False, style="dim")


MonthOpt = Annotated[str, typer.Option("--month", "-m", help="Month YYYY-MM, e.g. 2023-10.")]
ReportsOpt = Annotated[Path | None, typer.Option(
    "--reports", exists=True, help="CSV/XLSX (or folder) of reports laid over the stored ones for this run only.")]
STATUS_JSON_COLUMNS = ["id", "light", "schedule_gap", "reason"]


def _read_reports_or_exit(source: Path, engine, *, imports: bool):
    """A reports file checked against the catalog and the store, or its rejection printed and exit 1."""
    from .io.actuals_import import ImportRejected
    from .io.project_reports_import import read_project_reports
    from .project_tracking import tracked_catalog
    from .store.project_tables import newest_reports

    catalog = load_catalog_or_exit()
    with progress() as bar:
        bar.add_task(f"读取并校验 {source.name}", total=None)
        try:
            return read_project_reports(source, catalog, tracked_catalog(engine).projects,
                                        stored=newest_reports(engine))
        except ImportRejected as exc:
            print_rejection(exc, imported=imports)
            raise typer.Exit(1) from None


@projects_app.command("import")
def projects_import(
    source: Annotated[Path, typer.Argument(exists=True, help="CSV or XLSX of monthly reports, or a folder of CSV files.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report what would change; store nothing.")] = False,
    user: Annotated[str | None, typer.Option("--user", help="Who imports (recorded in the import log).")] = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """导入项目进度 Validate a reports file and store it (all or nothing, versioned, audited).

    Columns project, month, annual_plan_yi, completed_ytd_yi, stage (amounts in 亿元), optional
    completed_month_yi, image_progress, problems, problem_owner; an XLSX sheet 项目 (or
    projects.csv in a folder) adds 重点项目 beyond the 58."""
    import getpass
    import hashlib

    from .project_intake import import_reports
    from .store.project_tables import plan_reports

    engine = open_store(db, data_dir, reads_only=dry_run)
    checked = _read_reports_or_exit(source, engine, imports=True)
    raised = None
    if dry_run:
        saved = plan_reports(engine, checked.reports, checked.projects)
    else:
        digest = hashlib.sha256(source.read_bytes()).hexdigest() if source.is_file() else _folder_digest(source)
        saved, raised = import_reports(engine, checked, actor=user or getpass.getuser(),
                                       import_meta={"file_name": source.name, "sha256": digest})
    result = {"file": str(source), "dry_run": dry_run, "import_id": saved.import_id, "counts": saved.counts,
              "warnings": {"new": raised.new, "unchanged": raised.unchanged} if raised else {"new": 0, "unchanged": 0}}
    if fmt is Format.json:
        out.print_json(json.dumps(result, ensure_ascii=False))
        return
    verb = "将" if dry_run else "已"
    for table, label in (("reports", "月度进度"), ("projects", "重点项目")):
        c = saved.counts[table]
        out.print(f"{source.name}：{label}{verb}新增 {c['new']}，{verb}修订 {c['revised']}，未变 {c['unchanged']}",
                  highlight=False)
    if dry_run:
        out.print("（试运行，未写入）")
    elif raised:
        out.print(f"{checked.reports['month'].max()} 预警：新发出 {raised.new} 条，已有 {raised.unchanged} 条",
                  highlight=False)


def _folder_digest(folder: Path) -> str:
    """One SHA-256 over a folder's CSV files, in name order (name and bytes of each)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv"):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


@projects_app.command("template")
def projects_template(
    out_file: Annotated[Path, typer.Argument(help="Where to write the template (.xlsx).")],
    sample: Annotated[bool, typer.Option("--sample", help="Fill in the sample reports of 2023-10 (every light).")] = False,
) -> None:
    """项目进度模板 Write the reports template (with --sample: the README's sample month)."""
    from .io.project_reports_template import write_project_reports_template

    if out_file.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"模板须为 .xlsx 工作簿：{out_file.name}", param_hint="OUT")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_project_reports_template(out_file, load_project_catalog_or_exit().projects, sample=sample)
    out.print(f"已写出 {out_file}", highlight=False, soft_wrap=True)


@projects_app.command("status")
def projects_status(
    month: MonthOpt,
    reports: ReportsOpt = None,
    org_unit: OrgOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """项目推进 Every project's 序时进度 and light for a month, from the stored reports (with
    --reports laid over them for this run; nothing is stored)."""
    from .project_tracking import month_status
    from .render import json_records

    month = month_or_exit(month)
    catalog = load_catalog_or_exit()
    code = check_org_unit(catalog, org_unit)
    engine = open_store(db, data_dir, reads_only=True)
    overlay = _read_reports_or_exit(reports, engine, imports=False) if reports else None
    _, status = month_status(engine, month, overlay=overlay,
                             org_units=frozenset(catalog.subtree(code)) if code else None)
    if fmt is Format.json:
        out.print_json(json_records(status, STATUS_JSON_COLUMNS))
        return
    _status_tables(status, month)


def _status_tables(status: pl.DataFrame, month: str) -> None:
    from .projects.amounts import wan_to_yi_text
    from .projects.rollup import rollup
    from .projects.schedule import LIGHT_ZH
    from .render import simple_table

    counts = dict(status.group_by("light").len().iter_rows())
    out.print("[bold]" + f"{month} 项目推进：共 {status.height} 个项目，" + "，".join(
        f"{LIGHT_ZH[light]} {counts.get(light, 0)}" for light in LIGHT_ZH) + "[/]", highlight=False)
    order = {"red": 0, "yellow": 1, "green": 2, "none": 3}
    shown = (status.with_columns(pl.col("light").replace_strict(order).alias("_o"),
                                 wan_to_yi_text(pl.col("annual_plan_wan")).alias("plan"),
                                 wan_to_yi_text(pl.col("completed_ytd_wan")).alias("ytd"))
             .sort(["_o", "schedule_gap", "id"], nulls_last=True))
    simple_table("项目（红灯在前）", ["编号", "项目", "责任单位", "灯", "年度计划（亿元）", "累计完成（亿元）", "原因"],
                 [[r["id"], r["name_zh"], r["responsible_unit"], LIGHT_ZH[r["light"]], r["plan"], r["ytd"], r["reason"]]
                  for r in shown.iter_rows(named=True)], out)
    by_column = rollup(status, "column")
    simple_table("按专栏汇总", ["专栏", "项目数", "绿灯", "黄灯", "红灯", "未报送", "年度计划（亿元）", "累计完成（亿元）"],
                 by_column.with_columns(wan_to_yi_text(pl.col("annual_plan_wan")).alias("p"),
                                        wan_to_yi_text(pl.col("completed_ytd_wan")).alias("c"))
                 .select(pl.when(pl.col("key").is_null()).then(pl.lit("重点项目"))
                         .otherwise(pl.format("专栏{}", pl.col("key"))), "projects", "green", "yellow", "red", "none",
                         "p", "c").rows(), out)


# 预警处置 lives with the warnings (one store for every engine); it is listed under `projects`.
from .cli_warnings import projects_warnings  # noqa: E402

projects_app.command("warnings")(projects_warnings)
