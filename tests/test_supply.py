"""应急保供: days of cover against each good's floor, price jumps against the 4-week median (an
odd report in the window moves nothing, a new outlet has no jump), stale reports, the import's
rejections, the store and the README's sample raising its warnings once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from typer.testing import CliRunner

from commerce_brain.access import Scope
from commerce_brain.catalog import load_catalog
from commerce_brain.cli import app as cli_app
from commerce_brain.followup import check_rows, list_warnings
from commerce_brain.io.actuals_import import ImportRejected
from commerce_brain.io.supply_import import read_supply
from commerce_brain.io.supply_template import write_supply_template
from commerce_brain.store.market_tables import SUPPLY, stored
from commerce_brain.store.schema import connect
from commerce_brain.supply_board import import_supply, supply_sheet
from commerce_brain.warning.supply import (
    LOW_COVER,
    PRICE_JUMP,
    SUPPLY_SCHEMA,
    supply_status,
    supply_totals,
    supply_warnings,
)
from commerce_brain.warning.supply_catalog import load_supply_catalog

CATALOG, SUPPLY_CATALOG = load_catalog(), load_supply_catalog()
DAY = date(2024, 6, 30)
TODAY = date(2026, 12, 6)
NAMES = {u.code: u.name_zh for u in CATALOG.org_units}
runner = CliRunner()


def weekly(item: str, stock: int, use: int, prices: list[int], *, outlet: str = "城东市场", org: str = "330603",
           last_stock: int | None = None) -> list[tuple]:
    """Reports one week apart ending on DAY, ``prices`` oldest first (fen); the last with ``last_stock``."""
    n = len(prices)
    return [(DAY - timedelta(weeks=n - 1 - i), org, outlet, item,
             last_stock if (i == n - 1 and last_stock is not None) else stock, use, price)
            for i, price in enumerate(prices)]


def status_of(*rows: list[tuple], as_of: date = DAY) -> pl.DataFrame:
    frame = pl.DataFrame([r for part in rows for r in part], schema=SUPPLY_SCHEMA, orient="row")
    return supply_status(frame, SUPPLY_CATALOG, as_of)


@pytest.mark.parametrize(("stock", "level"), [(700, None), (699, "yellow"), (350, "yellow"), (349, "red")])
def test_days_of_cover_at_the_floor_and_at_half_of_it(stock, level):
    # Pork's floor is 7 days; 100 kg a day: 700 kg is exactly the floor (fine), 349 kg under half.
    row = status_of(weekly("pork", stock, 100, [2500])).row(0, named=True)
    assert row["days_of_cover"] == pytest.approx(stock / 100) and row["cover_level"] == level


@pytest.mark.parametrize(("price", "level"), [(1200, None), (1201, "yellow"), (1400, "yellow"), (1401, "red")])
def test_a_price_jump_at_its_thresholds(price, level):
    # The median of the four weeks before is 10.00 元: 20% is the line, 40% the red line.
    row = status_of(weekly("eggs", 1000, 100, [1000, 1000, 1000, 1000, price])).row(0, named=True)
    assert row["median_price_fen"] == 1000 and row["price_level"] == level


def test_one_odd_price_in_the_window_does_not_move_the_median():
    row = status_of(weekly("vegetables", 10_000, 1000, [400, 900, 400, 400, 420])).row(0, named=True)
    assert row["median_price_fen"] == 400 and row["price_level"] is None


def test_a_price_older_than_four_weeks_is_not_the_baseline():
    # Five weeks back the price was 5.00; within the window it has been 10.00: no jump at 11.00.
    row = status_of(weekly("eggs", 1000, 100, [500, 1000, 1000, 1000, 1000, 1100])).row(0, named=True)
    assert row["median_price_fen"] == 1000 and row["price_level"] is None


def test_a_new_outlet_has_no_jump_and_nothing_consumed_has_no_cover():
    row = status_of(weekly("milk", 50, 0, [9900])).row(0, named=True)
    assert row["median_price_fen"] is None and row["price_jump"] is None and row["price_level"] is None
    assert row["days_of_cover"] is None and row["cover_level"] is None


def test_only_the_latest_report_counts_and_a_stale_one_is_left_out():
    rows = weekly("grain", 100_000, 1000, [500, 500], last_stock=1000)
    status = status_of(rows)
    assert status.height == 1 and status["stock"][0] == 1000 and status["cover_level"][0] == "red"
    # Seen from the first week, the second report lies ahead: the first is the latest.
    assert status_of(rows, as_of=DAY - timedelta(days=1))["stock"][0] == 100_000
    # Seen from three weeks later, the report is stale: nothing to show.
    assert status_of(rows, as_of=DAY + timedelta(days=15)).is_empty()


def test_totals_sum_the_outlets_of_an_org_unit():
    status = status_of(weekly("pork", 300, 100, [2500]), weekly("pork", 1100, 100, [2500], outlet="城西市场"))
    total = supply_totals(status).row(0, named=True)
    assert (total["outlets"], total["stock"], total["daily_use"], total["below_floor"]) == (2, 1400, 200, 1)
    assert total["days_of_cover"] == pytest.approx(7.0)


def test_the_warnings_read_in_words_and_pass_the_warning_shape():
    status = status_of(weekly("pork", 2000, 200, [2500, 2500, 2500, 2500, 3200], last_stock=600))
    found = check_rows(supply_warnings(status, SUPPLY_CATALOG, NAMES, DAY, TODAY))
    by = {r["detector"]: r for r in found.iter_rows(named=True)}
    assert by[LOW_COVER]["reason"] == "柯桥区城东市场·猪肉库存600千克，日均消费200千克，可供3.0天，低于7天的保障线"
    assert by[LOW_COVER]["level"] == "red" and by[LOW_COVER]["responsible_unit"] == "柯桥区商务局"
    assert by[PRICE_JUMP]["reason"] == "柯桥区城东市场·猪肉价格每千克32.00元，较近4周中位数25.00元上涨28.0%，超过20%的预警线"
    assert by[PRICE_JUMP]["level"] == "yellow" and by[PRICE_JUMP]["period"] == "2024-06"
    assert by[PRICE_JUMP]["due_date"] == TODAY + timedelta(days=SUPPLY_CATALOG.settings.answer_within_days)


def test_every_bad_row_is_named_by_sheet_row_column_and_reason(tmp_path):
    path = tmp_path / "supply.csv"
    path.write_text("报送日期,地区,网点,物资,库存,日均消费量,价格（元）\n"
                    "2024-06-30,柯桥区,城东市场,猪肉,700,100,25.5\n"
                    "2024-06-30,柯桥区,城东市场,黄金,1,1,1\n"
                    "2099-01-01,火星,城东市场,猪肉,-1,1.5,1.234\n"
                    "2024-13-01,柯桥区,,鸡蛋,1,1,abc\n"
                    "2024-06-30,330603,城东市场,pork,700,100,25.5\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_supply(path, CATALOG, SUPPLY_CATALOG, today=TODAY)
    assert [str(p) for p in caught.value.problems] == [
        "supply.csv 第2行, 网点: 重复行：同一报送日期、地区、网点和物资在本文件中出现多次",
        "supply.csv 第3行, 物资: 未知物资：“黄金”（可选：" + "、".join(SUPPLY_CATALOG.names.values()) + "）",
        "supply.csv 第4行, 报送日期: 报送日期晚于今天（2026-12-06）：实为 2099-01-01",
        "supply.csv 第4行, 地区: 未知地区：“火星”既不是地区代码，也不是地区名称",
        "supply.csv 第4行, 库存: 库存应为不小于 0 的整数：“-1”",
        "supply.csv 第4行, 日均消费量: 日均消费量应为不小于 0 的整数：“1.5”",
        "supply.csv 第4行, 价格（元）: 价格小数位数过多（最多到分）：“1.234”（每单位的元，如 25.80）",
        "supply.csv 第5行, 报送日期: 报送日期格式错误：“2024-13-01”（如 2024-06-30、2024/6/30 或 2024年6月30日）",
        "supply.csv 第5行, 网点: 网点为空：此格必须填写",
        "supply.csv 第5行, 价格（元）: 价格格式错误：“abc”（每单位的元，如 25.80）",
        "supply.csv 第6行, 网点: 重复行：同一报送日期、地区、网点和物资在本文件中出现多次",
    ]


def test_the_readme_sample_is_stored_and_raises_its_warnings_once(database_url, tmp_path):
    engine = connect(database_url)
    path = write_supply_template(tmp_path / "应急保供.xlsx", CATALOG, SUPPLY_CATALOG, sample=True)
    rows = read_supply(path, CATALOG, SUPPLY_CATALOG, today=TODAY)
    saved, raised = import_supply(engine, rows, CATALOG, SUPPLY_CATALOG, actor="analyst", file_name=path.name,
                                  sha256="a" * 64, today=TODAY)
    assert saved.counts()["new"] == rows.height == 36 and raised.new == 5
    found = {(w["subject_name"], w["detector"], w["level"])
             for w in list_warnings(engine, Scope(), source="supply").iter_rows(named=True)}
    assert found == {
        ("越城区城南粮油储备库·食用油", LOW_COVER, "yellow"),
        ("柯桥区柯桥农贸市场·猪肉", LOW_COVER, "red"),
        ("柯桥区柯桥农贸市场·猪肉", PRICE_JUMP, "yellow"),
        ("上虞区上虞联华超市·鸡蛋", PRICE_JUMP, "red"),
        ("诸暨市诸暨应急物资站·饮用水", LOW_COVER, "yellow"),
    }  # the vegetables' odd week and the new outlet's milk raise nothing
    again, raised_again = import_supply(engine, rows, CATALOG, SUPPLY_CATALOG, actor="analyst", file_name=path.name,
                                        sha256="a" * 64, today=TODAY)
    assert again.counts()["unchanged"] == 36 and (raised_again.new, raised_again.unchanged) == (0, 5)
    county = supply_sheet(engine, Scope(org_units=frozenset({"330603"})), CATALOG, SUPPLY_CATALOG)
    assert county["as_of"] == DAY and {o["outlet"] for o in county["outlets"]} == {"柯桥农贸市场"}
    assert stored(engine, SUPPLY, scope=Scope(units=frozenset({"柯桥区纺织品外贸预警点"}))).is_empty()


def test_the_cli_imports_the_sample_and_prints_the_sheet(tmp_path):
    data = ["--data-dir", str(tmp_path / "d")]
    sample = tmp_path / "supply.csv"
    assert runner.invoke(cli_app, ["warning", "template", "supply", "--sample", "-o", str(sample)]).exit_code == 0
    done = runner.invoke(cli_app, ["warning", "import", "supply", str(sample), *data])
    assert done.exit_code == 0, done.output
    assert "36 行通过校验" in done.output and "新发出 5 条" in done.output
    sheet = runner.invoke(cli_app, ["warning", "supply", "--format", "json", *data])
    assert sheet.exit_code == 0 and '"as_of": "2024-06-30"' in sheet.output
    assert runner.invoke(cli_app, ["warning", "supply", "--as-of", "2024-6-x", *data]).exit_code == 2
