"""One enterprise's figures and events as entered on a form: the calculator's and a claim's input.

``EnterpriseInputs`` is what a person typed (or what was prefilled from the stored data and then
changed): the enterprise's attributes, its yearly figures, its events. It turns into the
engine's three frames (``frames``) and round-trips through JSON (``to_json``/``from_json``), so a
claim keeps exactly what it was evaluated on. Money is integer fen, rates millionths, as in
``frames.py``; JSON carries dates as ISO strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from datetime import date

import polars as pl

from .expr_compile import BOUNDS
from .fact_registry import COLUMN_FACTS, OFFICER_FACTS
from .fact_registry import FACTS as REGISTRY
from .frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform

_INTEGER = (pl.Int32, pl.Int64)
YEARS = (1900, 2100)  # a fact's or an event's year: the enterprise's history, not only the award year
# Figures that set money and belong to officers, never to the enterprise: what reviewers
# assessed for a 最高… award, and what was paid before for the same subject (补差).
REVIEWER_FIELDS = ("assessed_award", "already_paid")


class InputError(ValueError):
    """Entered figures that do not make a valid input (the message says which and why)."""


@dataclass(frozen=True)
class EnterpriseInputs:
    """An enterprise, its yearly figures and its events, as plain records (no ``uscc`` in the
    facts and events: they are all the enterprise's)."""

    enterprise: dict
    facts: tuple[dict, ...] = field(default=())
    events: tuple[dict, ...] = field(default=())

    @property
    def uscc(self) -> str:
        """The enterprise's 统一社会信用代码."""
        return self.enterprise["uscc"]

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """The engine's enterprises, facts and events frames for this one enterprise."""
        uscc = self.uscc
        enterprises = _frame([self.enterprise], ENTERPRISE_SCHEMA, "enterprise")
        facts = _frame([{**f, "uscc": uscc} for f in self.facts], FACT_SCHEMA, "facts")
        events = _frame([{**e, "uscc": uscc, "year": e["date"].year} for e in self.events], EVENT_SCHEMA, "events")
        return enterprises, facts, events

    def to_json(self) -> str:
        """The inputs as JSON (dates ISO, money in fen)."""
        events = [{**e, "date": e["date"].isoformat()} for e in self.events]
        return json.dumps({"enterprise": self.enterprise, "facts": list(self.facts), "events": events},
                          ensure_ascii=False, sort_keys=True)

    def without_reviewer_fields(self) -> EnterpriseInputs:
        """The inputs with ``assessed_award`` and ``already_paid`` dropped from every event, and
        the officers' facts (``officer`` in the registry) from every year: what an enterprise may say. A 最高… award is then proposed at its cap and marked for review
        (评审核定), and 补差 uses only what officers and the platform record."""
        events = tuple({k: v for k, v in e.items() if k not in REVIEWER_FIELDS} for e in self.events)
        # Facts officers or grading set (the 亩均 class, incidents, penalties) are not the
        # enterprise's to state either: a claim reads them from the store.
        facts = tuple({k: v for k, v in f.items() if k not in OFFICER_FACTS} for f in self.facts)
        return EnterpriseInputs(enterprise=self.enterprise, facts=facts, events=events)

    @classmethod
    def from_json(cls, text: str) -> EnterpriseInputs:
        """The inputs ``to_json`` wrote; InputError when the text is not such a record."""
        try:
            raw = json.loads(text)
            events = tuple({**e, "date": date.fromisoformat(e["date"])} for e in raw.get("events", []))
            inputs = cls(enterprise=dict(raw["enterprise"]), facts=tuple(raw.get("facts", [])), events=events)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InputError("输入数据无法读取：不是有效的 JSON 数据") from None

        inputs.frames()  # checks every key and type
        return inputs

    @classmethod
    def from_stored(cls, uscc: str, enterprises: pl.DataFrame, facts: pl.DataFrame,
                    events: pl.DataFrame) -> EnterpriseInputs:
        """One enterprise's stored data (KeyError when it has none)."""
        found = enterprises.filter(pl.col("uscc") == uscc)
        if found.is_empty():
            raise KeyError(uscc)
        return cls(
            enterprise=found.row(0, named=True),
            facts=tuple(compact(f) for f in facts.filter(pl.col("uscc") == uscc).drop("uscc").sort("year").to_dicts()),
            events=tuple(events.filter(pl.col("uscc") == uscc).drop("uscc", "year").to_dicts()),
        )


def compact(fact: dict) -> dict:
    """A year's facts without the empty long ones (the registry has many a form leaves blank);
    the year and the two column facts are always there, as the engine's contract has them."""
    return {k: v for k, v in fact.items() if v is not None or k == "year" or k in COLUMN_FACTS}


@cache
def _limits() -> dict[str, tuple[int, int, str]]:
    """Each integer input's plausible range and its Chinese name: money, counts and rates by the
    kind variables.yaml declares (the engine's BOUNDS), years by ``YEARS``."""
    from .engine import packaged

    limits = {"year": (*YEARS, "年度")}
    for table in packaged()[0].variables.values():
        for name, (kind, name_zh) in table.items():
            if kind in BOUNDS:
                limits[name] = (0, BOUNDS[kind], name_zh)
    # A registry fact's own bounds, in stored units (fen, hundredths of a 亩 …).
    limits.update({f.name: (*f.stored_bounds, f.name_zh) for f in REGISTRY if f.stored_bounds})
    return limits


def _check_range(what: str, name: str, value: int) -> None:
    """Refuse a figure outside its plausible range: beyond it the engine's 64-bit columns would
    overflow (a 500), and no enterprise has 10^25 fen of revenue or 10^30 patents."""
    low, high, name_zh = _limits().get(name, (0, BOUNDS["money"], name))
    if not low <= value <= high:
        raise InputError(f"{what}：{name_zh}超出合理范围，应在 {low:,} 到 {high:,} 之间")


def _frame(records: list[dict], schema: dict, what: str) -> pl.DataFrame:
    """Records as a frame of ``schema``, refusing unknown fields and values of the wrong type
    (a float where fen are due would lose money silently)."""
    for record in records:
        unknown = sorted(set(record) - set(schema))
        if unknown:
            raise InputError(f"{what}：未知字段 {'、'.join(unknown)}")
        for name, value in record.items():
            if value is None:
                continue
            dtype = schema[name]
            ok = (isinstance(value, int) and not isinstance(value, bool) if dtype in _INTEGER
                  else isinstance(value, bool) if dtype == pl.Boolean
                  else isinstance(value, date) if dtype == pl.Date
                  else isinstance(value, str))
            if not ok:
                raise InputError(f"{what}：{name} 的值类型不对：{value!r}"
)
            if dtype in _INTEGER:
                _check_range(what, name, value)
    if not records:
        return conform(None, schema)
    return conform(pl.DataFrame(records, schema_overrides={k: v for k, v in schema.items()
                                                           if any(k in r for r in records)}), schema)
