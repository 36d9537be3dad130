"""政策匹配 as the policy office uses it: from the menu to the enterprises within 10% of a
threshold, by county and rule; a wider fraction finds more; the workbook downloads. A county
analyst sees its county's only."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _rows(page: Page, table: str) -> int:
    return page.locator(f"table#{table} tbody tr").count()


def test_the_policy_office_finds_the_near_misses_and_exports_them(page: Page, sign_in):
    sign_in(page, "policy_officer")
    page.get_by_role("link", name="政策匹配").click()
    expect(page.get_by_role("heading", name="政策匹配：差一点的企业")).to_be_visible()
    expect(page.get_by_label(re.compile("距门槛"))).to_have_value("10")
    page.get_by_label(re.compile("距门槛")).fill("30")
    page.get_by_label("年度").fill("2023")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"/match\?within=30&year=2023&org_unit=$"))
    expect(page.locator("table#near-misses")).to_contain_text("还差")
    wide = _rows(page, "near-misses")
    assert wide > 0
    counties = page.locator("table#by-county tbody tr td:first-child").all_inner_texts()
    assert counties and all(re.fullmatch(r"[\u4e00-\u9fff（）]+", c) for c in counties)  # names, not codes

    with page.expect_download() as download:
        page.get_by_role("link", name="导出表格").click()
    book = load_workbook(BytesIO(open(download.value.path(), "rb").read()))
    assert book.sheetnames == ["按地区和条款", "企业明细"]
    assert book["企业明细"].max_row - 1 == wide

    page.get_by_label(re.compile("距门槛")).fill("5")
    page.get_by_role("button", name="查询").click()
    assert _rows(page, "near-misses") < wide

    page.get_by_label(re.compile("距门槛")).fill("30")
    page.get_by_label("地区").select_option(label="柯城区")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"org_unit=330802$"))
    assert set(page.locator("table#by-county tbody tr td:first-child").all_inner_texts()) <= {"柯城区"}


def test_a_county_analyst_sees_its_county_only(page: Page, sign_in):
    sign_in(page, "county_analyst")
    page.goto("/match?within=50&year=2023")
    counties = set(page.locator("table#by-county tbody tr td:first-child").all_inner_texts())
    assert counties <= {"柯城区"}
