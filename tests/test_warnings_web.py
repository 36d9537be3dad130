"""预警处置 on the web, on SQLite and PostgreSQL: the list and the page in Chinese, a warning
walked from raised to closed through the forms and through the API, the file's download, the
CSRF rule, the upload limit of an action, and the leader's cockpit tile."""

import re
from datetime import date, timedelta

import polars as pl
import pytest
from fastapi.testclient import TestClient
from test_pages_chinese import PASSWORD, latin_words, signed_in

from commerce_brain import followup as fu
from commerce_brain.access import Scope
from commerce_brain.catalog import load_catalog
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user, issue_token
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

USERS = {"qujiang": ("project_unit", {"responsible_unit": "衢江区政府"}), "city": ("city_analyst", {}),
         "boss": ("leader", {}), "officer": ("policy_officer", {}),
         "jiangshan": ("county_analyst", {"org_unit": "330881"})}
PDF = ("协调会纪要.pdf", b"%PDF-1.4\n% minutes of the meeting\n")
# Latin a person may read here: the user's name, the raiser's (an engine run), file-type codes.
TYPED = {"qujiang", "projects", "run", "PDF", "MB"}


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    users = {name: create_user(engine, username=name, password=PASSWORD, role=role, display_name=name,
                               catalog=catalog, **scope) for name, (role, scope) in USERS.items()}
    rows = pl.DataFrame({
        "source": ["projects", "projects"], "detector": ["schedule_behind", "not_started"],
        "subject_kind": ["project", "project"], "subject_id": ["zl13-05", "zl13-08"],
        "subject_name": ["衢江区总部经济圈", "江山市城北科创基地"], "org_unit": ["330803", "330881"],
        "responsible_unit": ["衢江区政府", "江山市政府"], "level": ["red", "yellow"],
        "reason": ["年度计划投资完成 41%，时间进度 83%，落后 42 个百分点", "计划 2022 年开工，仍未开工"],
        "period": ["2023-10", "2023-10"],
        # 衢江区's is past its due date, 江山市's is not.
        "due_date": [date.today() - timedelta(days=1), date.today() + timedelta(days=10)]})
    fu.raise_warnings(engine, rows, actor="projects-run")
    ids = dict(fu.list_warnings(engine, Scope()).select("subject_id", "id").iter_rows())
    app = create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path))
    tokens = {name: {"Authorization": f"Bearer {issue_token(engine, u.id, 'test')}"} for name, u in users.items()}
    yield {"app": app, "engine": engine, "own": ids["zl13-05"], "other": ids["zl13-08"], "tokens": tokens}
    engine.dispose()


def csrf_of(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def test_the_unit_sees_its_own_warnings_in_chinese_with_the_overdue_one_marked(site):
    unit = signed_in(site["app"], "qujiang")
    page = unit.get("/warnings")
    assert page.status_code == 200
    assert "衢江区总部经济圈" in page.text and "江山市城北科创基地" not in page.text
    assert "已逾期" in page.text and 'class="overdue"' in page.text and "红灯" in page.text
    assert "落后序时进度" in page.text and "schedule_behind" not in page.text
    assert latin_words(page.text, TYPED) == []
    assert '<a href="/warnings">预警处置</a>' in page.text  # in the menu
    detail = unit.get(f"/warnings/{site['own']}")
    assert detail.status_code == 200 and latin_words(detail.text, TYPED) == []
    assert 'href="/projects/zl13-05"' in detail.text and "签收" in detail.text and "升级督办" not in detail.text
    assert unit.get(f"/warnings/{site['other']}").status_code == 404
    # The analyst of 江山市 sees 江山市's only, with the supervisor's forms and not the unit's.
    county = signed_in(site["app"], "jiangshan")
    listed = county.get("/warnings").text
    assert "江山市城北科创基地" in listed and "衢江区总部经济圈" not in listed and "已逾期" not in listed
    other = county.get(f"/warnings/{site['other']}").text
    assert "升级督办" in other and "办结" in other and 'action="/warnings/%d/acknowledge"' % site["other"] not in other


def test_filters_narrow_the_list_and_bad_values_filter_nothing(site):
    city = signed_in(site["app"], "city")
    assert "江山市城北科创基地" not in city.get("/warnings?level=red").text
    assert "衢江区总部经济圈" not in city.get("/warnings?org_unit=330881").text
    assert "衢江区总部经济圈" not in city.get("/warnings?owner=江山市政府").text
    loose = city.get("/warnings?level=purple&state=x&org_unit=999999&period=2023-13&source=zzz")
    assert loose.status_code == 200 and "衢江区总部经济圈" in loose.text and "江山市城北科创基地" in loose.text


def test_a_warning_walks_through_the_forms(site):
    own = site["own"]
    unit = signed_in(site["app"], "qujiang")
    csrf = csrf_of(unit, f"/warnings/{own}")
    assert unit.post(f"/warnings/{own}/acknowledge", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    again = unit.post(f"/warnings/{own}/acknowledge", data={"csrf": csrf})
    assert again.status_code == 409 and "不能签收" in again.text
    empty = unit.post(f"/warnings/{own}/action", data={"csrf": csrf, "note": " "})
    assert empty.status_code == 400 and "请填写采取措施说明" in empty.text
    done = unit.post(f"/warnings/{own}/action", data={"csrf": csrf, "note": "召开专题协调会"},
                     files={"file": (PDF[0], PDF[1], "application/pdf")}, follow_redirects=False)
    assert done.status_code == 303
    stale = unit.post(f"/warnings/{own}/close", data={"csrf": "stale", "note": "x"})
    assert stale.status_code == 403 and "表单已失效" in stale.text
    refused = unit.post(f"/warnings/{own}/close", data={"csrf": csrf, "note": "自己办结"})
    assert refused.status_code == 403 and "项目责任单位不能督办预警" in refused.text
    city = signed_in(site["app"], "city")
    closed = city.post(f"/warnings/{own}/close", data={"csrf": csrf_of(city, f"/warnings/{own}"), "note": ""},
                       follow_redirects=False)
    assert closed.status_code == 303
    page = unit.get(f"/warnings/{own}").text
    history = page[page.index('id="history"'):]
    for step in ("发出预警", "签收", "采取措施", "办结", "召开专题协调会", PDF[0], "待签收 → 已签收", "已采取措施 → 已办结"):
        assert step in history
    link = re.search(rf'href="(/warnings/{own}/files/\d+)"', page).group(1)
    download = unit.get(link)
    assert download.content == PDF[1]
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert signed_in(site["app"], "jiangshan").get(link).status_code == 404


def test_a_warning_walks_through_the_api(site):
    own, tokens = site["own"], site["tokens"]
    client = TestClient(site["app"])
    base = f"/api/v1/warnings/{own}"
    listed = client.get("/api/v1/warnings", headers=tokens["qujiang"]).json()
    assert [(w["id"], w["level_zh"], w["state_zh"], w["overdue"]) for w in listed] == [(own, "红灯", "待签收", True)]
    assert client.post(f"{base}/acknowledge", headers=tokens["qujiang"]).json()["state"] == "acknowledged"
    assert client.post(f"{base}/acknowledge", headers=tokens["qujiang"]).status_code == 409
    assert client.post(f"{base}/action", headers=tokens["qujiang"], data={"note": ""}).status_code == 400
    acted = client.post(f"{base}/action", headers=tokens["qujiang"], data={"note": "已约谈施工单位"},
                        files={"file": PDF})
    assert acted.status_code == 200 and acted.json()["state_zh"] == "已采取措施"
    assert client.post(f"{base}/escalate", headers=tokens["boss"], json={"note": "领导"}).status_code == 403
    assert client.post(f"{base}/close", headers=tokens["jiangshan"], json={}).status_code == 404
    assert client.post(f"{base}/close", headers=tokens["city"], json={}).json()["state"] == "closed"
    detail = client.get(base, headers=tokens["boss"]).json()
    assert [(h["action"], h["action_zh"]) for h in detail["history"]] == [
        ("raise", "发出预警"), ("acknowledge", "签收"), ("action", "采取措施"), ("close", "办结")]
    assert detail["history"][2]["filename"] == PDF[0] and len(detail["history"][2]["sha256"]) == 64
    assert "content" not in detail["history"][2]
    assert client.get(base, headers=tokens["officer"]).status_code == 403  # no business with projects


def test_a_session_write_to_the_api_needs_the_csrf_header(site):
    unit = signed_in(site["app"], "qujiang")
    base = f"/api/v1/warnings/{site['own']}/acknowledge"
    assert unit.post(base).status_code == 403
    assert unit.post(base, headers={"X-CSRF-Token": csrf_of(unit, "/warnings")}).status_code == 200


def test_an_action_file_over_10_mb_is_refused_and_a_huge_body_stopped_at_the_edge(site):
    unit = signed_in(site["app"], "qujiang")
    own = site["own"]
    csrf = csrf_of(unit, f"/warnings/{own}")
    big = unit.post(f"/warnings/{own}/action", data={"csrf": csrf, "note": "大文件"},
                    files={"file": ("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "application/pdf")})
    assert big.status_code == 400 and "超过 10 MB" in big.text
    huge = unit.post(f"/warnings/{own}/action", data={"csrf": csrf, "note": "超大"},
                     files={"file": ("huge.pdf", b"0" * (12 * 1024 * 1024), "application/pdf")})
    assert huge.status_code == 413
    assert fu.warning_history(site["engine"], fu.get_warning(site["engine"], own, scope=Scope()))[1:] == []


def test_the_leader_sees_the_counts_on_the_cockpit(site):
    page = signed_in(site["app"], "boss").get("/").text
    tile = page[page.index('id="warning-tile"'):]
    tile = tile[:tile.index("</section>")]
    assert "预警处置" in tile and "待签收" in tile and "逾期未办结" in tile
    assert re.search(r'<span class="n">2</span><span>待签收</span>', tile)
    assert re.search(r'<span class="n">1</span><span>逾期未办结</span>', tile)
    assert 'id="warning-tile"' not in signed_in(site["app"], "officer").get("/").text


def _section(page: str, marker: str) -> str:
    part = page[page.index(marker):]
    return part[:part.index("</section>")]


def test_the_centre_counts_by_engine_and_groups_by_owner_and_level(site):
    city = signed_in(site["app"], "city")
    page = city.get("/warnings").text
    engines = _section(page, 'id="warning-sources"')
    # Every engine the platform knows, the warnings it raised still to answer.
    for source, label in fu.SOURCE_ZH.items():
        n = 2 if source == "projects" else 0
        assert f'href="/warnings?source={source}"><span class="n">{n}</span><span>{label}（未办结）' in engines
    owners = _section(page, 'id="warnings-by-owner"')
    rows = re.findall(r"<tr>(.*?)</tr>", owners, re.S)
    cells = [found for r in rows if (found := re.findall(r"<td>(.*?)</td>", r, re.S))]
    assert [re.sub(r"<[^>]+>", "", c[0]) for c in cells] == ["衢江区政府", "江山市政府"]  # most red first
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells[0][1:]] == ["1", "0", "1", "0", "1"]
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells[1][1:]] == ["0", "1", "0", "0", "1"]
    link = re.search(r'href="(/warnings\?owner=[^"&]+&amp;level=red)"', owners).group(1).replace("&amp;", "&")
    red = city.get(link).text
    assert "衢江区总部经济圈" in red and "江山市城北科创基地" not in red
    assert latin_words(page, TYPED | {"city"}) == []
    # A filter narrows the groups too; an engine with nothing shows no owner table.
    assert "江山市政府" not in _section(city.get("/warnings?level=red").text, 'id="warnings-by-owner"')
    assert 'id="warnings-by-owner"' not in city.get("/warnings?source=fdi").text
    # The unit sees its own row only.
    unit = signed_in(site["app"], "qujiang").get("/warnings").text
    assert "江山市政府" not in unit and "衢江区政府" in _section(unit, 'id="warnings-by-owner"')


def test_the_cockpit_counts_open_warnings_by_engine(site):
    page = signed_in(site["app"], "boss").get("/").text
    engines = _section(page, 'id="warning-tile"')
    engines = engines[engines.index('id="warning-sources"'):]
    assert re.search(r'href="/warnings\?source=projects"><span class="n">2</span><span>项目推进</span>', engines)
    assert re.search(r'href="/warnings\?source=fdi"><span class="n">0</span><span>外资项目全流程跟踪</span>', engines)
    fu.close(site["engine"], site["other"], user=_city_user(site), scope=Scope(), note="已开工")
    again = signed_in(site["app"], "boss").get("/").text
    assert re.search(r'href="/warnings\?source=projects"><span class="n">1</span>', again)  # closed: no longer open


def _city_user(site):
    from commerce_brain.store.accounts import get_user

    return get_user(site["engine"], "city")
