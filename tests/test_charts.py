"""The cockpit's charts: the data the pages hand to ECharts, its scope, and the vendored library."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import polars as pl
from fastapi.testclient import TestClient
from test_web import sign_in, site  # noqa: F401 (the fixture)

from commerce_brain.web import charts
from commerce_brain.web.headers import CONTENT_SECURITY_POLICY
from commerce_brain.web.pages import _ENV

QUZHOU_COUNTIES = ["柯城区", "衢江区", "常山县", "开化县", "龙游县", "江山市"]


def chart_data(html: str) -> dict:
    """The page's JSON data block, parsed (it must be valid JSON)."""
    block = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    assert block, "the page has no chart data block"
    return json.loads(block.group(1))


def test_the_cockpit_charts_trends_lagging_first_and_compares_the_counties(site):  # noqa: F811
    app, _ = site
    client = sign_in(TestClient(app), "city")
    page = client.get("/?year=2023").text
    data = chart_data(page)
    assert 0 < len(data["trends"]) <= charts.COCKPIT_TRENDS
    assert data["trends"][0]["status"] == "滞后"  # the lagging ones first
    first = data["trends"][0]
    assert [s["name"] for s in first["series"]] == ["目标路径", "实际值", "预测值"]
    assert all(len(s["values"]) == len(first["years"]) for s in first["series"])
    assert page.count('data-chart="trend"') == len(data["trends"])
    assert data["counties"]["units"] == QUZHOU_COUNTIES
    rows = client.get("/api/v1/evaluation?year=2023&org_unit=330881").json()
    lagging = sum(r["status"] == "lagging" for r in rows)
    series = {s["name"]: s["values"] for s in data["counties"]["series"]}
    assert series["滞后"][QUZHOU_COUNTIES.index("江山市")] == lagging
    assert sum(s["value"] for s in data["statuses"]) == len(client.get("/api/v1/evaluation?year=2023").json())
    # The library is the platform's own file; nothing is loaded from another site.
    assert '<script src="/static/vendor/echarts/echarts.min.js"></script>' in page
    assert "http://" not in page and "https://" not in page


def test_the_indicator_page_draws_its_line_and_the_counties_growth(site):  # noqa: F811
    app, _ = site
    client = sign_in(TestClient(app), "city")
    data = chart_data(client.get("/plans/qz_commerce_14th/retail_sales?year=2023&org_unit=330800").text)
    (trend,) = data["trends"]
    assert trend["title"] == "社会消费品零售总额" and trend["unit"] == "亿元"
    path = trend["series"][0]["values"]
    assert trend["years"][0] == "2020" and path[-1] == 1000.0 and path == sorted(path)
    assert data["growth"]["units"] == QUZHOU_COUNTIES
    assert [s["name"] for s in data["growth"]["series"]] == ["已实现增速", "所需增速"]


def test_the_summary_screen_maps_the_counties_and_keeps_to_the_scope(site):  # noqa: F811
    app, _ = site
    leader = sign_in(TestClient(app), "boss")
    page = leader.get("/cockpit/screen?year=2023")
    assert page.status_code == 200
    assert "示意图" in page.text and 'data-chart="statuses"' in page.text and "全屏" in page.text
    tiles = re.findall(r'class="county" style="grid-row: (\d); grid-column: (\d)[^"]*"><b>([^<]+)</b>', page.text)
    assert sorted(name for *_, name in tiles) == sorted(QUZHOU_COUNTIES)
    assert len({(row, col) for row, col, _ in tiles}) == 6  # no two counties on one place
    county = sign_in(TestClient(app), "kecheng")
    own = county.get("/cockpit/screen?year=2023").text
    assert re.findall(r'class="county"[^>]*><b>([^<]+)</b>', own) == ["柯城区"]
    assert chart_data(own)["counties"]["units"] == ["柯城区"]
    assert county.get("/cockpit/screen?org_unit=330881").status_code == 403
    assert sign_in(TestClient(app), "firm").get("/cockpit/screen").status_code == 403


def test_the_data_block_cannot_close_its_script_element():
    # Catalog or imported text inside the JSON must not end the element and start markup.
    html = _ENV.get_template("_charts.html").render(charts={"trends": [{"title": "</script><b>x</b>"}]})
    block = re.search(r'id="chart-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and json.loads(block)["trends"][0]["title"] == "</script><b>x</b>"


def test_a_json_block_is_data_under_the_policy():
    # The pages carry no inline script to run: the policy allows only the platform's files.
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in \
        CONTENT_SECURITY_POLICY.split("script-src")[1].split(";")[0]


def test_status_by_unit_counts_each_unit_in_order_and_zero_when_absent():
    frame = pl.DataFrame({"org_unit": ["b", "b", "a", "b"], "status": ["lagging", "ahead", "ahead", "lagging"]})
    data = charts.status_by_unit(frame, [("a", "甲"), ("b", "乙"), ("c", "丙")])
    series = {s["name"]: s["values"] for s in data["series"]}
    assert data["units"] == ["甲", "乙", "丙"]
    assert series["滞后"] == [0, 2, 0] and series["快于预期"] == [1, 1, 0] and series["提前实现"] == [0, 0, 0]


def test_the_map_colours_a_county_by_most_of_its_assessed_indicators():
    frame = pl.DataFrame({"org_unit": ["330802"] * 3 + ["330881"] * 4 + ["330803"],
                          "status": ["lagging", "ahead", "ahead", "lagging", "lagging", "ahead", "no_data",
                                     "no_data"]})
    units = [("330802", "柯城区"), ("330881", "江山市"), ("330803", "衢江区")]
    tiles = charts.county_map("330800", units, charts.status_by_unit(frame, units))
    assert [t["status"] for t in tiles] == ["快于预期", "滞后", "暂无数据"]
    assert (tiles[1]["lagging"], tiles[1]["assessed"]) == (2, 3)
    assert [(t["row"], t["col"]) for t in tiles] == [charts.SCHEMATIC["330800"][c] for c, _ in units]


def test_echarts_is_vendored_with_its_licence_and_ships_in_the_package():
    vendor = resources.files("commerce_brain.web") / "static" / "vendor" / "echarts"
    assert (vendor / "echarts.min.js").read_text(encoding="utf-8").count("Apache") > 0
    assert "Apache License" in (vendor / "LICENSE").read_text(encoding="utf-8")
    assert "5.6.0" in (vendor / "README.md").read_text(encoding="utf-8")
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"web/static/vendor/echarts/*"' in pyproject


def test_shaoxing_has_its_own_map_for_its_plan(site):  # noqa: F811
    app, _ = site
    client = sign_in(TestClient(app), "city")
    assert '<option value="330600">绍兴市</option>' in client.get("/").text  # the city can be picked
    page = client.get("/cockpit/screen?year=2023&org_unit=330600").text
    tiles = re.findall(r'class="county" style="grid-row: (\d); grid-column: (\d)[^"]*"><b>([^<]+)</b>', page)
    assert sorted(name for *_, name in tiles) == sorted(["越城区", "柯桥区", "上虞区", "新昌县", "诸暨市", "嵊州市"])
    assert len({(row, col) for row, col, _ in tiles}) == 6
