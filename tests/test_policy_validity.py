"""A policy's validity (issue 13 §1): the engine refuses award years after a policy expired, as it
refuses years before it began; the catalog refuses a malformed or impossible 失效日期."""

from __future__ import annotations

import pytest

from commerce_brain.catalog import CatalogError
from commerce_brain.policy.engine import PolicyYearError, evaluate
from test_policy_engine import enterprises, events, policy_dir, rule


def test_award_years_after_the_policy_expired_are_refused(tmp_path):
    policies = policy_dir(tmp_path, [rule(id="honour", trigger="honour", amount="10万")], valid_until="2021-12-31")
    assert policies.policy("test_policy").valid_until.year == 2021
    ent = enterprises({"uscc": "A"})
    ev = events({"uscc": "A", "kind": "honour", "year": 2021})
    # The last year of validity is still the policy's.
    assert evaluate(ent, None, ev, 2021, policies=policies)["amount_fen"].to_list() == [10_000_000]
    with pytest.raises(PolicyYearError, match="2022年度不适用《测试政策》：该政策已于2021年12月31日失效"):
        evaluate(ent, None, ev, 2022, policies=policies)


def test_a_policy_without_an_end_stays_open(tmp_path):
    policies = policy_dir(tmp_path, [rule(id="honour", trigger="honour", amount="10万")])
    assert policies.policy("test_policy").valid_until is None
    ent = enterprises({"uscc": "A"})
    assert evaluate(ent, None, events({"uscc": "A", "kind": "honour", "year": 2040}), 2040,
                    policies=policies).height == 1


@pytest.mark.parametrize("until, reason", [("明年", "不是日期"), ("2018-12-31", "早于首个适用年度")])
def test_a_bad_end_date_is_refused(tmp_path, until, reason):
    with pytest.raises(CatalogError, match=reason):
        policy_dir(tmp_path, [rule(id="honour", trigger="honour", amount="10万")], valid_until=until)
