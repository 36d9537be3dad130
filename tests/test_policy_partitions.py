"""A city evaluated partition by partition from hive-partitioned Parquet gives the single pass's
awards to the fen (issue 14 item 4); a partition that does not hold whole enterprises is refused."""

from __future__ import annotations

import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from commerce_brain.cli import app
from commerce_brain.io.enterprise_import import read_policy_data
from commerce_brain.policy.engine import columns_read, evaluate_years, packaged
from commerce_brain.policy.partitions import (
    CANONICAL_ORDER, PartitionError, digest, evaluate_partition, evaluate_partitioned, partition_keys,
    read_awards, read_partition, run_digest, write_partition, write_partitions,
)
from commerce_brain.policy.sample import write_sample
from commerce_brain.policy.synthetic import ORG_UNITS, city
from commerce_brain.policy.vocabulary import Vocabulary

YEARS = [2019, 2020, 2021, 2022, 2023]
runner = CliRunner()


@pytest.fixture(scope="module")
def small_city():
    """2,000 enterprises × 5 years with every event kind the catalog reads, and its single pass."""
    policies, _ = packaged()
    enterprises, facts, events = city(2_000, YEARS, event_kinds=sorted(policies.event_kinds()))
    single = evaluate_years(enterprises, facts, events, YEARS, keep_eid=True).awards
    assert single.height > 500 and single["eid"].n_unique() > 300  # enough awards to tell runs apart
    return enterprises, facts, events, single


@pytest.mark.parametrize("by", ["org_unit", 7])
def test_partitioned_awards_are_the_single_pass_awards(small_city, tmp_path, by):
    enterprises, facts, events, single = small_city
    keys = write_partitions(tmp_path / "city", enterprises, facts, events, by=by)
    assert keys == (sorted(ORG_UNITS) if by == "org_unit" else [f"p{i:04d}" for i in range(7)])
    heard = []
    summaries = evaluate_partitioned(tmp_path / "city", YEARS, out=tmp_path / "out", progress=heard.append)
    assert sorted(s.key for s in summaries) == keys and heard == summaries
    together = read_awards(tmp_path / "out")
    assert together.columns[0] == "eid"
    assert_frame_equal(together, single.sort(CANONICAL_ORDER))
    assert sum(s.amount_fen for s in summaries) == single["amount_fen"].sum()
    assert sum(s.enterprise_years for s in summaries) == facts.height
    # Each partition's digest is the digest of its enterprises' share of the single pass.
    for s in summaries:
        members = pl.read_parquet(tmp_path / "city" / "enterprises" / f"part={s.key}" / "0.parquet")["eid"]
        assert s.digest == digest(single.filter(pl.col("eid").is_in(members.implode())))


def test_every_enterprise_has_all_its_facts_and_events_in_its_own_partition(small_city, tmp_path):
    enterprises, facts, events, _ = small_city
    keys = write_partitions(tmp_path, enterprises, facts, events)
    seen, fact_rows, event_rows = [], 0, 0
    for key in keys:
        part = {t: pl.read_parquet(tmp_path / t / f"part={key}" / "0.parquet") for t in ("enterprises", "facts", "events")}
        assert set(part["enterprises"]["org_unit"]) == {key}
        members = set(part["enterprises"]["eid"])
        assert set(part["facts"]["eid"]) <= members and set(part["events"]["eid"]) <= members
        assert "uscc" not in part["facts"].columns and "uscc" not in part["events"].columns
        seen += part["enterprises"]["eid"].to_list()
        fact_rows += part["facts"].height
        event_rows += part["events"].height
    assert sorted(seen) == list(range(enterprises.height))
    assert (fact_rows, event_rows) == (facts.height, events.height)
    # Deals are the events' rows in the whole city, whichever partition holds them.
    deals = pl.concat(pl.read_parquet(tmp_path / "events" / f"part={k}" / "0.parquet")["deal"] for k in keys)
    assert sorted(deals.to_list()) == list(range(events.height))


def test_a_partition_is_read_with_only_the_columns_the_engine_needs(small_city, tmp_path):
    enterprises, facts, events, _ = small_city
    key = write_partitions(tmp_path, enterprises, facts, events)[0]
    ents, fs, evs = read_partition(tmp_path, key)
    wanted = columns_read(packaged()[0])
    for frame, table in ((ents, "enterprises"), (fs, "facts"), (evs, "events")):
        assert set(frame.columns) <= {*wanted[table], "eid", "deal"}
    # The grading facts are in the file but no rule of the packaged catalog reads all of them.
    on_disk = pl.read_parquet_schema(tmp_path / "facts" / f"part={key}" / "0.parquet")
    assert len(fs.columns) < len(on_disk)


def _move_a_fact(root, source: str, target: str) -> int:
    """Move one fact row of partition ``source`` into ``target``'s facts file; its eid."""
    path = lambda key: root / "facts" / f"part={key}" / "0.parquet"  # noqa: E731
    moved = pl.read_parquet(path(source)).head(1)
    pl.read_parquet(path(source)).slice(1).write_parquet(path(source))
    pl.concat([pl.read_parquet(path(target)), moved]).write_parquet(path(target))
    return moved["eid"].item()


def test_a_partition_whose_facts_name_an_enterprise_not_in_it_is_refused(small_city, tmp_path):
    enterprises, facts, events, _ = small_city
    keys = write_partitions(tmp_path / "city", enterprises, facts, events)
    eid = _move_a_fact(tmp_path / "city", keys[0], keys[1])
    with pytest.raises(PartitionError, match=rf"分区 {keys[1]} 的 facts 中有 1 家企业不在本分区的企业表中（企业编号 {eid} 等）"):
        evaluate_partition(tmp_path / "city", keys[1], YEARS)
    with pytest.raises(PartitionError, match="不在本分区"):
        evaluate_partitioned(tmp_path / "city", YEARS, out=tmp_path / "out")
    # Writing such a partition is refused as well.
    ents, fs, evs = (pl.read_parquet(tmp_path / "city" / t / f"part={keys[1]}" / "0.parquet")
                     for t in ("enterprises", "facts", "events"))
    with pytest.raises(PartitionError, match="不在本分区"):
        write_partition(tmp_path / "other", keys[1], ents, fs, evs)
    assert not (tmp_path / "other").exists()


def test_an_enterprise_in_two_partitions_is_refused(small_city, tmp_path):
    enterprises, facts, events, _ = small_city
    keys = write_partitions(tmp_path / "city", enterprises, facts, events, by=2)
    first = tmp_path / "city" / "enterprises" / f"part={keys[0]}" / "0.parquet"
    second = tmp_path / "city" / "enterprises" / f"part={keys[1]}" / "0.parquet"
    pl.concat([pl.read_parquet(second), pl.read_parquet(first).head(1)]).write_parquet(second)
    with pytest.raises(PartitionError, match="同时在两个分区"):
        evaluate_partitioned(tmp_path / "city", YEARS, out=tmp_path / "out")


@pytest.mark.parametrize("key", ["../escape", "a/b", "", "330802 ", "..", "p" * 65])
def test_a_partition_key_that_is_not_a_plain_name_is_refused(small_city, tmp_path, key):
    enterprises, facts, events, _ = small_city
    with pytest.raises(PartitionError, match="分区名只能由"):
        write_partition(tmp_path / "city", key, enterprises.with_row_index("eid"), facts.clear().select(
            pl.lit(0, dtype=pl.UInt32).alias("eid")), events.clear().select(pl.lit(0, dtype=pl.UInt32).alias("eid")))
    assert not (tmp_path / "escape").exists() and not (tmp_path / "city").exists()


def test_facts_of_an_enterprise_not_in_the_city_are_refused_when_writing(small_city, tmp_path):
    enterprises, facts, events, _ = small_city
    stranger = facts.head(1).with_columns(pl.lit("91330800MA2XXXXXX0").alias("uscc"))
    with pytest.raises(PartitionError, match="facts 中有 1 行的企业不在企业表中（如 91330800MA2XXXXXX0）"):
        write_partitions(tmp_path, enterprises, pl.concat([facts, stranger]), events)
    assert partition_keys(tmp_path) == []


def test_a_second_run_replaces_the_awards_of_the_first(small_city, tmp_path):
    enterprises, facts, events, single = small_city
    write_partitions(tmp_path / "by_unit", enterprises, facts, events)
    write_partitions(tmp_path / "shards", enterprises, facts, events, by=3)
    evaluate_partitioned(tmp_path / "by_unit", YEARS, out=tmp_path / "out")
    summaries = evaluate_partitioned(tmp_path / "shards", YEARS, out=tmp_path / "out")
    assert {s.key for s in summaries} == {"p0000", "p0001", "p0002"}
    assert_frame_equal(read_awards(tmp_path / "out"), single.sort(CANONICAL_ORDER))


def test_cli_writes_a_file_as_partitions_and_evaluates_them(tmp_path, catalog):
    policies, _ = packaged()
    write_sample(tmp_path / "data", n_enterprises=300, seed=42, policies=policies)
    data = read_policy_data(tmp_path / "data", catalog, vocabulary=Vocabulary.of(policies))
    single = evaluate_years(data.enterprises, data.facts, data.events, [2023], keep_eid=True).awards
    done = runner.invoke(app, ["policy", "scale", "write", "--data", str(tmp_path / "data"), "--out",
                               str(tmp_path / "root"), "--shards", "3"])
    assert done.exit_code == 0, done.output
    assert "已写出 3 个分区" in done.stdout and partition_keys(tmp_path / "root") == ["p0000", "p0001", "p0002"]
    done = runner.invoke(app, ["policy", "scale", "evaluate", str(tmp_path / "root"), "--out", str(tmp_path / "out"),
                               "--years", "2023", "--format", "json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["amount_fen"] == single["amount_fen"].sum() > 0 and report["awards"] == single.height
    assert report["digest"] == run_digest({p["key"]: p["digest"] for p in report["partitions"]})
    table = runner.invoke(app, ["policy", "scale", "evaluate", str(tmp_path / "root"), "--out", str(tmp_path / "out"),
                                "--years", "2023"])
    assert table.exit_code == 0 and "合计" in table.stdout and report["digest"] in table.stdout


@pytest.mark.parametrize("args", [
    ["--years", "2023-x"], ["--years", "99999"],
])
def test_cli_refuses_bad_years(tmp_path, args):
    done = runner.invoke(app, ["policy", "scale", "evaluate", str(tmp_path), "--out", str(tmp_path / "o"), *args])
    assert done.exit_code == 2 and "年度" in done.output


def test_cli_refuses_a_folder_without_partitions(tmp_path):
    done = runner.invoke(app, ["policy", "scale", "evaluate", str(tmp_path), "--out", str(tmp_path / "o"),
                               "--years", "2023"])
    assert done.exit_code == 1 and "没有分区" in done.output


def test_cli_writes_a_synthetic_city_one_partition_per_org_unit(tmp_path):
    done = runner.invoke(app, ["policy", "scale", "write", "--synthetic", "30000", "--years", "2021-2023", "--out",
                               str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert partition_keys(tmp_path) == sorted(ORG_UNITS)
    ents = pl.read_parquet(tmp_path / "enterprises" / "**" / "0.parquet", hive_partitioning=True)
    assert ents.height == 10_000 and ents["eid"].n_unique() == 10_000
    assert (ents["org_unit"] == ents["part"]).all()
    facts = pl.read_parquet(tmp_path / "facts" / "**" / "0.parquet")
    assert facts.height == 30_000


def test_a_folder_that_already_holds_partitions_is_not_written_into(small_city, tmp_path):
    enterprises, facts, events, _ = small_city
    write_partitions(tmp_path, enterprises, facts, events)
    before = sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("0.parquet"))
    with pytest.raises(PartitionError, match="中已有分区"):
        write_partitions(tmp_path, enterprises, facts, events, by=3)
    assert partition_keys(tmp_path) == sorted(ORG_UNITS)
    assert sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("0.parquet")) == before
    done = runner.invoke(app, ["policy", "scale", "write", "--synthetic", "1000", "--out", str(tmp_path)])
    assert done.exit_code == 1 and "已有分区" in done.output


def test_a_city_with_a_key_that_is_not_a_plain_name_is_not_written_at_all(small_city, tmp_path):
    enterprises, facts, events, _ = small_city
    # The last org unit in key order is the bad one: nothing is written before it is refused.
    bad = enterprises.with_columns(pl.when(pl.col("org_unit") == "Z33080002").then(pl.lit("zz/.."))
                                   .otherwise(pl.col("org_unit")).alias("org_unit"))
    with pytest.raises(PartitionError, match="分区名只能由"):
        write_partitions(tmp_path / "city", bad, facts, events)
    assert not (tmp_path / "city").exists()
