"""Accounts for the demo site: one per role, with fresh random passwords, printed at start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine

from .access import ROLES
from .catalog import Catalog
from .store.accounts import create_user

# (username, role, org unit, display name): the county analyst works for 柯城区.
DEMO_USERS = (
    ("admin", "admin", None, "系统管理员"),
    ("city", "city_analyst", None, "市商务局分析员"),
    ("kecheng", "county_analyst", "330802", "柯城区商务局分析员"),
    ("policy", "policy_officer", None, "资管办经办人"),
    ("finance", "finance_officer", None, "市财政局经办人"),
    ("enterprise", "enterprise", None, "演示企业"),
    ("leader", "leader", None, "市领导"),
)


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in to print: who, which role, and the one-time password."""

    username: str
    role_zh: str
    scope: str
    password: str


def create_demo_accounts(engine: Engine, catalog: Catalog, *, enterprise_uscc: str) -> list[DemoAccount]:
    """One account per role; the enterprise account belongs to ``enterprise_uscc``."""
    accounts = []
    for username, role, org_unit, display in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        uscc = enterprise_uscc if role == "enterprise" else None
        create_user(engine, username=username, password=password, role=role, display_name=display,
                    org_unit=org_unit, uscc=uscc, catalog=catalog)
        scope = catalog.org_unit_names()[org_unit] if org_unit else (uscc or "全市")
        accounts.append(DemoAccount(username, ROLES[role], scope, password))
    return accounts
