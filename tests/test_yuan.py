"""One rule for 元 → fen: the file import and the 政策计算器 form read money the same way."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from commerce_brain.io.enterprise_cells import money, parse
from commerce_brain.policy import calculator_form as cf
from commerce_brain.yuan import DECIMALS, MAX_FEN, NEGATIVE, SHAPE, TOO_LARGE, parse_yuan, yuan_to_fen

TEXTS = ["0", "0.1", ".5", "1,234,567.89", "12.300", "-0.00", "5元", "1.005", "1,23", "12,3456", "1e5", "-5",
         "1.5万", "10000000000000", "10000000000000.01", "99999999999999999999", "abc"]


@pytest.mark.parametrize("text", TEXTS)
def test_the_import_and_the_form_agree_on_every_text(text):
    fen, problem = parse_yuan(text)
    column = parse(pl.DataFrame({"amount": [text]}, schema={"amount": pl.String}),
                   {"amount": money("amount")})
    assert column["amount_value"][0] == fen
    assert (column["_amount_reason"][0] is None) == (problem is None)
    if not text.endswith("万"):  # the form also takes 万元, a file's columns are in 元
        if problem is None:
            assert cf.parse_money(text) == fen
        else:
            with pytest.raises(cf.FieldError):
                cf.parse_money(text)


@pytest.mark.parametrize(("text", "wan", "expected"), [
    ("1.005", False, (None, DECIMALS)), ("-5", False, (None, NEGATIVE)), ("1,23", False, (None, SHAPE)),
    ("10000000000000.01", False, (None, TOO_LARGE)), ("99999999999999999999", False, (None, TOO_LARGE)),
    ("-99999999999999999999", False, (None, NEGATIVE)), ("1.5万", False, (None, SHAPE)),
    ("1.5万", True, (1_500_000, None)), ("0.000001万", True, (1, None)), ("0.0000001万", True, (None, DECIMALS)),
    ("1000000000万", True, (MAX_FEN, None)), ("1000000000.000001万", True, (None, TOO_LARGE)),
    ("12345678901234567890万", True, (None, TOO_LARGE)),
])
def test_problems_are_named_not_rounded(text, wan, expected):
    assert parse_yuan(text, wan=wan) == expected


def test_every_fen_written_as_yuan_reads_back_exactly():
    fen = pl.Series("fen", np.random.default_rng(8).integers(0, MAX_FEN, 200_000, dtype=np.int64))
    text = (fen // 100).cast(pl.String) + "." + (fen % 100).cast(pl.String).str.zfill(2)

    back = pl.DataFrame({"t": text}).select(yuan_to_fen(pl.col("t")).struct.field("fen")).to_series()

    assert back.to_list() == fen.to_list()
