"""企业申报 in a real browser: the enterprise files a claim with a real PDF, is told why a rule it
does not qualify for is refused, reads its claim and downloads its file; the policy officer finds
the award it made, sees where it came from and the evidence, and approves it.

The live server is shared: the claim is for award year 2021 (R&D), which no other browser test
touches (the walk-through's batch is 2023), so the enterprise's award is its claim's alone.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sample_files import pdf_bytes, write

pytestmark = pytest.mark.browser

YEAR = "2021"
RD = "第8条 研发投入补助"
PILOT = "第4条 信息化类试点示范奖励"
STATEMENT = "2021年度研发投入 357.6 万元，附研发费用专项审计报告。"


def card(page: Page, heading: str):
    return page.locator("main section.card").filter(has=page.get_by_role("heading", name=heading))


def fill_claim(page: Page, rule: str, evidence) -> None:
    page.get_by_label("奖补条款").select_option(label=rule)
    page.get_by_label("申报年度").fill(YEAR)
    page.get_by_label("申报说明").fill(STATEMENT)
    page.get_by_label("证明材料").set_input_files(str(evidence))
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_load_state()


def test_an_enterprise_files_a_claim_and_the_officer_approves_it(page: Page, sign_in, accounts, tmp_path):
    evidence = write(tmp_path, "研发费用专项审计报告.pdf", pdf_bytes("R&D audit 2021"))
    sign_in(page, "enterprise")
    page.get_by_role("navigation").get_by_role("link", name="企业申报").click()
    expect(page.locator("main h1")).to_have_text("企业申报")
    page.get_by_role("link", name="我要申报").click()
    expect(page.locator("main h1")).to_have_text("我要申报")
    expect(card(page, "申报所依据的数据")).to_contain_text(accounts["enterprise"].uscc)

    # A rule its data does not earn: refused with the reason, the statement kept, nothing filed.
    fill_claim(page, PILOT, evidence)
    expect(page.get_by_role("alert")).to_contain_text("2021年无本条对应的事件")
    expect(page.get_by_label("申报说明")).to_have_value(STATEMENT)

    fill_claim(page, RD, evidence)
    expect(page).to_have_url(re.compile(r"/claims/\d+$"))
    expect(page.locator("main h1")).to_have_text(f"企业申报 · {RD}")
    expect(page.locator("main")).to_contain_text(STATEMENT)
    awards = card(page, "奖补及审核状态")
    expect(awards.locator("tbody tr")).to_have_count(1)
    expect(awards).to_contain_text("企业已确认")
    award_id = awards.locator("tbody tr td").first.inner_text()
    with page.expect_download() as download:
        card(page, "证明材料").get_by_role("link", name=evidence.name).click()
    assert download.value.suggested_filename == evidence.name
    assert download.value.path().read_bytes() == evidence.read_bytes()
    assert not [e for e in page.errors_seen if "/favicon.ico" not in e and "400" not in e], page.errors_seen

    # The policy officer: the award among the others, its source, the evidence, the approval.
    page.get_by_role("button", name="退出").click()
    sign_in(page, "policy_officer")
    page.get_by_role("navigation").get_by_role("link", name="政策兑现").click()
    row = page.locator("main table.data").last.locator("tbody tr").filter(
        has=page.get_by_role("link", name=award_id, exact=True))
    expect(row).to_contain_text("企业申报")
    expect(row).to_contain_text("企业已确认")
    row.get_by_role("link", name=award_id, exact=True).click()
    expect(page.locator("main h1")).to_have_text("研发投入补助 · 企业已确认")
    expect(page.locator("main")).to_contain_text("来源：企业申报")
    evidence_card = card(page, "企业申报材料")
    expect(evidence_card).to_contain_text(STATEMENT)
    expect(evidence_card.get_by_role("link", name=evidence.name)).to_have_attribute(
        "href", re.compile(r"^/claims/attachments/\d+$"))
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("main h1")).to_have_text("研发投入补助 · 审核通过")
    assert not [e for e in page.errors_seen if "/favicon.ico" not in e and "400" not in e], page.errors_seen
