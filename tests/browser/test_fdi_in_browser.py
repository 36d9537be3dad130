"""外资项目全流程跟踪 as people use it: the city analyst opens the board from the menu, sees the
pipeline by stage with the overdue projects marked, narrows it to one county and opens a project;
a county analyst sees only its county, and another county's project is missing for it.

The live server is shared: the sample pipeline is stored once (no warnings are raised, so the
warnings other tests count are left alone) and nothing here changes it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def pipeline(live_server, tmp_path):
    from commerce_brain.catalog import load_catalog
    from commerce_brain.io.fdi_import import read_fdi_pipeline
    from commerce_brain.io.fdi_template import write_fdi_template
    from commerce_brain.projects.fdi_catalog import load_fdi_catalog
    from commerce_brain.store.fdi_tables import save_fdi_pipeline

    catalog, fdi = load_catalog(), load_fdi_catalog()
    sample = write_fdi_template(tmp_path / "fdi.xlsx", catalog, fdi, sample=True)
    # Stored again by a second test: identical projects write nothing.
    save_fdi_pipeline(live_server.engine, read_fdi_pipeline(sample, catalog, fdi), actor="browser-test",
                      file_name="fdi.xlsx", sha256="-")


def stage_column(page: Page, name: str):
    return page.locator("#pipeline .stage", has=page.get_by_role("heading", name=re.compile(f"^{name}")))


def test_the_board_by_stage_filtered_to_one_county(page: Page, sign_in, pipeline):
    sign_in(page, "city_analyst")
    page.locator("header nav").get_by_role("link", name="外资项目").click()
    expect(page).to_have_url(re.compile(r"/fdi$"))
    expect(page.get_by_role("heading", name=re.compile("外资项目全流程跟踪"))).to_be_visible()
    expect(page.locator("#pipeline .stage")).to_have_count(9)
    expect(page.locator("#pipeline .project")).to_have_count(9)
    # Overdue projects carry their level: red for 60 days late, yellow for 20.
    expect(page.locator("#pipeline .project.overdue-red", has_text="智能装备制造项目")).to_have_count(1)
    expect(page.locator("#pipeline .project.overdue-yellow", has_text="精密电子元器件生产基地")).to_have_count(1)
    expect(stage_column(page, "达产")).to_contain_text("高分子新材料项目")
    expect(page.locator("#overdue")).to_contain_text("龙游县商务局")

    # Filter: one county.
    page.get_by_label("地区", exact=True).select_option(label="龙游县")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"org_unit=330825"))
    expect(page.locator("#pipeline .project")).to_have_count(1)
    expect(stage_column(page, "签约")).to_contain_text("智能装备制造项目")
    rates = page.locator("#county-rates tbody tr")
    expect(rates).to_have_count(1)
    expect(rates.first).to_contain_text("龙游县")
    expect(rates.first).to_contain_text("0.0%")
    expect(page.get_by_label("地区", exact=True)).to_have_value("330825")  # the filter stays chosen

    # Filter by country and industry together: 中国香港 and 其他制造业 is one project in 衢江区.
    page.get_by_label("地区", exact=True).select_option(label="全部")
    page.get_by_label("国别（地区）").select_option(label="中国香港")
    page.get_by_label("行业").select_option(label="其他制造业")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#pipeline .project")).to_have_count(1)
    expect(page.locator("#pipeline .project")).to_contain_text("医疗器械生产项目")

    # The project's page: each stage planned against actual, the overdue one marked.
    page.locator("#pipeline .project", has_text="医疗器械生产项目").click()
    expect(page).to_have_url(re.compile(r"/fdi/WZ-2025-009$"))
    expect(page.locator("dl.figures")).to_contain_text("香江生物医药有限公司（中国香港）")
    late = page.locator("#stages tr.overdue-red")
    expect(late).to_have_count(1)
    expect(late).to_contain_text("到资")
    expect(late).to_contain_text("逾期 45 天")
    expect(page.locator("#stages tbody tr")).to_have_count(8)
    assert page.errors_seen == []


def test_a_county_sees_its_own_projects_and_the_investors(open_tab, live_server, sign_in, pipeline):
    page = open_tab(live_server)
    sign_in(page, "county_analyst")
    page.goto("/fdi")
    expect(page.locator("#pipeline .project")).to_have_count(2)  # 柯城区's two projects
    expect(page.locator("#county-rates tbody tr")).to_have_count(1)
    response = page.goto("/fdi/WZ-2025-003")  # 龙游县's: as if it did not exist
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("该记录不存在")

    unit = open_tab(live_server)
    sign_in(unit, "project_unit")  # 衢江区政府: the projects whose next step it owns
    unit.locator("header nav").get_by_role("link", name="外资项目").click()
    expect(unit.locator("#pipeline .project")).to_have_count(2)
    unit.get_by_role("link", name="客商库").click()
    rows = unit.locator("#investors tbody tr")
    expect(rows).to_have_count(2)
    expect(unit.locator("#investors")).to_contain_text("莱茵新材料集团")
