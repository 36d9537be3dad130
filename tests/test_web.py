"""The web platform through an in-process client on a real database: sign-in, scopes, API."""

import re

import pytest
from fastapi.testclient import TestClient

from commerce_brain.catalog import load_catalog
from commerce_brain.demo import demo_observations
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.audit import events, verify
from commerce_brain.store.observations import save_observations
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

PASSWORD = "correct-horse-42"
ACCOUNTS = {
    "city": ("city_analyst", None, None),
    "kecheng": ("county_analyst", "330802", None),
    "boss": ("leader", None, None),
    "firm": ("enterprise", None, "91350100M000100Y43"),
}


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="test")
    for username, (role, org_unit, uscc) in ACCOUNTS.items():
        create_user(engine, username=username, password=PASSWORD, role=role, display_name=username,
                    org_unit=org_unit, uscc=uscc, catalog=catalog)
    app = create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path))
    yield app, engine
    engine.dispose()


def sign_in(client: TestClient, username: str) -> TestClient:
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "login_token": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def test_pages_need_a_session_and_the_api_says_401(site):
    app, _ = site
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/api/v1/evaluation").status_code == 401


def test_wrong_password_and_stale_form_are_refused(site):
    app, _ = site
    client = TestClient(app)
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    wrong = client.post("/login", data={"username": "city", "password": "nope-nope-nope", "login_token": token})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    stale = TestClient(app).post("/login", data={"username": "city", "password": PASSWORD, "login_token": "x"})
    assert stale.status_code == 403


def test_city_analyst_sees_the_cockpit_and_an_indicator(site):
    app, engine = site
    client = sign_in(TestClient(app), "city")
    page = client.get("/")
    assert page.status_code == 200
    assert "驾驶舱 · 衢州市" in page.text and "滞后" in page.text and "社会消费品零售总额" in page.text
    # Lagging indicators come first.
    statuses = re.findall(r'class="status"[^>]*>([^<]+)<', page.text)
    assert statuses[0] == "滞后"
    detail = client.get("/plans/qz_commerce_14th/retail_sales?year=2023&org_unit=330800")
    assert detail.status_code == 200 and 'data-chart="trend"' in detail.text and "（衢发改发〔2021〕18号）表2 第1行" in detail.text
    assert "g_p=(X_T/X₀)^(1/(T−t₀))−1" in detail.text                      # the formula, explained
    assert "<dt>g_p</dt><dd>规划目标隐含的年均增长率</dd>" in detail.text        # its symbols in words
    assert "<dt>X₀</dt><dd>基期值</dd>" in detail.text and "<dt>τ</dt>" in detail.text
    assert "柯城区" in detail.text and "开化县" in detail.text               # across counties
    lint = client.get("/plans/qz_services_14th/digital_economy_services_main_revenue?year=2023&org_unit=330800")
    assert "规划体检" in lint.text and "14.54" in lint.text                  # plan lint where it applies
    assert [e["action"] for e in events(engine)] == ["login", *["user.add"] * len(ACCOUNTS), "import_actuals"]
    assert verify(engine).ok


def test_county_analyst_is_kept_to_its_county(site):
    app, _ = site
    client = sign_in(TestClient(app), "kecheng")
    rows = client.get("/api/v1/evaluation?year=2023").json()
    assert rows and {r["org_unit"] for r in rows} == {"330802"}
    assert client.get("/api/v1/evaluation?year=2023&org_unit=330881").status_code == 403
    assert client.get("/api/v1/evaluation?year=2023&org_unit=330800").status_code == 403
    assert "驾驶舱 · 柯城区" in client.get("/").text
    assert client.get("/?org_unit=330803").status_code == 403


def test_enterprise_user_cannot_read_plan_monitoring(site):
    app, _ = site
    client = sign_in(TestClient(app), "firm")
    assert client.get("/api/v1/evaluation").status_code == 403
    assert client.get("/api/v1/plans").status_code == 403
    assert "欢迎" in client.get("/").text


def test_api_tokens_for_scripts(site):
    app, engine = site
    from commerce_brain.store.accounts import get_user

    token = issue_token(engine, get_user(engine, "boss").id, "script")
    client = TestClient(app)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "leader"
    rows = client.get("/api/v1/evaluation?year=2023", headers={"Authorization": f"Bearer {token}"}).json()
    assert {r["org_unit"] for r in rows} == {"330800"}  # the platform's home, the city
    shaoxing = client.get("/api/v1/evaluation?year=2023&org_unit=330600", headers={"Authorization": f"Bearer {token}"})
    assert {r["plan"] for r in shaoxing.json()} == {"sx_commerce_14th"}
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer cb_forged"}).status_code == 401


def test_logout_needs_the_csrf_token_and_ends_the_session(site):
    app, _ = site
    client = sign_in(TestClient(app), "city")
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/api/v1/evaluation").status_code == 401


def test_openapi_and_static_assets_are_served_locally(site):
    app, _ = site
    client = TestClient(app)
    assert "/api/v1/evaluation" in client.get("/api/v1/openapi.json").json()["paths"]
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "http" not in css.text


def test_audit_page_shows_the_chain_to_leaders_only(site):
    app, engine = site
    from sqlalchemy import text

    leader = sign_in(TestClient(app), "boss")
    page = leader.get("/audit")
    assert page.status_code == 200 and "审计链完整" in page.text and "login" in page.text
    assert sign_in(TestClient(app), "kecheng").get("/audit").status_code == 403
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone-else' WHERE id = 1"))
    tampered = leader.get("/audit")
    assert "审计链异常" in tampered.text and "#1" in tampered.text


def _csv(rows) -> bytes:
    lines = ["plan,indicator,org_unit,period,value", *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _upload(client, content: bytes, name: str = "a.csv"):
    page = client.get("/imports")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/imports/preview", data={"csrf": csrf}, files={"file": (name, content, "text/csv")})


def test_import_page_previews_then_confirms_and_rejects_bad_files_whole(site):
    app, engine = site
    from commerce_brain.store.observations import current_observations

    client = sign_in(TestClient(app), "city")
    before = current_observations(engine).height
    bad = _upload(client, _csv([["qz_commerce_14th", "社零", "330800", "2024", "900"]]), "bad.csv")
    assert bad.status_code == 422 and "文件被整体退回" in bad.text and "社零" in bad.text
    good = _upload(client, _csv([["qz_commerce_14th", "retail_sales", "330800", "2024", "1100"]]))
    assert good.status_code == 200 and "将新增 1" in good.text
    assert "<td>衢州市商务高质量发展“十四五”规划</td>" in good.text                # the plan's title,
    assert "<td>qz_commerce_14th</td>" not in good.text                      # not its id
    assert current_observations(engine).height == before                     # preview stores nothing
    form = dict(re.findall(r'name="(sha|suffix|file_name|csrf)" value="([^"]+)"', good.text))
    done = client.post("/imports/confirm", data=form)
    assert done.status_code == 200 and "已导入" in done.text and "a.csv" in done.text
    assert current_observations(engine).height == before + 1
    assert client.post("/imports/confirm", data=form).status_code == 410    # used once


def test_county_analyst_cannot_import_another_countys_figures(site):
    app, _ = site
    client = sign_in(TestClient(app), "kecheng")
    outside = _upload(client, _csv([["qz_commerce_14th", "retail_sales", "330881", "2024", "50"]]))
    assert outside.status_code == 422 and "超出您的范围" in outside.text
    assert sign_in(TestClient(app), "firm").get("/imports").status_code == 403


def test_the_cockpit_picks_year_and_place_charts_each_plan_and_counts_awards(site):
    app, engine = site
    from commerce_brain.access import Scope, User
    from commerce_brain.io.enterprise_import import PolicyData
    from commerce_brain.policy.engine import packaged
    from commerce_brain.policy.synthetic import city
    from commerce_brain import fulfilment as f

    policies, _ = packaged()
    f.save_policy_data(engine, PolicyData(*city(200, [2021, 2022, 2023], event_kinds=sorted(policies.event_kinds()))),
                       actor="loader")
    batch = f.run_batch(engine, 2023, actor="setup")
    stored = f.list_awards(engine, scope=Scope())
    award = stored.row(0, named=True)
    f.reject(engine, award["id"], user=User(1, "o", "o", "policy_officer"), reason="测试")

    client = sign_in(TestClient(app), "boss")  # the leader sees plans and awards
    page = client.get("/?year=2022&org_unit=330881").text
    assert "驾驶舱 · 江山市 · 2022年" in page
    assert '<option value="2022" selected>' in page and '<option value="330881" selected>' in page
    plans = {r["plan"] for r in client.get("/api/v1/evaluation?year=2022&org_unit=330881").json()}
    assert plans and page.count('class="bar-row"') == len(plans)  # one status bar per plan
    awards = client.get("/?year=2023").text
    assert "政策兑现 · 2023年度" in awards
    tiles = dict(re.findall(r'state=(\w+)"><span class="n">(\d+)</span>', awards))
    assert int(tiles["proposed"]) == batch.inserted - 1 and tiles["rejected"] == "1"
    # A county analyst counts only its county's awards.
    county = sign_in(TestClient(app), "kecheng").get("/?year=2023").text
    mine = stored.filter(stored["org_unit"] == "330802").height
    shown = sum(int(n) for n in re.findall(r'state=\w+"><span class="n">(\d+)</span>', county))
    assert shown == mine
