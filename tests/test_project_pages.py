"""项目推进 on the web, on a real database (SQLite and PostgreSQL): the list with its lights,
filters, roll-ups and export, a project's page and S-curve, the responsible unit's report form,
the project lint, and the same through /api/v1/projects — each within the user's scope."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from commerce_brain.catalog import load_catalog
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.audit import events
from commerce_brain.store.project_tables import newest_reports
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app
from api_site import sign_in as signed_in
from factories import store_project_reports

PASSWORD = "correct-horse-42"
MONTH = "2024-10"
# username → (role, org unit, responsible unit)
ACCOUNTS = {
    "city": ("city_analyst", None, None),
    "kecheng": ("county_analyst", "330802", None),
    "boss": ("leader", None, None),
    "qujiang": ("project_unit", None, "衢江区政府"),
    "changshan": ("project_unit", None, "常山县政府"),
    "officer": ("policy_officer", None, None),
}
# project → (annual plan 亿, completed year to date 亿, stage): the lights they give in October.
REPORTS = {
    "zl13-05": ("10", "9.72", "under_construction"),  # 97.2% − 10/12 = +0.139: green
    "zl15-10": ("1.6", "1.2", "under_construction"),  # 75% − 83.3% = −0.083: yellow
    "zl13-06": ("6", "3", "under_construction"),  # 50% − 83.3% = −0.333: red
    "zl14-10": ("2", "2", "under_construction"),  # 2021–2023, not completed in 2024: red (not finished)
}


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    tokens = {}
    for username, (role, org_unit, unit) in ACCOUNTS.items():
        user = create_user(engine, username=username, password=PASSWORD, role=role, display_name=username,
                           org_unit=org_unit, responsible_unit=unit, catalog=catalog)
        tokens[username] = {"Authorization": f"Bearer {issue_token(engine, user.id, 'test')}"}
    store_project_reports(engine, {"zl13-05": ("10", "7", "under_construction")}, "2024-08")
    store_project_reports(engine, REPORTS, MONTH)
    app = create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path))
    yield {"app": app, "client": TestClient(app), "engine": engine, "tokens": tokens}
    engine.dispose()


def get(site, user, path, **kwargs):
    return site["client"].get(path, headers=site["tokens"][user], follow_redirects=False, **kwargs)


def sign_in(site, username: str) -> tuple[TestClient, str]:
    return signed_in(site["app"], username, "/projects", PASSWORD)


def visible_text(html: str) -> str:
    """The page's text without tags (ids in links are not text a person reads)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))


def lights(site, user: str, month: str | None = None) -> dict[str, str]:
    path = "/api/v1/projects/status" + (f"?month={month}" if month else "")
    return {row["id"]: row["light"] for row in get(site, user, path).json()}


# ---- the list -----------------------------------------------------------------------------------

def test_the_list_shows_each_light_in_words_for_the_latest_month(site):
    page = get(site, "city", "/projects")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "2024年10月" in text  # the latest reported month by default
    for word in ("绿灯", "黄灯", "红灯", "未报送"):
        assert word in text
    assert "+13.9" in text and "−33.3" in text  # points ahead and behind
    assert "衢江区总部经济圈" in text and "项目推进" in text
    assert not re.search(r"zl1\d", text)  # ids stay in the links, never in the text
    assert "亿元" in text and "万元" not in text.replace("1 万元", "")


def test_the_lights_follow_the_rules_in_the_month(site):
    found = lights(site, "city")
    assert {p: found[p] for p in REPORTS} == {"zl13-05": "green", "zl15-10": "yellow", "zl13-06": "red",
                                              "zl14-10": "red"}
    assert found["zl13-01"] == "none" and len(found) == 58
    # In August only zl13-05 had reported: 70% − 8/12 = +0.033, green; the rest unreported.
    august = lights(site, "city", "2024-08")
    assert august["zl13-05"] == "green" and august["zl13-06"] == "none"


def test_filters_narrow_the_list(site):
    red = visible_text(get(site, "city", f"/projects?month={MONTH}&light=red").text)
    assert "衢江区国家（衢州）纸浆储备库" in red and "衢江区供应链总部项目" in red
    assert "衢江区总部经济圈" not in red.split("项目清单")[1].split("亮灯分布")[0]
    column = visible_text(get(site, "city", "/projects?column=15").text)
    listed = column.split("项目清单")[1].split("亮灯分布")[0]
    assert "衢江区保税物流中心" in listed and "衢江区总部经济圈" not in listed
    by_unit = visible_text(get(site, "city", "/projects?unit=常山县政府").text)
    assert "（9 / 58 个）" in by_unit
    # A value that is no choice is no filter (never an error page).
    assert "（58 / 58 个）" in visible_text(get(site, "city", "/projects?light=purple&column=x").text)


def test_rollups_count_lights_per_column_unit_and_county(site):
    text = visible_text(get(site, "city", "/projects").text)
    assert "汇总 · 按专栏" in text and "汇总 · 按责任单位" in text and "汇总 · 按县（市、区）" in text
    rows = re.findall(r"<tr><td>衢江区</td>(.*?)</tr>", get(site, "city", "/projects").text, flags=re.S)
    cells = re.findall(r'<td class="num">([^<]*)</td>', rows[0])
    # 14 projects in 衢江区: 2 red, 1 yellow, 1 green, 10 unreported; planned 19.6 亿, done 15.92 亿.
    assert cells[:5] == ["14", "2", "1", "1", "10"]
    assert cells[5:] == ["19.6", "15.92"]


def test_a_county_analyst_sees_only_its_countys_projects(site):
    found = lights(site, "kecheng")
    catalog_kecheng = {"zl13-04"}
    assert found and catalog_kecheng <= set(found) and "zl13-05" not in found
    text = visible_text(get(site, "kecheng", "/projects").text)
    assert "衢江区总部经济圈" not in text and "柯城智尚小微企业园项目" in text
    missing, outside = get(site, "kecheng", "/projects/zl99-99"), get(site, "kecheng", "/projects/zl13-05")
    assert outside.status_code == missing.status_code == 404 and outside.text == missing.text


def test_a_responsible_unit_sees_only_its_own_projects(site):
    found = lights(site, "changshan")
    assert len(found) == 9 and "zl13-05" not in found
    # 六春湖 (衢江区政府、龙游县政府) is 衢江's as well.
    assert "zl16-08" in lights(site, "qujiang")
    assert get(site, "changshan", "/api/v1/projects/zl13-05").status_code == 404


def test_the_export_is_the_filtered_list_with_exact_amounts(site):
    response = get(site, "city", f"/projects/export.xlsx?month={MONTH}&light=red")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "项目名称" and {r[13] for r in rows[1:]} == {"红灯"}
    assert {r[2] for r in rows[1:]} == {"衢江区国家（衢州）纸浆储备库", "衢江区供应链总部项目"}
    assert sorted(float(r[9]) for r in rows[1:]) == [2.0, 6.0]


def test_a_role_without_view_projects_is_refused(site):
    assert get(site, "officer", "/projects").status_code == 403
    assert get(site, "officer", "/api/v1/projects").status_code == 403


# ---- a project's page ---------------------------------------------------------------------------

def test_the_project_page_cites_the_plan_and_draws_its_s_curve(site):
    page = get(site, "city", "/projects/zl13-05")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "衢州市现代服务业发展“十四五”规划" in text and "衢发改发〔2021〕37号" in text and "专栏13 第5项" in text
    assert "001_" not in page.text  # the seed file's name never reaches a page
    assert "绿灯" in text and "2024年8月" in text and "2024年10月" in text
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page.text, re.S).group(1)
    import json
    chart = json.loads(data)["trends"][0]
    assert chart["years"][0] == "2024-01" and chart["years"][-1] == "2024-12"
    planned, actual = chart["series"][0]["values"], chart["series"][1]["values"]
    assert planned[9] == pytest.approx(10 * 10 / 12, abs=1e-4) and actual[9] == pytest.approx(9.72)
    assert actual[7] == pytest.approx(7) and actual[8] == pytest.approx(7) and actual[10] is None


def test_malformed_or_missing_project_ids_are_404(site):
    for path in ("/projects/zl99-99", "/projects/..%2Fetc", "/projects/a%20b", "/projects/" + "x" * 80,
                 "/api/v1/projects/zl99-99", "/api/v1/projects/a%20b"):
        assert get(site, "city", path).status_code == 404, path


# ---- the responsible unit's report --------------------------------------------------------------

def test_the_responsible_unit_enters_a_report_and_the_light_changes(site):
    client, csrf = sign_in(site, "qujiang")
    assert "填报月度进度" in client.get("/projects/zl13-06").text
    form = {"csrf": csrf, "month": MONTH, "annual_plan_yi": "6", "completed_month_yi": "2.5",
            "completed_ytd_yi": "5.5", "stage": "under_construction", "image_progress": "主体结构封顶",
            "problems": "用地指标待落实", "problem_owner": "市自然资源和规划局"}
    response = client.post("/projects/zl13-06/reports", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/projects/zl13-06?month={MONTH}"
    assert lights(site, "city")["zl13-06"] == "green"  # 91.7% − 83.3%
    stored = newest_reports(site["engine"]).filter((newest_reports(site["engine"])["project_id"] == "zl13-06"))
    assert stored.height == 1 and stored["completed_ytd_wan"][0] == 55_000
    assert stored["problem_owner"][0] == "市自然资源和规划局"
    page = visible_text(client.get("/projects/zl13-06").text)
    assert "用地指标待落实" in page and "主体结构封顶" in page
    # The audit log names the project, not its id.
    audit = visible_text(get(site, "boss", "/audit").text)
    assert "填报项目“衢江区国家（衢州）纸浆储备库” 2024-10 进度" in audit and "zl13-06" not in audit


def test_a_wrong_report_is_refused_in_chinese_and_nothing_is_stored(site):
    client, csrf = sign_in(site, "qujiang")
    before = newest_reports(site["engine"]).height
    form = {"csrf": csrf, "month": "2024-13", "annual_plan_yi": "6", "completed_ytd_yi": "1.23456",
            "stage": "galactic"}
    response = client.post("/projects/zl13-06/reports", data=form)
    assert response.status_code == 422
    text = visible_text(response.text)
    assert "月份“2024-13”无效" in text and "精度超过 1 万元" in text and "建设阶段“galactic”无效" in text
    assert newest_reports(site["engine"]).height == before


def test_only_the_projects_own_unit_may_report(site):
    client, csrf = sign_in(site, "changshan")
    form = {"csrf": csrf, "month": MONTH, "annual_plan_yi": "6", "completed_ytd_yi": "6", "stage": "completed"}
    assert client.post("/projects/zl13-06/reports", data=form).status_code == 404  # not its project
    analyst, token = sign_in(site, "city")
    assert analyst.post("/projects/zl13-06/reports", data={**form, "csrf": token}).status_code == 403
    assert "填报月度进度" not in analyst.get("/projects/zl13-06").text
    assert lights(site, "city")["zl13-06"] == "red"


def test_the_api_report_is_audited_and_answers_the_light(site):
    body = {"month": "2024-11", "annual_plan_yi": 6, "completed_ytd_yi": "4.8", "stage": "under_construction",
            "problems": "=HYPERLINK(\"http://evil.example\")"}
    response = site["client"].post("/api/v1/projects/zl13-06/reports", json=body, headers=site["tokens"]["qujiang"])
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["light"] == "yellow" and answer["schedule_gap"] == pytest.approx(4.8 / 6 - 11 / 12, abs=1e-3)
    assert any(e["actor"] == "qujiang" for e in events(site["engine"]) if "project" in e["action"])


def test_the_api_refuses_a_bad_report_in_the_error_shape(site):
    body = {"month": MONTH, "annual_plan_yi": "-1", "completed_ytd_yi": "abc", "stage": "completed"}
    response = site["client"].post("/api/v1/projects/zl13-06/reports", json=body, headers=site["tokens"]["qujiang"])
    assert response.status_code == 422
    answer = response.json()
    assert {p["field"] for p in answer["problems"]} == {"annual_plan_yi", "completed_ytd_yi"}
    assert answer["detail"].startswith("报送有误")


# ---- lint and the API contracts ------------------------------------------------------------------

def test_the_lint_page_and_api_report_the_plan_period_difference(site):
    findings = get(site, "city", "/api/v1/projects/lint").json()
    period = next(f for f in findings if f["check"] == "plan_period_investment")
    assert period["stated"] == 1368 and period["computed"] == pytest.approx(1406.24)
    assert set(findings[0]) == {"check", "scope", "stated", "computed", "message", "citation"}
    page = visible_text(get(site, "city", "/projects/lint").text)
    assert "1406.24" in page and "1368" in page and "衢发改发〔2021〕37号" in page
    assert not re.search(r"zl1\d|plan_period", page)


def test_the_list_api_keeps_the_contract(site):
    rows = get(site, "city", "/api/v1/projects").json()
    assert len(rows) == 58
    assert list(rows[0]) == ["id", "name_zh", "column", "start_year", "end_year", "total_investment",
                             "plan_period_investment", "responsible_unit", "org_unit", "citation"]
    first = next(r for r in rows if r["id"] == "zl13-01")
    assert (first["total_investment"], first["plan_period_investment"], first["column"]) == (3, 2, 13)
    status = get(site, "city", f"/api/v1/projects/status?month={MONTH}").json()
    assert list(status[0]) == ["id", "light", "schedule_gap", "reason"]
    green = next(r for r in status if r["id"] == "zl13-05")
    assert green["schedule_gap"] == 0.139
    assert get(site, "city", "/api/v1/projects/status?month=2024-1").status_code == 422
    detail = get(site, "city", "/api/v1/projects/zl13-05").json()
    assert detail["status"]["light"] == "green" and [r["month"] for r in detail["reports"]] == ["2024-08", MONTH]
    assert detail["reports"][1]["completed_ytd_yi"] == 9.72


def test_the_leaders_cockpit_counts_the_lights(site):
    page = visible_text(get(site, "boss", "/").text)
    assert "项目推进 · 2024年10月" in page
    counts = re.findall(r'<span class="n">(\d+)</span><span class="light">', get(site, "boss", "/").text)
    assert counts == ["2", "1", "1", "54"]


def test_the_project_page_lists_its_warnings_with_links(site):
    from datetime import date

    from commerce_brain.followup import raise_warnings
    from commerce_brain.projects.warning_rows import warning_candidates
    from commerce_brain.projects.catalog import load_project_catalog
    from commerce_brain.web.project_views import project_data, status

    data = project_data(site["app"].state.platform)
    rows = warning_candidates(status(data, MONTH), load_project_catalog().settings, date(2024, 11, 5))
    raise_warnings(site["engine"], rows, actor="setup")
    page = get(site, "qujiang", "/projects/zl13-06")
    links = re.findall(r'<a href="/warnings/(\d+)">([^<]+)</a>', page.text)
    assert len(links) == 1 and "落后" in links[0][1]
    assert "落后序时进度" in visible_text(page.text) and "2024-11-20" in page.text
    assert "暂无预警" in get(site, "qujiang", "/projects/zl13-05").text  # green: none raised
