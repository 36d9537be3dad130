"""Integer enterprise keys (issue 14, item 3): the engine joins and arbitrates on ``eid``.

Enterprises may bring their own global ``eid`` (in any order), facts and events may be keyed
by it instead of the credit code, events may bring their ``deal`` number, and ``keep_eid``
returns it with the awards. Whatever the keying, the awards are the same to the fen; the lean
scale city (``synthetic_scale``) is drawn partition by partition, deterministically.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from commerce_brain.policy.engine import AWARD_COLUMNS, PolicyDataError, columns_read, evaluate_years, packaged
from commerce_brain.policy.synthetic import city
from commerce_brain.policy.synthetic_scale import deal_slots, partition_city, partition_sizes, scale_city
from commerce_brain.uscc import is_valid_uscc

YEARS = [2019, 2020, 2021, 2022, 2023]
ORDER = ["year", "eid", "policy", "rule", "subject", "payee"]


@pytest.fixture(scope="module")
def catalogs():
    return packaged()


@pytest.fixture(scope="module")
def sample(catalogs):
    """A city of 4,000 enterprises with every event kind the catalog's rules are triggered by."""
    policies, _ = catalogs
    return city(4_000, YEARS, event_kinds=sorted(policies.event_kinds()))


@pytest.fixture(scope="module")
def by_uscc(sample, catalogs):
    policies, catalog = catalogs
    return evaluate_years(*sample, YEARS, policies=policies, catalog=catalog, keep_eid=True)


def by_eid(enterprises: pl.DataFrame, facts: pl.DataFrame, events: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """The same city keyed by integers: enterprises numbered by row, facts and events by eid
    (no credit code), every event with its row as its deal."""
    numbered = enterprises.with_row_index("eid")
    keys = numbered.select("uscc", "eid")
    return (numbered,
            facts.join(keys, on="uscc", maintain_order="left").drop("uscc"),
            events.with_row_index("deal").join(keys, on="uscc", maintain_order="left").drop("uscc"))


def run(catalogs, *frames, **options):
    policies, catalog = catalogs
    return evaluate_years(*frames, YEARS, policies=policies, catalog=catalog, **options)


def test_eid_keyed_input_gives_the_awards_of_uscc_keyed_input(sample, by_uscc, catalogs):
    result = run(catalogs, *by_eid(*sample), keep_eid=True)
    assert by_uscc.awards.height > 1_000
    assert result.awards.equals(by_uscc.awards)
    assert result.superseded.equals(by_uscc.superseded)


def test_keep_eid_puts_the_key_first_and_changes_nothing_else(sample, by_uscc, catalogs):
    plain = run(catalogs, *sample).awards
    assert by_uscc.awards.columns == ["eid", *AWARD_COLUMNS] and plain.columns == AWARD_COLUMNS
    assert by_uscc.awards.schema["eid"] == pl.UInt32
    assert by_uscc.awards.drop("eid").equals(plain)
    # Without keys of their own, enterprises are numbered by their row.
    numbers = sample[0].with_row_index("eid").select("uscc", pl.col("eid").alias("row"))
    assert by_uscc.awards.join(numbers, on="uscc").select((pl.col("eid") == pl.col("row")).all()).item()


def test_enterprises_with_their_own_keys_in_any_order(sample, by_uscc, catalogs):
    enterprises, facts, events = sample
    rng = np.random.default_rng(7)
    # Keys a permutation of a range far from 0, and the table shuffled: no key is its row.
    keyed = enterprises.with_columns(pl.Series("eid", rng.permutation(enterprises.height) + 1_000_000, dtype=pl.UInt32))
    keyed = keyed.sample(fraction=1.0, shuffle=True, seed=3)
    deals = events.with_row_index("deal")
    for frames in ((keyed, facts, deals),
                   (keyed, facts.join(keyed.select("uscc", "eid"), on="uscc").drop("uscc").sample(fraction=1.0, shuffle=True, seed=5),
                    deals.join(keyed.select("uscc", "eid"), on="uscc").drop("uscc").sample(fraction=1.0, shuffle=True, seed=6))):
        awards = run(catalogs, *frames, keep_eid=True).awards
        assert awards.select(pl.col(ORDER[0]), pl.col("eid")).equals(awards.sort(ORDER).select(ORDER[0], "eid"))
        expected = by_uscc.awards.drop("eid").join(keyed.select("uscc", "eid"), on="uscc", maintain_order="left")
        assert awards.equals(expected.select(awards.columns).sort(ORDER))


def test_partitions_evaluated_apart_give_the_single_pass_awards(sample, by_uscc, catalogs):
    """Each half of the city (whole enterprises, their facts and events, global eid and deal)
    evaluated alone: together, the same awards to the fen — subjects named by deal included."""
    enterprises, facts, events = by_eid(*sample)
    halves = []
    for low, high in ((0, 1_700), (1_700, 4_000)):
        mine = pl.col("eid").is_between(low, high - 1)
        halves.append(run(catalogs, enterprises.filter(mine), facts.filter(mine), events.filter(mine),
                          keep_eid=True).awards)
    together = pl.concat(halves).sort(ORDER, maintain_order=True)
    assert together.equals(by_uscc.awards)
    assert together.filter(pl.col("subject").str.starts_with("events第")).height > 0


def test_an_events_deal_column_names_its_subject_and_stands_for_its_row(sample, by_uscc, catalogs):
    enterprises, facts, events = sample
    # Deals far from the rows: the subjects an event without one gets follow its deal.
    shifted = events.with_row_index("deal", offset=10_000)
    awards = run(catalogs, enterprises, facts, shifted, keep_eid=True).awards
    unnamed = by_uscc.awards.filter(pl.col("subject").str.starts_with("events第"))
    assert unnamed.height > 0
    renamed = unnamed.with_columns(
        pl.format("events第{}行", pl.col("subject").str.extract(r"(\d+)").cast(pl.Int64) + 10_000).alias("subject"))
    assert awards.filter(pl.col("subject").str.starts_with("events第")).sort(ORDER).equals(renamed.sort(ORDER))
    assert awards.drop("subject").sort(ORDER[:4]).height == by_uscc.awards.height


def test_columns_read_names_what_the_engine_needs_and_no_more(sample, by_uscc, catalogs):
    policies, _ = catalogs
    needed = columns_read(policies)
    assert needed == {
        "enterprises": ["eid", "uscc", "name", "org_unit", "is_manufacturing", "is_industrial", "is_listed",
                        "is_provincial_or_central_owned"],
        "facts": ["eid", "year", "main_revenue", "rd_spend"],
        "events": ["eid", "deal", "year", "kind", "subject", "already_paid", "level", "amount", "count", "rating",
                   "local_share", "benchmark_rate", "days", "assessed_award"],
    }
    # Projected to those columns (the facts' grading figures, industry and dates left out),
    # the city gives the same awards.
    lean = [frame.select(needed[name]) for name, frame in zip(needed, by_eid(*sample), strict=True)]
    assert run(catalogs, *lean, keep_eid=True).awards.equals(by_uscc.awards)


def test_facts_and_events_of_unknown_enterprises_are_left_out(sample, by_uscc, catalogs):
    enterprises, facts, events = by_eid(*sample)
    strangers = facts.head(50).with_columns(pl.col("eid") + 50_000)
    stray_events = events.head(50).with_columns(pl.col("eid") + 50_000)
    result = run(catalogs, enterprises, pl.concat([facts, strangers]), pl.concat([events, stray_events]), keep_eid=True)
    assert result.awards.equals(by_uscc.awards)


def test_two_enterprises_under_one_key_are_refused(sample, catalogs):
    enterprises, facts, events = by_eid(*sample)
    twice = enterprises.with_columns(pl.when(pl.col("eid") == 1).then(0).otherwise(pl.col("eid")).alias("eid"))
    with pytest.raises(PolicyDataError, match="编号重复"):
        run(catalogs, twice, facts, events)


def test_the_bench_city_keeps_its_pinned_totals_keyed_either_way(catalogs):
    """The 200,000-enterprise city of bench/bench_policy.py: 206,732 awards, 599.86 亿元."""
    policies, _ = catalogs
    sample = city(200_000, YEARS, seed=42, event_kinds=sorted(policies.event_kinds()))
    for frames, batch_rows in ((sample, 2_000_000), (by_eid(*sample), 2_000_000), (by_eid(*sample), 150_000)):
        awards = run(catalogs, *frames, batch_rows=batch_rows).awards
        assert awards.height == 206_732
        assert awards["amount_fen"].sum() == 5_998_575_223_965


def test_a_partition_is_the_same_from_the_same_seed_and_part():
    first = partition_city(3, 2_000, YEARS, eid_start=6_000)
    again = partition_city(3, 2_000, YEARS, eid_start=6_000)
    assert all(a.equals(b) for a, b in zip(first, again, strict=True))
    other = partition_city(4, 2_000, YEARS, eid_start=8_000)
    enterprises, facts, events = first
    assert enterprises["eid"].to_list() == list(range(6_000, 8_000))
    assert not set(other[0]["eid"]) & set(enterprises["eid"])
    assert not set(other[2]["deal"]) & set(events["deal"])
    assert not other[1].select("main_revenue").equals(facts.select("main_revenue"))
    assert facts.columns == ["eid", "year", "main_revenue", "rd_spend"] and facts.height == 10_000
    assert "uscc" not in events.columns and events["deal"].n_unique() == events.height
    assert events["deal"].min() >= 6_000 * deal_slots(YEARS)
    assert events["deal"].max() < 8_000 * deal_slots(YEARS)
    assert enterprises["uscc"].n_unique() == 2_000
    assert all(is_valid_uscc(code) for code in enterprises["uscc"].to_list())
    assert enterprises["name"][0] == "演示企业00006000"


def test_a_partition_by_org_unit_is_registered_there():
    enterprises, _, _ = partition_city(0, 500, YEARS, org_unit="330822")
    assert enterprises["org_unit"].unique().to_list() == ["330822"]
    assert enterprises["uscc"].str.slice(2, 6).unique().to_list() == ["330822"]
    zone, _, _ = partition_city(1, 100, YEARS, org_unit="Z33080001")
    assert zone["uscc"].str.slice(2, 6).unique().to_list() == ["330800"]


def test_the_scale_city_is_its_partitions_concatenated(catalogs):
    enterprises, facts, events = scale_city(5 * 3_001, YEARS, parts=3)
    assert partition_sizes(3_001, 3) == [1_001, 1_000, 1_000]
    assert enterprises["eid"].to_list() == list(range(3_001))
    second = partition_city(1, 1_000, YEARS, eid_start=1_001)
    assert enterprises.slice(1_001, 1_000).equals(second[0])
    assert facts.filter(pl.col("eid").is_between(1_001, 2_000)).equals(second[1])
    assert events.filter(pl.col("eid").is_between(1_001, 2_000)).equals(second[2])
    # The synthetic city's distributions: awards of the same order per enterprise-year.
    awards = run(catalogs, enterprises, facts, events).awards
    assert 0.1 < awards.height / facts.height < 0.35


@pytest.mark.parametrize("batch_rows", [997, 3_001, 7_000])
def test_batches_of_enterprises_give_the_awards_of_one_pass(sample, by_uscc, catalogs, batch_rows):
    """The engine evaluates whole enterprises a batch at a time (bounded memory): batches whose
    nominal size splits enterprises (moved to an enterprise's first row), ones that split none,
    a few large ones — the same awards and superseded candidates, in the same order."""
    for frames in (sample, by_eid(*sample)):
        result = run(catalogs, *frames, keep_eid=True, batch_rows=batch_rows)
        assert result.awards.equals(by_uscc.awards)
        assert result.superseded.equals(by_uscc.superseded)


def test_facts_in_chunks_each_sorted_but_not_together_are_sorted_first(sample, by_uscc, catalogs):
    """The engine skips its sort when the facts already run by eid and year, checking chunk by
    chunk (as a Parquet file gives them): two sorted chunks out of order must still be sorted."""
    enterprises, facts, events = by_eid(*sample)
    later, earlier = facts.filter(pl.col("eid") >= 2_000), facts.filter(pl.col("eid") < 2_000)
    chunked = pl.concat([later, earlier], rechunk=False)
    assert chunked["eid"].n_chunks() == 2
    assert run(catalogs, enterprises, chunked, events, keep_eid=True).awards.equals(by_uscc.awards)
    # Within a chunk, one year out of place is enough.
    swapped = pl.concat([facts.slice(0, 3).reverse(), facts.slice(3)], rechunk=False)
    assert run(catalogs, enterprises, swapped, events, keep_eid=True).awards.equals(by_uscc.awards)
