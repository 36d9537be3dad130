"""`commerce-brain projects fdi …`: the foreign-investment pipeline (外资项目全流程跟踪)."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import (
    DataDirOpt,
    DbOpt,
    Format,
    FormatOpt,
    OrgOpt,
    check_org_unit,
    err,
    load_catalog_or_exit,
    open_store,
    out,
    print_rejection,
    progress,
)

fdi_app = typer.Typer(help="Foreign-investment pipeline (外资项目全流程跟踪): import, template, board, investors.",
                      no_args_is_help=True)

AsOfDateOpt = Annotated[str | None, typer.Option("--as-of", help="Review date YYYY-MM-DD (default: today).")]
CountryOpt = Annotated[str | None, typer.Option("--country", help="Investor's country or region: code or Chinese name.")]
IndustryOpt = Annotated[str | None, typer.Option("--industry", help="Industry: code or Chinese name.")]


def _fdi_catalog():
    from .projects.fdi_catalog import FdiCatalogError, load_fdi_catalog

    try:
        return load_fdi_catalog()
    except FdiCatalogError as exc:
        err.print(f"目录文件有误：{exc}", markup=False, style="red")
        raise typer.Exit(2) from None


def _as_of(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD，实为“{text}”", param_hint="--as-of") from None


def _code(vocabulary: dict[str, str], given: str | None, option: str) -> str | None:
    if given is None:
        return None
    by_name = {name: code for code, name in vocabulary.items()}
    if given in vocabulary or given in by_name:
        return by_name.get(given, given)
    raise typer.BadParameter(f"未知的取值“{given}”；可选：{'、'.join(vocabulary.values())}", param_hint=option)


def _read(view, as_of, org_unit, country, industry, db, data_dir):
    """``view`` (``fdi_board.board`` or ``investor_records``) over the whole stored pipeline, with
    the options checked; returns what it found and the FDI catalog."""
    from .access import Scope
    from .fdi_board import BoardFilters

    catalog, fdi = load_catalog_or_exit(), _fdi_catalog()
    filters = BoardFilters(check_org_unit(catalog, org_unit), _code(fdi.countries, country, "--country"),
                           _code(fdi.industries, industry, "--industry"))
    engine = open_store(db, data_dir, reads_only=True)
    return view(engine, Scope(), catalog, fdi, as_of=_as_of(as_of), filters=filters), fdi


@fdi_app.command("import")
def fdi_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX pipeline file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report what would change; store nothing.")] = False,
    user: Annotated[str | None, typer.Option("--user", help="Who imports (recorded in the import log).")] = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """导入外资项目 Validate a pipeline file and store it (all or nothing; a re-import is a new version)."""
    from .fdi_board import import_pipeline
    from .io.fdi_import import ImportRejected, read_fdi_pipeline
    from .store.enterprise_imports import source_digest
    from .store.fdi_tables import plan_fdi_import

    catalog, fdi = load_catalog_or_exit(), _fdi_catalog()
    with progress() as bar:
        bar.add_task(f"读取并校验 {file.name}", total=None)
        try:
            pipeline = read_fdi_pipeline(file, catalog, fdi)
        except ImportRejected as exc:
            print_rejection(exc, imported=True)
            raise typer.Exit(1) from None
    engine = open_store(db, data_dir, reads_only=dry_run)
    raised = None
    if dry_run:
        result = plan_fdi_import(engine, pipeline)
    else:
        result, raised = import_pipeline(engine, pipeline, fdi, actor=user or getpass.getuser(), file_name=file.name,
                                         sha256=source_digest(file), today=date.today())
    counts = result.counts()
    warnings = {"new": raised.new, "unchanged": raised.unchanged} if raised else None
    if fmt is Format.json:
        out.print_json(json.dumps({"file": str(file), "dry_run": dry_run, **counts, "import_id": result.import_id,
                                   "warnings": warnings}, ensure_ascii=False))
        return
    verb = "将" if dry_run else "已"
    out.print(f"{file.name}：{counts['rows']} 个项目通过校验；{verb}新增 {counts['new']}，{verb}更新 {counts['changed']}，"
              f"未变 {counts['unchanged']}。" + ("（试运行，未写入）" if dry_run else
                                                 f"环节逾期预警：新发出 {raised.new} 条，已有 {raised.unchanged} 条。"))


@fdi_app.command("template")
def fdi_template(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.xlsx or FILE.csv.")],
    sample: Annotated[bool, typer.Option("--sample", help="Fill in nine made-up projects that show overdue stages.")] = False,
) -> None:
    """导入模板 Write the pipeline import template (with --sample: a sample pipeline)."""
    from .io.fdi_template import write_fdi_template

    try:
        write_fdi_template(out_file, load_catalog_or_exit(), _fdi_catalog(), sample=sample)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from None
    out.print(f"已写出{'示例文件' if sample else '模板'} {out_file}")


@fdi_app.command("board")
def fdi_board_cmd(
    as_of: AsOfDateOpt = None,
    org_unit: OrgOpt = None,
    country: CountryOpt = None,
    industry: IndustryOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """全流程看板 The pipeline by stage, 落地率 and 到资率 per county, and the overdue stages."""
    from .fdi_board import board, share, usd_wan
    from .render import simple_table

    found, fdi = _read(board, as_of, org_unit, country, industry, db, data_dir)
    if fmt is Format.json:
        out.print_json(json.dumps(found, ensure_ascii=False))
        return
    simple_table(f"外资项目各环节（{found['as_of']}）", ["环节", "项目数", "其中有逾期"],
                 [[s["name_zh"], s["projects"], s["overdue"]] for s in found["stages"]], out)
    rows = [[c["name_zh"], c["projects"], c["signed"], c["due_to_land"], c["landed"], share(c["landing_rate"]),
             usd_wan(c["contracted_usd"]), usd_wan(c["arrived_usd"]), share(c["arrival_rate"])]
            for c in found["counties"]]
    total = found["total"]
    rows.append(["合计", total["projects"], total["signed"], total["due_to_land"], total["landed"],
                 share(total["landing_rate"]), usd_wan(total["contracted_usd"]), usd_wan(total["arrived_usd"]),
                 share(total["arrival_rate"])])
    simple_table(f"落地率与到资率（落地：{fdi.landed_zh}）",
                 ["地区", "项目", "已签约", "应落地", "已落地", "落地率", "合同外资(万美元)", "实到外资(万美元)", "到资率"],
                 rows, out)
    late = [p for p in found["projects"] if p["overdue"]]
    simple_table("逾期环节", ["项目", "地区", "当前环节", "逾期环节", "计划日期", "逾期天数", "等级", "下一步责任单位"],
                 [[f"{p['id']} {p['name_zh']}", p["org_unit_zh"], p["current_stage_zh"], o["name_zh"], o["planned_date"],
                   o["days_overdue"], "红色" if o["level"] == "red" else "黄色", p["next_step_owner"]]
                  for p in late for o in p["overdue"]], out)


@fdi_app.command("investors")
def fdi_investors(
    as_of: AsOfDateOpt = None,
    org_unit: OrgOpt = None,
    country: CountryOpt = None,
    industry: IndustryOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """客商库 The investors of the pipeline: country or region, 世界500强, projects and capital."""
    from .fdi_board import investor_records, usd_wan
    from .render import simple_table

    found, _ = _read(investor_records, as_of, org_unit, country, industry, db, data_dir)
    if fmt is Format.json:
        out.print_json(json.dumps(found, ensure_ascii=False))
        return
    simple_table("客商库", ["客商", "国别（地区）", "世界500强", "项目数", "已落地", "所在地区", "合同外资(万美元)", "实到外资(万美元)"],
                 [[r["name"], r["country_zh"], "是" if r["fortune500"] else "否", r["projects"], r["landed"],
                   "、".join(r["org_units_zh"]), usd_wan(r["contracted_usd"]), usd_wan(r["arrived_usd"])]
                  for r in found], out)
