"""``commerce-brain grading …``: 亩均效益 evaluation, re-grading, the leading-50 lists and the
competitive allocation of a pot."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import (DataDirOpt, DbOpt, Format, FormatOpt, OrgOpt, check_org_unit, err, load_catalog_or_exit,
                         open_store, out, print_rejection, warn)
from .io.actuals_import import ImportRejected

grading_app = typer.Typer(help="Enterprise grading (亩均效益 A/B/C/D), leading lists and competitive allocation.",
                          no_args_is_help=True)


# ---- 亩均效益评价: evaluate, re-grade, publish, the leading-50 lists ------------------------------

GradingYearOpt = Annotated[int, typer.Option("--year", "-y", help="Evaluation year (the enterprises' facts of that year).")]
UserOpt = Annotated[str | None, typer.Option("--user", help="Who acts (recorded in the audit log; default: the login name).")]
DataFileOpt = Annotated[Path | None, typer.Option("--data", exists=True, dir_okay=False,
                                                  help="XLSX of enterprise data (the policy import's format) to grade "
                                                       "instead of the stored data.")]
SIZE_ZH = {"above": "规上", "below": "规下"}
LIST_ZH = {"leading": "龙头企业", "benchmark": "标杆企业"}


def _refusals():
    from .catalog import CatalogError
    from .store.fulfilment_tables import FulfilmentError

    return (FulfilmentError, CatalogError, ValueError)


def _or_exit(function, *args, **kwargs):
    """Call a workflow function; its refusal (Chinese) goes to stderr and the command exits 1."""
    try:
        return function(*args, **kwargs)
    except _refusals() as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True, style="red")
        raise typer.Exit(1) from None


def _jsonable(frame) -> list[dict]:
    return json.loads(frame.write_json())


def _print_json(value) -> None:
    out.print_json(json.dumps(value, ensure_ascii=False, default=str))


def _file_data_or_exit(data: Path | None, catalog):
    """The enterprise data of ``--data FILE`` (exit 1 with every problem), or None: the store's."""
    from .cli_policy import load_policies_or_exit, read_data_or_exit

    return read_data_or_exit(data, catalog, load_policies_or_exit()) if data else None


def _score(value) -> str:
    return "—" if value is None else f"{value:.2f}"


@grading_app.command("evaluate")
def grading_evaluate(
    year: GradingYearOpt,
    data: DataFileOpt = None,
    org_unit: OrgOpt = None,
    user: UserOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """亩均效益评价 Grade a year's enterprises A/B/C/D (stored data, or --data FILE) and store the run."""
    from .grading_board import latest_grading, latest_run, run_evaluation
    from .access import Scope
    from .store import grading_tables as gt

    catalog = load_catalog_or_exit()
    unit = check_org_unit(catalog, org_unit)
    given = _file_data_or_exit(data, catalog)
    engine = open_store(db, data_dir)
    run_id = _or_exit(run_evaluation, engine, year=year, actor=user or getpass.getuser(), data=given, org_unit=unit,
                      source=data.name if data else None)
    graded = latest_grading(engine, year=year, scope=Scope())
    with engine.connect() as conn:
        excluded = gt.read_exclusions(conn, run_id)
    if fmt is Format.json:
        _print_json({"run_id": run_id, "year": year, "graded": _jsonable(graded), "out_of_scope": _jsonable(excluded)})
        return
    names = catalog.org_unit_names()
    from rich.table import Table

    table = Table(title=f"{year}年度亩均效益评价（第 {run_id} 次）")
    for header in ("统一社会信用代码", "企业", "地区", "规模", "行业组", "总分", "组内排名", "初评", "类别", "说明"):
        table.add_column(header)
    for r in graded.sort(["size_class", "industry_group", "rank"]).iter_rows(named=True):
        table.add_row(r["uscc"], r["name"], names.get(r["org_unit"], r["org_unit"] or "—"), SIZE_ZH.get(r["size_class"], "—"),
                      r["industry_group"], _score(r["total"]), f"{r['rank']}/{r['group_size']}", r["initial_class"],
                      r["class"], r["reason"])
    if graded.height:
        out.print(table)
    run = latest_run(engine, year=year)
    counts = graded.group_by("class").len().sort("class")
    summary = "、".join(f"{c} 类 {n} 家" for c, n in counts.iter_rows())
    out.print(f"评价 {run['graded']} 家（{summary or '无'}）；不在评价范围 {run['out_of_scope']} 家"
              + ("：" + "；".join(f"{r['name']}（{r['reason']}）" for r in excluded.head(10).iter_rows(named=True))
                 + ("……" if excluded.height > 10 else "") if excluded.height else "。"))


@grading_app.command("regrade")
def grading_regrade(
    year: GradingYearOpt,
    uscc: Annotated[str, typer.Option("--uscc", help="The enterprise (统一社会信用代码).")],
    to: Annotated[str, typer.Option("--to", help="The new class: A, B, C or D.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (手动调档的理由), recorded in the audit log.")],
    user: UserOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """手动调档 Re-grade one enterprise of the year's grading, with a reason (versioned, audited)."""
    from .grading_board import regrade

    engine = open_store(db, data_dir)
    version = _or_exit(regrade, engine, year=year, uscc=uscc, to_class=to.strip().upper(), reason=reason,
                       actor=user or getpass.getuser())
    out.print(f"已将 {uscc} 的{year}年度评价类别调为 {to.strip().upper()} 类（第 {version} 次调整）。")


@grading_app.command("publish")
def grading_publish(
    year: GradingYearOpt,
    user: UserOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """公布评价类别 Publish the year's classes as the enterprises' fact mu_class (the policy engine reads it)."""
    from .grading_board import publication as gb_publication
    from .grading_board import publish_classes

    engine = open_store(db, data_dir)
    publication = _or_exit(publish_classes, engine, year=year, actor=user or getpass.getuser())
    done = _or_exit(gb_publication, engine, publication)
    out.print(f"已公布{year}年度亩均效益评价类别（第 {publication} 次公布）：{done['enterprises']} 家企业，"
              f"清除不再参评企业的原有类别 {done['cleared']} 家；政策兑现按此读取企业类别。")


@grading_app.command("leaders")
def grading_leaders(
    year: GradingYearOpt,
    size: Annotated[int, typer.Option("--size", min=1, max=1000, help="How many enterprises each list takes.")] = 50,
    data: DataFileOpt = None,
    user: UserOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """龙头、标杆企业名单 Draw the leading and benchmark lists from the year's grading (article 1) and store them."""
    from .access import Scope
    from .grading.catalog import load_leader_rules
    from .grading_board import draw_leaders, latest_leaders

    catalog = load_catalog_or_exit()
    rules = _or_exit(load_leader_rules)
    given = _file_data_or_exit(data, catalog)
    engine = open_store(db, data_dir)
    list_id = _or_exit(draw_leaders, engine, year=year, rules=rules, actor=user or getpass.getuser(), data=given,
                       size=size)
    drawn = latest_leaders(engine, year=year, scope=Scope())
    rows = drawn["rows"]
    if fmt is Format.json:
        _print_json({"list_id": list_id, "year": year, "size": size, "rows": _jsonable(rows)})
        return
    if rows.is_empty():
        out.print(f"{year}年度没有可参加遴选的企业（评价结果中没有企业）。")
    from rich.table import Table

    for key, name_zh in LIST_ZH.items():
        mine = rows.filter(rows["list"] == key)
        if mine.is_empty():
            continue
        table = Table(title=f"{year}年度{name_zh}名单（入选 {mine['selected'].sum()} 家，候选 {mine.height} 家）")
        for header in ("排名", "统一社会信用代码", "企业", "得分", "入选", "说明"):
            table.add_column(header)
        for r in mine.iter_rows(named=True):
            table.add_row("—" if r["rank"] is None else str(r["rank"]), r["uscc"], r["name"], _score(r["score"]),
                          "是" if r["selected"] else "否", r["reason"])
        out.print(table)


# ---- competitive allocation (竞争性分配): the pot, the applications, the exact and greedy choice --

template_app = typer.Typer(help="Import templates of the grading commands.", no_args_is_help=True)
grading_app.add_typer(template_app, name="template")
DEFAULT_POT = "qz2019_art5_key_projects"


@grading_app.command("allocate")
def allocate_command(
    pot_file: Annotated[Path, typer.Option("--pot", help="Pot YAML (name, budget_yuan, limits), or the name of "
                                           "a catalog pot (see 'grading pots'), e.g. qz2019_art5_key_projects.")],
    applications: Annotated[Path, typer.Option("--applications", help="Applications CSV/XLSX: id, uscc, industry, "
                                               "kind, requested_yuan, score.")],
    class_year: Annotated[int | None, typer.Option(
        "--class-year", help="Where the file gives no 亩均效益 class (mu_class), take the stored one of this "
                             "year (the published grading); only for a pot with a rate.")] = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """竞争性分配 Choose the awards that maximise the total score within the pot's budget and limits
    (exact, HiGHS), beside the greedy order officers use, with each application's reason."""
    from .grading.allocation import AllocationUnsolved, allocate
    from .io.applications_import import read_applications

    pot = _pot_or_exit(pot_file)
    classes = _stored_classes(db, data_dir, class_year, pot) if class_year is not None else None
    try:
        apps = read_applications(applications, pot, classes=classes)
    except ImportRejected as exc:
        print_rejection(exc, imported=False)
        raise typer.Exit(1) from None
    try:
        result = allocate(pot, apps)
    except AllocationUnsolved as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True, style="red")
        raise typer.Exit(1) from None
    if fmt is Format.json:
        typer.echo(result.contract_json())  # exact figures: not through rich's JSON printer
        return
    _print_allocation(result)


@template_app.command("applications")
def applications_template(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.xlsx or FILE.csv.")],
    pot_file: Annotated[Path | None, typer.Option("--pot", help="Pot YAML or catalog pot name the template is "
                                                  "for; default: the article-5 key-projects pot.")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Fill in thirty made-up applications.")] = False,
) -> None:
    """申报项目模板 Write the applications template for a pot (with --sample: thirty applications)."""
    from .io.applications_template import write_applications_template

    pot = _pot_or_exit(pot_file or Path(DEFAULT_POT))
    try:
        write_applications_template(out_file, pot, sample=sample)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from None


def _stored_classes(db: str | None, data_dir: Path | None, year: int, pot):
    """The stored 亩均效益 classes of ``year`` (``uscc``, ``mu_class``), or None with a warning."""
    from .grading_board import published_classes

    if pot.rate_ppm is None:
        warn("该资金池没有补助比例，--class-year 不起作用")
        return None
    classes = published_classes(open_store(db, data_dir, reads_only=True), year)
    if classes is None:
        warn("数据库中没有亩均效益类别：按文件中的类别计算")
    return classes


@grading_app.command("pots")
def pots_command(fmt: FormatOpt = Format.table) -> None:
    """资金池 The catalog's competitively allocated pots: budget, limits, rate and citation."""
    from .grading.pot import catalog_pots
    from .render import money

    pots = catalog_pots()
    if fmt is Format.json:
        typer.echo(json.dumps([{
            "pot": key, "name": pot.name, "budget_yuan": pot.budget_fen // 100,
            "limits": [{"kind": lim.kind, "max_count": lim.max_count, "max_per_industry": lim.max_per_industry}
                       for lim in pot.limits],
            "rate_ppm": pot.rate_ppm, "a_class_uplift_ppm": pot.a_class_uplift_ppm, "citation": pot.citation,
        } for key, pot in pots.items()], ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title="竞争性分配资金池")
    for head in ("资金池", "名称", "资金总额（元）", "限额", "依据"):
        table.add_column(head, overflow="fold")
    for key, pot in pots.items():
        table.add_row(key, pot.name, money(pot.budget_fen), "；".join(pot.limit_sentences()) or "—", pot.citation)
    out.print(table)


def _pot_or_exit(path: Path):
    from .grading.pot import PotInvalid, find_pot

    try:
        return find_pot(path)
    except PotInvalid as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True, style="red")
        raise typer.Exit(1) from None


def _print_allocation(result) -> None:
    from rich.table import Table

    from .grading.allocation import exact_number
    from .render import money

    pot, rows = result.pot, result.decisions
    table = Table(title=f"{pot.name}：资金总额 {money(pot.budget_fen)} 元")
    for head in ("申报编号", "行业", "项目类别", "申请金额（元）", "专家评分", "最优选择", "逐项选择", "原因"):
        table.add_column(head)
    for row in rows.iter_rows(named=True):
        table.add_row(row["id"], pot.industry_name(row["industry"]), pot.kind_name(row["kind"] or None),
                      money(row["requested_fen"]), str(exact_number(row["score_e4"], 10_000)),
                      "入选" if row["selected"] else "—", "入选" if row["greedy_selected"] else "—", row["reason"])
    out.print(table)
    out.print(f"最优选择：{len(result.selected_ids())} 个项目，总分 {exact_number(result.total_score_e4, 10_000)}，"
              f"金额 {money(result.total_fen)} 元", markup=False)
    out.print(f"按得分高低逐项选择：{len(result.selected_ids(greedy=True))} 个项目，"
              f"总分 {exact_number(result.greedy_total_score_e4, 10_000)}，金额 {money(result.greedy_total_fen)} 元；"
              f"少得 {exact_number(result.gap_e4, 10_000)} 分", markup=False)
