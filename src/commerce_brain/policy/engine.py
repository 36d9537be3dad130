"""The policy engine: every rule over every enterprise at once, arbitrated and attributed.

``evaluate(enterprises, facts, events, year)`` returns one row per enterprise × rule ×
subject × payee with the amount in fen, the paying treasury and the figures it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import polars as pl

from ..catalog import Catalog
from .arbitration import arbitrate
from .catalog import readable
from .context import (
    FACT_VARIABLES,
    enterprise_rows,
    events_context,
    facts_context,
    keyed,
    numbered,
    sorted_by_enterprise_year,
)
from .expr_compile import BOUNDS
from .expr_parse import names
from .frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from .model import PolicyCatalog
from .payer import SETTLES_WITH_CITY, payer_expr
from .rule_eval import CANDIDATE_SCHEMA, evaluate_rule, figures_used

AWARD_COLUMNS = [
    "uscc", "name", "org_unit", "year", "policy", "rule", "subject", "payee", "tranche",
    "amount_fen", "computed_fen", "cap_fen", "already_paid_fen", "payer", "settle_with_city",
    "needs_review", "figures",
]


# Enterprise-years evaluated at once: large enough that the per-batch cost of planning the
# rules' queries is small (~2%), small enough that a batch's working tables stay ~0.3 GB.
BATCH_ROWS = 2_000_000
FACT_NAMES = {*FACT_VARIABLES, *(f"prev__{v}" for v in FACT_VARIABLES)}


class PolicyDataError(ValueError):
    """Input figures the engine cannot compute with (beyond the magnitudes rules are sized for)."""


class PolicyYearError(ValueError):
    """An award year the policy does not govern (e.g. 2018, under 衢政发〔2017〕46号)."""


@dataclass(frozen=True)
class Result:
    """Awards to pay, and candidates that gave way to a higher award for the same subject."""

    awards: pl.DataFrame
    superseded: pl.DataFrame


@cache
def packaged() -> tuple[PolicyCatalog, Catalog]:
    """The policy catalog and org units shipped with the package, loaded once."""
    from ..catalog import load_catalog
    from .catalog import load_policy_catalog

    return load_policy_catalog(), load_catalog()


def evaluate(enterprises: pl.DataFrame, facts: pl.DataFrame | None, events: pl.DataFrame | None,
             year: int, *, policies: PolicyCatalog | None = None, catalog: Catalog | None = None) -> pl.DataFrame:
    """The awards for award year ``year`` (see ``evaluate_years``); the packaged catalogs by default."""
    return evaluate_years(enterprises, facts, events, [year], policies=policies, catalog=catalog).awards


def evaluate_years(enterprises: pl.DataFrame, facts: pl.DataFrame | None, events: pl.DataFrame | None,
                   years: Sequence[int], *, policies: PolicyCatalog | None = None,
                   catalog: Catalog | None = None, keep_eid: bool = False,
                   batch_rows: int = BATCH_ROWS) -> Result:
    """Evaluate every rule of every policy for the award ``years`` in one pass per rule.

    Facts carry the enterprise's history (earlier years feed prev() and first_time());
    events count in the year of their date. Enterprises may carry a global integer key
    ``eid`` (else they are numbered by row), and facts and events may be keyed by it instead
    of ``uscc``; events may carry their ``deal`` number (else their row). ``keep_eid`` puts
    the enterprise's ``eid`` first in the awards. Enterprises are evaluated ``batch_rows``
    enterprise-years at a time (whole enterprises; the awards do not depend on it).
    """
    if policies is None or catalog is None:
        default_policies, default_catalog = packaged()
        policies, catalog = policies or default_policies, catalog or default_catalog
    _check_years(policies, years)
    needed = columns_read(policies)
    attributes = [c for c in needed["enterprises"] if c not in ("eid", "uscc", "name")]
    own_keys = "eid" in enterprises.columns
    enterprises = numbered(conform(enterprises, _keyed_schema(enterprises, ENTERPRISE_SCHEMA, needed["enterprises"])))
    if own_keys and enterprises["eid"].n_unique() != enterprises.height:
        # Two enterprises under one key would each take the other's facts, events and awards.
        raise PolicyDataError("企业内部编号重复：每家企业的编号必须唯一")
    read = variables_read(policies)
    # Only the columns some rule reads are carried (the registry has many more facts, each a
    # column every join and sort would move), and prev__x only for those read the year before of.
    facts = conform(facts, _keyed_schema(facts, FACT_SCHEMA, needed["facts"]))
    events = conform(events, _keyed_schema(events, EVENT_SCHEMA, needed["events"]))
    _check_bounds(policies, facts, events)
    prev = {n.removeprefix("prev__") for n in read if n.startswith("prev__")}
    # What the contexts copy onto every row: the attributes rules read, text as categories
    # (4 bytes a row, not a string each); names and codes join only the awards, at the end.
    # In one chunk (a Parquet file gives one per row group): the contexts gather from it by
    # row, and Polars gathers from a chunked column many times slower. The codes only when
    # facts or events come keyed by them.
    by_code = ["uscc"] if any(frame is None or "eid" not in frame.columns for frame in (facts, events)) else []
    carried = enterprises.select("eid", *by_code, *(pl.col(a).cast(pl.Categorical) if enterprises.schema[a] == pl.String
                                                    else pl.col(a) for a in attributes)).rechunk()
    # Keyed by eid once (unknown enterprises left out), each event with its deal number: its
    # row in the input unless it brings one.
    events = keyed(events if "deal" in events.columns else events.with_row_index("deal"), carried)
    facts = keyed(facts, carried)
    if not sorted_by_enterprise_year(facts):
        facts = facts.sort(["eid", "year"])
    # Event rules rarely read the enterprise's yearly figures; join them only if one does.
    event_rules = [r for p in policies.policies for r in p.rules if "facts" not in r.on]
    reads_facts = any(set(figures_used(r)) & FACT_NAMES for r in event_rules)
    payers = [(p.id, p.city_level) for p in policies.policies]
    pieces, superseded = [], []
    # Awards never cross enterprises and arbitration is per enterprise and subject, so whole
    # enterprises are evaluated a batch at a time: the working tables of one batch, not of the
    # city, are alive at once, and the awards are the same.
    for (low, high), rows in enterprise_batches(facts["eid"], batch_rows):
        mine = pl.col("eid").is_between(low, high, closed="left") if high is not None else pl.col("eid") >= low
        # The facts are sorted by eid: a batch's are a slice of them, not a copy.
        awards, gave_way = _evaluate_batch(policies, catalog, carried, facts.slice(*rows), events.filter(mine),
                                           years, prev, reads_facts)
        pieces.append(_attribute(*awards, enterprises, payers))
        superseded.append(gave_way)
        del awards
    awards = in_year_order(pieces)
    return Result(awards=awards if keep_eid else awards.drop("eid"), superseded=pl.concat(superseded))


def _evaluate_batch(policies: PolicyCatalog, catalog: Catalog, carried: pl.DataFrame, facts: pl.DataFrame,
                    events: pl.DataFrame, years: Sequence[int], prev: set[str], reads_facts: bool
                    ) -> tuple[tuple[pl.DataFrame, pl.Series], pl.DataFrame]:
    """Every rule over one batch of enterprises, arbitrated: ((candidates with their amounts,
    rows paid), superseded)."""
    facts_ctx = facts_context(carried, facts, prev)
    events_ctx = events_context(carried, facts_ctx, events, years, with_facts=reads_facts)
    queries = _rule_queries(policies, catalog, facts_ctx, events_ctx, years)
    # One collect for all rules, so Polars runs their queries in parallel.
    stacked = pl.concat(pl.collect_all(queries)) if queries else pl.DataFrame(schema=CANDIDATE_SCHEMA)
    # The contexts are done with: release them (every query holds them too) before arbitrating.
    del facts_ctx, events_ctx, queries
    amounts, paid, superseded = arbitrate(stacked)
    return (amounts, paid), superseded


def enterprise_batches(eids: pl.Series, batch_rows: int) -> list[tuple[tuple[int, int | None], tuple[int, int]]]:
    """Consecutive eid ranges [low, high) — the last one open — holding about ``batch_rows``
    rows each of ``eids`` (sorted), never splitting one enterprise's rows; together they cover
    every eid. Each with its rows of ``eids`` as (offset, length)."""
    starts = [0]
    for at in range(batch_rows, len(eids), batch_rows):  # one step per batch, not per row
        start = eids.search_sorted(eids[at], side="left")
        if start > starts[-1]:
            starts.append(start)
    lows = [0, *(int(eids[s]) for s in starts[1:])]
    ends = [*starts[1:], len(eids)]
    return [((low, high), (start, end - start))
            for low, high, start, end in zip(lows, [*lows[1:], None], starts, ends, strict=True)]


def in_year_order(pieces: list[pl.DataFrame]) -> pl.DataFrame:
    """Batches' awards (each sorted by year, eid, …; batches in eid order) in the order of one
    pass: year by year, each year's slices of the batches in turn — no row is copied."""
    if len(pieces) == 1:
        return pieces[0]
    years = sorted(set().union(*(p["year"].unique().to_list() for p in pieces)))
    slices = []
    for year in years:
        for piece in pieces:
            start = piece["year"].search_sorted(year, side="left")
            slices.append(piece.slice(start, piece["year"].search_sorted(year, side="right") - start))
    return pl.concat(slices)


def _rule_queries(policies: PolicyCatalog, catalog: Catalog, facts_ctx: pl.DataFrame, events_ctx: pl.DataFrame,
                  years: Sequence[int]) -> list[pl.LazyFrame]:
    """Every rule's candidates as a lazy query over its context: the facts, or the events of
    the kinds it is triggered by (rules whose kinds did not occur have none)."""
    by_kind = {k: v.lazy() for k, v in events_ctx.partition_by("kind", as_dict=True).items()} if events_ctx.height else {}
    facts_lazy = facts_ctx.lazy()
    queries = []
    for policy in policies.policies:
        in_region = pl.col("org_unit").is_in(sorted(catalog.subtree(policy.region)))
        for rule in policy.rules:
            variables = readable(policies.variables, rule.on)
            if "facts" in rule.on:
                table = facts_lazy
            else:
                parts = [by_kind[(k,)] for k in rule.on if (k,) in by_kind]
                if not parts:
                    continue
                table = pl.concat(parts)
            queries.append(evaluate_rule(policy, rule, variables, table, in_region, years))
    return queries


def variables_read(policies: PolicyCatalog) -> set[str]:
    """Every variable some rule of ``policies`` reads (prev(x) as prev__x): the facts worth
    loading and carrying."""
    return {n for p in policies.policies for r in p.rules for n in figures_used(r)}


def columns_read(policies: PolicyCatalog) -> dict[str, list[str]]:
    """The input columns the engine needs of "enterprises", "facts" and "events" to evaluate
    ``policies``: the keys (eid, uscc for the enterprises; eid for facts and events: read
    the others keyed by it), year, org_unit, the attributes, facts and event fields rules and
    exclusions read, and names for the awards. A reader (Parquet partitions, the benches)
    projects to these: a lean input is part of the design, each column left out is one the
    engine never moves."""
    read = variables_read(policies) | {n for p in policies.policies if p.excluded is not None
                                       for n in names(p.excluded)}
    attributes = [a for a in policies.variables["enterprise"] if a in read and a != "org_unit"]
    facts = [v for v in FACT_VARIABLES if v in read or f"prev__{v}" in read]
    fields = [f for f in EVENT_SCHEMA if f in read and f not in ("uscc", "year", "kind", "subject", "already_paid")]
    return {
        "enterprises": ["eid", "uscc", "name", "org_unit", *attributes],
        "facts": ["eid", "year", *facts],
        # kind picks the rules, subject and deal name what is awarded, already_paid is 补差's.
        "events": ["eid", "deal", "year", "kind", "subject", "already_paid", *fields],
    }


def _keyed_schema(frame: pl.DataFrame | None, schema: dict, columns: Sequence[str] | None = None) -> dict:
    """``schema`` narrowed to ``columns`` (all when None), keyed as ``frame`` is: by ``eid``
    (with ``deal`` if given) when it has one, else by ``uscc``."""
    by_eid = frame is not None and "eid" in frame.columns
    keys = {"eid": pl.UInt32} if by_eid else {"uscc": pl.String}
    if frame is not None and "deal" in frame.columns:
        keys["deal"] = pl.UInt32
    enterprise_keys = by_eid and "uscc" in schema and "name" in schema
    if enterprise_keys:  # the enterprise table keeps its codes beside its key
        keys["uscc"] = pl.String
    kept = {n: t for n, t in schema.items() if n not in ("uscc", "eid", "deal") and (columns is None or n in columns)}
    return {**keys, **kept}


def _check_bounds(policies: PolicyCatalog, *frames: pl.DataFrame) -> None:
    """Refuse figures beyond the magnitudes the compiled rules are sized for (BOUNDS)."""
    for frame in frames:
        for table in policies.variables.values():
            for name, (kind, name_zh) in table.items():
                if kind in BOUNDS and name in frame.columns and frame.height:
                    # The extremes, not abs() of the column: no copy of a 10⁷-row column.
                    low, high = frame.select(pl.col(name).min().alias("low"), pl.col(name).max().alias("high")).row(0)
                    largest = None if high is None else max(abs(low), abs(high))
                    if largest is not None and largest > BOUNDS[kind]:
                        raise PolicyDataError(f"{name_zh}超出可计算范围（最多 {BOUNDS[kind]:,}）")



def _check_years(policies: PolicyCatalog, years: Sequence[int]) -> None:
    """Refuse award years a policy with rules does not govern: before its first year, or after
    the year it expired (失效) in."""
    for policy in policies.policies:
        early = sorted(y for y in years if y < policy.first_year)
        if early and policy.rules:
            raise PolicyYearError(
                f"{early[0]}年度不适用《{policy.title}》（自{policy.first_year}年度起执行）：{policy.earlier_years}"
            )
        late = sorted(y for y in years if policy.valid_until and y > policy.valid_until.year)
        if late and policy.rules:
            raise PolicyYearError(
                f"{late[-1]}年度不适用《{policy.title}》：该政策已于{policy.valid_until:%Y年%-m月%-d日}失效"
            )


def _attribute(candidates: pl.DataFrame, paid: pl.Series, enterprises: pl.DataFrame,
               payers: list[tuple[str, tuple[str, ...]]]) -> pl.DataFrame:
    """The ``paid`` rows of ``candidates`` with name, org unit and paying treasury, in a stable
    order (eid kept first)."""
    keys = candidates.select("eid", "year", "policy", "rule", "subject").rechunk()[paid]
    rows = paid.gather(_award_order(keys))
    del keys
    # One gather per shown column, straight into award order (each column in one chunk first:
    # a gather from a chunked column is many times slower); no copy of the whole table.
    shown = [c for c in ("eid", *AWARD_COLUMNS) if c in candidates.columns]
    awards = pl.DataFrame([candidates[c].rechunk().gather(rows) for c in shown])
    # Display attributes join only the awards, at the end, gathered by the enterprise's row
    # from the batch's stretch of the enterprise table, put in one chunk (a batch is a range
    # of eids: a range of rows, unless the keys came in another order).
    at = enterprise_rows(awards["eid"], enterprises["eid"])
    first = at.min() or 0
    stretch = enterprises.select("uscc", "name", "org_unit").slice(first, (at.max() or 0) - first + 1).rechunk()
    awards = awards.hstack(stretch.select(pl.all().gather(at - first)))
    payer = pl.lit(None, dtype=pl.String)
    for policy_id, city_level in payers:
        payer = pl.when(pl.col("policy") == policy_id).then(payer_expr(city_level)).otherwise(payer)
    return awards.with_columns(payer.alias("payer")).with_columns(
        pl.col("payer").is_in(list(SETTLES_WITH_CITY)).alias("settle_with_city")).select("eid", *AWARD_COLUMNS)


def _award_order(awards: pl.DataFrame) -> pl.Series:
    """The row order sorting ``awards`` by year, eid, policy, rule, subject, payee.

    A rule has one payee, so (year, eid, policy, rule) pack into one UInt64 (policy and rule
    by their rank among the values present); that one column sorts fast, and only the rows
    tied on it (several events of one rule, enterprise and year) are then ordered by subject.
    """
    if awards.height < 2:
        return pl.Series("order", range(awards.height), dtype=pl.UInt32)
    first, last = awards["year"].min(), awards["year"].max()
    ranks = {name: awards[name].unique().sort() for name in ("policy", "rule")}
    if last - first >= 2**15 or len(ranks["policy"]) * len(ranks["rule"]) >= 2**16:
        return awards.select(pl.arg_sort_by(["year", "eid", "policy", "rule", "subject", "payee"]))[:, 0]

    def rank(name: str) -> pl.Expr:
        values = ranks[name]
        return pl.col(name).replace_strict(values, pl.int_range(len(values), eager=True), return_dtype=pl.UInt64)

    key = awards.select(
        (pl.col("year") - first).cast(pl.UInt64) * 2**48 + pl.col("eid").cast(pl.UInt64) * 2**16
        + rank("policy") * len(ranks["rule"]) + rank("rule"))[:, 0]
    order = key.arg_sort()
    ordered = key.gather(order)
    tied = ((ordered == ordered.shift(1)) | (ordered == ordered.shift(-1))).fill_null(False)
    if not tied.any():
        return order
    places = tied.arg_true()
    ties = pl.DataFrame({"key": ordered.gather(places), "row": order.gather(places)})
    ties = ties.with_columns(awards["subject"].gather(ties["row"]).alias("subject")).sort(["key", "subject"])
    return order.scatter(places, ties["row"])
