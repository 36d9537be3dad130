"""The scope matrix: every web endpoint × every role, status and body.

One site per database (SQLite and PostgreSQL), built once per module: the demo actuals, the
synthetic city's enterprise data, the 2023 batch, and one account per role — two county
analysts (柯城区 330802, 江山市 330881) and two enterprises, A in 柯城区 and B in 江山市, each
holding at least one proposed award and one claim (award year 2022, with an attachment). A
third enterprise's award is approved and put on a payment list, so the payment-list endpoints
have something to refuse.

The rule checked everywhere: a user of one county or one enterprise gets nothing of another's,
a role without the capability is refused (403; 401 or a redirect to /login unsigned), and a
refusal's body carries no enterprise's code or name. Writes are checked only for roles that
must be refused, so the site's state does not move under the other tests (checked too).
"""

from __future__ import annotations

import json
import re

from datetime import date

import polars as pl
import pytest
from fastapi.testclient import TestClient

from commerce_brain.access import Scope, User
from commerce_brain.catalog import load_catalog
from commerce_brain.demo import demo_observations
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.io.fdi_import import read_fdi_pipeline
from commerce_brain.io.fdi_template import write_fdi_template
from commerce_brain.io.orders_import import read_orders
from commerce_brain.io.orders_template import write_orders_template
from commerce_brain.orders_board import import_orders
from commerce_brain.uscc import make_uscc
from commerce_brain.warning.catalog import load_orders_catalog
from commerce_brain.projects.fdi_catalog import load_fdi_catalog
from commerce_brain.policy.engine import packaged
from commerce_brain.policy.inputs import EnterpriseInputs
from commerce_brain.policy.synthetic import city
from commerce_brain.settings import Settings
from commerce_brain import fulfilment as f
from commerce_brain import followup as fu
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.fulfilment.claims_flow import file_claim, get_claim, list_claims
from commerce_brain.fulfilment.rule_edits import rule_history
from commerce_brain.store.fdi_tables import save_fdi_pipeline
from commerce_brain.store.observations import save_observations
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

YEAR = 2023
PASSWORD = "correct-horse-42"
KECHENG, JIANGSHAN = "330802", "330881"
EVERYONE = Scope()

# username → (role, org unit); the enterprises' USCCs are chosen once the batch has run.
STAFF = {
    "admin": ("admin", None),
    "city": ("city_analyst", None),
    "kecheng": ("county_analyst", KECHENG),
    "jiangshan": ("county_analyst", JIANGSHAN),
    "officer": ("policy_officer", None),
    "finance": ("finance_officer", None),
    "boss": ("leader", None),
    "qujiang": ("project_unit", None),
    "keqiao": ("warning_point", None),
}
# The project units' responsible units (项目责任单位): they see their own projects and warnings;
# a foreign-trade warning point (预警点) by its name: it sees its sample's warnings.
UNITS = {"qujiang": "衢江区政府", "keqiao": "柯桥区纺织品外贸预警点"}
FIRMS = ("firm_a", "firm_b")
USERS = (*STAFF, *FIRMS)

SIGNED_IN = frozenset(USERS)
# Everyone who reads policies and awards (view_policies): all but the project units and warning points.
ALL = SIGNED_IN - set(UNITS)
VIEW_PLANS = frozenset({"admin", "city", "kecheng", "jiangshan", "boss"})
SEES_A = ALL - {"jiangshan", "firm_b"}  # A is in 柯城区
SEES_B = ALL - {"kecheng", "firm_a"}  # B is in 江山市
FINANCE = frozenset({"finance"})
IMPORTERS = frozenset({"city", "kecheng", "jiangshan"})  # import_actuals
POLICY_OFFICE = frozenset({"officer"})  # run_batch: the batch and the enterprise data it runs on
SURVEY = frozenset({"officer", "city", "kecheng", "jiangshan"})  # run_batch or import_actuals: /match
VIEW_PROJECTS = frozenset({"city", "kecheng", "jiangshan", "boss", "qujiang"})  # view_projects
VIEW_WARNINGS = VIEW_PROJECTS | {"keqiao"}  # view_warnings: whoever answers or supervises warnings
PROJECT_IMPORTERS = frozenset({"city", "kecheng", "jiangshan"})  # import_projects
# 订单+清单: {o_k}, an enterprise of the orders sample in 柯桥区纺织品外贸预警点's sample (柯桥区, in
# Shaoxing): the city-wide and its point see its history; Quzhou's county analysts and 衢江区政府
# get what a missing one gets; roles without view_warnings (an enterprise: not its own) get 403.
O_K = make_uscc("91330600MA2BX1001")  # 绍兴华纺织造有限公司 of the sample
SEES_O_K = frozenset({"city", "boss", "keqiao"})
WARNING_IMPORTERS = frozenset({"city", "kecheng", "jiangshan"})  # import_warning_data: orders, market, supply
# Two projects of the sample FDI pipeline: {fdi_k} lies in 柯城区 (next step: 柯城区商务局), {fdi_q} in
# 衢江区 (next step: 衢江区政府, the project unit qujiang's: it sees that one only).
FDI_K, FDI_Q = "WZ-2025-001", "WZ-2025-009"
SEES_FDI_K = frozenset({"city", "kecheng", "boss"})
SEES_FDI_Q = frozenset({"city", "boss", "qujiang"})
# view_warnings: the warnings (a warning point sees neither: both are projects'). {w_q}: a warning of 衢江区政府 in 衢江区 (with an action's file
# {wfile}); {w_j}: one of 江山市政府 in 江山市.
SEES_WQ = frozenset({"city", "boss", "qujiang"})
SEES_WJ = frozenset({"city", "boss", "jiangshan"})
# 订单+清单 pages (/orders/{o_k}): an enterprise reads its own orders there (report_orders), so
# the firms hold the page's capability and get 404 for another's.
ORDER_READERS = VIEW_WARNINGS | set(FIRMS)  # view_warnings, or report_orders for one's own
# A landmark project of 柯城区 (柯城智尚小微企业园项目, 柯城区政府's): 江山市's analyst and 衢江区政府
# get what a missing one gets.
KECHENG_PROJECT = "zl13-04"
# 亩均效益评价 (view_grading): {g_a}/{g_b} are A's and B's codes in the grading's paths; a county analyst
# sees its county's, an enterprise itself (another's answers as missing: 404). {alloc}: an allocation
# with one application of A and one of B: each viewer sees the decisions of its own scope.
VIEW_GRADING = frozenset({"city", "kecheng", "jiangshan", "officer", "boss", *FIRMS})
SEES_GA = VIEW_GRADING - {"jiangshan", "firm_b"}
SEES_GB = VIEW_GRADING - {"kecheng", "firm_a"}

# (path, the users answered 200[, the status of everyone else: 403 unless given]). {a}/{b}: an
# award of enterprise A / B; {claim_a}, {att_a}: its claim and the claim's attachment; {uscc_a}:
# its code; {list}: a payment list. Out-of-scope awards, claims and attachments are 404: their
# existence is not told (test_out_of_scope_answers_as_missing checks the bodies are the same).
API_READS = [
    ("/api/v1/me", SIGNED_IN),
    ("/api/v1/plans", VIEW_PLANS),
    (f"/api/v1/evaluation?year={YEAR}", VIEW_PLANS),
    (f"/api/v1/evaluation?year={YEAR}&org_unit={KECHENG}", VIEW_PLANS - {"jiangshan"}),
    (f"/api/v1/evaluation?year={YEAR}&org_unit={JIANGSHAN}", VIEW_PLANS - {"kecheng"}),
    (f"/api/v1/evaluation?year={YEAR}&org_unit=330800", VIEW_PLANS - {"kecheng", "jiangshan"}),
    ("/api/v1/awards", ALL),
    (f"/api/v1/awards?year={YEAR}&state=proposed", ALL),
    ("/api/v1/awards/{a}", SEES_A, 404),
    ("/api/v1/awards/{b}", SEES_B, 404),
    ("/api/v1/awards/payment-lists", FINANCE),
    ("/api/v1/awards/payment-lists/{list}", FINANCE),
    ("/api/v1/awards/payment-lists/{list}/xlsx", FINANCE),
    ("/api/v1/rules", ALL),
    ("/api/v1/rules/rd_subsidy", ALL),  # rules are public policy
    # 政策匹配: an enterprise its own matches, an analyst its county's; the survey of near misses
    # (and its page and workbook) for the policy office and the analysts, each its own scope.
    ("/api/v1/match?uscc={uscc_a}", SEES_A, 404),
    ("/api/v1/match?uscc={uscc_b}", SEES_B, 404),
    (f"/api/v1/match?uscc={{uscc_a}}&year={YEAR}", SEES_A, 404),
    ("/api/v1/match/near", SURVEY),
    (f"/api/v1/match/near?within=0.2&year={YEAR}", SURVEY),
    (f"/api/v1/match/near?org_unit={JIANGSHAN}", SURVEY),  # an analyst of another county: none
    ("/api/v1/claims", ALL),
    ("/api/v1/claims/{claim_a}", SEES_A, 404),
    ("/api/v1/claims/{claim_b}", SEES_B, 404),
    ("/api/v1/fdi/board", VIEW_PROJECTS),
    (f"/api/v1/fdi/board?org_unit={KECHENG}&country=JP&industry=electronics", VIEW_PROJECTS),
    ("/api/v1/fdi/investors", VIEW_PROJECTS),
    ("/api/v1/fdi/projects/{fdi_k}", SEES_FDI_K, 404),
    ("/api/v1/fdi/projects/{fdi_q}", SEES_FDI_Q, 404),
    ("/api/v1/warnings", VIEW_WARNINGS),
    # 消费市场 and 应急保供: a county analyst gets its county's series and outlets (test_market_web).
    ("/api/v1/warning/market", VIEW_WARNINGS),
    ("/api/v1/warning/market?period=2024-06", VIEW_WARNINGS),
    ("/api/v1/warning/supply", VIEW_WARNINGS),
    ("/api/v1/warning/supply?as_of=2024-06-30", VIEW_WARNINGS),
    ("/api/v1/warning/trade", VIEW_WARNINGS),  # figures only: no enterprise is named
    ("/api/v1/warnings?state=action_taken&level=red", VIEW_WARNINGS),
    ("/api/v1/warnings/{w_q}", SEES_WQ, 404),
    ("/api/v1/warnings/{w_j}", SEES_WJ, 404),
    ("/api/v1/projects", VIEW_PROJECTS),
    ("/api/v1/projects/status", VIEW_PROJECTS),
    ("/api/v1/projects/lint", VIEW_PROJECTS),
    (f"/api/v1/projects/{KECHENG_PROJECT}", VIEW_PROJECTS - {"jiangshan", "qujiang"}, 404),
    ("/api/v1/projects/imports", PROJECT_IMPORTERS),
    ("/api/v1/warning/scan?month=2025-02", VIEW_WARNINGS),
    ("/api/v1/warning/orders/rollup?by=industry", VIEW_WARNINGS),
    ("/api/v1/warning/orders/{o_k}", SEES_O_K, 404),
    (f"/api/v1/grading?year={YEAR}", VIEW_GRADING),
    (f"/api/v1/grading?year={YEAR}&org_unit={KECHENG}&class=A", VIEW_GRADING),
    (f"/api/v1/grading/leaders?year={YEAR}", VIEW_GRADING),
    ("/api/v1/grading/allocations/{alloc}", VIEW_GRADING),
    (f"/api/v1/grading/{{g_a}}?year={YEAR}", SEES_GA, 404),
    (f"/api/v1/grading/{{g_b}}?year={YEAR}", SEES_GB, 404),
    ("/api/v1/notices", frozenset(FIRMS)),  # an enterprise's own messages; no one else has an inbox
    # The policy library is public policy: every role that may view policies reads it.
    ("/api/v1/library/search?q=研发", ALL),
    ("/api/v1/library/search?q=企业&region=330881&in_force=true", ALL),
    ("/api/v1/library/qz_innovation_2019", ALL),
]
PAGE_READS = [
    ("/", SIGNED_IN),  # roles without view_plans get the welcome page
    (f"/?org_unit={JIANGSHAN}", SIGNED_IN - {"kecheng"}),
    (f"/?org_unit={KECHENG}", SIGNED_IN - {"jiangshan"}),
    ("/cockpit/screen", VIEW_PLANS),  # the 大屏 summary: the cockpit's figures, for a wall display
    (f"/cockpit/screen?org_unit={JIANGSHAN}", VIEW_PLANS - {"kecheng"}),
    (f"/cockpit/screen?org_unit={KECHENG}", VIEW_PLANS - {"jiangshan"}),
    (f"/plans/qz_commerce_14th/retail_sales?year={YEAR}&org_unit=330800", VIEW_PLANS - {"kecheng", "jiangshan"}),
    (f"/plans/qz_commerce_14th/retail_sales?year={YEAR}&org_unit={KECHENG}", VIEW_PLANS - {"jiangshan"}),
    (f"/plans/qz_commerce_14th/retail_sales?year={YEAR}&org_unit={JIANGSHAN}", VIEW_PLANS - {"kecheng"}),
    ("/awards", ALL),
    ("/awards/{a}", SEES_A, 404),
    ("/awards/{b}", SEES_B, 404),
    ("/awards/export.xlsx", ALL),  # each gets its own scope's awards (checked in test_fulfilment)
    ("/payments", FINANCE),
    ("/payments/{list}", FINANCE),
    ("/payments/{list}/export.xlsx", FINANCE),
    ("/audit", frozenset({"admin", "boss"})),  # view_audit
    ("/accounts", frozenset({"admin"})),  # manage_users
    ("/imports", IMPORTERS),
    ("/imports/template.xlsx", IMPORTERS),
    ("/enterprise-imports", POLICY_OFFICE),
    ("/enterprise-imports/template.xlsx", POLICY_OFFICE),
    ("/rules", ALL),
    ("/rules/rd_subsidy", ALL),
    ("/calculator", ALL),
    ("/match", SURVEY),
    (f"/match?within=20&year={YEAR}", SURVEY),
    (f"/match?org_unit={KECHENG}", SURVEY),
    ("/match/export.xlsx", SURVEY),
    ("/calculator?uscc={uscc_a}", SEES_A),
    ("/calculator?uscc={uscc_b}", SEES_B),
    ("/claims", ALL),
    ("/claims/new", frozenset(FIRMS)),
    ("/claims/{claim_a}", SEES_A, 404),
    ("/claims/{claim_b}", SEES_B, 404),
    ("/claims/attachments/{att_a}", SEES_A, 404),
    ("/claims/attachments/{att_b}", SEES_B, 404),
    # A's award has no 评审核定 (a fixed amount): no file, the same 404 for everyone.
    ("/awards/{a}/assessment/file", frozenset(), 404),
    ("/fdi", VIEW_PROJECTS),
    (f"/fdi?org_unit={KECHENG}&country=JP&industry=electronics", VIEW_PROJECTS),
    ("/fdi/investors", VIEW_PROJECTS),
    ("/fdi/template.xlsx", PROJECT_IMPORTERS),
    ("/fdi/{fdi_k}", SEES_FDI_K, 404),
    ("/fdi/{fdi_q}", SEES_FDI_Q, 404),
    ("/warnings", VIEW_WARNINGS),
    ("/market", VIEW_WARNINGS),
    ("/market?period=2024-06", VIEW_WARNINGS),
    ("/supply", VIEW_WARNINGS),
    ("/supply?as_of=2024-06-30", VIEW_WARNINGS),
    ("/trade", VIEW_WARNINGS),
    (f"/warnings?org_unit={JIANGSHAN}&state=open", VIEW_WARNINGS),
    ("/warnings/{w_q}", SEES_WQ, 404),
    ("/warnings/{w_j}", SEES_WJ, 404),
    ("/warnings/{w_q}/files/{wfile}", SEES_WQ, 404),
    ("/projects", VIEW_PROJECTS),
    ("/projects/lint", VIEW_PROJECTS),
    ("/projects/export.xlsx", VIEW_PROJECTS),  # each gets its own scope's projects (test_project_pages)
    (f"/projects/{KECHENG_PROJECT}", VIEW_PROJECTS - {"jiangshan", "qujiang"}, 404),
    ("/project-imports", PROJECT_IMPORTERS),
    ("/project-imports/template.xlsx", PROJECT_IMPORTERS),
    ("/orders", VIEW_WARNINGS | set(FIRMS)),  # an enterprise: its own months
    ("/orders?by=industry&month=2025-02", VIEW_WARNINGS | set(FIRMS)),
    ("/orders/template.xlsx", WARNING_IMPORTERS),
    ("/market/template.xlsx", WARNING_IMPORTERS),
    ("/supply/template.xlsx?sample=true", WARNING_IMPORTERS),
    ("/trade/remedies/template.xlsx", WARNING_IMPORTERS),
    ("/trade/country-risk/template.xlsx", WARNING_IMPORTERS),
    ("/orders/{o_k}", SEES_O_K, 404),
    # 亩均效益评价 pages: an enterprise opening /grading gets its own score card.
    (f"/grading?year={YEAR}", VIEW_GRADING),
    (f"/grading?year={YEAR}&county={KECHENG}&class=A", VIEW_GRADING),
    (f"/grading/export.xlsx?year={YEAR}", VIEW_GRADING),  # each its own scope's rows (test_grading_pages)
    (f"/grading/{{g_a}}?year={YEAR}", SEES_GA, 404),
    (f"/grading/{{g_b}}?year={YEAR}", SEES_GB, 404),
    (f"/grading/leaders?year={YEAR}", VIEW_GRADING),
    ("/grading/allocations", VIEW_GRADING),
    ("/grading/allocations/template.xlsx?sample=true", frozenset({"officer"})),  # allocate_funds
    ("/grading/allocations/{alloc}", VIEW_GRADING),
    ("/notices", POLICY_OFFICE),  # 站内消息: delivery per batch, disputes, the gateway file
    ("/home", frozenset(FIRMS)),  # 政企通: an enterprise's own home
    ("/library", ALL),
    ("/library?q=研发&department=市科技局", ALL),  # an enterprise also sees whether it qualifies
    ("/library/qz_commerce_2019", ALL),
    ("/library/new", POLICY_OFFICE),  # edit_rules: the policy officer adds documents
]
# Calculations: POSTs that store nothing (JSON body, the users answered 200, everyone else 403).
CALCULATIONS = [
    ("/api/v1/calculator", {"year": YEAR, "uscc": "{uscc_a}"}, SEES_A),
    ("/api/v1/calculator", {"year": YEAR, "uscc": "{uscc_b}"}, SEES_B),
]
# The calculator's form is a calculation too (checked signed out; its scopes in test_calculator).
PAGE_CALCULATIONS = [("/calculator", {"year": str(YEAR)})]
# A policy document as the officer's add page and API take it (a valid one: the refusal must be the role's).
LIBRARY_DOCUMENT = {"id": "matrix_document", "title": "矩阵", "issuer": "衢州市人民政府", "valid_from": "2020-01-01",
                    "departments": ["市商务局"], "text": "1．矩阵条款。"}
# (path, JSON body, the users who hold the capability and scope: they are left out of the
# matrix so that no write succeeds; everyone else must get 403 — or 404 where they hold the
# capability but the award is outside their scope, as if it did not exist).
API_WRITES = [
    ("/api/v1/awards/batches", {"year": YEAR}, {"officer"}),
    ("/api/v1/awards/{a}/confirm", None, {"firm_a"}, {"firm_b": 404}),
    ("/api/v1/awards/{b}/confirm", None, {"firm_b"}, {"firm_a": 404}),
    ("/api/v1/awards/{a}/approve", None, {"officer"}),
    ("/api/v1/awards/{b}/approve", None, {"officer"}),
    ("/api/v1/awards/{a}/reject", {"reason": "材料不全"}, {"officer"}),
    ("/api/v1/awards/{b}/reject", {"reason": "材料不全"}, {"officer"}),
    ("/api/v1/awards/{a}/reopen", {"reason": "补齐材料"}, {"officer"}),
    ("/api/v1/awards/{a}/assessment", {"amount": "1", "reason": "矩阵"}, {"officer"}),
    ("/api/v1/awards/payment-lists", {"payer": "{payer}"}, FINANCE),
    ("/api/v1/awards/payment-lists/{list}/paid", None, FINANCE),
    ("/api/v1/claims", {"rule": "rd_subsidy", "year": 2022}, frozenset(FIRMS)),
    ("/api/v1/imports/actuals", None, IMPORTERS),
    ("/api/v1/fdi/imports", None, PROJECT_IMPORTERS),
    ("/api/v1/warning/market/imports", None, WARNING_IMPORTERS),
    ("/api/v1/warning/supply/imports", None, WARNING_IMPORTERS),
    ("/api/v1/warning/trade/remedies/imports", None, WARNING_IMPORTERS),
    ("/api/v1/warning/trade/country-risk/imports", None, WARNING_IMPORTERS),
    ("/api/v1/claims/{claim_a}/register", {"name": "矩阵", "org_unit": KECHENG}, {"officer"}),
    ("PUT /api/v1/rules/rd_subsidy", {"definition": "cap: 1万", "reason": "矩阵", "expected_version": 0}, {"officer"}),
    # Answering: only the owning unit, and 江山市's warning is not 衢江区政府's to answer (404); 柯城's analyst,
    # who answers its bureau's market, supply and trade warnings, finds 江山市's outside its county (404).
    ("/api/v1/warnings/{w_j}/acknowledge", None, set(), {"qujiang": 404, "keqiao": 404, "kecheng": 404}),
    ("/api/v1/warnings/{w_j}/action", None, set(), {"qujiang": 404, "keqiao": 404, "kecheng": 404}),
    # Supervising: the analysts, a county's only in the county (衢江区's is neither 柯城 nor 江山).
    ("/api/v1/warnings/{w_q}/escalate", {"note": "矩阵"}, {"city"}, {"kecheng": 404, "jiangshan": 404}),
    ("/api/v1/warnings/{w_q}/close", {"note": "矩阵"}, {"city"}, {"kecheng": 404, "jiangshan": 404}),
    # report_projects: only a project's own responsible unit (衢江区政府 may not report 柯城's).
    (f"/api/v1/projects/{KECHENG_PROJECT}/reports",
     {"month": "2024-10", "annual_plan_yi": "1", "completed_ytd_yi": "1", "stage": "completed"}, set(),
     {"qujiang": 404}),
    ("/api/v1/projects/imports", None, PROJECT_IMPORTERS),
    ("/api/v1/warning/orders/imports", None, WARNING_IMPORTERS),
    # 亩均效益评价: running and drawing the lists (run_grading), re-grading and publishing
    # (regrade_enterprises), allocating (allocate_funds).
    ("/api/v1/grading/runs", {"year": YEAR}, {"city", "officer"}),
    ("/api/v1/grading/leaders", {"year": YEAR}, {"city", "officer"}),
    ("/api/v1/grading/{g_a}/regrade", {"year": YEAR, "to": "B", "reason": "矩阵"}, {"officer"}),
    ("/api/v1/grading/publish", {"year": YEAR}, {"officer"}),
    ("/api/v1/grading/allocations", None, {"officer"}),
    # 站内消息: only the notice's own enterprise reads or disputes it; the other's is missing (404).
    ("/api/v1/notices/{n_a}/read", None, {"firm_a"}, {"firm_b": 404}),
    ("/api/v1/notices/{n_b}/read", None, {"firm_b"}, {"firm_a": 404}),
    ("/api/v1/notices/{n_b}/dispute", {"reason": "矩阵"}, {"firm_b"}, {"firm_a": 404}),
    ("/api/v1/library", LIBRARY_DOCUMENT, POLICY_OFFICE),  # edit_rules: the policy officer adds documents
]
# The page forms (session + CSRF): path, form fields.
PAGE_WRITES = [
    ("/accounts/city/unlock", {}),
    ("/awards/batch", {"year": str(YEAR)}),
    ("/awards/{a}/confirm", {}),
    ("/awards/{a}/approve", {}),
    ("/awards/{a}/reject", {"reason": "材料不全"}),
    ("/awards/{a}/reopen", {"reason": "补齐材料"}),
    ("/awards/{a}/assess", {"amount": "1", "reason": "矩阵"}),
    ("/payments", {"payer": "{payer}"}),
    ("/payments/{list}/paid", {}),
    ("/imports/preview", {}),
    ("/imports/confirm", {"sha": "0" * 64, "suffix": ".csv", "file_name": "x.csv"}),
    ("/enterprise-imports/preview", {}),
    ("/enterprise-imports/confirm", {"sha": "0" * 64, "file_name": "x.xlsx"}),
    ("/rules/rd_subsidy", {"definition": "cap: 1万", "reason": "矩阵", "expected_version": "0"}),
    ("/rules/rd_subsidy/revert", {"reason": "矩阵", "expected_version": "0"}),
    ("/claims/new", {"rule": "rd_subsidy", "year": "2022", "statement": "矩阵"}),
    ("/claims/{claim_a}/register", {"name": "矩阵", "org_unit": KECHENG}),
    ("/fdi/import", {}),
    ("/warnings/{w_q}/acknowledge", {}),
    ("/warnings/{w_q}/action", {"note": "矩阵"}),
    ("/warnings/{w_q}/escalate", {"note": "矩阵"}),
    ("/warnings/{w_q}/close", {"note": "矩阵"}),
    (f"/projects/{KECHENG_PROJECT}/reports",
     {"month": "2024-10", "annual_plan_yi": "1", "completed_ytd_yi": "1", "stage": "completed"}),
    ("/project-imports/preview", {}),
    ("/project-imports/confirm", {"sha": "0" * 64, "suffix": ".csv", "file_name": "x.csv"}),
    ("/orders/import", {}),
    ("/market/import", {}),
    ("/supply/import", {}),
    ("/trade/remedies/import", {}),
    ("/trade/country-risk/import", {}),
    ("/orders/{o_k}/reports", {"month": "2025-03", "new_orders_usd": "1"}),
    ("/grading/runs", {"year": str(YEAR)}),
    ("/grading/publish", {"year": str(YEAR)}),
    ("/grading/leaders", {"year": str(YEAR), "size": "50"}),
    ("/grading/allocations", {"pot": "qz2019_art5_key_projects"}),
    ("/grading/{g_a}/regrade", {"year": str(YEAR), "to_class": "B", "reason": "矩阵"}),
    ("/home/notices/{n_a}/read", {}),
    ("/home/notices/{n_a}/dispute", {"reason": "矩阵"}),
    ("/notices/export", {}),
    ("/notices/disputes/{dispute}/close", {"answer": "矩阵"}),
    ("/library/new", {k: v for k, v in LIBRARY_DOCUMENT.items() if k != "departments"}),
]
# Routes outside the matrix, and why: signing in and out is for everyone; the rest is static.
OUTSIDE_THE_MATRIX = {
    ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
    ("GET", "/api/v1/openapi.json"), ("GET", "/api/docs"),
}
UPLOAD = {"file": ("actuals.csv", "plan,indicator\n".encode(), "text/csv")}

# Award and claim records: a role that may not read policies at all (a project unit) is refused
# outright, which tells nothing about whether the id exists.
POLICY_RECORDS = ("/api/v1/awards/", "/api/v1/claims/", "/awards/", "/claims/", "/api/v1/match?")
# FDI projects: likewise a role without view_projects is refused outright; a viewer outside the
# project's scope gets 404.
FDI_RECORDS = ("/api/v1/fdi/projects/", "/fdi/{")
# Warnings likewise, for a role that may not look at warnings at all.
WARNING_RECORDS = ("/api/v1/warnings/", "/warnings/")
PROJECT_RECORDS = ("/api/v1/projects/zl", "/projects/zl")  # a landmark project's page and record
ORDER_RECORDS = ("/api/v1/warning/orders/{",)  # an enterprise's order history (its USCC)
ORDER_PAGES = ("/orders/{",)  # an enterprise's orders page (its USCC)
GRADING_RECORDS = ("/api/v1/grading/", "/grading/")  # an enterprise's grading, an allocation


def refused_status(path: str, user: str, refused: list[int]) -> int:
    """What a user outside ``allowed`` gets: 403, or the table's status (404: out of scope)."""
    if user in UNITS and path.startswith(POLICY_RECORDS):
        return 403
    if user not in VIEW_PROJECTS and path.startswith(FDI_RECORDS + PROJECT_RECORDS):
        return 403
    if user not in VIEW_WARNINGS and path.startswith(WARNING_RECORDS + ORDER_RECORDS):
        return 403
    if user not in ORDER_READERS and path.startswith(ORDER_PAGES):
        return 403
    if user not in VIEW_GRADING and path.startswith(GRADING_RECORDS):
        return 403
    return (refused or [403])[0]


READ_CASES = [(path, user, 200 if user in allowed else refused_status(path, user, refused))
              for path, allowed, *refused in API_READS + PAGE_READS for user in USERS]
WRITE_CASES = [(path, body, user, (unseen or [{}])[0].get(user, 403))
               for path, body, capable, *unseen in API_WRITES for user in USERS if user not in capable]
CALCULATION_CASES = [(path, body, user, 200 if user in allowed else 403)
                     for path, body, allowed in CALCULATIONS for user in USERS]
SEES = {"a": SEES_A, "b": SEES_B}


def method_and_path(entry: str) -> tuple[str, str]:
    """'PUT /x' → ('PUT', '/x'); a bare path is a POST."""
    method, _, path = entry.rpartition(" ")
    return method or "POST", path


def _firm_user(uscc: str) -> User:
    return User(10, f"setup-{uscc}", "企业", "enterprise", uscc=uscc)


def _pick(awards: pl.DataFrame, org_unit: str) -> dict:
    """An enterprise of ``org_unit`` with an award that can be approved as it stands."""
    mine = awards.filter((pl.col("org_unit") == org_unit) & ~pl.col("needs_review")).sort("id")
    assert mine.height, f"the synthetic city has no approvable award in {org_unit}"
    return mine.row(0, named=True)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request, tmp_path_factory):
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp_path_factory.mktemp('scope') / 'store.sqlite3'}"
    else:
        from pg_server import fresh_database

        database_url = fresh_database(request.getfixturevalue("postgres_url"), "t_scope_matrix")

    catalog = load_catalog()
    engine = connect(database_url)
    save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="test")
    policies, _ = packaged()
    data = PolicyData(*city(300, [2019, 2020, 2021, 2022, YEAR], event_kinds=sorted(policies.event_kinds())))
    f.save_policy_data(engine, data, actor="loader")
    f.run_batch(engine, YEAR, actor="setup")
    awards = f.list_awards(engine, scope=EVERYONE).sort("id")

    a, b = _pick(awards, KECHENG), _pick(awards, JIANGSHAN)
    # A third enterprise's award, approved and listed, gives the payment-list endpoints a target.
    third = awards.filter(~pl.col("needs_review") & ~pl.col("uscc").is_in([a["uscc"], b["uscc"]])).row(0, named=True)
    f.confirm(engine, third["id"], user=_firm_user(third["uscc"]))
    f.approve(engine, third["id"], user=User(1, "setup-officer", "资管办", "policy_officer"))
    list_id = f.create_payment_list(engine, third["payer"], user=User(2, "setup-finance", "财政", "finance_officer"))

    users = {}
    for username, (role, org_unit) in STAFF.items():
        users[username] = create_user(engine, username=username, password=PASSWORD, role=role,
                                      display_name=username, org_unit=org_unit,
                                      responsible_unit=UNITS.get(username), catalog=catalog)
    for username, award in zip(FIRMS, (a, b), strict=True):
        users[username] = create_user(engine, username=username, password=PASSWORD, role="enterprise",
                                      display_name=username, uscc=award["uscc"], catalog=catalog)
    tokens = {name: {"Authorization": f"Bearer {issue_token(engine, user.id, 'matrix')}"}
              for name, user in users.items()}
    claims = {key: _claim(engine, data, users[firm], award["uscc"])
              for key, firm, award in (("a", "firm_a", a), ("b", "firm_b", b))}
    awards = f.list_awards(engine, scope=EVERYONE).sort("id")  # with the claims' awards
    sample = write_fdi_template(tmp_path_factory.mktemp("fdi") / "fdi.xlsx", catalog, load_fdi_catalog(), sample=True)
    save_fdi_pipeline(engine, read_fdi_pipeline(sample, catalog, load_fdi_catalog()), actor="setup",
                      file_name="fdi.xlsx", sha256="-")
    orders = write_orders_template(tmp_path_factory.mktemp("orders") / "orders.csv", catalog, load_orders_catalog(),
                                   sample=True)
    import_orders(engine, read_orders(orders, catalog, load_orders_catalog()), load_orders_catalog(), actor="setup",
                  file_name="orders.csv", sha256="-", today=date(2025, 3, 3))
    app = create_app(Settings.from_env(database_url=database_url))
    yield {"app": app, "client": TestClient(app), "engine": engine, "tokens": tokens, "a": a, "b": b,
           "awards": awards, "list": list_id, "payer": third["payer"], "claims": claims,
           "warnings": _warnings(engine, users["qujiang"]), "allocation": _grading(engine, a, b),
           "notices": _notices(engine, a, b)}
    engine.dispose()


def _notices(engine, a: dict, b: dict) -> dict:
    """A notice of A's award (disputed by A: a task for the office) and one of B's."""
    from commerce_brain import notices as n

    ids = {key: n.inbox(engine, award["uscc"])[-1]["id"] for key, award in (("n_a", a), ("n_b", b))}
    dispute = n.dispute(engine, ids["n_a"], "矩阵", actor=_firm_user(a["uscc"]))
    return {**ids, "dispute": dispute}


def _warnings(engine, unit: User) -> dict:
    """A warning of 衢江区政府 (in 衢江区) with an action and its file, and one of 江山市政府."""
    rows = pl.DataFrame({
        "source": ["projects"] * 2, "detector": ["schedule_behind"] * 2, "subject_kind": ["project"] * 2,
        "subject_id": ["zl13-05", "zl13-08"], "subject_name": ["衢江区总部经济圈", "江山市城北科创基地"],
        "org_unit": ["330803", JIANGSHAN], "responsible_unit": ["衢江区政府", "江山市政府"], "level": ["red"] * 2,
        "reason": ["年度计划投资完成 41%，时间进度 83%，落后 42 个百分点"] * 2, "period": ["2023-10"] * 2,
        "due_date": [date(2023, 11, 20)] * 2})
    fu.raise_warnings(engine, rows, actor="matrix")
    ids = dict(fu.list_warnings(engine, EVERYONE).select("subject_id", "id").iter_rows())
    fu.record_action(engine, ids["zl13-05"], user=unit, scope=Scope(units=frozenset({"衢江区政府"})),
                     note="召开协调会", attachment=("纪要.pdf", b"%PDF-1.4\n% matrix\n"))
    step = fu.warning_history(engine, fu.get_warning(engine, ids["zl13-05"], scope=EVERYONE))[-1]
    return {"w_q": ids["zl13-05"], "w_j": ids["zl13-08"], "wfile": step["id"]}


def _grading(engine, a: dict, b: dict) -> int:
    """A 2023 grading of A (柯城区, class A) and B (江山市, class C), the lists drawn from it (A
    selected, B not), and an allocation with one application of each; returns the allocation id."""
    from commerce_brain.grading.catalog import load_grading_settings
    from commerce_brain.grading_board import store_run
    from commerce_brain.store import grading_tables as gt

    codes = [i.key for i in load_grading_settings().all_indicators()]
    graded = pl.DataFrame({
        "uscc": [a["uscc"], b["uscc"]], "name": [a["name"], b["name"]], "org_unit": [KECHENG, JIANGSHAN],
        "county": [KECHENG, JIANGSHAN], "industry_group": ["制造业"] * 2, "size_class": ["above"] * 2,
        "unit": [a["uscc"], b["uscc"]], "merged_with": [[], []],
        **{f"{p}__{c}": [10.0, 5.0] for c in codes for p in ("value", "score")},
        "bonus": [0.0, 0.0], "penalty": [0.0, 0.0], "total": [80.0, 40.0], "rank": [1, 1], "group_size": [1, 1],
        "initial_class": ["A", "C"], "class": ["A", "C"], "reason": ["组内排名前 20%", "组内排名前 95%"]})
    none = pl.DataFrame(schema={"uscc": pl.String, "name": pl.String, "org_unit": pl.String, "reason": pl.String})
    run_id = store_run(engine, graded, none, year=YEAR, actor="setup", org_unit=None, source="store", digest="0" * 64)
    leaders = pl.DataFrame({"list": ["leading", "leading"], "uscc": [a["uscc"], b["uscc"]],
                            "name": [a["name"], b["name"]], "org_unit": [KECHENG, JIANGSHAN], "rank": [1, 2],
                            "score": [80.0, 40.0], "selected": [True, False], "reason": ["入选", "低于入选线"]})
    # As record_allocation keeps them: each application's figures beside both decisions.
    figures = {"industry": "", "kind": "", "requested_fen": 10_000, "score_e4": 900_000}
    applications = [{"id": "1", "uscc": a["uscc"], **figures, "selected": True, "greedy_selected": True,
                     "reason": "入选"},
                    {"id": "2", "uscc": b["uscc"], **figures, "selected": False, "greedy_selected": False,
                     "reason": "超出预算"}]
    result = {"selected": [1], "total_score": 90, "total_yuan": 100, "greedy": {"selected": [1], "total_score": 90,
                                                                                 "total_yuan": 100},
              "decisions": [{"id": int(x["id"]), "selected": x["selected"], "reason": x["reason"]} for x in applications],
              "applications": applications}
    with engine.begin() as conn:
        gt.insert_leader_list(conn, year=YEAR, run_id=run_id, rules={"size": 50}, rows=leaders, actor="setup")
        return gt.insert_allocation(conn, pot_name="矩阵资金池", pot_yaml="name: 矩阵资金池", file_name="申报.csv",
                                    sha256="-", result_json=json.dumps(result, ensure_ascii=False),
                                    visible={"1": {"uscc": a["uscc"], "org_unit": KECHENG},
                                             "2": {"uscc": b["uscc"], "org_unit": JIANGSHAN}}, actor="setup")


def warning_versions(site) -> dict:
    return dict(fu.list_warnings(site["engine"], EVERYONE).select("id", "version").iter_rows())


def _claim(engine, data: PolicyData, user: User, uscc: str) -> dict:
    """The enterprise's claim of the R&D award for 2022 (研发投入 300万 on 主营业务收入 5000万),
    with one PDF: the 2023 batch holds no 2022 award, so it cannot collide."""
    stored = EnterpriseInputs.from_stored(uscc, data.enterprises, data.facts, data.events)
    facts = tuple(f for f in stored.facts if f["year"] != 2022) + (
        {"year": 2022, "main_revenue": 5_000_000_000, "rd_spend": 300_000_000},)
    filed = file_claim(engine, user=user, rule="rd_subsidy", year=2022,
                       inputs=EnterpriseInputs(stored.enterprise, facts, stored.events), statement="研发费用专项审计",
                       attachments=[("审计报告.pdf", "application/pdf", b"%PDF-1.4\n% matrix\n")])
    claim = get_claim(engine, filed.claim_id, scope=EVERYONE)
    return {"id": filed.claim_id, "attachment": claim["attachments"][0]["id"]}


def fill(site, path: str) -> str:
    claims = site["claims"]
    return path.format(a=site["a"]["id"], b=site["b"]["id"], list=site["list"], payer=site["payer"],
                       claim_a=claims["a"]["id"], claim_b=claims["b"]["id"], att_a=claims["a"]["attachment"],
                       att_b=claims["b"]["attachment"], uscc_a=site["a"]["uscc"], uscc_b=site["b"]["uscc"],
                       fdi_k=FDI_K, fdi_q=FDI_Q, o_k=O_K, g_a=site["a"]["uscc"], g_b=site["b"]["uscc"],
                       alloc=site["allocation"], **site["warnings"], **site["notices"])


def fill_body(site, body: dict | None) -> dict | None:
    return None if body is None else {k: fill(site, v) if isinstance(v, str) else v for k, v in body.items()}


def leaked(site, text: str, keep: set[str] = frozenset()) -> list[str]:
    """A's and B's codes and names found in ``text``, except those of ``keep`` ('a', 'b')."""
    return [site[x][k] for x in ("a", "b") if x not in keep for k in ("uscc", "name") if site[x][k] in text]


def get(site, user: str | None, path: str):
    headers = site["tokens"][user] if user else {}
    return site["client"].get(fill(site, path), headers=headers, follow_redirects=False)


def state_of(site, key: str) -> str:
    return f.get_award(site["engine"], site[key]["id"], scope=EVERYONE)["state"]


# ---- the matrix ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "user", "status"), READ_CASES, ids=[f"{u}:{p}" for p, u, _ in READ_CASES])
def test_read_matrix(site, path, user, status):
    response = get(site, user, path)
    assert response.status_code == status, response.text[:300]
    if status != 200:
        # A refusal names no enterprise: not the one asked about, not any other.
        assert leaked(site, response.text) == []
    else:
        # An answer names only the enterprises the user may see (xlsx bodies are zipped: no check).
        assert leaked(site, response.text, keep={k for k, seen in SEES.items() if user in seen}) == []


@pytest.mark.parametrize(("path", "body", "user", "status"), WRITE_CASES,
                         ids=[f"{u}:POST {p}" for p, _, u, _ in WRITE_CASES])
def test_write_matrix_refuses_without_the_capability(site, path, body, user, status):
    before = (state_of(site, "a"), state_of(site, "b"))
    warnings_before = warning_versions(site)
    method, path = method_and_path(path)
    response = site["client"].request(method, fill(site, path), json=fill_body(site, body),
                                      headers=site["tokens"][user])
    assert response.status_code == status, response.text[:300]
    assert leaked(site, response.text) == []
    assert (state_of(site, "a"), state_of(site, "b")) == before == ("proposed", "proposed")
    assert f.get_payment_list(site["engine"], site["list"])["paid_at"] is None
    assert len(f.list_payment_lists(site["engine"])) == 1
    assert rule_history(site["engine"], "rd_subsidy") == []
    assert len(list_claims(site["engine"], scope=EVERYONE)) == 2
    assert warning_versions(site) == warnings_before


@pytest.mark.parametrize(("path", "body", "user", "status"), CALCULATION_CASES,
                         ids=[f"{u}:POST {p} {b['uscc']}" for p, b, u, _ in CALCULATION_CASES])
def test_calculations_keep_to_the_scope(site, path, body, user, status):
    response = site["client"].post(fill(site, path), json=fill_body(site, body), headers=site["tokens"][user])
    assert response.status_code == status, response.text[:300]
    assert leaked(site, response.text, keep={k for k, seen in SEES.items() if user in seen}) == []


UNSIGNED_API = ([p for p, *_ in API_READS] + [p for p, _, _, *_ in API_WRITES + CALCULATIONS])
UNSIGNED_PAGES = [p for p, *_ in PAGE_READS]


@pytest.mark.parametrize("path", UNSIGNED_API)
def test_unsigned_api_is_401(site, path):
    body = next((b for p, b, _, *_ in API_WRITES + CALCULATIONS if p == path), None)
    client = site["client"]
    reads = [client.get(fill(site, path))] if path in {p for p, *_ in API_READS} else []
    method, bare = method_and_path(path)
    writes = ([client.request(method, fill(site, bare), json=fill_body(site, body))]
              if any(p == path for p, _, _, *_ in API_WRITES + CALCULATIONS) else [])
    for response in reads + writes:
        assert response.status_code == 401, response.text[:300]
        assert leaked(site, response.text) == []
    # A forged token is no better than none.
    forged = client.get(fill(site, bare), headers={"Authorization": "Bearer cb_forged"})
    assert forged.status_code in (401, 405)


@pytest.mark.parametrize("path", UNSIGNED_PAGES + [p for p, _ in PAGE_WRITES + PAGE_CALCULATIONS])
def test_unsigned_pages_redirect_to_login(site, path):
    client = site["client"]
    is_form = path in {p for p, _ in PAGE_WRITES + PAGE_CALCULATIONS} and path not in UNSIGNED_PAGES
    response = (client.post(fill(site, path), data={}, follow_redirects=False) if is_form
                else client.get(fill(site, path), follow_redirects=False))
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"].startswith("/login")
    assert leaked(site, response.text) == []


# ---- out of scope is missing -------------------------------------------------------------------

# Every path with an id, and a way to make it name an id that does not exist.
ID_PATHS = [p for p, *_ in API_READS + PAGE_READS
            if re.search(r"\{(a|b|claim_a|claim_b|att_a|att_b|list|fdi_k|fdi_q|w_q|w_j|wfile|o_k|g_a|g_b|alloc)\}", p)]


def _missing(site, path: str) -> tuple[str, str, str]:
    """The path filled with its real id, the same path with an id that does not exist, and the
    real id (to blank it out of the bodies)."""
    real = fill(site, path)
    name = re.findall(r"\{(\w+)\}", path)[-1]  # the last id: a file of a warning is missing, not the warning
    value = str({"a": site["a"]["id"], "b": site["b"]["id"], "list": site["list"], **site["warnings"],
                 **{k: site["claims"][k[-1]]["id"] for k in ("claim_a", "claim_b")},
                 **{k: site["claims"][k[-1]]["attachment"] for k in ("att_a", "att_b")},
                 "fdi_k": FDI_K, "fdi_q": FDI_Q, "o_k": O_K, **site["warnings"], "g_a": site["a"]["uscc"],
                 "g_b": site["b"]["uscc"], "alloc": site["allocation"]}[name])
    head, _, tail = real.rpartition(f"/{value}")
    return real, f"{head}/987654321{tail}", value


@pytest.mark.parametrize(("path", "user"), [(p, u) for p in ID_PATHS for u in USERS])
def test_out_of_scope_answers_as_missing(site, path, user):
    # Whoever may not see an award, claim, attachment or payment list gets what a missing id
    # gets, word for word: ids cannot be enumerated by telling 403 from 404.
    real, missing, value = _missing(site, path)
    headers = site["tokens"][user]
    seen = site["client"].get(real, headers=headers, follow_redirects=False)
    absent = site["client"].get(missing, headers=headers, follow_redirects=False)
    if seen.status_code == 200:
        return  # in scope: nothing to hide (the read matrix checks who that is)
    assert seen.status_code == absent.status_code, (seen.status_code, absent.status_code)
    assert seen.text == absent.text.replace("987654321", value)
    assert seen.status_code in (403, 404)  # 403 only for a role that may not use the page at all
    if seen.status_code == 403:
        assert (path.startswith(("/payments", "/api/v1/awards/payment-lists", *FDI_RECORDS)) or user in UNITS
                or (path.startswith(WARNING_RECORDS + ORDER_RECORDS) and user not in VIEW_WARNINGS)
                or (path.startswith(ORDER_PAGES) and user not in ORDER_READERS)
                or (path.startswith(GRADING_RECORDS) and user not in VIEW_GRADING))


# ---- what a scoped user is shown ---------------------------------------------------------------

@pytest.mark.parametrize(("user", "own", "other"), [("firm_a", "a", "b"), ("firm_b", "b", "a")])
def test_an_enterprise_sees_only_its_own_awards(site, user, own, other):
    mine, theirs = site[own], site[other]
    expected = site["awards"].filter(pl.col("uscc") == mine["uscc"])
    strangers = set(site["awards"]["uscc"]) - {mine["uscc"]}

    me = get(site, user, "/api/v1/me").json()
    assert (me["role"], me["uscc"], me["org_unit"]) == ("enterprise", mine["uscc"], None)

    for path in ("/api/v1/awards", f"/api/v1/awards?year={YEAR}", f"/api/v1/awards?payer={theirs['payer']}",
                 "/api/v1/awards?state=proposed"):
        response = get(site, user, path)
        assert response.status_code == 200
        assert {a["uscc"] for a in response.json()} <= {mine["uscc"]}
        assert leaked(site, response.text, keep={own}) == []
    rows = get(site, user, "/api/v1/awards").json()
    assert {a["id"] for a in rows} == set(expected["id"]) and mine["id"] in {a["id"] for a in rows}

    for path in ("/awards", f"/awards?year={YEAR}", f"/awards/{mine['id']}", f"/api/v1/awards/{mine['id']}"):
        response = get(site, user, path)
        assert response.status_code == 200
        assert mine["uscc"] in response.text
        assert leaked(site, response.text, keep={own}) == []
        assert [u for u in strangers if u in response.text] == []  # nor any third enterprise


@pytest.mark.parametrize(("user", "county", "own", "other"),
                         [("kecheng", KECHENG, "a", "b"), ("jiangshan", JIANGSHAN, "b", "a")])
def test_a_county_analyst_sees_only_its_county(site, user, county, own, other):
    names = load_catalog().org_unit_names()
    other_county = names[JIANGSHAN if county == KECHENG else KECHENG]
    page = get(site, user, f"/plans/qz_commerce_14th/retail_sales?year={YEAR}")
    assert page.status_code == 200 and names[county] in page.text
    assert other_county not in page.text  # the across-counties table keeps to the scope
    for path in ("/", "/cockpit/screen"):  # the county comparison and the map keep to it too
        cockpit = get(site, user, path)
        assert cockpit.status_code == 200 and names[county] in cockpit.text and other_county not in cockpit.text
    outside = site["awards"].filter(pl.col("org_unit") != county)
    inside = site["awards"].filter(pl.col("org_unit") == county)

    me = get(site, user, "/api/v1/me").json()
    assert (me["role"], me["org_unit"], me["uscc"]) == ("county_analyst", county, None)

    for path in (f"/api/v1/evaluation?year={YEAR}", f"/api/v1/evaluation?year={YEAR}&org_unit={county}"):
        rows = get(site, user, path).json()
        assert rows and {r["org_unit"] for r in rows} == {county}

    for path in ("/api/v1/awards", f"/api/v1/awards?payer={site[other]['payer']}", f"/api/v1/awards?year={YEAR}"):
        response = get(site, user, path)
        assert response.status_code == 200
        assert {a["org_unit"] for a in response.json()} <= {county}
        assert leaked(site, response.text, keep={own}) == []
    rows = get(site, user, "/api/v1/awards").json()
    assert {a["id"] for a in rows} == set(inside["id"])

    for path in ("/awards", f"/awards?year={YEAR}", f"/awards/{site[own]['id']}", "/"):
        response = get(site, user, path)
        assert response.status_code == 200
        assert leaked(site, response.text, keep={own}) == []
        assert [u for u in set(outside["uscc"]) if u in response.text] == []


def test_the_city_wide_roles_see_every_award(site):
    total = site["awards"].height
    for user in ("admin", "city", "officer", "finance", "boss"):
        rows = get(site, user, "/api/v1/awards").json()
        assert len(rows) == total, user


# ---- the leader reads, never writes ------------------------------------------------------------

def _sign_in(site, username: str) -> tuple[TestClient, str]:
    client = TestClient(site["app"])
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "login_token": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def test_the_leader_reads_everything_and_every_write_is_403(site):
    for path in ("/api/v1/awards/{a}", "/api/v1/awards/{b}", "/awards/{a}", "/awards/{b}", "/awards",
                 f"/api/v1/evaluation?year={YEAR}&org_unit={JIANGSHAN}", "/api/v1/plans"):
        assert get(site, "boss", path).status_code == 200, path
    client, csrf = _sign_in(site, "boss")
    for path, form in PAGE_WRITES:  # the forms, with a valid session and CSRF token
        data = {**{k: fill(site, v) for k, v in form.items()}, "csrf": csrf}
        files = UPLOAD if path.endswith(("/preview", "/fdi/import")) else None
        response = client.post(fill(site, path), data=data, files=files, follow_redirects=False)
        assert response.status_code == 403, (path, response.text[:300])
    for entry, body, *_ in API_WRITES:  # the API, with the session cookie and its CSRF header
        method, path = method_and_path(entry)
        response = client.request(method, fill(site, path), json=fill_body(site, body), headers={"X-CSRF-Token": csrf})
        assert response.status_code == 403, (path, response.text[:300])
    assert (state_of(site, "a"), state_of(site, "b")) == ("proposed", "proposed")
    assert f.get_payment_list(site["engine"], site["list"])["paid_at"] is None


def _routes(app) -> set[tuple[str, str]]:
    """(method, path template) of every route the app serves, HEAD aside."""
    found = set()
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            found |= {(m, context.path) for m in getattr(context, "methods", None) or () if m != "HEAD"}
    return found


def test_every_route_is_in_the_matrix(site):
    # A new endpoint must say who may use it: add it to one of the tables above.
    listed = ([("GET", p) for p, *_ in API_READS + PAGE_READS] + [method_and_path(p) for p, *_ in API_WRITES]
              + [("POST", p) for p, _, _ in CALCULATIONS] + [("POST", p) for p, _ in PAGE_WRITES + PAGE_CALCULATIONS])
    filled = {(m, fill(site, p).split("?")[0]) for m, p in listed}
    routes = {r for r in _routes(site["app"]) if not r[1].startswith("/static")}
    missing = []
    for method, template in sorted(routes - OUTSIDE_THE_MATRIX):
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
        if not any(m == method and pattern.match(p) for m, p in filled):
            missing.append(f"{method} {template}")
    assert missing == [], f"routes missing from the scope matrix: {missing}"
