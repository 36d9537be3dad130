"""Enterprise data into the store (`policy import`, the 企业数据导入 page): all or nothing,
revisions kept with the import they came from, audited, and the batch on the newest version.
On real files and real databases (SQLite and PostgreSQL)."""

import hashlib
import json
import re
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sample_files import enterprise_workbook as workbook
from typer.testing import CliRunner

from commerce_brain.access import Scope
from commerce_brain.cli import app
from commerce_brain.settings import Settings
from commerce_brain import fulfilment as f
from commerce_brain.store.accounts import create_user
from commerce_brain.store.audit import events, verify
from commerce_brain.store.enterprise_imports import (
    enterprise_history,
    enterprise_imports,
    list_enterprise_imports,
    registered_enterprise,
)
from commerce_brain.fulfilment.data import load_policy_data, stored_inputs
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

runner = CliRunner()
# The template's two example enterprises: A (柯城区) with a patent event, B (市本级) with a green loan.
A, B = "91330802MA2G000117", "91330800MA2G00022E"
PASSWORD = "Qz-政策办-7f3K9x2M"


def run(*args: str, code: int = 0):
    result = runner.invoke(app, ["policy", "import", *args])
    assert result.exit_code == code, result.output
    return result


def imported(path: Path, database_url: str, *more: str) -> dict:
    return json.loads(run(str(path), "--db", database_url, "--format", "json", *more).stdout)


def stored_count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def test_a_first_import_is_all_new_and_logged_with_its_file(engine, database_url, tmp_path):
    path = workbook(tmp_path, "企业数据.xlsx")
    result = imported(path, database_url, "--user", "政策办张三")
    assert result["counts"] == {"enterprises": {"new": 2, "changed": 0, "unchanged": 0},
                                "facts": {"new": 2, "changed": 0, "unchanged": 0},
                                "events": {"new": 2, "changed": 0, "unchanged": 0},
                                # A's 13 long facts of the registry (B leaves them empty: nothing stored)
                                "fact_values": {"new": 13, "changed": 0, "unchanged": 0}}
    data = load_policy_data(engine)
    assert set(data.enterprises["uscc"]) == {A, B}
    assert data.facts.filter(pl.col("uscc") == A).select("land_area_mu", "mu_class", "is_above_scale").row(0) == (
        4550, "A", True)
    assert data.facts.filter(pl.col("uscc") == A)["main_revenue"].to_list() == [15_234_567_890]
    [log] = list_enterprise_imports(engine)
    assert (log["id"], log["file_name"], log["imported_by"]) == (result["import_id"], "企业数据.xlsx", "政策办张三")
    assert log["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (log["enterprises_new"], log["facts_new"], log["events_new"], log["fact_values_new"]) == (2, 2, 2, 13)


def test_a_later_import_of_the_same_rows_is_a_revision_and_keeps_the_earlier_version(engine, database_url, tmp_path):
    first = imported(workbook(tmp_path, "一月.xlsx"), database_url)
    # A's 2023 revenue corrected, B renamed and moved to 柯城区, A's patent count corrected.
    later = workbook(tmp_path, "三月.xlsx", facts_C2="160000000", enterprises_B3="衢州示例商贸（更名）有限公司",
                     enterprises_C3="330802", events_F2=5)
    second = imported(later, database_url, "--user", "李四")
    assert second["counts"] == {"enterprises": {"new": 0, "changed": 1, "unchanged": 1},
                                "facts": {"new": 0, "changed": 1, "unchanged": 1},
                                "events": {"new": 0, "changed": 1, "unchanged": 1},
                                "fact_values": {"new": 0, "changed": 0, "unchanged": 13}}
    history = enterprise_history(engine, A)
    facts = history["facts"].sort("version")
    assert facts.select("year", "version", "main_revenue", "import_id", "file_name").rows() == [
        (2023, 1, 15_234_567_890, first["import_id"], "一月.xlsx"),
        (2023, 2, 16_000_000_000, second["import_id"], "三月.xlsx")]
    assert history["events"].filter(pl.col("kind") == "invention_patent_granted")["count"].to_list() == [3, 5]
    # The revised event keeps its id: the engine and the stored awards name it the same.
    assert history["events"]["event_id"].n_unique() == 1
    # The registry's newest record is where name and region come from.
    registered = registered_enterprise(engine, B)
    assert (registered["name"], registered["org_unit"]) == ("衢州示例商贸（更名）有限公司", "330802")
    assert registered_enterprise(engine, "91330802MA2G00033X") is None
    assert [v["name"] for v in enterprise_history(engine, B)["enterprises"].sort("version").to_dicts()] == [
        "衢州示例商贸有限公司", "衢州示例商贸（更名）有限公司"]


def test_identical_rows_count_as_unchanged_and_write_no_version(engine, database_url, tmp_path):
    path = workbook(tmp_path, "same.xlsx")
    imported(path, database_url)
    again = imported(path, database_url)
    assert again["counts"] == {**{t: {"new": 0, "changed": 0, "unchanged": 2} for t in ("enterprises", "facts", "events")},
                               "fact_values": {"new": 0, "changed": 0, "unchanged": 13}}
    assert enterprise_history(engine, A)["facts"].height == 1  # one version, not two
    assert len(list_enterprise_imports(engine)) == 2  # the second import is logged all the same


def test_rows_the_file_leaves_out_stay_and_new_rows_are_added(engine, database_url, tmp_path):
    imported(workbook(tmp_path, "a.xlsx"), database_url)
    # A file with only enterprise B (and no facts or events of A): A's data stays; B gains a year.
    book_path = workbook(tmp_path, "b.xlsx", facts_A2=B, facts_B2=2022, facts_C2="70000000", facts_D2=None)
    book = load_workbook(book_path)
    book["enterprises"].delete_rows(2)
    book["events"].delete_rows(2)
    book.save(book_path)
    result = imported(book_path, database_url)
    assert result["counts"]["facts"] == {"new": 1, "changed": 0, "unchanged": 1}
    data = load_policy_data(engine)
    assert data.enterprises.height == 2 and data.facts.height == 3 and data.events.height == 2


def test_a_dry_run_reports_and_stores_nothing(engine, database_url, tmp_path):
    result = imported(workbook(tmp_path, "试运行.xlsx"), database_url, "--dry-run")
    assert result["dry_run"] is True and result["import_id"] is None
    assert result["counts"]["enterprises"]["new"] == 2
    assert stored_count(engine, f.enterprises) == 0 and stored_count(engine, enterprise_imports) == 0
    assert events(engine, action="enterprise_data.save") == []
    table = run(str(workbook(tmp_path, "表.xlsx")), "--db", database_url, "--dry-run").stdout
    assert "试运行，未写入" in table and "将新增" in table


def test_a_bad_file_is_refused_whole_with_sheet_row_column_and_reason(engine, database_url, tmp_path):
    imported(workbook(tmp_path, "good.xlsx"), database_url)
    # One good revision and one bad cell: nothing of the file may be stored.
    bad = workbook(tmp_path, "bad.xlsx", facts_C2="160000000", facts_C3="一千万")
    result = run(str(bad), "--db", database_url, code=1)
    assert "facts 第3行" in result.output and "main_revenue (C)" in result.output and "一千万" in result.output
    assert load_policy_data(engine).facts.filter(pl.col("uscc") == A)["main_revenue"].to_list() == [15_234_567_890]
    assert len(list_enterprise_imports(engine)) == 1
    assert len(events(engine, action="enterprise_data.save")) == 1


def test_each_import_writes_its_audit_event(engine, database_url, tmp_path):
    first = imported(workbook(tmp_path, "a.xlsx"), database_url, "--user", "王五")
    imported(workbook(tmp_path, "b.xlsx", facts_D2="7000000"), database_url, "--user", "王五")
    audited = events(engine, action="enterprise_data.save")
    assert [e["actor"] for e in audited] == ["王五", "王五"]
    assert audited[-1]["object"] == f"enterprise_import:{first['import_id']}"
    assert audited[0]["detail"]["facts"] == {"new": 0, "changed": 1, "unchanged": 1}
    assert audited[0]["detail"]["file"] == "b.xlsx" and len(audited[0]["detail"]["sha256"]) == 64
    assert verify(engine).ok


def test_the_batch_and_the_calculator_use_the_newest_version(engine, database_url, tmp_path):
    imported(workbook(tmp_path, "three.xlsx"), database_url)  # A: 3 invention patents in 2024
    imported(workbook(tmp_path, "five.xlsx", events_F2=5), database_url)  # revised: 5
    assert [e["count"] for e in stored_inputs(engine, A).events if e["kind"] == "invention_patent_granted"] == [5]
    f.run_batch(engine, 2024, actor="政策办")
    award = f.list_awards(engine, scope=Scope()).filter((pl.col("uscc") == A) & (pl.col("rule") == "invention_patent"))
    assert award["amount_fen"].to_list() == [4_000_000]  # 5 patents, not 3 (2,400,000)


def test_a_folder_of_csv_files_imports_too(engine, database_url, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(
        "统一社会信用代码,企业名称,地区,是否制造业,是否工业,是否上市,是否省部属\n"
        f"{A},衢州示例智能装备有限公司,柯城区,是,是,否,否\n", encoding="utf-8")
    (folder / "facts.csv").write_text(f"uscc,year,main_revenue\n{A},2023,100000000\n", encoding="utf-8")
    result = imported(folder, database_url)
    assert result["counts"]["enterprises"]["new"] == 1 and result["counts"]["facts"]["new"] == 1
    assert len(list_enterprise_imports(engine)[0]["sha256"]) == 64


# ---- the 企业数据导入 page -------------------------------------------------------------------------

@pytest.fixture
def site(engine, database_url, tmp_path, catalog):
    create_user(engine, username="officer", password=PASSWORD, role="policy_officer", display_name="资管办",
                catalog=catalog)
    create_user(engine, username="analyst", password=PASSWORD, role="city_analyst", display_name="分析员",
                catalog=catalog)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    return create_app(settings), settings


def signed_in(app, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "login_token": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def upload(client, csrf: str, path: Path):
    return client.post("/enterprise-imports/preview", data={"csrf": csrf},
                       files={"file": (path.name, path.read_bytes(), "application/octet-stream")})


def test_the_page_previews_old_to_new_then_stores_on_confirm(site, engine, tmp_path):
    app, settings = site
    client, csrf = signed_in(app, "officer")
    assert "企业数据导入" in client.get("/").text  # in the officer's menu
    first = upload(client, csrf, workbook(tmp_path, "一月.xlsx"))
    assert first.status_code == 200 and "校验通过" in first.text and "确认导入" in first.text
    assert stored_count(engine, f.enterprises) == 0  # a preview stores nothing
    sha = re.search(r'name="sha" value="([0-9a-f]{64})"', first.text).group(1)
    done = client.post("/enterprise-imports/confirm", data={"csrf": csrf, "sha": sha, "file_name": "一月.xlsx"})
    assert done.status_code == 200 and "已导入：一月.xlsx" in done.text
    assert stored_count(engine, f.enterprises) == 2
    assert [e["actor"] for e in events(engine, action="enterprise_data.save")] == ["officer"]
    assert list((settings.data_dir / "uploads").iterdir()) == []  # the data is in the store now

    revised = upload(client, csrf, workbook(tmp_path, "三月.xlsx", facts_C2="160000000", events_I3="80%"))
    page = revised.text
    assert revised.status_code == 200
    # Old → new in Chinese labels, money in 元 (not fen), rates in %.
    assert "主营业务收入：152,345,678.90 元 → 160,000,000.00 元" in page
    assert "本地投资比例：75% → 80%" in page
    assert "修订" in page and "15234567890" not in page and "750000" not in page
    history = client.get("/enterprise-imports").text
    assert "一月.xlsx" in history and "officer" in history


def test_the_page_reports_a_bad_file_and_keeps_nothing(site, engine, tmp_path):
    app, settings = site
    client, csrf = signed_in(app, "officer")
    response = upload(client, csrf, workbook(tmp_path, "坏文件.xlsx", enterprises_C2="火星", facts_B3="二〇二三"))
    assert response.status_code == 422
    assert "文件被整体退回" in response.text and "坏文件.xlsx" in response.text
    for where in ("enterprises", "facts", "org_unit (C)", "year (B)", "火星"):
        assert where in response.text
    assert stored_count(engine, f.enterprises) == 0 and list_enterprise_imports(engine) == []
    assert list((settings.data_dir / "uploads").iterdir()) == []  # the rejected file is not kept
    assert events(engine, action="enterprise_data.save") == []


def test_the_page_refuses_other_files_and_other_roles(site, engine, tmp_path):
    app, _ = site
    client, csrf = signed_in(app, "officer")
    csv = tmp_path / "facts.csv"
    csv.write_text("uscc,year\n", encoding="utf-8")
    response = upload(client, csrf, csv)
    assert response.status_code == 400 and "只接受 XLSX" in response.text
    analyst, analyst_csrf = signed_in(app, "analyst")
    assert analyst.get("/enterprise-imports").status_code == 403
    assert upload(analyst, analyst_csrf, workbook(tmp_path, "x.xlsx")).status_code == 403
    assert "企业数据导入" not in analyst.get("/").text
    assert stored_count(engine, f.enterprises) == 0


def test_the_blank_template_downloads_and_uploaded_as_it_is_stores_nothing(site, engine, tmp_path):
    app, _ = site
    client, csrf = signed_in(app, "officer")
    response = client.get("/enterprise-imports/template.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    path = tmp_path / "模板.xlsx"
    path.write_bytes(response.content)
    # Its example rows are on the 说明 sheet only: they cannot be imported as real figures.
    refused = upload(client, csrf, path)
    assert refused.status_code == 422 and "无数据行" in refused.text
    assert stored_count(engine, f.enterprises) == 0


def test_data_stored_before_the_migration_becomes_version_one(database_url):
    from sqlalchemy import insert

    from commerce_brain.store.migrate import upgrade

    engine = connect(database_url, migrate=False)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(insert(f.enterprises).values(uscc=A, name="衢州示例智能装备有限公司", org_unit="330802"))
        conn.execute(insert(f.enterprise_facts).values(uscc=A, year=2023, main_revenue=100))
    upgrade(engine)
    [log] = list_enterprise_imports(engine)
    assert (log["enterprises_new"], log["facts_new"], log["events_new"]) == (1, 1, 0)
    history = enterprise_history(engine, A)
    assert history["facts"].select("version", "main_revenue", "import_id").rows() == [(1, 100, log["id"])]
    engine.dispose()


def test_imports_at_once_take_turns_and_number_each_version_once(engine, database_url, tmp_path):
    import threading

    from commerce_brain.catalog import load_catalog
    from commerce_brain.io.enterprise_import import read_policy_data
    from commerce_brain.policy.engine import packaged
    from commerce_brain.store.enterprise_imports import import_policy_data

    imported(workbook(tmp_path, "base.xlsx"), database_url)
    policies, _ = packaged()
    data = read_policy_data(workbook(tmp_path, "rev.xlsx", facts_C2="160000000"), load_catalog(),
                            event_kinds=sorted(policies.event_kinds()))
    results, errors, start = [], [], threading.Barrier(4)

    def one(n: int) -> None:
        start.wait()
        try:
            results.append(import_policy_data(engine, data, actor=f"t{n}", file_name="rev.xlsx",
                                              sha256="-").counts()["facts"])
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # One of them revised the fact; the others, after it, found it unchanged.
    assert sorted(r["changed"] for r in results) == [0, 0, 0, 1]
    assert enterprise_history(engine, A)["facts"]["version"].to_list() == [1, 2]
    assert len(list_enterprise_imports(engine)) == 5 and verify(engine).ok


def test_the_command_lists_each_revision_old_to_new(engine, database_url, tmp_path):
    imported(workbook(tmp_path, "a.xlsx"), database_url)
    shown = run(str(workbook(tmp_path, "b.xlsx", facts_C2="160000000", enterprises_C3="柯城区")), "--db",
                database_url, "--dry-run").stdout
    assert "主营业务收入：152,345,678.90 元 → 160,000,000.00 元" in shown
    assert "地区：衢州市 → 柯城区" in shown and "2023年" in shown
    assert load_policy_data(engine).facts.filter(pl.col("uscc") == A)["main_revenue"].to_list() == [15_234_567_890]
