"""One rule over a whole table: who qualifies and how much, with the figures behind it."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from .expr_compile import Var, compile_expr, to_condition, to_fen
from .expr_parse import Node, names
from .model import Policy, Rule

CANDIDATE_SCHEMA = {
    "eid": pl.UInt32, "year": pl.Int32, "policy": pl.String, "rule": pl.String, "group": pl.String,
    "grouped": pl.Boolean,
    "subject": pl.String, "deal": pl.UInt32, "payee": pl.String, "tranche": pl.String,
    "amount_fen": pl.Int64, "cap_fen": pl.Int64, "cap_per": pl.String, "already_paid_fen": pl.Int64,
    "needs_review": pl.Boolean, "figures": pl.String,
}


def eligibility(policy: Policy, rule: Rule, variables: dict[str, Var], in_region: pl.Expr,
                years: Sequence[int]) -> dict[str, pl.Expr]:
    """The tests a row must pass, in the order an explanation reports them."""
    last = rule.last_year or 9999
    tests = {
        "region": in_region,
        "year": pl.col("year").is_in([y for y in years if rule.first_year <= y <= last]),
    }
    if rule.scope == "city_level":
        tests["scope"] = pl.col("org_unit").is_in(list(policy.city_level))
    if policy.excluded is not None and not rule.includes_excluded:
        tests["excluded"] = ~condition(policy.excluded, variables)
    if rule.when is not None:
        tests["when"] = condition(rule.when, variables)
    return tests


def condition(node: Node, variables: dict[str, Var]) -> pl.Expr:
    """A compiled condition; a missing figure means not met."""
    return to_condition(compile_expr(node, variables))


def fen(node: Node, variables: dict[str, Var]) -> pl.Expr:
    """A compiled money expression in whole fen."""
    return to_fen(compile_expr(node, variables))


def amount_expr(rule: Rule, variables: dict[str, Var]) -> tuple[pl.Expr, pl.Expr]:
    """The amount in fen before caps and 补差, and whether it awaits a reviewer's figure."""
    if rule.amount is not None:
        return fen(rule.amount, variables), pl.lit(False)
    if rule.bands:
        chain = None
        for band in rule.bands:
            value = fen(band.value, variables)
            if band.when is None:
                chain = value if chain is None else chain.otherwise(value)
                break
            cond = condition(band.when, variables)
            chain = pl.when(cond).then(value) if chain is None else chain.when(cond).then(value)
        return chain if isinstance(chain, pl.Expr) else chain.otherwise(None), pl.lit(False)
    # 最高…: the reviewers' assessed figure within the cap, else the cap, proposed for review.
    ceiling = fen(rule.up_to, variables)
    assessed = pl.col("assessed_award")
    return (pl.when(assessed.is_not_null()).then(pl.min_horizontal(assessed, ceiling)).otherwise(ceiling),
            assessed.is_null())


def figures_used(rule: Rule) -> list[str]:
    """The variables a rule's condition and amount read: kept with each award to explain it."""
    nodes = [rule.when, rule.amount, rule.up_to, rule.cap, *(b.when for b in rule.bands), *(b.value for b in rule.bands)]
    found: list[str] = []
    for node in nodes:
        for name in names(node) if node is not None else []:
            if name not in found:
                found.append(name)
    if rule.up_to is not None and "assessed_award" not in found:
        found.append("assessed_award")
    return found


def evaluate_rule(policy: Policy, rule: Rule, variables: dict[str, Var], table: pl.LazyFrame,
                  in_region: pl.Expr, years: Sequence[int]) -> pl.LazyFrame:
    """Candidate awards of one rule over ``table`` (the facts or the events context), as a
    lazy query: the engine runs all rules' queries together."""
    tests = eligibility(policy, rule, variables, in_region, years)
    qualified = table.filter(pl.all_horizontal(list(tests.values())))
    amount, review = amount_expr(rule, variables)
    cap = fen(rule.cap, variables) if rule.cap is not None else pl.lit(None, dtype=pl.Int64)
    on_facts = "facts" in rule.on
    used = figures_used(rule)
    figures = pl.struct(*(pl.col(n) for n in used)).struct.json_encode() if used else pl.lit("{}")
    frame = qualified.select(
        "eid", "year",
        pl.lit(policy.id).alias("policy"),
        pl.lit(rule.id).alias("rule"),
        # 就高 collapses candidates only within a declared group (one honour at two levels);
        # without one, every event stands on its own (two loans of one project both count).
        (pl.lit(rule.group) if rule.group else pl.lit(rule.id) if on_facts
         else pl.format("{}#{}", pl.lit(rule.id), pl.col("deal"))).alias("group"),
        pl.lit(rule.group is not None).alias("grouped"),
        (pl.lit("enterprise") if on_facts
         # An event without a subject is its own: named by its row in the events sheet.
         else pl.coalesce(pl.col("subject"), pl.format("events第{}行", pl.col("deal") + 2))).alias("subject"),
        (pl.lit(None, dtype=pl.UInt32) if on_facts else pl.col("deal")).alias("deal"),
        pl.lit(rule.payee).alias("payee"),
        pl.lit(rule.tranche, dtype=pl.String).alias("tranche"),
        amount.alias("amount_fen"),
        cap.alias("cap_fen"),
        pl.lit(rule.cap_per).alias("cap_per"),
        (pl.lit(None, dtype=pl.Int64) if on_facts else pl.col("already_paid")).alias("already_paid_fen"),
        review.alias("needs_review"),
        figures.alias("figures"),
    ).filter(pl.col("amount_fen").is_not_null())
    return frame.select([pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()])
