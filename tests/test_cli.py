"""The command line end to end on a real SQLite file in a temporary data directory."""

import json

import openpyxl
import pytest
from sample_files import actuals_csv as write_csv
from typer.testing import CliRunner

from commerce_brain.cli import app
from commerce_brain.cli_plans import EVALUATE_KEYS

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMERCE_BRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COMMERCE_BRAIN_DATABASE_URL", raising=False)
    return tmp_path / "data"


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result




def test_plans_list_json_contract():
    data = json.loads(run("plans", "list", "--format", "json").stdout)
    assert {p["id"] for p in data} >= {"qz_commerce_14th", "qz_services_14th"}
    first = data[0]
    assert list(first) == ["id", "title", "doc_number", "period", "org_unit", "indicators"]
    assert list(first["indicators"][0]) == ["id", "name_zh", "name_en", "unit", "base_year", "base_value",
                                            "target_year", "target_value", "target_as_printed", "stated_growth",
                                            "growth_kind", "attribute", "citation"]
    thirteenth = {i["id"]: i for i in next(p for p in data if p["id"] == "qz_commerce_13th")["indicators"]}
    # 000 表1's bracketed 十三五 targets are five-year sums, not growth rates
    assert (thirteenth["fdi_utilized"]["target_as_printed"], thirteenth["fdi_utilized"]["stated_growth"]) == ("[3]", None)
    assert thirteenth["fdi_utilized"]["target_value"] == 3 and thirteenth["fdi_utilized"]["growth_kind"] == "cumulative"


def test_plans_lint_json_contract():
    data = json.loads(run("plans", "lint", "--format", "json").stdout)
    assert len(data) == 8
    assert list(data[0]) == ["plan", "indicator", "name_zh", "check", "stated", "implied", "printed", "message",
                             "citation"]
    # Growths as fractions, like every other growth in JSON: 印 1.5 (percent a year) is 0.015.
    fdi = next(d for d in data if d["indicator"] == "fdi_utilized" and d["check"] == "reported_growth")
    assert (fdi["printed"], fdi["stated"], fdi["implied"]) == ("1.5", 0.015, pytest.approx(0.0381))
    assert all(d["implied"] is None or abs(d["implied"]) < 3 for d in data)


def test_import_then_evaluate_from_the_store(tmp_path, data_dir):
    good = write_csv(tmp_path / "actuals.csv", [
        ["qz_commerce_14th", "社会消费品零售总额", "330800", "2021", "800"],
        ["qz_commerce_14th", "retail_sales", "330800", "2022", "846.4"],
    ])
    result = json.loads(run("plans", "import", str(good), "--format", "json").stdout)
    assert (result["rows"], result["new"], result["revised"]) == (2, 2, 0)
    assert (data_dir / "commerce_brain.sqlite3").exists()
    rows = json.loads(run("plans", "evaluate", "--year", "2022", "--format", "json").stdout)
    assert list(rows[0]) == list(EVALUATE_KEYS)
    retail = next(r for r in rows if r["plan"] == "qz_commerce_14th" and r["indicator"] == "retail_sales")
    assert retail["actual"] == 846.4
    assert retail["achieved_growth"] == pytest.approx((846.4 / 757) ** 0.5 - 1, abs=1e-6)
    assert retail["implied_growth"] == pytest.approx(0.057258, abs=1e-6)
    assert retail["status"] == "on_track"
    # The same statistic serves the services plan, which tracks 社会消费品零售总额 too.
    services = next(r for r in rows if r["plan"] == "qz_services_14th" and r["indicator"] == "retail_sales")
    assert services["actual"] == 846.4


def test_a_bad_file_is_rejected_whole_and_nothing_is_stored(tmp_path, data_dir):
    bad = write_csv(tmp_path / "bad.csv", [
        ["qz_commerce_14th", "retail_sales", "330800", "2021", "800"],
        ["qz_commerce_14th", "社零", "330800", "2021", "800"],
        ["qz_commerce_14th", "retail_sales", "330899", "2022", "abc"],
    ])
    result = run("plans", "import", str(bad), ok=False)
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "社零" in result.output and "330899" in result.output
    assert "第3行" in result.output or "row 3" in result.output
    rows = json.loads(run("plans", "evaluate", "--year", "2021", "--format", "json").stdout)
    retail = next(r for r in rows if r["plan"] == "qz_commerce_14th" and r["indicator"] == "retail_sales")
    assert retail["actual"] is None and retail["status"] == "no_data"


def test_revision_and_dry_run(tmp_path, data_dir):
    first = write_csv(tmp_path / "a.csv", [["qz_commerce_14th", "retail_sales", "330800", "2021", "800"]])
    second = write_csv(tmp_path / "b.csv", [["qz_commerce_14th", "retail_sales", "330800", "2021", "805"]])
    run("plans", "import", str(first))
    dry = json.loads(run("plans", "import", str(second), "--dry-run", "--format", "json").stdout)
    assert (dry["revised"], dry["import_id"]) == (1, None)
    table = run("plans", "import", str(second)).output
    assert "修订 1" in table and "800" in table and "805" in table
    history = run("plans", "history", "--plan", "qz_commerce_14th", "--indicator", "retail_sales",
                  "--org-unit", "330800").output
    assert "a.csv" in history and "b.csv" in history
    assert "b.csv" in run("plans", "imports").output


def test_actuals_overlay_is_for_this_run_only(tmp_path, data_dir):
    overlay = write_csv(tmp_path / "what_if.csv", [["qz_commerce_14th", "retail_sales", "330800", "2022", "900"]])
    rows = json.loads(run("plans", "evaluate", "--year", "2022", "--actuals", str(overlay), "--format", "json").stdout)
    assert next(r for r in rows if r["indicator"] == "retail_sales" and r["plan"] == "qz_commerce_14th")["status"] == "ahead"
    rows = json.loads(run("plans", "evaluate", "--year", "2022", "--format", "json").stdout)
    assert next(r for r in rows if r["indicator"] == "retail_sales" and r["plan"] == "qz_commerce_14th")["actual"] is None


def test_evaluate_for_a_county_and_unknown_county(tmp_path, data_dir):
    data = write_csv(tmp_path / "kecheng.csv", [
        ["qz_commerce_14th", "retail_sales", "柯城区", "2020", "200"],
        ["qz_commerce_14th", "retail_sales", "柯城区", "2022", "230"],
    ])
    run("plans", "import", str(data))
    rows = json.loads(run("plans", "evaluate", "--year", "2022", "--org-unit", "330802", "--format", "json",
                          "--explain").stdout)
    assert {r["org_unit"] for r in rows} == {"330802"}
    retail = next(r for r in rows if r["plan"] == "qz_commerce_14th" and r["indicator"] == "retail_sales")
    assert retail["achieved_growth"] == pytest.approx((230 / 200) ** 0.5 - 1, abs=1e-6)
    assert "g_a" in retail["explanation"]
    result = run("plans", "evaluate", "--year", "2022", "--org-unit", "999999", ok=False)
    assert result.exit_code == 2 and "999999" in result.output


def test_thresholds_from_the_command_line(tmp_path, data_dir):
    data = write_csv(tmp_path / "a.csv", [["qz_commerce_14th", "retail_sales", "330800", "2022", "846.4"]])
    rows = json.loads(run("plans", "evaluate", "--year", "2022", "--actuals", str(data), "--ahead", "0.9",
                          "--on-track", "0.5", "--format", "json").stdout)
    assert next(r for r in rows if r["plan"] == "qz_commerce_14th" and r["indicator"] == "retail_sales")["status"] == "ahead"
    assert run("plans", "evaluate", "--year", "2022", "--ahead", "0.5", "--on-track", "0.9", ok=False).exit_code == 2


def test_pace_month(tmp_path, data_dir):
    data = write_csv(tmp_path / "m.csv", [
        ["qz_commerce_14th", "retail_sales", "330800", "2022-06", "400"],
        ["qz_commerce_14th", "retail_sales", "330800", "2021-06", "380"],
    ])
    rows = json.loads(run("plans", "pace", "--period", "2022-06", "--actuals", str(data), "--format", "json").stdout)
    retail = next(r for r in rows if r["plan"] == "qz_commerce_14th")
    assert retail["ytd_growth"] == pytest.approx(400 / 380 - 1, abs=1e-6)
    assert retail["completion"] == pytest.approx(400 / (757 * (1000 / 757) ** 0.4), abs=1e-6)
    assert run("plans", "pace", "--period", "2022-13", ok=False).exit_code == 2


def test_template_round_trips_through_import(tmp_path, data_dir):
    path = tmp_path / "template.xlsx"
    run("plans", "template", "--out", str(path))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["actuals", "指标清单", "地区代码", "说明"]
    assert [c.value for c in book["actuals"][1]] == ["plan", "indicator", "org_unit", "period", "value",
                                                      "real_growth_pct", "source"]
    # Blank: the examples are on 说明 only, so the template as it is imports nothing.
    assert book["actuals"].max_row == 1
    assert "不会被导入" in "".join(str(c.value) for c in book["说明"]["A"])
    refused = run("plans", "import", str(path), "--dry-run", ok=False)
    assert refused.exit_code == 1 and "无数据行" in refused.stderr
    book["actuals"].append(["qz_commerce_14th", "retail_sales", "330800", "2021", 801.5, None, "市统计局年报"])
    book.save(path)
    result = json.loads(run("plans", "import", str(path), "--dry-run", "--format", "json").stdout)
    assert result["rows"] == 1


def test_report_files(tmp_path, data_dir):
    for name in ("r.html", "r.xlsx"):
        run("plans", "report", "--year", "2020", "--out", str(tmp_path / name))
        assert (tmp_path / name).stat().st_size > 1000
    assert run("plans", "report", "--year", "2020", "--out", str(tmp_path / "r.pdf"), ok=False).exit_code == 2


def test_demo_prints_every_plan_and_writes_reports(tmp_path):
    result = run("demo", "--data-dir", str(tmp_path))
    for title in ("衢州市商务高质量发展“十四五”规划", "衢州市现代服务业发展“十四五”规划", "绍兴市商务发展“十四五”规划",
                  "衢州市“十三五”时期商务发展主要指标完成情况", "打造长三角西南翼经济发展新增长极"):
        assert title in result.output
    assert "滞后" in result.output and "快于预期" in result.output
    assert (tmp_path / "demo" / "evaluation-2023.html").exists()
    assert (tmp_path / "demo" / "evaluation-2023.xlsx").exists()
    assert (tmp_path / "demo" / "project-reports-sample.xlsx").exists()
    assert (tmp_path / "demo" / "fdi-sample.xlsx").exists()
    # A second run starts fresh rather than stacking versions on the first.
    again = run("demo", "--data-dir", str(tmp_path))
    assert again.output.count("衢州市商务高质量发展") == result.output.count("衢州市商务高质量发展")


def test_as_of_adds_plans_that_ended_in_their_last_year(data_dir):
    current = json.loads(run("plans", "evaluate", "--year", "2023", "--format", "json").stdout)
    assert "qz_commerce_13th" not in {r["plan"] for r in current}
    rows = json.loads(run("plans", "evaluate", "--year", "2023", "--as-of", "--format", "json").stdout)
    thirteenth = [r for r in rows if r["plan"] == "qz_commerce_13th"]
    assert len(thirteenth) == 12 and {r["year"] for r in thirteenth} == {2020}
    retail = next(r for r in thirteenth if r["indicator"] == "retail_sales")
    assert (retail["actual"], retail["status"]) == (757.0, "lagging")   # 757 against a target of 850


def test_import_and_evaluate_on_another_database(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("COMMERCE_BRAIN_DATABASE_URL", database_url)
    good = write_csv(tmp_path / "a.csv", [["qz_commerce_14th", "retail_sales", "330800", "2021", "800"]])
    assert json.loads(run("plans", "import", str(good), "--format", "json").stdout)["new"] == 1
    assert json.loads(run("plans", "import", str(good), "--format", "json").stdout)["unchanged"] == 1
    rows = json.loads(run("plans", "evaluate", "--year", "2021", "--format", "json").stdout)
    assert next(r for r in rows if r["plan"] == "qz_commerce_14th" and r["indicator"] == "retail_sales")["actual"] == 800


def test_demo_accounts_cover_every_role(tmp_path):
    from commerce_brain.access import ROLES
    from commerce_brain.catalog import load_catalog
    from commerce_brain.demo_site import create_demo_accounts
    from commerce_brain.store.accounts import authenticate
    from commerce_brain.store.schema import connect

    engine = connect(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    accounts = create_demo_accounts(engine, load_catalog(), enterprise_uscc="91350100M000100Y43")
    # Every role, and a second finance officer: who lists a payment is not who marks it paid.
    assert sorted(a.role_zh for a in accounts) == sorted([*ROLES.values(), ROLES["finance_officer"]])
    assert len({a.password for a in accounts}) == len(accounts)
    for account in accounts:
        user = authenticate(engine, account.username, account.password)
        assert user is not None and user.role_zh == account.role_zh
    assert authenticate(engine, "enterprise", accounts[0].password) is None
    qujiang = next(a for a in accounts if a.username == "qujiang")
    assert qujiang.scope == "衢江区政府" and "预警" in qujiang.try_first
