"""The grading catalog (``catalog/grading/``): the 亩均效益 settings (``mu_benefit.yaml``) and
the rules of the leading and benchmark lists (``leaders.yaml``). Validated at load: the first bad
entry refuses the whole catalog, naming the file, the entry and the reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..catalog.checks import CatalogError, known_keys, required
from ..catalog.citation import cite
from ..catalog.load import default_catalog_dir
from ..policy.fact_registry import BY_NAME, INTEGER_KINDS

SIZE_CLASSES = ("above", "below")
SIZE_CLASS_ZH = {"above": "规上", "below": "规下"}
CLASSES = ("A", "B", "C", "D")
# Money facts are stored in fen; an indicator reads them in one of these units.
MONEY_UNITS = {"元": 100, "万元": 1_000_000}
MISSING_RULES = ("zero", "group_average")
PARCEL_LAND_RULES = ("sum", "max")


@dataclass(frozen=True)
class Indicator:
    """One scored indicator of a size class: value = numerator ÷ denominator, score = value ÷
    benchmark × weight, clipped to [0, cap]."""

    key: str
    name_zh: str
    unit: str
    numerator: str
    numerator_unit: str
    denominator: str
    weight: float
    cap: float
    when_missing: str
    percent: bool = False


@dataclass(frozen=True)
class Adjustment:
    """A bonus or penalty item: ``points`` when the bool fact ``fact`` is true."""

    fact: str
    points: float
    name_zh: str


@dataclass(frozen=True)
class GradingSettings:
    """Everything ``evaluate`` reads, from ``mu_benefit.yaml``."""

    min_land_mu_below_scale: float
    parcel_land: str
    indicators: dict[str, tuple[Indicator, ...]]
    # benchmarks[year or None][county or None][size_class][indicator] → value; None = every year / city-wide
    benchmarks: dict[int | None, dict[str | None, dict[str, dict[str, float]]]]
    bonuses: tuple[Adjustment, ...]
    penalties: tuple[Adjustment, ...]
    default_group: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    class_cuts: dict[str, dict[str, float]]
    citations: dict[str, str] = field(default_factory=dict)

    def all_indicators(self) -> tuple[Indicator, ...]:
        """Every indicator key once (规上 first), for the value__/score__ columns."""
        seen: dict[str, Indicator] = {}
        for size in SIZE_CLASSES:
            for ind in self.indicators[size]:
                seen.setdefault(ind.key, ind)
        return tuple(seen.values())

    def indicator(self, size_class: str, key: str) -> Indicator | None:
        """The indicator ``key`` of ``size_class``; None when that class does not score it."""
        return next((i for i in self.indicators[size_class] if i.key == key), None)

    def benchmark(self, year: int, county: str | None, size_class: str, key: str) -> float | None:
        """The benchmark in force: the year and county's, else the year's city-wide, else the default."""
        for y, c in ((year, county), (year, None), (None, None)):
            value = self.benchmarks.get(y, {}).get(c, {}).get(size_class, {}).get(key)
            if value is not None:
                return value
        return None

    def bool_facts(self) -> tuple[str, ...]:
        """The bool facts the bonus and penalty items read."""
        return tuple(dict.fromkeys(a.fact for a in (*self.bonuses, *self.penalties)))


@dataclass(frozen=True)
class LeaderList:
    """One list of article 1 (龙头 or 标杆 enterprises) and how its candidates are chosen."""

    key: str
    name_zh: str
    basis: str
    basis_zh: str
    size_classes: tuple[str, ...]
    industries: tuple[str, ...]
    min_main_revenue_yuan: int
    exclude_classes: tuple[str, ...]
    exclude_facts: tuple[tuple[str, str], ...]
    exclude_selected_in: tuple[str, ...]


@dataclass(frozen=True)
class LeaderRules:
    """The two lists (in drawing order), the tie-break at the cut and the citation."""

    lists: tuple[LeaderList, ...]
    tie_break: tuple[tuple[str, str], ...]
    citation: str


def grading_catalog_dir(directory: Path | None = None) -> Path:
    """The folder of the grading catalog (inside ``directory``, the packaged catalog by default)."""
    return Path(directory or default_catalog_dir()) / "grading"


@cache
def load_grading_settings(directory: Path | None = None) -> GradingSettings:
    """``mu_benefit.yaml`` validated; CatalogError naming the entry on the first bad one."""
    path = grading_catalog_dir(directory) / "mu_benefit.yaml"
    data = _document(path, {"title", "doc_number", "citations", "scope", "indicators", "benchmarks",
                            "bonuses", "penalties", "industry_groups", "classes"})
    name = path.name
    title, number = data.get("title"), data.get("doc_number")
    required(data, ("title", "scope", "indicators", "benchmarks", "classes"), name)
    citations = {key: _citation(entry, title, number, f"{name} citations.{key}")
                 for key, entry in (data.get("citations") or {}).items()}
    scope = known_keys(data["scope"], {"min_land_mu_below_scale", "parcel_land"}, f"{name} scope")
    min_land = _number(scope.get("min_land_mu_below_scale"), f"{name} scope.min_land_mu_below_scale")
    parcel_land = scope.get("parcel_land", "sum")
    if parcel_land not in PARCEL_LAND_RULES:
        raise CatalogError(f"{name} scope.parcel_land：应为 {'、'.join(PARCEL_LAND_RULES)} 之一，而不是 {parcel_land!r}")
    indicators = _indicators(data["indicators"], name)
    return GradingSettings(
        min_land_mu_below_scale=min_land, parcel_land=parcel_land, indicators=indicators,
        benchmarks=_benchmarks(data["benchmarks"], indicators, name),
        bonuses=_adjustments(data.get("bonuses"), f"{name} bonuses"),
        penalties=_adjustments(data.get("penalties"), f"{name} penalties"),
        **_groups(data.get("industry_groups") or {}, name),
        class_cuts=_class_cuts(data["classes"], name),
        # The evaluation's own document by title and 文号, beside the quoted clauses.
        citations={"document": f"《{title}》" + (f"（{number}）" if number else ""), **citations},
    )


@cache
def load_leader_rules(directory: Path | None = None) -> LeaderRules:
    """``leaders.yaml`` validated; CatalogError naming the entry on the first bad one."""
    path = grading_catalog_dir(directory) / "leaders.yaml"
    data = _document(path, {"title", "doc_number", "citation", "lists", "tie_break"})
    name = path.name
    required(data, ("title", "citation", "lists", "tie_break"), name)
    citation = _citation(data["citation"], data["title"], data.get("doc_number"), f"{name} citation")
    raw_lists = data["lists"]
    if not isinstance(raw_lists, dict) or not raw_lists:
        raise CatalogError(f"{name} lists：应列出至少一个名单")
    lists: list[LeaderList] = []
    for key, raw in raw_lists.items():
        where = f"{name} lists.{key}"
        raw = known_keys(raw, {"name_zh", "basis", "basis_zh", "size_classes", "industries",
                               "min_main_revenue_yuan", "exclude_classes", "exclude_facts",
                               "exclude_selected_in"}, where)
        required(raw, ("name_zh", "basis", "basis_zh"), where)
        if not (raw["basis"] == "total" or str(raw["basis"]).startswith(("score__", "value__"))):
            raise CatalogError(f"{where}.basis：应为 total、score__指标 或 value__指标，而不是 {raw['basis']!r}")
        sizes = tuple(raw.get("size_classes") or SIZE_CLASSES)
        _members(sizes, SIZE_CLASSES, f"{where}.size_classes")
        excluded = tuple(raw.get("exclude_classes") or ())
        _members(excluded, CLASSES, f"{where}.exclude_classes")
        facts = raw.get("exclude_facts") or {}
        if not isinstance(facts, dict):
            raise CatalogError(f"{where}.exclude_facts：应为“事实: 中文说明”的映射")
        for fact_name in facts:
            _registry_fact(fact_name, ("bool",), f"{where}.exclude_facts")
        earlier = tuple(raw.get("exclude_selected_in") or ())
        _members(earlier, tuple(lst.key for lst in lists), f"{where}.exclude_selected_in（只能是排在前面的名单）")
        revenue = raw.get("min_main_revenue_yuan", 0)
        if not isinstance(revenue, int) or isinstance(revenue, bool) or revenue < 0:
            raise CatalogError(f"{where}.min_main_revenue_yuan：应为不小于0的整数（元）")
        lists.append(LeaderList(
            key=str(key), name_zh=str(raw["name_zh"]), basis=str(raw["basis"]), basis_zh=str(raw["basis_zh"]),
            size_classes=sizes, industries=tuple(str(p) for p in raw.get("industries") or ()),
            min_main_revenue_yuan=revenue, exclude_classes=excluded,
            exclude_facts=tuple((str(f), str(zh)) for f, zh in facts.items()), exclude_selected_in=earlier))
    tie_break = []
    for i, raw in enumerate(data["tie_break"] or ()):
        raw = known_keys(raw, {"fact", "name_zh"}, f"{name} tie_break[{i}]")
        required(raw, ("fact", "name_zh"), f"{name} tie_break[{i}]")
        _registry_fact(raw["fact"], INTEGER_KINDS, f"{name} tie_break[{i}].fact")
        tie_break.append((str(raw["fact"]), str(raw["name_zh"])))
    return LeaderRules(lists=tuple(lists), tie_break=tuple(tie_break), citation=citation)


def _document(path: Path, allowed: set[str]) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path.name}：无法读取（{exc}）") from None
    return known_keys(raw, allowed, path.name)


def _citation(entry: Any, title: str, number: str | None, where: str) -> str:
    entry = known_keys(entry, {"title", "doc_number", "section", "quote"}, where)
    required(entry, ("section", "quote"), where)
    own_title = entry.get("title")
    return cite(own_title or title, entry.get("doc_number") if own_title else number, entry["section"], entry["quote"])


def _number(raw: Any, where: str, *, positive: bool = False) -> float:
    # Settings are written as strings or integers so that YAML never rounds them; floats are refused.
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise CatalogError(f"{where}：应为写成字符串或整数的数值（如 \"24.097\"），而不是 {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise CatalogError(f"{where}：{raw!r} 不是数值") from None
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise CatalogError(f"{where}：应为{'大于' if positive else '不小于'}0的数值，而不是 {raw!r}")
    return float(value)


def _registry_fact(name: Any, kinds: tuple[str, ...], where: str) -> None:
    """``name`` is a fact of the yearly-facts registry of one of ``kinds``."""
    registered = BY_NAME.get(str(name))
    if registered is None:
        raise CatalogError(f"{where}：{name!r} 不是年度数据登记表（variables.yaml facts）中的事实")
    if registered.kind not in kinds:
        raise CatalogError(f"{where}：{name} 的类型为 {registered.kind}，此处应为 {'、'.join(kinds)}")


def _members(values: tuple, allowed: tuple, where: str) -> None:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise CatalogError(f"{where}：不认识的取值 {'、'.join(map(str, unknown))}（可用：{'、'.join(allowed) or '无'}）")


def _indicators(raw: Any, name: str) -> dict[str, tuple[Indicator, ...]]:
    raw = known_keys(raw, set(SIZE_CLASSES), f"{name} indicators")
    result = {}
    for size in SIZE_CLASSES:
        entries = raw.get(size)
        if not isinstance(entries, dict) or not entries:
            raise CatalogError(f"{name} indicators.{size}：应列出至少一个指标")
        items = []
        for key, entry in entries.items():
            where = f"{name} indicators.{size}.{key}"
            entry = known_keys(entry, {"name_zh", "unit", "numerator", "numerator_unit", "denominator",
                                       "weight", "cap", "when_missing", "percent"}, where)
            required(entry, ("name_zh", "unit", "numerator", "numerator_unit", "denominator", "weight", "cap"), where)
            if entry["numerator_unit"] not in MONEY_UNITS:
                raise CatalogError(f"{where}.numerator_unit：应为 {'、'.join(MONEY_UNITS)} 之一")
            missing = entry.get("when_missing", "zero")
            if missing not in MISSING_RULES:
                raise CatalogError(f"{where}.when_missing：应为 {'、'.join(MISSING_RULES)} 之一，而不是 {missing!r}")
            for part in ("numerator", "denominator"):
                _registry_fact(entry[part], INTEGER_KINDS, f"{where}.{part}")
            weight = _number(entry["weight"], f"{where}.weight", positive=True)
            cap = _number(entry["cap"], f"{where}.cap", positive=True)
            items.append(Indicator(key=str(key), name_zh=str(entry["name_zh"]), unit=str(entry["unit"]),
                                   numerator=str(entry["numerator"]), numerator_unit=entry["numerator_unit"],
                                   denominator=str(entry["denominator"]), weight=weight, cap=cap,
                                   when_missing=missing, percent=bool(entry.get("percent", False))))
        result[size] = tuple(items)
    return result


def _benchmark_set(raw: Any, indicators: dict, where: str, *, complete: bool) -> dict[str, dict[str, float]]:
    raw = known_keys(raw, set(SIZE_CLASSES), where)
    result: dict[str, dict[str, float]] = {}
    for size in SIZE_CLASSES:
        keys = {i.key for i in indicators[size]}
        given = known_keys(raw.get(size) or {}, keys, f"{where}.{size}")
        if complete and set(given) != keys:
            raise CatalogError(f"{where}.{size}：缺少基准值 {'、'.join(sorted(keys - set(given)))}")
        result[size] = {k: _number(v, f"{where}.{size}.{k}", positive=True) for k, v in given.items()}
    return result


def _benchmarks(raw: Any, indicators: dict, name: str) -> dict:
    raw = known_keys(raw, {"default", "years"}, f"{name} benchmarks")
    result: dict = {None: {None: _benchmark_set(raw.get("default"), indicators, f"{name} benchmarks.default", complete=True)}}
    years = raw.get("years") or {}
    if not isinstance(years, dict):
        raise CatalogError(f"{name} benchmarks.years：应为“年份: 基准值”的映射")
    for year, by_place in years.items():
        if not isinstance(year, int) or isinstance(year, bool):
            raise CatalogError(f"{name} benchmarks.years：{year!r} 不是年份")
        if not isinstance(by_place, dict):
            raise CatalogError(f"{name} benchmarks.years.{year}：应为“city 或县（市、区）代码: 基准值”的映射")
        result[year] = {None if str(place) == "city" else str(place):
                        _benchmark_set(values, indicators, f"{name} benchmarks.years.{year}.{place}", complete=False)
                        for place, values in by_place.items()}
    return result


def _adjustments(raw: Any, where: str) -> tuple[Adjustment, ...]:
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        raise CatalogError(f"{where}：应为列表")
    items = []
    for i, entry in enumerate(raw):
        entry = known_keys(entry, {"fact", "points", "name_zh"}, f"{where}[{i}]")
        required(entry, ("fact", "points", "name_zh"), f"{where}[{i}]")
        _registry_fact(entry["fact"], ("bool",), f"{where}[{i}].fact")
        items.append(Adjustment(str(entry["fact"]), _number(entry["points"], f"{where}[{i}].points"), str(entry["name_zh"])))
    return tuple(items)


def _groups(raw: Any, name: str) -> dict:
    raw = known_keys(raw, {"default_group", "groups"}, f"{name} industry_groups")
    groups, seen = [], set()
    for i, entry in enumerate(raw.get("groups") or ()):
        where = f"{name} industry_groups.groups[{i}]"
        entry = known_keys(entry, {"name", "prefixes"}, where)
        required(entry, ("name", "prefixes"), where)
        prefixes = tuple(str(p) for p in entry["prefixes"])
        twice = seen & set(prefixes)
        if twice:
            raise CatalogError(f"{where}：行业代码前缀 {'、'.join(sorted(twice))} 已属于另一组")
        seen |= set(prefixes)
        groups.append((str(entry["name"]), prefixes))
    return {"default_group": str(raw.get("default_group") or "全部工业"), "groups": tuple(groups)}


def _class_cuts(raw: Any, name: str) -> dict[str, dict[str, float]]:
    raw = known_keys(raw, set(SIZE_CLASSES), f"{name} classes")
    cuts = {}
    for size in SIZE_CLASSES:
        where = f"{name} classes.{size}"
        given = known_keys(raw.get(size), set(CLASSES[:-1]), where)
        required(given, CLASSES[:-1], where)
        values = [_number(given[c], f"{where}.{c}") for c in CLASSES[:-1]]
        if not (0 < values[0] <= values[1] <= values[2] <= 100):
            raise CatalogError(f"{where}：百分位应满足 0 < A ≤ B ≤ C ≤ 100，而不是 {values}")
        cuts[size] = dict(zip(CLASSES[:-1], values, strict=True))
    return cuts
