"""政策工具箱 as a new user finds it: search 研发 from the menu, land on article 8 with its rule
(研发投入补助) and the matched words marked, open the document at the article; a query with
markup is shown as text. The enterprise also sees whether it qualifies for the rule.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_a_new_user_searches_research_and_finds_article_8(page: Page, sign_in):
    sign_in(page, "city_analyst")
    page.get_by_role("link", name="政策工具箱").click()
    page.get_by_label("关键词").fill("研发")
    page.get_by_role("button", name="检索").click()
    first = page.locator("article.library-hit").first
    expect(first.get_by_role("heading")).to_contain_text("第8条")
    expect(first.get_by_role("heading")).to_contain_text("支持技术创新和应用")
    expect(first.locator("mark").first).to_have_text(re.compile("研发|科研经费"))
    expect(first.get_by_role("link", name="研发投入补助")).to_be_visible()
    first.get_by_role("heading").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/library/qz_innovation_2019#article-8$"))
    article = page.locator("#article-8")
    expect(article).to_contain_text("对年度研发投入200万元以上")
    expect(article.get_by_role("link", name="研发投入补助")).to_be_visible()


def test_markup_in_a_query_is_text(page: Page, sign_in, live_server):
    sign_in(page, "city_analyst")
    page.goto(f"{live_server.url}/library")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_label("关键词").fill("<img src=x onerror=alert(1)>研发")
    page.get_by_role("button", name="检索").click()
    expect(page.get_by_role("heading", name=re.compile("共 0 条结果"))).to_contain_text("<img src=x onerror=alert(1)>")
    assert dialogs == []


def test_the_enterprise_sees_whether_it_qualifies(page: Page, sign_in):
    sign_in(page, "enterprise")
    page.get_by_role("link", name="政策工具箱").click()
    page.get_by_label("关键词").fill("研发")
    page.get_by_role("button", name="检索").click()
    rule = page.locator("article.library-hit").first.locator("li", has=page.get_by_role("link", name="研发投入补助"))
    expect(rule.locator(".verdict")).to_have_text(re.compile("符合|差一点|不符合"))
