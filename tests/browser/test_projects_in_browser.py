"""项目推进 in a real browser: the list narrowed by a filter, a project's S-curve drawn by ECharts
under the CSP (no console error), and a responsible unit entering its month's report and seeing
its project's light change."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from factories import store_project_reports
from test_charts_in_browser import drawn, errors

pytestmark = pytest.mark.browser

MONTH = "2024-10"
# project → (annual plan 亿, year to date 亿): green (+13.9 points) and red (−33.3 points).
SEEDED = {"zl13-05": ("10", "9.72", "under_construction"), "zl13-06": ("6", "3", "under_construction")}


@pytest.fixture(scope="module")
def reports(live_server):
    """October's reports of two 衢江区 projects, stored as the bureau would have them."""
    store_project_reports(live_server.engine, SEEDED, MONTH, actor="browser-test")
    return SEEDED


def list_rows(page: Page):
    return page.locator("#project-list tbody tr")


def test_the_analyst_narrows_the_list_to_red_projects(page: Page, sign_in, reports):
    sign_in(page, "city_analyst")
    page.get_by_role("link", name="项目推进").first.click()
    expect(page.get_by_role("heading", name="项目推进 · 2024年10月")).to_be_visible()
    assert list_rows(page).count() == 58
    page.get_by_label("亮灯情况").select_option(label="红灯")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    expect(list_rows(page)).to_have_count(1)
    expect(list_rows(page).first).to_contain_text("衢江区国家（衢州）纸浆储备库")
    expect(list_rows(page).first).to_contain_text("红灯")
    assert drawn(page, "stack") == 2
    assert not errors(page)


def test_the_project_page_draws_its_s_curve(page: Page, sign_in, reports, tmp_path):
    sign_in(page, "city_analyst")
    page.goto("/projects/zl13-05")
    expect(page.get_by_role("heading", name="衢江区总部经济圈")).to_be_visible()
    assert drawn(page, "trend") == 1
    legend = page.locator('[data-chart="trend"] svg text').all_text_contents()
    assert {"计划累计投资", "实际累计完成"} <= set(legend), legend
    expect(page.locator("#project-light")).to_contain_text("绿灯")
    page.screenshot(path=str(tmp_path / "project.png"), full_page=True)
    assert not errors(page)


def test_the_responsible_unit_reports_and_the_light_turns(page: Page, sign_in, reports):
    sign_in(page, "project_unit")
    page.goto("/projects")
    # The unit's own projects only: 衢江区政府's.
    assert 0 < list_rows(page).count() < 58
    page.get_by_role("link", name="衢江区国家（衢州）纸浆储备库").click()
    expect(page.locator("#project-light")).to_contain_text("红灯")
    form = page.locator("#report-form")
    form.get_by_label("月份").fill(MONTH)
    form.get_by_label("年度计划投资（亿元）").fill("6")
    form.get_by_label("本年累计完成投资（亿元）").fill("5.5")
    form.get_by_label("存在问题").fill("用地指标待落实")
    form.get_by_role("button", name="保存报送").click()
    page.wait_for_load_state()
    expect(page.locator("#project-light")).to_contain_text("绿灯")
    expect(page.locator("#project-reports")).to_contain_text("用地指标待落实")
    assert not errors(page)
