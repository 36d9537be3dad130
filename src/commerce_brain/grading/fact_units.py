"""How the grading reads a stored yearly fact: money in fen, decimals as integers × 10^scale.

The yearly-facts registry (``policy/fact_registry.py``, ``variables.yaml`` ``facts:``) is the
authority; until every fact the grading reads is in it, the registry's published kinds and
scales (issue 12's shared spec) stand in."""

from __future__ import annotations

from functools import cache

# The spec's kinds for the facts the grading divides by; the registry overrides them when present.
_SPEC_MONEY = frozenset({"main_revenue", "rd_spend", "tax_paid", "value_added"})
_SPEC_SCALES = {"land_area_mu": 2, "energy_tce": 2, "emissions_t": 3}


@cache
def _registry() -> dict:
    try:
        from ..policy.fact_registry import FACTS  # type: ignore[import-not-found]
    except ImportError:
        return {}
    return {fact.name: fact for fact in FACTS}


def is_money(name: str) -> bool:
    """Whether the fact is money (stored in fen)."""
    fact = _registry().get(name)
    return fact.kind == "money" if fact is not None else name in _SPEC_MONEY


def decimal_scale(name: str) -> int:
    """The power of ten a stored decimal fact is multiplied by (0 for integers)."""
    fact = _registry().get(name)
    if fact is not None:
        return int(fact.scale or 0) if fact.kind == "decimal" else 0
    return _SPEC_SCALES.get(name, 0)
