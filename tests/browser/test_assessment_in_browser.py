"""A 最高… award from its cap to the treasury in a real browser: the policy officer enters the
reviewers' figure (评审核定) with the 专家评审意见, approves it (asked first), one finance officer
lists it, the same officer is refused when marking the list paid, another pays it.

The live server is shared: the award comes from a 2020 batch, a year no other browser test
runs, proposed and confirmed through the store (the enterprise's confirmation is walked
through in test_walkthrough).
"""

from __future__ import annotations

import re

import polars as pl
import pytest
from dialogs import answer_dialogs
from playwright.sync_api import Page, expect
from sample_files import pdf_bytes, write

from commerce_brain.access import Scope, User
from commerce_brain.store import fulfilment as f

pytestmark = pytest.mark.browser
YEAR = 2020


def card(page: Page, heading: str):
    return page.locator("main section.card").filter(has=page.get_by_role("heading", name=heading))


def award_at_its_cap(engine) -> dict:
    """A confirmed 2020 award awaiting the reviewers' figure."""
    if f.list_awards(engine, scope=Scope(), year=YEAR).is_empty():
        f.run_batch(engine, YEAR, actor="browser-test")
    waiting = f.list_awards(engine, scope=Scope(), year=YEAR).filter(
        pl.col("needs_review") & pl.col("state").is_in(["proposed", "confirmed"])).sort("id")
    assert waiting.height, "the synthetic city has no 最高… award in 2020"
    award = waiting.row(0, named=True)
    if award["state"] == "proposed":
        f.confirm(engine, award["id"], user=User(99, "browser-firm", "企业", "enterprise", uscc=award["uscc"]))
    return award


def signed_in(browser, live_server, sign_in, role: str) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    answer_dialogs(tab)
    sign_in(tab, role)
    return tab


def test_an_award_at_its_cap_is_assessed_approved_and_paid_by_two(page: Page, browser, live_server, sign_in,
                                                                    tmp_path):
    award = award_at_its_cap(live_server.engine)
    cap = award["amount_fen"]
    opinion = write(tmp_path, "专家评审意见.pdf", pdf_bytes("expert review"))
    figure = max(cap // 3, 1) + 1  # not the cap: the page must pay what the reviewers said

    sign_in(page, "policy_officer")
    page.goto(f"/awards/{award['id']}")
    expect(page.locator("dl.figures")).to_contain_text("按最高额暂列，待评审核定")
    expect(page.get_by_role("button", name="审核通过")).to_have_count(0)  # not before the figure
    form = card(page, "评审核定")
    form.get_by_label("核定金额（元）").fill(f"{(cap + 1) // 100}.{(cap + 1) % 100:02d}")
    form.get_by_label("评审意见", exact=True).fill("超过上限")
    form.get_by_role("button", name="提交评审核定").click()
    expect(page.get_by_role("alert")).to_contain_text("核定金额不能超过本条款上限")

    yuan = f"{figure // 100}.{figure % 100:02d}"
    form = card(page, "评审核定")
    form.get_by_label("核定金额（元）").fill(yuan)
    form.get_by_label("评审意见", exact=True).fill("专家组评审：按实际投入核定")
    form.get_by_label(re.compile("专家评审意见")).set_input_files(str(opinion))
    form.get_by_role("button", name="提交评审核定").click()
    assessed = card(page, "评审核定")
    expect(assessed).to_contain_text(f"{figure // 100:,}.{figure % 100:02d} 元")
    expect(assessed).to_contain_text(f"{cap // 100:,}.{cap % 100:02d} 元")  # 拟定金额（上限）
    expect(assessed).to_contain_text("policy1")
    expect(assessed).to_contain_text("北京时间")
    expect(assessed.get_by_role("link", name="专家评审意见.pdf")).to_be_visible()
    assert any("核定" in d for d in page.dialogs_seen), page.dialogs_seen
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("main h1")).to_contain_text("审核通过")
    expect(card(page, "办理记录")).to_contain_text("评审核定")

    # One finance officer lists it; the same officer cannot mark the list paid; another does.
    lister = signed_in(browser, live_server, sign_in, "finance_officer")
    lister.goto("/payments")
    pending = card(lister, "待列入清单的已审核奖补（按兑现财政）")
    pending.locator(f"form:has(input[name='payer'][value='{award['payer']}'])").get_by_role(
        "button", name="生成兑付清单").click()
    plist = lister.locator("#payment-list")
    expect(plist.locator("tbody")).to_contain_text(f"{figure // 100:,}.{figure % 100:02d}")
    list_id = re.search(r"第 (\d+) 号", plist.get_by_role("heading").inner_text()).group(1)
    plist.get_by_role("button", name="标记为已兑付").click()
    expect(lister.get_by_role("alert")).to_contain_text("须由另一名财政经办人员")

    payer = signed_in(browser, live_server, sign_in, "finance2")
    payer.goto(f"/payments/{list_id}")
    payer.locator("#payment-list").get_by_role("button", name="标记为已兑付").click()
    expect(payer.locator("#payment-list")).to_contain_text("finance2")
    stored = f.get_award(live_server.engine, award["id"], scope=Scope())
    assert (stored["state"], stored["amount_fen"]) == ("paid", figure)
    for tab in (lister, payer):
        tab.context.close()
