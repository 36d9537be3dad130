"""Why an enterprise gets what it gets, and why not the rest: rendered on demand from the
figures each award keeps and from the rules' own clauses."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import polars as pl

from ..catalog import Catalog
from .catalog import readable
from .context import events_context, facts_context, numbered
from .expr_parse import conjuncts, names
from .frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from .model import CAP_PER_ZH, PAYEE_ZH, SCOPE_ZH, PolicyCatalog, Rule
from .payer import treasury_name
from .rule_eval import condition, eligibility


def yuan(fen: int | None) -> str:
    """12500000 → “125,000.00元”; also 万元 when it reads better."""
    if fen is None:
        return "—"
    text = f"{fen / 100:,.2f}元" if fen % 100 else f"{fen // 100:,}元"
    if fen < 1_000_000:
        return text
    wan = f"{fen / 1_000_000:g}"
    # From 100亿元 up, six significant digits of 万元 would print as 1.7096e+06.
    return text + (f"（{wan}万元）" if "e" not in wan else f"（{fen / 10_000_000_000:,.2f}亿元）")


def _figure(name: str, value, policies: PolicyCatalog) -> str:
    # Money is shown with its 万元 reading too, the other kinds as the formula shows them.
    money = value is not None and _kind(name, policies) == "money"
    shown = yuan(int(value)) if money else _plain(name, value, policies)
    return f"{policies.label(name)}：{shown}"


def _plain(name: str, value, policies: PolicyCatalog) -> str:
    kind = _kind(name, policies)
    if value is None:
        return "无"
    if kind == "money":
        return f"{int(value) / 100:,.2f}元"
    if kind == "ppm":
        return f"{value / 10_000:g}%"
    if kind == "bool":
        return "是" if value else "否"
    if isinstance(value, str):
        return policies.names.choices.get(value, value)
    return str(value)


def _kind(name: str, policies: PolicyCatalog) -> str:
    base = name.removeprefix("prev__")
    return next((t[base][0] for t in policies.variables.values() if base in t), "text")


_NAME = re.compile(r"prev\((\w+)\)|\b([A-Za-z_]\w*)\b(?!\s*\()")


def filled(formula: str, figures: dict, policies: PolicyCatalog) -> str:
    """The formula with the enterprise's figures in place of the variable names.

    >>> filled("amount * 1%", {"amount": 1000000}, None)  # doctest: +SKIP
    '10,000.00元 * 1%'
    """
    def value(match: re.Match) -> str:
        name = f"prev__{match.group(1)}" if match.group(1) else match.group(2)
        return _plain(name, figures[name], policies) if name in figures else match.group(0)

    return _NAME.sub(value, formula)


# The rule language's functions and operators as a reader of the policy writes them.
_WORDS = {"max(": "取较大者(", "min(": "取较小者(", "first_time(": "首次(", " * ": " × ", " / ": " ÷ ",
          " - ": " − ", " and ": " 且 ", " or ": " 或 ", ">=": "≥", "<=": "≤", "!=": "≠", "==": "="}
# A level or rating compared with one code or a list of codes reads as the codes' names alone
# (国家级, 国家级或省级): the field is plain from the rule.
_CHOICE_TEST = re.compile(r'\b(?:level|rating)\s*(?:==\s*"(\w+)"|in\s*\(([^)]*)\))')
_QUOTED = re.compile(r'"(\w+)"')
_NOT = re.compile(r"\bnot\s+")
# 50万 and 10亿 are amounts of money in the rules; people write 50万元.
_LARGE_MONEY = re.compile(r"(\d(?:[\d.]*))(万|亿)(?!元)")


def in_words(formula: str, policies: PolicyCatalog) -> str:
    """The formula with Chinese names for its variables, codes and signs, for people rather than
    the engine: ``rd_spend - prev(rd_spend)`` → ``研发投入 − 上年研发投入``,
    ``level == "national" → 50万`` → ``国家级 → 50万元``."""
    names = policies.names.choices

    def label(match: re.Match) -> str:
        name = f"prev__{match.group(1)}" if match.group(1) else match.group(2)
        known = policies.label(name)
        return known if known != name else match.group(0)

    def choice(match: re.Match) -> str:
        codes = [match.group(1)] if match.group(1) else _QUOTED.findall(match.group(2))
        return "或".join(names.get(c, c) for c in codes)

    text = _CHOICE_TEST.sub(choice, formula)
    text = _QUOTED.sub(lambda m: f"“{names.get(m.group(1), m.group(1))}”", text)
    text = _LARGE_MONEY.sub(r"\1\2元", text)
    text = _NOT.sub("非", _NAME.sub(label, text))  # after the names: 非 would hide the next one
    for sign, word in _WORDS.items():
        text = text.replace(sign, word)
    return text


def explain_award(award: dict, policies: PolicyCatalog, catalog: Catalog) -> str:
    """One award: the article quoted, the formula with the enterprise's figures, caps, payer."""
    rule = policies.rule(award["rule"])
    figures = json.loads(award["figures"] or "{}")
    shown = "，".join(_figure(k, v, policies) for k, v in figures.items())
    computed, paid = award.get("computed_fen"), award["amount_fen"]
    formula = rule.amount_text
    worked = filled(formula, figures, policies)
    calculation = f"计算：{in_words(formula, policies)}" + (
        f" = {in_words(worked, policies)}" if worked != formula else "")
    if computed is not None and rule.up_to is None:
        calculation += f" = {yuan(computed)}"
    parts = [f"{rule.name_zh}：依据{policies.place(rule)}「{rule.quote}」",
             calculation + (f"（{shown}）" if shown else "")]
    if award.get("already_paid_fen"):
        parts.append(f"已兑现 {yuan(award['already_paid_fen'])}，按补差原则扣除")
    if award.get("cap_fen") is not None and computed is not None and computed - (award.get("already_paid_fen") or 0) > paid:
        per = CAP_PER_ZH[rule.cap_per]
        parts.append(f"{per}最高 {yuan(award['cap_fen'])}，封顶")
    if award.get("needs_review"):
        parts.append("尚无评审核定金额，按最高额暂列，待评审")
    names_zh = catalog.org_unit_names()
    settle = "，年底与市财政统一结算" if award.get("settle_with_city") else ""
    parts.append(f"应付 {yuan(paid)}，付给{PAYEE_ZH[award['payee']]}，由{treasury_name(names_zh, award['payer'])}兑现{settle}")
    return "；".join(parts) + "。"


def misses(uscc: str, enterprises: pl.DataFrame, facts: pl.DataFrame | None, events: pl.DataFrame | None,
           year: int, awarded: Sequence[str], superseded: pl.DataFrame, *, policies: PolicyCatalog,
           catalog: Catalog) -> list[dict]:
    """Every rule one enterprise did not receive in ``year``, with the reason."""
    enterprises = numbered(conform(enterprises, ENTERPRISE_SCHEMA).filter(pl.col("uscc") == uscc))
    facts = conform(facts, FACT_SCHEMA).filter(pl.col("uscc") == uscc)
    events = conform(events, EVENT_SCHEMA).filter(pl.col("uscc") == uscc)
    facts_ctx = facts_context(enterprises, facts)
    events_ctx = events_context(enterprises, facts_ctx, events, [year])
    found = []
    for policy in policies.policies:
        in_region = pl.col("org_unit").is_in(sorted(catalog.subtree(policy.region)))
        for rule in policy.rules:
            if rule.id in awarded:
                continue
            reason, no_event = _reason(rule, policy, policies, facts_ctx, events_ctx, in_region, year, superseded)
            found.append({"rule": rule.id, "name_zh": rule.name_zh, "article": rule.article_label, "reason": reason,
                          "no_event": no_event})
    return found


def _reason(rule: Rule, policy, policies: PolicyCatalog, facts_ctx: pl.DataFrame, events_ctx: pl.DataFrame,
            in_region: pl.Expr, year: int, superseded: pl.DataFrame) -> tuple[str, bool]:
    """Why the rule gave nothing, and whether that is only for want of its event."""
    reason = _first_failure(rule, policy, policies, facts_ctx, events_ctx, in_region, year, superseded)
    return reason, reason.startswith(f"{year}年无本条对应的事件")


def _first_failure(rule: Rule, policy, policies: PolicyCatalog, facts_ctx: pl.DataFrame, events_ctx: pl.DataFrame,
                   in_region: pl.Expr, year: int, superseded: pl.DataFrame) -> str:
    variables = readable(policies.variables, rule.on)
    if "facts" in rule.on:
        table = facts_ctx.filter(pl.col("year") == year)
        if table.is_empty():
            return f"无{year}年度经营数据（主营业务收入、研发投入）"
    else:
        table = events_ctx.filter(pl.col("kind").is_in(list(rule.on)))
        if table.is_empty():
            return f"{year}年无本条对应的事件（事件类型 {' 或 '.join(rule.on)}）"
    beaten = superseded.filter(pl.col("rule") == rule.id)
    if beaten.height:
        return f"同一对象已按“{beaten['superseded_by'][0]}”就高享受一次（附则二）"
    tests = eligibility(policy, rule, variables, in_region, [year])
    messages = {
        "region": "企业不在本政策适用范围（衢州市）内",
        "year": f"本条适用年度为{rule.first_year}年起" + (f"至{rule.last_year}年" if rule.last_year else ""),
        "scope": f"本条仅适用于{SCOPE_ZH['city_level']}（{'、'.join(policy.city_level)}）企业",
        "excluded": "省部属非制造业企业不享受本政策（附则二）",
    }
    for key, test in tests.items():
        if table.select(test.any()).item():
            table = table.filter(test)
            continue
        if key != "when":
            return messages[key]
        for clause in conjuncts(rule.when):
            if not table.select(condition(clause, variables).any()).item():
                row = table.row(0, named=True)
                shown = "，".join(_figure(n, row.get(n), policies) for n in names(clause))
                return f"不满足条件“{in_words(clause.text, policies)}”（{shown}）"
        return f"不满足条件“{in_words(rule.when.text, policies)}”"
    return "计得金额为零（已全额兑现或不在分档范围内）"
