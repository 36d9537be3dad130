"""消费市场监测 on the web, on SQLite and PostgreSQL: the upload API (stored, dry run, refused whole
and not kept, a county's file with another county's series), the dashboard and its JSON, each
within the user's scope, in Chinese."""

from __future__ import annotations

import re

import pytest

from commerce_brain import followup as f
from commerce_brain.access import Scope
from commerce_brain.io.retail_template import write_retail_template
from commerce_brain.store.audit import events
from commerce_brain.store.market_tables import list_market_imports
from commerce_brain.warning.market_catalog import load_market_catalog

from api_site import get, open_site, post_file, uploads_kept

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
YUECHENG = "330602"
ACCOUNTS = {"city": {"role": "city_analyst"}, "yuecheng": {"role": "county_analyst", "org_unit": YUECHENG},
            "officer": {"role": "policy_officer"}, "boss": {"role": "leader"}}


@pytest.fixture
def site(database_url, tmp_path):
    site = open_site(database_url, tmp_path, ACCOUNTS,
                     lambda catalog: write_retail_template(tmp_path / "零售额.xlsx", catalog, load_market_catalog(), sample=True))
    yield site
    site["engine"].dispose()


def upload(site, user: str, path, **params):
    return post_file(site, user, "/api/v1/warning/market/imports", path, **params)


def test_the_upload_stores_the_sales_raises_the_warnings_and_keeps_no_file(site):
    dry = upload(site, "city", site["sample"], dry_run="true")
    assert dry.status_code == 200 and dry.json()["import_id"] is None and dry.json()["new"] == dry.json()["rows"]
    assert list_market_imports(site["engine"]) == []
    done = upload(site, "city", site["sample"])
    assert done.status_code == 200, done.text
    assert done.json()["warnings"] == {"new": 4, "unchanged": 0}
    assert events(site["engine"], action="market.import")[0]["actor"] == "city"
    raised = f.list_warnings(site["engine"], Scope(), source="market")
    assert dict(zip(raised["subject_name"], raised["responsible_unit"], strict=True))[
        "越城区社会消费品零售总额"] == "越城区商务局"
    again = upload(site, "city", site["sample"])
    assert again.json()["unchanged"] == again.json()["rows"] and again.json()["warnings"] == {"new": 0, "unchanged": 4}
    assert uploads_kept(site) == []


def test_a_refused_file_is_reported_and_not_kept(site):
    bad = site["tmp"] / "bad.csv"
    bad.write_text("月份,地区,类别,名称,当月零售额（万元）\n2024-06,火星,社会消费品零售总额,,1\n", encoding="utf-8")
    refused = upload(site, "city", bad)
    assert refused.status_code == 422
    assert "未知地区：“火星”" in refused.text and "第2行" in refused.text
    assert list_market_imports(site["engine"]) == [] and uploads_kept(site) == []
    assert events(site["engine"], action="import_rejected")[0]["detail"]["kind"] == "retail"


def test_a_county_may_import_only_its_own_series(site):
    refused = upload(site, "yuecheng", site["sample"])
    assert refused.status_code == 422 and "管辖范围以外" in refused.json()["detail"]
    assert list_market_imports(site["engine"]) == [] and uploads_kept(site) == []
    own = site["tmp"] / "own.csv"
    own.write_text("月份,地区,类别,名称,当月零售额（万元）\n2024-06,越城区,社会消费品零售总额,,500000\n", encoding="utf-8")
    assert upload(site, "yuecheng", own).status_code == 200


def test_who_may_import_and_who_may_look(site):
    assert upload(site, "officer", site["sample"]).status_code == 403
    assert upload(site, "boss", site["sample"]).status_code == 403
    assert get(site, "officer", "/api/v1/warning/market").status_code == 403
    assert get(site, "officer", "/market").status_code == 403
    assert upload(site, "city", site["sample"]).status_code == 200
    assert get(site, "boss", "/api/v1/warning/market").status_code == 200


def test_the_dashboard_within_each_scope(site):
    upload(site, "city", site["sample"])
    city = get(site, "city", "/api/v1/warning/market").json()
    assert city["period"] == "2024-06" and len(city["series"]) == 9
    total = next(s for s in city["series"] if s["org_unit"] == "330600" and s["series_kind"] == "total")
    assert total["behind_pace"] is True and total["plan"] == "sx_commerce_14th"
    county = get(site, "yuecheng", "/api/v1/warning/market?period=2024-03").json()
    assert {s["org_unit"] for s in county["series"]} == {YUECHENG} and county["period"] == "2024-03"
    assert get(site, "city", "/api/v1/warning/market?period=2024-6x").status_code == 422
    page = get(site, "city", "/market?period=2024-06")
    assert page.status_code == 200
    assert "消费市场监测" in page.text and "低于目标所需增速" in page.text and "数据不全" in page.text
    text = re.sub(r"<[^>]+>", " ", page.text.split("<main", 1)[1].split("</main>", 1)[0])
    text = re.sub(r'\{.*\}', " ", text)  # the chart's data block
    assert not [w for w in LATIN_WORD.findall(text)], text
    empty = get(site, "yuecheng", "/market?period=2023-01")
    assert empty.status_code == 200 and "越城区" in empty.text
