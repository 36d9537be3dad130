"""The synthetic city at province and national scale, generated partition by partition.

``synthetic.city`` draws a whole city from one random stream and keys everything by the
18-character credit code: fine for the tests' pinned city, too heavy for 10⁸ enterprise-years.
Here each partition is drawn alone from the stream (seed, part), so a worker can generate its
own partition without seeing the others, and the tables come lean, as a reader projected to
``engine.columns_read`` would give them:

- enterprises: ``eid`` (a global UInt32 key: partition ``part`` holds ``eid_start`` …
  ``eid_start + n - 1``), uscc, name, org_unit, industry and the boolean attributes;
- facts keyed by ``eid``, with only ``main_revenue`` and ``rd_spend``: the yearly facts the
  packaged catalog's rules read (the 亩均 grading facts are the grading's, not the rules');
- events keyed by ``eid`` with a global ``deal`` number.

The distributions are ``synthetic.city``'s (its helpers draw them). The credit code is built
from the eid (a bijection onto the 9-character body), so codes never collide, however large
the city.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from ..uscc import ALPHABET
from .frames import ENTERPRISE_SCHEMA
from .synthetic import (
    DEFAULT_KIND,
    KINDS,
    ORG_UNITS,
    SEED,
    _attributes,
    _events,
    _is_manufacturing,
    _revenue_and_rd,
    division_digits,
    uscc_codes,
)

SCALE_STREAM = 14  # the second seed word of the partitions' streams (issue 14)
_BODIES = len(ALPHABET) ** 9
# eid → body is eid × _SPREAD mod 31⁹: a bijection (the factor is prime to 31), so codes of
# neighbouring enterprises do not look alike.
_SPREAD = 1_000_003
UINT32_LIMIT = 2**32


def deal_slots(years: Sequence[int], event_kinds: Sequence[str] = ()) -> int:
    """Deal numbers reserved per enterprise: twice the expected events of one enterprise
    over ``years``, plus four. Partition ``part`` numbers its events from
    ``eid_start × deal_slots``, so deals are unique across partitions without any partition
    knowing another's count (``partition_city`` refuses a draw that would overrun)."""
    rates = sum(s.rate for s in _kinds(event_kinds).values())
    return math.ceil(2 * rates * len(years)) + 4


def partition_city(part: int, n_enterprises: int, years: Sequence[int], *, seed: int = SEED,
                   eid_start: int = 0, org_unit: str | None = None,
                   event_kinds: Sequence[str] = ()) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Partition ``part`` of the scale city: ``n_enterprises`` enterprises numbered from
    ``eid_start``, their facts for every year in ``years`` and their events of ``event_kinds``
    (default: those of ``synthetic.KINDS``). Deterministic from (seed, part).

    ``org_unit`` given: every enterprise of the partition is registered there (a partition by
    org unit); None: each drawn by ``synthetic.ORG_UNITS``' shares.
    """
    years = list(years)
    slots = deal_slots(years, event_kinds)
    if (eid_start + n_enterprises) * slots >= UINT32_LIMIT:
        raise ValueError(f"eids up to {eid_start + n_enterprises:,} × {slots} deal slots overflow UInt32")
    rng = np.random.default_rng([seed, SCALE_STREAM, part])
    eid = np.arange(eid_start, eid_start + n_enterprises, dtype=np.uint32)
    enterprises = _enterprises(rng, eid, org_unit)
    revenue, rd = _revenue_and_rd(rng, n_enterprises, len(years))
    facts = pl.DataFrame({
        "eid": np.repeat(eid, len(years)),
        "year": np.tile(np.array(years, dtype=np.int32), n_enterprises),
        "main_revenue": revenue,
        "rd_spend": rd,
    })
    events = _events(rng, eid, years, _kinds(event_kinds), key="eid")
    if events.height > n_enterprises * slots:
        raise ValueError(f"partition {part} drew {events.height:,} events, more than its "
                         f"{n_enterprises * slots:,} deal numbers")
    first_deal = eid_start * slots
    events = events.with_columns(
        (pl.int_range(0, pl.len(), dtype=pl.UInt32) + pl.lit(first_deal, dtype=pl.UInt32)).alias("deal"))
    return enterprises, facts, events


def scale_city(n_enterprise_years: int, years: Sequence[int], *, parts: int, seed: int = SEED,
               event_kinds: Sequence[str] = ()) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``parts`` partitions (consecutive eid ranges) of a city of about ``n_enterprise_years``
    enterprise-years over ``years``, concatenated: the single-process input."""
    sizes = partition_sizes(n_enterprise_years // len(years), parts)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    frames = [partition_city(p, int(n), years, seed=seed, eid_start=int(start), event_kinds=event_kinds)
              for p, (n, start) in enumerate(zip(sizes, starts, strict=True))]
    return tuple(pl.concat(tables, rechunk=True) for tables in zip(*frames, strict=True))


def partition_sizes(n_enterprises: int, parts: int) -> list[int]:
    """``n_enterprises`` split into ``parts`` near-equal consecutive ranges (the first ones
    one larger when it does not divide)."""
    base, extra = divmod(n_enterprises, parts)
    return [base + (1 if p < extra else 0) for p in range(parts)]


def _kinds(event_kinds: Sequence[str]) -> dict:
    return {k: KINDS.get(k, DEFAULT_KIND) for k in event_kinds} if event_kinds else dict(KINDS)


def _enterprises(rng: np.random.Generator, eid: np.ndarray, org_unit: str | None) -> pl.DataFrame:
    n = len(eid)
    units = list(ORG_UNITS) if org_unit is None else [org_unit]
    # Drawn as an index into the few org units, so no per-enterprise string work is needed.
    unit_of = (rng.choice(len(units), size=n, p=np.array(list(ORG_UNITS.values())))
               if org_unit is None else np.zeros(n, dtype=np.int64))
    manufacturing = _is_manufacturing(rng, n)
    spread = eid.astype(np.int64) * _SPREAD % _BODIES
    body = (spread[:, None] // len(ALPHABET) ** np.arange(8, -1, -1)) % len(ALPHABET)
    frame = pl.DataFrame({
        "eid": eid,
        "uscc": uscc_codes(division_digits(units)[unit_of], body),
        "org_unit": pl.Series(unit_of, dtype=pl.UInt32).replace_strict(
            list(range(len(units))), units, return_dtype=pl.String),
        **_attributes(rng, manufacturing),
    })
    return frame.with_columns(pl.format("演示企业{}", pl.col("eid").cast(pl.String).str.zfill(8)).alias("name")).select(
        "eid", *ENTERPRISE_SCHEMA)
