"""A city split into partitions of whole enterprises, on disk as hive-partitioned Parquet, and
evaluated one partition at a time.

Awards never cross enterprises and arbitration is per enterprise × subject, so a partition
holding whole enterprises — each with all its facts and events — is evaluated alone, and the
partitions' awards, put together and sorted as the engine sorts, are the single pass's awards.
Peak memory is then that of the largest partition, not of the city.

Layout (``KEY`` an org-unit code, or a shard token such as ``p0007``)::

    ROOT/enterprises/part=KEY/0.parquet   enterprises with their global integer key ``eid``
    ROOT/facts/part=KEY/0.parquet         enterprise-years, keyed by ``eid``
    ROOT/events/part=KEY/0.parquet        events, keyed by ``eid``, with their global ``deal``
    OUT/awards/part=KEY/0.parquet         what ``evaluate_partition`` writes

``eid`` and ``deal`` are global (unique across partitions): an award names its enterprise by
``eid`` and an event without a subject by its ``deal`` ("events第N行"), so they must not depend
on how the city was cut.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import resource
import shutil
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..catalog import Catalog
from .engine import AWARD_COLUMNS, columns_read, evaluate_years, packaged
from .model import PolicyCatalog

TABLES = ("enterprises", "facts", "events")
# The engine's order of awards (with the enterprise's number), then every other column, so that
# awards equal in the engine's keys (two tranches, say) still have one canonical order.
AWARD_ORDER = ["year", "eid", "policy", "rule", "subject", "payee"]
CANONICAL_ORDER = AWARD_ORDER + [c for c in AWARD_COLUMNS if c not in AWARD_ORDER]
# A key becomes a directory name: letters, digits, '_' and '-' only (no '/', no '..').
SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
DIGEST_CHUNK = 250_000  # awards hashed per slice (~50 MB of CSV text): a partition's is never whole


class PartitionError(ValueError):
    """A partition the engine must not evaluate alone (an enterprise outside it, a bad key)."""


@dataclass(frozen=True)
class PartitionSummary:
    """What one partition's evaluation gives back: small, so a cluster sends only these."""

    key: str
    enterprise_years: int
    awards: int
    amount_fen: int
    digest: str  # sha256 of the partition's awards in canonical order (see ``digest``)
    seconds: float
    peak_rss_bytes: int  # the evaluating process's peak resident memory so far
    where: str = ""  # host:pid of the process that evaluated it


def write_partitions(root: Path | str, enterprises: pl.DataFrame, facts: pl.DataFrame | None,
                     events: pl.DataFrame | None, *, by: str | int = "org_unit") -> list[str]:
    """Write a city as partitions under ``root``; return their keys.

    ``by`` is an enterprise column (``org_unit``: one partition per org unit) or a number of
    shards (consecutive ranges of enterprises, keys ``p0000``…). Enterprises without ``eid``
    are numbered by their row and events without ``deal`` by theirs, as the engine numbers
    them in a single pass, so the partitioned awards name the same enterprises and deals.
    Facts and events keyed by ``uscc`` are keyed by ``eid``; one naming an enterprise not in
    ``enterprises`` is refused. All or nothing: nothing is written unless every partition can
    be, and a ``root`` that already holds partitions is refused (two cities would mix).
    """
    _check_empty(root)
    enterprises = (enterprises.with_columns(pl.col("eid").cast(pl.UInt32)) if "eid" in enterprises.columns
                   else enterprises.with_row_index("eid"))
    if isinstance(by, int):
        shard = (pl.int_range(pl.len(), dtype=pl.Int64) * by // pl.len()).cast(pl.String).str.zfill(4)
        keyed = enterprises.with_columns(pl.format("p{}", shard).alias("_part"))
    else:
        keyed = enterprises.with_columns(pl.col(by).cast(pl.String).alias("_part"))
    facts = _keyed_by_eid(facts if facts is not None else pl.DataFrame({"uscc": [], "year": []},
                                                                         schema={"uscc": pl.String, "year": pl.Int32}),
                          enterprises, "facts")
    if events is not None and "deal" not in events.columns:
        events = events.with_row_index("deal")
    events = _keyed_by_eid(events if events is not None else pl.DataFrame(
        {"uscc": [], "deal": []}, schema={"uscc": pl.String, "deal": pl.UInt32}), enterprises, "events")
    where = keyed.select("eid", "_part")
    tables = {
        "enterprises": keyed,
        "facts": facts.join(where, on="eid", how="left"),
        "events": events.join(where, on="eid", how="left"),
    }
    keys = sorted(keyed["_part"].unique().to_list())
    for key in keys:
        _check_key(key)
    split = {name: frame.partition_by("_part", as_dict=True, include_key=False) for name, frame in tables.items()}
    for key in keys:
        write_partition(root, key, *(split[name].get((key,), tables[name].clear().drop("_part")) for name in TABLES))
    return keys


def write_partition(root: Path | str, key: str, enterprises: pl.DataFrame, facts: pl.DataFrame,
                    events: pl.DataFrame) -> None:
    """Write one partition (enterprises with ``eid``; facts and events keyed by ``eid``, events
    with ``deal``). Refused if a fact or event names an enterprise not in it."""
    _check_key(key)
    check_members(key, enterprises, facts, events)
    for name, frame in zip(TABLES, (enterprises, facts, events), strict=True):
        path = _file(root, name, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)


def write_synthetic(root: Path | str, enterprise_years: int, years: Sequence[int], *, shards: int | None = None,
                    seed: int = 42) -> list[str]:
    """Write the lean scale city (``synthetic_scale.partition_city``) of ``enterprise_years``
    over ``years`` as partitions, generating one partition at a time (the city is never whole
    in memory): one per org unit, sized by the sample city's shares (``synthetic.ORG_UNITS``),
    or ``shards`` partitions of enterprises from every org unit. Returns the keys."""
    from .synthetic import ORG_UNITS
    from .synthetic_scale import partition_city

    _check_empty(root)
    n = enterprise_years // len(years)
    if shards is None:
        units = sorted(ORG_UNITS)
        sizes = [int(n * ORG_UNITS[u]) for u in units]
        sizes[sizes.index(max(sizes))] += n - sum(sizes)  # the rounding's remainder to the largest
        keys: list[str | None] = list(units)
    else:
        sizes = [n // shards + (i < n % shards) for i in range(shards)]
        keys = [None] * shards
    start = 0
    written = []
    for part, (unit, size) in enumerate(zip(keys, sizes, strict=True)):
        frames = partition_city(part, size, years, seed=seed, eid_start=start, org_unit=unit)
        written.append(unit or f"p{part:04d}")
        write_partition(root, written[-1], *frames)
        start += size
    return written


def run_digest(digests: Mapping[str, str]) -> str:
    """One hash over a run's partition digests (key → digest, taken in key order): two runs
    over the same partitions agree on it exactly when every partition's awards agree."""
    lines = "".join(f"{key} {digests[key]}\n" for key in sorted(digests))
    return hashlib.sha256(lines.encode()).hexdigest()


def partition_keys(root: Path | str) -> list[str]:
    """The partitions under ``root``, in key order."""
    base = Path(root) / "enterprises"
    if not base.is_dir():
        return []
    return sorted(p.name.removeprefix("part=") for p in base.iterdir() if p.name.startswith("part="))


def read_partition(root: Path | str, key: str,
                   policies: PolicyCatalog | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One partition's enterprises, facts and events, reading only the columns the engine
    needs for ``policies`` (``engine.columns_read``: a lean input is part of the design, each
    unread column would be read, held and carried for nothing). Refused if a fact or event
    names an enterprise not in the partition."""
    _check_key(key)
    wanted = columns_read(policies or packaged()[0])
    frames = []
    for name in TABLES:
        path = _file(root, name, key)
        if not path.is_file():
            raise PartitionError(f"分区 {key} 缺少 {name} 文件：{path}")
        present = pl.read_parquet_schema(path)
        keys = ["eid", "deal"] if name == "events" else ["eid"]
        columns = [c for c in dict.fromkeys([*keys, *wanted[name]]) if c in present]
        frames.append(pl.read_parquet(path, columns=columns))
    enterprises, facts, events = frames
    check_members(key, enterprises, facts, events)
    return enterprises, facts, events


def check_members(key: str, enterprises: pl.DataFrame, facts: pl.DataFrame, events: pl.DataFrame) -> None:
    """Refuse a partition whose facts or events name an enterprise not in it, or whose
    enterprises are numbered twice: evaluated alone, its awards would be wrong (an enterprise's
    facts split across partitions lose their previous year; its caps would count twice)."""
    for name, frame in zip(TABLES, (enterprises, facts, events), strict=True):
        if "eid" not in frame.columns:
            raise PartitionError(f"分区 {key} 的 {name} 没有企业编号列 eid")
    if enterprises["eid"].is_duplicated().any():
        raise PartitionError(f"分区 {key} 的企业表中有重复的企业编号")
    members = enterprises.select("eid")
    for name, frame in (("facts", facts), ("events", events)):
        strangers = frame.select(pl.col("eid").cast(members["eid"].dtype)).unique().join(members, on="eid", how="anti")
        if strangers.height:
            first = strangers["eid"].sort().head(3).to_list()
            raise PartitionError(f"分区 {key} 的 {name} 中有 {strangers.height} 家企业不在本分区的企业表中"
                                 f"（企业编号 {'、'.join(map(str, first))} 等）：企业的全部数据必须在同一分区")


def evaluate_partition(root: Path | str, key: str, years: Sequence[int], *, policies: PolicyCatalog | None = None,
                       catalog: Catalog | None = None, out: Path | str | None = None) -> PartitionSummary:
    """Read one partition, evaluate it, and (when ``out`` is given) write its awards to
    ``out/awards/part=KEY/0.parquet``; only the summary is returned, so no caller holds
    every partition's awards."""
    started = time.perf_counter()
    enterprises, facts, events = read_partition(root, key, policies)
    return evaluate_frames(key, enterprises, facts, events, years, policies=policies, catalog=catalog, out=out,
                           started=started)


def evaluate_frames(key: str, enterprises: pl.DataFrame, facts: pl.DataFrame, events: pl.DataFrame,
                    years: Sequence[int], *, policies: PolicyCatalog | None = None, catalog: Catalog | None = None,
                    out: Path | str | None = None, started: float | None = None) -> PartitionSummary:
    """Evaluate one partition already in memory (read, or generated on a worker) and summarise
    it; ``started`` is when its reading or generating began, to count that time too."""
    started = time.perf_counter() if started is None else started
    awards = evaluate_years(enterprises, facts, events, years, policies=policies, catalog=catalog,
                            keep_eid=True).awards
    if out is not None:
        path = Path(out) / "awards" / f"part={key}" / "0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        awards.write_parquet(path)
    return PartitionSummary(
        key=key, enterprise_years=facts.height, awards=awards.height,
        amount_fen=int(awards["amount_fen"].sum()), digest=digest(awards),
        seconds=time.perf_counter() - started, peak_rss_bytes=peak_rss_bytes(),
        where=f"{socket.gethostname()}:{os.getpid()}",
    )


def evaluate_partitioned(root: Path | str, years: Sequence[int], *, out: Path | str,
                         policies: PolicyCatalog | None = None, catalog: Catalog | None = None,
                         progress: Callable[[PartitionSummary], None] | None = None) -> list[PartitionSummary]:
    """Evaluate every partition under ``root``, one at a time (memory bounded by the largest),
    writing the awards under ``out/awards`` (replaced); ``progress`` hears each summary."""
    keys = prepare_run(root, out)
    summaries = []
    for key in keys:
        summaries.append(evaluate_partition(root, key, years, policies=policies, catalog=catalog, out=out))
        if progress is not None:
            progress(summaries[-1])
    return summaries


def prepare_run(root: Path | str, out: Path | str) -> list[str]:
    """The keys to evaluate, largest partition first (so a cluster does not wait on it last),
    after checking no enterprise is in two partitions; clears ``out/awards`` of an earlier run."""
    keys = partition_keys(root)
    if not keys:
        raise PartitionError(f"{root} 下没有分区（应有 enterprises/part=…/0.parquet）")
    numbers = pl.scan_parquet([_file(root, "enterprises", k) for k in keys]).select(
        (pl.col("eid").n_unique() == pl.len()).alias("unique")).collect()
    if not numbers["unique"].item():
        raise PartitionError(f"{root} 中有企业同时在两个分区（企业编号重复）")
    shutil.rmtree(Path(out) / "awards", ignore_errors=True)
    return sorted(keys, key=lambda k: -_file(root, "facts", k).stat().st_size)


def read_awards(out: Path | str) -> pl.DataFrame:
    """Every partition's awards under ``out``, together and in the engine's order (with eid)."""
    files = sorted((Path(out) / "awards").glob("part=*/0.parquet"))
    if not files:
        return pl.DataFrame()
    return pl.scan_parquet(files, hive_partitioning=False).sort(CANONICAL_ORDER).collect()


def digest(awards: pl.DataFrame) -> str:
    """A stable hash of awards (sha256 of their CSV text in canonical order, written a slice at
    a time): equal digests mean equal awards to the fen, whichever process computed them."""
    sha = hashlib.sha256()
    for chunk in awards.sort(CANONICAL_ORDER).iter_slices(DIGEST_CHUNK):
        text = io.BytesIO()  # bytes straight from the writer: no str copied and encoded again
        chunk.write_csv(text, include_header=False)
        sha.update(text.getbuffer())
    return sha.hexdigest()


def peaks_by_worker(summaries: Sequence[PartitionSummary]) -> dict[str, int]:
    """Each worker process's peak resident memory (the largest its summaries reported)."""
    peaks: dict[str, int] = {}
    for s in summaries:
        peaks[s.where] = max(peaks.get(s.where, 0), s.peak_rss_bytes)
    return peaks


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _keyed_by_eid(frame: pl.DataFrame, enterprises: pl.DataFrame, name: str) -> pl.DataFrame:
    """``frame`` keyed by ``eid`` (joined once from ``uscc`` if need be); refused if a row names
    an enterprise not in ``enterprises``."""
    if "eid" in frame.columns:
        return frame
    keyed = frame.join(enterprises.select("uscc", "eid"), on="uscc", how="left")
    unknown = keyed.filter(pl.col("eid").is_null())
    if unknown.height:
        raise PartitionError(f"{name} 中有 {unknown.height} 行的企业不在企业表中（如 {unknown['uscc'][0]}）")
    return keyed.drop("uscc")


def _check_empty(root: Path | str) -> None:
    if partition_keys(root):
        raise PartitionError(f"{root} 中已有分区：请写到一个新的目录")


def _check_key(key: str) -> None:
    if not SAFE_KEY.fullmatch(key or ""):
        raise PartitionError(f"分区名只能由字母、数字、下划线和连字符组成：{key!r}")


def _file(root: Path | str, table: str, key: str) -> Path:
    return Path(root) / table / f"part={key}" / "0.parquet"
