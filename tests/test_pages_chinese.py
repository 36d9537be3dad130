"""Every role's menu opens (nothing it offers answers 403), refusals and bad query values answer
a Chinese page with the menu and the sign-out, and the text on those pages has no English."""

import html
import re

import pytest
from fastapi.testclient import TestClient

from commerce_brain.access import ROLES
from commerce_brain.catalog import load_catalog
from commerce_brain.demo import demo_observations
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user
from commerce_brain.store.observations import save_observations
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

PASSWORD = "correct-horse-42"
USCC = "91350100M000100Y43"
SCOPES = {"county_analyst": {"org_unit": "330802"}, "enterprise": {"uscc": USCC},
          "project_unit": {"responsible_unit": "衢江区政府"},
          "warning_point": {"responsible_unit": "柯桥区纺织品外贸预警点"}}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="test")
    for role in ROLES:
        create_user(engine, username=role, password=PASSWORD, role=role, display_name=ROLES[role],
                    catalog=catalog, **SCOPES.get(role, {}))
    app = create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path))
    yield app
    engine.dispose()


def signed_in(app, username: str) -> TestClient:
    client = TestClient(app)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "login_token": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def menu(page: str) -> list[str]:
    nav = re.search(r"<nav>(.*?)</nav>", page, re.S)
    assert nav, "the page has no menu"
    return re.findall(r'href="([^"]+)"', nav.group(1))


def visible_text(page: str) -> str:
    """The text a person reads: no tags, scripts, styles or attribute values."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def latin_words(page: str, allowed: set[str]) -> list[str]:
    return sorted({w for w in LATIN_WORD.findall(visible_text(page)) if w not in allowed})


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_a_role_is_offered_opens(site, role):
    client = signed_in(site, role)
    links = menu(client.get("/").text)
    assert "/" in links
    for link in links:
        page = client.get(link)
        assert page.status_code == 200, (role, link, page.text[:300])
        assert menu(page.text) == links  # the same menu everywhere


def test_admin_is_not_offered_the_payment_list_and_its_refusal_is_chinese(site):
    admin = signed_in(site, "admin")
    assert "/payments" not in menu(admin.get("/").text)
    refused = admin.get("/payments")
    assert refused.status_code == 403
    assert "无权操作：系统管理员不能办理兑付" in refused.text
    assert menu(refused.text) and "退出" in refused.text  # the error page keeps the menu and the sign-out
    assert latin_words(refused.text, {"admin"}) == []


@pytest.mark.parametrize("path", ["/?year=abc", "/?year=1900", "/plans/qz_commerce_14th/retail_sales?year=abc",
                                  "/awards?batch=abc", "/audit?year=abc&actor=x"])
def test_bad_query_values_answer_a_chinese_page_not_json(site, path):
    leader = signed_in(site, "leader")
    page = leader.get(path)
    assert page.headers["content-type"].startswith("text/html"), page.text
    assert page.status_code in (200, 404, 422)
    assert menu(page.text) and "退出" in page.text
    assert latin_words(page.text, {"leader"}) == []


def test_a_stale_form_is_refused_in_chinese(site):
    policy = signed_in(site, "policy_officer")
    refused = policy.post("/awards/batch", data={"year": "2023", "csrf": "stale"})
    assert refused.status_code == 403 and "表单已失效，请刷新后重试" in refused.text
    assert latin_words(refused.text, {"policy_officer"}) == []


def test_the_header_names_a_county_analysts_unit_not_its_code(site):
    page = signed_in(site, "county_analyst").get("/").text
    who = re.search(r'<span class="name">(.*?)</span>', page).group(1)
    assert who == "县（市、区）分析员（县（市、区）分析员 · 柯城区）"
