"""A synthetic but plausible city of enterprises, their yearly figures and their events.

Seeded, so the demo, the tests and the benchmark see the same city. Distributions follow
what a prefecture city looks like: most firms are small (log-normal revenue, median about
800万元), a third report R&D, a few per thousand list or raise capital, and every event kind
a rule is triggered by occurs at a rate near its real frequency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..uscc import ALPHABET, WEIGHTS
from .frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA, conform

SEED = 42
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
GRADING_STREAM = 12  # the second seed word of the grading facts' own stream (issue 12)
# Where enterprises are registered: 市本级 and its zones, the districts and the counties.
ORG_UNITS = {"330800": 0.12, "Z33080001": 0.05, "Z33080002": 0.03, "330802": 0.20, "330803": 0.14,
             "330822": 0.10, "330824": 0.08, "330825": 0.12, "330881": 0.16}


@dataclass(frozen=True)
class KindSetting:
    """How often an event kind occurs per enterprise-year and what it carries."""

    rate: float
    levels: tuple[str, ...] = ()
    amount_median_yuan: float | None = None
    count_mean: float | None = None


KINDS: dict[str, KindSetting] = {
    "national_high_tech_enterprise": KindSetting(0.010),
    "enterprise_tech_center": KindSetting(0.006, ("provincial", "provincial", "provincial", "national")),
    "first_of_kind_equipment": KindSetting(0.002, ("provincial", "national"), amount_median_yuan=1_000_000),
    "invention_patent_granted": KindSetting(0.050, count_mean=2.0),
    "pct_application": KindSetting(0.005, count_mean=1.5),
    "private_equity_raised": KindSetting(0.002, amount_median_yuan=30_000_000),
    "bond_issued": KindSetting(0.001, amount_median_yuan=300_000_000),
    "green_bond_issued": KindSetting(0.0003, amount_median_yuan=500_000_000),
    "ipo_funds_raised": KindSetting(0.0002, amount_median_yuan=600_000_000),
    "refinancing_invested_locally": KindSetting(0.0003, amount_median_yuan=800_000_000),
    "neeq_listed": KindSetting(0.0005),
    "a_share_filing_accepted": KindSetting(0.0003),
    "a_share_listed": KindSetting(0.0002),
    "overseas_listed": KindSetting(0.00005),
    "green_loan": KindSetting(0.020, amount_median_yuan=10_000_000),
    "standard_led": KindSetting(0.002, ("provincial", "industry", "national", "international")),
    "green_manufacturing_project": KindSetting(0.002, amount_median_yuan=5_000_000),
    "energy_saving_project": KindSetting(0.003, amount_median_yuan=3_000_000),
}
DEFAULT_KIND = KindSetting(0.001, ("provincial", "national"), amount_median_yuan=500_000, count_mean=1.0)
RATINGS = ("dark_green", "medium_green", "light_green")


def city(n_enterprises: int, years: Sequence[int], *, seed: int = SEED,
         event_kinds: Sequence[str] = ()) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``n_enterprises`` enterprises with facts for every year in ``years`` and their events
    of ``event_kinds`` (default: those of ``KINDS``; kinds without a setting at a default rate)."""
    rng = np.random.default_rng(seed)
    enterprises = _enterprises(rng, n_enterprises)
    facts = _facts(rng, enterprises, list(years))
    kinds = {k: KINDS.get(k, DEFAULT_KIND) for k in event_kinds} if event_kinds else dict(KINDS)
    events = _events(rng, enterprises["uscc"].to_numpy(), list(years), kinds)
    # The grading facts come from a stream of their own: drawing them from ``rng`` would move
    # every event drawn after them, and with them the award totals the tests pin.
    grading = _grading_facts(np.random.default_rng([seed, GRADING_STREAM]), enterprises, facts)
    # Every registry fact a column (mu_class is left to grading: empty here).
    return enterprises, conform(pl.concat([facts, grading], how="horizontal"), FACT_SCHEMA), events


def _usccs(rng: np.random.Generator, org_units: np.ndarray) -> np.ndarray:
    # 9 (registered by market regulation) 1 (enterprise), the division code, a 9-char body.
    body = rng.integers(0, len(ALPHABET), size=(len(org_units), 9))
    units, unit_of = np.unique(org_units, return_inverse=True)
    return uscc_codes(division_digits(units)[unit_of], body).to_numpy()


def division_digits(org_units: Sequence[str]) -> np.ndarray:
    """The six digits of each org unit's division code (len × 6): a functional zone is
    registered under the city's."""
    codes = [unit if unit.isdigit() else "330800" for unit in map(str, org_units)]
    return np.array([[int(d) for d in code[:6]] for code in codes], dtype=np.int64).reshape(len(codes), 6)


def uscc_codes(division: np.ndarray, body: np.ndarray) -> pl.Series:
    """Valid codes, check character included: 9 1 (an enterprise registered by market
    regulation), the ``division`` digits (n × 6) and the ``body`` (n × 9 alphabet positions)."""
    n = len(division)
    values = np.hstack([np.full((n, 1), 9), np.full((n, 1), 1), division, body])
    check = (31 - (values @ np.array(WEIGHTS)) % 31) % 31
    # One byte per character, each row viewed as one 18-byte string: no Python per code.
    chars = np.ascontiguousarray(_ALPHABET_BYTES[np.hstack([values, check[:, None]])])
    return pl.Series("uscc", chars.view("S18").ravel()).cast(pl.String)


def _org_units(rng: np.random.Generator, n: int) -> np.ndarray:
    """Where ``n`` enterprises are registered, drawn by ``ORG_UNITS``' shares."""
    return rng.choice(list(ORG_UNITS), size=n, p=np.array(list(ORG_UNITS.values())))


def _is_manufacturing(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.random(n) < 0.45


def _attributes(rng: np.random.Generator, manufacturing: np.ndarray) -> dict[str, np.ndarray]:
    """Industry and the boolean attributes of enterprises, given which manufacture."""
    n = len(manufacturing)
    return {
        "industry": np.where(manufacturing, "C", "F"),
        "is_manufacturing": manufacturing,
        "is_industrial": manufacturing | (rng.random(n) < 0.05),
        "is_listed": rng.random(n) < 0.005,
        "is_provincial_or_central_owned": rng.random(n) < 0.01,
    }


def _enterprises(rng: np.random.Generator, n: int) -> pl.DataFrame:
    units = _org_units(rng, n)
    manufacturing = _is_manufacturing(rng, n)
    usccs = _usccs(rng, units)
    return pl.DataFrame({
        "uscc": usccs,
        "name": [f"演示企业{i:06d}" for i in range(n)],
        "org_unit": units,
        **_attributes(rng, manufacturing),
    }, schema=ENTERPRISE_SCHEMA)


def _facts(rng: np.random.Generator, enterprises: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    revenue, rd = _revenue_and_rd(rng, enterprises.height, len(years))
    return pl.DataFrame({
        "uscc": np.repeat(enterprises["uscc"].to_numpy(), len(years)),
        "year": np.tile(np.array(years, dtype=np.int32), enterprises.height),
        "main_revenue": revenue,
        "rd_spend": rd,
    }, schema={k: FACT_SCHEMA[k] for k in ("uscc", "year", "main_revenue", "rd_spend")})


def _revenue_and_rd(rng: np.random.Generator, n: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Main revenue and R&D spend in fen of ``n`` enterprises over ``t`` years, enterprise by
    enterprise (each one's years together)."""
    revenue0 = rng.lognormal(mean=np.log(8_000_000), sigma=1.5, size=n)
    growth = rng.normal(0.06, 0.15, size=(n, t)).cumsum(axis=1)
    revenue = revenue0[:, None] * np.exp(growth)
    rd_share = np.where(rng.random(n) < 0.33, rng.uniform(0.005, 0.07, size=n), 0.0)
    rd = revenue * rd_share[:, None] * rng.lognormal(0, 0.2, size=(n, t))
    return np.round(revenue.ravel() * 100).astype(np.int64), np.round(rd.ravel() * 100).astype(np.int64)


def _grading_facts(rng: np.random.Generator, enterprises: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """The 亩均效益 facts of each enterprise-year (columns only, in the facts' row order).

    Industrial enterprises only (the others have none): land 3–300 亩 (log-normal), tax ≈ 3–8% of
    revenue, value added ≈ 18–35%, employees by revenue, energy and electricity by value added,
    emissions with about 5% empty; about 10% 规下, some of them
    under 3 亩; a few parcels shared by two enterprises; a few safety incidents and penalties.
    Constant over an enterprise's years where the real thing is (land, parcel), drawn per year
    where it moves."""
    n, rows = enterprises.height, facts.height
    t = rows // max(n, 1)
    industrial = np.repeat(enterprises["is_industrial"].to_numpy(), t)
    revenue = facts["main_revenue"].to_numpy() / 100  # yuan
    land = np.repeat(np.clip(rng.lognormal(np.log(25), 1.0, size=n), 3, 300), t)
    small = rng.random(n) < 0.1
    land = np.where(np.repeat(small & (rng.random(n) < 0.3), t), np.repeat(rng.uniform(0.5, 2.99, size=n), t), land)
    above = ~np.repeat(small, t)
    tax = revenue * rng.uniform(0.03, 0.08, size=rows)
    added = revenue * rng.uniform(0.18, 0.35, size=rows)
    employees = np.maximum(1, np.round(revenue / rng.uniform(400_000, 1_200_000, size=rows)))
    energy = added / 10_000 * rng.uniform(0.1, 0.8, size=rows)  # tce per 万元 of value added
    electricity = np.round(energy * rng.uniform(2_000, 6_000, size=rows))
    emissions = added / 1_000_000 * rng.uniform(0.05, 0.5, size=rows)
    emissions_given = rng.random(rows) >= 0.05
    # A few parcels shared by two neighbouring enterprises: the second takes the first's number.
    parcel = np.array([f"QZ-{i:06d}" for i in range(n)], dtype=object)
    shared = np.flatnonzero(rng.random(n) < 0.01)
    shared = shared[shared + 1 < n]
    parcel[shared + 1] = parcel[shared]
    incident = rng.random(rows) < 0.005
    penalty = rng.random(rows) < 0.01
    high_tech = np.repeat(rng.random(n) < 0.06, t)

    def when_industrial(values: np.ndarray, dtype) -> pl.Series:
        return pl.Series(values).cast(dtype).zip_with(pl.Series(industrial), pl.Series([None], dtype=dtype))

    return pl.DataFrame([
        when_industrial(np.round(tax * 100).astype(np.int64), pl.Int64).alias("tax_paid"),
        when_industrial(np.round(added * 100).astype(np.int64), pl.Int64).alias("value_added"),
        when_industrial(np.round(land * 100).astype(np.int64), pl.Int64).alias("land_area_mu"),
        when_industrial(employees.astype(np.int64), pl.Int64).alias("avg_employees"),
        when_industrial(np.round(energy * 100).astype(np.int64), pl.Int64).alias("energy_tce"),
        when_industrial(electricity.astype(np.int64), pl.Int64).alias("electricity_kwh"),
        when_industrial(np.round(emissions * 1000).astype(np.int64), pl.Int64).alias("emissions_t")
        .zip_with(pl.Series(emissions_given), pl.Series([None], dtype=pl.Int64)),
        when_industrial(above, pl.Boolean).alias("is_above_scale"),
        when_industrial(np.repeat(parcel, t), pl.String).alias("parcel"),
        when_industrial(high_tech, pl.Boolean).alias("is_high_tech"),
        when_industrial(incident, pl.Boolean).alias("safety_incident"),
        when_industrial(penalty, pl.Boolean).alias("env_violation"),
    ])


def _events(rng: np.random.Generator, keys: np.ndarray, years: list[int],
            kinds: dict[str, KindSetting], *, key: str = "uscc") -> pl.DataFrame:
    """Events of every kind in ``kinds`` for the enterprises ``keys`` (column ``key``: their
    uscc, or their eid for the scale city), kind after kind."""
    frames = []
    schema = {(key if c == "uscc" else c): (pl.UInt32 if c == "uscc" and key == "eid" else t)
              for c, t in EVENT_SCHEMA.items()}
    rows_key = np.repeat(keys, len(years))
    rows_year = np.tile(np.array(years, dtype=np.int32), len(keys))
    for kind, s in kinds.items():
        hit = np.flatnonzero(rng.random(len(rows_key)) < s.rate)
        m = len(hit)
        if m == 0:
            continue
        year = rows_year[hit]
        day = rng.integers(0, 365, size=m)
        date = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day
        amount = (np.round(rng.lognormal(np.log(s.amount_median_yuan), 0.8, size=m) * 100).astype(np.int64)
                  if s.amount_median_yuan else np.full(m, None))
        green = kind == "green_loan"
        frames.append(pl.DataFrame({
            key: rows_key[hit],
            "date": date,
            "year": year,
            "kind": np.full(m, kind),
            "level": rng.choice(s.levels, size=m) if s.levels else np.full(m, None),
            "amount": amount,
            "count": rng.poisson(s.count_mean, size=m) + 1 if s.count_mean else np.full(m, None),
            "subject": np.full(m, None),
            "rating": rng.choice(RATINGS, size=m) if green else np.full(m, None),
            "local_share": rng.integers(500_000, 1_000_001, size=m) if kind == "ipo_funds_raised" else np.full(m, None),
            "benchmark_rate": np.full(m, 43_500) if green else np.full(m, None),
            "days": rng.integers(90, 366, size=m) if green else np.full(m, None),
            "assessed_award": np.full(m, None),
            "already_paid": np.full(m, None),
        }, schema=schema, strict=False))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)
