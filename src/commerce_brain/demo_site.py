"""Accounts for the demo site: one per role (two finance officers), with fresh random passwords,
printed at start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine

from .access import ROLES
from .catalog import Catalog
from .store.accounts import create_user

# (username, role, org unit, display name, what to try first): the county analyst works for
# 柯城区, the project unit for 衢江区政府, the warning point is 柯桥区纺织品外贸预警点. The order is the walk-through's: monitoring, then one award from batch to payment.
DEMO_USERS = (
    ("city", "city_analyst", None, "市商务局分析员", "驾驶舱 → 点指标看图表与公式；数据导入"),
    ("kecheng", "county_analyst", "330802", "柯城区商务局分析员", "只见柯城区的指标"),
    ("policy", "policy_officer", None, "资管办经办人", "政策兑现 → 运行2023年度批次；审核；政策规则"),
    ("enterprise", "enterprise", None, "演示企业", "政策计算器；确认本企业奖补；企业申报"),
    ("finance", "finance_officer", None, "市财政局经办人", "兑付 → 生成兑付清单、导出xlsx"),
    # Four eyes: who made a payment list cannot mark it paid; a second finance officer does.
    ("finance2", "finance_officer", None, "市财政局复核人", "兑付清单 → 核对后标记已兑付"),
    ("leader", "leader", None, "市领导", "驾驶舱与审计日志（只读）"),
    # A project's responsible unit: sees only 衢江区政府's projects and answers their warnings.
    ("qujiang", "project_unit", None, "衢江区政府项目专员", "预警处置 → 签收本单位的预警、填写处置措施"),
    # A foreign-trade warning point (预警点): sees its sampled enterprises' orders and answers their warnings.
    ("keqiao", "warning_point", None, "柯桥区纺织品外贸预警点联络员", "预警处置 → 签收本预警点样本企业的订单预警"),
    ("admin", "admin", None, "系统管理员", "审计日志；账户用 commerce-brain users 管理"),
)

DEMO_RESPONSIBLE_UNIT = "衢江区政府"
DEMO_WARNING_POINT = "柯桥区纺织品外贸预警点"


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in to print: who, which role, and the one-time password."""

    username: str
    role_zh: str
    scope: str
    password: str
    try_first: str


def create_demo_accounts(engine: Engine, catalog: Catalog, *, enterprise_uscc: str) -> list[DemoAccount]:
    """One account per role; the enterprise account belongs to ``enterprise_uscc``."""
    accounts = []
    for username, role, org_unit, display, try_first in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        uscc = enterprise_uscc if role == "enterprise" else None
        unit = {"project_unit": DEMO_RESPONSIBLE_UNIT, "warning_point": DEMO_WARNING_POINT}.get(role)
        create_user(engine, username=username, password=password, role=role, display_name=display,
                    org_unit=org_unit, uscc=uscc, responsible_unit=unit, catalog=catalog, actor="demo")
        scope = catalog.org_unit_names()[org_unit] if org_unit else (uscc or unit or "全市")
        accounts.append(DemoAccount(username, ROLES[role], scope, password, try_first))
    return accounts
