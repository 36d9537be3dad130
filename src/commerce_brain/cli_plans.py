"""`commerce-brain plans …`: plan monitoring commands."""

from __future__ import annotations

import getpass
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import (
    ActualsOpt, AheadOpt, AsOfOpt, DataDirOpt, DbOpt, Format, FormatOpt, OnTrackOpt, OrgOpt, YearOpt,
    check_actuals_or_exit, check_org_unit, err, load_catalog_or_exit, open_store, out, progress, read_actuals_or_exit,
    thresholds_or_exit, warn,
)

plans_app = typer.Typer(help="规划监测 Plan monitoring: plans, lint, imports, evaluation, reports.",
                        no_args_is_help=True)


@plans_app.command("list")
def plans_list(fmt: FormatOpt = Format.table) -> None:
    """规划清单 Plans and their indicators."""
    catalog = load_catalog_or_exit()
    if fmt is Format.json:
        data = [{
            "id": p.id, "title": p.title, "doc_number": p.doc_number, "period": list(p.period),
            "org_unit": p.org_unit,
            "indicators": [{
                "id": i.id, "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit,
                "base_year": i.base_year, "base_value": i.base_value, "target_year": i.target_year,
                "target_value": i.target_value, "target_as_printed": i.target_as_printed,
                "stated_growth": i.stated_growth,
                "growth_kind": i.growth_kind, "attribute": i.attribute, "citation": i.citation.text(),
            } for i in p.indicators],
        } for p in catalog.plans]
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    from .catalog.model import ATTRIBUTE_ZH, GROWTH_KIND_ZH
    from .render import num, simple_table

    for p in catalog.plans:
        simple_table(
            f"{p.title}（{p.doc_number or '无文号'}，{p.period[0]}–{p.period[1]}，{p.id}）",
            ["指标 id", "指标", "单位", "基期", "目标", "所印增长", "类型", "属性"],
            [[i.id, i.name_zh, i.unit, f"{num(i.base_value)} ({i.base_year})",
              f"{i.target_as_printed or (num(i.target_value) if i.target_value is not None else (i.target_text or '—'))}"
              f" ({i.target_year})",
              i.stated_growth, GROWTH_KIND_ZH[i.growth_kind], ATTRIBUTE_ZH[i.attribute]] for i in p.indicators],
            out,
        )


@plans_app.command("lint")
def plans_lint(fmt: FormatOpt = Format.table) -> None:
    """规划体检 Check every printed growth against the values it claims to match."""
    from .indicators.lint import JSON_COLUMNS, findings_as_fractions, lint_catalog
    from .render import json_records

    findings = lint_catalog(load_catalog_or_exit())
    if fmt is Format.json:
        out.print_json(json_records(findings_as_fractions(findings), JSON_COLUMNS))
        return
    out.print(f"[bold]规划体检：{findings.height} 处不一致[/]\n")
    for n, row in enumerate(findings.iter_rows(named=True), start=1):
        out.print(f"[bold]{n}. {row['plan']} · {row['name_zh']}[/]（{row['indicator']}，{row['check']}）", highlight=False)
        out.print(f"   {row['message']}", highlight=False)
        out.print(f"   出处：{row['citation']}\n", highlight=False, style="dim")


@plans_app.command("import")
def plans_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX of actuals.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report what would change; store nothing.")] = False,
    user: Annotated[str | None, typer.Option("--user", help="Who imports (recorded in the import log).")] = None,
    accept_warnings: Annotated[bool, typer.Option(
        "--accept-warnings", help="Store the file even though some figures jumped year on year (after checking "
        "them): without it a file with warnings stores nothing.")] = False,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """导入实际值 Validate a statistics file and store its actuals (all or nothing, versioned).

    Implausible figures reject the file (a negative level, a share above 100%, more digits than
    are kept, an org unit outside the plan's region); a figure that moved by more than
    COMMERCE_BRAIN_IMPORT_JUMP_FACTOR (default 3) against the year before is a warning, which
    --accept-warnings accepts."""
    from .settings import Settings
    from .store.catalog_sync import sync_catalog
    from .store.observations import current_observations, save_observations
    from .store.observations import dry_run as plan_import

    catalog = load_catalog_or_exit()
    engine = open_store(db, data_dir, reads_only=dry_run)
    checked = check_actuals_or_exit(file, catalog, stored=current_observations(engine),
                                    jump_factor=Settings.from_env(database_url=db, data_dir=data_dir).import_jump_factor)
    frame, warnings = checked.frame, checked.warnings
    for warning in warnings:
        err.print(f"提示：{warning}", markup=False, highlight=False, soft_wrap=True, style="yellow")
    if warnings and not accept_warnings and not dry_run:
        err.print(f"{file.name}：{len(warnings)} 条提示需要核对，未导入任何数据；核对无误后加 --accept-warnings 再导入",
                  markup=False, highlight=False, soft_wrap=True, style="red")
        raise typer.Exit(1)
    with progress() as bar:
        bar.add_task("写入数据库" if not dry_run else "比对数据库", total=None)
        if dry_run:
            summary = plan_import(engine, frame)
        else:
            sync_catalog(engine, catalog)
            summary = save_observations(
                engine, frame, file_name=file.name,
                sha256=hashlib.sha256(file.read_bytes()).hexdigest(),
                imported_by=user or getpass.getuser(), accepted_warnings=len(warnings),
            )
    result = {"file": str(file), "dry_run": dry_run, "rows": summary.rows, "new": summary.new,
              "revised": summary.revised, "unchanged": summary.unchanged, "import_id": summary.import_id,
              "warnings": [str(w) for w in warnings]}
    if fmt is Format.json:
        out.print_json(json.dumps(result, ensure_ascii=False))
        return
    verb = "将" if dry_run else "已"
    out.print(f"{file.name}：{summary.rows} 行通过校验；{verb}新增 {summary.new}，{verb}修订 {summary.revised}，"
              f"未变 {summary.unchanged}。" + ("（试运行，未写入）" if dry_run else ""))
    revised = summary.changes.filter(summary.changes["change"] == "revised")
    if revised.height:
        from .render import num, simple_table

        simple_table("修订", ["规划", "指标", "地区", "期间", "原值", "新值"],
                     [[r["plan"], r["indicator"], r["org_unit"], r["period"], num(r["old_value"]), num(r["value"])]
                      for r in revised.iter_rows(named=True)], out)


def _observations(catalog, db, data_dir, actuals):
    from .monitoring import gather_observations

    overlay = read_actuals_or_exit(actuals, catalog) if actuals else None
    return gather_observations(catalog, open_store(db, data_dir, reads_only=True), overlay)


@plans_app.command("evaluate")
def plans_evaluate(
    year: YearOpt,
    actuals: ActualsOpt = None,
    org_unit: OrgOpt = None,
    explain: Annotated[bool, typer.Option("--explain", help="Add the formula with figures to every row.")] = False,
    as_of: AsOfOpt = False,
    ahead: AheadOpt = 1.05,
    on_track: OnTrackOpt = 0.95,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """评估 One row per indicator: actual, growth achieved/implied/required, progress, status."""
    from .monitoring import evaluation_table
    from .render import evaluation_tables, json_records

    catalog = load_catalog_or_exit()
    org_unit = check_org_unit(catalog, org_unit)
    thresholds = thresholds_or_exit(ahead, on_track)
    frame = evaluation_table(catalog, _observations(catalog, db, data_dir, actuals), year,
                             org_unit=org_unit, thresholds=thresholds, as_of=as_of)
    if frame.is_empty():
        warn(no_plan_covers(catalog, year, as_of=as_of))
    if fmt is Format.json:
        keys = list(EVALUATE_KEYS) + (["explanation"] if explain else [])
        out.print_json(json_records(frame, keys))
        return
    evaluation_tables(frame, out)
    if explain:
        for row in frame.iter_rows(named=True):
            out.print(f"[bold]{row['name_zh']}[/]：{row['explanation']}", highlight=False)


EVALUATE_KEYS = ("plan", "indicator", "name_zh", "org_unit", "year", "actual", "achieved_growth",
                 "implied_growth", "required_growth", "progress", "time_elapsed", "projected_value",
                 "status")


@plans_app.command("report")
def plans_report(
    year: YearOpt,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.xlsx or FILE.html.")],
    actuals: ActualsOpt = None,
    org_unit: OrgOpt = None,
    as_of: AsOfOpt = False,
    ahead: AheadOpt = 1.05,
    on_track: OnTrackOpt = 0.95,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """评估报告 The evaluation in the shape of a 规划中期评估, with a chart per indicator."""
    from .indicators.trajectory import trajectory
    from .io.report import write_report
    from .monitoring import evaluation_table

    if out_file.suffix.lower() not in (".xlsx", ".html"):
        raise typer.BadParameter("报告文件名应以 .xlsx 或 .html 结尾", param_hint="--out")
    catalog = load_catalog_or_exit()
    org_unit = check_org_unit(catalog, org_unit)
    observations = _observations(catalog, db, data_dir, actuals)
    with progress() as bar:
        bar.add_task("计算评估", total=None)
        frame = evaluation_table(catalog, observations, year, org_unit=org_unit,
                                 thresholds=thresholds_or_exit(ahead, on_track), as_of=as_of)
        if frame.is_empty():
            err.print(no_plan_covers(catalog, year, as_of=as_of), markup=False, highlight=False, soft_wrap=True, style="red")
            raise typer.Exit(1)
        bar.add_task(f"写出报告 {out_file.name}", total=None)
        out_file.parent.mkdir(parents=True, exist_ok=True)
        write_report(frame, trajectory(frame, observations), out_file, year=year)
    out.print(f"已写出 {out_file}（{frame.height} 项指标）")


@plans_app.command("pace")
def plans_pace(
    period: Annotated[str, typer.Option("--period", "-p", help="Month, e.g. 2023-06.")],
    actuals: ActualsOpt = None,
    org_unit: OrgOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """序时进度 Year-to-date figures against the year's target, and 累计同比."""
    from .indicators.pace import PACE_COLUMNS, pace
    from .monitoring import evaluation_table
    from .render import json_records, num, pct, simple_table

    match = re.fullmatch(r"(\d{4})-(\d{1,2})", period)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise typer.BadParameter(f"期间应写作 2023-06 的形式，实际是“{period}”", param_hint="--period")
    year, month = int(match.group(1)), int(match.group(2))
    catalog = load_catalog_or_exit()
    org_unit = check_org_unit(catalog, org_unit)
    observations = _observations(catalog, db, data_dir, actuals)
    evaluation = evaluation_table(catalog, observations, year, org_unit=org_unit)
    frame = pace(catalog.indicators_frame(), observations, year, month, evaluation)
    if frame.is_empty():
        warn(f"{year}年{month}月没有月度数据，也没有规划在这一年有年度目标")
    if fmt is Format.json:
        out.print_json(json_records(frame, PACE_COLUMNS))
        return
    simple_table(
        f"{year}年1–{month}月 序时进度（时间进度 {pct(month / 12)}）",
        ["规划", "指标", "地区", "累计值", "全年目标", "完成率", "序时差", "累计同比", "序时"],
        [[r["plan"], r["name_zh"], r["org_unit"], num(r["ytd_value"]), num(r["annual_target"]),
          pct(r["completion"]), pct(r["pace_gap"]), pct(r["ytd_growth"]),
          "—" if r["on_pace"] is None else ("达序时" if r["on_pace"] else "落后序时")]
         for r in frame.iter_rows(named=True)],
        out,
    )


def no_plan_covers(catalog, year: int, *, as_of: bool) -> str:
    """Why an evaluation is empty: the year lies outside every plan's period."""
    first, last = min(p.period[0] for p in catalog.plans), max(p.period[1] for p in catalog.plans)
    hint = "" if as_of else "；加 --as-of 可按已结束规划的末年评估"
    return f"{year}年不在任何规划的期间内（规划覆盖 {first}–{last} 年）{hint}"


@plans_app.command("history")
def plans_history(
    plan: Annotated[str, typer.Option("--plan", help="Plan id.")],
    indicator: Annotated[str, typer.Option("--indicator", help="Indicator id.")],
    org_unit: OrgOpt,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """修订历史 Every stored version of one indicator's actuals."""
    from .render import simple_table
    from .store.observations import history

    catalog = load_catalog_or_exit()
    code = _check_plan_indicator(catalog, plan, indicator, org_unit)
    frame = history(open_store(db, data_dir, reads_only=True), plan=plan, indicator=indicator, org_unit=code)
    if frame.is_empty():
        warn(f"{plan} / {indicator} / {org_unit} 没有导入过实际值")
    if fmt is Format.json:
        out.print_json(json.dumps([{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dicts()],
                                  ensure_ascii=False))
        return
    simple_table(f"{plan} / {indicator} / {org_unit}", ["期间", "版本", "数值", "可比价增速", "来源", "文件", "导入人", "时间"],
                 frame.rows(), out)


def _check_plan_indicator(catalog, plan: str, indicator: str, org_unit: str | None) -> str:
    """The org unit's code, once the plan, its indicator and the org unit are known to the catalog."""
    plans = {p.id: p for p in catalog.plans}
    if plan not in plans:
        raise typer.BadParameter(f"未知的规划“{plan}”；可选：{'、'.join(plans)}", param_hint="--plan")
    indicators = [i.id for i in plans[plan].indicators]
    if indicator not in indicators:
        raise typer.BadParameter(f"规划 {plan} 没有指标“{indicator}”；可选：{'、'.join(indicators)}",
                                 param_hint="--indicator")
    if org_unit is None:
        raise typer.BadParameter("请给出地区，如 330802 或 柯城区", param_hint="--org-unit")
    return check_org_unit(catalog, org_unit)


def _jsonable(value):
    """Dates and times as ISO text; everything else as it is."""
    return value.isoformat() if hasattr(value, "isoformat") else value


IMPORT_KEYS = ("id", "file_name", "rows", "new", "revised", "unchanged", "imported_by", "imported_at")


@plans_app.command("imports")
def plans_imports(db: DbOpt = None, data_dir: DataDirOpt = None, fmt: FormatOpt = Format.table) -> None:
    """导入记录 The import log, newest first."""
    from .render import simple_table
    from .store.observations import list_imports

    rows = list_imports(open_store(db, data_dir, reads_only=True))
    if fmt is Format.json:
        out.print_json(json.dumps([{k: _jsonable(r[k]) for k in IMPORT_KEYS} for r in rows], ensure_ascii=False))
        return
    simple_table("导入记录", ["编号", "文件", "行数", "新增", "修订", "未变", "导入人", "时间"],
                 [[r[k] for k in IMPORT_KEYS] for r in rows], out)


@plans_app.command("template")
def plans_template(out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.xlsx or FILE.csv.")]) -> None:
    """导入模板 Write the actuals import template with the valid indicators and org units."""
    from .io.actuals_template import write_template

    try:
        write_template(load_catalog_or_exit(), out_file)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from None
    out.print(f"已写出模板 {out_file}")
