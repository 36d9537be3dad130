"""亩均效益综合评价: grade one year's industrial enterprises A/B/C/D (pure, columnar).

The rules, each a setting of ``catalog/grading/mu_benefit.yaml`` where it has a figure:

* Scope: industrial enterprises (``is_industrial``; without it, GB/T 4754 sections B, C, D);
  规上 always, 规下 on at least ``min_land_mu_below_scale`` 亩. An unreported 规上 flag reads as
  规下; unreported or zero land leaves the enterprise out (nothing to divide by).
* Enterprises sharing a parcel (``parcel``) are graded as one unit: their facts summed (land
  summed or the largest, ``parcel_land``), 规上 when any of them is, a bonus or penalty when any
  of them has it; the unit's place (county) and industry are those of its first credit code.
* Indicator value = numerator ÷ denominator in the indicator's units; a missing or zero
  denominator makes the value missing. Score = value ÷ benchmark × weight, clipped to [0, cap].
  A missing value scores 0 (``when_missing: zero``) or the average score of its group among the
  units that have the value (``group_average``; 0 when none has).
* Total = the scores + bonus − penalty, rounded to 6 decimals (so that equal figures summed in
  another order still tie). Rank: 1 = best within size class × industry group; equal totals share
  the best rank of their tie ("min" ranking: 1, 2, 2, 4).
* Class from the share of the group ranked strictly above the unit, (rank − 1) ÷ group size: A
  while it is below A's percent, then B, C, D. Equal totals share a rank, so a class.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .catalog import CLASSES, MONEY_UNITS, SIZE_CLASS_ZH, GradingSettings, Indicator
from ..policy.fact_registry import FACTS, INTEGER_KINDS, fact_schema
from .fact_units import decimal_scale, is_money

# The enterprise's columns, then every yearly fact of the registry (money fen, decimals scaled).
INPUT_SCHEMA = {"uscc": pl.String, "name": pl.String, "org_unit": pl.String, "industry": pl.String,
                "is_industrial": pl.Boolean, **fact_schema()}
# What a merged parcel adds up: every figure of the registry (the flags are any-of, see below).
SUMMED = tuple(f.name for f in FACTS if f.kind in INTEGER_KINDS)
OUT_OF_SCOPE_SCHEMA = {"uscc": pl.String, "name": pl.String, "org_unit": pl.String, "reason": pl.String}
# GB/T 4754 sections of industry: B 采矿业, C 制造业, D 电力、热力、燃气及水生产和供应业.
INDUSTRIAL_SECTIONS = ("B", "C", "D")


@dataclass(frozen=True)
class Grading:
    """The grading of a year: ``graded`` one row per graded enterprise, ``out_of_scope`` one row
    per enterprise left out, with the reason."""

    graded: pl.DataFrame
    out_of_scope: pl.DataFrame


def evaluate(facts: pl.DataFrame, settings: GradingSettings, *, year: int) -> Grading:
    """Grade ``facts`` (one row per enterprise of ``year``: uscc, name, org_unit, industry and the
    registry facts, money in fen, decimals as scaled integers) by ``settings``.

    ``graded`` carries, beside the columns of the contract, ``year`` and ``benchmark__<indicator>``
    (the benchmark each score used), so that a score card needs nothing else. ValueError when a
    credit code appears twice (one enterprise, one row: two would be graded twice)."""
    twice = facts.filter(pl.col("uscc").is_duplicated())["uscc"].unique().sort()
    if twice.len():
        raise ValueError(f"facts hold {twice.len()} credit code(s) twice, e.g. {twice[0]}: one row per enterprise and year")
    frame = _conform(facts)
    industrial = pl.coalesce(pl.col("is_industrial"),
                             pl.col("industry").str.slice(0, 1).is_in(INDUSTRIAL_SECTIONS)).fill_null(False)
    not_industrial = frame.filter(~industrial).select(
        "uscc", "name", "org_unit", pl.lit("非工业企业，不在亩均效益评价范围").alias("reason"))
    units = _merge_parcels(frame.filter(industrial), settings)
    units, unit_out = _scope(units, settings)
    units = _group(units, settings)
    units = _scores(units, settings, year)
    units = _rank_and_class(units, settings)
    units = units.with_columns(_reason(settings).alias("reason"))
    graded = _per_enterprise(units, frame, settings, year)
    out = pl.concat([not_industrial, _members_out(unit_out, frame)]).sort("uscc")
    return Grading(graded=graded, out_of_scope=out.select(list(OUT_OF_SCOPE_SCHEMA)))


def apply_regrades(graded: pl.DataFrame, regrades: pl.DataFrame) -> pl.DataFrame:
    """``graded`` with each regrade (uscc, class, reason, by) applied: ``class`` becomes the
    regrade's, and ``reason`` begins with 手动调档 from → to, why and by whom. The last regrade of
    an enterprise wins; one for an enterprise not in ``graded`` has nothing to change."""
    bad = regrades.filter(~pl.col("class").is_in(CLASSES) | pl.col("class").is_null())
    if bad.height:
        raise ValueError(f"regrade to an unknown class {bad['class'][0]!r} (uscc {bad['uscc'][0]}); use A, B, C or D")
    latest = (regrades.select("uscc", pl.col("class").alias("_to"), pl.col("reason").alias("_why"),
                              pl.col("by").alias("_by"))
              .unique(subset="uscc", keep="last", maintain_order=True))
    joined = graded.join(latest, on="uscc", how="left")
    note = pl.format("手动调档：由{}类调为{}类，理由：{}（{}）。", pl.col("class"), pl.col("_to"),
                     pl.col("_why"), pl.col("_by"))
    return joined.with_columns(
        pl.coalesce("_to", "class").alias("class"),
        pl.when(pl.col("_to").is_not_null()).then(pl.concat_str([note, pl.col("reason")]))
        .otherwise(pl.col("reason")).alias("reason"),
    ).drop("_to", "_why", "_by")


def _conform(facts: pl.DataFrame) -> pl.DataFrame:
    schema = INPUT_SCHEMA
    missing = [pl.lit(None, dtype=t).alias(n) for n, t in schema.items() if n not in facts.columns]
    return facts.with_columns(missing).select([pl.col(n).cast(t) for n, t in schema.items()])


def _merge_parcels(frame: pl.DataFrame, settings: GradingSettings) -> pl.DataFrame:
    def summed(name: str) -> pl.Expr:
        # null only when no member reported it: one member's figure is the unit's figure.
        total = pl.col(name).max() if name == "land_area_mu" and settings.parcel_land == "max" else pl.col(name).sum()
        return pl.when(pl.col(name).is_null().all()).then(None).otherwise(total).alias(name)

    return (frame.sort("uscc")
            .with_columns(pl.coalesce("parcel", "uscc").alias("unit"))
            .group_by("unit", maintain_order=True)
            .agg(pl.col("uscc").alias("members"), pl.col("name").alias("member_names"),
                 pl.col("org_unit").first().alias("county"), pl.col("industry").first(),
                 pl.col("is_above_scale").fill_null(False).any(),
                 *(pl.col(f).fill_null(False).any() for f in settings.bool_facts()),
                 *(summed(name) for name in SUMMED)))


def _scope(units: pl.DataFrame, settings: GradingSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    land = pl.col("land_area_mu") / 10 ** decimal_scale("land_area_mu")
    minimum = settings.min_land_mu_below_scale
    reason = (pl.when(pl.col("land_area_mu").is_null() | (pl.col("land_area_mu") <= 0))
              .then(pl.lit("未填报用地面积，无法计算亩均效益，不参加评价"))
              .when(~pl.col("is_above_scale") & (land < minimum))
              .then(pl.format("规下企业用地面积{}亩，不足{}亩，不在评价范围", sentence_figure(land), pl.lit(_figure(minimum)))))
    units = units.with_columns(reason.alias("_out"))
    return units.filter(pl.col("_out").is_null()).drop("_out"), units.filter(pl.col("_out").is_not_null())


def _members_out(unit_out: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    return (unit_out.select(pl.col("members").alias("uscc"), pl.col("_out").alias("reason")).explode("uscc")
            .join(frame.select("uscc", "name", "org_unit"), on="uscc").select(list(OUT_OF_SCOPE_SCHEMA)))


def _group(units: pl.DataFrame, settings: GradingSettings) -> pl.DataFrame:
    # Longest prefix first, so that C261 beats C26 whatever order the catalog lists them in.
    pairs = sorted(((p, name) for name, prefixes in settings.groups for p in prefixes), key=lambda x: -len(x[0]))
    group: pl.Expr = pl.lit(settings.default_group)
    for prefix, name in reversed(pairs):
        group = pl.when(pl.col("industry").str.starts_with(prefix).fill_null(False)).then(pl.lit(name)).otherwise(group)
    return units.with_columns(group.alias("industry_group"),
                              pl.when(pl.col("is_above_scale")).then(pl.lit("above")).otherwise(pl.lit("below"))
                              .alias("size_class"))


def _in_units(fact: str, money_unit: str) -> pl.Expr:
    """A stored fact in the unit an indicator reads it in (money ÷ fen per unit, decimals unscaled)."""
    divisor = MONEY_UNITS[money_unit] if is_money(fact) else 10 ** decimal_scale(fact)
    return pl.col(fact).cast(pl.Float64) / divisor


def _value(ind: Indicator) -> pl.Expr:
    den = _in_units(ind.denominator, ind.numerator_unit)
    return pl.when(den > 0).then(_in_units(ind.numerator, ind.numerator_unit) / den)


def _benchmark(settings: GradingSettings, year: int, size: str, key: str) -> pl.Expr:
    """The benchmark of ``key`` for each unit's county (the year's county figure, else the city's)."""
    default = settings.benchmark(year, None, size, key)
    by_county = {county: value for county in settings.benchmarks.get(year, {}) if county is not None
                 for value in [settings.benchmark(year, county, size, key)]}
    if not by_county:
        return pl.lit(default)
    return pl.col("county").replace_strict(by_county, default=default, return_dtype=pl.Float64)


def _scores(units: pl.DataFrame, settings: GradingSettings, year: int) -> pl.DataFrame:
    columns = []
    for ind in settings.all_indicators():
        per_size = [(size, settings.indicator(size, ind.key)) for size in SIZE_CLASS_ZH]
        value = bench = None
        for size, own in per_size:
            if own is None:
                continue
            is_size = pl.col("size_class") == size
            value = pl.when(is_size).then(_value(own)).otherwise(value)
            bench = pl.when(is_size).then(_benchmark(settings, year, size, own.key)).otherwise(bench)
        columns += [pl.lit(None, pl.Float64).alias(f"value__{ind.key}") if value is None else value.alias(f"value__{ind.key}"),
                    pl.lit(None, pl.Float64).alias(f"benchmark__{ind.key}") if bench is None else bench.alias(f"benchmark__{ind.key}")]
    units = units.with_columns(columns)
    group = ["size_class", "industry_group"]
    scores = []
    for ind in settings.all_indicators():
        score = None
        for size in SIZE_CLASS_ZH:
            own = settings.indicator(size, ind.key)
            if own is None:
                continue
            raw = (pl.col(f"value__{ind.key}") / pl.col(f"benchmark__{ind.key}") * own.weight).clip(0, own.cap)
            fallback = raw.mean().over(group).fill_null(0.0) if own.when_missing == "group_average" else pl.lit(0.0)
            score = pl.when(pl.col("size_class") == size).then(raw.fill_null(fallback)).otherwise(score)
        scores.append((pl.lit(None, pl.Float64) if score is None else score).alias(f"score__{ind.key}"))
    units = units.with_columns(scores)

    def points(items) -> pl.Expr:
        return pl.sum_horizontal([pl.when(pl.col(a.fact)).then(a.points).otherwise(0.0) for a in items] or [pl.lit(0.0)])

    score_sum = pl.sum_horizontal([pl.col(f"score__{i.key}").fill_null(0.0) for i in settings.all_indicators()])
    return units.with_columns(points(settings.bonuses).alias("bonus"), points(settings.penalties).alias("penalty"),
                              score_sum.alias("_scores")).with_columns(
        (pl.col("_scores") + pl.col("bonus") - pl.col("penalty")).round(6).alias("total"))


def _rank_and_class(units: pl.DataFrame, settings: GradingSettings) -> pl.DataFrame:
    group = ["size_class", "industry_group"]
    units = units.with_columns(pl.col("total").rank("min", descending=True).over(group).cast(pl.Int64).alias("rank"),
                               pl.len().over(group).cast(pl.Int64).alias("group_size"))
    above_share = (pl.col("rank") - 1) / pl.col("group_size") * 100
    klass: pl.Expr = pl.lit("D")
    for letter in reversed(CLASSES[:-1]):
        cut = pl.when(pl.col("size_class") == "above").then(settings.class_cuts["above"][letter]) \
            .otherwise(settings.class_cuts["below"][letter])
        klass = pl.when(above_share < cut).then(pl.lit(letter)).otherwise(klass)
    return units.with_columns(klass.alias("initial_class"), above_share.alias("_above_share"))


def _figure(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def sentence_figure(expr: pl.Expr) -> pl.Expr:
    """A figure for a sentence: two decimals at most, trailing zeros dropped."""
    return expr.round(2).cast(pl.String).str.replace(r"\.0$", "")


def _reason(settings: GradingSettings) -> pl.Expr:
    size_zh = pl.col("size_class").replace_strict(SIZE_CLASS_ZH)
    merged = pl.when(pl.col("members").list.len() > 1).then(
        pl.format("同宗地的{}合并评价（{}）；", pl.col("member_names").list.join("、"),
                  pl.lit("用地合计" if settings.parcel_land == "sum" else "用地按填报最大的一家计")))
    missing = []
    for ind in settings.all_indicators():
        for size in SIZE_CLASS_ZH:
            own = settings.indicator(size, ind.key)
            if own is None:
                continue
            how = ("按同组平均得分{}分计" if own.when_missing == "group_average" else "计{}分")
            missing.append(pl.when((pl.col("size_class") == size) & pl.col(f"value__{own.key}").is_null())
                           .then(pl.format(f"{own.name_zh}无数据，{how}", sentence_figure(pl.col(f"score__{own.key}")))))
    missing_text = pl.concat_str(missing, separator="，", ignore_nulls=True)
    adjustments = [pl.when(pl.col(a.fact)).then(pl.lit(f"{sign}{_figure(a.points)}分（{a.name_zh}）"))
                   for sign, items in (("加", settings.bonuses), ("减", settings.penalties)) for a in items]
    adjusted = pl.concat_str(adjustments or [pl.lit(None, pl.String)], separator="，", ignore_nulls=True).fill_null("")
    cut_a = pl.when(pl.col("size_class") == "above").then(pl.lit(_figure(settings.class_cuts["above"]["A"]))) \
        .otherwise(pl.lit(_figure(settings.class_cuts["below"]["A"])))
    return pl.concat_str([
        merged.fill_null(""),
        pl.format("{}企业，各项指标得分合计{}分", size_zh, sentence_figure(pl.col("_scores"))),
        pl.when(missing_text != "").then(pl.concat_str([pl.lit("（"), missing_text, pl.lit("）")])).otherwise(pl.lit("")),
        pl.when(adjusted != "").then(pl.concat_str([pl.lit("，"), adjusted])).otherwise(pl.lit("")),
        pl.format("，总分{}分，在{}{}企业{}家中列第{}名（排在其前的占{}%，A类为前{}%），评为{}类。",
                  sentence_figure(pl.col("total")), pl.col("industry_group"), size_zh, pl.col("group_size"), pl.col("rank"),
                  sentence_figure(pl.col("_above_share")), cut_a, pl.col("initial_class")),
    ])


def _per_enterprise(units: pl.DataFrame, frame: pl.DataFrame, settings: GradingSettings, year: int) -> pl.DataFrame:
    keys = [i.key for i in settings.all_indicators()]
    per_unit = units.select(
        "unit", "members", "county", "industry_group", "size_class",
        *(f"value__{k}" for k in keys), *(f"score__{k}" for k in keys), *(f"benchmark__{k}" for k in keys),
        "bonus", "penalty", "total", "rank", "group_size", "initial_class", "reason")
    exploded = per_unit.with_columns(pl.col("members").alias("uscc")).explode("uscc")
    return (exploded.join(frame.select("uscc", "name", "org_unit"), on="uscc")
            .with_columns(pl.col("members").list.set_difference(pl.concat_list("uscc")).list.sort().alias("merged_with"),
                          pl.col("initial_class").alias("class"), pl.lit(year, pl.Int32).alias("year"))
            .select("uscc", "name", "org_unit", "county", "industry_group", "size_class", "unit", "merged_with",
                    *(f"value__{k}" for k in keys), *(f"score__{k}" for k in keys), "bonus", "penalty", "total",
                    "rank", "group_size", "initial_class", "class", "reason", "year",
                    *(f"benchmark__{k}" for k in keys))
            .sort("uscc"))
