"""A platform for API tests of an upload route: accounts with bearer tokens, the app over a
store, the data kind's sample file, and the small requests those tests make."""

from __future__ import annotations

from fastapi.testclient import TestClient

from commerce_brain.catalog import load_catalog
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

PASSWORD = "correct-horse-42"


def open_site(database_url: str, tmp_path, accounts: dict[str, dict], write_sample) -> dict:
    """The site: ``accounts`` (name → create_user's role and scope) each with a token,
    ``write_sample(catalog)`` the sample file's path, the app's data under ``tmp_path/data``.
    The caller disposes ``site["engine"]``."""
    catalog = load_catalog()
    engine = connect(database_url)
    tokens = {}
    for name, account in accounts.items():
        user = create_user(engine, username=name, password=PASSWORD, display_name=name, catalog=catalog, **account)
        tokens[name] = {"Authorization": f"Bearer {issue_token(engine, user.id, 'test')}"}
    app = create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path / "data"))
    return {"client": TestClient(app), "engine": engine, "tokens": tokens, "sample": write_sample(catalog),
            "tmp": tmp_path}


def post_file(site: dict, user: str, route: str, path, **params):
    """``path`` uploaded to ``route`` as ``user``."""
    return site["client"].post(route, params=params, headers=site["tokens"][user],
                               files={"file": (path.name, path.read_bytes())})


def get(site: dict, user: str, path: str):
    return site["client"].get(path, headers=site["tokens"][user])


def uploads_kept(site: dict) -> list:
    """The files the app still keeps in its upload folder."""
    folder = site["tmp"] / "data" / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def sign_in(app, username: str, page: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    """A client signed in through the login form as ``username`` and the CSRF token of ``page``
    (a page showing a form): what a person's browser holds to send a form."""
    import re

    client = TestClient(app)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": password, "login_token": token,
                                           "next": page}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)
