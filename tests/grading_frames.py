"""Enterprise-year rows for the grading tests, written in the units people read (万元, 亩, 吨)
and stored as the engine takes them (fen, land × 100, energy × 100, emissions × 1000)."""

from __future__ import annotations

import polars as pl

WAN = 1_000_000  # fen per 万元


def firm(uscc: str, *, above: bool = True, land_mu: float | None = 10, tax_wan: float | None = 240.97,
         va_wan: float | None = 1361.6, employees: int | None = 100, energy_tce: float | None = 680.8,
         kwh: int | None = 1_000_000, emissions_t: float | None = 0.2762, revenue_wan: float | None = 5000,
         rd_wan: float | None = 151, org_unit: str = "330802", industry: str = "C26",
         parcel: str | None = None, industrial: bool | None = True, **flags) -> dict:
    """One enterprise-year; the defaults sit exactly on the default 规上 benchmarks' neighbourhood
    (tax 24.097 万元/亩 on 10 亩)."""
    def scaled(x, factor):
        return None if x is None else round(x * factor)

    return {
        "uscc": uscc, "name": f"企业{uscc}", "org_unit": org_unit, "industry": industry,
        "is_industrial": industrial, "is_above_scale": above, "parcel": parcel,
        "land_area_mu": scaled(land_mu, 100), "tax_paid": scaled(tax_wan, WAN), "value_added": scaled(va_wan, WAN),
        "avg_employees": employees, "energy_tce": scaled(energy_tce, 100), "electricity_kwh": kwh,
        "emissions_t": scaled(emissions_t, 1000), "main_revenue": scaled(revenue_wan, WAN),
        "rd_spend": scaled(rd_wan, WAN), "is_high_tech": flags.get("high_tech", False),
        "safety_incident": flags.get("safety", False), "env_violation": flags.get("env", False),
    }


def frame(*rows: dict) -> pl.DataFrame:
    """The rows as evaluate's input frame."""
    return pl.DataFrame(list(rows), schema_overrides={
        "land_area_mu": pl.Int64, "tax_paid": pl.Int64, "value_added": pl.Int64, "avg_employees": pl.Int64,
        "energy_tce": pl.Int64, "electricity_kwh": pl.Int64, "emissions_t": pl.Int64, "main_revenue": pl.Int64,
        "rd_spend": pl.Int64, "parcel": pl.String, "is_industrial": pl.Boolean, "is_above_scale": pl.Boolean})


def ladder(n: int, *, above: bool = True, prefix: str = "E") -> list[dict]:
    """``n`` enterprises whose totals strictly fall with their number (tax falls by 1 万元/亩 each)."""
    return [firm(f"{prefix}{i:03d}", above=above, tax_wan=240.97 - 10 * i) for i in range(n)]
