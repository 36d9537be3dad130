"""Plan lint: do the printed growth figures agree with the printed base and target values?

Every claim a plan prints about an indicator — the table's stated growth, a prose restatement,
a results table's achieved growth, 翻一番 — is checked against the growth its values imply, to
the printed precision (half a unit of the last printed digit). Findings only are returned.
"""

from __future__ import annotations

import math

import polars as pl

from ..catalog import Catalog
from .stated_growth import parse_stated_growth

# ``stated`` is the claim as printed; ``stated_value`` its number and ``implied`` the values' own,
# both in the claim's terms (percent a year when ``percent``, else points, a multiple or a sum).
FINDING_COLUMNS = ["plan", "indicator", "name_zh", "check", "stated", "implied", "message", "citation",
                   "percent", "stated_value"]
# The JSON contract: growths as fractions like every other growth in JSON, the printed claim beside.
JSON_COLUMNS = ["plan", "indicator", "name_zh", "check", "stated", "implied", "printed", "message", "citation"]
# 翻一番 claims tolerate targets up to 5% beyond an exact doubling ("1700亿元以上，比2020年翻一番"
# with a base of 747.3 is 2.27×, a different claim; 400 on 191.92 is 2.08×, a rounded one).
DOUBLING_SLACK = 0.05

_PARSED = pl.Struct({"kind": pl.String, "value": pl.Float64, "comparator": pl.String,
                     "half_unit": pl.Float64})


def _parse(text: str | None) -> dict | None:
    try:
        parsed = parse_stated_growth(text)
    except ValueError:  # a printed unit, not a growth: the loader has vetted every growth
        return None
    if parsed is None or parsed.kind == "none":
        return None
    return {"kind": parsed.kind, "value": parsed.value, "comparator": parsed.comparator,
            "half_unit": parsed.half_unit}


def _claims(catalog: Catalog) -> pl.DataFrame:
    """One row per printed claim: the claim, the values it is about, and where it is printed."""
    rows = []
    for plan in catalog.plans:
        for ind in plan.indicators:
            common = {"plan": plan.id, "indicator": ind.id, "name_zh": ind.name_zh,
                      "growth_kind": ind.growth_kind, "base": ind.base_value,
                      "target": ind.target_value, "span": ind.target_year - ind.base_year,
                      "target_decimals": _decimals(ind.target_value)}
            if ind.stated_growth:
                rows.append({**common, "check": "stated_growth", "stated": ind.stated_growth,
                             "citation": ind.citation.text()})
            if ind.target_as_printed:  # a bracketed five-year-sum target must equal target_value
                rows.append({**common, "check": "target_as_printed", "stated": ind.target_as_printed,
                             "citation": ind.citation.text()})
            if ind.reported and ind.reported.growth:
                rows.append({**common, "check": "reported_growth", "stated": ind.reported.growth,
                             "target": ind.reported.value, "citation": ind.citation.text()})
            if ind.unit_as_printed and ind.unit_as_printed != ind.unit:
                rows.append({**common, "check": "unit", "stated": ind.unit_as_printed,
                             "unit": ind.unit, "citation": ind.citation.text()})
        for st in plan.statements:
            ind = plan.indicator(st.indicator)
            rows.append({"plan": plan.id, "indicator": ind.id, "name_zh": ind.name_zh,
                         "growth_kind": ind.growth_kind, "base": ind.base_value,
                         "target": ind.target_value, "span": ind.target_year - ind.base_year,
                         "target_decimals": _decimals(ind.target_value), "check": "statement",
                         "stated": st.stated_growth, "citation": st.citation.text()})
    schema = {"plan": pl.String, "indicator": pl.String, "name_zh": pl.String,
              "growth_kind": pl.String, "base": pl.Float64, "target": pl.Float64,
              "span": pl.Int32, "target_decimals": pl.Int32, "check": pl.String,
              "stated": pl.String, "unit": pl.String, "citation": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _decimals(value: float | None) -> int:
    if value is None or value == int(value):
        return 0
    return min(len(repr(value).split(".")[1]), 6)


def lint_catalog(catalog: Catalog) -> pl.DataFrame:
    """Every inconsistency between a plan's printed growth claims and its printed values."""
    claims = _claims(catalog).with_columns(
        pl.col("stated").map_elements(_parse, return_dtype=_PARSED).alias("p")
    ).unnest("p")
    findings = [
        _growth_findings(claims),
        _doubling_findings(claims),
        _unit_findings(claims),
        _yearly_target_findings(catalog),
        _cross_plan_findings(catalog),
    ]
    return pl.concat([f.select(FINDING_COLUMNS) for f in findings]).sort(["plan", "indicator", "check"])


def findings_as_fractions(findings: pl.DataFrame) -> pl.DataFrame:
    """The findings in ``JSON_COLUMNS``: a percent claim's stated and implied growth as fractions
    (12.5 → 0.125), other claims' numbers as they are, the printed text as ``printed``."""
    scale = pl.when(pl.col("percent")).then(pl.lit(0.01)).otherwise(pl.lit(1.0))
    return findings.select(
        "plan", "indicator", "name_zh", "check",
        (pl.col("stated_value") * scale).round(6).alias("stated"),
        (pl.col("implied") * scale).round(6).alias("implied"),
        pl.col("stated").alias("printed"), "message", "citation",
    )


def _growth_findings(claims: pl.DataFrame) -> pl.DataFrame:
    b, t, v, half = pl.col("base"), pl.col("target"), pl.col("value"), pl.col("half_unit")
    # What the values imply, in the claim's own terms: percent a year, points, or the sum.
    implied = (
        pl.when((pl.col("kind") == "rate") & (b > 0) & (t > 0))
        .then(((t / b).pow(1 / pl.col("span").cast(pl.Float64)) - 1) * 100)
        .when((pl.col("kind") == "bracket") & (pl.col("growth_kind") == "cumulative")
              & (pl.col("check") != "reported_growth"))
        .then(t)
        .when(pl.col("kind").is_in(["points", "bracket"]))
        .then(t - b)
    )
    cmp = pl.col("comparator")
    consistent = (
        pl.when(cmp == ">").then(pl.col("implied") > v - half)
        .when(cmp == ">=").then(pl.col("implied") >= v - half)
        .when(cmp == "<").then(pl.col("implied") < v + half)
        .when(cmp == "<=").then(pl.col("implied") <= v + half)
        # 左右 (about) allows a whole unit of the last digit rather than half of one.
        .when(cmp == "~").then((pl.col("implied") - v).abs() <= 2 * half)
        .otherwise((pl.col("implied") - v).abs() <= half + 1e-9)
    )
    what = (
        pl.when(pl.col("kind") == "rate").then(pl.lit("年均增长"))
        .when(pl.col("growth_kind") == "cumulative").then(pl.lit("五年累计"))
        .otherwise(pl.lit("变化量"))
    )
    return (
        claims.filter(pl.col("kind").is_in(["rate", "points", "bracket"]))
        .with_columns(implied.alias("implied"))
        .filter(pl.col("implied").is_not_null())
        .filter(~consistent)
        .with_columns(
            pl.col("implied").round(2),
            (pl.col("kind") == "rate").alias("percent"),
            pl.col("value").alias("stated_value"),
            pl.format(
                "印{}为“{}”，但{}→{}推算为{}（允许误差±{}）。",
                what, "stated", "base", "target", pl.col("implied").round(2), half,
            ).alias("message"),
        )
    )


def _doubling_findings(claims: pl.DataFrame) -> pl.DataFrame:
    ratio = pl.col("target") / pl.col("base")
    # A target printed to whole units may fall short of 2× by half a unit and still double.
    slack_below = 0.5 * pl.lit(10.0).pow(-pl.col("target_decimals").cast(pl.Float64)) / pl.col("base")
    too_low = ratio < pl.col("value") - slack_below
    too_high = ratio > pl.col("value") * (1 + DOUBLING_SLACK)
    return (
        claims.filter((pl.col("kind") == "multiple") & (pl.col("base") > 0) & pl.col("target").is_not_null())
        .filter(too_low | too_high)
        .with_columns(
            ratio.round(3).alias("implied"),
            pl.lit(False).alias("percent"),
            pl.col("value").alias("stated_value"),
            pl.when(too_low)
            .then(pl.format("称“{}”，但目标{}仅为基期{}的{}倍。",
                            "stated", "target", "base", ratio.round(3)))
            .otherwise(pl.format("称“{}”，但目标{}为基期{}的{}倍，远超翻一番。",
                                 "stated", "target", "base", ratio.round(3)))
            .alias("message"),
        )
    )


def _unit_findings(claims: pl.DataFrame) -> pl.DataFrame:
    return claims.filter(pl.col("check") == "unit").with_columns(
        pl.lit(None, dtype=pl.Float64).alias("implied"),
        pl.lit(False).alias("percent"),
        pl.lit(None, dtype=pl.Float64).alias("stated_value"),
        pl.format("单位印为“{}”，与数值不符，按“{}”读取。",
                  "stated", "unit").alias("message"),
    )


def _yearly_target_findings(catalog: Catalog) -> pl.DataFrame:
    rows = []
    for ind in catalog.indicators():
        if not ind.yearly_targets or ind.target_value is None:
            continue
        values = [ind.yearly_targets[y] for y in sorted(ind.yearly_targets)]
        # A five-year sum must equal its yearly parts; a level must end at its target.
        implied = sum(values) if ind.growth_kind == "cumulative" else values[-1]
        half = 0.5 * 10 ** (-_decimals(ind.target_value))
        if math.isclose(implied, ind.target_value, abs_tol=half):
            continue
        rows.append({"plan": ind.plan, "indicator": ind.id, "name_zh": ind.name_zh,
                     "check": "yearly_targets", "stated": str(ind.target_value), "implied": implied,
                     "percent": False, "stated_value": ind.target_value,
                     "message": f"分年度目标合计为{implied:g}，与期末目标{ind.target_value:g}不符。",
                     "citation": ind.citation.text()})
    return _frame(rows)


def _cross_plan_findings(catalog: Catalog) -> pl.DataFrame:
    frame = catalog.indicators_frame()
    pairs = frame.join(frame, on=["name_zh", "base_year", "target_year"], suffix="_other").filter(
        (pl.col("plan") < pl.col("plan_other"))
        & (pl.col("plan_org_unit") == pl.col("plan_org_unit_other"))
        & (
            ~pl.col("base_value").eq_missing(pl.col("base_value_other"))
            | ~pl.col("target_value").eq_missing(pl.col("target_value_other"))
        )
    )
    return pairs.select(
        "plan", "indicator", "name_zh",
        pl.lit("cross_plan").alias("check"),
        pl.format("{}→{}", "base_value", "target_value").alias("stated"),
        pl.lit(None, dtype=pl.Float64).alias("implied"),
        pl.lit(False).alias("percent"),
        pl.lit(None, dtype=pl.Float64).alias("stated_value"),
        pl.format("与{}的同名指标（{}→{}）不一致。",
                  "plan_other", "base_value_other", "target_value_other").alias("message"),
        "citation",
    )


def _frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"plan": pl.String, "indicator": pl.String, "name_zh": pl.String, "check": pl.String,
              "stated": pl.String, "implied": pl.Float64, "message": pl.String, "citation": pl.String,
              "percent": pl.Boolean, "stated_value": pl.Float64}
    return pl.DataFrame(rows, schema=schema)
