"""Matching (政策匹配): for every enterprise and every rule at once, whether it qualifies this year
with the amount the engine awards, and, where it does not, what it still lacks — in Chinese,
with its figures (“年度研发投入 188.5 万元，距 200 万元门槛还差 11.5 万元”, “需2023年新获省级
企业技术（研发）中心认定”) — and how far short it is, so the policy office can ask which
enterprises are within 10% of a threshold, by county and rule.

Pure and columnar: one lazy query per rule over the engine's own tables (the facts and events
contexts), collected together; the amounts are the engine's (``evaluate_years``), never
recomputed. Rows are only for rules an enterprise could meet by changing its figures or events:
a rule outside its region, scope or years, or one it is excluded from, is not considered.
"""

from __future__ import annotations

from math import inf

import polars as pl

from ..catalog import Catalog
from ..io.enterprise_import import PolicyData
from .catalog import readable
from .context import events_context, facts_context, numbered
from .engine import evaluate_years, packaged
from .expr_compile import Var
from .expr_parse import Binary, Node, Number, Text
from .frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform
from .match_gaps import GAPS, Gap, GapCompiler
from .model import PolicyCatalog, Rule
from .rule_eval import amount_expr, eligibility, fen, figures_used

MATCH_COLUMNS = {
    "uscc": pl.String, "name": pl.String, "org_unit": pl.String, "rule_id": pl.String,
    "rule_name": pl.String, "policy_id": pl.String, "article": pl.Int64, "met": pl.Boolean,
    "amount_fen": pl.Int64, "near": pl.Boolean, "gaps": GAPS, "gap_ratio": pl.Float64,
    "money_at_stake_fen": pl.Int64,
}
NEAR_DEFAULT = 0.1
# Met by its condition but paid nothing: 就高 gave the subject a higher award, or 补差 left nothing.
NOTHING_LEFT = "条件已满足，但按就高、补差原则本年度不再计发"
ROW_SCHEMA = {"eid": pl.UInt32, "met_condition": pl.Boolean, "short": pl.Float64, "gaps": GAPS, "stake": pl.Int64}
_ROW = tuple(ROW_SCHEMA)


def match(policies: PolicyCatalog | None, data: PolicyData, *, year: int, within: float = NEAR_DEFAULT,
          catalog: Catalog | None = None, absent_events: bool = True, near_only: bool = False) -> pl.DataFrame:
    """One row per enterprise × rule considered (``MATCH_COLUMNS``) for award year ``year``.

    ``met``/``amount_fen``: the engine awards it, and how much. Otherwise ``gaps`` says what is
    lacking and ``gap_ratio`` how far short (0.05 = 5% below the threshold; null when some
    failing part is not a threshold: a level, a yes/no fact, an event not had, a missing figure).
    ``near`` is ``gap_ratio <= within``. ``money_at_stake_fen``: the amount when met, else what
    the rule would pay on the enterprise's figures (capped), or its fixed or highest amount.
    ``absent_events=False`` leaves out the rows of event rules the enterprise has no event for
    (“需…年新获…”: never a near miss), which a city-wide near-miss query does not need;
    ``near_only=True`` keeps only the near misses (sentences are then made for those alone: the
    survey ``near_misses`` of a whole city asks for).
    Rows come rule by rule; ``for_enterprise`` orders one enterprise's. Raises the engine's
    PolicyYearError / PolicyDataError as ``evaluate_years`` does.
    """
    if policies is None or catalog is None:
        default_policies, default_catalog = packaged()
        policies, catalog = policies or default_policies, catalog or default_catalog
    awards = evaluate_years(data.enterprises, data.facts, data.events, [year], policies=policies,
                            catalog=catalog).awards
    enterprises = numbered(conform(data.enterprises, ENTERPRISE_SCHEMA))
    # Only the yearly facts some rule reads, as the engine carries them (each is a column every
    # join and sort moves; their prev__ follow the columns present).
    read = {n.removeprefix("prev__") for r in policies.rules() for n in figures_used(r)}
    facts_frame = conform(data.facts, FACT_SCHEMA)
    facts_ctx = facts_context(enterprises, facts_frame.select(
        "uscc", "year", *(c for c in facts_frame.columns if c in read)))
    events_ctx = events_context(enterprises, facts_ctx, conform(data.events, EVENT_SCHEMA), [year])
    paid = (awards.group_by("uscc", "rule").agg(pl.col("amount_fen").sum())
            .join(enterprises.select("uscc", "eid"), on="uscc").drop("uscc"))
    facts = set(policies.variables["facts"])
    kinds_present = set(events_ctx["kind"].unique().to_list())
    queries = []
    for policy in policies.policies:
        in_region = pl.col("org_unit").is_in(sorted(catalog.subtree(policy.region)))
        for rule in policy.rules:
            variables = readable(policies.variables, rule.on)
            gap, history = _condition_gap(rule, variables, policies, facts)
            tests = eligibility(policy, rule, variables, in_region, [year])
            tests.pop("when", None)  # the condition is what we explain, not a filter
            considered = pl.all_horizontal(list(tests.values()))
            stake = _stake(rule, variables)
            if "facts" in rule.on:
                rows = _fact_rows(facts_ctx.lazy().with_columns(**history), gap, considered, stake, year,
                                  within if near_only else None)
            else:
                present = kinds_present.intersection(rule.on)
                rows = _event_rows(events_ctx.lazy().with_columns(**history) if present else None, enterprises.lazy(), rule, gap, considered, stake,
                                   year, policies, absent_events and not near_only, within if near_only else None)
            awarded = paid.lazy().filter(pl.col("rule") == rule.id).select("eid", "amount_fen")
            queries.append(_settled(rows.join(awarded, on="eid", how="left"), rule, within))
    if not queries:
        return pl.DataFrame(schema=MATCH_COLUMNS)
    # One collect for all rules, so Polars runs their queries in parallel.
    stacked = pl.concat(pl.collect_all(queries))
    who = enterprises.select("uscc", "name", "org_unit").select(pl.all().gather(stacked["eid"]))
    return stacked.hstack(who).select([pl.col(c).cast(t) for c, t in MATCH_COLUMNS.items()])


def for_enterprise(match_frame: pl.DataFrame, uscc: str) -> pl.DataFrame:
    """One enterprise's rows: met first, then by money at stake (the rules it nearly meets first
    among equals)."""
    return (match_frame.filter(pl.col("uscc") == uscc)
            .sort(["met", "near", "money_at_stake_fen", "rule_id"], descending=[True, True, True, False]))


def near_misses(match_frame: pl.DataFrame, *, within: float = NEAR_DEFAULT) -> pl.DataFrame:
    """The rows not met whose every failing threshold is within ``within`` (0.1 = 10%) of being
    met, most money at stake first."""
    return (match_frame.filter(~pl.col("met") & (pl.col("gap_ratio") <= within))
            .with_columns(pl.lit(True).alias("near"))
            .sort(["money_at_stake_fen", "gap_ratio", "uscc", "rule_id"], descending=[True, False, False, False]))


def _condition_gap(rule: Rule, variables: dict[str, Var], policies: PolicyCatalog,
                   facts: set[str]) -> tuple[Gap, dict[str, pl.Expr]]:
    """The rule's whole condition — ``when`` and, for a tier table without a default row, one of
    its rows (a level no row names pays nothing) — and the history columns it reads."""
    condition = _effective_condition(rule)
    if condition is None:
        return Gap(pl.lit(True), pl.lit(0.0), pl.lit([], dtype=GAPS)), {}
    compiler = GapCompiler(variables, policies, facts)
    gap = compiler.gap(condition)
    return gap, compiler.history


def _effective_condition(rule: Rule) -> Node | None:
    parts = [rule.when] if rule.when is not None else []
    if rule.bands and all(b.when is not None for b in rule.bands):
        tiers = rule.bands[0].when
        for band in rule.bands[1:]:
            tiers = Binary(f"{tiers.text} or {band.when.text}", "or", tiers, band.when)
        parts.append(tiers)
    if not parts:
        return None
    node = parts[0]
    for part in parts[1:]:
        node = Binary(f"{node.text} and {part.text}", "and", node, part)
    return node


def _fact_rows(table: pl.LazyFrame, gap: Gap, considered: pl.Expr, stake: pl.Expr, year: int,
               near: float | None) -> pl.LazyFrame:
    """The award year's enterprise-years (history columns already computed over every year)."""
    rows = table.filter((pl.col("year") == year) & considered).with_columns(gap.met.alias("met_condition"))
    return _spoken(rows, gap, stake, near)


def _spoken(rows: pl.LazyFrame, gap: Gap, stake: pl.Expr, near: float | None = None) -> pl.LazyFrame:
    """Sentences only for the rows that fail (with ``near``, only for those that fail by at most
    that fraction): formatting figures is the costly part."""
    if near is not None:
        close = rows.filter(~pl.col("met_condition")).with_columns(gap.short.alias("short")) \
            .filter(pl.col("short") <= near)
        return close.select("eid", "met_condition", "short", gap.gaps.alias("gaps"), stake.alias("stake"))
    met = rows.filter(pl.col("met_condition")).select(
        "eid", "met_condition", pl.lit(0.0).alias("short"), pl.lit([], dtype=GAPS).alias("gaps"), stake.alias("stake"))
    failed = rows.filter(~pl.col("met_condition")).select(
        "eid", "met_condition", gap.short.alias("short"), gap.gaps.alias("gaps"), stake.alias("stake"))
    return pl.concat([met, failed])


def _event_rows(events: pl.LazyFrame | None, enterprises: pl.LazyFrame, rule: Rule, gap: Gap, considered: pl.Expr,
                stake: pl.Expr, year: int, policies: PolicyCatalog, absent_events: bool,
                near: float | None) -> pl.LazyFrame:
    """Per enterprise, its closest event of the rule's kinds; enterprises without one need it.
    ``events`` is None when no enterprise has an event of those kinds (one enterprise's match:
    most rules), which spares planning the analysis of none."""
    if events is None:
        return _without(enterprises, None, rule, considered, year, policies) if absent_events else \
            pl.LazyFrame(schema=ROW_SCHEMA)
    rows = events.filter(pl.col("kind").is_in(list(rule.on)) & considered).with_columns(
        gap.met.alias("met_condition"))
    had = (_spoken(rows, gap, stake, near)
           .sort(["eid", "short", "stake"], descending=[False, False, True])
           .group_by("eid", maintain_order=True)
           .agg(pl.col("met_condition").any(), pl.col("short").first(), pl.col("gaps").first(),
                pl.col("stake").max()))
    if not absent_events:
        return had.select(_ROW)
    return pl.concat([had.select(_ROW), _without(enterprises, had, rule, considered, year, policies)])


def _without(enterprises: pl.LazyFrame, had: pl.LazyFrame | None, rule: Rule, considered: pl.Expr, year: int,
             policies: PolicyCatalog) -> pl.LazyFrame:
    """The enterprises considered that have no event of the rule's kinds: they need one."""
    considered_ = enterprises.with_columns(pl.lit(year, dtype=pl.Int32).alias("year")).filter(considered).select("eid")
    lacking = considered_ if had is None else considered_.join(had.select("eid"), on="eid", how="anti")
    return (lacking.with_columns(pl.lit(False).alias("met_condition"), pl.lit(inf).alias("short"),
                             pl.lit([_needs_event(rule, year, policies)], dtype=GAPS).alias("gaps"),
                             pl.lit(_headline(rule), dtype=pl.Int64).alias("stake"))
            .select(_ROW))


def _needs_event(rule: Rule, year: int, policies: PolicyCatalog) -> str:
    """需2023年新获企业技术（研发）中心认定（国家级或省级）: the event named from the vocabulary."""
    kinds = "或".join(policies.names.kind(k) for k in rule.on)
    grades = policies.names.choices
    nodes = [n for n in (rule.when, *(b.when for b in rule.bands)) if n is not None]
    named = []
    for node in nodes:
        for code in _texts(node):
            if code in grades and grades[code] not in named:
                named.append(grades[code])
    return f"需{year}年新获“{kinds}”" + (f"（{'或'.join(named)}）" if named else "")


def _texts(node: Node) -> list[str]:
    """The quoted codes a condition compares with, in order."""
    found = list(getattr(node, "options", ()))
    if isinstance(node, Text):
        found.append(node.value)
    for child in ("left", "right", "operand"):
        if hasattr(node, child):
            found.extend(_texts(getattr(node, child)))
    return found


def _headline(rule: Rule) -> int | None:
    """The rule's largest fixed amount (its top tier, its 最高, its cap), in fen."""
    nodes = [rule.amount, rule.up_to, rule.cap, *(b.value for b in rule.bands)]
    amounts = [int(n.value * 100) for n in nodes if isinstance(n, Number) and n.money]
    return max(amounts) if amounts else None


def _stake(rule: Rule, variables: dict[str, Var]) -> pl.Expr:
    """What the rule would pay on this row's figures were its condition met, capped."""
    amount, _ = amount_expr(rule, variables)
    value = pl.coalesce(amount, pl.lit(_headline(rule), dtype=pl.Int64))
    if rule.cap is not None:
        value = pl.min_horizontal(value, fen(rule.cap, variables))
    return value.clip(lower_bound=0).fill_null(0).cast(pl.Int64)


def _settled(rows: pl.LazyFrame, rule: Rule, within: float) -> pl.LazyFrame:
    """One rule's rows with the engine's amount joined in: met, gaps, ratio, stake, the rule named."""
    met = pl.col("amount_fen").is_not_null()
    unpaid = pl.col("met_condition") & ~met
    return (rows.with_columns(
        met.alias("met"),
        pl.when(met).then(pl.lit([], dtype=GAPS)).when(unpaid).then(pl.lit([NOTHING_LEFT], dtype=GAPS))
        .otherwise(pl.col("gaps")).alias("gaps"),
        pl.when(met | unpaid | pl.col("short").is_infinite()).then(None).otherwise(pl.col("short")).alias("gap_ratio"),
        pl.when(met).then(pl.col("amount_fen")).otherwise(pl.col("stake")).alias("money_at_stake_fen"),
        pl.col("amount_fen").fill_null(0),
        pl.lit(rule.id).alias("rule_id"), pl.lit(rule.name_zh).alias("rule_name"),
        pl.lit(rule.policy).alias("policy_id"), pl.lit(rule.article, dtype=pl.Int64).alias("article"))
        .with_columns((~pl.col("met") & (pl.col("gap_ratio") <= within)).fill_null(False).alias("near"))
        .drop("met_condition", "short", "stake"))
