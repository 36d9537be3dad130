"""One computation, several renderings: the data behind the pages and the API, computed once."""

from __future__ import annotations

from collections import Counter

import polars as pl

from ..access import Scope
from ..catalog import Catalog
from ..memo import IdentityMemo
from ..monitoring import by_urgency, evaluation_table, gather_observations
from .security import Forbidden

DEFAULT_YEAR = 2023
# The sorted evaluation per memoised evaluation table (shared between requests; read only).
_SORTED = IdentityMemo(512)


HOME = "330800"  # the platform is Quzhou's: an unscoped user's view starts at the city


def visible_org_unit(scope: Scope, requested: str | None, catalog: Catalog) -> str:
    """The org unit a user's view is for: the requested one if in scope, else the scope's own
    (the city for users who see everything)."""
    if scope.org_units is None:
        if requested is not None and requested not in catalog.org_unit_names():
            raise Forbidden(f"未知地区：{requested}")
        return requested or HOME
    if requested is None:
        # A county analyst's own unit is the top of the subtree it may see.
        return next(code for code in scope.org_units
                    if catalog.org_unit(code).parent not in scope.org_units)
    if requested not in scope.org_units:
        raise Forbidden("无权查看：该地区不在您的权限范围内"
)
    return requested


def evaluation(engine, catalog: Catalog, scope: Scope, *, year: int, org_unit: str | None,
               as_of: bool = False, observations: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every indicator's evaluation for the user's org unit in ``year`` (plans in force; with
    ``as_of`` also plans that ended before it, in their last year), lagging first. Pass the
    ``observations`` a page already gathered, to ask the store for its state only once."""
    unit = visible_org_unit(scope, org_unit, catalog)
    if observations is None:
        observations = gather_observations(catalog, engine)
    table = evaluation_table(catalog, observations, year, org_unit=unit, as_of=as_of)
    return _SORTED.get((table,), None, lambda: by_urgency(table))


def status_counts(frame: pl.DataFrame) -> dict[str, int]:
    """How many indicators in each status."""
    # A few dozen rows per page: counting in Python beats a Polars query's fixed cost, which
    # the cockpit would pay once per plan on every request.
    return dict(Counter(frame.get_column("status").to_list()))


def comparison_units(catalog: Catalog, scope: Scope, unit: str) -> tuple[str, list[tuple[str, str]]]:
    """The map's city and the county-level units a comparison shows: the unit's own counties
    the user may see, or the unit alone when it has none (a county analyst sees only its county)."""
    names = catalog.org_unit_names()
    children = [u.code for u in catalog.org_units if u.parent == unit and u.kind != "zone"
                and (scope.org_units is None or u.code in scope.org_units)]
    parent = unit if children else (catalog.org_unit(unit).parent or unit)
    return parent, [(code, names[code]) for code in (children or [unit])]


def unit_evaluations(catalog: Catalog, observations: pl.DataFrame, year: int,
                     units: list[tuple[str, str]]) -> pl.DataFrame:
    """The evaluation of each of ``units`` in ``year``, one frame (each memoised with the observations)."""
    frames = [evaluation_table(catalog, observations, year, org_unit=code) for code, _ in units]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
