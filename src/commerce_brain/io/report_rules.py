"""Plan-evaluation report (规划实施评估): the display rules both formats (and the pages) share.

The writers (``report_html``, ``report_xlsx``) import these rules; the entry point ``report``
imports the writers: one direction, no import cycle."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import polars as pl

from commerce_brain.catalog.model import ATTRIBUTE_ZH
from commerce_brain.indicators.status import STATUS_ZH, STATUSES

EVALUATION_COLUMNS = (
    "plan", "plan_title", "indicator", "name_zh", "unit", "org_unit", "org_unit_name", "year",
    "base_year", "base_value", "target_year", "target_value", "target_text", "stated_growth",
    "growth_kind", "attribute", "actual", "achieved_growth", "implied_growth",
    "required_growth", "progress", "time_elapsed", "path_value", "projected_value", "status",
    "status_zh", "citation",
)
TRAJECTORY_COLUMNS = ("plan", "indicator", "org_unit", "year", "path_value", "actual", "projected")

STATUS_COLOURS = {
    "achieved_early": "#2e7d32",  # green
    "ahead": "#00897b",           # teal
    "on_track": "#1565c0",        # blue
    "lagging": "#c62828",         # red
    "no_data": "#616e7c",         # grey, dark enough for white text
    "not_assessable": "#7b8794",  # a lighter grey, so the two grey states stay tellable apart
}
UNKNOWN_STATUS_COLOUR = "#616e7c"
EMPTY = "—"
# Series colours shared by the SVG and the Excel charts so both read the same way.
PATH_COLOUR = "#9aa5b1"
ACTUAL_COLOUR = "#1f4e79"
PROJECTED_COLOUR = "#d9822b"

Key = tuple[str, str, str]


def _require(frame: pl.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame is missing columns: {', '.join(missing)}")


def evaluation_rows(evaluation: pl.DataFrame, year: int) -> list[dict[str, Any]]:
    """The evaluation rows as of ``year`` as dicts, in the engine's order; NaN read as missing.

    Each indicator contributes its latest row up to ``year``, so a plan that ended earlier
    (the 13th plan's results table) appears as of its own last year.
    """
    _require(evaluation, EVALUATION_COLUMNS, "evaluation")
    selected = evaluation.filter(pl.col("year") <= year).filter(
        pl.col("year") == pl.col("year").max().over(["plan", "indicator", "org_unit"])
    )
    if selected.is_empty():
        present = sorted(evaluation.get_column("year").unique().drop_nulls().to_list())
        raise ValueError(f"no evaluation rows for year {year}; years present: {present}")
    rows = [{k: number(v) if isinstance(v, float) else v for k, v in row.items()}
            for row in selected.select(EVALUATION_COLUMNS).iter_rows(named=True)]
    for row in rows:
        # A heading must never read "None": fall back to the id or code the name stands for.
        row["plan_title"] = row["plan_title"] or row["plan"]
        row["org_unit_name"] = row["org_unit_name"] or row["org_unit"]
    return rows


def key(row: dict[str, Any]) -> Key:
    """The (plan, indicator, org_unit) a row is about."""
    return (row["plan"], row["indicator"], row["org_unit"])


def trajectories(trajectory: pl.DataFrame, rows: list[dict[str, Any]]) -> dict[Key, list[dict]]:
    """Yearly chart points per evaluation row's key, sorted by year; other org units dropped."""
    _require(trajectory, TRAJECTORY_COLUMNS, "trajectory")
    wanted = {key(r) for r in rows}
    out: dict[Key, list[dict]] = {}
    for point in trajectory.select(TRAJECTORY_COLUMNS).sort("year").iter_rows(named=True):
        k = key(point)
        if k in wanted and point["year"] is not None:
            out.setdefault(k, []).append(
                {c: number(point[c]) for c in ("path_value", "actual", "projected")}
                | {"year": int(point["year"])}
            )
    for k, points in out.items():
        years = [p["year"] for p in points]
        if len(set(years)) != len(years):
            # The engine writes one trajectory per evaluated year; mixed, the lines would zigzag.
            raise ValueError(
                f"trajectory has several rows for one year of {'/'.join(k)}; pass the trajectory "
                f"of the report's evaluation year only"
            )
        _join_projection(points)
    return out


def _join_projection(points: list[dict]) -> None:
    # The projection starts from the latest actual; repeat that value in the projected series
    # so the dashed line visibly continues the solid one instead of floating a year later.
    actual_years = [i for i, p in enumerate(points) if p["actual"] is not None]
    if not actual_years:
        return
    last = actual_years[-1]
    if points[last]["projected"] is None and any(p["projected"] is not None for p in points[last:]):
        points[last]["projected"] = points[last]["actual"]


def charted(row: dict[str, Any], series: dict[Key, list[dict]]) -> bool:
    """Whether a row gets a chart: a numeric target and some trajectory to draw."""
    return row["target_value"] is not None and bool(series.get(key(row)))


def number(value: Any) -> float | None:
    """A float, or None for null and NaN (polars may carry either for a missing figure)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def decimals_for(value: float, most: int = 2) -> int:
    """How many decimals to show: ``most``, one more below 1 (0.052亿美元 must not read 0.05)."""
    most = most if abs(value) >= 1 or value == 0 else most + 1
    text = f"{value:.{most}f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def fmt_number(value: float | None) -> str:
    """A value in its unit, trailing zeros trimmed: 1000, 358.4, 0.052; missing → —."""
    if value is None:
        return EMPTY
    text = f"{value:.{decimals_for(value)}f}"
    return "0" if float(text) == 0 else text


def fmt_percent(fraction: float | None, decimals: int = 2) -> str:
    """A fraction as a percent: 0.0573 → 5.73%; missing → —."""
    if fraction is None:
        return EMPTY
    text = f"{fraction * 100:.{decimals}f}"
    return f"{text[1:] if float(text) == 0 else text}%"  # never "-0.00%"


def change_suffix(unit: str | None) -> str:
    """The word for a change in ``unit``: a change of a percent is 百分点, of a permille 千分点."""
    unit = (unit or "").strip()
    if unit == "%":
        return "个百分点"
    if unit == "‰":
        return "个千分点"
    return unit


def change(row: dict[str, Any]) -> float | None:
    """actual − base in the indicator's unit; None when either is missing or the kind is cumulative.

    A cumulative target's base is the previous period's total, so actual − base says nothing.
    """
    if row["growth_kind"] == "cumulative" or row["actual"] is None or row["base_value"] is None:
        return None
    return round(row["actual"] - row["base_value"], 9)


def growth_display(row: dict[str, Any]) -> str:
    """年均增长: the achieved rate for annual growth, else the change (+1.2个百分点, +3个)."""
    if row["growth_kind"] == "annual_growth":
        return fmt_percent(row["achieved_growth"])
    delta = change(row)
    if delta is None:
        return EMPTY
    text = fmt_number(delta)
    return f"{'+' if delta > 0 and text != '0' else ''}{text}{change_suffix(row['unit'])}"


def progress_display(row: dict[str, Any]) -> str:
    """完成进度 against time elapsed: 46.0%（时间进度 60%）."""
    if row["progress"] is None:
        return EMPTY
    text = fmt_percent(row["progress"], 1)
    if row["time_elapsed"] is None:
        return text
    return f"{text}（时间进度 {fmt_percent(row['time_elapsed'], 0)}）"


def stated_growth(row: dict[str, Any]) -> str | None:
    """The stated growth as printed, or None when nothing (or only a dash) is printed."""
    text = (row["stated_growth"] or "").strip()
    return None if text in ("", "-", "—", "－") else text


def target_display(row: dict[str, Any]) -> str:
    """目标值: the number or the wording, then the stated growth in parentheses: 1000（6）."""
    if row["target_value"] is not None:
        text = fmt_number(row["target_value"])
    else:
        text = row["target_text"] or EMPTY
    growth = stated_growth(row)
    return f"{text}（{growth}）" if growth else text


def attribute_display(row: dict[str, Any]) -> str:
    """预期性 / 约束性, blank when the plan prints no attribute."""
    return ATTRIBUTE_ZH.get(row["attribute"], row["attribute"] or "")


def status_label(row: dict[str, Any]) -> str:
    """The engine's Chinese label (it may say 已实现 in the target year), else the standard one."""
    return row["status_zh"] or STATUS_ZH.get(row["status"], row["status"] or EMPTY)


def status_colour(status: str | None) -> str:
    """The colour of a status as #rrggbb."""
    return STATUS_COLOURS.get(status or "", UNKNOWN_STATUS_COLOUR)


def status_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Rows per status, every standard status present (0 when none), unknown ones after them."""
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def plan_heading(plan_title: str, year: int) -> str:
    """《…规划》实施评估（2023年）; 规划 is added only when the title lacks it."""
    tail = "实施评估" if plan_title.endswith("规划") else "规划实施评估"
    return f"《{plan_title}》{tail}（{year}年）"


def grouped(rows: list[dict[str, Any]], *fields: str) -> dict[tuple, list[dict[str, Any]]]:
    """Rows grouped by ``fields`` in first-seen order."""
    out: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(tuple(row[f] for f in fields), []).append(row)
    return out
