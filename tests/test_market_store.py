"""Monthly retail sales in the store, on SQLite and PostgreSQL: the import (all or nothing, each
rejection naming sheet, row, column and reason), versions, the audit event in the same
transaction, what each scope reads, and the README's sample raising its warnings."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.followup import list_warnings
from commerce_brain.io.actuals_import import ImportRejected
from commerce_brain.io.retail_import import read_retail
from commerce_brain.io.retail_template import write_retail_template
from commerce_brain.market_board import import_retail, market_view
from commerce_brain.settings import SheetLimits
from commerce_brain.store.audit import events, verify
from commerce_brain.store.fulfilment_tables import NotAllowed
from commerce_brain.store.market_tables import (
    list_market_imports,
    plan_retail_import,
    retail_sales,
    save_retail,
    stored_retail,
)
from commerce_brain.store.schema import connect
from commerce_brain.warning.market_catalog import load_market_catalog

CATALOG, MARKET = load_catalog(), load_market_catalog()
TODAY = date(2026, 12, 6)
HEADER = "月份,地区,类别,名称,当月零售额（万元）\n"


def csv_file(tmp_path, body: str, name: str = "retail.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def rejected(path, **kw) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        read_retail(path, CATALOG, MARKET, today=TODAY, **kw)
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def sample(tmp_path) -> pl.DataFrame:
    path = write_retail_template(tmp_path / "sample.xlsx", CATALOG, MARKET, sample=True)
    return read_retail(path, CATALOG, MARKET, today=TODAY)


def test_the_file_is_read_in_fen_with_codes(tmp_path):
    rows = read_retail(csv_file(tmp_path, "2024-06,绍兴市,社会消费品零售总额,,\"2,000,000.5\"\n"
                                          "2024年5月,330603,分类别零售额,汽车类,0.000001\n"
                                          "2024-6,柯桥区,重点零售企业零售额,银泰百货,12万\n"), CATALOG, MARKET, today=TODAY)
    assert rows.rows() == [("2024-06", "330600", "total", "", 2_000_000_500_000),
                           ("2024-05", "330603", "category", "autos", 1),
                           ("2024-06", "330603", "retailer", "银泰百货", 12_000_000)]


def test_every_bad_row_is_named_by_sheet_row_column_and_reason(tmp_path):
    problems = rejected(csv_file(tmp_path, (
        "2024-06,绍兴市,社会消费品零售总额,,100\n"
        "2024-06,柯桥区,分类别零售额,飞机类,12\n"
        "2024-06,柯桥区,重点零售企业零售额,,12\n"
        "2024-06,柯桥区,重点零售企业零售额,银泰百货,-3\n"
        "2099-06,火星,总额,,abc\n"
        "2024-13,绍兴市,网络零售额,淘宝,1.0000001\n"
        "2024-06,绍兴市,社会消费品零售总额,,200\n")))
    assert problems == [
        "retail.csv 第2行, 地区: 重复行：同一月份、地区、类别和名称在本文件中出现多次",
        "retail.csv 第3行, 名称: 未知商品类别：“飞机类”（可选：" + "；".join(MARKET.categories.values()) + "）",
        "retail.csv 第4行, 名称: 名称为空：“重点零售企业零售额”须填写名称",
        "retail.csv 第5行, 当月零售额（万元）: 当月零售额不能为负：“-3”（以万元为单位，如 1200 或 1,200.5）",
        "retail.csv 第6行, 月份: 月份晚于本月（2026-12）：只能填写已经过去的月份，实为 2099-06",
        "retail.csv 第6行, 地区: 未知地区：“火星”既不是地区代码，也不是地区名称",
        "retail.csv 第6行, 类别: 未知类别：“总额”（可选：社会消费品零售总额、网络零售额、分类别零售额、重点零售企业零售额）",
        "retail.csv 第6行, 当月零售额（万元）: 当月零售额格式错误：“abc”（以万元为单位，如 1200 或 1,200.5）",
        "retail.csv 第7行, 月份: 月份格式错误：“2024-13”（如 2024-06 或 2024年6月）",
        "retail.csv 第7行, 名称: “网络零售额”是总量，名称须留空，实为“淘宝”",
        "retail.csv 第7行, 当月零售额（万元）: 当月零售额小数位数过多（最多到分）：“1.0000001”（以万元为单位，如 1200 或 1,200.5）",
        "retail.csv 第8行, 地区: 重复行：同一月份、地区、类别和名称在本文件中出现多次",
    ]


def test_missing_columns_an_empty_file_and_a_file_past_the_limits_are_refused(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("月份,地区\n2024-06,绍兴市\n", encoding="utf-8")
    assert rejected(path) == ["cols.csv 第1行: 缺少列：类别（可写作 series_kind）", "cols.csv 第1行: 缺少列：名称（可写作 series）",
                              "cols.csv 第1行: 缺少列：当月零售额（万元）（可写作 sales_wan）"]
    assert rejected(csv_file(tmp_path, "", "empty.csv")) == ["empty.csv: 无数据行：只有表头"]
    many = csv_file(tmp_path, "2024-06,绍兴市,社会消费品零售总额,,1\n" * 50, "many.csv")
    limits = SheetLimits(file_bytes=10**6, unpacked_bytes=10**7, expansion=100, rows=10)
    assert "行数过多，已拒绝" in rejected(many, limits=limits)[0]


def test_an_xlsx_with_a_formula_text_in_a_retailer_name_is_stored_as_text(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "零售额"
    sheet.append(["月份", "地区", "类别", "名称", "当月零售额（万元）"])
    sheet.append(["2024-06", "绍兴市", "重点零售企业零售额", "'=HYPERLINK(\"x\")", 12.5])
    book.save(tmp_path / "f.xlsx")
    rows = read_retail(tmp_path / "f.xlsx", CATALOG, MARKET, today=TODAY)
    assert rows["series"][0] == "'=HYPERLINK(\"x\")" and rows["sales_fen"][0] == 12_500_000


def test_an_import_is_stored_versioned_and_audited(database_url, sample):
    engine = connect(database_url)
    first = save_retail(engine, sample, actor="analyst", file_name="sample.xlsx", sha256="a" * 64)
    assert first.counts() == {"rows": sample.height, "new": sample.height, "changed": 0, "unchanged": 0}
    assert stored_retail(engine).sort("period", "org_unit", "series_kind", "series").equals(
        sample.sort("period", "org_unit", "series_kind", "series"))
    # Again: nothing written; one figure revised: a new row under the new import, the old one kept.
    assert plan_retail_import(engine, sample).counts()["unchanged"] == sample.height
    revised = sample.with_columns(sales_fen=pl.when((pl.col("period") == "2024-06") & (pl.col("series_kind") == "online"))
                                  .then(pl.lit(1, pl.Int64)).otherwise("sales_fen"))
    second = save_retail(engine, revised, actor="analyst", file_name="revised.xlsx", sha256="b" * 64)
    assert second.counts() == {"rows": sample.height, "new": 0, "changed": 1, "unchanged": sample.height - 1}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(retail_sales)).scalar_one() == sample.height + 1
    newest = stored_retail(engine).filter((pl.col("period") == "2024-06") & (pl.col("series_kind") == "online"))
    assert newest["sales_fen"].to_list() == [1]
    log = list_market_imports(engine, kind="retail")
    assert [(i["file_name"], i["changed"]) for i in log] == [("revised.xlsx", 1), ("sample.xlsx", 0)]
    audit = [e for e in events(engine) if e["action"] == "market.import"]
    assert [e["detail"]["file"] for e in audit] == ["revised.xlsx", "sample.xlsx"]  # newest first
    assert verify(engine).ok


def test_a_user_without_the_capability_cannot_import(database_url, sample):
    engine = connect(database_url)
    leader = User(id=1, username="leader", display_name="领导", role="leader")
    with pytest.raises(NotAllowed):
        save_retail(engine, sample, actor=leader, file_name="x.csv", sha256="c" * 64)
    assert stored_retail(engine).is_empty() and list_market_imports(engine) == []


def test_a_county_analyst_reads_its_county_only(database_url, sample):
    engine = connect(database_url)
    save_retail(engine, sample, actor="analyst", file_name="sample.xlsx", sha256="a" * 64)
    county = stored_retail(engine, scope=Scope(org_units=frozenset({"330602"})))
    assert set(county["org_unit"]) == {"330602"} and county.height == 18
    assert stored_retail(engine, scope=Scope(units=frozenset({"某预警点"}))).is_empty()


def test_the_readme_sample_raises_its_warnings_once(database_url, sample):
    engine = connect(database_url)
    stored, raised = import_retail(engine, sample, CATALOG, MARKET, actor="analyst", file_name="sample.xlsx",
                                   sha256="a" * 64, today=TODAY)
    found = {(w["subject_name"], w["detector"], w["level"]) for w in list_warnings(engine, Scope(), source="market").iter_rows(named=True)}
    assert found == {
        ("绍兴市社会消费品零售总额", "market_below_pace", "yellow"),
        ("越城区社会消费品零售总额", "market_ytd_fall", "yellow"),
        ("绍兴市分类别零售额·汽车类", "market_ytd_fall", "yellow"),
        ("绍兴市分类别零售额·金银珠宝类", "market_ytd_fall", "red"),
    }  # online on pace, 柯桥区 growing, 新昌县 missed a month, the retailer fell 3%: nothing
    assert raised.new == 4
    reasons = dict(zip(*list_warnings(engine, Scope(), source="market")[["subject_name", "reason"]], strict=True))
    assert reasons["绍兴市社会消费品零售总额"] == ("绍兴市社会消费品零售总额1–6月累计同比增长7.0%，低于完成全年目标所需的增长9.4%；"
                                                "余下月份须同比增长11.7%")  # as the README says
    _, again = import_retail(engine, sample, CATALOG, MARKET, actor="analyst", file_name="sample.xlsx",
                             sha256="a" * 64, today=TODAY)
    assert (again.new, again.unchanged) == (0, 4)
    view = market_view(engine, Scope(), CATALOG, MARKET)
    assert view["period"] == "2024-06" and view["periods"][0] == "2024-06"
    city = next(s for s in view["series"] if s["org_unit"] == "330600" and s["series_kind"] == "total")
    assert city["behind_pace"] is True and city["ytd_growth"] == pytest.approx(0.07, abs=0.001)
    assert city["org_unit_name"] == "绍兴市" and city["kind_zh"] == "社会消费品零售总额"


def test_the_cli_imports_the_sample_and_prints_the_month(tmp_path):
    from typer.testing import CliRunner

    from commerce_brain.cli import app as cli_app

    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "d")]
    sample = tmp_path / "retail.xlsx"
    assert runner.invoke(cli_app, ["warning", "template", "retail", "--sample", "-o", str(sample)]).exit_code == 0
    dry = runner.invoke(cli_app, ["warning", "import", "retail", str(sample), "--dry-run", *data])
    assert dry.exit_code == 0 and "试运行" in dry.output
    done = runner.invoke(cli_app, ["warning", "import", "retail", str(sample), *data])
    assert done.exit_code == 0 and "新发出 4 条" in done.output, done.output
    month = runner.invoke(cli_app, ["warning", "market", "--month", "2024-03", "--format", "json", *data])
    assert month.exit_code == 0 and '"period": "2024-03"' in month.output
    table = runner.invoke(cli_app, ["warning", "market", *data])
    assert "低于目标所需增速" in table.output and "达到目标所需增速" in table.output
    assert runner.invoke(cli_app, ["warning", "market", "--month", "2024-13", *data]).exit_code == 2
