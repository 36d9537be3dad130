"""``commerce-brain grading …``: 亩均效益 evaluation, re-grading, the leading-50 lists and the
competitive allocation of a pot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_common import DataDirOpt, DbOpt, Format, FormatOpt, err, open_store, out, print_rejection, warn
from .io.actuals_import import ImportRejected

grading_app = typer.Typer(help="Enterprise grading (亩均效益 A/B/C/D), leading lists and competitive allocation.",
                          no_args_is_help=True)


# ---- competitive allocation (竞争性分配): the pot, the applications, the exact and greedy choice --

template_app = typer.Typer(help="Import templates of the grading commands.", no_args_is_help=True)
grading_app.add_typer(template_app, name="template")
DEFAULT_POT = "qz2019_art5_key_projects"


@grading_app.command("allocate")
def allocate_command(
    pot_file: Annotated[Path, typer.Option("--pot", help="Pot YAML (name, budget_yuan, limits), e.g. "
                                           "src/commerce_brain/catalog/grading/pots/qz2019_art5_key_projects.yaml.")],
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
    pot_file: Annotated[Path | None, typer.Option("--pot", help="Pot YAML the template is for; default: the "
                                                  "catalog's article-5 key-projects pot.")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Fill in thirty made-up applications.")] = False,
) -> None:
    """申报项目模板 Write the applications template for a pot (with --sample: thirty applications)."""
    from .grading.pot import POTS_DIR
    from .io.applications_template import write_applications_template

    pot = _pot_or_exit(pot_file or POTS_DIR / f"{DEFAULT_POT}.yaml")
    try:
        write_applications_template(out_file, pot, sample=sample)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from None


def _stored_classes(db: str | None, data_dir: Path | None, year: int, pot):
    """The stored 亩均效益 classes of ``year`` (``uscc``, ``mu_class``), or None with a warning."""
    import polars as pl

    from .fulfilment.data import load_policy_data

    if pot.rate_ppm is None:
        warn("该资金池没有补助比例，--class-year 不起作用")
        return None
    facts = load_policy_data(open_store(db, data_dir, reads_only=True)).facts
    if "mu_class" not in facts.columns:
        warn("数据库中没有亩均效益类别：按文件中的类别计算")
        return None
    return facts.filter((pl.col("year") == year) & pl.col("mu_class").is_not_null()).select("uscc", "mu_class")


def _pot_or_exit(path: Path):
    from .grading.pot import PotInvalid, load_pot

    try:
        return load_pot(path)
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
