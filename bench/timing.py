"""Fair timings for the benchmarks on a shared machine: garbage collected, median of many.

Each timed run starts with ``gc.collect()`` (untimed) and with the previous run's objects
already dropped, so a run never pays for the garbage or the page-cache pressure of the one
before it (the old ``bench_policy.timed`` kept earlier OpenFisca simulations alive; ~2,900
page faults per call inflated ``calculate`` from ~3 ms to ~8 ms). ``interleaved`` runs several
paths round by round (A, B, C, A, B, C …) so that a burst of load from another job falls on
all of them, and reports each path's min / median / max and the per-round ratios.

Import from a script under bench/ (``python bench/x.py`` puts bench/ on the path):
``from timing import Timing, interleaved, timed``.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """The wall times of repeated runs of one path, in seconds."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def min(self) -> float:
        return min(self.runs)

    @property
    def max(self) -> float:
        return max(self.runs)

    def ms(self) -> str:
        """min / median / max in milliseconds, for a table."""
        return f"{self.min * 1e3:7.2f} /{self.median * 1e3:7.2f} /{self.max * 1e3:7.2f} ms"


@dataclass(frozen=True)
class Path:
    """One thing to time: ``run(prepared)`` after an untimed ``setup()``, or ``run()`` alone."""

    run: Callable[..., Any]
    setup: Callable[[], Any] | None = None


def _one(path: Path) -> tuple[float, Any]:
    """One garbage-collected timed run of ``path``; its setup is untimed."""
    prepared = path.setup() if path.setup else None
    gc.collect()
    start = time.perf_counter()
    result = path.run(prepared) if path.setup else path.run()
    seconds = time.perf_counter() - start
    del prepared  # an OpenFisca simulation holds its inputs and caches: never alive in the next run
    return seconds, result


def timed(function: Callable[..., Any], repeat: int, setup: Callable[[], Any] | None = None
          ) -> tuple[Timing, Any]:
    """``repeat`` garbage-collected runs of ``function`` (``setup``, untimed, before each):
    their timing and the last run's result."""
    times, result = [], None
    for _ in range(repeat):
        result = None  # drop the previous run's result before the next run allocates
        seconds, result = _one(Path(function, setup))
        times.append(seconds)
    return Timing(tuple(times)), result


def interleaved(paths: Mapping[str, Path], repeat: int) -> tuple[dict[str, Timing], dict[str, Any]]:
    """``repeat`` rounds, each running every path once in turn (garbage collected before each
    run): the timing of each path and its last result. Per-round ratios: ``ratios``."""
    times: dict[str, list[float]] = {name: [] for name in paths}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, path in paths.items():
            results[name] = None
            seconds, results[name] = _one(path)
            times[name].append(seconds)
    return {name: Timing(tuple(t)) for name, t in times.items()}, results


def ratios(a: Timing, b: Timing) -> Timing:
    """a / b round by round (interleaved runs): the spread of the ratio itself."""
    return Timing(tuple(x / y for x, y in zip(a.runs, b.runs, strict=True)))
