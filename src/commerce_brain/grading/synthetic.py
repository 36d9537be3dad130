"""A synthetic but plausible year of industrial enterprises for the grading (tests, bench).

Seeded. Per-mu figures are log-normal around the benchmarks of ``mu_benefit.yaml`` (a county's
averages), so classes spread as in a real county: 60% 规上, land 1–300 亩 (规下 smaller, some under
3 亩), ~5% without emissions data, 2% on a parcel shared with one other enterprise, a few high-
tech enterprises, safety incidents and environmental penalties, 10% outside industry."""

from __future__ import annotations

import numpy as np
import polars as pl

from ..policy.synthetic import ORG_UNITS

INDUSTRIES = ("C13", "C17", "C26", "C30", "C33", "C38", "C39", "D44")


def synthetic_grading_facts(n: int, *, seed: int = 12, year: int = 2023) -> pl.DataFrame:
    """``n`` enterprises' facts for ``year`` in ``evaluate``'s input shape (money in fen, land and
    energy × 100, emissions × 1000)."""
    rng = np.random.default_rng(seed)

    def lognormal(median: float, sigma: float = 0.6) -> np.ndarray:
        return rng.lognormal(np.log(median), sigma, n)

    above = rng.random(n) < 0.6
    industry = np.where(rng.random(n) < 0.9, rng.choice(INDUSTRIES, n), "F51")
    land_mu = np.clip(np.where(above, lognormal(30, 0.8), lognormal(6, 0.7)), 1, 300)
    tax_wan = land_mu * np.where(above, lognormal(24), lognormal(11))
    value_added_wan = tax_wan * lognormal(5.5, 0.3)
    revenue_wan = value_added_wan * lognormal(4, 0.3)
    emissions = np.round(value_added_wan / lognormal(4900) * 1000)
    shared = np.arange(n) < 2 * (n // 100)  # the first 2% in pairs: P0 twice, P1 twice, …
    return pl.DataFrame({
        "uscc": [f"91330800SYN{i:07d}" for i in range(n)],
        "name": [f"衢州市模拟工业企业{i}号" for i in range(n)],
        "org_unit": rng.choice(list(ORG_UNITS), n, p=np.array(list(ORG_UNITS.values())) / sum(ORG_UNITS.values())),
        "industry": industry,
        "is_industrial": industry != "F51",
        "year": np.full(n, year, dtype=np.int32),
        "is_above_scale": above,
        "parcel": np.where(shared, np.char.add("P", (np.arange(n) // 2).astype(str)), None),
        "land_area_mu": np.round(land_mu * 100).astype(np.int64),
        "tax_paid": np.round(tax_wan * 1_000_000).astype(np.int64),
        "value_added": np.round(value_added_wan * 1_000_000).astype(np.int64),
        "main_revenue": np.round(revenue_wan * 1_000_000).astype(np.int64),
        "rd_spend": np.round(revenue_wan * lognormal(0.03, 0.8) * 1_000_000).astype(np.int64),
        "avg_employees": np.maximum(np.round(value_added_wan / lognormal(18)), 1).astype(np.int64),
        "energy_tce": np.round(value_added_wan / lognormal(2.7) * 100).astype(np.int64),
        "electricity_kwh": np.round(tax_wan * 10_000 / lognormal(0.24)).astype(np.int64),
        "emissions_t": pl.Series(emissions.astype(np.int64)).set(pl.Series(rng.random(n) < 0.05), None),
        "is_high_tech": rng.random(n) < 0.08,
        "safety_incident": rng.random(n) < 0.005,
        "env_violation": rng.random(n) < 0.01,
    })
