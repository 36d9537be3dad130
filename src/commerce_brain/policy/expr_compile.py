"""Compile rule-language trees to Polars expressions with exact integer arithmetic.

Every number is carried as an integer numerator column over a fixed integer denominator:
money in fen (分), rates exact (3% is 3/100), data rates in millionths. Sums bring terms to a
common denominator, comparisons cross-multiply, and only the final amount is rounded, half
up, to whole fen. Units are checked: money compares with money, and money times money is
refused.

The compiler knows the largest magnitude each expression can reach (from the bounds on the
inputs, ``BOUNDS``) and works in Int64 while that is safe, switching to Int128 only where a
product could overflow (a loan's principal × rate × days): exact always, fast where it can be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import polars as pl

from .expr_parse import (
    Binary,
    Bool,
    Call,
    ExprError,
    In,
    Name,
    Node,
    Number,
    Text,
    Unary,
)

FEN_PER_YUAN = 100
PPM = 1_000_000
NUMERIC = ("money", "number")
# The largest magnitude an input may have; the engine refuses data beyond them.
# A decimal fact is an integer × 10^scale (12.35 亩 → 1235): its bound is on that integer.
BOUNDS = {"money": 10**15, "number": 10**11, "ppm": 10**6, "decimal": 10**13}  # 10万亿元 in fen; counts, kWh; 100%
SAFE = 2**62  # below this an Int64 numerator cannot overflow
# What an officer reads for each kind of value in a refusal (the page speaks Chinese only).
KIND_ZH = {"money": "金额", "number": "数值", "ppm": "比例", "bool": "是非判断", "text": "文字",
           "decimal": "数值", "class": "类别"}


def kinds_zh(kinds: tuple[str, ...] | str) -> str:
    """Kinds of value in Chinese: ("money", "number") → 金额或数值."""
    return "或".join(KIND_ZH.get(k, k) for k in ((kinds,) if isinstance(kinds, str) else kinds))


@dataclass(frozen=True)
class Var:
    """A variable rules may read: its column, kind (money, number, ppm, decimal, bool, class,
    text) and label; ``scale`` is a decimal's number of places (its column holds value × 10^scale)."""

    name: str
    kind: str
    name_zh: str
    scale: int = 0


@dataclass(frozen=True)
class Compiled:
    """``expr`` / ``den`` for numbers (money in fen); ``expr`` alone for bool and text.

    ``bound`` is the largest |numerator| the expression can reach; ``wide`` says it is Int128.
    ``nullable`` (conditions): the expression may be null where a figure is missing; a condition
    known never to be null needs no ``fill_null`` pass.
    """

    expr: pl.Expr
    den: int
    kind: str
    history: bool = False  # needs the enterprise's whole history (first_time)
    bound: int = 0
    wide: bool = False
    nullable: bool = True


def _lit(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.Int128 if abs(value) >= SAFE else pl.Int64)


def _widen(c: Compiled) -> Compiled:
    return c if c.wide else Compiled(c.expr.cast(pl.Int128), c.den, c.kind, c.history, c.bound, True)


def _scaled(c: Compiled, den: int) -> Compiled:
    """The same value over a larger denominator ``den``."""
    factor = den // c.den
    if factor == 1:
        return c
    bound = c.bound * factor
    base = _widen(c) if bound >= SAFE else c
    return Compiled(base.expr * _lit(factor), den, c.kind, c.history, bound, base.wide)


def _fit(bound: int, *operands: Compiled) -> tuple[list[pl.Expr], bool]:
    """The operands' expressions, all widened to Int128 if the result could overflow Int64."""
    wide = bound >= SAFE or any(o.wide for o in operands)
    return [(_widen(o) if wide else o).expr for o in operands], wide


def _is_one(node: Node) -> bool:
    """A literal whose numerator is 1 (5% = 1/20, 1‰ = 1/1000): multiplying by it is free."""
    return isinstance(node, Number) and (node.value * (FEN_PER_YUAN if node.money else 1)).numerator == 1


def _number(value: Fraction, kind: str) -> Compiled:
    return Compiled(_lit(value.numerator), value.denominator, kind, bound=abs(value.numerator),
                    wide=abs(value.numerator) >= SAFE)


class _Compiler:
    def __init__(self, variables: Mapping[str, Var]) -> None:
        self.variables = variables

    def error(self, node: Node, message: str) -> ExprError:
        return ExprError(f"{message}（见“{node.text}”）")

    def label(self, node: Node) -> str:
        """The part of the formula the officer wrote, with the variable's Chinese label when it is one."""
        var = self.variables.get(node.name) if isinstance(node, Name) else None
        return f"{var.name_zh}（{node.name}）" if var else f"“{node.text}”"

    def compile(self, node: Node) -> Compiled:
        if isinstance(node, Number):
            if node.money:
                return _number(node.value * FEN_PER_YUAN, "money")
            return _number(node.value, "number")
        if isinstance(node, Text):
            return Compiled(pl.lit(node.value), 1, "text")
        if isinstance(node, Bool):
            return Compiled(pl.lit(node.value), 1, "bool", nullable=False)
        if isinstance(node, Name):
            return self.variable(node, node.name)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, In):
            operand = self.compile(node.operand)
            if operand.kind != "text":
                raise self.error(node, "in (...) 只能比较文字，如 level in (\"national\", \"provincial\")")
            return Compiled(operand.expr.is_in(list(node.options)), 1, "bool", operand.history)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Call):
            return self.call(node)
        raise self.error(node, "无法理解这一部分")

    def variable(self, node: Node, name: str) -> Compiled:
        var = self.variables.get(name)
        if var is None:
            known = "、".join(f"{v.name_zh}（{k}）" for k, v in sorted(self.variables.items()))
            raise self.error(node, f"没有名为“{name}”的变量；可用的变量：{known}")
        column = pl.col(name)
        if var.kind == "money":
            return Compiled(column.cast(pl.Int64), 1, "money", bound=BOUNDS["money"])
        if var.kind == "number":
            return Compiled(column.cast(pl.Int64), 1, "number", bound=BOUNDS["number"])
        if var.kind == "ppm":
            return Compiled(column.cast(pl.Int64), PPM, "number", bound=BOUNDS["ppm"])
        if var.kind == "decimal":  # 1235 over 100 is 12.35 亩: exact, compared as a number
            return Compiled(column.cast(pl.Int64), 10 ** var.scale, "number", bound=BOUNDS["decimal"])
        if var.kind == "class":  # a class is compared as text: mu_class == "A"
            return Compiled(column, 1, "text")
        return Compiled(column, 1, var.kind)

    def unary(self, node: Unary) -> Compiled:
        operand = self.compile(node.operand)
        if node.op == "not":
            self.require(node.operand, operand, ("bool",))
            return Compiled(~operand.expr, 1, "bool", operand.history, nullable=operand.nullable)
        self.require(node.operand, operand, NUMERIC)
        return Compiled(-operand.expr, operand.den, operand.kind, operand.history, operand.bound, operand.wide)

    def require(self, node: Node, c: Compiled, kinds: tuple[str, ...]) -> None:
        if c.kind not in kinds:
            raise ExprError(f"{self.label(node)}应为{kinds_zh(kinds)}，实际是{kinds_zh(c.kind)}")

    def binary(self, node: Binary) -> Compiled:
        left, right = self.compile(node.left), self.compile(node.right)
        history = left.history or right.history
        if node.op in ("and", "or"):
            self.require(node.left, left, ("bool",))
            self.require(node.right, right, ("bool",))
            # A missing figure means not met: filling the Kleene result once is the same as
            # filling both operands (null & x and null | x come out False exactly where
            # False & x and False | x do), one pass instead of two, none when neither can be null.
            expr = left.expr & right.expr if node.op == "and" else left.expr | right.expr
            if left.nullable or right.nullable:
                expr = expr.fill_null(False)
            return Compiled(expr, 1, "bool", history, nullable=False)
        if node.op in ("+", "-"):
            kind = self.same_numeric(node, left, right)
            den = lcm(left.den, right.den)
            a, b = _scaled(left, den), _scaled(right, den)
            bound = a.bound + b.bound
            (x, y), wide = _fit(bound, a, b)
            return Compiled(x + y if node.op == "+" else x - y, den, kind, history, bound, wide)
        if node.op == "*":
            self.require(node.left, left, NUMERIC)
            self.require(node.right, right, NUMERIC)
            if left.kind == right.kind == "money":
                raise self.error(node, "金额乘金额没有意义；金额应乘以比例，如 5%")
            kind = "money" if "money" in (left.kind, right.kind) else "number"
            bound = left.bound * right.bound
            (x, y), wide = _fit(bound, left, right)
            # 5% is 1/20: its numerator 1 needs no multiplication, only the denominator.
            product = x if _is_one(node.right) else y if _is_one(node.left) else x * y
            return Compiled(product, left.den * right.den, kind, history, bound, wide)
        if node.op == "/":
            self.require(node.left, left, NUMERIC)
            if not isinstance(node.right, Number) or node.right.money or node.right.value <= 0:
                raise self.error(node, "只能除以不带单位的正数，如 days / 365")
            value = node.right.value
            bound = left.bound * value.denominator
            (x,), wide = _fit(bound, left)
            # days / 365: the denominator grows, the numerator is not multiplied by 1.
            numerator = x if value.denominator == 1 else x * _lit(value.denominator)
            return Compiled(numerator, left.den * value.numerator, left.kind, history, bound, wide)
        return self.comparison(node, left, right, history)

    def same_numeric(self, node: Node, left: Compiled, right: Compiled) -> str:
        self.require(node.left, left, NUMERIC)
        self.require(node.right, right, NUMERIC)
        if left.kind != right.kind:
            raise self.error(node, f"{kinds_zh(left.kind)}不能与{kinds_zh(right.kind)}相加减；金额请写上单位（元、万、亿）")
        return left.kind

    def comparison(self, node: Binary, left: Compiled, right: Compiled, history: bool) -> Compiled:
        ops = {">=": "ge", "<=": "le", ">": "gt", "<": "lt", "==": "eq", "!=": "ne"}
        if left.kind in NUMERIC or right.kind in NUMERIC:
            zero = [isinstance(n, Number) and n.value == 0 for n in (node.left, node.right)]
            if left.kind != right.kind and not any(zero):
                raise self.error(node, f"{kinds_zh(left.kind)}不能与{kinds_zh(right.kind)}比较；金额请写上单位，如 200万")
            den = lcm(left.den, right.den)
            (a, b), _ = _fit(0, _scaled(left, den), _scaled(right, den))
        else:
            if left.kind != right.kind or node.op not in ("==", "!="):
                raise self.error(node, f"{kinds_zh(left.kind)}与{kinds_zh(right.kind)}不能用“{node.op}”比较")
            a, b = left.expr, right.expr
        return Compiled(getattr(a, ops[node.op])(b), 1, "bool", history)

    def call(self, node: Call) -> Compiled:
        f, args = node.function, node.args
        if f == "prev":
            if len(args) != 1 or not isinstance(args[0], Name):
                raise self.error(node, "prev 只接受一个变量，如 prev(rd_spend)")
            base = self.variable(args[0], args[0].name)
            column = pl.col(f"prev__{args[0].name}")
            return Compiled(column.cast(pl.Int64) if base.kind in NUMERIC else column, base.den, base.kind,
                            bound=base.bound)
        if f == "first_time":
            if len(args) != 1:
                raise self.error(node, "first_time 只接受一个条件，如 first_time(main_revenue >= 2000万)")
            cond = self.compile(args[0])
            self.require(args[0], cond, ("bool",))
            met = cond.expr.fill_null(False)
            # True in the first year the condition holds in the enterprise's whole history.
            # The facts table is sorted by enterprise and year, so a running count per enterprise
            # reaches 1 in the first year the condition holds. The count restarts where the
            # enterprise changes (a segmented running sum, cheaper than a window per group).
            count = met.cast(pl.Int32).cum_sum()
            start = pl.col("eid").ne_missing(pl.col("eid").shift(1))
            offset = pl.when(start).then(count - met.cast(pl.Int32)).forward_fill()
            first = met & (count - offset == 1)
            return Compiled(first, 1, "bool", history=True, nullable=False)
        if f in ("max", "min"):
            if len(args) < 2:
                raise self.error(node, f"{f} 需要两个或更多的值，如 {f}(a, 0元)")
            compiled = [self.compile(a) for a in args]
            kinds = {c.kind for c in compiled}
            if len(kinds) != 1 or not kinds <= set(NUMERIC):
                raise self.error(node, f"{f} 的各个值应为同一种（都是金额或都是数值）")
            den = lcm(*(c.den for c in compiled))
            scaled = [_scaled(c, den) for c in compiled]
            bound = max(c.bound for c in scaled)
            exprs, wide = _fit(bound, *scaled)
            horizontal = pl.max_horizontal if f == "max" else pl.min_horizontal
            return Compiled(horizontal(*exprs), den, kinds.pop(), any(c.history for c in compiled), bound, wide)
        if f == "present":
            if len(args) != 1 or not isinstance(args[0], Name):
                raise self.error(node, "present 只接受一个变量，如 present(assessed_award)")
            return Compiled(self.variable(args[0], args[0].name).expr.is_not_null(), 1, "bool", nullable=False)
        raise self.error(node, f"没有名为“{f}”的函数；可用的函数：prev、first_time、max、min、present")


def compile_expr(node: Node, variables: Mapping[str, Var]) -> Compiled:
    """Compile a parsed expression against the variables a rule may read."""
    return _Compiler(variables).compile(node)


def to_fen(value: Compiled) -> pl.Expr:
    """A money expression as whole fen (Int64), rounded half up."""
    if value.kind != "money":
        raise ExprError(f"金额应为钱数（带单位元、万、亿，或金额乘以比例），实际是{kinds_zh(value.kind)}")
    if value.den == 1:
        return value.expr.cast(pl.Int64) if value.wide else value.expr
    (n,), wide = _fit(2 * value.bound + value.den, value)
    # Half up for amounts ≥ 0 (awards are never negative): floor((2n + d) / 2d), which for
    # an even d is floor((n + d/2) / d), one operation fewer. An Int64 numerator stays Int64:
    # only an Int128 one (a loan's principal × rate × days) comes back with a cast.
    if value.den % 2 == 0:
        rounded = (n + _lit(value.den // 2)) // _lit(value.den)
    else:
        rounded = (n * 2 + _lit(value.den)) // _lit(2 * value.den)
    return rounded.cast(pl.Int64) if wide else rounded


def to_condition(value: Compiled) -> pl.Expr:
    """A condition as a boolean column where a missing figure means not met."""
    if value.kind != "bool":
        raise ExprError(f"条件应为是非判断（成立或不成立），实际是{kinds_zh(value.kind)}")
    return value.expr.fill_null(False) if value.nullable else value.expr
