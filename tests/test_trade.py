"""贸易摩擦: a remedy case against the stored 订单+清单 sample (the HS chapter, the main market, the
window), the case register's and the country risk table's rejections, the ranked table, the
store, the CLI and the web (the uploads, a county refused a city-wide table), on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from commerce_brain.access import Scope
from commerce_brain.catalog import load_catalog
from commerce_brain.cli import app as cli_app
from commerce_brain.followup import check_rows, list_warnings
from commerce_brain.io.actuals_import import ImportRejected
from commerce_brain.io.trade_import import read_country_risk, read_remedies
from commerce_brain.io.trade_template import write_country_risk_template, write_remedies_template
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.schema import connect
from commerce_brain.warning.kinds import KINDS
from commerce_brain.warning.orders import ORDER_SCHEMA
from commerce_brain.warning.trade import REMEDY_SCHEMA, case_exposure, ranked_countries, remedy_warnings
from commerce_brain.warning.trade_catalog import load_trade_catalog
from commerce_brain.web.app import create_app

CATALOG, TRADE = load_catalog(), load_trade_catalog()
TODAY = date(2026, 12, 6)
AS_OF = date(2025, 2, 28)
runner = CliRunner()


def cases(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=REMEDY_SCHEMA, orient="row")


ORDERS = pl.DataFrame([
    ("A", "2025-01", 1, 500_000, 1, "US", "61", ""),
    ("B", "2025-02", 1, 300_000, 1, "EU", "61", ""),
    ("B", "2025-01", 1, 1, 1, "IN", "73", ""),  # B's earlier product: not its latest
    ("C", "2025-03", 1, 9, 1, "US", "61", ""),  # reported after the review date: not yet seen
], schema=ORDER_SCHEMA, orient="row")


def test_exposure_counts_the_latest_reports_of_the_chapter_and_the_country():
    found = case_exposure(cases(("AD-1", "91330600MA2BX10043", "US", "61", "anti_dumping", date(2025, 2, 10), None,
                                 1_200_000), ("AD-1", "", "US", "61", "anti_dumping", date(2025, 2, 10), None, None),
                                ("SG-2", "", "IN", "73", "safeguard", date(2025, 2, 1), None, None)), ORDERS, AS_OF)
    rows = {r["case_id"]: r for r in found.to_dicts()}
    assert (rows["AD-1"]["sampled_exporters"], rows["AD-1"]["to_country"], rows["AD-1"]["orders_in_hand_usd"]) == \
        (2, 1, 800_000)
    assert (rows["AD-1"]["involved"], rows["AD-1"]["involved_exports_usd"]) == (1, 1_200_000)
    assert rows["SG-2"]["sampled_exporters"] == 0  # B's latest product is 61, not 73


@pytest.mark.parametrize(("country", "opened", "level"), [
    ("US", date(2025, 2, 10), "red"),  # A sells mainly to the US
    ("GB", date(2025, 2, 10), "yellow"),  # exported, but nobody's main market
    ("GB", date(2024, 11, 30), "yellow"),  # 90 days before the review: still in the window
    ("GB", date(2024, 11, 29), None),  # 91 days: past it
])
def test_a_case_warns_within_the_window_red_when_its_country_is_a_main_market(country, opened, level):
    exposure = case_exposure(cases(("X", "", country, "61", "anti_dumping", opened, None, None)), ORDERS, AS_OF)
    found = check_rows(remedy_warnings(exposure, TRADE, AS_OF, TODAY))
    assert (found["level"][0] if found.height else None) == level
    if level:
        row = found.row(0, named=True)
        assert row["responsible_unit"] == "绍兴市商务局" and row["period"] == opened.strftime("%Y-%m")
        assert "产品反倾销立案" in row["reason"] and "本市样本企业2家出口该章产品" in row["reason"]


def test_a_case_on_a_product_nobody_exports_raises_nothing():
    exposure = case_exposure(cases(("X", "", "US", "39", "anti_dumping", date(2025, 2, 10), None, None)), ORDERS, AS_OF)
    assert remedy_warnings(exposure, TRADE, AS_OF).is_empty()


def test_the_register_rejections_name_sheet_row_column_and_reason(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("案件编号,国家（地区）,产品（HS章）,案件类型,立案日期,裁决日期,涉案企业（统一社会信用代码）,涉案出口额（美元）\n"
                    "A1,美国,61,反倾销,2025-02-10,,91330600MA2BX10043,850000\n"
                    "A1,美国,62,反倾销,2025-02-10,,,\n"
                    "A2,火星,98,倾销,2099-01-01,2098-01-01,123,-5\n"
                    "A 3,美国,61,反补贴,2025-02-10,,,100\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_remedies(path, CATALOG, TRADE, today=TODAY)
    problems = [str(p) for p in caught.value.problems]
    assert "cases.csv 第2行, 案件编号: 同一案件“A1”在各行的国家、产品、类型或日期不一致" in problems
    assert "cases.csv 第4行, 国家（地区）: 未知国家（地区）：“火星”（可选：" + "、".join(TRADE.countries.values()) + "）" in problems
    assert "cases.csv 第4行, 产品（HS章）: HS章应为 01–97 的两位数字：“98”" in problems
    assert "cases.csv 第4行, 立案日期: 立案日期晚于今天（2026-12-06）：实为 2099-01-01" in problems
    assert "cases.csv 第4行, 裁决日期: 裁决日期早于立案日期" in problems
    assert "cases.csv 第4行, 涉案企业（统一社会信用代码）: 统一社会信用代码无效：“123”" in problems
    assert "cases.csv 第4行, 涉案出口额（美元）: 涉案出口额应为不小于 0 的整数（美元）：“-5”" in problems
    assert "cases.csv 第5行, 案件编号: 案件编号“A 3”只能由字母、数字、汉字和 - _ . 组成，最长 100 个字符" in problems
    assert "cases.csv 第5行, 涉案出口额（美元）: 涉案出口额须与涉案企业同填" in problems


def test_the_country_risk_table_is_checked_and_ranked(tmp_path):
    bad = tmp_path / "risk.csv"
    bad.write_text("国家（地区）,风险等级,境外投资项目数,中方投资额（万美元）,说明\n美国,极端,1.5,12.12345,\n美国,低,1,1,\n",
                   encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_country_risk(bad, CATALOG, TRADE)
    problems = [str(p) for p in caught.value.problems]
    assert any("未知风险等级：“极端”" in p for p in problems) and any("第2行, 境外投资项目数" in p for p in problems)
    assert any("中方投资额最多四位小数" in p for p in problems) and any("重复行：同一国家（地区）" in p for p in problems)
    rows = read_country_risk(write_country_risk_template(tmp_path / "r.xlsx", CATALOG, TRADE, sample=True),
                             CATALOG, TRADE)
    ranked = ranked_countries(rows, TRADE)
    assert ranked["country_zh"].to_list()[:3] == ["俄罗斯", "美国", "非洲"]  # 高, then 较高 by investment
    assert ranked.filter(pl.col("country") == "US")["investment_usd"][0] == 86_000_000


@pytest.fixture
def store(database_url, tmp_path):
    engine = connect(database_url)
    orders = tmp_path / "orders.csv"
    KINDS["orders"].write_template(orders, CATALOG, sample=True)
    KINDS["orders"].store(engine, KINDS["orders"].read(orders, CATALOG), actor="analyst", file_name="orders.csv",
                          sha256="a" * 64, today=TODAY)
    yield engine, tmp_path
    engine.dispose()


def test_the_sample_register_raises_its_two_warnings_once(store):
    engine, tmp_path = store
    path = write_remedies_template(tmp_path / "cases.xlsx", CATALOG, TRADE, sample=True)
    parsed = KINDS["remedies"].read(path, CATALOG, today=TODAY)
    counts, raised = KINDS["remedies"].store(engine, parsed, actor="analyst", file_name="cases.xlsx",
                                             sha256="b" * 64, today=TODAY)
    assert counts["new"] == 5 and raised.new == 2
    found = {(w["subject_id"], w["level"]) for w in list_warnings(engine, Scope(), source="trade").iter_rows(named=True)}
    assert found == {("US-AD-2025-01", "red"), ("IN-SG-2025-02", "yellow")}
    _, again = KINDS["remedies"].store(engine, parsed, actor="analyst", file_name="cases.xlsx", sha256="b" * 64,
                                       today=TODAY)
    assert (again.new, again.unchanged) == (0, 2)


def test_the_web_shows_the_cases_and_refuses_a_county_a_city_wide_table(store):
    engine, tmp_path = store
    tokens = {}
    for name, account in {"city": {"role": "city_analyst"},
                          "kecheng": {"role": "county_analyst", "org_unit": "330802"},
                          "officer": {"role": "policy_officer"}}.items():
        user = create_user(engine, username=name, password="correct-horse-42", display_name=name, catalog=CATALOG,
                           **account)
        tokens[name] = {"Authorization": f"Bearer {issue_token(engine, user.id, 'test')}"}
    client = TestClient(create_app(Settings.from_env(database_url=str(engine.url.render_as_string(hide_password=False)),
                                                     data_dir=tmp_path / "data")))
    cases_file = write_remedies_template(tmp_path / "cases.xlsx", CATALOG, TRADE, sample=True)
    risk_file = write_country_risk_template(tmp_path / "risk.csv", CATALOG, TRADE, sample=True)

    def upload(user, route, path):
        return client.post(f"/api/v1/warning/trade/{route}/imports", headers=tokens[user],
                           files={"file": (path.name, path.read_bytes())})

    refused = upload("kecheng", "remedies", cases_file)
    assert refused.status_code == 422 and "管辖范围以外" in refused.json()["detail"]
    assert upload("officer", "remedies", cases_file).status_code == 403
    done = upload("city", "remedies", cases_file)
    assert done.status_code == 200 and done.json()["warnings"] == {"new": 2, "unchanged": 0}
    assert upload("city", "country-risk", risk_file).json()["new"] == 6
    view = client.get("/api/v1/warning/trade", headers=tokens["kecheng"]).json()
    assert view["as_of"] == "2025-02-20" and [c["case_id"] for c in view["cases"]][0] == "US-AD-2025-01"
    assert view["countries"][0]["country"] == "RU"
    page = client.get("/trade", headers=tokens["city"])
    assert page.status_code == 200 and "贸易摩擦预警" in page.text and "俄罗斯" in page.text
    assert "91330600MA2BX10043" not in page.text  # figures only
    assert client.get("/trade", headers=tokens["officer"]).status_code == 403


def test_the_cli_writes_and_imports_the_templates(tmp_path):
    data = ["--data-dir", str(tmp_path / "d")]
    for kind in ("remedies", "country_risk"):
        out = tmp_path / f"{kind}.csv"
        assert runner.invoke(cli_app, ["warning", "template", kind, "--sample", "-o", str(out)]).exit_code == 0
        done = runner.invoke(cli_app, ["warning", "import", kind, str(out), *data])
        assert done.exit_code == 0 and "通过校验" in done.output, done.output
