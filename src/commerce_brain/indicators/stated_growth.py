"""Read a stated growth exactly as a plan prints it: "6", ">7.5", "[1.5]", "翻一番", "15左右"…"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")
_DOUBLINGS = {"翻一番": 2.0, "翻两番": 4.0, "翻番": 2.0}


@dataclass(frozen=True)
class StatedGrowth:
    """A parsed stated growth.

    ``kind`` is ``rate`` (percent a year), ``points`` (a rise in the indicator's own unit),
    ``bracket`` (a five-year figure printed in brackets), ``multiple`` (翻一番: target = base ×
    value) or ``none`` (printed as a dash). ``comparator`` is ``=``, ``~`` (左右), ``>``, ``>=``,
    ``<`` or ``<=``. ``decimals`` is the printed precision, so checks can allow half a unit of
    the last digit.
    """

    text: str
    kind: str
    value: float | None
    comparator: str
    decimals: int

    @property
    def half_unit(self) -> float:
        """Half a unit of the last printed digit: the rounding a printed figure allows."""
        return 0.5 * 10 ** (-self.decimals)


def parse_stated_growth(text: str | None) -> StatedGrowth | None:
    """Parse a stated growth string; None when nothing is printed.

    >>> parse_stated_growth(">7.5")
    StatedGrowth(text='>7.5', kind='rate', value=7.5, comparator='>', decimals=1)
    >>> parse_stated_growth("[1.5]").kind
    'bracket'
    >>> parse_stated_growth("翻一番").value
    2.0
    >>> parse_stated_growth("比重提升2.1%").kind
    'points'
    """
    if text is None:
        return None
    clean = text.strip().replace(" ", "")
    if clean in ("", "-", "—", "－", "/"):
        return StatedGrowth(text, "none", None, "=", 0)
    for word, multiple in _DOUBLINGS.items():
        if word in clean:
            return StatedGrowth(text, "multiple", multiple, ">=", 0)
    match = _NUMBER.search(clean)
    if match is None:
        raise ValueError(f"stated growth {text!r} has no number in it")
    value = float(match.group(0))
    decimals = len(match.group(1) or "")
    if clean.startswith(("[", "〔", "［")):
        kind = "bracket"
    elif "提升" in clean or "提高" in clean or "百分点" in clean:
        kind = "points"
    else:
        kind = "rate"
    return StatedGrowth(text, kind, value, _comparator(clean), decimals)


def _comparator(clean: str) -> str:
    if clean.startswith(">=") or clean.startswith("≥") or "以上" in clean or "不低于" in clean:
        return ">="
    if clean.startswith(">") or "高于" in clean or "超过" in clean:
        return ">"
    if clean.startswith("<=") or clean.startswith("≤") or "以下" in clean or "不超过" in clean:
        return "<="
    if clean.startswith("<") or "低于" in clean:
        return "<"
    if "左右" in clean or "约" in clean:
        return "~"
    return "="


def stated_rate(text: str | None) -> float | None:
    """The stated annual rate as a fraction (">7.5" → 0.075), or None if it is not a rate."""
    parsed = parse_stated_growth(text)
    if parsed is None or parsed.kind != "rate" or parsed.value is None:
        return None
    return parsed.value / 100
