"""A small populated site for the bad-input tests: actuals, a synthetic city's enterprise data,
the 2023 batch, an approved award on a payment list, one claim, and a token per role."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.demo import demo_observations
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.engine import packaged
from commerce_brain.policy.inputs import EnterpriseInputs
from commerce_brain.policy.synthetic import city
from commerce_brain.settings import Settings
from commerce_brain import fulfilment as f
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.fulfilment.claims_flow import file_claim
from commerce_brain.store.observations import save_observations
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

YEAR = 2023
PASSWORD = "correct-horse-42"
ROLES = {"admin": "admin", "city": "city_analyst", "policy": "policy_officer", "finance": "finance_officer"}


@dataclass
class Site:
    """The app on a populated store, its tokens (username → bearer token) and the ids in it."""

    app: FastAPI
    engine: Engine
    tokens: dict[str, str]
    award_id: int
    list_id: int
    claim_id: int
    firm: str  # the enterprise account's username

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False)


def build_site(database_url: str, enterprises: int = 60) -> Site:
    """A fresh store at ``database_url`` with something of every kind the API serves."""
    catalog = load_catalog()
    engine = connect(database_url)
    save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="test")
    policies, _ = packaged()
    data = PolicyData(*city(enterprises, [2021, 2022, YEAR], event_kinds=sorted(policies.event_kinds())))
    f.save_policy_data(engine, data, actor="loader")
    f.run_batch(engine, YEAR, actor="setup")
    awards = f.list_awards(engine, scope=Scope()).sort("id")
    ready = awards.filter(~pl.col("needs_review"))
    listed, kept = ready.row(0, named=True), ready.row(1, named=True)
    f.confirm(engine, listed["id"], user=User(10, "setup-firm", "企业", "enterprise", uscc=listed["uscc"]))
    f.approve(engine, listed["id"], user=User(11, "setup-officer", "资管办", "policy_officer"))
    list_id = f.create_payment_list(engine, listed["payer"], user=User(12, "setup-finance", "财政", "finance_officer"))

    tokens = {}
    for username, role in ROLES.items():
        user = create_user(engine, username=username, password=PASSWORD, role=role, display_name=username,
                           catalog=catalog)
        tokens[username] = issue_token(engine, user.id, "bad-input")
    firm = create_user(engine, username="firm", password=PASSWORD, role="enterprise", display_name="firm",
                       uscc=kept["uscc"], catalog=catalog)
    tokens["firm"] = issue_token(engine, firm.id, "bad-input")
    stored = EnterpriseInputs.from_stored(kept["uscc"], data.enterprises, data.facts, data.events)
    facts = tuple(x for x in stored.facts if x["year"] != 2022) + (
        {"year": 2022, "main_revenue": 5_000_000_000, "rd_spend": 300_000_000},)
    claim = file_claim(engine, user=firm, rule="rd_subsidy", year=2022,
                       inputs=EnterpriseInputs(stored.enterprise, facts, stored.events), statement="研发费用专项审计",
                       attachments=[("审计报告.pdf", "application/pdf", b"%PDF-1.4\n% bad input\n")])
    app = create_app(Settings.from_env(database_url=database_url))
    return Site(app, engine, tokens, kept["id"], list_id, claim.claim_id, "firm")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bad_site(request, tmp_path_factory):
    """One populated site per module and database (SQLite and PostgreSQL)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bad_input') / 'store.sqlite3'}"
    else:
        from pg_server import fresh_database

        url = fresh_database(request.getfixturevalue("postgres_url"), f"t_{request.module.__name__[-20:]}")
    site = build_site(url)
    yield site
    site.engine.dispose()
