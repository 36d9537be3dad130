"""The library catalog: ``catalog/library/*.yaml`` (one document per file), its vocabulary and
synonyms, validated on load; each article linked to the policy rules that encode it.

A rule's back-link to its article is the pair (policy id, article number) the policy catalog
already carries (``article:``), so the library and the rules cannot drift apart: a rule citing
an article its document lacks is refused here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..catalog.checks import CatalogError, document, known_keys, required
from .documents import SOURCES, Article, PolicyDocument

DOCUMENT_KEYS = {"id", "title", "doc_number", "issuer", "issued", "valid_from", "valid_until", "superseded_by",
                 "departments", "industries", "enterprise_kinds", "regions", "seed", "preamble", "validity_note",
                 "articles"}
ARTICLE_KEYS = {"number", "section", "title", "text"}
FACETS = ("departments", "industries", "enterprise_kinds")
SPECIAL_FILES = {"synonyms.yaml", "vocabulary.yaml"}


@dataclass(frozen=True)
class Vocabulary:
    """The values metadata may take; regions are org-unit codes."""

    departments: tuple[str, ...]
    industries: tuple[str, ...]
    enterprise_kinds: tuple[str, ...]
    regions: tuple[str, ...]


@dataclass(frozen=True)
class Library:
    """The packaged documents, their vocabulary and the synonym groups."""

    documents: tuple[PolicyDocument, ...]
    vocabulary: Vocabulary
    synonyms: tuple[tuple[str, ...], ...]
    terms: tuple[str, ...]


def library_dir() -> Path:
    """Where the packaged library files are."""
    return Path(str(resources.files("commerce_brain.catalog") / "library"))


def as_date(value: Any, where: str, name: str) -> date | None:
    """A YAML date (or ISO text) as a date; None stays None."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"{where}：{name} “{value}”不是日期（应为 2019-01-01）") from None


def check_metadata(raw: dict, vocabulary: Vocabulary, where: str) -> None:
    """Every department, industry, kind and region is in the vocabulary; dates in order."""
    for facet in (*FACETS, "regions"):
        values = raw.get(facet) or []
        if not isinstance(values, list):
            raise CatalogError(f"{where}：{facet} 应为列表")
        unknown = [str(v) for v in values if str(v) not in getattr(vocabulary, facet)]
        if unknown:
            raise CatalogError(f"{where}：{facet} 中“{'、'.join(unknown)}”不在可选值之中")
    start, end = raw.get("valid_from"), raw.get("valid_until")
    if start and end and end < start:
        raise CatalogError(f"{where}：失效日期早于生效日期")


def build_document(raw: dict, vocabulary: Vocabulary, where: str, *, source: str,
                   rules: dict[int, tuple[str, ...]] | None = None) -> PolicyDocument:
    """A validated document from its mapping (a catalog file or the officer's form)."""
    known_keys(raw, DOCUMENT_KEYS, where)
    required(raw, ("id", "title", "issuer", "valid_from", "articles"), where)
    raw = {**raw, **{k: as_date(raw.get(k), where, k) for k in ("issued", "valid_from", "valid_until")}}
    check_metadata(raw, vocabulary, where)
    if source not in SOURCES:
        raise CatalogError(f"{where}：来源 {source} 不在可选值之中")
    articles = []
    for n, item in enumerate(raw["articles"]):
        here = f"{where} 第{n + 1}段"
        known_keys(item, ARTICLE_KEYS, here)
        required(item, ("title", "text"), here)  # a text without headings has no section
        if not isinstance(item.get("number"), int):
            raise CatalogError(f"{here}：条号应为整数")
        articles.append(Article(number=item["number"], section=str(item.get("section") or ""), title=str(item["title"]),
                                text=str(item["text"])))
    numbers = [a.number for a in articles]
    if len(numbers) != len(set(numbers)):
        raise CatalogError(f"{where}：条号重复")
    rules = rules or {}
    missing = sorted(set(rules) - set(numbers))
    if missing:
        raise CatalogError(f"{where}：规则引用的条款 {missing} 不在文件中")
    return PolicyDocument(
        id=str(raw["id"]), title=str(raw["title"]), doc_number=raw.get("doc_number"), issuer=str(raw["issuer"]),
        issued=raw["issued"], valid_from=raw["valid_from"], valid_until=raw["valid_until"],
        superseded_by=raw.get("superseded_by"),
        **{facet: tuple(str(v) for v in raw.get(facet) or ()) for facet in (*FACETS, "regions")},
        source=source, articles=tuple(articles), preamble=str(raw.get("preamble") or ""),
        validity_note=str(raw.get("validity_note") or ""), rules=rules,
    )


@cache
def rules_by_article() -> dict[str, dict[int, tuple[str, ...]]]:
    """policy id → article number → the ids of the rules citing it (the packaged policy catalog)."""
    from ..policy.engine import packaged

    found: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for rule in packaged()[0].rules():
        found[rule.policy][rule.article].append(rule.id)
    return {p: {a: tuple(ids) for a, ids in by.items()} for p, by in found.items()}


def check_validity_agrees(document: PolicyDocument, policy, where: str) -> None:
    """The library's validity of a policy with rules is the engine's: the same first year and
    the same 失效日期 (the engine refuses the award years outside them)."""
    if document.valid_from.year != policy.first_year or document.valid_until != policy.valid_until:
        raise CatalogError(f"{where}：有效期与政策规则目录不一致（规则自{policy.first_year}年度起，"
                           f"失效日期 {policy.valid_until or '未规定'}）")


def load_vocabulary(folder: Path, regions: tuple[str, ...]) -> Vocabulary:
    """The vocabulary file, with the org-unit codes as the regions."""
    raw = known_keys(yaml.safe_load((folder / "vocabulary.yaml").read_text("utf-8")), set(FACETS), "vocabulary.yaml")
    return Vocabulary(**{f: tuple(str(v) for v in raw[f]) for f in FACETS}, regions=regions)


def load_synonyms(folder: Path) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """The synonym groups and the extra dictionary terms."""
    raw = known_keys(yaml.safe_load((folder / "synonyms.yaml").read_text("utf-8")), {"groups", "terms"},
                     "synonyms.yaml")
    groups = tuple(tuple(str(w) for w in group) for group in raw.get("groups") or ())
    if any(len(g) < 2 for g in groups):
        raise CatalogError("synonyms.yaml：每组同义词至少两个词")
    return groups, tuple(str(t) for t in raw.get("terms") or ())


def load_library(folder: Path | None = None) -> Library:
    """Every document of the library folder, validated and linked to its rules."""
    from ..policy.engine import packaged

    folder = folder or library_dir()
    org_units = tuple(u.code for u in packaged()[1].org_units)
    vocabulary = load_vocabulary(folder, org_units)
    synonyms, terms = load_synonyms(folder)
    links = rules_by_article()
    policies = {p.id: p for p in packaged()[0].policies}
    documents = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name in SPECIAL_FILES:
            continue
        raw = document(path, DOCUMENT_KEYS, ())
        built = build_document(raw, vocabulary, path.name, source="catalog", rules=links.get(path.stem))
        if built.id in policies:
            check_validity_agrees(built, policies[built.id], path.name)
        documents.append(built)
    return Library(documents=tuple(documents), vocabulary=vocabulary, synonyms=synonyms, terms=terms)


@cache
def packaged_library() -> Library:
    """The library shipped with the package, loaded once."""
    return load_library()
