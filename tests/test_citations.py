"""Citations name the document (title, 文号) and its table or article, never the seed file the
figure was read from — on pages, in reports (HTML and Excel) and in the command line."""

import json
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from commerce_brain.catalog import load_catalog
from commerce_brain.catalog.citation import cite
from commerce_brain.cli import app as cli_app
from commerce_brain.demo import demo_observations
from commerce_brain.policy.catalog import load_policy_catalog
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user
from commerce_brain.store.observations import save_observations
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app

SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
RETAIL = "《衢州市商务高质量发展“十四五”规划》（衢发改发〔2021〕18号）表2 第1行"
PASSWORD = "correct-horse-42"
runner = CliRunner()


def test_a_citation_reads_title_number_and_place():
    assert cite("衢州市商务高质量发展“十四五”规划", "衢发改发〔2021〕18号", "表2") == \
        "《衢州市商务高质量发展“十四五”规划》（衢发改发〔2021〕18号）表2"
    assert cite("打造长三角西南翼经济发展新增长极", None, "第3段", "到2022年") == \
        "「到2022年」（《打造长三角西南翼经济发展新增长极》第3段）"


def test_the_catalog_cites_documents_not_seed_files():
    catalog = load_catalog()
    frame = catalog.indicators_frame()
    assert not frame.filter(frame["citation"].str.contains(SEED_FILE.pattern)).height
    assert all(c.startswith("「") and "《" in c for c in frame["citation"])
    retail = catalog.plan("qz_commerce_14th").indicator("retail_sales").citation.text()
    assert retail.endswith(f"（{RETAIL}）")
    # The 十三五 results table is printed in the 14th plan's document: that document is cited.
    thirteenth = catalog.plan("qz_commerce_13th").indicator("retail_sales").citation.place()
    assert thirteenth == "《衢州市商务高质量发展“十四五”规划》（衢发改发〔2021〕18号）表1 第1行"
    sources = catalog.reported_observations()["source"]
    assert not any(SEED_FILE.search(s) for s in sources) and all(s.startswith("《") for s in sources)


def test_a_rule_is_placed_in_its_policy():
    policies = load_policy_catalog()
    rule = policies.rules()[0]
    place = policies.place(rule)
    assert place.startswith(f"《{policies.policy(rule.policy).title}》") and place.endswith(rule.article_label)


def test_the_command_line_prints_no_seed_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMERCE_BRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COMMERCE_BRAIN_DATABASE_URL", raising=False)
    for args in (["plans", "list"], ["plans", "list", "--format", "json"], ["plans", "lint"],
                 ["plans", "lint", "--format", "json"], ["policy", "rules"]):
        result = runner.invoke(cli_app, args)
        assert result.exit_code == 0, result.output
        assert not SEED_FILE.search(result.output), args
    listed = json.loads(runner.invoke(cli_app, ["plans", "list", "--format", "json"]).output)
    assert any(RETAIL in i["citation"] for p in listed for i in p["indicators"])


def test_reports_cite_documents(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMERCE_BRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COMMERCE_BRAIN_DATABASE_URL", raising=False)
    for name in ("r.html", "r.xlsx"):
        result = runner.invoke(cli_app, ["plans", "report", "--year", "2020", "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert not SEED_FILE.search(html) and "衢发改发〔2021〕18号" in html
    cells = [str(c) for ws in load_workbook(tmp_path / "r.xlsx") for row in ws.iter_rows(values_only=True)
             for c in row if c is not None]
    assert not any(SEED_FILE.search(c) for c in cells) and any("（衢发改发〔2021〕18号）表" in c for c in cells)


def test_pages_cite_documents(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    save_observations(engine, demo_observations(catalog), file_name="demo", sha256="-", imported_by="test")
    create_user(engine, username="city", password=PASSWORD, role="city_analyst", display_name="city",
                catalog=catalog)
    client = TestClient(create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path)))
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "city", "password": PASSWORD, "login_token": token, "next": "/"})
    detail = client.get("/plans/qz_commerce_14th/retail_sales?year=2023&org_unit=330800")
    assert detail.status_code == 200 and RETAIL in detail.text and not SEED_FILE.search(detail.text)
    rule = load_policy_catalog().rules()[0]
    page = client.get(f"/rules/{rule.id}")
    assert page.status_code == 200 and "《" in page.text and not SEED_FILE.search(page.text)
    engine.dispose()
