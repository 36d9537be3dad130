"""The leading (龙头) and benchmark (标杆) enterprise lists of article 1 (pure, columnar).

Each list, in the catalog's order, considers every graded enterprise: an exclusion (the first that
applies, in the order size class, industry, minimum revenue, class, bool facts such as a safety
incident, already on an earlier list) or a place in the ranking by the list's basis. The ranking
breaks equal scores by the catalog's tie-break facts (higher first), then by credit code, so
that it is total; the first ``size`` are selected, and an enterprise whose score equals the last
selected one's but falls outside is told that the tie-break decided it.
"""

from __future__ import annotations

import polars as pl

from .catalog import SIZE_CLASS_ZH, LeaderList, LeaderRules
from .evaluate import sentence_figure
from .explain import figure

LEADERS_SCHEMA = {"list": pl.String, "uscc": pl.String, "name": pl.String, "rank": pl.Int64,
                  "score": pl.Float64, "selected": pl.Boolean, "reason": pl.String}


def select_leaders(graded: pl.DataFrame, facts: pl.DataFrame, rules: LeaderRules, *, size: int = 50) -> pl.DataFrame:
    """Every graded enterprise considered for each list of ``rules``: ``list, uscc, name, rank``
    (its place among the eligible, null when excluded), ``score`` (the list's basis),
    ``selected`` and ``reason`` (Chinese: why selected, excluded, below the cut or tied out)."""
    if size < 1:
        raise ValueError("a list holds at least one enterprise")
    wanted = ["uscc", "industry", "main_revenue", *(f for f, _ in rules.tie_break)]
    wanted += [f for lst in rules.lists for f, _ in lst.exclude_facts]
    extra = facts.select([c for c in dict.fromkeys(wanted) if c in facts.columns])
    missing = [pl.lit(None).alias(c) for c in dict.fromkeys(wanted) if c not in extra.columns]
    base = graded.drop("rank", "score", strict=False).join(extra.with_columns(missing), on="uscc", how="left")
    chosen: dict[str, pl.DataFrame] = {}
    frames = []
    for lst in rules.lists:
        frame = _one_list(base, lst, rules, size, chosen)
        chosen[lst.key] = frame.filter(pl.col("selected")).select("uscc")
        frames.append(frame)
    if not frames:
        return pl.DataFrame(schema=LEADERS_SCHEMA)
    return pl.concat(frames).select(list(LEADERS_SCHEMA))


def _exclusion(lst: LeaderList, chosen: dict[str, pl.DataFrame], names: dict[str, str]) -> pl.Expr:
    reason: pl.Expr = pl.lit(None, pl.String)
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    allowed_sizes = "、".join(SIZE_CLASS_ZH[s] for s in lst.size_classes)
    checks.append((~pl.col("size_class").is_in(lst.size_classes),
                   pl.lit(f"本名单只选{allowed_sizes}企业")))
    if lst.industries:
        inside = pl.any_horizontal([pl.col("industry").str.starts_with(p).fill_null(False) for p in lst.industries])
        checks.append((~inside, pl.lit("所属行业不在本名单的行业范围内")))
    if lst.min_main_revenue_yuan:
        # Floored to the 0.01 万元 shown, so that a revenue a fen short never reads as the threshold.
        revenue_wan = (pl.col("main_revenue") // 10_000) / 100
        checks.append((pl.col("main_revenue").is_null() | (pl.col("main_revenue") < lst.min_main_revenue_yuan * 100),
                       pl.format("主营业务收入{}万元，低于本名单门槛{}万元",
                                 sentence_figure(revenue_wan).fill_null("（未填报）"),
                                 pl.lit(figure(lst.min_main_revenue_yuan / 10_000, grouped=False)))))
    if lst.exclude_classes:
        checks.append((pl.col("class").is_in(lst.exclude_classes),
                       pl.format("亩均效益评价为{}类，本名单不选{}类企业", pl.col("class"),
                                 pl.lit("、".join(lst.exclude_classes)))))
    for fact, name_zh in lst.exclude_facts:
        checks.append((pl.col(fact).cast(pl.Boolean).fill_null(False), pl.lit(f"{name_zh}，不列入本名单")))
    for earlier in lst.exclude_selected_in:
        picked = chosen[earlier]["uscc"].implode()
        checks.append((pl.col("uscc").is_in(picked), pl.lit(f"已入选{names[earlier]}名单，一家企业只列入一个名单")))
    for condition, text in reversed(checks):
        reason = pl.when(condition).then(text).otherwise(reason)
    return reason


def _one_list(base: pl.DataFrame, lst: LeaderList, rules: LeaderRules, size: int,
              chosen: dict[str, pl.DataFrame]) -> pl.DataFrame:
    frame = base.with_columns(pl.col(lst.basis).cast(pl.Float64).alias("score"), _exclusion(lst, chosen, {x.key: x.name_zh for x in rules.lists}).alias("_excluded"))
    breakers = [f for f, _ in rules.tie_break]
    eligible = (frame.filter(pl.col("_excluded").is_null())
                .sort(["score", *breakers, "uscc"], descending=[True, *([True] * len(breakers)), False], nulls_last=True)
                .with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64)))
    cut_score = eligible.filter(pl.col("rank") == size)["score"]
    cut = cut_score[0] if cut_score.len() else None
    tie_names = "、".join(zh for _, zh in rules.tie_break)
    shown = sentence_figure(pl.col("score"))
    selected = pl.col("rank") <= size
    tied = pl.col("score") == cut if cut is not None else pl.lit(False)
    outside_tied = eligible.filter(~selected & tied).height > 0
    reason = (pl.when(selected & tied & pl.lit(outside_tied))
              .then(pl.format("{}{}分，排第{}名，入选{}；与未入选企业得分相同，按{}较高者优先", pl.lit(lst.basis_zh), shown,
                              pl.col("rank"), pl.lit(lst.name_zh), pl.lit(tie_names)))
              .when(selected)
              .then(pl.format("{}{}分，排第{}名，入选{}", pl.lit(lst.basis_zh), shown, pl.col("rank"), pl.lit(lst.name_zh)))
              .when(tied)
              .then(pl.format("{}{}分，与第{}名得分相同，按{}较高者优先，排第{}名，未入选", pl.lit(lst.basis_zh), shown,
                              pl.lit(size), pl.lit(tie_names), pl.col("rank")))
              .otherwise(pl.format("{}{}分，排第{}名，未进入前{}名", pl.lit(lst.basis_zh), shown, pl.col("rank"), pl.lit(size))))
    ranked = eligible.with_columns(selected.alias("selected"), reason.alias("reason"))
    excluded = frame.filter(pl.col("_excluded").is_not_null()).with_columns(
        pl.lit(None, pl.Int64).alias("rank"), pl.lit(False).alias("selected"), pl.col("_excluded").alias("reason"))
    columns = ["uscc", "name", "rank", "score", "selected", "reason"]
    return (pl.concat([ranked.select(columns), excluded.select(columns).sort("uscc")])
            .with_columns(pl.lit(lst.key).alias("list")))
