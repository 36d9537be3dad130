"""Steps people take in the browser, shared by the tests on SQLite and on PostgreSQL: uploading
enterprise data (企业数据导入), the reviewers' figure (评审核定), the approval, and the payment
list made by one finance officer and marked paid by another."""

from __future__ import annotations

import re
from pathlib import Path

from dialogs import asks_once
from playwright.sync_api import Page, expect


def card(page: Page, heading: str):
    """The page's card (section) titled ``heading``."""
    return page.locator("main section.card").filter(has=page.get_by_role("heading", name=heading))


def upload(page: Page, path: Path) -> None:
    """Choose ``path`` on the 企业数据导入 page and send it for checking."""
    page.get_by_label("选择文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_load_state()


def confirm_import(page: Page):
    """Press 确认导入 under the preview; returns what the page says was imported."""
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_load_state()
    return page.locator("#import-done")


def import_history(page: Page):
    """The rows of the page's 导入记录, newest first."""
    return card(page, "导入记录").locator("tbody tr")


def yuan(fen: int) -> str:
    """``fen`` as the pages write 元: thousands separated, two decimals."""
    return f"{fen // 100:,}.{fen % 100:02d}"


def assess_and_approve(page: Page, award: dict, figure: int, opinion: Path, reason: str) -> None:
    """As the policy officer on the award page of ``award`` (a 最高… award at its cap): a figure
    over the cap is refused; ``figure`` (fen) with ``reason`` and the ``opinion`` file is
    recorded and shown with who set it; then the award is approved, asked once."""
    cap = award["amount_fen"]
    page.goto(f"/awards/{award['id']}")
    expect(page.locator("dl.figures")).to_contain_text("按最高额暂列，待评审核定")
    expect(page.get_by_role("button", name="审核通过")).to_have_count(0)  # not before the figure
    form = card(page, "评审核定")
    form.get_by_label("核定金额（元）").fill(yuan(cap + 1).replace(",", ""))
    form.get_by_label("评审意见", exact=True).fill("超过上限")
    form.get_by_role("button", name="提交评审核定").click()
    expect(page.get_by_role("alert")).to_contain_text("核定金额不能超过本条款上限")

    form = card(page, "评审核定")
    form.get_by_label("核定金额（元）").fill(yuan(figure).replace(",", ""))
    form.get_by_label("评审意见", exact=True).fill(reason)
    form.get_by_label(re.compile("专家评审意见")).set_input_files(str(opinion))
    assert "核定" in asks_once(page, form.get_by_role("button", name="提交评审核定").click)
    assessed = card(page, "评审核定")
    expect(assessed).to_contain_text(f"{yuan(figure)} 元")
    expect(assessed).to_contain_text(f"{yuan(cap)} 元")  # 拟定金额（上限）
    expect(assessed).to_contain_text("policy1")
    expect(assessed).to_contain_text("北京时间")
    expect(assessed.get_by_role("link", name=opinion.name)).to_be_visible()
    assert "确认审核通过" in asks_once(page, page.get_by_role("button", name="审核通过").click)
    expect(page.locator("main h1")).to_contain_text("审核通过")
    expect(card(page, "办理记录")).to_contain_text("评审核定")


def list_and_pay_by_two(lister: Page, payer: Page, payer_code: str, figure: int) -> int:
    """One finance officer (``lister``) makes the payment list of the treasury ``payer_code``,
    which holds the figure; the same officer is refused marking it paid (asked first); the other
    (``payer``) marks it paid. Returns the list's id."""
    lister.goto("/payments")
    pending = card(lister, "待列入清单的已审核奖补（按兑现财政）")
    pending.locator(f"form:has(input[name='payer'][value='{payer_code}'])").get_by_role(
        "button", name="生成兑付清单").click()
    plist = lister.locator("#payment-list")
    expect(plist.locator("tbody")).to_contain_text(yuan(figure))
    list_id = int(re.search(r"第 (\d+) 号", plist.get_by_role("heading").inner_text()).group(1))
    assert "不可撤销" in asks_once(lister, plist.get_by_role("button", name="标记为已兑付").click)
    expect(lister.get_by_role("alert")).to_contain_text("须由另一名财政经办人员")
    expect(lister.locator("#payment-list")).to_contain_text("尚未兑付")

    payer.goto(f"/payments/{list_id}")
    asks_once(payer, payer.locator("#payment-list").get_by_role("button", name="标记为已兑付").click)
    expect(payer.locator("#payment-list")).to_contain_text("finance2")
    expect(payer.get_by_role("button", name="标记为已兑付")).to_have_count(0)
    return list_id
