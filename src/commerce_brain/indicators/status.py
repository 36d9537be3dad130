"""Status of an indicator against its plan: 提前实现, 快于预期, 基本符合预期, 滞后."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

STATUSES = ("achieved_early", "ahead", "on_track", "lagging", "no_data", "not_assessable")
STATUS_ZH = {
    "achieved_early": "提前实现",
    "ahead": "快于预期",
    "on_track": "基本符合预期",
    "lagging": "滞后",
    "no_data": "暂无数据",
    "not_assessable": "无法量化评估",
}
# How urgent a status is for a reader who scans for trouble first (cockpit, report).
STATUS_URGENCY = {"lagging": 0, "on_track": 1, "no_data": 2, "not_assessable": 3, "ahead": 4,
                  "achieved_early": 5}


@dataclass(frozen=True)
class Thresholds:
    """Bounds on the ratio r (achieved/implied growth, or progress/time elapsed).

    ahead when r ≥ ``ahead``; on track when ``on_track`` ≤ r < ``ahead``; lagging below.
    """

    ahead: float = 1.05
    on_track: float = 0.95

    def __post_init__(self) -> None:
        if not 0 < self.on_track <= self.ahead:
            raise ValueError(
                f"thresholds must satisfy 0 < on_track ≤ ahead, got {self.on_track} and {self.ahead}"
            )


def status_expr(thresholds: Thresholds) -> pl.Expr:
    """The status column from ``actual``, ``has_target``, ``met`` and ``ratio``."""
    return (
        pl.when(pl.col("actual").is_null()).then(pl.lit("no_data"))
        .when(~pl.col("has_target")).then(pl.lit("not_assessable"))
        .when(pl.col("met")).then(pl.lit("achieved_early"))
        .when(pl.col("ratio").is_null()).then(pl.lit("not_assessable"))
        .when(pl.col("ratio") >= thresholds.ahead).then(pl.lit("ahead"))
        .when(pl.col("ratio") >= thresholds.on_track).then(pl.lit("on_track"))
        .otherwise(pl.lit("lagging"))
    )


def status_zh_expr() -> pl.Expr:
    """Chinese label; a target met in the plan's last year is 已实现 rather than 提前实现."""
    return (
        pl.when((pl.col("status") == "achieved_early") & (pl.col("year") >= pl.col("target_year")))
        .then(pl.lit("已实现"))
        .otherwise(pl.col("status").replace_strict(STATUS_ZH, default=None))
    )
