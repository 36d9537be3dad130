"""Parse the rule language: a small, safe expression syntax for conditions and amounts.

Examples: ``rd_spend >= 200万 and rd_spend >= main_revenue * 3%``,
``rd_spend * 5% + max(rd_spend - prev(rd_spend), 0元) * 5%``, ``level in ("national", "provincial")``.

Numbers are exact (fractions, never floats). A number may carry a unit: 元, 万 (10⁴ 元) or
亿 (10⁸ 元) make it money; % and ‰ make it a rate. The text is parsed into a tree here and
compiled to Polars expressions in ``expr_compile``; nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MONEY_UNITS = {"元": Fraction(1), "万": Fraction(10_000), "亿": Fraction(100_000_000)}
RATE_UNITS = {"%": Fraction(1, 100), "‰": Fraction(1, 1000)}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)(?P<unit>万元|亿元|元|万|亿|%|‰)?"
    r"|(?P<string>\"[^\"]*\"|'[^']*')"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>>=|<=|==|!=|[-+*/(),<>]))"
)
KEYWORDS = {"and", "or", "not", "in", "true", "false"}


class ExprError(ValueError):
    """A rule expression is malformed; the message shows where and gives a valid example."""


@dataclass(frozen=True)
class Node:
    """A parsed expression; ``text`` is the source it was parsed from (for explanations)."""

    text: str


@dataclass(frozen=True)
class Number(Node):
    value: Fraction
    money: bool


@dataclass(frozen=True)
class Text(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    operand: Node
    options: tuple[str, ...]


@dataclass(frozen=True)
class _Token:
    kind: str
    value: str
    unit: str | None
    start: int
    end: int


def _tokens(source: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise ExprError(_where(source, pos, f"无法识别的字符“{source[pos:].strip()[:1]}”"))
        start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
        kind = next(k for k in ("number", "string", "name", "op") if match.group(k) is not None)
        value = match.group(kind)
        if kind == "name" and value in KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, value, match.group("unit"), start, match.end()))
        pos = match.end()
    return tokens


def _where(source: str, pos: int, message: str) -> str:
    return (f"{message}（第 {pos + 1} 个字符处）：\n  {source}\n  {' ' * pos}^\n"
            "  正确写法示例：rd_spend >= 200万 and rd_spend >= main_revenue * 3%")


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.i = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise ExprError(f"表达式为空：“{self.source}”")
        node = self.or_expr()
        if self.i < len(self.tokens):
            raise ExprError(_where(self.source, self.tokens[self.i].start,
                                   f"多出了“{self.tokens[self.i].value}”"))
        return node

    def peek(self, *values: str) -> bool:
        return self.i < len(self.tokens) and self.tokens[self.i].value in values and \
            self.tokens[self.i].kind in ("op", "keyword")

    def take(self) -> _Token:
        if self.i >= len(self.tokens):
            raise ExprError(_where(self.source, len(self.source), "表达式不完整，后面缺少内容"))
        self.i += 1
        return self.tokens[self.i - 1]

    def expect(self, value: str) -> _Token:
        token = self.take()
        if token.value != value:
            raise ExprError(_where(self.source, token.start, f"此处应为“{value}”，实际是“{token.value}”"))
        return token

    def span(self, start: int) -> str:
        return self.source[start:self.tokens[self.i - 1].end].strip()

    def binary_chain(self, ops: tuple[str, ...], lower) -> Node:
        start = self.tokens[self.i].start if self.i < len(self.tokens) else len(self.source)
        node = lower()
        while self.peek(*ops):
            op = self.take().value
            right = lower()
            node = Binary(self.span(start), op, node, right)
        return node

    def or_expr(self) -> Node:
        return self.binary_chain(("or",), self.and_expr)

    def and_expr(self) -> Node:
        return self.binary_chain(("and",), self.not_expr)

    def not_expr(self) -> Node:
        if self.peek("not"):
            start = self.take().start
            operand = self.not_expr()
            return Unary(self.span(start), "not", operand)
        return self.comparison()

    def comparison(self) -> Node:
        start = self.tokens[self.i].start if self.i < len(self.tokens) else len(self.source)
        left = self.sum()
        if self.peek(">=", "<=", ">", "<", "==", "!="):
            op = self.take().value
            right = self.sum()
            return Binary(self.span(start), op, left, right)
        if self.peek("in"):
            self.take()
            self.expect("(")
            options = [self.string_literal()]
            while self.peek(","):
                self.take()
                options.append(self.string_literal())
            self.expect(")")
            return In(self.span(start), left, tuple(options))
        return left

    def string_literal(self) -> str:
        token = self.take()
        if token.kind != "string":
            raise ExprError(_where(self.source, token.start, "in (...) 的括号里应是带引号的词，如 (\"national\", \"provincial\")"))
        return token.value[1:-1]

    def sum(self) -> Node:
        return self.binary_chain(("+", "-"), self.term)

    def term(self) -> Node:
        return self.binary_chain(("*", "/"), self.unary)

    def unary(self) -> Node:
        if self.peek("-"):
            start = self.take().start
            operand = self.unary()
            return Unary(self.span(start), "-", operand)
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            value = Fraction(token.value)
            unit = (token.unit or "").removesuffix("元") or ("元" if token.unit else "")
            if unit in MONEY_UNITS:
                return Number(self.span(token.start), value * MONEY_UNITS[unit], money=True)
            if unit in RATE_UNITS:
                return Number(self.span(token.start), value * RATE_UNITS[unit], money=False)
            return Number(self.span(token.start), value, money=False)
        if token.kind == "string":
            return Text(token.value, token.value[1:-1])
        if token.kind == "keyword" and token.value in ("true", "false"):
            return Bool(token.value, token.value == "true")
        if token.kind == "name":
            if self.peek("("):
                self.take()
                args = [] if self.peek(")") else [self.or_expr()]
                while self.peek(","):
                    self.take()
                    args.append(self.or_expr())
                self.expect(")")
                return Call(self.span(token.start), token.value, tuple(args))
            return Name(token.value, token.value)
        if token.value == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        raise ExprError(_where(self.source, token.start, f"此处不应出现“{token.value}”"))


def parse(source: str) -> Node:
    """Parse rule-language text into a tree; ExprError says where it went wrong.

    >>> parse("rd_spend >= 200万").right.value
    Fraction(2000000, 1)
    """
    return _Parser(str(source)).parse()


def conjuncts(node: Node) -> list[Node]:
    """The top-level ``and`` clauses of a condition, so an explanation can name the one that failed."""
    if isinstance(node, Binary) and node.op == "and":
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def names(node: Node) -> list[str]:
    """Every variable a tree reads, in order of first appearance (prev(x) reads prev__x)."""
    found: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Name) and n.name not in found:
            found.append(n.name)
        elif isinstance(n, Call):
            if n.function == "prev" and n.args and isinstance(n.args[0], Name):
                key = f"prev__{n.args[0].name}"
                if key not in found:
                    found.append(key)
                return
            for a in n.args:
                walk(a)
        elif isinstance(n, Unary):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, In):
            walk(n.operand)

    walk(node)
    return found
