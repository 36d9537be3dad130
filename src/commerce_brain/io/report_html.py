"""HTML plan-evaluation report: one self-contained file (inline CSS and SVG, no external links)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from commerce_brain.indicators.status import STATUS_ZH

from . import report_rules as r
from .svg_chart import Series, line_chart

_ENV = Environment(
    loader=PackageLoader("commerce_brain.io", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def write_html(
    rows: list[dict[str, Any]],
    series: dict[r.Key, list[dict]],
    path: Path,
    *,
    year: int,
    title: str,
) -> None:
    """Render the report for ``rows`` (see ``report.evaluation_rows``) to ``path`` as UTF-8."""
    Path(path).write_text(render_html(rows, series, year=year, title=title), encoding="utf-8")


def render_html(
    rows: list[dict[str, Any]], series: dict[r.Key, list[dict]], *, year: int, title: str
) -> str:
    """The report as an HTML string."""
    plans = []
    for (_, plan_title), plan_rows in r.grouped(rows, "plan", "plan_title").items():
        by_unit = r.grouped(plan_rows, "org_unit", "org_unit_name")
        units = [
            {"name": unit_name, "rows": [_row_view(row) for row in unit_rows],
             "cards": [card_view(row, series) for row in unit_rows]}
            for (_, unit_name), unit_rows in by_unit.items()
        ]
        # A plan that ended before the report year is reported as of its own last year.
        plans.append({"name": f"《{plan_title}》", "heading": r.plan_heading(plan_title, plan_rows[0]["year"]),
                      "units": units, "counts": r.status_counts(plan_rows)})
    totals = r.status_counts(rows)
    statuses = [{"key": k, "label": STATUS_ZH.get(k, k), "colour": r.status_colour(k)}
                for k in totals]
    return _ENV.get_template("report.html").render(
        title=title, year=year, plans=plans, totals=totals, statuses=statuses, total=len(rows),
    )


def _anchor(row: dict[str, Any]) -> str:
    return "ind-" + "-".join(r.key(row))


def _row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "anchor": _anchor(row),
        "name": row["name_zh"],
        "unit": row["unit"] or r.EMPTY,
        "base": r.fmt_number(row["base_value"]),
        "base_year": row["base_year"],
        "target": r.target_display(row),
        "target_year": row["target_year"],
        "attribute": r.attribute_display(row),
        "actual": r.fmt_number(row["actual"]),
        "growth": r.growth_display(row),
        "progress": r.progress_display(row),
        "status": r.status_label(row),
        "colour": r.status_colour(row["status"]),
    }


def _figures(row: dict[str, Any]) -> list[tuple[str, str]]:
    unit = row["unit"] or ""

    def level(value) -> str:
        return r.EMPTY if value is None else r.fmt_number(value) + unit

    figures = [
        (f"基期值（{row['base_year']}年）", level(row["base_value"])),
        (f"实际值（{row['year']}年）", level(row["actual"])),
        (f"目标值（{row['target_year']}年）", level(row["target_value"])),
        ("实际年均增长", r.fmt_percent(row["achieved_growth"])),
        ("规划隐含年均增速", r.fmt_percent(row["implied_growth"])),
        ("完成目标所需年均增速", r.fmt_percent(row["required_growth"])),
        ("完成进度", r.progress_display(row)),
        (f"预计{row['target_year']}年", r.fmt_number(row["projected_value"]) + unit
         if row["projected_value"] is not None else r.EMPTY),
    ]
    # Figures the engine leaves empty (a growth rate of a count, say) would only add dashes.
    return [(label, value) for label, value in figures if value != r.EMPTY]


def card_view(row: dict[str, Any], series: dict[r.Key, list[dict]], *, draw: bool = True) -> dict[str, Any]:
    """One indicator's chart (when it has a numeric target), figures and citation. With
    ``draw`` off the SVG is left out (a web page draws the same series with ECharts)."""
    if r.charted(row, series):
        svg = Markup(_svg(row, series[r.key(row)])) if draw else None  # line_chart escapes its text
        note = None
    elif row["target_value"] is None:
        svg, note = None, "目标为定性表述，不作图"
    else:
        svg, note = None, "暂无目标路径数据，不作图"
    return {
        "anchor": _anchor(row),
        "name": row["name_zh"],
        "svg": svg,
        "note": note,
        "figures": _figures(row),
        "citation": row["citation"] or r.EMPTY,
        "status": r.status_label(row),
        "colour": r.status_colour(row["status"]),
    }


def _svg(row: dict[str, Any], points: list[dict]) -> str:
    lines = [
        Series("目标路径", [p["path_value"] for p in points], r.PATH_COLOUR, "solid",
               markers=False),
        Series("实际值", [p["actual"] for p in points], r.ACTUAL_COLOUR, "solid"),
        Series("预测值", [p["projected"] for p in points], r.PROJECTED_COLOUR, "dashed",
               markers=False),
    ]
    title = f"{row['name_zh']}（{row['org_unit_name']}）"
    # The card above the chart names the indicator; the title stays as the accessible name.
    return line_chart([p["year"] for p in points], lines, title=title, unit=row["unit"] or "",
                      show_title=False)
