"""政策计算器 in a real browser: the enterprise sees its own stored data, calculates, reads the R&D
award with its article and amount and the rules it misses, and prints; a policy officer enters
an enterprise by hand (adding an event row with the page's script) and sees the awards.

The calculator stores nothing, so these tests leave the shared live server as they found it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

YEAR = 2023


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d} 元"


def expected_checkup(live_server, uscc: str):
    """What the engine gives the stored enterprise, with the rules the server evaluates."""
    from commerce_brain.catalog import load_catalog
    from commerce_brain.policy.checkup import checkup
    from commerce_brain.fulfilment.data import load_policy_data
    from commerce_brain.fulfilment.rule_edits import effective_policies

    data = load_policy_data(live_server.engine)
    return checkup(uscc, data.enterprises, data.facts, data.events, YEAR,
                   policies=effective_policies(live_server.engine), catalog=load_catalog())


def open_calculator(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="政策计算器").click()
    expect(page.locator("main h1")).to_contain_text("政策计算器")


def calculate(page: Page) -> None:
    page.get_by_role("button", name="计算").click()
    page.wait_for_load_state()


def test_the_enterprise_calculates_with_its_own_data_and_prints(page: Page, sign_in, accounts, live_server):
    uscc = accounts["enterprise"].uscc
    expected = expected_checkup(live_server, uscc)
    sign_in(page, "enterprise")
    open_calculator(page)
    expect(page.get_by_label("统一社会信用代码")).to_have_value(uscc)
    expect(page.get_by_label("统一社会信用代码")).not_to_be_editable()
    expect(page.get_by_label("企业名称")).to_have_value(expected.name)
    expect(page.get_by_label("测算年度研发投入（元）")).not_to_have_value("")
    expect(page.get_by_label("所在地区")).to_have_value("330802")

    calculate(page)
    result = page.locator("#result")
    expect(result).to_contain_text(f"测算结果 · {expected.name}")
    expect(page.locator("#total")).to_have_text(yuan(expected.total_fen))
    rd = next(a for a in expected.awards if a["rule"] == "rd_subsidy")
    award = result.locator('li.award[data-rule="rd_subsidy"]')
    expect(award.locator("h3")).to_contain_text("研发投入补助")
    expect(award.locator(".amount")).to_have_text(yuan(rd["amount_fen"]))
    expect(award.locator(".citation")).to_contain_text("第8条（研发投入补助）「对年度研发投入200万元以上")
    expect(award).to_contain_text("柯城区财政")
    expect(award.get_by_role("button", name="申报此项")).to_be_visible()
    expect(result.locator("li.award")).to_have_count(len(expected.awards))
    # The misses: the close ones listed with the reason, the rest folded away until opened.
    close = [m for m in expected.missed if not m["no_event"]]
    if close:
        expect(result.get_by_role("heading", name="未满足条件的条款")).to_be_visible()
        expect(result.locator(f'ul.missed li[data-rule="{close[0]["rule"]}"]')).to_contain_text(close[0]["reason"])
    others = result.locator("details.others")
    folded = others.locator("li").first
    expect(folded).to_be_hidden()
    others.locator("summary").click()
    expect(folded).to_be_visible()

    # Printed: the result with the enterprise, year, date and the estimate line; no form, no menu.
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("form[action='/calculator'][method='post']")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("button", name="申报此项").first).to_be_hidden()
    expect(result.locator(".print-head")).to_be_visible()
    expect(result).to_contain_text("测算结果，以审核为准")
    expect(result).to_contain_text(f"{YEAR}年度")
    expect(result).to_contain_text(uscc)
    expect(result.locator("li.award")).to_have_count(len(expected.awards))
    page.emulate_media(media="screen")
    expect(page.locator("form[action='/calculator'][method='post']")).to_be_visible()
    assert [e for e in page.errors_seen if "/favicon.ico" not in e] == []


def test_an_officer_enters_an_enterprise_by_hand(page: Page, sign_in):
    sign_in(page, "policy_officer")
    open_calculator(page)
    expect(page.locator("#f-uscc")).to_have_value("")
    expect(page.get_by_label("载入已存企业数据（统一社会信用代码）")).to_be_visible()
    page.get_by_label("企业名称").fill("手填试算企业")
    page.get_by_label("所在地区").select_option(label="柯城区")
    page.get_by_label("工业企业", exact=True).check()
    page.get_by_label("测算年度主营业务收入（元）").fill("5,000万")
    page.get_by_label("测算年度研发投入（元）").fill("300万")
    # Last year's revenue too, or 2023 would be its first year above 2000万 (another award).
    page.get_by_label("上一年度主营业务收入（元）").fill("4000万")
    page.get_by_label("上一年度研发投入（元）").fill("2,000,000")

    rows = page.locator("fieldset.event")
    expect(rows).to_have_count(5)
    page.get_by_role("button", name="添加事件").click()
    expect(rows).to_have_count(6)
    last = rows.last
    expect(last.locator("legend")).to_have_text("事件 6")
    # The event type first: nothing else is asked for until it is chosen.
    expect(last.get_by_label("日期（YYYY-MM-DD）")).to_be_hidden()
    expect(last.get_by_label("金额（元）", exact=True)).to_be_hidden()
    articles = last.locator("[data-kind-articles] li")
    expect(articles).to_have_count(0)
    # A green loan reads the loan's amount, its rating, the rate and the days, and cites article 16.
    last.get_by_label("事件类型").select_option(label="绿色贷款")
    for field in ("amount", "rating", "benchmark_rate", "days"):
        expect(last.locator(f'[data-field="{field}"]')).to_be_visible()
    expect(last.locator('[data-field="level"]')).to_be_hidden()
    expect(articles.first).to_contain_text("绿色贷款贴息（深绿）：《关于推进创新驱动加快经济高质量发展若干政策意见》第16条")
    last.get_by_label("事件类型").select_option(label="国家高新技术企业认定")
    # Only the fields the kind's rules read are offered, with the article's sentence beside them.
    expect(articles).to_have_count(1)
    expect(articles.first).to_contain_text("国家高新技术企业奖励：《关于推进创新驱动加快经济高质量发展若干政策意见》第")
    expect(last.get_by_label("金额（元）", exact=True)).to_be_hidden()
    expect(last.locator('[data-field="rating"]')).to_be_hidden()
    expect(last.get_by_label("已兑现金额（元）")).to_be_visible()
    expect(last.get_by_label("日期（年-月-日）")).to_be_visible()
    last.get_by_label("日期（年-月-日）").fill(f"{YEAR}-11-20")

    # A mistake first: shown beside its field, with what was typed kept.
    page.get_by_label("上一年度研发投入（元）").fill("2,000,000.001")
    calculate(page)
    expect(page.locator("#err-prev_rd_spend")).to_have_text("上一年度研发投入：最多两位小数（到分）")
    expect(page.get_by_label("上一年度研发投入（元）")).to_have_value("2,000,000.001")
    expect(page.get_by_label("企业名称")).to_have_value("手填试算企业")
    # The registry's other facts have their fields too: a decimal with its unit, a class chosen.
    page.get_by_label("测算年度用地面积（含租用）（亩）").fill("12.345")
    page.get_by_label("测算年度亩均效益综合评价类别").select_option(label="B类")
    calculate(page)
    expect(page.locator("#err-land_area_mu")).to_have_text("测算年度用地面积（含租用）：最多 2 位小数")
    expect(page.get_by_label("测算年度亩均效益综合评价类别")).to_have_value("B")
    page.get_by_label("测算年度用地面积（含租用）（亩）").fill("12.35")
    page.get_by_label("上一年度研发投入（元）").fill("2,000,000")
    calculate(page)

    result = page.locator("#result")
    expect(result).to_contain_text("测算结果 · 手填试算企业")
    expect(result.locator('li.award[data-rule="rd_subsidy"] .amount')).to_have_text("200,000.00 元")
    expect(result.locator('li.award[data-rule="national_high_tech_enterprise"] .amount')).to_have_text("300,000.00 元")
    expect(page.locator("#total")).to_have_text("500,000.00 元")
    expect(result.get_by_role("button", name="申报此项")).to_have_count(0)
    # The entered event is still on the form for the next try.
    expect(page.locator("select[name$='_kind']").locator("option[selected]")).to_have_count(1)
    # The refused form came back as 422 (Chromium logs that); nothing else went wrong.
    assert [e for e in page.errors_seen if "/favicon.ico" not in e and "status of 422" not in e] == []
