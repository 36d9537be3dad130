"""`commerce-brain policy …`: the policy engine's commands (rules, evaluate, explain, cases)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .cli_notices import notices_app
from .cli_common import (
    DataDirOpt, DbOpt, Format, FormatOpt, OrgOpt, check_org_unit, err, load_catalog_or_exit, open_store, out,
    print_rejection, progress, warn,
)

policy_app = typer.Typer(help="政策兑现 Policy engine: rules, awards, explanations, rule test cases.",
                         no_args_is_help=True)

DataOpt = Annotated[Path, typer.Option("--data", "-d", exists=True,
                                       help="XLSX with sheets enterprises/facts/events, or a folder of those CSV files.")]
AwardYearOpt = Annotated[int, typer.Option("--year", "-y", help="Award year (奖补年度), 2019 or later.")]
UsccOpt = Annotated[str | None, typer.Option("--uscc", help="Only this enterprise (统一社会信用代码).")]


def load_policies_or_exit():
    """The policy catalog, or exit 2 with the reason."""
    from .catalog import CatalogError
    from .policy.catalog import load_policy_catalog

    try:
        return load_policy_catalog()
    except CatalogError as exc:
        err.print(f"[red]政策目录有误：[/]{exc}")
        raise typer.Exit(2) from None


def read_data_or_exit(source: Path, catalog, policies, *, imports: bool = False):
    """Enterprises, facts and events from a file, or exit 1 with every problem in it (headed by
    whether the file was being imported or only read for this run)."""
    from .io.actuals_import import ImportRejected
    from .io.enterprise_import import read_policy_data
    from .policy.vocabulary import Vocabulary

    with progress() as bar:
        bar.add_task(f"读取并校验 {source.name}", total=None)
        try:
            return read_policy_data(source, catalog, vocabulary=Vocabulary.of(policies))
        except ImportRejected as exc:
            print_rejection(exc, imported=imports)
            raise typer.Exit(1) from None


def run_engine_or_exit(data, year: int, policies, catalog):
    """The engine's result for the award year, or exit 2 if the policies do not govern it."""
    from .policy.engine import PolicyDataError, PolicyYearError, evaluate_years

    try:
        with progress() as bar:
            bar.add_task("计算奖补", total=None)
            return evaluate_years(data.enterprises, data.facts, data.events, [year], policies=policies, catalog=catalog)
    except (PolicyYearError, PolicyDataError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None


@policy_app.command("rules")
def policy_rules(
    fmt: FormatOpt = Format.table,
    db: Annotated[str | None, typer.Option(
        "--db", help="Show the rules in force in this store (edits applied, with their version); "
                     "default: the packaged catalog.")] = None,
) -> None:
    """政策条款 Every rule (and budget pool) with its article and quoted sentence."""
    from .policy.explain import in_words, yuan
    from .policy.model import CAP_PER_ZH, PAYEE_ZH, SCOPE_ZH
    from .render import simple_table

    policies, versions = load_policies_or_exit(), {}
    if db:
        from .fulfilment.rule_edits import effective_policies, rule_states

        engine = open_store(db, None, reads_only=True)
        policies, versions = effective_policies(engine), {k: s.version for k, s in rule_states(engine).items()}
    if fmt is Format.json:
        data = [{"id": r.id, "policy": r.policy, "name_zh": r.name_zh, "article": r.article, "clause": r.clause,
                 "quote": r.quote, "trigger": list(r.on), "scope": r.scope, "when": r.when.text if r.when else None,
                 "amount": r.amount_text, "cap": r.cap.text if r.cap else None, "cap_per": r.cap_per,
                 "payee": r.payee, "tranche": r.tranche, "group": r.group,
                 **({"version": versions[r.id]} if db else {})} for r in policies.rules()]
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    for policy in policies.policies:
        simple_table(
            f"《{policy.title}》（{policy.id}，自{policy.first_year}年度起）",
            ["条", "规则", "名称", "触发", "范围", "条件", "金额", "上限", "领取"] + (["版本"] if db else []),
            [[r.article, r.id, r.name_zh, "、".join(policies.names.kind(k) for k in r.on), SCOPE_ZH[r.scope],
              in_words(r.when.text, policies) if r.when else "—", in_words(r.amount_text, policies),
              f"{CAP_PER_ZH[r.cap_per]}{in_words(r.cap.text, policies)}" if r.cap else "—", PAYEE_ZH[r.payee]]
             + ([versions[r.id]] if db else []) for r in policy.rules],
            out,
        )
        if policy.pools:
            simple_table("专项资金", ["条", "编号", "名称", "年度预算", "范围"],
                         [[p.article, p.id, p.name_zh, yuan(p.annual_budget_fen) if p.annual_budget_fen else "未定额",
                           SCOPE_ZH[p.scope]] for p in policy.pools], out)
        if policy.not_computed:
            simple_table("列出但不计算的条款", ["条", "编号", "名称", "原文", "不计算的原因"],
                         [[n.article, n.id, n.name_zh, n.quote, n.reason] for n in policy.not_computed], out)


@policy_app.command("evaluate")
def policy_evaluate(
    data: DataOpt,
    year: AwardYearOpt,
    uscc: UsccOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the awards to FILE.xlsx.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """奖补测算 Every award every enterprise qualifies for, with totals by rule, payer and payee."""
    from .policy.award_table import award_records, totals, write_awards_xlsx

    catalog, policies = load_catalog_or_exit(), load_policies_or_exit()
    source = read_data_or_exit(data, catalog, policies)
    awards = run_engine_or_exit(source, year, policies, catalog).awards
    if uscc and source.enterprises.filter(source.enterprises["uscc"] == uscc).is_empty():
        warn(f"{uscc} 不在 {data.name} 中")
    elif awards.is_empty():
        warn(f"{year}年度没有任何奖补：{data.name} 中没有这一年度的事件或数据")
    elif uscc and awards.filter(awards["uscc"] == uscc).is_empty():
        warn(f"{uscc} 在{year}年度没有奖补")
    if uscc:
        awards = awards.filter(awards["uscc"] == uscc)
    records = award_records(awards, policies, catalog)
    summary = totals(awards, policies, catalog)
    if out_file:
        write_awards_xlsx(records, summary, out_file)
    if fmt is Format.json:
        out.print_json(json.dumps({"awards": records, "totals": summary}, ensure_ascii=False))
        return
    _print_awards(records, summary, year)
    if out_file:
        out.print(f"已写出 {out_file}")


def _print_awards(records: list[dict], summary: dict, year: int) -> None:
    from .render import simple_table

    simple_table(
        f"{year}年度奖补测算：{len(records)} 项，合计 {summary['total_yuan']:,.2f} 元",
        ["企业", "统一社会信用代码", "规则", "条款", "金额（元）", "领取", "兑现财政", "待评审"],
        [[r["name"], r["uscc"], r["rule_name"], r["article"], f"{r['amount_yuan']:,.2f}", r["payee_zh"],
          r["payer_name"], "是" if r["needs_review"] else ""] for r in records],
        out,
    )
    for key, title in (("by_rule", "按规则"), ("by_payer", "按兑现财政"), ("by_payee", "按领取对象")):
        simple_table(f"合计 {title}", ["", "项数", "金额（元）"],
                     [[k, v["count"], f"{v['amount_yuan']:,.2f}"] for k, v in summary[key].items()], out)


@policy_app.command("explain")
def policy_explain(
    data: DataOpt,
    year: AwardYearOpt,
    uscc: Annotated[str, typer.Option("--uscc", help="The enterprise (统一社会信用代码).")],
    show_all: Annotated[bool, typer.Option("--all", help="List every rule missed, also those without an event.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """政策体检 One enterprise: each award with its formula and article, each rule missed and why."""
    from .policy.checkup import checkup
    from .policy.engine import PolicyDataError, PolicyYearError

    catalog, policies = load_catalog_or_exit(), load_policies_or_exit()
    source = read_data_or_exit(data, catalog, policies)
    if source.enterprises.filter(source.enterprises["uscc"] == uscc).is_empty():
        raise typer.BadParameter(f"{uscc} 不在 {data.name} 中", param_hint="--uscc")
    try:
        found = checkup(uscc, source.enterprises, source.facts, source.events, year, policies=policies,
                        catalog=catalog)
    except (PolicyYearError, PolicyDataError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    explained = [{"rule": a["rule"], "amount_yuan": a["amount_fen"] / 100, "explanation": a["explanation"]}
                 for a in found.awards]
    missed = found.missed
    if fmt is Format.json:
        out.print_json(json.dumps({"uscc": uscc, "year": year, "awards": explained, "missed": missed}, ensure_ascii=False))
        return
    name = found.name
    total = sum(a["amount_yuan"] for a in explained)
    out.print(f"[bold]{name}（{uscc}）{year}年度：{len(explained)} 项奖补，合计 {total:,.2f} 元[/]\n")
    for n, a in enumerate(explained, start=1):
        out.print(f"{n}. {a['explanation']}\n", highlight=False, soft_wrap=True)
    # Rules whose triggering event simply did not happen are many and alike: count them,
    # and list the ones the enterprise came close to (it had the event or the figures).
    no_event = [m for m in missed if m["no_event"]]
    close = [m for m in missed if not m["no_event"]]
    out.print(f"[bold]未享受的条款（{len(missed)}）[/]")
    for m in close:
        out.print(f"  · {m['name_zh']}（{m['article']}）：{m['reason']}", highlight=False, soft_wrap=True)
    if no_event and not show_all:
        out.print(f"  · 另有 {len(no_event)} 条：{year}年无对应的事件（加 --all 逐条列出）", highlight=False)
    for m in no_event if show_all else []:
        out.print(f"  · {m['name_zh']}（{m['article']}）：{m['reason']}", highlight=False, soft_wrap=True)


@policy_app.command("cases")
def policy_cases(fmt: FormatOpt = Format.table) -> None:
    """规则测试 Run the rule test cases in catalog/policies/cases (exit 1 if any fails)."""
    from .policy.cases import load_cases, run_case

    catalog, policies = load_catalog_or_exit(), load_policies_or_exit()
    results = [(case, run_case(case, policies, catalog)) for case in load_cases()]
    failed = [(c, p) for c, p in results if p]
    if fmt is Format.json:
        out.print_json(json.dumps([{"file": c.file, "name": c.name, "problems": p} for c, p in results], ensure_ascii=False))
    else:
        for case, problems in failed:
            out.print(f"[red]FAIL[/] {case.file}: {case.name}", highlight=False)
            for problem in problems:
                out.print(f"     {problem}", highlight=False)
        out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


@policy_app.command("template")
def policy_template(out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.xlsx")]) -> None:
    """数据模板 Write the enterprises/facts/events template (XLSX) with examples and notes."""
    from .io.enterprise_import import write_policy_template

    if out_file.suffix.lower() != ".xlsx":
        # The template has three sheets and notes: only a workbook holds them.
        raise typer.BadParameter(f"模板是 Excel 工作簿，文件名应以 .xlsx 结尾，实际是 {out_file.name}",
                                 param_hint="--out")
    write_policy_template(out_file)
    out.print(f"已写出模板 {out_file}")


@policy_app.command("sample")
def policy_sample(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.xlsx, or a folder for three CSV files.")],
    enterprises: Annotated[int, typer.Option("--enterprises", "-n", help="How many enterprises.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (the same seed gives the same city).")] = 42,
) -> None:
    """示例数据 Write a synthetic city (enterprises, facts 2019–2023, events) to try the engine on."""
    from .policy.sample import write_sample

    write_sample(out_file, n_enterprises=enterprises, seed=seed, policies=load_policies_or_exit())
    out.print(f"已写出示例数据 {out_file}（{enterprises} 家企业，2019–2023年）")


@policy_app.command("import")
def policy_import(
    source: Annotated[Path, typer.Argument(exists=True, help="XLSX with sheets enterprises/facts/events, or a folder "
                                                              "of those CSV files.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report what would change; store nothing.")] = False,
    user: Annotated[str | None, typer.Option("--user", help="Who imports (recorded in the import log and audit).")] = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """企业数据导入 Store enterprises, facts and events (all or nothing; a later import of the same row is a revision)."""
    import getpass

    from .store.enterprise_imports import CHANGES, import_policy_data, plan_import, source_digest
    from .fulfilment.rule_edits import effective_policies
    from .notices import watch_import

    catalog = load_catalog_or_exit()
    engine = open_store(db, data_dir, reads_only=dry_run)
    data = read_data_or_exit(source, catalog, effective_policies(engine), imports=True)
    with progress() as bar:
        bar.add_task("比对数据库" if dry_run else "写入数据库", total=None)
        if dry_run:
            done = plan_import(engine, data)
        else:
            done = import_policy_data(engine, data, actor=user or getpass.getuser(), file_name=source.name,
                                      sha256=source_digest(source), watch=watch_import(effective_policies(engine)))
    counts = done.counts()
    if fmt is Format.json:
        out.print_json(json.dumps({"source": str(source), "dry_run": dry_run, "import_id": done.import_id,
                                   "counts": counts}, ensure_ascii=False))
        return
    from .enterprise_changes import SHEET_ZH, changed_rows
    from .render import simple_table

    verb = "将" if dry_run else "已"
    simple_table(f"{source.name}：校验通过" + ("（试运行，未写入）" if dry_run else f"，已导入（导入编号 {done.import_id}）"),
                 ["表", f"{verb}新增", f"{verb}修订", "未变"],
                 [[SHEET_ZH[table], *(by[c] for c in CHANGES)] for table, by in counts.items()], out)
    revised = changed_rows(done, data, catalog=catalog, policies=effective_policies(engine), limit=REVISIONS_SHOWN,
                           changes=("changed",))
    if revised:
        simple_table(f"修订（每表最多 {REVISIONS_SHOWN} 项）", ["表", "企业", "年度或事件", "原值 → 新值"],
                     [[r["sheet"], r["who"], r["what"] or "—", "；".join(f"{f}：{old} → {new}" for f, old, new in r["diffs"])]
                      for r in revised], out)


REVISIONS_SHOWN = 50


@policy_app.command("match")
def policy_match(
    uscc: UsccOpt = None,
    near: Annotated[float | None, typer.Option("--near", min=0.0, max=1.0,
                                               help="Near misses of every enterprise within this fraction of "
                                                    "every threshold, e.g. 0.1 for 10%.")] = None,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Award year; default the data's latest.")] = None,
    org_unit: OrgOpt = None,
    data: Annotated[Path | None, typer.Option("--data", "-d", exists=True,
                                              help="Read this XLSX/CSV folder instead of the store.")] = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """政策匹配 An enterprise's matches and near misses (--uscc), or every enterprise's near misses
    (--near 0.1) by county and rule; from the store, or --data FILE."""
    from .match_board import by_county_and_rule, county_near_misses, enterprise_match, stored_data
    from .policy.engine import PolicyDataError, PolicyYearError

    if (uscc is None) == (near is None):
        err.print("[red]请给出 --uscc（一家企业）或 --near（如 0.1，全部企业的差一点）之一[/]")
        raise typer.Exit(2)
    catalog, policies = load_catalog_or_exit(), load_policies_or_exit()
    org = check_org_unit(catalog, org_unit)
    if data is not None:
        source = read_data_or_exit(data, catalog, policies)
    else:
        source = stored_data(open_store(db, data_dir, reads_only=True), uscc=uscc)
    try:
        if uscc is not None:
            rows = enterprise_match(source, uscc, year=year, policies=policies, catalog=catalog)
        else:
            units = catalog.subtree(org) if org else None
            rows = county_near_misses(source, within=near, year=year, org_units=units, policies=policies,
                                      catalog=catalog)
    except (PolicyYearError, PolicyDataError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if uscc is not None and rows.is_empty():
        err.print(f"[red]没有企业 {uscc} 的数据[/]")
        raise typer.Exit(1)
    if fmt is Format.json:
        out.print_json(rows.write_json())
        return
    if uscc is not None:
        _print_matches(rows)
    else:
        _print_near(rows, by_county_and_rule(rows), catalog, near)


def _print_matches(rows) -> None:
    from .policy.explain import yuan
    from .render import simple_table

    first = rows.row(0, named=True)
    table = [[r["article"], r["rule_name"], "符合" if r["met"] else "差一点" if r["near"] else "不符合",
              yuan(r["amount_fen"]) if r["met"] else "—", yuan(r["money_at_stake_fen"]), "；".join(r["gaps"]) or "—"]
             for r in rows.iter_rows(named=True)]
    simple_table(f"{first['name']}（{first['uscc']}）政策匹配", ["条", "政策条款", "结论", "应得金额", "涉及金额", "还差什么"],
                 table, out)


def _print_near(rows, summary, catalog, within: float) -> None:
    from .policy.explain import yuan
    from .render import simple_table

    names = catalog.org_unit_names()
    simple_table(f"距门槛 {within:.0%} 以内的企业：按地区和条款", ["地区", "条", "政策条款", "企业数", "涉及金额"],
                 [[names.get(r["org_unit"], r["org_unit"]), r["article"], r["rule_name"], r["enterprises"],
                   yuan(r["money_at_stake_fen"])] for r in summary.iter_rows(named=True)], out)
    simple_table("明细", ["企业", "地区", "政策条款", "还差什么", "差距", "涉及金额"],
                 [[f"{r['name']}（{r['uscc']}）", names.get(r["org_unit"], r["org_unit"]), r["rule_name"],
                   "；".join(r["gaps"]), f"{r['gap_ratio']:.1%}", yuan(r["money_at_stake_fen"])]
                  for r in rows.iter_rows(named=True)], out)


# `policy notices …` lives in its own module.
policy_app.add_typer(notices_app, name="notices")
