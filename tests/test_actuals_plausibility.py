"""Plausibility of imported actuals (issue 8, section 4): each nonsense figure that was stored
before is replayed through the reader, the CLI and the import page, and refused or warned.

Errors reject the file whole, located by sheet, row and column; a year-on-year jump is a
warning that stores nothing until accepted (``--accept-warnings``, the preview's checkbox).
"""

from __future__ import annotations

import csv
import json
import re

import polars as pl
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from typer.testing import CliRunner

from commerce_brain.cli import app as cli
from commerce_brain.demo import demo_observations
from commerce_brain.io.actuals_import import ImportRejected, check_actuals, read_actuals
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.audit import events
from commerce_brain.store.observations import current_observations, save_observations
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

PLAN = "qz_commerce_14th"
HEADER = ["plan", "indicator", "org_unit", "period", "value"]
PASSWORD = "correct-horse-42"


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def rejected(path, catalog) -> list:
    with pytest.raises(ImportRejected) as info:
        read_actuals(path, catalog)
    return info.value.problems


# ---- the reader: errors ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "reason"), [
    ("-5", "不能为负"),                                    # −5 for 社会消费品零售总额
    ("1e308", "数值过大"),                                  # then the indicator page answered 500
    ("99999999999999999999999999999", "有效数字超过 15 位"),  # stored as 99,999,999,999,999,991,433,150,857,216
    ("1234.5678901234567", "有效数字超过 15 位"),
    ("2e12", "数值过大"),
])
def test_nonsense_figures_reject_the_file_naming_row_and_column(tmp_path, catalog, value, reason):
    path = write_csv(tmp_path / "actuals.csv", [
        [PLAN, "retail_sales", "330800", "2022", "905.26"],
        [PLAN, "社会消费品零售总额", "330802", "2023", value],
    ])
    problems = rejected(path, catalog)
    assert {(p.sheet, p.row, p.column) for p in problems} == {("actuals.csv", 3, "value")}
    assert any(reason in p.reason and value in p.reason for p in problems)


def test_a_share_above_its_whole_is_refused_and_a_share_within_it_accepted(tmp_path, catalog):
    share = "small_three_cities_digital_coverage"  # “小三城”产业数字化升级覆盖率, %
    path = write_csv(tmp_path / "shares.csv", [[PLAN, share, "330800", "2023", "250"],
                                               [PLAN, share, "330802", "2023", "100"],
                                               ["qz_services_14th", "services_employment_share", "330800", "2023",
                                                "100.5"]])
    problems = rejected(path, catalog)
    assert [(p.row, p.column) for p in problems] == [(2, "value"), (4, "value")]
    assert all("比重超过 100%" in p.reason for p in problems)
    fine = write_csv(tmp_path / "fine.csv", [[PLAN, share, "330800", "2023", "99.5"]])
    assert read_actuals(fine, catalog)["value"].to_list() == [99.5]


def test_an_org_unit_outside_the_plans_region_is_refused(tmp_path, catalog):
    path = write_csv(tmp_path / "actuals.csv", [
        [PLAN, "retail_sales", "330602", "2023", "500"],          # 越城区 (绍兴) in a 衢州 plan
        [PLAN, "retail_sales", "越城区", "2022", "480"],
        ["sx_commerce_14th", "retail_sales", "330802", "2023", "300"],  # 柯城区 in a 绍兴 plan
    ])
    problems = rejected(path, catalog)
    assert [(p.row, p.column) for p in problems] == [(2, "org_unit"), (3, "org_unit"), (4, "org_unit")]
    assert all("地区不在该规划的范围内" in p.reason for p in problems)
    own = write_csv(tmp_path / "own.csv", [["sx_commerce_14th", "retail_sales", "330602", "2023", "500"],
                                           [PLAN, "retail_sales", "Z33080001", "2023", "50"]])
    assert read_actuals(own, catalog)["org_unit"].to_list() == ["330602", "Z33080001"]


def test_an_xlsx_names_the_sheet_and_the_column_letter(tmp_path, catalog):
    book = Workbook()
    sheet = book.active
    sheet.title = "2023年"
    sheet.append(["规划", "指标", "地区", "期间", "数值"])
    sheet.append([PLAN, "社会消费品零售总额", "衢州市", 2023, -5])
    book.save(tmp_path / "actuals.xlsx")
    [problem] = rejected(tmp_path / "actuals.xlsx", catalog)
    assert (problem.sheet, problem.row, problem.column) == ("2023年", 2, "数值 (E)")


# ---- the reader: warnings ----------------------------------------------------------------------

def test_a_jump_against_the_same_file_or_the_store_is_a_warning(tmp_path, catalog):
    path = write_csv(tmp_path / "actuals.csv", [
        [PLAN, "retail_sales", "330800", "2022", "905.26"],
        [PLAN, "retail_sales", "330800", "2023", "9362.6"],       # ×10.3 against the row above
        [PLAN, "retail_sales", "330802", "2023", "100"],          # against the store: 400 → 100
        [PLAN, "retail_sales", "330802", "2023-06", "52"],        # no month in the store: no warning
    ])
    stored = pl.DataFrame({"plan": [PLAN], "indicator": ["retail_sales"], "org_unit": ["330802"],
                           "period": ["2022"], "value": [400.0]})
    checked = check_actuals(path, catalog, stored=stored, jump_factor=3.0)
    assert checked.frame.height == 4
    assert [(w.row, w.column) for w in checked.warnings] == [(3, "value"), (4, "value")]
    assert "变化超过 3 倍" in checked.warnings[0].reason and "905.26" in checked.warnings[0].reason
    assert check_actuals(path, catalog, stored=stored, jump_factor=20.0).warnings == []
    # The file's own previous year wins over the store's (which would make row 3 no jump at all).
    revised = stored.with_columns(org_unit=pl.lit("330800"), value=pl.lit(9000.0))
    assert [w.row for w in check_actuals(path, catalog, stored=revised, jump_factor=3.0).warnings] == [3]


def test_the_jump_factor_is_a_setting(monkeypatch):
    assert Settings.from_env(database_url="sqlite://").import_jump_factor == 3.0
    monkeypatch.setenv("COMMERCE_BRAIN_IMPORT_JUMP_FACTOR", "5")
    assert Settings.from_env(database_url="sqlite://").import_jump_factor == 5.0
    monkeypatch.setenv("COMMERCE_BRAIN_IMPORT_JUMP_FACTOR", "0.5")
    with pytest.raises(ValueError):
        Settings.from_env(database_url="sqlite://")


# ---- the CLI -----------------------------------------------------------------------------------

def _demo_store(database_url, catalog):
    engine = connect(database_url)
    save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="test")
    return engine


def test_plans_import_refuses_nonsense_and_stores_warnings_only_when_accepted(database_url, catalog, tmp_path):
    engine = _demo_store(database_url, catalog)
    before = current_observations(engine).height
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["plans", "import", *args, "--db", database_url, "--user", "clerk"])

    nonsense = write_csv(tmp_path / "nonsense.csv", [[PLAN, "retail_sales", "330800", "2024", "1e308"]])
    result = run(str(nonsense))
    assert result.exit_code == 1 and "数值过大" in result.output
    jump = write_csv(tmp_path / "jump.csv", [[PLAN, "retail_sales", "330800", "2024", "9999"]])  # 936.26 → 9999
    dry = run(str(jump), "--dry-run", "--format", "json")
    assert dry.exit_code == 0 and "变化超过 3 倍" in dry.output
    refused = run(str(jump))
    assert refused.exit_code == 1 and "--accept-warnings" in refused.output
    assert current_observations(engine).height == before
    accepted = run(str(jump), "--accept-warnings", "--format", "json")
    assert accepted.exit_code == 0, accepted.output
    result = json.loads(accepted.stdout)
    assert result["new"] == 1 and len(result["warnings"]) == 1
    assert current_observations(engine).height == before + 1
    audited = [e for e in events(engine, limit=5) if e["action"] == "import_actuals"][0]
    assert audited["detail"]["accepted_warnings"] == 1 and audited["actor"] == "clerk"


# ---- the page ----------------------------------------------------------------------------------

def _signed_in(database_url, catalog) -> tuple[TestClient, object]:
    engine = _demo_store(database_url, catalog)
    create_user(engine, username="city", password=PASSWORD, role="city_analyst", display_name="市商务局",
                catalog=catalog)
    client = TestClient(create_app(Settings.from_env(database_url=database_url)))
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    client.post("/login", data={"username": "city", "password": PASSWORD, "login_token": token, "next": "/"})
    return client, engine


def _upload(client, rows, name="a.csv"):
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/imports").text).group(1)
    content = "\n".join(",".join(r) for r in [HEADER, *rows]).encode()
    return client.post("/imports/preview", data={"csrf": csrf}, files={"file": (name, content, "text/csv")})


def test_the_import_page_rejects_nonsense_and_asks_to_accept_warnings(database_url, catalog):
    client, engine = _signed_in(database_url, catalog)
    before = current_observations(engine).height
    bad = _upload(client, [[PLAN, "retail_sales", "330800", "2024", "-5"],
                           [PLAN, "small_three_cities_digital_coverage", "330800", "2024", "250"],
                           [PLAN, "retail_sales", "330602", "2024", "10"]])
    assert bad.status_code == 422 and "文件被整体退回" in bad.text
    assert "数值不能为负" in bad.text and "比重超过 100%" in bad.text and "地区不在该规划的范围内" in bad.text

    preview = _upload(client, [[PLAN, "retail_sales", "330800", "2024", "9999"]], "jump.csv")
    assert preview.status_code == 200 and "变化超过 3 倍" in preview.text
    assert "我已核对上述提示，确认导入" in preview.text and 'name="accept_warnings"' in preview.text
    form = dict(re.findall(r'name="(sha|suffix|file_name|csrf)" value="([^"]+)"', preview.text))
    unticked = client.post("/imports/confirm", data=form)
    assert unticked.status_code == 422 and "请先核对" in unticked.text
    assert current_observations(engine).height == before
    done = client.post("/imports/confirm", data={**form, "accept_warnings": "1"})
    assert done.status_code == 200 and "已导入" in done.text
    assert current_observations(engine).height == before + 1

    calm = _upload(client, [[PLAN, "retail_sales", "330800", "2025", "10500"]], "calm.csv")
    assert calm.status_code == 200 and 'name="accept_warnings"' not in calm.text


def test_the_indicator_page_survives_an_extreme_stored_value(database_url, catalog):
    client, engine = _signed_in(database_url, catalog)
    row = pl.DataFrame([{"plan": PLAN, "indicator": "retail_sales", "org_unit": "330800", "period": "2023",
                         "year": 2023, "month": None, "value": 1e308, "real_growth": None,
                         "is_period_total": False, "source": "old import"}],
                       schema=current_observations(engine).schema)
    save_observations(engine, row, file_name="old.csv", sha256="-", imported_by="test")  # before the checks
    page = client.get(f"/plans/{PLAN}/retail_sales?year=2023")
    assert page.status_code == 200 and "社会消费品零售总额" in page.text


# ---- the API -----------------------------------------------------------------------------------

def test_the_import_api_refuses_nonsense_and_stores_warnings_only_when_accepted(database_url, catalog, tmp_path):
    engine = _demo_store(database_url, catalog)
    city = create_user(engine, username="city", password=PASSWORD, role="city_analyst", display_name="市商务局",
                       catalog=catalog)
    officer = create_user(engine, username="officer", password=PASSWORD, role="policy_officer",
                          display_name="资管办", catalog=catalog)
    client = TestClient(create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path)))
    headers = {"Authorization": f"Bearer {issue_token(engine, city.id, 'script')}"}
    before = current_observations(engine).height

    def post(rows, name="a.csv", **params):
        content = "\n".join(",".join(r) for r in [HEADER, *rows]).encode()
        return client.post("/api/v1/imports/actuals", params=params, headers=headers,
                           files={"file": (name, content, "text/csv")})

    bad = post([[PLAN, "retail_sales", "330800", "2024", "99999999999999999999999999999"],
                [PLAN, "retail_sales", "330602", "2024", "10"]])
    assert bad.status_code == 422 and "文件被整体退回" in bad.json()["detail"]
    assert {p["field"] for p in bad.json()["problems"]} == {"a.csv 第2行 value", "a.csv 第3行 org_unit"}
    jump = [[PLAN, "retail_sales", "330800", "2024", "9999"]]
    dry = post(jump, dry_run="true")
    assert dry.status_code == 200 and dry.json()["new"] == 1 and len(dry.json()["warnings"]) == 1
    refused = post(jump)
    assert refused.status_code == 409 and "accept_warnings" in refused.json()["detail"]
    assert "变化超过 3 倍" in refused.json()["problems"][0]["message"]
    assert current_observations(engine).height == before
    done = post(jump, accept_warnings="true")
    assert done.status_code == 200 and done.json()["import_id"] is not None
    assert current_observations(engine).height == before + 1
    assert list((tmp_path / "uploads").glob("*.csv")) == []  # nothing kept, accepted or refused
    others = {"Authorization": f"Bearer {issue_token(engine, officer.id, 'script')}"}
    assert client.post("/api/v1/imports/actuals", headers=others).status_code == 403
