"""Security headers, Secure cookies and the locally served /api/docs, through the real app on a
real database: every answer carries the policy, no template may need inline script, and the
API docs load nothing from outside the platform."""

import re
from html.parser import HTMLParser
from importlib import resources
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

PASSWORD = "correct-horse-42"
TEMPLATES = resources.files("commerce_brain.web") / "templates"


@pytest.fixture
def site(database_url, catalog, tmp_path):
    engine = connect(database_url)
    user = create_user(engine, username="city", password=PASSWORD, role="city_analyst", display_name="city",
                       catalog=catalog)
    token = issue_token(engine, user.id, "headers test")
    yield (lambda **options: create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path), **options)), token
    engine.dispose()


def sign_in(client: TestClient, **headers):
    form = client.get("/login", headers=headers)
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    # Sent by hand: a Secure cookie is not sent back over the test's plain http, as a browser
    # behind an HTTPS proxy would.
    cookie = {"Cookie": f"cb_login={form.cookies['cb_login']}"}
    return form, client.post("/login", data={"username": "city", "password": PASSWORD, "login_token": token},
                             headers={**headers, **cookie}, follow_redirects=False)


def assert_protected(response, *, cached_ok=False):
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'self'"
    assert response.headers["referrer-policy"] in ("no-referrer", "same-origin")
    assert response.headers["x-content-type-options"] == "nosniff"
    if not cached_ok:
        assert response.headers["cache-control"] == "no-store"


def test_every_kind_of_answer_carries_the_headers(site):
    make_app, token = site
    client = TestClient(make_app())
    form, signed_in = sign_in(client)
    for response in (form, signed_in, client.get("/"), client.get("/plans/none/none"), client.get("/audit"),
                     client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
                     TestClient(make_app()).get("/api/v1/evaluation"),  # 401
                     client.get("/api/v1/openapi.json"), client.get("/api/docs"), client.get("/no-such-page")):
        assert_protected(response)
    # Static files may be cached (they hold no data), and are still protected.
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
    assert_protected(css, cached_ok=True)


class _Scripts(HTMLParser):
    """Inline scripts, event-handler attributes and javascript: URLs in a page or template."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            # A JSON data block (the charts' data) is never run by the browser: data, not script.
            self._in_script = "src" not in attrs and attrs.get("type") != "application/json"
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:40]}")


def inline_script(html: str) -> list[str]:
    parser = _Scripts()
    parser.feed(html)
    return parser.found


def test_no_template_needs_inline_script():
    # The CSP would block it: behaviour belongs in a file under /static (see calculator.js).
    found = {t.name: inline_script(t.read_text(encoding="utf-8")) for t in TEMPLATES.iterdir() if t.name.endswith(".html")}
    assert {name: f for name, f in found.items() if f} == {}
    assert len(found) > 10
    # The checker itself sees what it must refuse.
    assert inline_script('<script>alert(1)</script><button onclick="x()">a</button><a href="javascript:x()">b</a>') \
        == ["inline <script>: alert(1)", "<button onclick=…>", "<a href=javascript:…>"]
    assert inline_script('<script type="application/json">{"a": 1}</script>') == []
    assert inline_script('<script type="text/javascript">x()</script><script type="module">y()</script>') \
        == ["inline <script>: x()", "inline <script>: y()"]


@pytest.mark.parametrize(("options", "headers", "base", "secure"), [
    ({}, {}, "http://testserver", False),
    ({}, {}, "https://testserver", True),                              # served over HTTPS
    ({}, {"X-Forwarded-Proto": "https"}, "http://testserver", False),  # a forged header is ignored
    ({"trust_proxy": True}, {"X-Forwarded-Proto": "https"}, "http://testserver", True),
    ({"secure_cookies": True}, {}, "http://testserver", True),
])
def test_cookies_are_secure_over_https(site, options, headers, base, secure):
    make_app, _ = site
    form, signed_in = sign_in(TestClient(make_app(**options), base_url=base), **headers)
    assert signed_in.status_code == 303
    for response, cookie in ((form, "cb_login"), (signed_in, "cb_session")):
        set_cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith(cookie + "="))
        assert ("; secure" in set_cookie.lower()) is secure, set_cookie
        assert "httponly" in set_cookie.lower()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href", "data-openapi") and value]


def test_api_docs_load_only_from_the_platform(site):
    # Before: Swagger UI's script and CSS from cdn.jsdelivr.net and a favicon from fastapi.tiangolo.com,
    # a blank page on an intranet.
    make_app, _ = site
    client = TestClient(make_app())
    page = client.get("/api/docs")
    assert page.status_code == 200 and inline_script(page.text) == []
    parser = _Links()
    parser.feed(page.text)
    assert len(parser.urls) >= 5
    for url in parser.urls:
        assert not urlsplit(url).netloc and url.startswith("/"), url
        answer = client.get(url)
        assert answer.status_code == 200 and answer.content, url
    assert "SwaggerUIBundle" in client.get("/static/swagger-init.js").text
    assert "openapi" in client.get("/api/v1/openapi.json").json()
