"""The data behind the pages' ECharts charts, computed from the evaluation frames (no sums in
templates). Each function returns plain JSON-ready values; ``static/charts.js`` draws them.

The pages carry this data in a ``<script type="application/json">`` block: the browser never
runs it (it is data, not script), so the strict Content-Security-Policy (``script-src 'self'``)
holds and no inline script is needed.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..indicators.status import STATUS_ZH
from ..indicators.trajectory import trajectory
from ..io import report_rules as r

STATUS_ORDER = ("lagging", "on_track", "ahead", "achieved_early", "no_data", "not_assessable")
ASSESSED = STATUS_ORDER[:4]  # the conclusions a figure supports (worst first)
# Trend charts on the cockpit: the first rows of the urgency order (lagging first), enough for
# one screen of small multiples without drawing 80 lines per request.
COCKPIT_TRENDS = 6
SERIES_ZH = {"path_value": "目标路径", "actual": "实际值", "projected": "预测值"}
SERIES_COLOURS = {"path_value": r.PATH_COLOUR, "actual": r.ACTUAL_COLOUR, "projected": r.PROJECTED_COLOUR}

# A hand-laid schematic of each city's county-level units (row, column on a 3 × 3 grid), roughly
# as they lie on the map (north up). It is a 示意图, not geography: no map data is fetched.
SCHEMATIC = {
    "330800": {"330824": (1, 1), "330802": (2, 2), "330803": (2, 3), "330822": (2, 1),
               "330825": (1, 3), "330881": (3, 2)},
    "330600": {"330603": (1, 1), "330602": (1, 2), "330604": (1, 3), "330681": (2, 1),
               "330683": (2, 3), "330624": (3, 3)},
}


def status_legend() -> list[dict[str, str]]:
    """Each status's Chinese name and colour, in the order the charts stack them."""
    return [{"key": s, "name": STATUS_ZH[s], "colour": r.status_colour(s)} for s in STATUS_ORDER]


def trend_charts(frame: pl.DataFrame, observations: pl.DataFrame, year: int,
                 limit: int | None = None) -> list[dict[str, Any]]:
    """One line chart per row with a numeric target (target path, actual, projection by year),
    for the first ``limit`` such rows in the frame's order."""
    numeric = frame.filter(pl.col("target_value").is_not_null())
    if limit is not None:
        numeric = numeric.head(limit)
    if numeric.is_empty():
        return []
    rows = r.evaluation_rows(numeric, year)
    series = r.trajectories(trajectory(numeric, observations), rows)
    return [_trend(row, series[r.key(row)]) for row in rows if r.charted(row, series)]


def _trend(row: dict[str, Any], points: list[dict]) -> dict[str, Any]:
    return {
        "title": row["name_zh"], "subtitle": f"{row['plan_title']} · {row['org_unit_name']}",
        "unit": row["unit"] or "", "status": r.status_label(row), "colour": r.status_colour(row["status"]),
        "link": f"/plans/{row['plan']}/{row['indicator']}?year={row['year']}&org_unit={row['org_unit']}",
        "years": [str(p["year"]) for p in points],
        "series": [{"name": SERIES_ZH[c], "colour": SERIES_COLOURS[c], "dashed": c == "projected",
                    "values": [p[c] for p in points]} for c in SERIES_ZH],
    }


def status_by_unit(frames: pl.DataFrame, units: list[tuple[str, str]]) -> dict[str, Any]:
    """Indicators per status in each org unit (a stacked bar per county), units in the given order."""
    codes = [code for code, _ in units]
    counts = (frames.group_by(["org_unit", "status"]).len()
              .pivot(on="status", index="org_unit", values="len")
              if frames.height else pl.DataFrame({"org_unit": []}, schema={"org_unit": pl.String}))
    order = pl.DataFrame({"org_unit": codes})
    table = order.join(counts, on="org_unit", how="left").fill_null(0)
    return {
        "units": [name for _, name in units],
        "series": [{"name": STATUS_ZH[s], "colour": r.status_colour(s),
                    "values": table[s].to_list() if s in table.columns else [0] * len(codes)}
                   for s in STATUS_ORDER],
    }


def county_map(parent: str, units: list[tuple[str, str]], by_unit: dict[str, Any]) -> list[dict[str, Any]]:
    """The schematic map's tiles: each county at its place, coloured by the conclusion most of
    its assessed indicators reach (a tie goes to the worse one, so lagging shows first)."""
    places = SCHEMATIC.get(parent, {})
    counts = {s["name"]: s["values"] for s in by_unit["series"]}
    tiles = []
    for i, (code, name) in enumerate(units):
        per_status = {s: counts[STATUS_ZH[s]][i] for s in ASSESSED}
        assessed = sum(per_status.values())
        main = max(ASSESSED, key=lambda s: per_status[s]) if assessed else "no_data"
        row, col = places.get(code, (1 + i // 3, 1 + i % 3))
        tiles.append({"name": name, "row": row, "col": col, "colour": r.status_colour(main),
                      "status": STATUS_ZH[main], "lagging": per_status["lagging"], "assessed": assessed,
                      "label": f"多数{STATUS_ZH[main]} · 滞后 {per_status['lagging']} / {assessed} 项"
                      if assessed else "暂无数据"})
    return tiles


def growth_by_unit(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Achieved against required growth per county (percent), for the indicator page's bar chart."""
    def percent(value):
        return None if value is None else round(100 * value, 2)

    return {"units": [row["org_unit_name"] for row in rows],
            "series": [{"name": name, "colour": colour, "values": [percent(row[column]) for row in rows]}
                       for column, name, colour in (("achieved_growth", "已实现增速", r.ACTUAL_COLOUR),
                                                    ("required_growth", "所需增速", r.PROJECTED_COLOUR))]}
