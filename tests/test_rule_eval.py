"""A rule's amount as the engine compiles it: tier tables by lookup, 最高 amounts in one pass,
the same answers as the when/then chains they replace (issue 14)."""

from fractions import Fraction
from math import floor

import polars as pl
import pytest

from commerce_brain.policy.catalog import load_policy_catalog, readable
from commerce_brain.policy.expr_parse import Text, parse
from commerce_brain.policy.model import Band
from commerce_brain.policy.rule_eval import amount_expr, fen, tier_lookup

POLICIES = load_policy_catalog()
BANDED = [r for r in POLICIES.rules() if r.bands]
UP_TO = [r for r in POLICIES.rules() if r.up_to is not None]


def word(band: Band) -> str | None:
    node = band.when
    for side in (node.left, node.right) if node is not None and hasattr(node, "left") else ():
        if isinstance(side, Text):
            return side.value
    return None


def by_hand(rule, value: str | None) -> int | None:
    """The first band naming the word, else the row without a condition, else nothing."""
    for band in rule.bands:
        if band.when is None or (value is not None and word(band) == value):
            return floor(band.value.value * 100 + Fraction(1, 2))
    return None


@pytest.mark.parametrize("rule", [r for r in BANDED if all(word(b) for b in r.bands if b.when is not None)
                                  and all(b.value.money for b in r.bands)], ids=lambda r: r.id)
def test_a_tier_table_on_one_word_is_one_lookup_with_the_chains_answers(rule):
    variables = readable(POLICIES.variables, rule.on)
    amount, review = amount_expr(rule, variables)
    assert "replace_strict" in str(amount) and "when" not in str(amount)
    column = next(side.name for side in (rule.bands[0].when.left, rule.bands[0].when.right) if hasattr(side, "name"))
    values = [w for w in (word(b) for b in rule.bands) if w] + ["no_such_level", None]
    frame = pl.DataFrame({column: pl.Series(values, dtype=pl.String)})
    got = frame.select(amount.alias("x"))["x"].to_list()
    assert got == [by_hand(rule, v) for v in values]
    assert frame.select(amount.alias("x"))["x"].dtype == pl.Int64


def test_the_lookup_takes_the_first_row_and_the_default_expression():
    variables = readable(POLICIES.variables, ("patent",))
    bands = (Band(parse('level == "national"'), parse("30万")), Band(parse('level == "national"'), parse("10万")),
             Band(None, parse("amount * 10%")))
    frame = pl.DataFrame({"level": ["national", "provincial", None], "amount": [10**8, 10**8, 5]})
    assert frame.select(tier_lookup(bands, variables).alias("x"))["x"].to_list() == [30_000_000, 10_000_000, 1]


def test_tables_of_another_shape_keep_the_chain():
    variables = readable(POLICIES.variables, ("patent",))
    mixed = (Band(parse('level == "national"'), parse("30万")), Band(parse("amount >= 100万"), parse("10万")))
    assert tier_lookup(mixed, variables) is None
    computed = (Band(parse('level == "national"'), parse("amount * 10%")),)
    assert tier_lookup(computed, variables) is None


@pytest.mark.parametrize("rule", UP_TO, ids=lambda r: r.id)
def test_up_to_is_the_assessed_figure_within_the_ceiling_in_one_pass(rule):
    variables = readable(POLICIES.variables, rule.on)
    amount, review = amount_expr(rule, variables)
    assert "when" not in str(amount)
    # The ceiling may read the event's figures (30% of the investment, 8,000元 a patent).
    frame = pl.DataFrame({"assessed_award": pl.Series([None, 1, 10**14], dtype=pl.Int64),
                          "amount": [10**9] * 3, "count": [3] * 3})
    ceiling = frame.with_columns(fen(rule.up_to, variables).alias("c"))["c"].to_list()
    out = frame.select(amount.alias("x"), review.alias("r"))
    assert out["x"].to_list() == [ceiling[0], min(1, ceiling[1]), ceiling[2]]
    assert out["r"].to_list() == [True, False, False]
