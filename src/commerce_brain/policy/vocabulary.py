"""The values an enumerated field may take, and the one check of them every path uses.

An event's ``kind`` must be one some rule is triggered by, its ``level`` and ``rating`` one
the rules compare with (``level == "national"``, ``rating in ("dark_green", …)``), and an
enterprise's ``org_unit`` one of the city's. A value outside these would otherwise be paid as
if it were something else (a level ``galactic`` falls to a rule's 其他 band) or vanish silently
(a rating ``ultraviolet`` matches no band). The vocabulary is derived from the policy catalog
in force, so a rule edit that adds a level adds it here. Pure: no I/O; frames are checked
column-wise, never row by row.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

from .fact_registry import FACTS
from .expr_parse import Binary, Call, In, Name, Node, Text, Unary
from .model import PolicyCatalog
from .names import packaged_names

ENUMERATED = ("kind", "level", "rating")
# Yearly facts of kind ``class`` (the 亩均 class A/B/C/D): their values are the registry's.
CLASS_FACTS = {f.name: frozenset(f.vocabulary) for f in FACTS if f.kind == "class"}
FIELD_ZH = {"kind": "事件类型", "level": "级别", "rating": "评级", "org_unit": "所在地区",
            **{f.name: f.name_zh for f in FACTS if f.kind == "class"}}
# Codes the rules compare levels and ratings with, as a person reads them (catalog data:
# catalog/policies/vocabulary.yaml).
CHOICE_ZH = packaged_names().choices
MAX_SHOWN = 12


class UnknownValues(ValueError):
    """Enumerated values outside the vocabulary; the message names each in Chinese."""


@dataclass(frozen=True)
class Vocabulary:
    """What ``kind``, ``level``, ``rating`` (and, when known, ``org_unit``) may be."""

    event_kinds: frozenset[str]
    levels: frozenset[str]
    ratings: frozenset[str]
    org_units: frozenset[str] | None = None

    @classmethod
    def of(cls, policies: PolicyCatalog, org_units: Collection[str] | None = None) -> Vocabulary:
        """The vocabulary of these rules (and these org units, if given)."""
        found = choices(policies)
        return cls(frozenset(policies.event_kinds()), frozenset(found["level"]), frozenset(found["rating"]),
                   None if org_units is None else frozenset(org_units))

    def check(self, enterprises: pl.DataFrame, events: pl.DataFrame, facts: pl.DataFrame | None = None) -> None:
        """Raise ``UnknownValues`` naming every enterprise, event or yearly class value outside
        the vocabulary (events numbered from 1 in frame order, facts named by year)."""
        lines = [f"企业：{reason}" for reason in problems(enterprises, self)["reason"]]
        if facts is not None:
            lines += [f"{facts['year'][row]}年度：{reason}"
                      for row, reason in problems(facts, self).select("row", "reason").iter_rows()]
        lines += [f"事件{row + 1}：{reason}"
                  for row, reason in problems(events, self).select("row", "reason").iter_rows()]
        if lines:
            raise UnknownValues("；".join(lines))

    def allowed(self, field: str) -> frozenset[str] | None:
        """The values ``field`` may take; None when it is not checked."""
        return {"kind": self.event_kinds, "level": self.levels, "rating": self.ratings,
                "org_unit": self.org_units, **CLASS_FACTS}.get(field)


def choices(policies: PolicyCatalog) -> dict[str, list[str]]:
    """The codes rules compare ``level`` and ``rating`` with (``level == "national"``), in
    catalog order, so a form can offer them instead of asking for free text."""
    found: dict[str, list[str]] = {"level": [], "rating": []}

    def add(name: str, values) -> None:
        if name in found:
            found[name] += [v for v in values if v not in found[name]]

    def walk(node: Node | None) -> None:
        if isinstance(node, Binary):
            if node.op == "==" and isinstance(node.left, Name) and isinstance(node.right, Text):
                add(node.left.name, [node.right.value])
            walk(node.left)
            walk(node.right)
        elif isinstance(node, In) and isinstance(node.operand, Name):
            add(node.operand.name, node.options)
        elif isinstance(node, Unary):
            walk(node.operand)
        elif isinstance(node, Call):
            for arg in node.args:
                walk(arg)

    for rule in policies.rules():
        for node in (rule.when, *(b.when for b in rule.bands)):
            walk(node)
    return found


def shown(values: Collection[str]) -> str:
    """The allowed values as a person reads them (国家级、省级…: the Chinese name where there is one), shortened."""
    ordered = sorted(values)
    text = "、".join(CHOICE_ZH.get(v, v) for v in ordered[:MAX_SHOWN]) or "（无）"
    if len(ordered) > MAX_SHOWN:
        text += f"…（共 {len(ordered)} 个）"
    return text


def unknown(field: str, allowed: Collection[str]) -> pl.Expr:
    """Column-wise: null where ``field`` is empty or allowed, else why not (in Chinese)."""
    col = pl.col(field)
    return pl.when(col.is_not_null() & ~col.is_in(sorted(allowed))).then(pl.concat_str([
        pl.lit(f"未知的{FIELD_ZH.get(field, field)}“"), col, pl.lit(f"”，可选：{shown(allowed)}")]))


def with_codes(frame: pl.DataFrame, fields: Collection[str] = ("level", "rating")) -> pl.DataFrame:
    """Chinese names of levels and ratings (省级, 深绿) replaced by their codes, the values the rules
    compare with; other values are left for the check to refuse."""
    codes = {zh: code for code, zh in CHOICE_ZH.items()}
    return frame.with_columns(pl.col(f).replace(codes) for f in fields if f in frame.columns)


def problems(frame: pl.DataFrame, vocabulary: Vocabulary) -> pl.DataFrame:
    """Every value of the frame's enumerated columns outside the vocabulary: one row each with the
    frame's row index (``row``), the ``field`` and the ``reason``."""
    checks = [(f, vocabulary.allowed(f)) for f in (*ENUMERATED, "org_unit", *CLASS_FACTS) if f in frame.columns]
    # An enterprise frame has no event fields and an event frame no org unit: each checks its own.
    found = [frame.with_row_index("row").select("row", field=pl.lit(f), reason=unknown(f, allowed))
             for f, allowed in checks if allowed is not None]
    schema = {"row": pl.UInt32, "field": pl.String, "reason": pl.String}
    if not found:
        return pl.DataFrame(schema=schema)
    return pl.concat(found).filter(pl.col("reason").is_not_null()).sort("row", maintain_order=True)
