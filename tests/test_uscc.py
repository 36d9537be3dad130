"""The 统一社会信用代码 check character (GB 32100-2015), scalar and vectorised."""

from __future__ import annotations

import random

import polars as pl
import pytest

from commerce_brain.uscc import (
    ALPHABET,
    check_character,
    is_valid_uscc,
    make_uscc,
    uscc_problem,
    valid_uscc_mask,
)

KNOWN_VALID = "91350100M000100Y43"  # the example the standard's guides cite


def test_a_published_code_validates():
    assert is_valid_uscc(KNOWN_VALID)
    assert check_character(KNOWN_VALID[:17]) == "3"
    assert uscc_problem(KNOWN_VALID) is None


@pytest.mark.parametrize(("first17", "check"), [
    ("0" * 17, "0"),  # sum 0 → 31 − 0 = 31, which wraps to 0
    ("0" * 16 + "1", "3"),  # 1 × 28 = 28 → 31 − 28 = 3
    ("1" + "0" * 16, "Y"),  # 1 × 1 = 1 → 30 → the 31st character, Y
    ("A" + "0" * 16, "M"),  # A = 10 → 21 → M (J is 18: the alphabet skips I)
])
def test_check_character_worked_by_hand(first17, check):
    assert check_character(first17) == check


def test_an_often_quoted_code_is_not_valid():
    # "91330000MA27U00Q9X" circulates as an example; by the algorithm its check is B.
    assert not is_valid_uscc("91330000MA27U00Q9X")
    assert "应为 B" in uscc_problem("91330000MA27U00Q9X")


@pytest.mark.parametrize(("code", "words"), [
    (KNOWN_VALID[:-1], ["长度错误", "实为 17 位"]),
    (KNOWN_VALID + "0", ["长度错误", "19"]),
    ("", ["长度错误", "实为 0 位"]),
    ("9135010OM000100Y43", ["第 8 位", "“O”"]),
    ("91350100M000100I43", ["第 16 位", "“I”"]),
    ("91350100m000100Y43", ["第 9 位", "“m”"]),  # strict: lower case is not the alphabet
    ("91350100M000100Y4Z", ["第 18 位", "“Z”"]),
    ("91350100M000100Y44", ["校验位错误", "第 18 位应为 3"]),
])
def test_problems_say_why(code, words):
    problem = uscc_problem(code)
    assert not is_valid_uscc(code)
    for word in words:
        assert word in problem


def test_every_single_character_change_is_caught():
    # Each weight is non-zero mod 31, so changing one character always changes the check.
    for position in range(18):
        for ch in ALPHABET:
            if ch != KNOWN_VALID[position]:
                changed = KNOWN_VALID[:position] + ch + KNOWN_VALID[position + 1:]
                assert not is_valid_uscc(changed), changed


def test_make_uscc_builds_valid_codes_and_refuses_bad_seeds():
    code = make_uscc("91330802MA2G00011")
    assert code.startswith("91330802MA2G00011") and len(code) == 18
    assert is_valid_uscc(code)
    with pytest.raises(ValueError):
        make_uscc("91330802MA2G0001")  # 16 characters
    with pytest.raises(ValueError):
        make_uscc("91330802MA2G0001I")  # I is not in the alphabet


def test_mask_agrees_with_the_scalar_check():
    rng = random.Random(42)
    codes = [make_uscc("".join(rng.choice(ALPHABET) for _ in range(17))) for _ in range(300)]
    # Break about half of them: a changed character, a lower-case letter, a 长度错误.
    for i in range(0, len(codes), 2):
        code = codes[i]
        kind = rng.randrange(3)
        if kind == 0:
            pos = rng.randrange(18)
            codes[i] = code[:pos] + rng.choice(ALPHABET.replace(code[pos], "")) + code[pos + 1:]
        elif kind == 1:
            codes[i] = code[:-1].lower() + code[-1] if code[:-1] != code[:-1].lower() else code[1:]
        else:
            codes[i] = code + "0"
    codes += [KNOWN_VALID, "９1350100M000100Y43", "91350100M000100Y4３", "中" * 18]

    mask = valid_uscc_mask(pl.Series("uscc", codes))

    assert mask.dtype == pl.Boolean and mask.name == "uscc"
    assert mask.to_list() == [is_valid_uscc(c) for c in codes]
    assert 100 < mask.sum() < 250  # both outcomes really occur


def test_mask_gives_false_for_nulls():
    mask = valid_uscc_mask(pl.Series([KNOWN_VALID, None], dtype=pl.String))
    assert mask.to_list() == [True, False]
