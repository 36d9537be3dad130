"""A tiny dependency-free SVG line chart, so offline reports need no JS library or CDN."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT_STACK = '"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif'
DASHES = {"solid": None, "dashed": "7 5", "dotted": "2 4"}

_INK = "#1f2933"
_MUTED = "#616e7c"
_GRID = "#e4e7eb"
_AXIS = "#9aa5b1"
_TITLE_SIZE = 17
_LABEL_SIZE = 13
_TICK_SIZE = 12


@dataclass(frozen=True)
class Series:
    """One line: a label, one value per year (None = missing), a colour and a dash style.

    ``dash`` is ``solid``, ``dashed`` or ``dotted``. ``markers`` draws a dot on every value;
    an isolated value (no neighbour to join) is always dotted so it never disappears.
    """

    label: str
    values: Sequence[float | None]
    colour: str = "#1f4e79"
    dash: str = "solid"
    markers: bool = True

    def __post_init__(self) -> None:
        if self.dash not in DASHES:
            raise ValueError(f"dash must be one of {sorted(DASHES)}, got {self.dash!r}")


def nice_ticks(lo: float, hi: float, *, min_count: int = 4, max_count: int = 6) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 × 10ⁿ) covering [lo, hi], 4–6 of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"tick range must be finite, got {lo}..{hi}")
    lo, hi = min(lo, hi), max(lo, hi)
    if hi == lo:
        # A flat line still needs a readable axis around it.
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    magnitude = math.floor(math.log10((hi - lo) / max_count))
    # Rank candidates: a count within bounds first, then the least empty axis; failing that
    # (not seen in practice), the count closest to five.
    best: tuple[tuple[int, float], list[float]] | None = None
    for exponent in range(magnitude - 1, magnitude + 3):
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0**exponent
            # The epsilon keeps a bound that is already a multiple of step from growing a tick.
            first = math.floor(lo / step + 1e-9)
            last = math.ceil(hi / step - 1e-9)
            count = last - first + 1
            if min_count <= count <= max_count:
                rank = (0, (last - first) * step - (hi - lo))
            else:
                rank = (1, abs(count - 5))
            if best is None or rank < best[0]:
                digits = max(0, 1 - exponent)  # enough for 2.5 × 10ⁿ, rounds off float noise
                best = (rank, [round((first + i) * step, digits) for i in range(count)])
    assert best is not None
    return best[1]


def _tick_label(value: float, ticks: Sequence[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9 * max(1.0, step):
        decimals += 1
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _text_width(text: str, size: float) -> float:
    # CJK glyphs are about one em wide, Latin digits and letters a bit over half.
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Split a point list at missing values: a gap means no data, not a straight guess."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


# Beyond this no statistic is real (a stored 1e308 is a typo that got through): such a point is
# left out of the chart, as a missing one is, instead of overflowing the axis arithmetic.
CHARTED = 1e15


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) and abs(value) <= CHARTED else None


def line_chart(
    years: Sequence[int],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 360,
    show_title: bool = True,
) -> str:
    """An SVG line chart of ``series`` over ``years`` as a standalone ``<svg>`` string.

    Year ticks on the x axis, 4–6 round value ticks on the y axis, a legend and the unit
    (单位：…) above the plot. All text is HTML-escaped; the output has no external references
    except the SVG namespace. ``show_title=False`` keeps the title only as the accessible name,
    for pages that already print it above the chart.
    """
    years = [int(y) for y in years]
    if any(b <= a for a, b in zip(years, years[1:])):
        raise ValueError(f"years must be strictly increasing, got {years}")
    for s in series:
        if len(s.values) != len(years):
            raise ValueError(
                f"series {s.label!r} has {len(s.values)} values for {len(years)} years"
            )
    values = [v for s in series for v in map(_finite, s.values) if v is not None]
    ticks = nice_ticks(min(values), max(values)) if values else [0.0, 0.25, 0.5, 0.75, 1.0]
    labels = [_tick_label(t, ticks) for t in ticks]

    left = 16 + max(_text_width(label, _TICK_SIZE) for label in labels) + 10
    # Without a title row the legend and plot move up rather than leave a blank band.
    shift = 0 if show_title else 30
    right, top, bottom = width - 24, 78 - shift, height - 40
    pad = 18  # keeps first and last points off the axes
    span = (years[-1] - years[0]) if len(years) > 1 else 0

    def x_of(year: int) -> float:
        if not span:
            return (left + right) / 2
        return left + pad + (year - years[0]) / span * (right - left - 2 * pad)

    def y_of(value: float) -> float:
        return bottom - (value - ticks[0]) / (ticks[-1] - ticks[0]) * (bottom - top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f"font-family='{FONT_STACK}' class=\"line-chart\">",
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if show_title:
        parts.append(f'<text x="16" y="28" font-size="{_TITLE_SIZE}" font-weight="600" '
                     f'fill="{_INK}">{escape(title)}</text>')
    unit_text = f"单位：{unit}" if unit else ""
    if unit_text:
        parts.append(
            f'<text x="16" y="{56 - shift}" font-size="{_LABEL_SIZE}" fill="{_MUTED}">'
            f"{escape(unit_text)}</text>"
        )
    # A legend entry for a line that is not drawn would send the reader looking for it.
    shown = [s for s in series if any(_finite(v) is not None for v in s.values)]
    parts += _legend(shown, start=max(16 + _text_width(unit_text, _LABEL_SIZE) + 28,
                                      right - _legend_width(shown)), y=56 - shift)

    for tick, label in zip(ticks, labels):
        y = y_of(tick)
        colour = _AXIS if tick == ticks[0] else _GRID
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
                     f'stroke="{colour}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 8:.1f}" y="{y + 4:.1f}" font-size="{_TICK_SIZE}" '
                     f'fill="{_MUTED}" text-anchor="end">{escape(label)}</text>')

    every = max(1, math.ceil(len(years) / max(1, int((right - left) // 48))))
    for i, year in enumerate(years):
        if i % every:
            continue
        x = x_of(year)
        parts.append(f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 5:.1f}" '
                     f'stroke="{_AXIS}" stroke-width="1"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 22:.1f}" font-size="{_TICK_SIZE}" '
                     f'fill="{_MUTED}" text-anchor="middle">{year}</text>')

    drawn = [_line(s, _runs([None if _finite(v) is None else (x_of(yr), y_of(v))
                             for yr, v in zip(years, s.values)])) for s in series]
    # All lines first, then the dots of series drawn with markers last: a projection that
    # starts at the latest actual must not paint over that actual's dot.
    parts += [svg for lines, _ in drawn for svg in lines]
    for marked in (False, True):
        parts += [svg for s, (_, dots) in zip(series, drawn) if s.markers is marked for svg in dots]

    if not values:
        parts.append(f'<text x="{(left + right) / 2:.1f}" y="{(top + bottom) / 2:.1f}" '
                     f'font-size="{_LABEL_SIZE}" fill="{_MUTED}" text-anchor="middle">暂无数据</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _line(s: Series, runs: list[list[tuple[float, float]]]) -> tuple[list[str], list[str]]:
    """The polylines and the dots of one series."""
    colour = escape(s.colour)
    dash = DASHES[s.dash]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    lines, dots = [], []
    for run in runs:
        if len(run) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            lines.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                         f'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"'
                         f"{dash_attr}/>")
        if s.markers or len(run) == 1:
            dots += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" '
                     f'stroke="#ffffff" stroke-width="1.5"/>' for x, y in run]
    return lines, dots


def _legend_item_width(s: Series) -> float:
    return 28 + 6 + _text_width(s.label, _LABEL_SIZE) + 18


def _legend_width(series: Sequence[Series]) -> float:
    return sum(_legend_item_width(s) for s in series) - 18 if series else 0


def _legend(series: Sequence[Series], *, start: float, y: float) -> list[str]:
    out, x = [], start
    for s in series:
        dash = DASHES[s.dash]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        colour = escape(s.colour)
        out.append(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 28:.1f}" y2="{y - 4:.1f}" '
                   f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        if s.markers:
            out.append(f'<circle cx="{x + 14:.1f}" cy="{y - 4:.1f}" r="4" fill="{colour}" '
                       f'stroke="#ffffff" stroke-width="1.5"/>')
        out.append(f'<text x="{x + 34:.1f}" y="{y:.1f}" font-size="{_LABEL_SIZE}" '
                   f'fill="{_INK}">{escape(s.label)}</text>')
        x += _legend_item_width(s)
    return out
