"""What an enterprise still lacks for a rule: a condition's tree turned into columns over a
whole table at once — met or not, how far short (a ratio), and the sentences saying so.

Each atom of the condition becomes three Polars expressions (``Gap``): ``met``; ``short``, the
fraction of the threshold still missing (0 when met, +inf when the atom is not a threshold —
a level, a yes/no fact, a missing figure — so it can never be a near miss); and ``gaps``, a list
of Chinese sentences, empty when met. ``and`` needs every part (the farthest part decides),
``or`` needs one branch (the closest branch decides and speaks), ``not`` is pushed down to the
atoms (De Morgan; ``not rd_spend >= x`` is ``rd_spend < x``). The figures are exact: integer
numerators over the compiler's denominators, shown in 万元/元 without floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import inf, lcm

import polars as pl

from .explain import in_words
from .expr_compile import NUMERIC, Compiled, Var, _scaled, compile_expr, to_condition
from .expr_parse import Binary, Bool, Call, In, Name, Node, Number, Unary
from .fact_registry import fact
from .model import PolicyCatalog

GAPS = pl.List(pl.String)
NO_GAPS = pl.lit([], dtype=GAPS)
FLIPPED = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==", "!=": "!="}
NEGATED = {">=": "<", "<": ">=", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}
FEN_PER_WAN = 1_000_000  # 1 万元 in fen


@dataclass(frozen=True)
class Gap:
    """A condition over a table: met, the fraction short (0 met, inf not a threshold), sentences."""

    met: pl.Expr
    short: pl.Expr
    gaps: pl.Expr


def _gap(met: pl.Expr, short: pl.Expr, sentence: pl.Expr) -> Gap:
    met = met.fill_null(False)
    return Gap(met, pl.when(met).then(0.0).otherwise(short.fill_null(inf)),
               pl.when(met).then(NO_GAPS).otherwise(pl.concat_list(sentence)))


def money_text(fen: pl.Expr) -> pl.Expr:
    """Whole fen as people read it: 188500000 → “188.5 万元”, 12345 → “123.45 元”; exact
    (integer division and digits, no float)."""
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    size = fen.abs()
    # 万元 to the 元, rounded half up, so a figure, its threshold and the gap add up as shown.
    wan = pl.format("{}{} 万元", sign, _decimal((size + 50) // 100, FEN_PER_WAN // 100, 4))
    yuan = pl.format("{}{} 元", sign, _decimal(size, 100, 2))
    return pl.when(size >= FEN_PER_WAN).then(wan).otherwise(yuan)


def number_text(num: pl.Expr, den: int, *, percent: bool = False) -> pl.Expr:
    """num/den rounded half up to two places, or to a decimal fact's own (1235/1000 t →
    “1.235”); a rate in % when ``percent``. Exact: integers only."""
    places = len(str(den)) - 1 if not percent and den > 100 and str(den).strip("0") == "1" else 2
    unit = 10 ** places
    scale = unit * (100 if percent else 1)
    scaled = (num.cast(pl.Int128) * scale * 2 + den) // (2 * den)
    sign = pl.when(scaled < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.format("{}{}{}", sign, _decimal(scaled.abs(), unit, places), pl.lit("%" if percent else ""))


def _decimal(value: pl.Expr, unit: int, places: int) -> pl.Expr:
    """value/unit with ``places`` digits, trailing zeros (and a bare point) dropped."""
    whole = (value // unit).cast(pl.String)
    digits = ((value % unit) // (unit // 10 ** places)).cast(pl.String).str.zfill(places).str.strip_chars_end("0")
    return pl.when(digits == "").then(whole).otherwise(pl.format("{}.{}", whole, digits))


class GapCompiler:
    """Turns a rule's condition into a ``Gap`` over the table the rule is evaluated on."""

    def __init__(self, variables: dict[str, Var], policies: PolicyCatalog, facts: set[str]) -> None:
        self.variables = variables
        self.policies = policies
        self.facts = facts  # yearly facts: their sentences say 年度…
        # Columns needing the enterprise's whole history (first_time), computed before the table
        # is cut to the award year; the Gap reads them by name.
        self.history: dict[str, pl.Expr] = {}

    def gap(self, node: Node, *, negated: bool = False) -> Gap:
        """The Gap of ``node`` (of ``not node`` when ``negated``)."""
        if isinstance(node, Unary) and node.op == "not":
            return self.gap(node.operand, negated=not negated)
        if isinstance(node, Binary) and node.op in ("and", "or"):
            both = node.op == "and"
            if negated:  # De Morgan: not (a and b) = not a or not b
                both = not both
            left, right = self.gap(node.left, negated=negated), self.gap(node.right, negated=negated)
            return _both(left, right) if both else _either(left, right)
        if isinstance(node, Binary) and node.op in FLIPPED:
            return self.comparison(node, negated)
        if isinstance(node, Name) and self.variables.get(node.name) and self.variables[node.name].kind == "bool":
            met = pl.col(node.name).fill_null(False)
            want = "需不是" if negated else "需为"
            return _gap(~met if negated else met, pl.lit(inf), pl.lit(want + self.variables[node.name].name_zh))
        if isinstance(node, In):
            return self.choice(node, negated)
        if isinstance(node, Call) and node.function == "first_time" and not negated:
            return self.first_time(node)
        return self.opaque(node, negated)

    def label(self, node: Node) -> str:
        """年度研发投入 for a yearly fact, 上年研发投入 for prev(), the formula in words otherwise."""
        if isinstance(node, Name) and node.name in self.variables:
            var = self.variables[node.name]
            return ("年度" if node.name in self.facts else "") + var.name_zh
        if isinstance(node, Call) and node.function == "prev" and node.args and isinstance(node.args[0], Name):
            return self.policies.label(f"prev__{node.args[0].name}")
        return in_words(node.text, self.policies)

    def opaque(self, node: Node, negated: bool) -> Gap:
        """A condition stated in words only (present(), a negated first_time): not a threshold."""
        met = to_condition(compile_expr(node, self.variables))
        words = in_words(node.text, self.policies)
        return _gap(~met if negated else met, pl.lit(inf), pl.lit(f"需{'不' if negated else ''}满足“{words}”"))

    def first_time(self, node: Call) -> Gap:
        """first_time(c): short of c as c is; or c already held in an earlier year (no near miss)."""
        inner = self.gap(node.args[0])
        key = f"_first_time_{len(self.history)}"
        self.history[key] = to_condition(compile_expr(node, self.variables))
        self.history[key + "_held"] = inner.met
        met, held = pl.col(key), pl.col(key + "_held")
        earlier = pl.lit(f"往年已达到“{in_words(node.args[0].text, self.policies)}”，本条仅奖励首次达到")
        return Gap(met, pl.when(met).then(0.0).when(held).then(inf).otherwise(inner.short),
                   pl.when(met).then(NO_GAPS).when(held).then(pl.concat_list(earlier)).otherwise(inner.gaps))

    def choice(self, node: In, negated: bool) -> Gap:
        """level in ("national", "provincial") → 级别须为国家级或省级."""
        met = compile_expr(node, self.variables).expr.fill_null(False)
        names = self.policies.names.choices
        shown = "或".join(names.get(o, o) for o in node.options)
        return _gap(~met if negated else met, pl.lit(inf),
                    pl.lit(f"{self.label(node.operand)}须{'不' if negated else ''}为{shown}"))

    def comparison(self, node: Binary, negated: bool) -> Gap:
        op = NEGATED[node.op] if negated else node.op
        left, right = node.left, node.right
        if isinstance(left, Number) and not isinstance(right, Number):  # 200万 <= x reads x >= 200万
            left, right, op = right, left, FLIPPED[op]
        a, b = compile_expr(left, self.variables), compile_expr(right, self.variables)
        met = to_condition(compile_expr(Binary(node.text, op, left, right), self.variables))
        if a.kind not in NUMERIC and b.kind not in NUMERIC:
            shown = self.policies.names.choices.get(_literal(right), _literal(right))
            verb = "须为" if op == "==" else "须不为"
            return _gap(met, pl.lit(inf), pl.lit(f"{self.label(left)}{verb}{shown}"))
        return self.threshold(op, left, right, a, b, met)

    def threshold(self, op: str, left: Node, right: Node, a: Compiled, b: Compiled, met: pl.Expr) -> Gap:
        """A numeric comparison: the figure, the threshold and the difference, in its unit."""
        den = lcm(a.den, b.den)
        x = _scaled(a, den).expr.cast(pl.Int128)
        y = _scaled(b, den).expr.cast(pl.Int128)
        money = "money" in (a.kind, b.kind)
        # The threshold rounded the way that still holds it: up for a floor, down for a ceiling.
        if money:
            shown_x = money_text(((x * 2 + den) // (2 * den)).cast(pl.Int64))
            needed = (y + den - 1) // den if op in (">=", ">") else y // den
            shown_y = money_text(needed.cast(pl.Int64))
            diff = (needed - (x * 2 + den) // (2 * den)).abs()
            shown_gap = money_text(diff.cast(pl.Int64))
        else:
            # A registry fact's unit (亩, 人, 吨标准煤) goes with the figure and the threshold alike.
            unit = self.unit(left) or self.unit(right)
            shown_x = number_text(x, den, percent=self.percent(left)) + unit
            shown_y = number_text(y, den, percent=self.percent(right)) + unit
            shown_gap = number_text((y - x).abs(), den, percent=self.percent(left) and self.percent(right)) + unit
        short = ((y - x).abs().cast(pl.Float64) / y.abs().cast(pl.Float64))
        short = pl.when(y != 0).then(short).otherwise(inf) if op not in ("!=",) else pl.lit(inf)
        what = self.label(left)
        target = (" {}门槛" if isinstance(right, Number) else f"{self.label(right)}（{{}}）")
        limit = (" {}上限" if isinstance(right, Number) else f"{self.label(right)}（{{}}）")
        if op in (">=", ">"):
            sentence = pl.format(f"{what} {{}}，距{target}还差 {{}}", shown_x, shown_y, shown_gap)
        elif op in ("<=", "<"):
            sentence = pl.format(f"{what} {{}}，超过{limit} {{}}", shown_x, shown_y, shown_gap)
        elif op == "==":
            sentence = pl.format(f"{what} {{}}，须等于 {{}}", shown_x, shown_y)
        else:
            sentence = pl.format(f"{what} {{}}，须不等于 {{}}", shown_x, shown_y)
        sentence = pl.when(a.expr.is_null()).then(self.absent(left)).when(b.expr.is_null()) \
            .then(self.absent(right)).otherwise(sentence)
        short = pl.when(a.expr.is_null() | b.expr.is_null()).then(inf).otherwise(short)
        return _gap(met, short, sentence)

    def absent(self, node: Node) -> pl.Expr:
        """缺少年度研发投入数据: a figure the comparison needs is not there."""
        return pl.lit(f"缺少{self.label(node)}数据")

    def unit(self, node: Node) -> str:
        """“ 亩” for a yearly fact (or last year's) the registry gives a unit; “” otherwise."""
        if isinstance(node, Call) and node.function == "prev" and node.args:
            node = node.args[0]
        if not isinstance(node, Name) or node.name not in self.facts:
            return ""
        try:
            found = fact(node.name)
        except KeyError:
            return ""
        return f" {found.unit}" if found.unit and found.kind in ("number", "decimal") else ""

    def percent(self, node: Node) -> bool:
        """A rate: shown in %."""
        if isinstance(node, Number):
            return node.text.endswith(("%", "‰"))
        return isinstance(node, Name) and node.name in self.variables and self.variables[node.name].kind == "ppm"


def _literal(node: Node) -> str:
    if isinstance(node, Bool):
        return "是" if node.value else "否"
    return getattr(node, "value", node.text)


def _both(left: Gap, right: Gap) -> Gap:
    """and: met when both are; as far short as the farther part; every failing part speaks."""
    return Gap(left.met & right.met, pl.max_horizontal(left.short, right.short),
               left.gaps.list.concat(right.gaps))


def _either(left: Gap, right: Gap) -> Gap:
    """or: met when one is; as short as the closer branch, which alone speaks."""
    met = left.met | right.met
    closer = left.short <= right.short
    return Gap(met, pl.when(met).then(0.0).otherwise(pl.min_horizontal(left.short, right.short)),
               pl.when(met).then(NO_GAPS).when(closer).then(left.gaps).otherwise(right.gaps))
