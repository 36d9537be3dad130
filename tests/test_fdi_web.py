"""外资项目 on the web, on SQLite and PostgreSQL: the upload API (stored, dry run, refused whole and
not kept, a county's file with another county's project), the board and its filters, a project's
page, 客商库 — each within the user's scope, in Chinese."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from commerce_brain import followup as f
from commerce_brain.access import Scope
from commerce_brain.io.fdi_template import write_fdi_template
from commerce_brain.projects.fdi_catalog import load_fdi_catalog
from commerce_brain.store.audit import events
from commerce_brain.store.fdi_tables import list_fdi_imports

from api_site import PASSWORD, get, open_site, post_file, uploads_kept

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
ACCOUNTS = {"city": {"role": "city_analyst"}, "kecheng": {"role": "county_analyst", "org_unit": "330802"},
            "qujiang": {"role": "project_unit", "responsible_unit": "衢江区政府"},
            "officer": {"role": "policy_officer"}, "boss": {"role": "leader"}}


@pytest.fixture
def site(database_url, tmp_path):
    site = open_site(database_url, tmp_path, ACCOUNTS,
                     lambda catalog: write_fdi_template(tmp_path / "外资项目.xlsx", catalog, load_fdi_catalog(), sample=True))
    yield site
    site["engine"].dispose()


def upload(site, user: str, path, **params):
    return post_file(site, user, "/api/v1/fdi/imports", path, **params)


def test_the_upload_stores_the_pipeline_and_keeps_no_file(site):
    dry = upload(site, "city", site["sample"], dry_run="true")
    assert dry.status_code == 200 and (dry.json()["new"], dry.json()["import_id"]) == (9, None)
    assert list_fdi_imports(site["engine"]) == []
    done = upload(site, "city", site["sample"])
    assert done.status_code == 200, done.text
    assert done.json() | {"import_id": 1} == {"file": "外资项目.xlsx", "dry_run": False, "rows": 9, "new": 9,
                                              "changed": 0, "unchanged": 0, "import_id": 1,
                                              "warnings": {"new": 5, "unchanged": 0}}
    assert events(site["engine"], action="fdi.import")[0]["actor"] == "city"
    # The five projects with an overdue stage are warnings now, each owned by its next step's unit.
    raised = f.list_warnings(site["engine"], Scope(), source="fdi")
    assert sorted(raised["subject_id"]) == ["WZ-2025-001", "WZ-2025-003", "WZ-2025-006", "WZ-2025-008", "WZ-2025-009"]
    assert dict(zip(raised["subject_id"], raised["responsible_unit"], strict=True))["WZ-2025-009"] == "衢江区政府"
    assert dict(zip(raised["subject_id"], raised["level"], strict=True))["WZ-2025-003"] == "red"
    assert f.subject_link("fdi_project", "WZ-2025-003") == "/fdi/WZ-2025-003"
    again = upload(site, "city", site["sample"])
    assert again.json()["unchanged"] == 9 and again.json()["warnings"] == {"new": 0, "unchanged": 5}
    assert uploads_kept(site) == []


def test_a_bad_file_is_refused_whole_named_and_not_kept(site):
    bad = site["tmp"] / "坏文件.csv"
    bad.write_text("项目编号,项目名称\nWZ-1,测试\n", encoding="utf-8")
    refused = upload(site, "city", bad)
    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"].startswith("文件被整体退回，未导入任何数据：坏文件.csv")
    assert any("缺少列：所在地区" in p["message"] for p in body["problems"])
    assert list_fdi_imports(site["engine"]) == [] and uploads_kept(site) == []
    rejected = events(site["engine"], action="import_rejected")[0]
    assert (rejected["object"], rejected["detail"]["kind"]) == ("坏文件.csv", "fdi")
    wrong_kind = site["tmp"] / "pipeline.txt"
    wrong_kind.write_text("x", encoding="utf-8")
    assert upload(site, "city", wrong_kind).status_code == 400


def test_a_county_may_import_only_its_own_projects(site):
    refused = upload(site, "kecheng", site["sample"])
    assert refused.status_code == 422
    [problem] = refused.json()["problems"]
    assert "管辖范围以外的项目：WZ-2025-002" in problem["message"] and list_fdi_imports(site["engine"]) == []
    assert upload(site, "qujiang", site["sample"]).status_code == 403  # a project unit imports nothing
    assert upload(site, "boss", site["sample"]).status_code == 403


def test_the_board_keeps_to_the_scope_and_the_filters(site):
    assert upload(site, "city", site["sample"]).status_code == 200
    board = get(site, "city", "/api/v1/fdi/board").json()
    assert board["total"]["projects"] == 9 and board["as_of"] == date.today().isoformat()
    assert {c["name_zh"] for c in board["counties"]} >= {"柯城区", "衢江区", "智造新城"}
    assert [p["id"] for p in get(site, "kecheng", "/api/v1/fdi/board").json()["projects"]] == ["WZ-2025-001", "WZ-2025-007"]
    assert [p["id"] for p in get(site, "qujiang", "/api/v1/fdi/board").json()["projects"]] == ["WZ-2025-002", "WZ-2025-009"]
    # A county analyst asking for another county gets an empty board, not that county's rows.
    assert get(site, "kecheng", "/api/v1/fdi/board?org_unit=330803").json()["projects"] == []
    hk = get(site, "city", "/api/v1/fdi/board?country=HK").json()
    assert [p["id"] for p in hk["projects"]] == ["WZ-2025-004", "WZ-2025-009"]
    materials = get(site, "city", "/api/v1/fdi/board?industry=new_materials&org_unit=330800").json()
    assert [p["id"] for p in materials["projects"]] == ["WZ-2025-002", "WZ-2025-008"]
    for query in ("country=XX", "industry=房地产", "org_unit=999999"):
        assert get(site, "city", f"/api/v1/fdi/board?{query}").status_code == 422
    late = {p["id"]: p for p in board["projects"]}["WZ-2025-003"]
    planned = (date.today() - timedelta(days=60)).isoformat()
    assert late["overdue"][0] == {"stage": "registered", "name_zh": "注册", "planned_date": planned,
                                  "days_overdue": 60, "level": "red"}
    past = get(site, "city", f"/api/v1/fdi/board?as_of={date.today() - timedelta(days=59)}").json()
    assert {p["id"]: p for p in past["projects"]}["WZ-2025-003"]["overdue"][0]["days_overdue"] == 1


def test_pages_show_the_board_the_project_and_the_investors_in_chinese(site):
    assert upload(site, "city", site["sample"]).status_code == 200
    board = get(site, "city", "/fdi")
    assert board.status_code == 200
    for words in ("外资项目全流程跟踪", "落地率", "到资率", "逾期环节", "洽谈中（未签约）", "达产",
                  "overdue-red", "overdue-yellow", "智能装备制造项目", "《绍兴市商务发展“十四五”规划》"):
        assert words in board.text
    # 招商地图: 龙游县 (a red overdue project) at its place on the schematic, the zone in a free cell.
    tiles = re.findall(r'<div class="county" style="grid-row: (\d); grid-column: (\d); background: ([^"]+)"><b>([^<]+)</b>',
                       board.text)
    by_name = {name: (row, col, colour) for row, col, colour, name in tiles}
    assert by_name["龙游县"] == ("1", "3", "#b42318") and by_name["江山市"] == ("3", "2", "#2e7d32")
    assert by_name["柯城区"][2] == "#b88a00" and by_name["智造新城"][:2] == ("1", "2")
    filtered = get(site, "city", "/fdi?org_unit=330825&country=&industry=")
    assert "智能装备制造项目" in filtered.text and "精密电子元器件生产基地" not in filtered.text
    project = get(site, "city", "/fdi/WZ-2025-003")
    assert project.status_code == 200
    for words in ("汉江装备株式会社", "韩国", "3,000 万美元", "注册", "逾期 60 天", "龙游县商务局", "第 1 版"):
        assert words in project.text
    investors = get(site, "city", "/fdi/investors?country=HK")
    assert "香江生物医药有限公司" in investors.text and "东瀛精密电子株式会社" not in investors.text
    assert get(site, "kecheng", "/fdi/WZ-2025-003").status_code == 404
    for page in (board, project, investors):
        text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", page.text, flags=re.S)
        text = re.sub(r"\S*\.(xlsx|csv)\b", " ", text)  # the uploaded file's name is the user's
        # Only the projects' own numbers (WZ-…, upper-case codes the bureau gave them) and the
        # account's name in the header may be Latin.
        assert [w for w in LATIN_WORD.findall(text) if not w.isupper() and w not in ACCOUNTS] == []


def test_the_menu_offers_the_board_to_those_who_view_projects(site):
    assert "/fdi" in get(site, "boss", "/").text
    assert 'href="/fdi"' not in get(site, "officer", "/").text
    assert get(site, "officer", "/fdi").status_code == 403


def signed_in(site, username: str) -> TestClient:
    client = TestClient(site["client"].app)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "login_token": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_the_board_page_imports_a_file_or_reports_every_problem(site):
    city = signed_in(site, "city")
    board = city.get("/fdi")
    assert "导入外资项目" in board.text and board.text.count("上传并导入") == 1
    assert "<title>外资项目全流程跟踪 · 商务大脑</title>" in board.text
    template = city.get("/fdi/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    token = csrf_of(board.text)
    sample = site["sample"]
    done = city.post("/fdi/import", data={"csrf": token}, files={"file": (sample.name, sample.read_bytes())})
    assert done.status_code == 200
    assert "已导入：外资项目.xlsx" in done.text and "新增 9 个" in done.text and "新发出 5 条" in done.text
    assert "智能装备制造项目" in done.text  # the board below shows the stored pipeline
    bad = site["tmp"] / "坏文件.csv"
    bad.write_text("项目编号,项目名称\nWZ-1,测试\n", encoding="utf-8")
    refused = city.post("/fdi/import", data={"csrf": token}, files={"file": (bad.name, bad.read_bytes())})
    assert refused.status_code == 422 and "文件被整体退回，未导入任何数据：坏文件.csv" in refused.text
    assert "缺少列：所在地区" in refused.text and len(list_fdi_imports(site["engine"])) == 1
    assert uploads_kept(site) == []
    # Without the session's token nothing is read.
    forged = city.post("/fdi/import", data={"csrf": "x"}, files={"file": (sample.name, sample.read_bytes())})
    assert forged.status_code == 403 and len(list_fdi_imports(site["engine"])) == 1
    # A county's file with another county's project is refused whole; a leader may not import.
    county = signed_in(site, "kecheng")
    outside = county.post("/fdi/import", data={"csrf": csrf_of(county.get("/fdi").text)},
                          files={"file": (sample.name, sample.read_bytes())})
    assert outside.status_code == 422 and "管辖范围以外的项目" in outside.text
    boss = signed_in(site, "boss")
    assert "上传并导入" not in boss.get("/fdi").text
    assert boss.post("/fdi/import", data={"csrf": csrf_of(boss.get("/fdi").text)},
                     files={"file": (sample.name, sample.read_bytes())}).status_code == 403
    assert boss.get("/fdi/template.xlsx").status_code == 403
    assert len(list_fdi_imports(site["engine"])) == 1
