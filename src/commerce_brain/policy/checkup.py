"""政策体检: one enterprise's awards for a year, each explained, and every rule it misses with why.

The calculator page, enterprise claims and ``policy explain`` all answer this one question with
this one function, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..catalog import Catalog
from .engine import evaluate_years
from .explain import explain_award, misses
from .model import PolicyCatalog
from .subjects import stable_subjects


@dataclass(frozen=True)
class Checkup:
    """What one enterprise gets in one award year, and what it misses."""

    uscc: str
    name: str
    year: int
    awards: list[dict]   # engine award columns + rule name, article, quote and the explanation
    missed: list[dict]   # rule, name_zh, article, reason, no_event

    @property
    def total_fen(self) -> int:
        """The sum of the awards, in fen."""
        return sum(a["amount_fen"] for a in self.awards)


def checkup(uscc: str, enterprises: pl.DataFrame, facts: pl.DataFrame | None, events: pl.DataFrame | None,
            year: int, *, policies: PolicyCatalog, catalog: Catalog) -> Checkup:
    """The 政策体检 of enterprise ``uscc`` in award ``year``.

    The frames may hold other enterprises too (only ``uscc``'s rows are evaluated). Raises
    KeyError when ``uscc`` is not among ``enterprises``, and the engine's PolicyYearError /
    PolicyDataError.
    """
    enterprises = enterprises.filter(pl.col("uscc") == uscc)
    if enterprises.is_empty():
        raise KeyError(uscc)
    facts = None if facts is None else facts.filter(pl.col("uscc") == uscc)
    # Named as a batch names them, so the calculator, a claim and the batch agree on subjects.
    events = None if events is None else stable_subjects(events.filter(pl.col("uscc") == uscc))
    result = evaluate_years(enterprises, facts, events, [year], policies=policies, catalog=catalog)
    awards = []
    for award in result.awards.filter(pl.col("amount_fen") > 0).iter_rows(named=True):
        rule = policies.rule(award["rule"])
        awards.append({**award, "name_zh": rule.name_zh, "article": rule.article_label, "quote": rule.quote,
                       "citation": policies.place(rule),
                       "explanation": explain_award(award, policies, catalog)})
    # One enterprise is numbered 0 by the engine, so its superseded rows are all of them.
    missed = misses(uscc, enterprises, facts, events, year, [a["rule"] for a in awards], result.superseded,
                    policies=policies, catalog=catalog)
    return Checkup(uscc=uscc, name=enterprises["name"][0], year=year, awards=awards, missed=missed)
