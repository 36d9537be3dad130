"""The policy nouns: a policy document, its rules (one quantified award each) and its pools."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..catalog.citation import cite
from .expr_parse import Node
from .names import Names

SCOPES = ("citywide", "city_level")
CAP_PER = ("enterprise", "deal", "subject")
PAYEES = ("enterprise", "management", "operator")
PAYEE_ZH = {"enterprise": "企业", "management": "企业管理层", "operator": "运营主体"}
SCOPE_ZH = {"citywide": "全市", "city_level": "市本级"}
CAP_PER_ZH = {"deal": "每单", "enterprise": "单个企业", "subject": "单个项目（对象）"}


@dataclass(frozen=True)
class Band:
    """One row of a tier table: the first band whose condition holds sets the amount."""

    when: Node | None
    value: Node


@dataclass(frozen=True)
class Clause:
    """A clause of a policy: which policy, its id and name, the article and the quoted sentence."""

    policy: str
    id: str
    name_zh: str
    article: int
    clause: str
    quote: str

    @property
    def article_label(self) -> str:
        """第8条（研发投入补助）"""
        return f"第{self.article}条（{self.clause}）"


@dataclass(frozen=True)
class Rule(Clause):
    """One quantified award: who qualifies, how much, capped how, paid to whom, cited where."""

    on: tuple[str, ...]           # ("facts",) or the event kinds that trigger the award
    scope: str
    when: Node | None
    amount: Node | None           # a formula, or
    bands: tuple[Band, ...]       # a tier table, or
    up_to: Node | None            # a discretionary amount up to a cap (最高…)
    cap: Node | None
    cap_per: str
    payee: str
    tranche: str | None
    group: str | None
    includes_excluded: bool
    first_year: int
    last_year: int | None
    note: str | None = None

    @property
    def amount_text(self) -> str:
        """The amount as written in the catalog, for explanations."""
        if self.amount is not None:
            return self.amount.text
        if self.up_to is not None:
            return f"评审核定金额，最高 {self.up_to.text}"
        return "；".join(f"{b.when.text if b.when else '其他'} → {b.value.text}" for b in self.bands)


@dataclass(frozen=True)
class Pool:
    """An annual budget pot the policy sets aside (not an award to one enterprise)."""

    policy: str
    id: str
    name_zh: str
    article: int
    quote: str
    annual_budget_fen: int | None
    scope: str
    first_year: int
    last_year: int | None
    note: str | None = None


@dataclass(frozen=True)
class UncomputedClause(Clause):
    """A promise of the policy the platform lists but does not compute, with the reason why
    (in Chinese, shown on the 政策规则 page and by ``policy rules``)."""

    reason: str
    note: str | None = None


@dataclass(frozen=True)
class Citation:
    """A quoted sentence of the policy text."""

    section: str
    quote: str


@dataclass(frozen=True)
class Policy:
    """A policy document with its area, its meaning of 市本级, and its rules."""

    id: str
    title: str
    issuer: str | None
    doc_number: str | None
    source: str
    region: str
    city_level: tuple[str, ...]
    first_year: int
    earlier_years: str
    excluded: Node | None
    citations: dict[str, Citation]
    rules: tuple[Rule, ...]
    pools: tuple[Pool, ...] = field(default=())
    not_computed: tuple[UncomputedClause, ...] = field(default=())
    valid_until: date | None = None  # 失效日期: award years after its year are not this policy's


@dataclass(frozen=True)
class PolicyCatalog:
    """Every policy, and the variables their rules may read."""

    policies: tuple[Policy, ...]
    variables: dict[str, dict[str, tuple[str, str]]]  # table → name → (kind, name_zh)
    names: Names = field(default_factory=Names)        # Chinese names of kinds, levels, ratings

    def rules(self) -> list[Rule]:
        """All rules of all policies, in catalog order."""
        return [r for p in self.policies for r in p.rules]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; KeyError when none."""
        for rule in self.rules():
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def place(self, rule: Rule) -> str:
        """Where a rule is written: 《title》（文号）第8条（研发投入补助）."""
        policy = self.policy(rule.policy)
        return cite(policy.title, policy.doc_number, rule.article_label)

    def policy(self, policy_id: str) -> Policy:
        """The policy with this id; KeyError when none."""
        for policy in self.policies:
            if policy.id == policy_id:
                return policy
        raise KeyError(policy_id)

    def event_kinds(self) -> set[str]:
        """Every event kind some rule is triggered by."""
        return {kind for r in self.rules() for kind in r.on if kind != "facts"}

    def label(self, name: str) -> str:
        """The Chinese label of a variable (prev__x: 上年 + label)."""
        base = name.removeprefix("prev__")
        for table in self.variables.values():
            if base in table:
                return ("上年" if name.startswith("prev__") else "") + table[base][1]
        return name
