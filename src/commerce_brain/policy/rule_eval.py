"""One rule over a whole table: who qualifies and how much, with the figures behind it."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import floor

import polars as pl

from .expr_compile import FEN_PER_YUAN, Var, compile_expr, to_condition, to_fen
from .expr_parse import Binary, Name, Node, Number, Text, names
from .model import Band, Policy, Rule

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
        lookup = tier_lookup(rule.bands, variables)
        if lookup is not None:
            return lookup, pl.lit(False)
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
    # min_horizontal skips a null, so one pass gives both (the ceiling computed once).
    assessed = pl.col("assessed_award")
    return pl.min_horizontal(assessed, fen(rule.up_to, variables)), assessed.is_null()


def tier_lookup(bands: Sequence[Band], variables: dict[str, Var]) -> pl.Expr | None:
    """A tier table keyed on one word (level == "national" → 50万, level == "provincial" → 20万,
    …, an optional last row without a condition) as one lookup pass instead of a comparison and
    a when/then per row; None when the table is of another shape (the when chain serves it).

    Same answer as the chain: the first row naming a word wins, a word no row names (or a
    missing one) gets the last row's amount, or none."""
    keyed, default = bands, None
    if bands[-1].when is None:
        keyed, default = bands[:-1], bands[-1]
    column, amounts = None, {}
    for band in keyed:
        key = _word_test(band.when)
        if key is None or (column is not None and key[0] != column) or not _is_money(band.value):
            return None
        column = key[0]
        amounts.setdefault(key[1], _fen_of(band.value))
    var = variables.get(column) if column else None
    if var is None or var.kind not in ("text", "class"):
        return None
    fallback = fen(default.value, variables) if default is not None else None
    return pl.col(column).replace_strict(amounts, default=fallback, return_dtype=pl.Int64)


def _word_test(node: Node | None) -> tuple[str, str] | None:
    """(variable, word) for ``variable == "word"``, else None."""
    if isinstance(node, Binary) and node.op == "==":
        for name, word in ((node.left, node.right), (node.right, node.left)):
            if isinstance(name, Name) and isinstance(word, Text):
                return name.name, word.value
    return None


def _is_money(node: Node) -> bool:
    return isinstance(node, Number) and node.money


def _fen_of(node: Number) -> int:
    """A money literal in whole fen, rounded half up as ``to_fen`` rounds."""
    return floor(node.value * FEN_PER_YUAN + Fraction(1, 2))


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
    # Every column made in its CANDIDATE_SCHEMA type here, in one projection: the literals are
    # typed, the context's columns cast (Polars drops a cast that is already the type).
    return qualified.select(
        pl.col("eid").cast(pl.UInt32), pl.col("year").cast(pl.Int32),
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
        (pl.lit(None, dtype=pl.UInt32) if on_facts else pl.col("deal").cast(pl.UInt32)).alias("deal"),
        pl.lit(rule.payee, dtype=pl.String).alias("payee"),
        pl.lit(rule.tranche, dtype=pl.String).alias("tranche"),
        amount.cast(pl.Int64).alias("amount_fen"),
        cap.cast(pl.Int64).alias("cap_fen"),
        pl.lit(rule.cap_per, dtype=pl.String).alias("cap_per"),
        (pl.lit(None, dtype=pl.Int64) if on_facts else pl.col("already_paid").cast(pl.Int64)).alias("already_paid_fen"),
        review.alias("needs_review"),
        figures.alias("figures"),
    ).filter(pl.col("amount_fen").is_not_null())
