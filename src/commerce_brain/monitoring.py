"""Plan monitoring as the CLI and the web app use it: gather observations, evaluate, label.

The engines in ``indicators/`` are pure; this module feeds them from the catalog, the store
and an optional overlay file, and adds the names people read.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import Engine, func, select

from .catalog import Catalog, empty_observations
from .indicators.explain import explain
from .indicators.progress import evaluate, evaluate_years
from .indicators.status import STATUS_URGENCY, Thresholds
from .memo import IdentityMemo
from .store.observations import current_observations
from .store.schema import imports, read_only

KEY = ["plan", "indicator", "org_unit", "period"]

# The web workers ask for the same evaluations on every request; they are recomputed only when
# the stored actuals change (see stored_version). Results are shared: never change them in place.
_GATHERED = IdentityMemo(8)
_EVALUATED = IdentityMemo(512)


def stored_version(engine: Engine) -> tuple[int, int]:
    """The state of the stored actuals, in one cheap query: how many imports, and the newest.

    Actuals are stored only by ``save_observations``, which logs every import in ``imports``
    in the same transaction as its rows, and neither table is ever updated or pruned: so any
    import, by this process or another (the 数据导入 page in another worker, the CLI), changes
    the pair; the count also catches an import that committed after one with a larger id.
    The import log stays small where the observations grow, so the check stays cheap.
    """
    with read_only(engine).connect() as conn:
        count, newest = conn.execute(select(func.count(), func.coalesce(func.max(imports.c.id), 0))).one()
    return int(count), int(newest)


def gather_observations(catalog: Catalog, engine: Engine | None = None,
                        overlay: pl.DataFrame | None = None, *, version: tuple[int, int] | None = None) -> pl.DataFrame:
    """Printed outcomes from the catalog, then stored actuals, then an overlay, later winning.

    From the store alone (no overlay), the frame is computed once per state of the stored
    actuals and shared (do not change it in place). ``version``: the ``stored_version`` the
    caller already read (``store.data_state``), to save the query."""
    if engine is None or overlay is not None:
        return _gather(catalog, engine, overlay)
    return _GATHERED.get((catalog, engine), version or stored_version(engine), lambda: _gather(catalog, engine, None))


def _gather(catalog: Catalog, engine: Engine | None, overlay: pl.DataFrame | None) -> pl.DataFrame:
    layers = [catalog.reported_observations()]
    if engine is not None:
        layers.append(current_observations(engine))
    if overlay is not None:
        layers.append(overlay)
    stacked = pl.concat([empty_observations(), *layers])
    latest = stacked.unique(subset=[*KEY, "is_period_total"], keep="last", maintain_order=True)
    reach = pl.DataFrame(
        [(p.id, code) for p in catalog.plans for code in sorted(catalog.subtree(p.org_unit))],
        schema={"plan": pl.String, "org_unit": pl.String}, orient="row",
    )
    return share_across_plans(latest, catalog.indicators_frame(), reach)


def share_across_plans(observations: pl.DataFrame, indicators: pl.DataFrame,
                       reach: pl.DataFrame) -> pl.DataFrame:
    """Let one statistic serve every plan that tracks it.

    Two plans often monitor the same figure (社会消费品零售总额 is in both Quzhou plans): an
    actual entered under one plan also serves an indicator of another plan with the same id
    and unit, within that plan's years and org units (``reach``: plan × org unit), unless that
    plan has its own figure for the same org unit and period.
    """
    units = indicators.select("plan", "indicator", "unit")
    sources = observations.join(units, on=["plan", "indicator"], how="inner")
    takers = indicators.select(pl.col("plan").alias("plan_to"), "indicator", "unit", "base_year", "target_year")
    borrowed = (
        sources.join(takers, on=["indicator", "unit"])
        .filter((pl.col("plan_to") != pl.col("plan"))
                & pl.col("year").is_between(pl.col("base_year"), pl.col("target_year")))
        .with_columns(pl.col("plan_to").alias("plan"))
        .join(reach, on=["plan", "org_unit"], how="semi")
        .unique(subset=[*KEY, "is_period_total"], keep="first", maintain_order=True)
        .join(observations, on=[*KEY, "is_period_total"], how="anti")
    )
    return pl.concat([observations, borrowed.select(observations.columns)])


def plans_covering(catalog: Catalog, org_unit: str) -> list[str]:
    """The plans whose org unit is ``org_unit`` or one of its ancestors."""
    return [p.id for p in catalog.plans if org_unit in catalog.subtree(p.org_unit)]


def evaluation_table(
    catalog: Catalog,
    observations: pl.DataFrame,
    year: int,
    *,
    org_unit: str | None = None,
    thresholds: Thresholds = Thresholds(),
    plans: Sequence[str] | None = None,
    as_of: bool = False,
) -> pl.DataFrame:
    """The evaluation for ``year`` with plan titles, org-unit names and explanations.

    With ``as_of``, an indicator whose plan ended before ``year`` is evaluated in its own
    target year instead of being left out (a final evaluation beside the current ones).
    On observations from ``gather_observations``' memo, the result is memoised alongside
    (shared: do not change it in place).
    """
    if not _GATHERED.holds(observations):
        return _evaluation_table(catalog, observations, year, org_unit, thresholds, plans, as_of)
    args = (year, org_unit, thresholds, tuple(plans) if plans else None, as_of)
    return _EVALUATED.get((catalog, observations), args,
                          lambda: _evaluation_table(catalog, observations, *args))


def _evaluation_table(catalog: Catalog, observations: pl.DataFrame, year: int, org_unit: str | None,
                      thresholds: Thresholds, plans: Sequence[str] | None, as_of: bool) -> pl.DataFrame:
    indicators = catalog.indicators_frame()
    wanted = list(plans) if plans else None
    if org_unit is not None:
        covering = plans_covering(catalog, org_unit)
        wanted = [p for p in (wanted or covering) if p in covering]
    if wanted is not None:
        indicators = indicators.filter(pl.col("plan").is_in(wanted))
    units = None if org_unit is None else [org_unit]
    if as_of:
        years = sorted({min(year, y) for y in indicators["target_year"].to_list()})
        frame = evaluate_years(indicators, observations, years, org_units=units, thresholds=thresholds)
        frame = frame.filter(pl.col("year") == pl.min_horizontal(pl.col("target_year"), pl.lit(year)))
    else:
        frame = evaluate(indicators, observations, year, org_units=units, thresholds=thresholds)
    titles = pl.DataFrame({"plan": [p.id for p in catalog.plans],
                           "plan_title": [p.title for p in catalog.plans]})
    names = pl.DataFrame({"org_unit": [u.code for u in catalog.org_units],
                          "org_unit_name": [u.name_zh for u in catalog.org_units]})
    frame = frame.join(titles, on="plan", how="left").join(names, on="org_unit", how="left")
    explanations = [explain(row) for row in frame.iter_rows(named=True)]
    return frame.with_columns(pl.Series("explanation", explanations, dtype=pl.String))


def by_urgency(evaluation: pl.DataFrame) -> pl.DataFrame:
    """Lagging first: the order a reader scanning for trouble wants."""
    return evaluation.with_columns(
        pl.col("status").replace_strict(STATUS_URGENCY, default=9).alias("_urgency")
    ).sort(["_urgency", "plan"], maintain_order=True).drop("_urgency")
