"""The provincial foreign-trade warning points (省级外贸预警点) an account may be scoped to.

A ``warning_point`` (预警点) account sees the sampled enterprises of its point and answers the
orders warnings it owns (the warning's ``responsible_unit`` is the point's name), so its point
must be one the catalog lists (``catalog/warning/warning_points.yaml``): a free name would be an
account that silently sees nothing, so it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .catalog import CatalogError
from .catalog.citation import cite
from .catalog.load import default_catalog_dir, _load_org_units


@dataclass(frozen=True)
class WarningPoints:
    """The points in catalog order (name → the org unit it lies in) and the sentence of the plan
    that sets them up."""

    org_units: dict[str, str]
    citation: str

    @property
    def names(self) -> frozenset[str]:
        """Every point's name."""
        return frozenset(self.org_units)


def _points_file(directory: Path | None) -> Path:
    return Path(directory or default_catalog_dir()) / "warning" / "warning_points.yaml"


@cache
def load_warning_points(directory: Path | None = None) -> WarningPoints:
    """Load and validate the warning points (the packaged catalog by default): each needs a
    unique name and an org unit of ``org_units.csv``; raises CatalogError naming the entry."""
    path = _points_file(directory)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path.name}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or not data.get("title"):
        raise CatalogError(f"{path.name}: expected a mapping with a title")
    given = data.get("citation") or {}
    if not given.get("section") or not given.get("quote"):
        raise CatalogError(f"{path.name}: needs a citation (section and quote)")
    codes = {u.code for u in _load_org_units(path.parent.parent / "org_units.csv")}
    points: dict[str, str] = {}
    for position, entry in enumerate(data.get("points") or [], start=1):
        name = str(entry.get("name_zh") or "").strip()
        org_unit = str(entry.get("org_unit") or "").strip()
        if not name or name in points:
            raise CatalogError(f"{path.name}: point {position} needs a unique name_zh (got {name!r})")
        if org_unit not in codes:
            raise CatalogError(f"{path.name}: point {name} has org_unit {org_unit!r}, not in org_units.csv")
        points[name] = org_unit
    if not points:
        raise CatalogError(f"{path.name}: lists no warning points")
    return WarningPoints(points, cite(data["title"], data.get("doc_number"), given["section"], given["quote"]))


def known_warning_points() -> frozenset[str]:
    """The names a warning_point account may be scoped to (the packaged catalog's points)."""
    return load_warning_points().names
