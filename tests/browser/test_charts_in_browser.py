"""The charts in a real browser: ECharts, served by the platform, draws under the strict CSP
(no console error, nothing from another site); the leader's one-screen summary on a wall display."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

RETAIL = "/plans/qz_commerce_14th/retail_sales?year=2023&org_unit=330800"
WALL = {"width": 1920, "height": 1080}
QUZHOU_COUNTIES = {"柯城区", "衢江区", "常山县", "开化县", "龙游县", "江山市"}


def drawn(page: Page, kind: str) -> int:
    """How many charts of ``kind`` ECharts drew (an SVG with shapes inside the chart's box)."""
    charts = page.locator(f'[data-chart="{kind}"]')
    expect(charts.first.locator("svg")).to_be_visible()
    count = charts.count()
    for i in range(count):
        chart = charts.nth(i)
        assert chart.locator("svg path").count() > 3, f"chart {kind} #{i} is empty"
        box, frame = chart.locator("svg").bounding_box(), chart.bounding_box()
        assert box and box["width"] > 150 and box["height"] > 100, box
        # Drawn at the size of its box: no style squeezes the SVG and cuts off axes or legend.
        assert abs(box["width"] - frame["width"]) < 2 and abs(box["height"] - frame["height"]) < 2, (box, frame)
    return count


def errors(page: Page) -> list[str]:
    # Chromium reports a Content-Security-Policy refusal as a console error: none may appear.
    return [e for e in page.errors_seen if "/favicon.ico" not in e]


def test_the_cockpit_draws_trends_and_the_county_comparison(page: Page, sign_in, tmp_path):
    sign_in(page, "city_analyst")
    expect(page.get_by_role("heading", name="指标走势（滞后的在前）")).to_be_visible()
    assert drawn(page, "trend") >= 1
    assert drawn(page, "counties") == 1
    labels = page.locator('[data-chart="counties"] svg text').all_text_contents()
    assert QUZHOU_COUNTIES <= set(labels), labels
    assert page.locator(".trend .status").first.inner_text() == "滞后"
    page.screenshot(path=str(tmp_path / "cockpit-charts.png"), full_page=True)
    assert not errors(page)


def test_the_indicator_page_draws_its_line_against_the_target_path(page: Page, sign_in, tmp_path):
    sign_in(page, "city_analyst")
    page.goto(RETAIL)
    assert drawn(page, "trend") == 1 and drawn(page, "growth") == 1
    legend = page.locator('[data-chart="trend"] svg text').all_text_contents()
    assert {"目标路径", "实际值", "预测值"} <= set(legend), legend
    page.screenshot(path=str(tmp_path / "indicator.png"), full_page=True)
    assert not errors(page)


def test_the_leader_opens_the_summary_screen_on_a_wall_display(page: Page, sign_in, tmp_path):
    page.set_viewport_size(WALL)
    sign_in(page, "leader")
    page.get_by_role("link", name="大屏展示").click()
    expect(page.locator(".screen h1")).to_contain_text("衢州市")
    assert drawn(page, "statuses") == 1 and drawn(page, "counties") == 1
    tiles = page.locator(".county-map .county b").all_inner_texts()
    assert set(tiles) == QUZHOU_COUNTIES
    expect(page.get_by_text("示意图").first).to_be_visible()
    # Dark and large: a wall display is read from across the room.
    background = page.locator("body").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(11, 21, 38)"
    size = page.locator(".screen h1").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 32, size
    # One screen: nothing to scroll at 1920 × 1080.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= WALL["height"], height
    page.screenshot(path=str(tmp_path / "screen.png"))
    assert not errors(page)


def test_a_county_analyst_sees_only_its_county_on_the_screen(page: Page, sign_in):
    sign_in(page, "county_analyst")
    page.goto("/cockpit/screen")
    assert page.locator(".county-map .county b").all_inner_texts() == ["柯城区"]
    labels = page.locator('[data-chart="counties"] svg text').all_text_contents()
    assert "柯城区" in labels and not (QUZHOU_COUNTIES - {"柯城区"}) & set(labels)
    assert not errors(page)
