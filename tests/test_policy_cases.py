"""Every rule test case of the catalog (catalog/policies/cases/*.yaml) as its own test."""

import pytest

from commerce_brain.policy.cases import load_cases, run_case
from commerce_brain.policy.catalog import load_policy_catalog

CASES = load_cases()
POLICIES = load_policy_catalog()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}:{c.name}" for c in CASES])
def test_case(case, catalog):
    assert run_case(case, POLICIES, catalog) == []


def test_every_rule_has_cases():
    covered = set()
    for case in CASES:
        covered.update(case.data.get("rules") or [])
        covered.update(e["rule"] for e in case.data.get("expect") or [])
    missing = sorted({r.id for r in POLICIES.rules()} - covered)
    assert missing == [], f"rules without a test case: {missing}"


def test_every_quantified_article_is_encoded():
    articles = {r.article for r in POLICIES.rules()} | {p.article for pol in POLICIES.policies for p in pol.pools}
    # 004's innovation part quantifies awards or pots in articles 3–10 and 12–20 (11 is 略).
    assert set(range(3, 21)) - {11} <= articles
