"""The same partitions on a Dask distributed cluster: a local one of processes in the tests and
on one server, a real one (``dask scheduler`` + ``dask worker`` on county servers) by its
address. Why Dask and not Ray: docs/scale.md.

Partitions are independent (awards never cross enterprises), so the cluster only maps one
function over partitions: each worker reads its partition from shared storage (or generates it,
for ``simulate``), evaluates it and sends back a ``PartitionSummary`` — never the awards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..catalog import Catalog
from .model import PolicyCatalog
from .partitions import PartitionSummary, digest, evaluate_frames, evaluate_partition, prepare_run

if TYPE_CHECKING:
    from distributed import Client

SCHEDULER_ENV = "COMMERCE_BRAIN_DASK_SCHEDULER"


def connect(scheduler: str | None = None, workers: int = 2, *, memory_limit: str | int = "auto") -> Client:
    """A client of the cluster at ``scheduler`` (``tcp://host:8786``, or the environment's
    COMMERCE_BRAIN_DASK_SCHEDULER), else of a new local cluster of ``workers`` processes with one
    thread each and no dashboard; ``client.close()`` also stops a local cluster.

    Each local worker's Polars gets its share of the cores (Polars has its own thread pool:
    two workers each running one on every core would fight for them)."""
    from distributed import Client

    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        return Client(address)
    threads = max(1, (os.cpu_count() or 1) // max(workers, 1))
    return Client(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                  memory_limit=memory_limit, env={"POLARS_MAX_THREADS": str(threads)})


def evaluate_distributed(client: Client, root: Path | str, years: Sequence[int], *, out: Path | str,
                         policies: PolicyCatalog | None = None, catalog: Catalog | None = None,
                         progress: Callable[[PartitionSummary], None] | None = None) -> list[PartitionSummary]:
    """Evaluate every partition under ``root`` on the cluster, largest first; each worker reads
    its partition and writes its awards under ``out/awards`` (both paths must be the same for
    every worker: shared storage). Summaries in key order."""
    keys = prepare_run(root, out)
    futures = client.map(partial(evaluate_partition, str(root)), keys, years=list(years), out=str(out),
                         policies=policies, catalog=catalog, pure=False)
    return _gathered(futures, progress)


@dataclass(frozen=True)
class SimulatedPart:
    """One generated partition of a simulation: its number, size and first enterprise number."""

    part: int
    n_enterprises: int
    eid_start: int

    @property
    def key(self) -> str:
        return f"p{self.part:05d}"


def simulation_plan(enterprise_years: int, parts: int, years: Sequence[int]) -> list[SimulatedPart]:
    """``enterprise_years`` over ``years`` cut into ``parts`` partitions of consecutive
    enterprise numbers, sizes differing by at most one enterprise: the cut of
    ``synthetic_scale.scale_city``, so its single-process city is the simulation's."""
    from itertools import accumulate

    from .synthetic_scale import partition_sizes

    sizes = partition_sizes(enterprise_years // len(years), parts)
    starts = [0, *accumulate(sizes)][:-1]
    return [SimulatedPart(i, size, start) for i, (size, start) in enumerate(zip(sizes, starts, strict=True))]


def simulate_part(part: SimulatedPart, years: Sequence[int], seed: int = 42) -> PartitionSummary:
    """Generate one partition of the lean scale city (``synthetic_scale.partition_city``) and
    evaluate it in memory: what a worker does, nothing read or written."""
    from .synthetic_scale import partition_city

    started = time.perf_counter()
    enterprises, facts, events = partition_city(part.part, part.n_enterprises, years, seed=seed,
                                                eid_start=part.eid_start)
    return evaluate_frames(part.key, enterprises, facts, events, years, started=started)


def simulate(client: Client, enterprise_years: int, *, parts: int, years: Sequence[int], seed: int = 42,
             progress: Callable[[PartitionSummary], None] | None = None) -> list[PartitionSummary]:
    """A city of ``enterprise_years`` generated and evaluated partition by partition on the
    workers; only the summaries travel. Summaries in key order."""
    plan = simulation_plan(enterprise_years, parts, years)
    futures = client.map(simulate_part, plan, years=list(years), seed=seed, pure=False)
    return _gathered(futures, progress)


def digests_by_part(awards: pl.DataFrame, plan: Sequence[SimulatedPart]) -> dict[str, str]:
    """The digest of each simulated partition's share of awards computed in one process (with
    ``eid``): what ``simulate``'s summaries must say, partition by partition."""
    return {p.key: digest(awards.filter(pl.col("eid").is_between(p.eid_start, p.eid_start + p.n_enterprises,
                                                                  closed="left")))
            for p in plan}


def _gathered(futures, progress: Callable[[PartitionSummary], None] | None) -> list[PartitionSummary]:
    """The futures' summaries as they finish (heard by ``progress``), returned in key order;
    the first failure is raised."""
    from distributed import as_completed

    summaries = []
    for future in as_completed(futures):
        summaries.append(future.result())
        if progress is not None:
            progress(summaries[-1])
    return sorted(summaries, key=lambda s: s.key)
