"""Roles, capabilities and data scopes, without a database."""

import polars as pl
import pytest

from commerce_brain.access import (
    CAPABILITIES,
    ROLES,
    WRITE_CAPABILITIES,
    Scope,
    User,
    can,
    filter_by_org_unit,
    filter_by_uscc,
    filter_visible,
    scope_for,
)
from commerce_brain.uscc import make_uscc

A = make_uscc("91330802MA2ABCDE1")
B = make_uscc("91330881MA2BCDEF2")
ORG_UNITS = ["330800", "330802", "330803", "330881"]
EVERY_ROW = {(o, u) for o in ORG_UNITS for u in (A, B)}

# Written out in full rather than derived from the module, so a change to the table shows up here.
GRANTS = {
    "admin": {"manage_users", "view_audit", "view_plans", "view_policies"},
    "city_analyst": {"view_plans", "import_actuals", "view_policies", "view_projects", "import_projects",
                     "supervise_warnings", "view_warnings", "import_warning_data", "view_grading", "run_grading"},
    "county_analyst": {"view_plans", "import_actuals", "view_policies", "view_projects", "import_projects",
                       "supervise_warnings", "view_warnings", "import_warning_data", "view_grading"},
    "policy_officer": {"view_policies", "run_batch", "review_awards", "edit_rules", "view_grading", "run_grading",
                       "regrade_enterprises", "allocate_funds"},
    "finance_officer": {"view_policies", "make_payments"},
    "enterprise": {"view_policies", "confirm_own_awards", "file_claims", "report_orders", "view_grading"},
    "leader": {"view_plans", "view_policies", "view_audit", "view_projects", "view_warnings", "view_grading"},
    "project_unit": {"view_projects", "report_projects", "answer_warnings", "view_warnings"},
    "warning_point": {"view_warnings", "answer_warnings"},
}
ALL_CAPABILITIES = ["view_plans", "import_actuals", "view_policies", "run_batch", "review_awards",
                    "make_payments", "confirm_own_awards", "file_claims", "manage_users", "view_audit", "edit_rules",
                    "view_projects", "import_projects", "report_projects", "answer_warnings", "supervise_warnings",
                    "view_warnings", "import_warning_data", "report_orders", "view_grading", "run_grading",
                    "regrade_enterprises", "allocate_funds"]


def user(role, *, org_unit=None, uscc=None, responsible_unit=None, active=True):
    return User(id=1, username=f"u_{role}", display_name=role, role=role, org_unit=org_unit, uscc=uscc,
                responsible_unit=responsible_unit, active=active)


USERS = {
    "admin": user("admin"),
    "city_analyst": user("city_analyst"),
    "county_analyst": user("county_analyst", org_unit="330802"),
    "policy_officer": user("policy_officer"),
    "finance_officer": user("finance_officer"),
    "enterprise": user("enterprise", uscc=A),
    "leader": user("leader"),
    "project_unit": user("project_unit", responsible_unit="衢江区政府"),
    "warning_point": user("warning_point", responsible_unit="柯桥区纺织品外贸预警点"),
}


@pytest.fixture
def frame():
    """Every org unit with both enterprises, plus a row whose org unit and USCC are missing."""
    rows = [(o, u, n) for n, (o, u) in enumerate(sorted(EVERY_ROW))] + [(None, None, 99)]
    return pl.DataFrame(rows, schema={"org_unit": pl.String, "uscc": pl.String, "value": pl.Int64}, orient="row")


def visible(frame):
    return set(frame.select("org_unit", "uscc").iter_rows())


def test_roles_and_their_labels():
    assert ROLES == {
        "admin": "系统管理员", "city_analyst": "市级分析员", "county_analyst": "县（市、区）分析员",
        "policy_officer": "政策经办（资管办）", "finance_officer": "财政兑现", "enterprise": "企业用户",
        "leader": "领导驾驶舱（只读）", "project_unit": "项目责任单位",
        "warning_point": "预警点",
    }
    assert set(CAPABILITIES) == set(ALL_CAPABILITIES)
    assert USERS["leader"].role_zh == "领导驾驶舱（只读）"


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("capability", ALL_CAPABILITIES)
def test_can_for_every_role_and_capability(role, capability):
    assert can(USERS[role], capability) is (capability in GRANTS[role])


def test_the_leader_can_do_nothing_that_writes():
    assert WRITE_CAPABILITIES == {"import_actuals", "run_batch", "review_awards", "make_payments",
                                  "confirm_own_awards", "file_claims", "manage_users", "edit_rules",
                                  "import_projects", "report_projects", "answer_warnings", "supervise_warnings",
                                  "import_warning_data", "report_orders", "run_grading", "regrade_enterprises",
                                  "allocate_funds"}
    assert not any(can(USERS["leader"], c) for c in WRITE_CAPABILITIES)
    assert all(can(USERS["leader"], c) for c in ("view_plans", "view_policies"))


def test_reviewing_and_paying_awards_are_separate_duties():
    holders = {c: {r for r in ROLES if can(USERS[r], c)} for c in ("review_awards", "make_payments")}
    assert holders == {"review_awards": {"policy_officer"}, "make_payments": {"finance_officer"}}


def test_only_the_policy_officer_edits_rules_and_everyone_reads_them():
    assert {r for r in ROLES if can(USERS[r], "edit_rules")} == {"policy_officer"}
    # A project's responsible unit and a warning point have no business with awards; everyone
    # else reads the rules.
    assert {r for r in ROLES if not can(USERS[r], "view_policies")} == {"project_unit", "warning_point"}


def test_who_sees_and_answers_the_early_warnings():
    holders = {c: {r for r in ROLES if can(USERS[r], c)}
               for c in ("view_warnings", "import_warning_data", "report_orders", "answer_warnings")}
    assert holders == {
        "view_warnings": {"city_analyst", "county_analyst", "leader", "project_unit", "warning_point"},
        "import_warning_data": {"city_analyst", "county_analyst"},
        # Only an enterprise enters its own orders; the warning point that answers does not.
        "report_orders": {"enterprise"},
        "answer_warnings": {"project_unit", "warning_point"},
    }


def test_inactive_users_and_unknown_roles_can_do_nothing():
    assert not any(can(user("admin", active=False), c) for c in ALL_CAPABILITIES)
    assert not any(can(user("superuser"), c) for c in ALL_CAPABILITIES)


def test_an_unknown_capability_is_an_error_not_a_no():
    with pytest.raises(ValueError, match="view_plan"):
        can(USERS["admin"], "view_plan")


def test_scopes(catalog):
    assert scope_for(USERS["county_analyst"], catalog) == Scope(org_units=frozenset({"330802"}))
    city_wide = scope_for(user("county_analyst", org_unit="330800"), catalog)
    assert city_wide.org_units >= {"330800", "330881", "Z33080001"} and "330602" not in city_wide.org_units
    assert scope_for(USERS["enterprise"], catalog) == Scope(uscc=A)
    assert scope_for(USERS["project_unit"], catalog) == Scope(units=frozenset({"衢江区政府"}))
    assert scope_for(USERS["warning_point"], catalog) == Scope(units=frozenset({"柯桥区纺织品外贸预警点"}))
    for role in ("admin", "city_analyst", "policy_officer", "finance_officer", "leader"):
        assert scope_for(USERS[role], catalog) == Scope(org_units=None, uscc=None)


@pytest.mark.parametrize("bad", [
    user("county_analyst"),                        # no org unit: must not widen to everything
    user("county_analyst", org_unit="339999"),      # no longer in the catalog
    user("enterprise"),
    user("project_unit"),                          # no responsible unit: must not see every project
    user("project_unit", responsible_unit="  "),
    user("warning_point"),                         # no point: must not see every sampled enterprise
    user("warning_point", responsible_unit=" "),
    user("leader", active=False),
    user("superuser"),
])
def test_no_scope_rather_than_a_wide_one(catalog, bad):
    with pytest.raises(ValueError):
        scope_for(bad, catalog)


# Which (org_unit, uscc) rows each role sees once both filters are applied.
MATRIX = {
    "admin": EVERY_ROW | {(None, None)},
    "city_analyst": EVERY_ROW | {(None, None)},
    "county_analyst": {("330802", A), ("330802", B)},
    "policy_officer": EVERY_ROW | {(None, None)},
    "finance_officer": EVERY_ROW | {(None, None)},
    "enterprise": {(o, A) for o in ORG_UNITS},
    "leader": EVERY_ROW | {(None, None)},
    # The frame has no responsible-unit column: a unit's scope sees none of it (fails closed).
    "project_unit": set(),
    "warning_point": set(),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_scope_matrix(catalog, frame, role):
    scope = scope_for(USERS[role], catalog)
    both = filter_by_uscc(filter_by_org_unit(frame, scope), scope)
    unit_scoped = role in ("project_unit", "warning_point")
    assert visible(both) == (EVERY_ROW | {(None, None)} if unit_scoped else MATRIX[role])
    assert visible(filter_visible(frame, scope)) == MATRIX[role]
    assert both.columns == frame.columns


def test_each_filter_limits_only_its_own_dimension(catalog, frame):
    county = scope_for(user("county_analyst", org_unit="330881"), catalog)
    assert visible(filter_by_org_unit(frame, county)) == {("330881", A), ("330881", B)}
    assert filter_by_uscc(frame, county).height == frame.height
    enterprise = scope_for(USERS["enterprise"], catalog)
    assert visible(filter_by_uscc(frame, enterprise)) == {(o, A) for o in ORG_UNITS}
    assert filter_by_org_unit(frame, enterprise).height == frame.height


def test_filters_take_other_column_names(frame):
    renamed = frame.rename({"org_unit": "region", "uscc": "credit_code"})
    assert filter_by_org_unit(renamed, Scope(org_units=frozenset({"330803"})), column="region").height == 2
    assert filter_by_uscc(renamed, Scope(uscc=B), column="credit_code")["credit_code"].to_list() == [B] * 4


def test_a_missing_column_fails_for_everyone(frame):
    with pytest.raises(ValueError, match="region"):
        filter_by_org_unit(frame, Scope(), column="region")
    with pytest.raises(ValueError, match="credit_code"):
        filter_by_uscc(frame, Scope(uscc=A), column="credit_code")


def test_filter_visible_fails_closed_when_the_scoped_column_is_absent(frame):
    totals = frame.drop("org_unit")
    assert filter_visible(totals, Scope(org_units=frozenset({"330802"}))).is_empty()
    assert filter_visible(frame.drop("uscc"), Scope(uscc=A)).is_empty()
    assert filter_visible(totals, Scope()).height == frame.height
    assert filter_visible(totals, Scope(uscc=A)).height == 4


def test_a_responsible_units_scope_sees_its_own_projects_and_nothing_else(catalog):
    """A unit named alone or in a joint list (“衢江区政府、龙游县政府”) owns the row; a frame
    without a unit column shows such a scope nothing (fails closed)."""
    from commerce_brain.access import filter_by_unit

    projects = pl.DataFrame({"responsible_unit": ["衢江区政府", "衢江区政府、龙游县政府", "龙游县政府", None],
                             "org_unit": ["330803", "330803", "330825", None]})
    scope = Scope(units=frozenset({"龙游县政府"}))
    assert filter_by_unit(projects, scope)["responsible_unit"].to_list() == ["衢江区政府、龙游县政府", "龙游县政府"]
    assert filter_visible(projects, scope).height == 2
    assert filter_visible(pl.DataFrame({"org_unit": ["330803"], "uscc": [A]}), scope).is_empty()
    assert filter_visible(projects, Scope()).height == 4
