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

UNIT_SEPARATOR = "、"


def split_units(named: str | None) -> list[str]:
    """The units a responsible-unit field names (split at 、, trimmed, blanks dropped)."""
    return [part.strip() for part in (named or "").split(UNIT_SEPARATOR) if part.strip()]


@cache
def catalog_responsible_units() -> frozenset[str]:
    """Every unit the catalog's landmark projects name."""
    from .projects.catalog import load_project_catalog

    named = load_project_catalog().projects["responsible_unit"].to_list()
    return frozenset(unit for field in named for unit in split_units(field))


def known_responsible_units(imported: Iterable[str | None] = ()) -> frozenset[str]:
    """The catalog's units plus those named by ``imported`` (responsible-unit fields of
    projects imported into the store)."""
    return catalog_responsible_units() | {unit for named in imported for unit in split_units(named)}
