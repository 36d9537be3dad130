"""The data behind the project pages and the project API, computed once per state of the store.

The pages, the API and the export read the same frames: the projects (the 58 of the catalog and
the imported 重点项目) with their org units' names, the newest monthly reports, and each month's
status and lights from ``projects.schedule.project_status``. Reports and extra projects change
only through the store's import and page entry, so the frames are memoised per state of the
store (one cheap query per request) and shared between requests; a report saved by any worker
shows on the next request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from ..access import Scope, filter_by_unit, filter_visible
from ..memo import IdentityMemo
from ..projects.amounts import wan_to_yi
from ..projects.catalog import load_project_catalog
from ..projects.lint import lint_projects
from ..projects.rollup import rollup
from ..projects.schedule import LIGHT_ZH, LIGHTS, project_status
from ..store.project_tables import extra_projects, newest_reports, store_state

# Worst first: the order of the tiles, the charts' stacks and the list.
SHOWN_LIGHTS = ("red", "yellow", "green", "none")
LIGHT_COLOUR = {"green": "#2e7d32", "yellow": "#d4a017", "red": "#c62828", "none": "#9aa5b1"}
MONTH = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")

_DATA = IdentityMemo(8)
_STATUS = IdentityMemo(64)
_LINT = IdentityMemo(1)
_LIGHTS = IdentityMemo(64)


@dataclass(frozen=True)
class ProjectData:
    """Every project (with ``org_unit_name``), the newest reports of every month, the settings,
    and the reported months newest first."""

    projects: pl.DataFrame
    reports: pl.DataFrame
    settings: object
    months: tuple[str, ...]
    column_names: dict


def project_data(p, *, engine=None, state: tuple[int, int] | None = None) -> ProjectData:
    """The projects and reports of ``p`` (the Platform) as stored now, memoised per store state.
    ``engine``: where to read (the primary by default; the cockpit passes ``p.reader``);
    ``state``: its ``store_state`` when the caller already read it (``store.data_state``)."""
    engine = engine or p.engine
    return _DATA.get((engine, p.catalog), state or store_state(engine), lambda: _load(p, engine))


def _load(p, engine) -> ProjectData:
    catalog = load_project_catalog(extra=extra_projects(engine))
    names = pl.DataFrame({"org_unit": list(p.catalog.org_unit_names()),
                          "org_unit_name": list(p.catalog.org_unit_names().values())})
    projects = catalog.projects.join(names, on="org_unit", how="left").with_columns(
        pl.col("org_unit_name").fill_null(pl.col("org_unit")))
    reports = newest_reports(engine)
    months = tuple(sorted(set(reports["month"].to_list()), reverse=True)) if reports.height else ()
    return ProjectData(projects=projects, reports=reports, settings=catalog.settings, months=months,
                       column_names=catalog.columns)


def lint_findings(p) -> pl.DataFrame:
    """Project lint over the catalog's landmark projects (the catalog does not change while the
    app runs: computed once per process)."""
    return _LINT.get((p.catalog,), None, lambda: lint_projects(load_project_catalog()))


def month_or_latest(data: ProjectData, month: str | None) -> str | None:
    """The month asked for when it is a month, else the newest reported one (None: no reports)."""
    if month and MONTH.match(month):
        return month
    return data.months[0] if data.months else None


def status(data: ProjectData, month: str | None) -> pl.DataFrame:
    """Every project's status and light in ``month`` (reports after it are not seen), with the
    project's facts; memoised per data and month. Without a month: every light ``none``."""
    def compute() -> pl.DataFrame:
        reports = data.reports.filter(pl.col("month") <= month) if month else data.reports.clear()
        frame = project_status(data.projects, reports, month or "2021-01", data.settings)
        facts = data.projects.select("id", "number", "start_year", "end_year", "total_investment_wan",
                                     "plan_period_investment_wan", "org_unit_name", "citation", "source")
        return frame.join(facts, on="id", how="left")

    return _STATUS.get((data,), month, compute)


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to; None is no filter. Values that are not choices are dropped."""

    column: int | None = None
    unit: str | None = None
    org_unit: str | None = None
    light: str | None = None

    @classmethod
    def parse(cls, column: str | None, unit: str | None, org_unit: str | None, light: str | None) -> Filters:
        col = int(column) if column and column.isdigit() and len(column) <= 3 else None
        return cls(column=col, unit=(unit or "").strip() or None, org_unit=(org_unit or "").strip() or None,
                   light=light if light in LIGHTS else None)

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows that pass every filter (a unit matches each name of a 、-joined list)."""
        if self.column is not None:
            frame = frame.filter(pl.col("column") == self.column)
        if self.unit is not None:
            frame = filter_by_unit(frame, Scope(units=frozenset({self.unit})))
        if self.org_unit is not None:
            frame = frame.filter(pl.col("org_unit") == self.org_unit)
        if self.light is not None:
            frame = frame.filter(pl.col("light") == self.light)
        return frame


def visible_status(data: ProjectData, scope: Scope, month: str | None) -> pl.DataFrame:
    """The month's status of the projects the scope may see: a county its org units, a
    responsible unit its own projects (fails closed, see ``access.filter_visible``)."""
    return filter_visible(status(data, month), scope)


def light_counts(frame: pl.DataFrame) -> dict[str, int]:
    """How many projects in each light (every light present, 0 when none)."""
    found = dict(frame.group_by("light").len().iter_rows()) if frame.height else {}
    return {light: int(found.get(light, 0)) for light in SHOWN_LIGHTS}


def rollups(frame: pl.DataFrame) -> list[dict]:
    """The roll-ups by 专栏, responsible unit and county (``projects.rollup``), each with its
    rows labelled for people (专栏13, the unit, the county's name)."""
    names = dict(frame.select("org_unit", "org_unit_name").unique().iter_rows())
    found = []
    for by, title, label in (("column", "按专栏", lambda key: f"专栏{key}" if key is not None else "重点项目"),
                             ("responsible_unit", "按责任单位", lambda key: key or "—"),
                             ("org_unit", "按县（市、区）", lambda key: names.get(key, key) or "—")):
        rows = rollup(frame, by).to_dicts()
        found.append({"by": by, "title": title, "rows": [{**row, "label": label(row["key"])} for row in rows]})
    return found


def yi(wan: int | None) -> str:
    """万元 → 亿元 for people: exact (no float), trailing zeros dropped; None → —."""
    if wan is None:
        return "—"
    value: Decimal = wan_to_yi(int(wan))
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def points(gap: float | None) -> str:
    """A schedule gap (fraction) in percentage points with its sign: 0.139 → +13.9; None → —."""
    if gap is None:
        return "—"
    value = round(gap * 100, 1)
    return f"{'+' if value > 0 else ''}{value:.1f}".replace("-", "−")


def column_label(column: int | None, number: int | None) -> str:
    """专栏13 第1项 for a landmark project; 重点项目 for an imported one."""
    if column is None:
        return "重点项目"
    return f"专栏{column} 第{number}项" if number is not None else f"专栏{column}"


def latest_light_counts(p, scope: Scope, *, engine=None,
                        state: tuple[int, int] | None = None) -> tuple[str | None, tuple[tuple[str, int], ...]]:
    """The cockpit's tile: the newest reported month and how many visible projects in each light
    (hashable: it is part of the cockpit's rendering key), counted once per memoised data and scope."""
    data = project_data(p, engine=engine, state=state)

    def count() -> tuple[str | None, tuple[tuple[str, int], ...]]:
        month = month_or_latest(data, None)
        return month, tuple(light_counts(visible_status(data, scope, month)).items())

    return _LIGHTS.get((data,), scope, count)


def project_light_tiles(lights: tuple | None) -> dict | None:
    """The cockpit's 项目推进 tiles from ``latest_light_counts`` (None: the role sees no projects)."""
    if lights is None:
        return None
    month, counts = lights
    return {"month": month, "tiles": [{"light": light, "name": LIGHT_ZH[light], "colour": LIGHT_COLOUR[light], "n": n}
                                      for light, n in counts]}
