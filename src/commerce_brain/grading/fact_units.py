"""How the grading reads a stored yearly fact: the yearly-facts registry (``policy/fact_registry.py``,
``variables.yaml`` ``facts:``) says money is integer fen and a decimal an integer × 10^scale."""

from __future__ import annotations

from ..policy.fact_registry import fact


def is_money(name: str) -> bool:
    """Whether the registry fact ``name`` is money (stored in fen); KeyError for an unknown fact."""
    return fact(name).kind == "money"


def decimal_scale(name: str) -> int:
    """The power of ten the registry fact ``name`` is stored multiplied by (0 but for decimals)."""
    registered = fact(name)
    return registered.scale if registered.kind == "decimal" else 0
