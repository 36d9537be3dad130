"""Who may do what, and see which rows: roles, capabilities and data scopes. Pure: no I/O.

Two questions are kept apart. ``can`` answers *may this user do X at all* from a fixed
role → capability table. ``scope_for`` and the filters answer *which rows may this user see*:
a county analyst sees the org unit and its subtree, an enterprise user only its own
统一社会信用代码 (USCC), a project's responsible unit (项目责任单位) only the projects and
warnings it owns, a foreign-trade warning point (预警点) only its sampled enterprises and their
warnings. Every other role sees every row it has a capability to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

ROLES: dict[str, str] = {
    "admin": "系统管理员",
    "city_analyst": "市级分析员",
    "county_analyst": "县（市、区）分析员",
    "policy_officer": "政策经办（资管办）",
    "finance_officer": "财政兑现",
    "enterprise": "企业用户",
    "leader": "领导驾驶舱（只读）",
    "project_unit": "项目责任单位",
    "warning_point": "预警点",
}

# view_warnings: the warnings (预警处置) and the early-warning data (订单+清单, market, supply).
READ_CAPABILITIES = frozenset({"view_plans", "view_policies", "view_audit", "view_projects", "view_warnings",
                               "view_grading"})
WRITE_CAPABILITIES = frozenset({
    "import_actuals", "run_batch", "review_awards", "make_payments", "confirm_own_awards",
    "file_claims", "manage_users", "edit_rules",
    # Project tracking: importing reports (the bureau), entering one's own project's monthly
    # report (the responsible unit), answering a warning (its owner), and supervising warnings
    # (the bureau's analysts: escalate, close).
    "import_projects", "report_projects", "answer_warnings", "supervise_warnings",
    # Early warning: importing the monitoring data (the bureau), an enterprise entering its own
    # monthly export orders (订单+清单).
    "import_warning_data", "report_orders",
    # Grading (亩均效益评价) and competitive allocation: running an evaluation and drawing the
    # leading-50 lists (the analysts and the policy office), re-grading an enterprise and
    # publishing the classes the policy engine reads (the policy office: a class sets money
    # through the A-class uplift), allocating a competitive pot (the policy office).
    "run_grading", "regrade_enterprises", "allocate_funds",
})
CAPABILITIES = READ_CAPABILITIES | WRITE_CAPABILITIES

# What each capability is called where a person reads it (a refusal on a page, the audit log).
CAPABILITY_ZH: dict[str, str] = {
    "view_plans": "查看规划监测", "view_policies": "查看政策兑现", "view_audit": "查看审计日志",
    "import_actuals": "导入统计数据", "run_batch": "运行免申即享批次", "review_awards": "审核奖补",
    "make_payments": "办理兑付", "confirm_own_awards": "确认本企业奖补", "file_claims": "企业申报",
    "manage_users": "管理账户", "edit_rules": "修改政策规则",
    "view_projects": "查看项目推进", "import_projects": "导入项目进度", "report_projects": "填报项目进度",
    "answer_warnings": "处置预警", "supervise_warnings": "督办预警",
    "view_warnings": "查看预警监测", "import_warning_data": "导入预警监测数据", "report_orders": "填报外贸订单",
    "view_grading": "查看亩均效益评价", "run_grading": "运行亩均效益评价", "regrade_enterprises": "调整企业评价类别",
    "allocate_funds": "竞争性分配资金",
}

# Separation of duties: whoever reviews awards (policy officer) does not pay them (finance
# officer), and the administrator manages accounts but touches neither data nor money.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"manage_users", "view_audit", "view_plans", "view_policies"}),
    "city_analyst": frozenset({"view_plans", "import_actuals", "view_policies", "view_projects",
                               "import_projects", "supervise_warnings", "view_warnings", "import_warning_data",
                               "view_grading", "run_grading"}),
    "county_analyst": frozenset({"view_plans", "import_actuals", "view_policies", "view_projects",
                                 "import_projects", "supervise_warnings", "view_warnings", "import_warning_data",
                                 "view_grading"}),
    "policy_officer": frozenset({"view_policies", "run_batch", "review_awards", "edit_rules", "view_grading",
                                 "run_grading", "regrade_enterprises", "allocate_funds"}),
    "finance_officer": frozenset({"view_policies", "make_payments"}),
    "enterprise": frozenset({"view_policies", "confirm_own_awards", "file_claims", "report_orders", "view_grading"}),
    "leader": READ_CAPABILITIES,
    # Whoever answers warnings sees them (its own, by its scope).
    "project_unit": frozenset({"view_projects", "report_projects", "answer_warnings", "view_warnings"}),
    # A warning point (预警点) sees its sample's orders and warnings and answers the warnings.
    "warning_point": frozenset({"view_warnings", "answer_warnings"}),
}
# The roles scoped to one owner (the ``responsible_unit`` of accounts and warnings): a project's
# responsible unit, or a foreign-trade warning point by its name.
UNIT_ROLES: dict[str, str] = {"project_unit": "责任单位", "warning_point": "预警点"}


@dataclass(frozen=True)
class User:
    """An account as the rest of the platform sees it; the password hash never leaves the store."""

    id: int
    username: str
    display_name: str
    role: str
    org_unit: str | None = None
    uscc: str | None = None
    responsible_unit: str | None = None
    active: bool = True
    created_at: datetime | None = None

    @property
    def role_zh(self) -> str:
        """The role's Chinese label (the code itself for a role this version does not know)."""
        return ROLES.get(self.role, self.role)


@dataclass(frozen=True)
class Scope:
    """The rows a user may see. ``org_units`` None means every org unit; ``uscc`` None means
    every enterprise; ``units`` None means every responsible unit (项目责任单位, or a warning
    point's name). The restrictions combine with AND."""

    org_units: frozenset[str] | None = None
    uscc: str | None = None
    units: frozenset[str] | None = None


def refusal(user: User, capability: str) -> str:
    """Why ``user`` may not do ``capability``, in Chinese: role and capability by their names."""
    return f"无权操作：{user.role_zh}不能{CAPABILITY_ZH.get(capability, '进行此操作')}"


def can(user: User, capability: str) -> bool:

    """Whether the user's role grants the capability. Inactive users and unknown roles get
    nothing; an unknown capability is a programming error and raises ValueError."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}; known: {', '.join(sorted(CAPABILITIES))}")
    return user.active and capability in PERMISSIONS.get(user.role, frozenset())


def scope_for(user: User, catalog) -> Scope:
    """The user's data scope. Raises ValueError when no safe scope exists (inactive user,
    unknown role, a county analyst without a known org unit, an enterprise without a USCC):
    better to refuse than to fall back to seeing everything."""
    if not user.active:
        raise ValueError(f"user {user.username!r} is inactive and has no scope")
    if user.role not in ROLES:
        raise ValueError(f"user {user.username!r} has unknown role {user.role!r}")
    if user.role == "county_analyst":
        # The catalog may have changed since the account was made; subtree() of an unknown
        # code would quietly return just that code, so check first.
        if user.org_unit is None or user.org_unit not in catalog.org_unit_names():
            raise ValueError(f"county analyst {user.username!r} has no known org unit ({user.org_unit!r})")
        return Scope(org_units=frozenset(catalog.subtree(user.org_unit)))
    if user.role == "enterprise":
        if not user.uscc:
            raise ValueError(f"enterprise user {user.username!r} has no USCC")
        return Scope(uscc=user.uscc)
    if user.role in UNIT_ROLES:
        # A project unit and a warning point alike own the rows naming them as responsible unit.
        if not user.responsible_unit or not user.responsible_unit.strip():
            raise ValueError(f"{user.role} user {user.username!r} has no responsible unit")
        return Scope(units=frozenset({user.responsible_unit.strip()}))
    return Scope()


def _require(frame: pl.DataFrame, column: str) -> None:
    # A misspelt column must fail for everyone, not only for the scoped roles.
    if column not in frame.columns:
        raise ValueError(f"frame has no column {column!r} to scope by; columns: {frame.columns}")


def filter_by_org_unit(frame: pl.DataFrame, scope: Scope, column: str = "org_unit") -> pl.DataFrame:
    """The rows whose org unit is in the scope (all rows when the scope has no org-unit limit).
    Rows with a null org unit are dropped for a limited scope."""
    _require(frame, column)
    if scope.org_units is None:
        return frame
    return frame.filter(pl.col(column).is_in(sorted(scope.org_units)).fill_null(False))


def filter_by_uscc(frame: pl.DataFrame, scope: Scope, column: str = "uscc") -> pl.DataFrame:
    """The rows of the scope's enterprise (all rows when the scope has no USCC limit)."""
    _require(frame, column)
    if scope.uscc is None:
        return frame
    return frame.filter((pl.col(column) == scope.uscc).fill_null(False))


def filter_by_unit(frame: pl.DataFrame, scope: Scope, column: str = "responsible_unit") -> pl.DataFrame:
    """The rows owned by one of the scope's responsible units (all rows when the scope has no
    unit limit). A project with several units (“衢江区政府、龙游县政府”) is each one's: the
    column is matched against every unit it names, split at 、"""
    _require(frame, column)
    if scope.units is None:
        return frame
    named = pl.col(column).str.split("、").list.eval(pl.element().str.strip_chars())
    return frame.filter(named.list.eval(pl.element().is_in(sorted(scope.units))).list.any().fill_null(False))


def filter_visible(frame: pl.DataFrame, scope: Scope, *, org_unit_column: str = "org_unit",
                   uscc_column: str = "uscc", unit_column: str = "responsible_unit") -> pl.DataFrame:
    """All three filters, failing closed: when the scope limits a dimension the frame has no
    column for (a county analyst and a city-wide total, an enterprise and an org-unit table, a
    responsible unit and an award list), no row is visible. Prefer this over calling one filter
    and forgetting another."""
    limits = ((scope.org_units is not None, org_unit_column), (scope.uscc is not None, uscc_column),
              (scope.units is not None, unit_column))
    if any(limited and column not in frame.columns for limited, column in limits):
        return frame.clear()
    if org_unit_column in frame.columns:
        frame = filter_by_org_unit(frame, scope, org_unit_column)
    if uscc_column in frame.columns:
        frame = filter_by_uscc(frame, scope, uscc_column)
    if unit_column in frame.columns:
        frame = filter_by_unit(frame, scope, unit_column)
    return frame
