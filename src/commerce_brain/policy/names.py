"""Chinese names of the policy catalog's codes — event kinds, levels, ratings — read from
``catalog/policies/vocabulary.yaml``, and the labels built from them (an award's 对象).

The codes stay what files, the API and the rules use; people read the names. The file is data,
checked when the catalog loads: every code the rules use must have a name."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from ..catalog.checks import CatalogError, known_keys
from ..catalog.load import default_catalog_dir

FILE_NAME = "vocabulary.yaml"
SECTIONS = ("event_kinds", "levels", "ratings")
# A subject the platform named itself (policy/subjects.py): kind@date, #n for a second one that day.
_GENERATED = re.compile(r"^([a-z0-9_]+)@(\d{4}-\d{2}-\d{2})(?:#(\d+))?$")


@dataclass(frozen=True)
class Names:
    """Code → Chinese name, per section of the vocabulary."""

    event_kinds: dict[str, str] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)
    ratings: dict[str, str] = field(default_factory=dict)

    @property
    def choices(self) -> dict[str, str]:
        """Levels and ratings together: the codes conditions compare with."""
        return {**self.levels, **self.ratings}

    def kind(self, code: str) -> str:
        """发明专利授权 for invention_patent_granted; 年度经营数据 for facts; else the code."""
        return "年度经营数据" if code == "facts" else self.event_kinds.get(code, code)

    def subject(self, subject: str | None, year: int | None = None) -> str:
        """An award's 对象 as a person reads it: 发明专利授权（2023-06-01）for a subject the
        platform named (kind@date), 2023年度经营数据 for a facts rule's enterprise-year, else
        the subject the enterprise gave."""
        if subject is None:
            return "—"
        if subject == "enterprise":
            return f"{year}年度经营数据" if year else "年度经营数据"
        found = _GENERATED.match(subject)
        if not found or found.group(1) not in self.event_kinds:
            return subject
        kind, day, nth = found.groups()
        return f"{self.event_kinds[kind]}（{day}{f'，当日第{nth}项' if nth else ''}）"

    def missing(self, kinds: Collection[str], choices: Collection[str]) -> list[str]:
        """The codes used by rules that have no name here, sorted."""
        return sorted({*(k for k in kinds if k not in self.event_kinds),
                       *(c for c in choices if c not in self.choices)})


def load_names(path: Path) -> Names:
    """Read a vocabulary file; CatalogError naming the file, section and code when malformed."""
    raw = known_keys(yaml.safe_load(path.read_text(encoding="utf-8")), set(SECTIONS), path.name)
    sections = {}
    for section in SECTIONS:
        entries = raw.get(section) or {}
        if not isinstance(entries, dict):
            raise CatalogError(f"{path.name}: {section} must map codes to Chinese names")
        for code, name in entries.items():
            if not isinstance(name, str) or not name.strip():
                raise CatalogError(f"{path.name}: {section}.{code} needs a Chinese name")
        sections[section] = {str(code): name.strip() for code, name in entries.items()}
    return Names(**sections)


@cache
def packaged_names() -> Names:
    """The vocabulary shipped with the package."""
    return load_names(default_catalog_dir() / "policies" / FILE_NAME)
