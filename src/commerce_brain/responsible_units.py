"""The responsible units (项目责任单位) an account may be scoped to.

A ``project_unit`` account sees the projects and warnings its unit owns, so its unit must be
one that owns something: a unit named by a landmark project of the catalog
(``catalog/projects/landmark_projects.yaml``; a project naming two, “衢江区政府、龙游县政府”,
counts for each) or by a project imported into the store. A free name would be an account
that silently sees nothing, so it is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import yaml

from .catalog.load import default_catalog_dir

UNIT_SEPARATOR = "、"


def split_units(named: str | None) -> list[str]:
    """The units a responsible-unit field names (split at 、, trimmed, blanks dropped)."""
    return [part.strip() for part in (named or "").split(UNIT_SEPARATOR) if part.strip()]


@cache
def catalog_responsible_units() -> frozenset[str]:
    """Every unit the catalog's landmark projects name."""
    path = default_catalog_dir() / "projects" / "landmark_projects.yaml"
    projects = yaml.safe_load(path.read_text(encoding="utf-8"))["projects"]
    return frozenset(unit for project in projects for unit in split_units(project["responsible_unit"]))


def known_responsible_units(imported: Iterable[str | None] = ()) -> frozenset[str]:
    """The catalog's units plus those named by ``imported`` (responsible-unit fields of
    projects imported into the store)."""
    return catalog_responsible_units() | {unit for named in imported for unit in split_units(named)}
