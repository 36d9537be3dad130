"""Whether the signed-in enterprise qualifies for the rules behind the library's articles:
符合 (with the amount), 差一点 (with what it lacks), 不符合 — from ``policy.matching.match`` over
its stored data, for the newest year it has figures for."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine

VERDICT_ZH = {"met": "符合", "near": "差一点", "not": "不符合"}


def enterprise_verdicts(engine: Engine, uscc: str, *, year: int | None = None) -> dict[str, dict]:
    """rule id → {"verdict", "verdict_zh", "amount_fen", "gaps", "year"} for one enterprise;
    empty when it has no stored data or the year is not a policy year (nothing to say then)."""
    from .fulfilment import rule_edits
    from .fulfilment.data import load_policy_data
    from .policy.engine import PolicyDataError, PolicyYearError, packaged
    from .policy.matching import match

    data = load_policy_data(engine, uscc=uscc)
    if data.enterprises.is_empty():
        return {}
    if year is None:
        if data.facts.is_empty():
            return {}
        year = int(data.facts["year"].max())
    try:
        frame = match(rule_edits.effective_policies(engine), data, year=year, catalog=packaged()[1])
    except (PolicyYearError, PolicyDataError):
        return {}
    frame = frame.filter(pl.col("uscc") == uscc).with_columns(
        pl.when(pl.col("met")).then(pl.lit("met")).when(pl.col("near")).then(pl.lit("near"))
        .otherwise(pl.lit("not")).alias("verdict"))
    return {row["rule_id"]: {"verdict": row["verdict"], "verdict_zh": VERDICT_ZH[row["verdict"]],
                             "amount_fen": row["amount_fen"], "gaps": list(row["gaps"] or []), "year": year}
            for row in frame.select("rule_id", "verdict", "amount_fen", "gaps").to_dicts()}
