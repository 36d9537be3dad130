"""The 订单+清单 orders file (io/orders_import.py): the sample and the template read back, the
contract's English headers accepted, and every bad input refused whole with its sheet, row,
column and reason — each case a file that used to be taken or crash."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from commerce_brain.catalog import load_catalog
from commerce_brain.io.actuals_import import ImportRejected
from commerce_brain.io.orders_import import read_orders
from commerce_brain.io.orders_template import ENTERPRISES, write_orders_template
from commerce_brain.settings import SheetLimits
from commerce_brain.uscc import make_uscc
from commerce_brain.warning.catalog import load_orders_catalog

CATALOG = load_catalog()
ORDERS = load_orders_catalog()
CONTRACT = ["uscc", "month", "new_orders_usd", "orders_in_hand_usd", "expected_exports_usd", "market", "product_hs",
            "problems"]
A = make_uscc("91330600MA2BX1001")


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def good(month: str = "2025-02", **change) -> list[str]:
    row = dict(zip(CONTRACT, [A, month, "1,200,000", "3600000", "2400000", "US", "61", "tariff;汇率波动"], strict=True))
    row.update(change)
    return list(row.values())


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_sample_reads_back(tmp_path: Path, suffix: str):
    path = write_orders_template(tmp_path / f"sample{suffix}", CATALOG, ORDERS, sample=True)
    parsed = read_orders(path, CATALOG, ORDERS)
    assert parsed.roster.height == len(ENTERPRISES)
    assert parsed.roster["warning_point"].null_count() == 0
    assert parsed.orders["new_orders_usd"].dtype.is_integer() and parsed.orders["month"].max() == "2025-02"


def test_the_contract_headers_and_codes_or_names(tmp_path: Path):
    path = write(tmp_path / "o.csv", CONTRACT, [good(), good("2025-1", problems="", market="美国", product_hs="6")])
    parsed = read_orders(path, CATALOG, ORDERS)
    feb, jan = parsed.orders.sort("month", descending=True).rows(named=True)
    assert feb["new_orders_usd"] == 1_200_000 and feb["problems"] == "tariff;exchange_rate"
    assert jan["month"] == "2025-01" and jan["market"] == "US" and jan["product_hs"] == "06" and jan["problems"] == ""
    assert parsed.roster.row(0, named=True)["warning_point"] is None  # optional columns absent


@pytest.mark.parametrize(("change", "column", "says"), [
    ({"uscc": "91330600MA2BX10010"}, "uscc", "统一社会信用代码“91330600MA2BX10010”无效"),
    ({"month": "2025-13"}, "month", "月份格式错误"),
    ({"month": ""}, "month", "月份为空"),
    ({"new_orders_usd": "-5"}, "new_orders_usd", "不小于 0 的整数美元"),
    ({"new_orders_usd": "12.5"}, "new_orders_usd", "不小于 0 的整数美元"),
    ({"orders_in_hand_usd": "=1+1"}, "orders_in_hand_usd", "不小于 0 的整数美元"),
    ({"market": "火星"}, "market", "未知市场：“火星”"),
    ({"product_hs": "98"}, "product_hs", "HS章应为 01–97"),
    ({"problems": "tariff;__import__('os')"}, "problems", "未知问题：__import__('os')"),
])
def test_bad_cells_are_refused_by_row_and_column(tmp_path: Path, change: dict, column: str, says: str):
    path = write(tmp_path / "o.csv", CONTRACT, [good("2025-01"), good(**change)])
    with pytest.raises(ImportRejected) as refused:
        read_orders(path, CATALOG, ORDERS)
    (problem,) = refused.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("o.csv", 3, column)
    assert says in problem.reason


def test_a_month_twice_and_a_missing_column(tmp_path: Path):
    twice = write(tmp_path / "twice.csv", CONTRACT, [good(), good(month="2025/2")])
    with pytest.raises(ImportRejected, match="重复：企业"):
        read_orders(twice, CATALOG, ORDERS)
    short = write(tmp_path / "short.csv", CONTRACT[:-1], [good()[:-1]])
    with pytest.raises(ImportRejected, match="缺少列：问题清单"):
        read_orders(short, CATALOG, ORDERS)


def test_roster_columns_checked_against_the_catalog(tmp_path: Path):
    header = [*CONTRACT, "预警点", "所在地区", "行业", "企业名称"]
    path = write(tmp_path / "r.csv", header, [good("2025-01") + ["无此预警点", "杭州市", "航天", "甲"],
                                              good() + ["柯桥区纺织品外贸预警点", "柯桥区", "纺织服装", "乙"]])
    with pytest.raises(ImportRejected) as refused:
        read_orders(path, CATALOG, ORDERS)
    reasons = " ".join(p.reason for p in refused.value.problems)
    for says in ("未知预警点", "未知地区", "未知行业", "填写了不同的企业名称"):
        assert says in reasons


def test_past_the_limits_refused_before_parsing(tmp_path: Path):
    path = write(tmp_path / "big.csv", CONTRACT, [good(f"20{y:02d}-{m:02d}") for y in range(10, 20) for m in range(1, 13)])
    with pytest.raises(ImportRejected, match="行数过多"):
        read_orders(path, CATALOG, ORDERS, limits=SheetLimits(10 ** 7, 10 ** 8, 50))


def test_not_a_spreadsheet(tmp_path: Path):
    path = tmp_path / "o.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ImportRejected, match="不支持的文件类型"):
        read_orders(path, CATALOG, ORDERS)
