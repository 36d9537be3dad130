"""How an amount reads in explanations, notices and the CLI: 元, with 万元 or 亿元 beside it."""

from commerce_brain.policy.explain import yuan


def test_small_amounts_read_in_yuan_only():
    assert yuan(None) == "—"
    assert yuan(12_345) == "123.45元"
    assert yuan(999_900) == "9,999元"


def test_wan_beside_yuan():
    assert yuan(12_500_000) == "125,000元（12.5万元）"
    assert yuan(203_651_101_726) == "2,036,511,017.26元（203651万元）"


def test_totals_from_100_yi_read_in_yi_not_in_exponent_notation():
    # A province's total through `policy scale evaluate` once read “1.7096e+06万元”.
    assert yuan(1_709_598_300_259) == "17,095,983,002.59元（170.96亿元）"
    assert "e+" not in yuan(99_999_950_000_000)
