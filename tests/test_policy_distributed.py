"""The same partitions on a local Dask cluster of two worker processes (issue 14 item 5): awards
identical to the single process, evaluated from shared Parquet or generated on the workers."""

from __future__ import annotations

import json
import os

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from commerce_brain.cli import app
from commerce_brain.policy.distributed import (
    SCHEDULER_ENV, connect, digests_by_part, evaluate_distributed, simulate, simulation_plan,
)
from commerce_brain.policy.engine import evaluate_years, packaged
from commerce_brain.policy.partitions import (
    CANONICAL_ORDER, PartitionError, evaluate_partitioned, read_awards, run_digest, write_partitions,
)
from commerce_brain.policy.synthetic import city
from commerce_brain.policy.synthetic_scale import partition_city, scale_city

YEARS = [2019, 2020, 2021, 2022, 2023]
runner = CliRunner()


@pytest.fixture(scope="module")
def client():
    """One local cluster of two worker processes for the module."""
    client = connect(None, workers=2)
    yield client
    client.close()


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory):
    """2,000 enterprises × 5 years as nine org-unit partitions, and the single pass's awards."""
    root = tmp_path_factory.mktemp("city")
    enterprises, facts, events = city(2_000, YEARS, event_kinds=sorted(packaged()[0].event_kinds()))
    write_partitions(root, enterprises, facts, events)
    single = evaluate_years(enterprises, facts, events, YEARS, keep_eid=True).awards
    assert single.height > 500
    return root, single


def test_the_local_cluster_has_two_worker_processes_of_one_thread(client):
    assert [w["nthreads"] for w in client.scheduler_info()["workers"].values()] == [1, 1]
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids
    # Each worker's Polars has its share of the two cores, not both.
    assert set(client.run(lambda: pl.thread_pool_size()).values()) == {max(1, (os.cpu_count() or 1) // 2)}


def test_distributed_awards_are_the_single_process_awards(client, partitioned, tmp_path):
    root, single = partitioned
    summaries = evaluate_distributed(client, root, YEARS, out=tmp_path / "cluster")
    assert_frame_equal(read_awards(tmp_path / "cluster"), single.sort(CANONICAL_ORDER))
    # Evaluated in the workers, not here; the same partition summaries as one process gives.
    assert all(not s.where.endswith(f":{os.getpid()}") for s in summaries)
    alone = evaluate_partitioned(root, YEARS, out=tmp_path / "alone")
    assert [(s.key, s.digest, s.awards, s.amount_fen) for s in summaries] == \
        [(s.key, s.digest, s.awards, s.amount_fen) for s in sorted(alone, key=lambda s: s.key)]


def test_a_bad_partition_fails_the_distributed_run_with_its_reason(client, partitioned, tmp_path):
    root, _ = partitioned
    broken = tmp_path / "broken"
    for table in ("enterprises", "facts", "events"):
        for file in root.glob(f"{table}/part=*/0.parquet"):
            (broken / file.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
            (broken / file.relative_to(root)).write_bytes(file.read_bytes())
    target = broken / "facts" / "part=330802" / "0.parquet"
    stranger = pl.read_parquet(broken / "facts" / "part=330803" / "0.parquet").head(1)
    pl.concat([pl.read_parquet(target), stranger]).write_parquet(target)
    with pytest.raises(PartitionError, match="分区 330802 的 facts 中有 1 家企业不在本分区"):
        evaluate_distributed(client, broken, YEARS, out=tmp_path / "out")


def test_simulate_on_the_cluster_equals_one_process_over_the_same_partitions(client):
    plan = simulation_plan(60_000, 4, YEARS)
    assert [p.n_enterprises for p in plan] == [3_000] * 4 and [p.eid_start for p in plan] == [0, 3_000, 6_000, 9_000]
    summaries = simulate(client, 60_000, parts=4, years=YEARS)
    frames = [partition_city(p.part, p.n_enterprises, YEARS, eid_start=p.eid_start) for p in plan]
    together = [pl.concat([f[i] for f in frames]) for i in range(3)]
    for concatenated, scale in zip(together, scale_city(60_000, YEARS, parts=4), strict=True):
        assert_frame_equal(concatenated, scale)  # the single-process benches' city is the simulation's
    single = evaluate_years(*together, YEARS, keep_eid=True).awards
    assert single.height > 1_000
    expected = digests_by_part(single, plan)
    assert {s.key: s.digest for s in summaries} == expected
    assert sum(s.amount_fen for s in summaries) == single["amount_fen"].sum()
    assert sum(s.awards for s in summaries) == single.height
    assert sum(s.enterprise_years for s in summaries) == 60_000
    assert all(s.peak_rss_bytes > 50 * 2**20 for s in summaries)  # a worker's memory, in bytes
    assert run_digest({s.key: s.digest for s in summaries}) == run_digest(expected)


def test_simulate_with_another_seed_is_another_city(client):
    one = simulate(client, 10_000, parts=2, years=YEARS)
    other = simulate(client, 10_000, parts=2, years=YEARS, seed=7)
    assert [s.digest for s in one] != [s.digest for s in other]
    assert [s.digest for s in one] == [s.digest for s in simulate(client, 10_000, parts=2, years=YEARS)]


def test_a_cluster_is_reached_by_its_address_from_the_environment(client, monkeypatch):
    monkeypatch.setenv(SCHEDULER_ENV, client.scheduler.address)
    with connect() as remote:
        assert remote.scheduler.address == client.scheduler.address
        assert len(remote.scheduler_info()["workers"]) == 2


def test_cli_evaluates_and_simulates_on_a_cluster_by_its_address(client, partitioned, tmp_path):
    root, single = partitioned
    done = runner.invoke(app, ["policy", "scale", "evaluate", str(root), "--out", str(tmp_path / "out"),
                               "--years", "2019-2023", "--scheduler", client.scheduler.address, "--format", "json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["amount_fen"] == single["amount_fen"].sum() and len(report["partitions"]) == 9
    assert_frame_equal(read_awards(tmp_path / "out"), single.sort(CANONICAL_ORDER))
    done = runner.invoke(app, ["policy", "scale", "simulate", "--enterprise-years", "10000", "--parts", "2",
                               "--scheduler", client.scheduler.address])
    assert done.exit_code == 0, done.output
    expected = run_digest({s.key: s.digest for s in simulate(client, 10_000, parts=2, years=YEARS)})
    assert f"校验码 {expected}" in done.stdout and "模拟计算 10,000 企业年，2 个分区" in done.stdout
