"""Say where an evaluation's numbers come from: the formula with the figures filled in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


# Each symbol of the formulas, in words: pages print them beside the formula so a reader need
# not know the notation.
SYMBOLS = (
    ("X₀", "基期值"), ("X_T", "目标值"), ("X_t", "评估年份的实际值"),
    ("t₀", "基期年份"), ("T", "目标年份"), ("t", "评估年份"),
    ("g_p", "规划目标隐含的年均增长率"), ("g_a", "基期以来已实现的年均增长率"),
    ("g_r", "剩余年份为达到目标所需的年均增长率"),
    ("P", "完成进度：已完成的增量占目标增量的比例"), ("τ", "时间进度：已过年数占规划年数的比例"),
    ("r", "进度比值：增速之比或完成进度与时间进度之比，越接近或超过1越好"),
)


def symbols_in(text: str) -> list[tuple[str, str]]:
    """The symbols an explanation uses, each with its meaning in words, in a fixed order.

    >>> symbols_in("完成进度 P=(X_t−X₀)/(X_T−X₀)=40.00%")
    [('X₀', '基期值'), ('X_T', '目标值'), ('X_t', '评估年份的实际值'), ('P', '完成进度：已完成的增量占目标增量的比例')]
    """
    # Single letters (T, t, P, r) count only where they stand alone in a formula, not inside
    # X_T or a word.
    def used(symbol: str) -> bool:
        return re.search(rf"(?<![A-Za-z_]){re.escape(symbol)}(?![A-Za-z_₀])", text) is not None

    return [(symbol, words) for symbol, words in SYMBOLS if used(symbol)]


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def explain(row: Mapping[str, Any]) -> str:
    """A one-paragraph explanation of one evaluation row, in Chinese with the formulas.

    >>> explain({"status": "no_data", "status_zh": "暂无数据", "year": 2023, "citation": "「x」"})
    '2023年暂无实际值，无法评估。出处：「x」'
    """
    cite = f"出处：{row.get('citation', '')}"
    t, t0, T = row.get("year"), row.get("base_year"), row.get("target_year")
    if row["status"] == "no_data":
        return f"{t}年暂无实际值，无法评估。{cite}"
    X0, XT, Xt = row.get("base_value"), row.get("target_value"), row.get("actual")
    if XT is None and row.get("target_text"):
        return (f"{t}年实际值{_num(Xt)}；目标“{row['target_text']}”无法量化比较，"
                f"结论：{row['status_zh']}。{cite}")
    if XT is None:
        # A county's target is derived from its own base-year figure; without one there is none.
        return (f"{t}年实际值{_num(Xt)}；缺少{t0}年基期值，无法确定目标值，"
                f"结论：{row['status_zh']}。{cite}")
    parts = [f"基期{t0}年 X₀={_num(X0)}，目标{T}年 X_T={_num(XT)}，{t}年实际 X_t={_num(Xt)}"]
    if row.get("growth_basis") == "comparable":
        parts.append(f"按可比价逐年增速连乘，已实现年均增长 g_a={_pct(row.get('achieved_growth'))}，"
                     f"目标年均增长 g_p={_pct(row.get('implied_growth'))}（规划所印可比价增速）")
    elif row.get("implied_growth") is not None:
        parts.append(f"规划目标隐含的年均增长 g_p=(X_T/X₀)^(1/(T−t₀))−1=({_num(XT)}/{_num(X0)})^(1/{T - t0})−1="
                     f"{_pct(row.get('implied_growth'))}")
        if row.get("achieved_growth") is not None:
            parts.append(f"已实现年均增长 g_a=(X_t/X₀)^(1/(t−t₀))−1=({_num(Xt)}/{_num(X0)})^(1/{t - t0})−1="
                         f"{_pct(row.get('achieved_growth'))}")
    if row.get("required_growth") is not None:
        parts.append(f"剩余{T - t}年所需年均增长 g_r={_pct(row['required_growth'])}")
    if row.get("growth_kind") == "cumulative":
        parts.append(f"五年累计完成 {_num(Xt)}/{_num(XT)}={_pct(row.get('progress'))}，"
                     f"时间进度 τ={_pct(row.get('time_elapsed'))}")
    elif row.get("progress") is not None:
        parts.append(f"完成进度 P=(X_t−X₀)/(X_T−X₀)={_pct(row['progress'])}，"
                     f"时间进度 τ=(t−t₀)/(T−t₀)={_pct(row.get('time_elapsed'))}")
    ratio = row.get("ratio")
    if row["status"] == "achieved_early":
        verdict = f"实际值已达到目标，结论：{row['status_zh']}"
    elif ratio is not None:
        by_growth = row.get("achieved_growth") is not None and row.get("implied_growth") is not None
        measure = "g_a/g_p" if by_growth else "P/τ"
        verdict = f"进度比值 r={measure}={ratio:.2f}，结论：{row['status_zh']}"
    else:
        verdict = f"结论：{row['status_zh']}"
    return "；".join(parts) + f"。{verdict}。{cite}"
