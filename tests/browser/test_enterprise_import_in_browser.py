"""企业数据导入 in a real browser: the policy officer downloads nothing by hand but the template's
shape, uploads a bad file and reads the report, uploads a good one, reads the preview, confirms,
then uploads a revision and sees old → new in 元 before confirming it too; the history lists both.

The live server is shared: the two enterprises here are new to it and their data is of 2015–2016,
years no other browser test's batch reads, so the awards the other tests look at do not move.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sample_files import enterprise_workbook
from steps import confirm_import, import_history, upload

pytestmark = pytest.mark.browser

# The template's example rows moved to years no policy governs (the policies start in 2019).
OLD_YEARS = {"facts_B2": 2015, "facts_B3": 2015, "events_B2": "2016-03-15", "events_B3": "2016-06-30"}


def test_the_policy_officer_imports_enterprise_data_and_a_revision(page: Page, sign_in, tmp_path):
    sign_in(page, "policy_officer")
    page.get_by_role("navigation").get_by_role("link", name="企业数据导入").click()
    expect(page.locator("main h1")).to_have_text("企业数据导入")

    # A bad file: the report names sheet, row, column and reason; nothing is offered to confirm.
    upload(page, enterprise_workbook(tmp_path, "有误.xlsx", **OLD_YEARS, enterprises_C2="火星"))
    report = page.locator("main section.card.warn")
    expect(report).to_contain_text("文件被整体退回，未导入任何数据：有误.xlsx")
    expect(report.locator("tbody tr").first).to_contain_text("enterprises")
    expect(report).to_contain_text("火星")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)

    # A good file: the preview, then 确认导入.
    upload(page, enterprise_workbook(tmp_path, "企业数据2015.xlsx", **OLD_YEARS))
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("校验通过：企业数据2015.xlsx")
    expect(preview).to_contain_text("衢州示例智能装备有限公司")
    expect(preview).to_contain_text("主营业务收入：152,345,678.90 元")
    expect(confirm_import(page)).to_contain_text("已导入：企业数据2015.xlsx")
    expect(import_history(page).first).to_contain_text("企业数据2015.xlsx")

    # A revision of A's revenue: old → new before anything is stored.
    upload(page, enterprise_workbook(tmp_path, "企业数据2015更正.xlsx", **OLD_YEARS, facts_C2="160000000"))
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("主营业务收入：152,345,678.90 元 → 160,000,000.00 元")
    expect(preview.locator("tbody").last).to_contain_text("修订")
    expect(confirm_import(page)).to_contain_text("修订 1")
    rows = import_history(page)
    expect(rows.first).to_contain_text("企业数据2015更正.xlsx")
    expect(rows.nth(1)).to_contain_text("企业数据2015.xlsx")
    # The bad file's answer is a 422, which the console reports; nothing else may fail.
    assert [e for e in page.errors_seen if "/favicon.ico" not in e and "status of 422" not in e] == []
