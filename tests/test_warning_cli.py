"""`commerce-brain warning …`: the scan contract on the README's sample (one row per open
warning of the month, exactly the contract's keys), the file scanned without being stored, a
refused file, and the template."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import data_dir, run  # noqa: F401  (data_dir is a fixture)

CONTRACT_KEYS = ["uscc", "detector", "level", "message", "owner", "status"]


def sample(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    run("warning", "template", "orders", "--sample", "--out", str(path))
    return path


def test_scan_a_file_prints_the_contract(tmp_path: Path, data_dir: Path):  # noqa: F811
    path = sample(tmp_path)
    rows = json.loads(run("warning", "scan", "--month", "2025-02", "--orders", str(path), "--format", "json").stdout)
    assert all(list(r) == CONTRACT_KEYS for r in rows)
    by_detector = {r["detector"]: r for r in rows}
    # Every detector raised once by the sample; the seasonal dip, the tiny, the new and the gappy raise nothing.
    assert sorted(by_detector) == ["orders_below_seasonal", "orders_consecutive_falls", "orders_mom_fall",
                                   "orders_yoy_fall"] and len(rows) == 5
    deep = next(r for r in rows if r["level"] == "red")
    assert deep["message"].startswith("新增订单同比下降42%，环比下降48%，连续4个月下降，低于季节基线")
    assert deep["owner"] == "柯桥区纺织品外贸预警点" and deep["status"] == "open"
    assert {r["uscc"][-5:-1] for r in rows}.isdisjoint({"1001", "1006", "1007", "1008"})
    # Scanned, not stored: no database was made.
    assert not data_dir.exists() or not any(data_dir.rglob("*.sqlite*"))


def test_scan_another_month_and_the_table(tmp_path: Path, data_dir: Path):  # noqa: F811
    path = sample(tmp_path)
    assert json.loads(run("warning", "scan", "--month", "2023-06", "--orders", str(path), "--format", "json").stdout) == []
    table = run("warning", "scan", "--month", "2025-02", "--orders", str(path)).stdout
    assert "订单低于季节基线" in table and "红灯" in table and "orders_" not in table


def test_scan_refuses_a_bad_file_and_a_bad_month(tmp_path: Path, data_dir: Path):  # noqa: F811
    bad = tmp_path / "bad.csv"
    bad.write_text("uscc,month,new_orders_usd,orders_in_hand_usd,expected_exports_usd,market,product_hs,problems\n"
                   "91330600MA2BX10010,2025-02,1,1,1,US,61,\n", encoding="utf-8")
    refused = run("warning", "scan", "--month", "2025-02", "--orders", str(bad), ok=False)
    assert refused.exit_code == 1 and "文件被拒绝，未做计算" in refused.output and "第2行" in refused.output
    assert run("warning", "scan", "--month", "2025-2x", "--orders", str(bad), ok=False).exit_code == 2


def test_template_kinds(tmp_path: Path, data_dir: Path):  # noqa: F811
    run("warning", "template", "orders", "--out", str(tmp_path / "t.xlsx"))
    assert (tmp_path / "t.xlsx").stat().st_size > 0
    unknown = run("warning", "template", "nothing", "--out", str(tmp_path / "t.csv"), ok=False)
    assert unknown.exit_code == 2 and "未知的数据种类" in unknown.output
