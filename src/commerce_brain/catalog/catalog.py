"""The loaded catalog: plans and org units, with the columnar views the engines take."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .model import Indicator, OrgUnit, Plan

INDICATOR_SCHEMA = {
    "plan": pl.String,
    "indicator": pl.String,
    "name_zh": pl.String,
    "name_en": pl.String,
    "category": pl.String,
    "unit": pl.String,
    "plan_org_unit": pl.String,
    "base_year": pl.Int32,
    "base_value": pl.Float64,
    "target_year": pl.Int32,
    "target_value": pl.Float64,
    "target_text": pl.String,
    "target_comparator": pl.String,
    "stated_growth": pl.String,
    "growth_kind": pl.String,
    "attribute": pl.String,
    "direction": pl.String,
    "price_basis": pl.String,
    "citation": pl.String,
}

OBSERVATION_SCHEMA = {
    "plan": pl.String,
    "indicator": pl.String,
    "org_unit": pl.String,
    "period": pl.String,
    "year": pl.Int32,
    "month": pl.Int32,
    "value": pl.Float64,
    "real_growth": pl.Float64,
    "is_period_total": pl.Boolean,
    "source": pl.String,
}


def empty_observations() -> pl.DataFrame:
    """An observation frame with no rows and the columns every engine expects."""
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


@dataclass(frozen=True)
class Catalog:
    """Every plan and org unit the platform knows, validated."""

    plans: tuple[Plan, ...]
    org_units: tuple[OrgUnit, ...]

    def plan(self, plan_id: str) -> Plan:
        """The plan with this id; KeyError when there is none."""
        for plan in self.plans:
            if plan.id == plan_id:
                return plan
        raise KeyError(plan_id)

    def org_unit(self, code: str) -> OrgUnit:
        """The org unit with this code; KeyError when there is none."""
        for unit in self.org_units:
            if unit.code == code:
                return unit
        raise KeyError(code)

    def org_unit_names(self) -> dict[str, str]:
        """Code → Chinese name, for labels."""
        return {u.code: u.name_zh for u in self.org_units}

    def subtree(self, code: str) -> set[str]:
        """The codes of an org unit and everything below it."""
        children: dict[str | None, list[str]] = {}
        for unit in self.org_units:
            children.setdefault(unit.parent, []).append(unit.code)
        found, todo = set(), [code]
        while todo:
            current = todo.pop()
            found.add(current)
            todo.extend(children.get(current, []))
        return found

    def indicators(self) -> list[Indicator]:
        """All indicators of all plans, in catalog order."""
        return [ind for plan in self.plans for ind in plan.indicators]

    def indicators_frame(self) -> pl.DataFrame:
        """One row per plan indicator, the input of the progress engine and plan lint."""
        org = {p.id: p.org_unit for p in self.plans}
        rows = [
            {
                "plan": i.plan,
                "indicator": i.id,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "category": i.category,
                "unit": i.unit,
                "plan_org_unit": org[i.plan],
                "base_year": i.base_year,
                "base_value": i.base_value,
                "target_year": i.target_year,
                "target_value": i.target_value,
                "target_text": i.target_text,
                "target_comparator": i.target_comparator,
                "stated_growth": i.stated_growth,
                "growth_kind": i.growth_kind,
                "attribute": i.attribute,
                "direction": i.direction,
                "price_basis": i.price_basis,
                "citation": i.citation.text(),
            }
            for i in self.indicators()
        ]
        return pl.DataFrame(rows, schema=INDICATOR_SCHEMA)

    def reported_observations(self) -> pl.DataFrame:
        """Outcomes printed in results tables, as observations with the table as source."""
        org = {p.id: p.org_unit for p in self.plans}
        rows = [
            {
                "plan": i.plan,
                "indicator": i.id,
                "org_unit": org[i.plan],
                "period": str(i.reported.year),
                "year": i.reported.year,
                "month": None,
                "value": i.reported.value,
                "real_growth": None,
                "is_period_total": i.growth_kind == "cumulative",
                "source": i.citation.place(),
            }
            for i in self.indicators()
            if i.reported is not None
        ]
        return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA)
