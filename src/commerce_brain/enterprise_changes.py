"""An enterprise data import's new and changed rows as a person reads them: sheet, enterprise,
year or event, and each field old → new in Chinese, money in 元, rates in %, flags 是/否, regions
and event kinds by name. The 企业数据导入 page's preview and `policy import` print the same."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from .io.enterprise_fields import FIELD_ALIASES
from .policy.fact_registry import BY_NAME
from .policy.fact_registry import FACTS as REGISTRY
from .io.enterprise_import import PolicyData
from .catalog import Catalog
from .policy.calculator_form import rate_text
from .policy.model import PolicyCatalog
from .policy.vocabulary import CHOICE_ZH
from .render import money
from .store.enterprise_imports import EnterpriseImport

SHEET_ZH = {"enterprises": "企业", "facts": "年度数据", "events": "事件", "fact_values": "年度数据（其他指标）"}
CHANGE_ZH = {"new": "新增", "changed": "修订", "unchanged": "未变"}
MONEY = (*(f.name for f in REGISTRY if f.kind == "money"), "amount", "assessed_award", "already_paid")
RATES = ("local_share", "benchmark_rate")
FLAGS = ("is_manufacturing", "is_industrial", "is_listed", "is_provincial_or_central_owned",
         *(f.name for f in REGISTRY if f.kind == "bool"))
# What names a row in the listing; the rest of its fields are what may change. An event's year
# is its date's, and its id the store's.
NAMED_BY = {"enterprises": ("uscc",), "facts": ("uscc", "year"), "events": ("uscc", "kind", "date", "subject", "year")}
NOT_SHOWN = ("id", "change", "version")


def changed_rows(planned: EnterpriseImport, data: PolicyData, *, catalog: Catalog, policies: PolicyCatalog,
                 limit: int, changes: tuple[str, ...] = ("new", "changed")) -> list[dict]:
    """Up to ``limit`` rows of each sheet whose change is one of ``changes``: ``sheet``,
    ``change``, ``who`` (name and code), ``what`` (the year or the event) and ``diffs``
    [(field, old, new)]. Regions are named from ``catalog``, event kinds by the names the
    policy catalog gives them."""
    labels = _Labels(catalog.org_unit_names(), policies.names.event_kinds, data)
    rows = []
    for table, frame in planned.changes.items():
        for row in frame.filter(pl.col("change").is_in(changes)).head(limit).iter_rows(named=True):
            rows.append({"sheet": SHEET_ZH[table], "change": CHANGE_ZH[row["change"]],
                         "who": labels.enterprise(row["uscc"]), "what": labels.what(table, row),
                         "diffs": labels.diffs(table, row)})
    return rows


def fact_shown(name: str, value) -> str:
    """A registry fact's stored value as a person reads it, with its unit: 1,234.56 元,
    12.35 亩 (1235 hundredths), 是/否, A; "—" when empty."""
    fact = BY_NAME[name]
    if value is None:
        return "—"
    if fact.kind == "money":
        return f"{money(value)} 元"
    if fact.kind == "bool":
        return "是" if value else "否"
    if fact.kind == "decimal":  # 1235 hundredths → 12.35 亩
        whole, part = divmod(value, 10 ** fact.scale)
        return f"{whole:,}.{part:0{fact.scale}d} {fact.unit}"
    if fact.kind == "number":
        return f"{value:,} {fact.unit}".strip()
    return str(value)


class _Labels:
    def __init__(self, regions: Mapping[str, str], kinds: Mapping[str, str], data: PolicyData) -> None:
        self.regions, self.kinds = regions, kinds
        self.names = dict(zip(data.enterprises["uscc"].to_list(), data.enterprises["name"].to_list(), strict=True))

    def enterprise(self, uscc: str) -> str:
        return f"{self.names.get(uscc, '')}（{uscc}）"

    def what(self, table: str, row: dict) -> str:
        if table in ("facts", "fact_values"):
            return f"{row['year']}年"
        if table == "events":
            return "，".join(x for x in (self.value("kind", row["kind"]), str(row["date"]), row["subject"]) if x)
        return ""

    def diffs(self, table: str, row: dict) -> list[tuple[str, str, str]]:
        if table == "fact_values":  # one long fact: its value or its text
            name = row["name"]
            old = row.get("old_text") if row.get("old_text") is not None else row.get("old_value")
            new = row["text"] if row["text"] is not None else row["value"]
            return [(FIELD_ALIASES[name][0] if name in FIELD_ALIASES else name, self.value(name, old),
                     self.value(name, new))]
        shown = []
        for name in row:
            if name.startswith("old_") or name in NAMED_BY[table] or name in NOT_SHOWN:
                continue
            old, new = row.get(f"old_{name}"), row[name]
            # A new row shows what it gives; a revised row only what it changes.
            if (row["change"] == "new" and new is None) or (row["change"] == "changed" and old == new):
                continue
            shown.append((FIELD_ALIASES[name][0], self.value(name, old), self.value(name, new)))
        return shown

    def value(self, name: str, value) -> str:
        if value is None:
            return "—"
        if name in MONEY:
            return f"{money(value)} 元"
        if name in RATES:
            return f"{rate_text(value)}%"
        if name in FLAGS:
            return "是" if value else "否"
        if name in BY_NAME:
            return fact_shown(name, value)
        if name == "org_unit":
            return self.regions.get(value, value)
        if name == "kind":
            return self.kinds.get(value, value)
        if name in ("level", "rating"):
            return CHOICE_ZH.get(value, value)
        return str(value)
