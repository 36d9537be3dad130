"""One enterprise's entered data (policy.inputs) and its 政策体检 (policy.checkup)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from commerce_brain.policy.checkup import checkup
from commerce_brain.policy.engine import PolicyYearError, evaluate, packaged
from commerce_brain.policy.inputs import EnterpriseInputs, InputError
from commerce_brain.policy.subjects import stable_subjects
from commerce_brain.policy.synthetic import city

YEARS = [2019, 2020, 2021, 2022, 2023]


@pytest.fixture(scope="module")
def town():
    policies, _ = packaged()
    return city(120, YEARS, event_kinds=sorted(policies.event_kinds()))


def _rd_firm(rd_spend_yuan: int, revenue_yuan: int) -> EnterpriseInputs:
    return EnterpriseInputs(
        enterprise={"uscc": "91330802MA2G000117", "name": "测试企业", "org_unit": "330802", "industry": "C",
                    "is_manufacturing": True, "is_industrial": True, "is_listed": False,
                    "is_provincial_or_central_owned": False},
        facts=({"year": 2022, "main_revenue": revenue_yuan * 100, "rd_spend": rd_spend_yuan * 100 // 2},
               {"year": 2023, "main_revenue": revenue_yuan * 100, "rd_spend": rd_spend_yuan * 100}),
    )


def test_inputs_round_trip_through_json_for_every_stored_enterprise_with_events(town):
    enterprises, facts, events = town
    with_events = events["uscc"].unique().sort().head(20).to_list()
    for uscc in with_events:
        stored = EnterpriseInputs.from_stored(uscc, enterprises, facts, events)
        assert stored.events, uscc
        again = EnterpriseInputs.from_json(stored.to_json())
        assert again == stored
        e, f, v = again.frames()
        assert e["uscc"].to_list() == [uscc]
        assert f.height == facts.filter(pl.col("uscc") == uscc).height
        assert v.drop("year").equals(events.filter(pl.col("uscc") == uscc).drop("year").select(v.drop("year").columns))
        assert v["year"].to_list() == [d.year for d in v["date"].to_list()]


def test_an_unknown_enterprise_is_a_key_error(town):
    with pytest.raises(KeyError):
        EnterpriseInputs.from_stored("91330802MA2G000117", *town)


@pytest.mark.parametrize(("text", "says"), [
    ('{"enterprise": {"uscc": "X", "name": "a", "org_unit": "330802", "salary": 1}}', "salary"),
    ('{"enterprise": {"uscc": "X", "name": "a", "org_unit": "330802"}, "facts": [{"year": 2023, "rd_spend": 1.5}]}',
     "rd_spend"),
    ('{"enterprise": {"uscc": "X", "name": "a", "org_unit": "330802"}, "facts": [{"year": "2023"}]}', "year"),
    ('{"enterprise": {"uscc": "X", "name": "a", "org_unit": "330802", "is_listed": "yes"}}', "is_listed"),
    ('{"enterprise": {"uscc": "X", "name": "a", "org_unit": "330802"}, "events": [{"kind": "k", "date": "2023-13-01"}]}',
     "无法读取"),
    ('{"facts": []}', "无法读取"),
    ("not json", "无法读取"),
])
def test_inputs_refuse_what_is_not_a_valid_record(text, says):
    # A float where fen are due, a string year or an unknown field would each change awards quietly.
    with pytest.raises(InputError, match=says):
        EnterpriseInputs.from_json(text)


def test_checkup_matches_the_engine_over_the_whole_city(town):
    enterprises, facts, events = town
    policies, catalog = packaged()
    everyone = evaluate(enterprises, facts, stable_subjects(events), 2023).filter(pl.col("amount_fen") > 0)
    for uscc in everyone["uscc"].unique().sort().head(15).to_list():
        found = checkup(uscc, enterprises, facts, events, 2023, policies=policies, catalog=catalog)
        expected = everyone.filter(pl.col("uscc") == uscc)
        assert sorted((a["rule"], a["subject"], a["amount_fen"]) for a in found.awards) == sorted(
            expected.select("rule", "subject", "amount_fen").iter_rows())
        assert found.total_fen == expected["amount_fen"].sum()
        awarded = {a["rule"] for a in found.awards}
        assert awarded.isdisjoint(m["rule"] for m in found.missed)
        assert len(awarded) + len(found.missed) == len(policies.rules())
        assert all(a["explanation"].startswith(a["name_zh"]) and a["quote"] in a["explanation"] for a in found.awards)


def test_checkup_of_entered_figures_explains_the_rd_award_and_its_miss():
    policies, catalog = packaged()
    # 研发投入 300万 on 主营业务收入 5000万 (6%), 150万 the year before: 5% of 300万 + 5% of the
    # 150万 increment = 15万 + 7.5万.
    found = checkup("91330802MA2G000117", *_rd_firm(3_000_000, 50_000_000).frames(), 2023,
                    policies=policies, catalog=catalog)
    rd = next(a for a in found.awards if a["rule"] == "rd_subsidy")
    assert rd["amount_fen"] == 22_500_000
    assert "第8条" in rd["article"] and "3,000,000.00元" in rd["explanation"]
    # 研发投入 100万 is under the 200万 threshold: no award, and the reason names the clause.
    small = checkup("91330802MA2G000117", *_rd_firm(1_000_000, 50_000_000).frames(), 2023,
                    policies=policies, catalog=catalog)
    assert not any(a["rule"] == "rd_subsidy" for a in small.awards)
    reason = next(m["reason"] for m in small.missed if m["rule"] == "rd_subsidy")
    assert "不满足条件" in reason and "研发投入" in reason


def test_checkup_refuses_an_unknown_enterprise_and_an_ungoverned_year(town):
    policies, catalog = packaged()
    with pytest.raises(KeyError):
        checkup("91330802MA2G000117", *town, 2023, policies=policies, catalog=catalog)
    inputs = _rd_firm(3_000_000, 50_000_000)
    with pytest.raises(PolicyYearError, match="2018"):
        checkup(inputs.uscc, *inputs.frames(), 2018, policies=policies, catalog=catalog)


def test_events_take_their_year_from_their_date():
    inputs = EnterpriseInputs(enterprise={"uscc": "U", "name": "n", "org_unit": "330802"},
                              events=({"kind": "invention_patent_granted", "date": date(2022, 12, 31), "count": 2},))
    _, _, events = inputs.frames()
    assert events.select("year", "count").row(0) == (2022, 2)
