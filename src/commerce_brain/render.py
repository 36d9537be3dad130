"""Terminal and JSON renderings of the engines' frames (the CLI's presentation layer)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

STATUS_STYLE = {
    "achieved_early": "bold green",
    "ahead": "cyan",
    "on_track": "blue",
    "lagging": "bold red",
    "no_data": "dim",
    "not_assessable": "dim",
}


def money(fen: int | None) -> str:
    """12345678 → "123,456.78" (integer arithmetic: a display never goes through a float)."""
    if fen is None:
        return "—"
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, floats keep 6 decimals."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6)
    return value


def json_records(frame: pl.DataFrame, keys: Sequence[str]) -> str:
    """The frame's rows as a JSON array of objects with exactly ``keys``, in that order."""
    rows = [{k: clean(row[k]) for k in keys} for row in frame.select(list(keys)).iter_rows(named=True)]
    return json.dumps(rows, ensure_ascii=False, indent=2)


def pct(value: float | None) -> str:
    """0.0573 → "5.73%"; None → "—"."""
    return "—" if value is None or not math.isfinite(value) else f"{value * 100:.2f}%"


def num(value: float | None) -> str:
    """A level for people: thousands separated, at most 4 significant decimals."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def evaluation_tables(frame: pl.DataFrame, console: Console) -> None:
    """One rich table per plan: the figures a 规划中期评估 reads."""
    for (plan_title, org_name), part in frame.group_by(["plan_title", "org_unit_name"], maintain_order=True):
        table = Table(title=f"{plan_title} · {org_name} · {part['year'][0]}年", title_justify="left")
        for header in ("指标（单位）", "基期值", "目标值", "实际值", "已实现增速", "目标增速",
                       "所需增速", "完成/时间进度", "预计到期值", "结论"):
            table.add_column(header, justify="left" if header in ("指标（单位）", "结论") else "right")
        for row in part.iter_rows(named=True):
            target = num(row["target_value"]) if row["target_value"] is not None else (row["target_text"] or "—")
            unit = f"（{row['unit']}）" if row["unit"] else ""
            table.add_row(
                f"{row['name_zh']}{unit}", num(row["base_value"]), target, num(row["actual"]),
                pct(row["achieved_growth"]), pct(row["implied_growth"]), pct(row["required_growth"]),
                f"{pct(row['progress'])} / {pct(row['time_elapsed'])}", num(row["projected_value"]),
                f"[{STATUS_STYLE.get(row['status'], '')}]{row['status_zh']}[/]",
            )
        console.print(table)


def simple_table(title: str, headers: Iterable[str], rows: Iterable[Sequence[Any]], console: Console) -> None:
    """A plain table with string cells."""
    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*("—" if v is None else str(v) for v in row))
    console.print(table)


def evaluation_summary(frame: pl.DataFrame, year: int) -> str:
    """One line over an evaluation: how many indicators, how many per status in the words the
    JSON and the HTML report use (STATUS_ZH), and in which year each group was evaluated — a
    plan that ended before ``year`` is judged in its last year."""
    from .indicators.status import STATUS_ZH, STATUSES

    order = {s: n for n, s in enumerate(STATUSES)}
    statuses = (frame.group_by("status").len()
                .with_columns(pl.col("status").replace_strict(order, default=len(order)).alias("o"))
                .sort("o"))
    counts = "，".join(f"{STATUS_ZH.get(s, s)} {n}" for s, n in statuses.select("status", "len").iter_rows())
    years = frame.group_by("year").len().sort("year")
    earlier = years.filter(pl.col("year") != year)
    line = f"{frame.height} 项指标：{counts}"
    if earlier.is_empty():
        return f"{line}（均按{year}年评估）"
    ended = "，".join(f"{y}年 {n} 项" for y, n in earlier.iter_rows())
    return (f"{line}（{frame.height - earlier['len'].sum()} 项按{year}年评估；"
            f"{earlier['len'].sum()} 项的规划已结束，按其末年评估：{ended}）")
