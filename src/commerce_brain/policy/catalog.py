"""Load and validate the policy catalog: every expression is parsed and compiled at load."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..catalog.checks import CatalogError, document, known_keys, required
from ..catalog.load import default_catalog_dir
from .expr_compile import Var, compile_expr, to_condition, to_fen
from .fact_registry import BY_NAME
from .expr_parse import ExprError, Node, Number, parse
from .model import (
    CAP_PER,
    PAYEES,
    SCOPES,
    Band,
    Citation,
    Policy,
    PolicyCatalog,
    Pool,
    Rule,
    UncomputedClause,
)
from .names import FILE_NAME as NAMES_FILE
from .names import load_names, packaged_names
from .vocabulary import choices

NOT_POLICIES = {"variables.yaml", NAMES_FILE}
POLICY_KEYS = {"id", "title", "issuer", "doc_number", "source", "region", "city_level", "first_year", "valid_until",
               "earlier_years", "excluded", "citations", "rules", "pools", "not_computed"}
# `trigger`, not `on`: YAML 1.1 reads a bare `on` key as the boolean true.
RULE_KEYS = {"id", "name_zh", "article", "clause", "quote", "trigger", "scope", "when", "amount", "up_to",
             "cap", "cap_per", "payee", "tranche", "group", "includes_excluded", "valid", "note"}
POOL_KEYS = {"id", "name_zh", "article", "quote", "annual_budget", "scope", "valid", "note"}
# Each rule field's Chinese name, for refusals an officer reads on the rule page.
FIELD_ZH = {"id": "规则编号", "name_zh": "名称", "article": "条", "clause": "款项", "quote": "政策原文",
            "trigger": "触发", "scope": "适用范围", "payee": "领取对象", "tranche": "阶段", "group": "就高组",
            "includes_excluded": "是否含省部属非制造业企业", "when": "条件", "amount": "金额", "up_to": "最高额",
            "cap": "上限", "cap_per": "上限口径", "valid": "有效年度", "note": "说明"}
NOT_COMPUTED_KEYS = {"id", "name_zh", "article", "clause", "quote", "reason", "note"}


def load_policy_catalog(directory: Path | None = None) -> PolicyCatalog:
    """Load ``catalog/policies/*.yaml`` (the packaged catalog by default), refusing it whole
    with the file, rule and reason when anything is off."""
    directory = (directory or default_catalog_dir()) / "policies"
    variables = _variables(directory / "variables.yaml")
    policies = tuple(_policy(path, variables) for path in sorted(directory.glob("*.yaml"))
                     if path.name not in NOT_POLICIES)
    ids = ([r.id for p in policies for r in p.rules] + [pool.id for p in policies for pool in p.pools]
           + [n.id for p in policies for n in p.not_computed])
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CatalogError(f"rule ids used twice: {', '.join(dupes)}")
    if not (directory / NAMES_FILE).exists():
        # A catalog without its own vocabulary (a test's) borrows the packaged names; a code
        # they lack is shown as it is.
        return PolicyCatalog(policies=policies, variables=variables, names=packaged_names())
    found = PolicyCatalog(policies=policies, variables=variables, names=load_names(directory / NAMES_FILE))
    unnamed = found.names.missing(found.event_kinds(), [c for cs in choices(found).values() for c in cs])
    if unnamed:
        raise CatalogError(f"{NAMES_FILE}: no Chinese name for {', '.join(unnamed)}")
    return found


@cache
def _definitions(directory: Path | None) -> dict[str, dict[str, Any]]:
    directory = (directory or default_catalog_dir()) / "policies"
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name not in NOT_POLICIES:
            for raw in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
                found[str(raw["id"])] = raw
    return found


def rule_definitions(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """Each rule's definition exactly as its catalog file writes it: rule id → the YAML mapping
    (the packaged catalog by default). A copy: the caller may change it freely."""
    return copy.deepcopy(_definitions(directory))


def rule_from_definition(policy: Policy, raw: Any, variables: dict[str, dict[str, tuple[str, str]]],
                         where: str = "规则") -> Rule:
    """One rule of ``policy`` from its YAML mapping, with every check the loader makes (every
    expression parsed and compiled against ``variables``); CatalogError names what is wrong."""
    return _rule(policy.id, raw, variables, where, policy.first_year)


def replace_rules(catalog: PolicyCatalog, rules: Iterable[Rule]) -> PolicyCatalog:
    """The catalog with each of ``rules`` in place of the rule of the same id (order kept);
    KeyError for a rule the catalog does not have."""
    new = {r.id: r for r in rules}
    unknown = set(new) - {r.id for r in catalog.rules()}
    if unknown:
        raise KeyError(", ".join(sorted(unknown)))
    policies = tuple(dataclasses.replace(p, rules=tuple(new.get(r.id, r) for r in p.rules))
                     for p in catalog.policies)
    return dataclasses.replace(catalog, policies=policies)


def _variables(path: Path) -> dict[str, dict[str, tuple[str, str]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {table: {name: (spec["kind"], spec["name_zh"]) for name, spec in entries.items()}
            for table, entries in raw.items()}


def _scale(name: str) -> int:
    """A decimal fact's number of places, from the fact registry (0 for anything else)."""
    found = BY_NAME.get(name)
    return found.scale if found else 0


def readable(variables: dict[str, dict[str, tuple[str, str]]], on: tuple[str, ...] | str) -> dict[str, Var]:
    """The variables a rule triggered by ``on`` may read: the enterprise's, its facts of the
    award year (and the year before, via prev), and for event rules the event's."""
    tables = ["enterprise", "facts"] + ([] if "facts" in on else ["events"])
    found = {name: Var(name, kind, zh, _scale(name)) for t in tables for name, (kind, zh) in variables[t].items()}
    found.update({f"prev__{name}": Var(f"prev__{name}", kind, f"上年{zh}", _scale(name))
                  for name, (kind, zh) in variables["facts"].items()})
    return found


def _policy(path: Path, variables) -> Policy:
    data = document(path, POLICY_KEYS, ("title", "source", "region", "city_level", "first_year", "earlier_years"))
    where = path.name
    enterprise_vars = readable(variables, ("facts",))
    excluded = _expr(data.get("excluded"), enterprise_vars, where + " excluded", condition=True)
    citations = {key: Citation(section=str(c["section"]), quote=str(c["quote"]))
                 for key, c in (data.get("citations") or {}).items()}
    rules = tuple(_rule(data["id"], raw, variables, _rule_where(where, n, raw), data["first_year"])
                  for n, raw in enumerate(data.get("rules") or []))
    pools = tuple(_pool(data["id"], raw, f"{where} pool {n + 1}", data["first_year"])
                  for n, raw in enumerate(data.get("pools") or []))
    not_computed = tuple(_uncomputed(data["id"], raw, f"{where} not_computed {n + 1}")
                         for n, raw in enumerate(data.get("not_computed") or []))
    return Policy(
        id=data["id"], title=data["title"], issuer=data.get("issuer"), doc_number=data.get("doc_number"),
        source=data["source"], region=str(data["region"]), city_level=tuple(str(c) for c in data["city_level"]),
        first_year=int(data["first_year"]), earlier_years=data["earlier_years"], excluded=excluded,
        valid_until=_valid_until(data.get("valid_until"), int(data["first_year"]), where),
        citations=citations, rules=rules, pools=pools, not_computed=not_computed,
    )


def _valid_until(value: Any, first_year: int, where: str) -> date | None:
    """The policy's last day (失效日期), if it has one; award years after its year are refused."""
    if value is None:
        return None
    try:
        until = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"{where}：失效日期（valid_until）“{value}”不是日期（应为 2023-12-31）") from None
    if until.year < first_year:
        raise CatalogError(f"{where}：失效日期（valid_until）早于首个适用年度 {first_year}")
    return until


def _rule(policy_id: str, raw: dict[str, Any], variables, where: str, first_year: int) -> Rule:
    known_keys(raw, RULE_KEYS, where)
    required(raw, ("id", "name_zh", "article", "clause", "quote", "trigger"), where)
    trigger = raw["trigger"]
    on = tuple(str(k) for k in trigger) if isinstance(trigger, list) else (str(trigger),)
    if "facts" in on and len(on) > 1:
        raise CatalogError(f"{where}：规则由年度数据或由事件触发，不能两者兼有")
    scope = raw.get("scope", "citywide")
    cap_per = raw.get("cap_per", "enterprise")
    payee = raw.get("payee", "enterprise")
    for value, allowed, name in ((scope, SCOPES, "scope"), (cap_per, CAP_PER, "cap_per"), (payee, PAYEES, "payee")):
        if value not in allowed:
            raise CatalogError(f"{where}：{FIELD_ZH[name]}（{name}）“{value}”不在可选值 {'、'.join(allowed)} 之中")
    names = readable(variables, on)
    amount, bands, up_to = raw.get("amount"), (), raw.get("up_to")
    if isinstance(amount, list):
        for band in amount:
            known_keys(band, {"when", "value"}, f"{where} 金额分档")
            required(band, ("value",), f"{where} 金额分档")
        bands = tuple(Band(when=_expr(b.get("when"), names, f"{where} 金额第 {n} 档“条件”", condition=True),
                           value=_expr(b.get("value"), names, f"{where} 金额第 {n} 档“金额”", money=True))
                      for n, b in enumerate(amount, 1))
        amount = None
    else:
        amount = _expr(amount, names, _field(where, "amount"), money=True)
    up_to = _expr(up_to, names, _field(where, "up_to"), money=True)
    if sum(x is not None and x != () for x in (amount, bands or None, up_to)) != 1:
        raise CatalogError(f"{where}：金额（amount，公式或分档）与最高额（up_to）须填且只填一项")
    valid = _valid(raw.get("valid"), first_year, where)
    return Rule(
        policy=policy_id, id=str(raw["id"]), name_zh=str(raw["name_zh"]), article=int(raw["article"]),
        clause=str(raw["clause"]), quote=str(raw["quote"]).replace(" ", ""), on=on, scope=scope,
        when=_expr(raw.get("when"), names, _field(where, "when"), condition=True), amount=amount, bands=bands, up_to=up_to,
        cap=_expr(raw.get("cap"), names, _field(where, "cap"), money=True), cap_per=cap_per, payee=payee,
        tranche=raw.get("tranche"), group=raw.get("group"),
        includes_excluded=bool(raw.get("includes_excluded", False)),
        first_year=int(valid[0]), last_year=None if valid[1] is None else int(valid[1]), note=raw.get("note"),
    )


def _rule_where(file: str, n: int, raw: Any) -> str:
    """Where a rule sits in its catalog file: the file, its position and its id (if it has one)."""
    rule_id = raw.get("id", "?") if isinstance(raw, dict) else "?"
    return f"{file} rule {n + 1}（{rule_id}）"


def _valid(valid: Any, first_year: int, where: str) -> list:
    """[first, last] award years (last may be null for open-ended)."""
    if valid is None:
        return [first_year, None]

    def year(y: Any) -> bool:
        return isinstance(y, int) and not isinstance(y, bool) and 1900 <= y <= 2200

    if (not isinstance(valid, list) or len(valid) != 2 or not year(valid[0])
            or not (valid[1] is None or year(valid[1]))):
        raise CatalogError(f"{where}：有效年度（valid）应写作 [起始年度, 截止年度或 null]，实际是 {valid!r}")
    if valid[1] is not None and valid[1] < valid[0]:
        raise CatalogError(f"{where}：有效年度（valid）的截止年度 {valid[1]} 早于起始年度 {valid[0]}")
    return valid


def _pool(policy_id: str, raw: dict[str, Any], where: str, first_year: int) -> Pool:
    known_keys(raw, POOL_KEYS, where)
    budget = raw.get("annual_budget")
    fen = None
    if budget is not None:
        node = parse(str(budget))
        if not isinstance(node, Number) or not node.money:
            raise CatalogError(f"{where}: annual_budget must be money such as 3000万, got {budget!r}")
        fen = int(node.value * 100)
    valid = raw.get("valid") or [first_year, None]
    return Pool(policy=policy_id, id=str(raw["id"]), name_zh=str(raw["name_zh"]), article=int(raw["article"]),
                quote=str(raw["quote"]).replace(" ", ""), annual_budget_fen=fen, scope=raw.get("scope", "citywide"),
                first_year=int(valid[0]), last_year=None if valid[1] is None else int(valid[1]), note=raw.get("note"))


def _uncomputed(policy_id: str, raw: dict[str, Any], where: str) -> UncomputedClause:
    """A clause listed with its reason for not being computed; the reason is shown to users."""
    known_keys(raw, NOT_COMPUTED_KEYS, where)
    required(raw, ("id", "name_zh", "article", "clause", "quote", "reason"), where)
    return UncomputedClause(policy=policy_id, id=str(raw["id"]), name_zh=str(raw["name_zh"]),
                            article=int(raw["article"]), clause=str(raw["clause"]),
                            quote=str(raw["quote"]).replace(" ", ""), reason=str(raw["reason"]),
                            note=raw.get("note"))


def _expr(text: Any, names: dict[str, Var], where: str, *, condition: bool = False, money: bool = False) -> Node | None:
    if text is None:
        return None
    try:
        node = parse(str(text))
        compiled = compile_expr(node, names)
        if condition:
            to_condition(compiled)
        if money:
            to_fen(compiled)
    except ExprError as exc:
        raise CatalogError(f"{where}：{exc}") from None
    return node


def _field(where: str, key: str) -> str:
    """``where`` narrowed to one rule field, named in Chinese with the key the officer wrote."""
    return f"{where} {FIELD_ZH[key]}（{key}）"

