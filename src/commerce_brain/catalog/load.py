"""Read and validate the catalog files; refuse the whole catalog on the first bad entry."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Any

from ..indicators.stated_growth import parse_stated_growth, stated_rate
from .catalog import Catalog
from .checks import CatalogError, document, known_keys
from .model import (
    ATTRIBUTES,
    COMPARATORS,
    DIRECTIONS,
    GROWTH_KINDS,
    ORG_KINDS,
    Citation,
    Indicator,
    OrgUnit,
    Plan,
    Reported,
    Statement,
)

PLAN_KEYS = {
    "id", "title", "title_en", "issuer", "doc_number", "period", "base_year", "org_unit",
    "source", "document_title", "indicators", "statements",
}
INDICATOR_KEYS = {
    "id", "name_zh", "name_en", "category", "unit", "unit_as_printed", "base_year", "base_value",
    "target_year", "target_value", "target_text", "target_comparator", "target_as_printed", "stated_growth",
    "growth_kind", "attribute", "direction", "price_basis", "yearly_targets", "reported",
    "citation", "note",
}


def default_catalog_dir() -> Path:
    """The catalog shipped inside the package."""
    return Path(str(resources.files("commerce_brain") / "catalog"))


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load org units and every plan file under ``directory`` (the packaged catalog by default)."""
    directory = directory or default_catalog_dir()
    org_units = _load_org_units(directory / "org_units.csv")
    codes = {u.code for u in org_units}
    plans = []
    for path in sorted((directory / "plans").glob("*.yaml")):
        plans.append(_load_plan(path, codes))
    ids = [p.id for p in plans]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CatalogError(f"plan ids used twice: {', '.join(sorted(dupes))}")
    return Catalog(plans=tuple(plans), org_units=tuple(org_units))


def _load_org_units(path: Path) -> list[OrgUnit]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    units = []
    for line, row in enumerate(rows, start=2):
        where = f"{path.name} line {line}"
        if row.get("kind") not in ORG_KINDS:
            raise CatalogError(f"{where}: kind {row.get('kind')!r} is not one of {ORG_KINDS}")
        if not row.get("code") or not row.get("name_zh"):
            raise CatalogError(f"{where}: code and name_zh are required")
        units.append(
            OrgUnit(
                code=row["code"].strip(),
                name_zh=row["name_zh"].strip(),
                name_en=(row.get("name_en") or "").strip(),
                parent=(row.get("parent") or "").strip() or None,
                kind=row["kind"],
            )
        )
    codes = {u.code for u in units}
    for unit in units:
        if unit.parent and unit.parent not in codes:
            raise CatalogError(f"{path.name}: {unit.code} has unknown parent {unit.parent}")
    return units


def _load_plan(path: Path, org_codes: set[str]) -> Plan:
    data = document(path, PLAN_KEYS, ("title", "period", "base_year", "org_unit", "source", "indicators"))
    where = path.name
    if str(data["org_unit"]) not in org_codes:
        raise CatalogError(f"{where}: org_unit {data['org_unit']} is not in org_units.csv")
    start, end = (int(y) for y in data["period"])
    # Citations name the document, not the seed file: a plan printed inside another document
    # (a results table) says so with document_title.
    doc = (str(data.get("document_title") or data["title"]), data.get("doc_number"))
    indicators = tuple(_indicator(data["id"], raw, f"{where} indicator {n + 1}", doc)
                       for n, raw in enumerate(data["indicators"]))
    ids = [i.id for i in indicators]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CatalogError(f"{where}: indicator ids used twice: {', '.join(sorted(dupes))}")
    statements = []
    for n, raw in enumerate(data.get("statements") or []):
        sw = f"{where} statement {n + 1}"
        if raw.get("indicator") not in ids:
            raise CatalogError(f"{sw}: unknown indicator {raw.get('indicator')!r}")
        statements.append(
            Statement(
                plan=data["id"],
                indicator=raw["indicator"],
                stated_growth=_stated_growth(raw, sw, required=True),
                citation=_citation(raw.get("citation"), sw, doc),
            )
        )
    return Plan(
        id=data["id"],
        title=data["title"],
        title_en=data.get("title_en") or "",
        issuer=data.get("issuer"),
        doc_number=data.get("doc_number"),
        period=(start, end),
        base_year=int(data["base_year"]),
        org_unit=str(data["org_unit"]),
        source=data["source"],
        indicators=indicators,
        statements=tuple(statements),
    )


def _indicator(plan_id: str, raw: dict[str, Any], where: str, doc: tuple[str, str | None]) -> Indicator:
    known_keys(raw, INDICATOR_KEYS, where)
    where = f"{where} ({raw.get('id', '?')})"
    kind = raw.get("growth_kind")
    if kind not in GROWTH_KINDS:
        raise CatalogError(f"{where}: growth_kind {kind!r} is not one of {GROWTH_KINDS}")
    attribute = raw.get("attribute")
    if attribute is not None and attribute not in ATTRIBUTES:
        raise CatalogError(f"{where}: attribute {attribute!r} is not one of {ATTRIBUTES}")
    direction = raw.get("direction", "higher")
    if direction not in DIRECTIONS:
        raise CatalogError(f"{where}: direction {direction!r} is not one of {DIRECTIONS}")
    comparator = raw.get("target_comparator") or ">="
    if comparator not in COMPARATORS:
        raise CatalogError(f"{where}: target_comparator {comparator!r} is not one of {COMPARATORS}")
    stated = _stated_growth(raw, where)
    base_year, target_year = _int(raw, "base_year", where), _int(raw, "target_year", where)
    if target_year <= base_year:
        raise CatalogError(f"{where}: target_year {target_year} must follow base_year {base_year}")
    target_value = _number(raw, "target_value", where)
    if (target_value is None and not raw.get("target_text") and raw.get("reported") is None
            and stated_rate(stated) is None):
        raise CatalogError(f"{where}: a target needs target_value, target_text or a stated rate")
    reported = raw.get("reported")
    return Indicator(
        plan=plan_id,
        id=_text(raw, "id", where),
        name_zh=_text(raw, "name_zh", where),
        name_en=_text(raw, "name_en", where),
        category=str(raw.get("category") or ""),
        unit=str(raw.get("unit") or ""),  # some indices (两化融合发展指数) print no unit
        base_year=base_year,
        base_value=_number(raw, "base_value", where),
        target_year=target_year,
        target_value=target_value,
        stated_growth=stated,
        growth_kind=kind,
        attribute=attribute,
        direction=direction,
        citation=_citation(raw.get("citation"), where, doc),
        target_text=raw.get("target_text"),
        target_comparator=comparator,
        target_as_printed=_target_as_printed(raw, kind, where),
        unit_as_printed=raw.get("unit_as_printed"),
        price_basis=raw.get("price_basis"),
        yearly_targets={int(k): float(v) for k, v in (raw.get("yearly_targets") or {}).items()},
        reported=Reported(
            year=int(reported["year"]),
            value=float(reported["value"]),
            growth=reported.get("growth"),
        ) if reported else None,
        note=raw.get("note"),
    )


def _stated_growth(raw: dict, where: str, *, required: bool = False) -> str | None:
    stated = raw.get("stated_growth")
    if stated is None and not required:
        return None
    if not isinstance(stated, str) or not stated:
        raise CatalogError(f"{where}: stated_growth must be quoted text as printed, got {stated!r}")
    try:
        parse_stated_growth(stated)
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc}") from None
    return stated


def _target_as_printed(raw: dict, growth_kind: str, where: str) -> str | None:
    """The target column's print when it is not a plain number (000 表1's "[3]").

    A bracketed figure is a five-year sum (the tables' note "〔〕内数据为五年累计数"), so it only
    fits a cumulative indicator; whether its number agrees with target_value is plan lint's check.
    """
    printed = raw.get("target_as_printed")
    if printed is None:
        return None
    if not isinstance(printed, str) or not printed:
        raise CatalogError(f"{where}: target_as_printed must be quoted text as printed, got {printed!r}")
    try:
        parsed = parse_stated_growth(printed)
    except ValueError as exc:
        raise CatalogError(f"{where}: target_as_printed {exc}") from None
    if parsed.kind == "bracket" and growth_kind != "cumulative":
        raise CatalogError(f"{where}: target_as_printed {printed!r} is a five-year sum in brackets, "
                           f"so growth_kind must be cumulative, not {growth_kind}")
    return printed


def _citation(raw: Any, where: str, doc: tuple[str, str | None]) -> Citation:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: citation with source, section and quote is required")
    return Citation(
        source=_text(raw, "source", where),
        section=str(_text(raw, "section", where)),
        quote=_text(raw, "quote", where),
        title=doc[0],
        doc_number=doc[1],
    )


def _text(raw: dict, key: str, where: str) -> str:
    value = raw.get(key)
    if value in (None, ""):
        raise CatalogError(f"{where}: {key} is required")
    return str(value)


def _int(raw: dict, key: str, where: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int):
        raise CatalogError(f"{where}: {key} must be a year, got {value!r}")
    return value


def _number(raw: dict, key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CatalogError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)
