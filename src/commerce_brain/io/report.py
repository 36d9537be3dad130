"""Plan-evaluation report (规划实施评估): the entry point, writing either format.

The display rules both formats share live in ``report_rules``; the writers import them, and this
module imports the writers, so the three never import each other in a circle.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .report_rules import evaluation_rows, trajectories

SUFFIXES = (".xlsx", ".html")


def write_report(
    evaluation: pl.DataFrame,
    trajectory: pl.DataFrame,
    path: Path,
    *,
    year: int,
    title: str = "规划实施评估报告",
) -> Path:
    """Write the evaluation for ``year`` as ``.xlsx`` or ``.html`` (chosen by ``path``'s suffix).

    ``evaluation`` has one row per plan indicator × org unit × year (each indicator's latest
    row up to ``year`` is reported); ``trajectory`` holds the yearly target path, actuals and projection for charts.
    Returns ``path``. Raises ValueError for another suffix, missing columns or no rows.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"cannot write a report to {path.name!r}: the suffix must be one of "
            f"{', '.join(SUFFIXES)}, got {path.suffix or 'none'!r}"
        )
    rows = evaluation_rows(evaluation, year)
    series = trajectories(trajectory, rows)
    # Imported here so an HTML report does not need openpyxl.
    if suffix == ".html":
        from .report_html import write_html

        write_html(rows, series, path, year=year, title=title)
    else:
        from .report_xlsx import write_xlsx

        write_xlsx(rows, series, path, year=year, title=title)
    return path
