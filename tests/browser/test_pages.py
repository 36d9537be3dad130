"""The web platform in a real browser: sign in as each role, read the cockpit, open an
indicator, sign out; nothing loaded from outside the server; a screenshot a person would see."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from dialogs import asks_once
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ROLE_ZH = {
    "admin": "系统管理员", "city_analyst": "市级分析员", "county_analyst": "县（市、区）分析员",
    "policy_officer": "政策经办（资管办）", "finance_officer": "财政兑现", "enterprise": "企业用户",
    "leader": "领导驾驶舱（只读）", "project_unit": "项目责任单位",
}
# What each role lands on after signing in: the cockpit of its org unit, or the welcome page.
LANDING = {
    "admin": "驾驶舱 · 衢州市",
    "city_analyst": "驾驶舱 · 衢州市",
    "leader": "驾驶舱 · 衢州市",
    "county_analyst": "驾驶舱 · 柯城区",
    "policy_officer": None,
    "finance_officer": None,
    "enterprise": None,
    "project_unit": None,
}
LOCAL_HOSTS = {"127.0.0.1"}
RETAIL = "/plans/qz_commerce_14th/retail_sales"
RETAIL_CITATION = "《衢州市商务高质量发展“十四五”规划》（衢发改发〔2021〕18号）表2 第1行"


def cockpit_statuses(page: Page) -> list[str]:
    return page.locator("table.data tbody td span.status").all_inner_texts()


def can_see_awards(role: str) -> bool:
    from commerce_brain.access import PERMISSIONS

    return "view_policies" in PERMISSIONS[role]


def path_of(page: Page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def real_errors(page: Page) -> list[str]:
    # The app serves no favicon: Chromium's own request for it 404s. That is reported, not a page error.
    return [e for e in page.errors_seen if "/favicon.ico" not in e]


@pytest.mark.parametrize("role", list(LANDING))
def test_each_role_signs_in_through_the_form_and_sees_its_page(page: Page, sign_in, accounts, role: str):
    sign_in(page, role)
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))
    who = page.locator("header .who")
    expect(who).to_contain_text(accounts[role].username)
    expect(who).to_contain_text(ROLE_ZH[role])
    if accounts[role].org_unit:  # by its name, not its code
        expect(who).to_contain_text("柯城区")
        expect(who).not_to_contain_text(accounts[role].org_unit)
    heading = LANDING[role]
    if heading:
        expect(page.locator("main h1")).to_have_text(re.compile(rf"^{re.escape(heading)} · 2023年$"))
        expect(page.locator("main > section.tiles .tile")).to_have_count(6)  # one per status
        if can_see_awards(role):
            expect(page.locator("section.card .tiles a.tile[class*='award-']")).to_have_count(5)  # one per award state
        assert page.locator("table.data tbody tr").count() > 20
        assert cockpit_statuses(page)[0] == "滞后"
        assert not real_errors(page)
    else:
        expect(page.locator("main h1")).to_have_text(f"欢迎，{accounts[role].username}")
        expect(page.locator("main")).to_contain_text(f"您的角色是{ROLE_ZH[role]}")
        expect(page.locator("table.data")).to_have_count(0)
        assert not real_errors(page)
        # The plan pages are refused to them with the error page, not an empty chart.
        response = page.goto(RETAIL)
        assert response.status == 403
        expect(page.locator("main h1")).to_have_text("无权访问")
        expect(page.locator("main")).to_contain_text(f"无权操作：{ROLE_ZH[role]}不能查看规划监测")


def test_a_wrong_password_shows_the_error_and_the_form_still_works(page: Page, sign_in):
    sign_in(page, "city_analyst", password="not-the-password-1")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
    expect(page.locator("main h1")).to_have_text("登录商务大脑")
    assert not [c for c in page.context.cookies() if c["name"] == "cb_session"]
    # The re-displayed form is good for a second try.
    sign_in(page, "city_analyst")
    expect(page.locator("main h1")).to_contain_text("驾驶舱 · 衢州市")


def test_the_cockpit_lists_lagging_indicators_first(page: Page, sign_in):
    sign_in(page, "city_analyst")
    expect(page.get_by_role("heading", name="规划指标（滞后的在前）")).to_be_visible()
    statuses = cockpit_statuses(page)
    lagging = statuses.count("滞后")
    assert lagging > 0 and len(set(statuses)) > 1
    assert statuses[:lagging] == ["滞后"] * lagging, statuses
    # The 滞后 tile counts the same rows.
    tile = page.locator(".tiles .tile").filter(has_text="滞后")
    expect(tile.locator(".n")).to_have_text(str(lagging))
    # The county analyst's cockpit too.
    page.get_by_role("button", name="退出").click()
    sign_in(page, "county_analyst")
    statuses = cockpit_statuses(page)
    assert statuses[0] == "滞后"
    assert statuses[:statuses.count("滞后")] == ["滞后"] * statuses.count("滞后")


def test_an_indicator_link_opens_its_chart_and_citation(page: Page, sign_in):
    sign_in(page, "city_analyst")
    link = page.locator(f'table.data a[href^="{RETAIL}?"]')
    expect(link).to_have_text("社会消费品零售总额")
    link.click()
    expect(page).to_have_url(re.compile(rf"{re.escape(RETAIL)}\?year=2023&org_unit=330800$"))
    expect(page.locator("main h1")).to_contain_text("社会消费品零售总额")
    chart = page.locator("main section.card svg").first
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100, box
    assert chart.locator("path, polyline, line, circle, rect").count() > 3
    citation = page.locator("p.citation")
    expect(citation).to_contain_text("出处：")
    expect(citation).to_contain_text(RETAIL_CITATION)
    expect(page.locator("dl.figures dt")).not_to_have_count(0)
    # The back link returns to the cockpit.
    page.get_by_role("link", name="← 驾驶舱").click()
    expect(page.locator("main h1")).to_contain_text("驾驶舱 · 衢州市")
    # The first (lagging) indicator of the list opens too, with its citation.
    page.locator("table.data tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/plans/[a-z0-9_]+/[a-z0-9_]+\?year=2023"))
    expect(page.locator("main h1 .status")).to_have_text("滞后")
    expect(page.locator("p.citation")).to_contain_text("出处：")
    assert not real_errors(page)


def test_signing_in_returns_to_the_page_asked_for(page: Page, sign_in):
    page.goto(RETAIL)
    expect(page).to_have_url(re.compile(rf"/login\?next={re.escape(RETAIL)}$"))
    sign_in(page, "leader")
    expect(page).to_have_url(re.compile(rf"{re.escape(RETAIL)}$"))
    expect(page.locator("main section.card svg").first).to_be_visible()


def test_logout_returns_to_the_login_page_and_the_cockpit_is_closed(page: Page, sign_in):
    sign_in(page, "leader")
    expect(page.locator("main h1")).to_contain_text("驾驶舱 · 衢州市")
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("main h1")).to_have_text("登录商务大脑")
    assert not [c for c in page.context.cookies() if c["name"] == "cb_session"]
    page.goto("/")
    assert path_of(page) == "/login?next=/"
    expect(page.get_by_label("用户名")).to_be_visible()


def test_the_api_answers_the_browser_session_within_its_scope(page: Page, sign_in):
    sign_in(page, "county_analyst")
    rows = page.locator("table.data tbody tr").count()
    me = page.request.get("/api/v1/me")
    assert me.ok and me.json()["role"] == "county_analyst" and me.json()["org_unit"] == "330802"
    evaluation = page.request.get("/api/v1/evaluation").json()
    assert len(evaluation) == rows
    assert {row["org_unit"] for row in evaluation} == {"330802"}
    assert page.request.get("/api/v1/evaluation?org_unit=330803").status == 403
    page.get_by_role("button", name="退出").click()
    assert page.request.get("/api/v1/me").status == 401


def test_every_resource_comes_from_the_server_itself(page: Page, sign_in):
    sign_in(page, "city_analyst")
    page.goto(f"{RETAIL}?year=2023&org_unit=330800")
    page.goto("/")
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    seen = page.requests_seen
    assert any(urlsplit(u).path == "/static/app.css" for u in seen), seen
    outside = [u for u in seen if urlsplit(u).hostname not in LOCAL_HOSTS]
    assert not outside, outside
    # The stylesheet is applied (served, not merely requested): the header takes the accent colour.
    background = page.locator("header.top").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(29, 78, 137)"
    assert not real_errors(page)


def test_a_screenshot_of_the_cockpit(page: Page, sign_in, tmp_path):
    sign_in(page, "city_analyst")
    expect(page.locator("main h1")).to_contain_text("驾驶舱 · 衢州市")
    shot = tmp_path / "cockpit.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000, len(data)


def test_api_docs_render_offline_under_the_content_security_policy(page: Page):
    # Swagger UI came from a CDN (blank on an intranet) and started with an inline script (blocked by the CSP).
    response = page.goto("/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("商务大脑 Commerce Brain")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.errors_seen == []



def test_an_admin_unlocks_a_locked_account_on_the_accounts_page(page: Page, sign_in, live_server, accounts):
    from commerce_brain.store import login_throttle as throttle

    # Ten failures on the leader's account, counted in the server's own database.
    key = throttle.account_key(accounts["leader"].username)
    with live_server.engine.begin() as conn:
        for _ in range(throttle.ACCOUNT_LIMIT.lock_after):
            throttle.count_failure(conn, {key: throttle.ACCOUNT_LIMIT})
    sign_in(page, "admin")
    page.get_by_role("link", name="账户").click()
    row = page.locator("tr", has_text=accounts["leader"].username)
    expect(row).to_contain_text("10 次")
    question = asks_once(page, row.get_by_role("button", name="解锁").click)
    assert question == f"确认解除 {accounts['leader'].username} 的登录锁定？"
    expect(page.locator("tr", has_text=accounts["leader"].username)).not_to_contain_text("解锁")
    assert throttle.state(live_server.engine, key) is None
    assert [e for e in page.errors_seen if "/favicon.ico" not in e] == []
