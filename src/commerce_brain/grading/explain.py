"""An enterprise's score card (评分表): each indicator against its benchmark, with the formula
in figures, in Chinese — what the grading page and the CLI show beside the class."""

from __future__ import annotations

from decimal import Decimal

from .catalog import GradingSettings, Indicator


def figure(x: float | None, places: int = 4, *, grouped: bool = True) -> str:
    """A number for people: at most ``places`` decimals, trailing zeros dropped, thousands grouped
    unless ``grouped`` is False (inside a sentence beside figures that are not)."""
    if x is None:
        return "—"
    text = f"{Decimal(repr(round(x, places))):{',' if grouped else ''}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _shown(ind: Indicator, x: float | None) -> str:
    if x is None:
        return "—"
    return f"{figure(x * 100, 2)}%" if ind.percent else figure(x)


def score_card(graded_row: dict, settings: GradingSettings, *, year: int | None = None) -> list[dict]:
    """One entry per indicator of the row's size class: ``key, name_zh, value`` (with its unit),
    ``benchmark``, ``weight``, ``cap``, ``score`` (float) and ``formula`` (the computation in figures,
    or how a missing value was scored).

    The benchmark is the row's ``benchmark__<key>`` (what the run used); a row read back from the
    store without it takes the catalog's for the row's (or ``year``'s) year and its county."""
    card = []
    size = graded_row["size_class"]
    for ind in settings.indicators[size]:
        value = graded_row.get(f"value__{ind.key}")
        bench = graded_row.get(f"benchmark__{ind.key}")
        if bench is None:
            bench = settings.benchmark(graded_row.get("year") or year, graded_row.get("county"), size, ind.key)
        score = graded_row.get(f"score__{ind.key}") or 0.0
        unit = "" if ind.percent else ind.unit
        if value is None:
            formula = (f"无数据，按同组企业该项平均得分计 {figure(score, 2)} 分"
                       if ind.when_missing == "group_average" else "无数据，计 0 分")
        else:
            raw = value / bench * ind.weight if bench else 0.0
            formula = f"{_shown(ind, value)} ÷ {_shown(ind, bench)} × {figure(ind.weight)} = {figure(max(raw, 0.0), 2)} 分"
            if raw > ind.cap:
                formula += f"，超过该项上限 {figure(ind.cap)} 分，按 {figure(ind.cap)} 分计"
            elif raw < 0:
                formula = f"{_shown(ind, value)} 为负，计 0 分"
        card.append({
            "key": ind.key, "name_zh": ind.name_zh,
            "value": f"{_shown(ind, value)}{unit if value is not None else ''}",
            "benchmark": f"{_shown(ind, bench)}{unit if bench is not None else ''}",
            "weight": figure(ind.weight), "cap": figure(ind.cap), "score": round(score, 2), "formula": formula,
        })
    return card
