"""站内消息 and 政企通 in a real browser: the policy officer runs the 2023 batch, the enterprise
signs in, finds the batch's message on its home (政企通) with the article and the amount, and
reads it; the policy office's /notices page then counts it as read.

The live server is shared: another test may have run the 2023 batch first (its notices are then
the ones this enterprise holds), so the test counts reads before and after rather than assuming
a fresh store.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from steps import card

pytestmark = pytest.mark.browser


def read_total(page: Page) -> int:
    """The sum of the 已读 column of the delivery table on /notices."""
    page.goto("/notices")
    expect(page.locator("main h1")).to_have_text("站内消息")
    return sum(int(x) for x in page.locator("#delivery td.read").all_inner_texts())


def test_a_batch_notice_is_read_by_the_enterprise_and_seen_read_by_the_office(open_tab, live_server, sign_in,
                                                                               accounts):
    office = open_tab(live_server)
    sign_in(office, "policy_officer")
    office.goto("/awards")
    run = card(office, "免申即享批量计算")
    run.get_by_label("年度").fill("2023")
    run.get_by_role("button", name="运行批量计算").click()
    expect(office.locator("#batch-summary")).to_contain_text("2023年度")
    before = read_total(office)
    sent = sum(int(x) for x in office.locator("#delivery td.sent").all_inner_texts())
    assert sent > 0

    firm = open_tab(live_server)
    sign_in(firm, "enterprise")
    firm.get_by_role("navigation").get_by_role("link", name="政企通").click()
    expect(firm.locator("main h1")).to_contain_text("政企通")
    messages = card(firm, re.compile("^站内消息"))
    unread = messages.locator("li.notice-unread")
    count = unread.count()
    assert count > 0, "the batch's message is not on the enterprise's home"
    first = unread.first
    expect(first).to_contain_text("拟兑现奖补")
    expect(first.locator(".message")).to_contain_text(re.compile(r"依据《[^》]+》.*第\d+条"))
    expect(first.locator(".message")).to_contain_text("元")
    expect(first.get_by_role("link", name="去确认奖补")).to_have_attribute("href", re.compile(r"^/awards/\d+$"))
    first.get_by_role("button", name="标为已读").click()
    firm.wait_for_load_state()
    expect(card(firm, re.compile("^站内消息")).locator("li.notice-unread")).to_have_count(count - 1)
    expect(card(firm, "我的奖补")).to_contain_text("2023")

    assert read_total(office) == before + 1
