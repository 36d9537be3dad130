"""The catalog's nouns: org units, plans, indicators and the statements that cite them."""

from __future__ import annotations

from dataclasses import dataclass, field

from .citation import cite

GROWTH_KINDS = ("annual_growth", "cumulative", "point_change", "count", "share")
ATTRIBUTES = ("expected", "binding")
DIRECTIONS = ("higher", "lower")
COMPARATORS = (">=", ">", "~", "<=", "<")
ORG_KINDS = ("province", "city", "district", "county", "county_city", "zone")

ATTRIBUTE_ZH = {"expected": "预期性", "binding": "约束性", None: ""}
GROWTH_KIND_ZH = {
    "annual_growth": "年均增长",
    "cumulative": "五年累计",
    "point_change": "百分点变化",
    "count": "数量",
    "share": "比重",
}


@dataclass(frozen=True)
class Citation:
    """Where a number comes from: the document (title, 文号), its table or section, the quoted
    words, and the seed file it was read from (provenance only: never shown)."""

    source: str
    section: str
    quote: str
    title: str = ""
    doc_number: str | None = None

    def text(self) -> str:
        """One line for people: 「quote」（《title》（文号）section）."""
        return cite(self.title, self.doc_number, self.section, self.quote)

    def place(self) -> str:
        """Where, without the quote: 《title》（文号）section."""
        return cite(self.title, self.doc_number, self.section)


@dataclass(frozen=True)
class Reported:
    """An outcome printed in a results table (e.g. 000 表1's 2020 column)."""

    year: int
    value: float
    growth: str | None


@dataclass(frozen=True)
class Indicator:
    """One plan indicator: base, target, stated growth as printed, and its citation."""

    plan: str
    id: str
    name_zh: str
    name_en: str
    category: str
    unit: str
    base_year: int
    base_value: float | None
    target_year: int
    target_value: float | None
    stated_growth: str | None
    growth_kind: str
    attribute: str | None
    direction: str
    citation: Citation
    target_text: str | None = None
    target_comparator: str = ">="
    target_as_printed: str | None = None
    unit_as_printed: str | None = None
    price_basis: str | None = None
    yearly_targets: dict[int, float] = field(default_factory=dict)
    reported: Reported | None = None
    note: str | None = None


@dataclass(frozen=True)
class Statement:
    """A prose restatement of an indicator's growth (“年均增长15%左右”, “翻一番”)."""

    plan: str
    indicator: str
    stated_growth: str
    citation: Citation


@dataclass(frozen=True)
class Plan:
    """A plan document and the indicators it sets."""

    id: str
    title: str
    title_en: str
    issuer: str | None
    doc_number: str | None
    period: tuple[int, int]
    base_year: int
    org_unit: str
    source: str
    indicators: tuple[Indicator, ...]
    statements: tuple[Statement, ...] = ()

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id; KeyError when the plan has none."""
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)


@dataclass(frozen=True)
class OrgUnit:
    """An administrative division (GB/T 2260) or a functional zone with a project code."""

    code: str
    name_zh: str
    name_en: str
    parent: str | None
    kind: str
