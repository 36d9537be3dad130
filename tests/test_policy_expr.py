"""The rule language: parsing, units, exact arithmetic, and refusals that say why."""

from fractions import Fraction

import polars as pl
import pytest

from commerce_brain.policy.expr_compile import Var, compile_expr, to_condition, to_fen
from commerce_brain.policy.expr_parse import ExprError, conjuncts, names, parse

VARS = {
    "rd_spend": Var("rd_spend", "money", "研发投入"),
    "main_revenue": Var("main_revenue", "money", "主营业务收入"),
    "prev__rd_spend": Var("prev__rd_spend", "money", "上年研发投入"),
    "amount": Var("amount", "money", "金额"),
    "benchmark_rate": Var("benchmark_rate", "ppm", "基准利率"),
    "local_share": Var("local_share", "ppm", "本地投资比例"),
    "days": Var("days", "number", "天数"),
    "count": Var("count", "number", "数量"),
    "level": Var("level", "text", "级别"),
    "is_listed": Var("is_listed", "bool", "上市公司"),
}


def fen(text: str, **columns) -> list:
    frame = pl.DataFrame(columns)
    return frame.select(to_fen(compile_expr(parse(text), VARS)).alias("x"))["x"].to_list()


def holds(text: str, **columns) -> list:
    frame = pl.DataFrame(columns)
    return frame.select(to_condition(compile_expr(parse(text), VARS)).alias("x"))["x"].to_list()


@pytest.mark.parametrize(("text", "value", "money"), [
    ("200万", Fraction(2_000_000), True),
    ("0.8万", Fraction(8000), True),
    ("10亿", Fraction(1_000_000_000), True),
    ("1234.56元", Fraction(123456, 100), True),
    ("5%", Fraction(1, 20), False),
    ("1‰", Fraction(1, 1000), False),
    ("0.5", Fraction(1, 2), False),
])
def test_literals_are_exact_with_units(text, value, money):
    node = parse(text)
    assert (node.value, node.money) == (value, money)


def test_money_times_rate_rounds_half_up_to_the_fen():
    # 12345 fen × 1‰ = 12.345 fen → 12; 12500 × 1‰ = 12.5 → 13 (half up); 12499 → 12.
    assert fen("amount * 1‰", amount=[12345, 12500, 12499]) == [12, 13, 12]


def test_interest_is_exact_where_floats_are_not():
    # 10亿元 at 4.35% for 365 days, 15% of it: 652.5万元 exactly.
    assert fen("amount * benchmark_rate * days / 365 * 15%", amount=[10**11], benchmark_rate=[43500], days=[365]) == [
        652_500_000]
    # 1元 for one day: 1 × 4.35% / 365 × 15% = 0.0000178767 元 = 0.00178767 fen → 0 fen.
    assert fen("amount * benchmark_rate * days / 365 * 15%", amount=[100], benchmark_rate=[43500], days=[1]) == [0]


def test_thresholds_include_the_number():
    assert holds("rd_spend >= 200万", rd_spend=[200_000_000, 199_999_999]) == [True, False]
    # 3% of 6666.6667万 is 200.000001万: exactly-at and just-above sides, by cross-multiplying.
    assert holds("rd_spend >= main_revenue * 3%", rd_spend=[300_000_000, 300_000_000],
                 main_revenue=[10_000_000_000, 10_000_000_001]) == [True, False]


def test_ppm_rates_compare_with_percent_literals():
    assert holds("local_share >= 70%", local_share=[700_000, 699_999]) == [True, False]


def test_prev_max_and_missing_previous_year():
    assert fen("rd_spend * 5% + max(rd_spend - prev(rd_spend), 0元) * 5%",
               rd_spend=[300, 300, 300], prev__rd_spend=[100, 400, None]) == [25, 15, 15]


def test_words_and_flags():
    assert holds('level in ("national", "provincial") and not is_listed',
                 level=["national", "municipal", "provincial"], is_listed=[False, False, True]) == [True, False, False]


def test_missing_figure_means_not_met():
    assert holds("rd_spend >= 200万", rd_spend=pl.Series([None, 300_000_000], dtype=pl.Int64)) == [False, True]


@pytest.mark.parametrize(("text", "message"), [
    ("rd_spend >= 2000000", "金额不能与数值比较；金额请写上单位，如 200万（见“rd_spend >= 2000000”）"),
    ("rd_spend * main_revenue", "金额乘金额没有意义"),
    ("amount / days", "只能除以不带单位的正数"),
    ("rd_spend >= ", "表达式不完整，后面缺少内容（第 13 个字符处）"),
    ("rd_spend >= 200万 and", "表达式不完整"),
    ("turnover >= 200万", "没有名为“turnover”的变量；可用的变量："),
    ("eval(rd_spend)", "没有名为“eval”的函数"),
    ("__import__('os')", "没有名为“__import__”的函数"),
    ("rd_spend >= 200万 ; x", "无法识别的字符“;”（第 17 个字符处）"),
    ("level in (national)", "带引号的词"),
    ("not rd_spend", "研发投入（rd_spend）应为是非判断，实际是金额"),
    ("turnover >= 200万", "可用的变量：金额（amount）、基准利率（benchmark_rate）"),
])
def test_bad_expressions_are_refused_with_a_reason(text, message):
    with pytest.raises(ExprError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_expr(parse(text), VARS)


def test_an_amount_must_be_money():
    with pytest.raises(ExprError, match="金额应为钱数"):
        to_fen(compile_expr(parse("count * 5%"), VARS))


def test_conjuncts_and_names_for_explanations():
    node = parse("rd_spend >= 200万 and rd_spend >= main_revenue * 3% and not is_listed")
    assert [c.text for c in conjuncts(node)] == ["rd_spend >= 200万", "rd_spend >= main_revenue * 3%", "not is_listed"]
    assert names(parse("max(rd_spend - prev(rd_spend), 0元)")) == ["rd_spend", "prev__rd_spend"]


# ---- what the compiler emits: no pass that changes nothing (issue 14) -------------------------

def compiled(text: str) -> str:
    return str(compile_expr(parse(text), VARS).expr)


def test_a_condition_fills_missing_figures_once():
    # Each side of `and` used to be filled, and the whole once more: three passes where one does.
    expr = to_condition(compile_expr(parse("rd_spend >= 200万 and rd_spend >= main_revenue * 3%"), VARS))
    assert str(expr).count("fill_null") == 1


@pytest.mark.parametrize(("text", "expected"), [
    # A missing figure is "not met" where it stands, before `not` turns it over.
    ("not (rd_spend >= 200万 and is_listed)", [True, True, False, True]),
    ("not (rd_spend >= 200万 or is_listed)", [False, True, False, True]),
    ("rd_spend >= 200万 or not is_listed", [False, False, True, True]),
    ("not rd_spend >= 200万 and is_listed", [False, False, False, False]),
])
def test_missing_figures_under_not_and_or(text, expected):
    rd = pl.Series([None, None, 300_000_000, 100], dtype=pl.Int64)
    listed = pl.Series([True, None, True, False], dtype=pl.Boolean)
    assert holds(text, rd_spend=rd, is_listed=listed) == expected


def test_the_rd_amount_stays_in_int64():
    # rd_spend × 5% fits Int64 by the bounds: no Int128, no cast back, rounded in one division.
    expr = to_fen(compile_expr(parse("rd_spend * 5% + max(rd_spend - prev(rd_spend), 0元) * 5%"), VARS))
    assert "Int128" not in str(expr)
    assert str(expr).count("//") == 1
    assert fen("rd_spend * 5% + max(rd_spend - prev(rd_spend), 0元) * 5%",
               rd_spend=[10**15], prev__rd_spend=[0]) == [10**14]


def test_interest_widens_once_and_never_multiplies_by_one():
    text = "amount * benchmark_rate * days / 365 * 15%"
    assert "* (1)]" not in compiled(text)  # / 365 grows the denominator only
    assert "Int128" in compiled(text)
    # 10万亿元 at 100% for 10,000 days: the product (10^25) needs Int128, the award fits Int64.
    amount, rate, days = 10**15, 10**6, 10**4
    exact = Fraction(amount * rate * days * 15, 365 * 10**6 * 100)
    got = fen(text, amount=[amount], benchmark_rate=[rate], days=[days])
    assert got == [int(exact + Fraction(1, 2))]
