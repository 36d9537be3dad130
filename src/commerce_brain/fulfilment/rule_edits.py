"""Rule edits: a policy officer's change to a rule, kept as a new version beside the catalog.

The packaged catalog (``catalog/policies/*.yaml``) is the rule as the document states it;
an edit stores the whole edited rule definition as a new version with who, when and why,
and every later evaluation (batch, calculator, claim) uses the newest version of each rule.

Only the computable parts of a rule may change (``EDITABLE``: the condition, the amount, the
cap, the years it is valid, the note); what identifies and cites it — the id, the article, the
quoted sentence of the law, the trigger, the payee, the scope — stays as the document has it.
Version 0 is the packaged rule; each edit is the previous version + 1 under the table's unique
key, so of two officers saving at once exactly one wins. Reverting is an edit back to the
packaged definition. Awards already stored are never recomputed (see ``fulfilment.batch``).
"""

from __future__ import annotations

import difflib
import math
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import yaml
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from ..catalog.checks import CatalogError
from ..policy.catalog import (
    FIELD_ZH,
    RULE_KEYS,
    replace_rules,
    rule_definitions,
    rule_from_definition,
)
from ..policy.model import PolicyCatalog
from ..store.audit import record
from ..store.fulfilment_tables import MAX_REASON, FulfilmentError, NotFound, WrongState, actor_name
from ..store.rule_tables import rule_versions

# The order a definition is written in (docs/policy.md), so two versions differ only where they do.
KEY_ORDER = ("id", "name_zh", "article", "clause", "quote", "trigger", "scope", "when", "amount", "up_to",
             "cap", "cap_per", "payee", "tranche", "group", "includes_excluded", "valid", "note")
EDITABLE = ("when", "amount", "up_to", "cap", "cap_per", "valid", "note")
LOCKED = tuple(k for k in KEY_ORDER if k not in EDITABLE)
MAX_DEFINITION = 20_000  # characters; the longest packaged rule is about 1,500
assert set(KEY_ORDER) == RULE_KEYS, "KEY_ORDER must name every rule key the loader knows"


class InvalidRuleEdit(FulfilmentError):
    """The edited definition is refused (bad YAML, a locked field changed, a rule-language error)."""


class EditConflict(WrongState):
    """Someone else saved a newer version of the rule since the editor loaded it."""


@dataclass(frozen=True)
class RuleState:
    """A rule as it now stands: its version (0 = packaged), its definition as YAML, and whether
    that differs from the packaged one."""

    rule: str
    version: int
    definition: str
    edited: bool


class _CatalogDumper(yaml.SafeDumper):
    """Block style for the rule, flow style inside it: ``valid: [2019, 2023]``, and amount bands
    as ``- {when: …, value: …}`` indented under their key, as the catalog files write them."""

    _depth = 0

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)

    def represent_dict(self, data):
        self._depth += 1
        try:
            return self.represent_mapping("tag:yaml.org,2002:map", data, flow_style=self._depth > 1)
        finally:
            self._depth -= 1

    def represent_list(self, data):
        nested = any(isinstance(item, (dict, list)) for item in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=not nested)


_CatalogDumper.add_representer(dict, _CatalogDumper.represent_dict)
_CatalogDumper.add_representer(list, _CatalogDumper.represent_list)


def definition_yaml(raw: dict[str, Any]) -> str:
    """A rule's mapping as YAML in the catalog's format: keys in the documented order, one line
    per key (no folding, so a diff shows just the lines changed), bands and years inline."""
    ordered = {k: raw[k] for k in KEY_ORDER if k in raw}
    return yaml.dump(ordered, Dumper=_CatalogDumper, allow_unicode=True, sort_keys=False, width=10**6)


@cache
def packaged_text(rule_id: str) -> str:
    """The packaged definition as YAML (what version 0 is, and what a revert writes back)."""
    return definition_yaml(packaged_definition(rule_id))


def packaged_definition(rule_id: str) -> dict[str, Any]:
    """The rule's mapping as the packaged catalog file writes it; NotFound for an unknown rule."""
    try:
        return rule_definitions()[rule_id]
    except KeyError:
        raise NotFound("没有这条规则") from None


# ---- the effective catalog ----------------------------------------------------------------------

# Per engine: (count and newest id of rule_versions, the catalog built from them). Versions are
# only ever added, so the pair changes with every commit, including a lower id committed after
# a higher one; a worker thus sees another worker's edit on its next call.
_cache: weakref.WeakKeyDictionary[Engine, tuple[tuple, PolicyCatalog]] = weakref.WeakKeyDictionary()


def effective_policies(engine: Engine) -> PolicyCatalog:
    """The policy catalog every evaluation uses: the packaged rules with the newest stored
    edit of each applied. One small query per call; the catalog is rebuilt only after an edit."""
    from ..policy.engine import packaged

    with engine.connect() as conn:
        key = tuple(conn.execute(select(func.count(), func.max(rule_versions.c.id))).one())
    if key[0] == 0:
        return packaged()[0]
    cached = _cache.get(engine)
    if cached is not None and cached[0] == key:
        return cached[1]
    policies = packaged()[0]
    rules = []
    with engine.connect() as conn:
        for rule_id, version, definition in conn.execute(_newest()):
            if rule_id not in rule_definitions():
                continue  # a rule a later release of the catalog dropped: its edits no longer apply
            raw = _merged(packaged_definition(rule_id), yaml.safe_load(definition))
            try:
                rules.append(rule_from_definition(policies.policy(policies.rule(rule_id).policy), raw,
                                                  policies.variables, f"{rule_id} 第{version}版"))
            except CatalogError as exc:
                raise CatalogError(f"已保存的规则版本不再有效，请重新编辑：{exc}") from None
    catalog = replace_rules(policies, rules)
    _cache[engine] = (key, catalog)
    return catalog


def _newest():
    """rule, version, definition of each rule's newest version."""
    newest = (select(rule_versions.c.rule, func.max(rule_versions.c.version).label("version"))
              .group_by(rule_versions.c.rule).subquery())
    return (select(rule_versions.c.rule, rule_versions.c.version, rule_versions.c.definition)
            .join(newest, and_(rule_versions.c.rule == newest.c.rule, rule_versions.c.version == newest.c.version))
            .order_by(rule_versions.c.rule))


def _merged(packaged: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    # Identity and citation always come from the package (a later release may correct a quote);
    # a stored version supplies only the parts an edit may change.
    return {**{k: v for k, v in packaged.items() if k not in EDITABLE},
            **{k: v for k, v in stored.items() if k in EDITABLE}}


def rule_states(engine: Engine) -> dict[str, RuleState]:
    """Every rule's current state (version 0 and the packaged definition where never edited)."""
    packaged = rule_definitions()
    states = {rule_id: RuleState(rule_id, 0, packaged_text(rule_id), False) for rule_id in packaged}
    with engine.connect() as conn:
        for rule_id, version, definition in conn.execute(_newest()):
            if rule_id in packaged:
                states[rule_id] = RuleState(rule_id, version, definition, definition != states[rule_id].definition)
    return states


def rule_state(engine: Engine, rule_id: str) -> RuleState:
    """One rule's current state; NotFound for an unknown rule."""
    return _state(engine, rule_id)


def _state(conn_or_engine: Connection | Engine, rule_id: str) -> RuleState:
    packaged = packaged_text(rule_id)
    query = (select(rule_versions.c.version, rule_versions.c.definition).where(rule_versions.c.rule == rule_id)
             .order_by(rule_versions.c.version.desc()).limit(1))
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            row = conn.execute(query).first()
    else:
        row = conn_or_engine.execute(query).first()
    if row is None:
        return RuleState(rule_id, 0, packaged, False)
    return RuleState(rule_id, row.version, row.definition, row.definition != packaged)


# ---- editing --------------------------------------------------------------------------------------

def edit_rule(engine: Engine, rule_id: str, definition_yaml_text: str, *, reason: str, user,
              expected_version: int) -> int:
    """Store an edited definition of ``rule_id`` as its next version and return that version.

    ``user``: a User holding ``edit_rules`` (policy officer) or a trusted caller's name.
    ``expected_version``: the version the editor saw; EditConflict if another was saved since.
    The text is read with ``yaml.safe_load`` and checked exactly as the catalog loader checks a
    rule; InvalidRuleEdit (refused whole, nothing stored) says in Chinese and English why.
    The version and the audit event ``rules.edit`` are written in one transaction.
    """
    name = actor_name(user, "edit_rules")
    packaged = packaged_definition(rule_id)
    reason = _reason(reason)
    new = _checked(rule_id, packaged, definition_yaml_text)
    return _save(engine, rule_id, new, reason=reason, actor=name, expected_version=expected_version, revert=False)


def revert_rule(engine: Engine, rule_id: str, *, reason: str, user, expected_version: int) -> int:
    """Edit the rule back to its packaged definition (a new version, audited like any edit)."""
    name = actor_name(user, "edit_rules")
    packaged = packaged_definition(rule_id)
    return _save(engine, rule_id, packaged, reason=_reason(reason), actor=name, expected_version=expected_version,
                 revert=True)


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRuleEdit("请填写修改理由")
    if len(reason) > MAX_REASON:
        raise InvalidRuleEdit(f"修改理由最多 {MAX_REASON} 字")
    return reason


def _checked(rule_id: str, packaged: dict[str, Any], text: str) -> dict[str, Any]:
    """The edited mapping, refused whole unless it is a valid rule that changes only EDITABLE fields."""
    from ..policy.engine import packaged as packaged_catalogs

    if not isinstance(text, str) or not text.strip():
        raise InvalidRuleEdit("规则定义为空")
    if len(text) > MAX_DEFINITION:
        raise InvalidRuleEdit(f"规则定义过长（最多 {MAX_DEFINITION} 字）")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行第 {mark.column + 1} 列）" if mark else ""
        raise InvalidRuleEdit(f"规则定义格式有误{where}，请检查缩进和引号") from None
    if not isinstance(raw, dict):
        raise InvalidRuleEdit("规则定义应为“字段: 值”的映射")
    _plain_values(raw)
    for key in LOCKED:
        if raw.get(key) != packaged.get(key):
            raise InvalidRuleEdit(f"不能修改“{FIELD_ZH[key]}”（{key}）：规则的编号、条款、政策原文、触发、领取对象和"
                                  f"适用范围以政策文件为准，只能修改{'、'.join(FIELD_ZH.get(k, k) for k in EDITABLE)}")
    policies = packaged_catalogs()[0]
    try:
        rule_from_definition(policies.policy(policies.rule(rule_id).policy), raw, policies.variables, "规则")
    except CatalogError as exc:
        raise InvalidRuleEdit(f"规则定义有误，未保存：{exc}") from None
    return raw


def _plain_values(raw: dict[str, Any]) -> None:
    """Only text, numbers, true/false, null, and the short lists a rule has (amount bands, valid,
    trigger): no dates, no nested structures (and so no YAML alias bombs reach a comparison)."""

    def scalar(value: Any) -> bool:
        return value is None or isinstance(value, (str, int, bool)) or (isinstance(value, float) and math.isfinite(value))

    for key, value in raw.items():
        if scalar(value):
            continue
        ok = isinstance(value, list) and len(value) <= 50 and all(
            scalar(item) or (key == "amount" and isinstance(item, dict) and len(item) <= 2
                             and all(isinstance(k, str) and scalar(v) for k, v in item.items()))
            for item in value)
        if not ok:
            raise InvalidRuleEdit(f"“{FIELD_ZH.get(str(key), key)}”（{key}）的值应为文字、数字或简单列表")


def _save(engine: Engine, rule_id: str, new: dict[str, Any], *, reason: str, actor: str, expected_version: int,
          revert: bool) -> int:
    after = definition_yaml(new)
    with engine.begin() as conn:
        current = _state(conn, rule_id)
        if expected_version != current.version:
            raise _conflict(rule_id, current.version)
        if after == current.definition:
            raise InvalidRuleEdit("已是政策原文，无需恢复" if revert
                                  else "没有改动，未保存")
        version = current.version + 1
        try:
            conn.execute(insert(rule_versions).values(rule=rule_id, version=version, definition=after,
                                                      reason=reason, edited_by=actor, edited_at=datetime.now(UTC)))
        except IntegrityError:  # another officer's version committed first: ours rolls back whole
            raise _conflict(rule_id, None) from None
        before = yaml.safe_load(current.definition)
        changed = {k: {"before": before.get(k), "after": new.get(k)}
                   for k in EDITABLE if before.get(k) != new.get(k)}
        record(conn, actor=actor, action="rules.edit", object=f"rule:{rule_id}",
               detail={"rule": rule_id, "version": version, "reason": reason, "revert": revert,
                       "changed": changed, "diff": diff(current.definition, after)})
    return version


def _conflict(rule_id: str, version: int | None) -> EditConflict:
    saved = f"（现为第 {version} 版）" if version is not None else ""
    return EditConflict(f"他人已先修改了这条规则{saved}，请重新打开后再改")



def diff(before: str, after: str) -> str:
    """A unified diff of two definitions (the lines that changed, with a line of context), without
    the two file-name lines: the page and the audit event say which versions it compares."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), n=1)
    return "".join(list(lines)[2:])


def rule_history(engine: Engine, rule_id: str) -> list[dict]:
    """The rule's stored versions, newest first: version, edited_by, edited_at, reason, the
    definition, and its diff against the version before (the packaged rule for version 1)."""
    previous = packaged = packaged_text(rule_id)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(rule_versions).where(rule_versions.c.rule == rule_id).order_by(rule_versions.c.version))]
    for row in rows:
        if row["edited_at"].tzinfo is None:  # SQLite hands back naive datetimes; they were written in UTC
            row["edited_at"] = row["edited_at"].replace(tzinfo=UTC)
        row["diff"] = diff(previous, row["definition"])
        row["packaged"] = row["definition"] == packaged
        previous = row["definition"]
    return rows[::-1]
