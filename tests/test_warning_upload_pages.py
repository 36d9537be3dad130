"""The upload forms of /market, /supply and /trade on SQLite and PostgreSQL: the template and
sample downloads, a good sample stored with its warnings raised, a bad file refused whole by
sheet, row, column and reason with nothing stored and nothing kept, a county analyst refused
another county's rows and the city-wide trade tables, and a role without the capability refused
(403 in Chinese) and shown no form."""

import re

import pytest
from test_pages_chinese import PASSWORD, latin_words, signed_in

from commerce_brain import followup as fu
from commerce_brain.access import Scope
from commerce_brain.catalog import load_catalog
from commerce_brain.io.retail_template import write_retail_template
from commerce_brain.io.supply_template import write_supply_template
from commerce_brain.io.trade_template import write_country_risk_template
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user
from commerce_brain.store.audit import events
from commerce_brain.store.market_tables import COUNTRY_RISK, SUPPLY, list_market_imports, stored
from commerce_brain.store.schema import connect
from commerce_brain.warning.market_catalog import load_market_catalog
from commerce_brain.warning.supply_catalog import load_supply_catalog
from commerce_brain.warning.trade_catalog import load_trade_catalog
from commerce_brain.web.app import create_app

USERS = {"city": ("city_analyst", {}), "yuecheng": ("county_analyst", {"org_unit": "330602"}),
         "officer": ("policy_officer", {}), "boss": ("leader", {})}
SUPPLY_HEADER = "报送日期,地区,网点,物资,库存,日均消费量,价格（元）\n"


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    for name, (role, scope) in USERS.items():
        create_user(engine, username=name, password=PASSWORD, role=role, display_name=name, catalog=catalog, **scope)
    app = create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path / "data"))
    samples = {"retail": write_retail_template(tmp_path / "零售额.xlsx", catalog, load_market_catalog(), sample=True),
               "supply": write_supply_template(tmp_path / "应急保供.xlsx", catalog, load_supply_catalog(), sample=True),
               "risk": write_country_risk_template(tmp_path / "国别风险.csv", catalog, load_trade_catalog(),
                                                   sample=True)}
    yield {"app": app, "engine": engine, "samples": samples, "tmp": tmp_path}
    engine.dispose()


def csrf_of(client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def post(client, page: str, action: str, name: str, content: bytes, **fields):
    return client.post(action, data={"csrf": csrf_of(client, page), **fields}, files={"file": (name, content)})


def kept(site) -> list:
    folder = site["tmp"] / "data" / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def test_the_analyst_uploads_the_supply_sample_and_its_warnings_are_raised(site):
    city = signed_in(site["app"], "city")
    page = city.get("/supply").text
    assert 'action="/supply/import"' in page and "下载示例文件" in page and "只校验不导入" in page
    sample = city.get("/supply/template.xlsx?sample=true")
    assert sample.status_code == 200 and sample.content[:2] == b"PK"
    assert city.get("/supply/template.xlsx").content[:2] == b"PK"
    checked = post(city, "/supply", "/supply/import", "应急保供.xlsx", sample.content, dry_run="1")
    assert checked.status_code == 200 and "校验通过，尚未导入：应急保供.xlsx" in checked.text
    assert list_market_imports(site["engine"]) == []
    done = post(city, "/supply", "/supply/import", "应急保供.xlsx", sample.content)
    assert done.status_code == 200 and "已导入应急保供物资报表：应急保供.xlsx" in done.text
    assert "新增 36 行" in done.text and "新发出 5 条" in done.text
    assert fu.list_warnings(site["engine"], Scope(), source="supply").height == 5
    assert "柯桥农贸市场" in done.text  # the sheet shows what was stored
    assert latin_words(done.text.split("<main", 1)[1], {"city", "xlsx"}) == []
    assert events(site["engine"], action="market.import")[0]["actor"] == "city"
    assert kept(site) == []


def test_the_market_sample_is_stored_with_its_warnings(site):
    city = signed_in(site["app"], "city")
    assert 'action="/market/import"' in city.get("/market").text
    assert city.get("/market/template.xlsx?sample=true").content[:2] == b"PK"
    done = post(city, "/market", "/market/import", "零售额.xlsx", site["samples"]["retail"].read_bytes())
    assert done.status_code == 200 and "已导入消费市场月度零售额" in done.text and "新发出 4 条" in done.text
    assert fu.list_warnings(site["engine"], Scope(), source="market").height == 4


def test_a_bad_file_is_refused_whole_by_sheet_row_column_and_reason(site):
    city = signed_in(site["app"], "city")
    bad = (SUPPLY_HEADER + "2024-06-30,柯桥区,城东市场,猪肉,700,100,25.5\n"
           "2024-06-30,火星,城东市场,黄金,1,1,1\n").encode()
    refused = post(city, "/supply", "/supply/import", "bad.csv", bad)
    assert refused.status_code == 422 and "文件被整体退回，未导入任何数据：bad.csv" in refused.text
    row = refused.text.replace("\n", "")
    assert "<td>bad.csv</td><td>3</td><td>地区</td><td>未知地区：“火星”" in row
    assert "<td>bad.csv</td><td>3</td><td>物资</td><td>未知物资：“黄金”" in row
    assert stored(site["engine"], SUPPLY).is_empty() and list_market_imports(site["engine"]) == []
    assert kept(site) == [] and events(site["engine"], action="import_rejected")[0]["detail"]["kind"] == "supply"
    wrong = post(city, "/supply", "/supply/import", "x.txt", b"a")
    assert wrong.status_code == 400 and "只接受 CSV 或 XLSX 文件：x.txt" in wrong.text


def test_a_county_analyst_is_refused_another_countys_rows_and_the_city_wide_tables(site):
    county = signed_in(site["app"], "yuecheng")
    refused = post(county, "/supply", "/supply/import", "应急保供.xlsx", site["samples"]["supply"].read_bytes())
    assert refused.status_code == 422 and "含本账户管辖范围以外的地区：" in refused.text and "柯桥区" in refused.text
    assert stored(site["engine"], SUPPLY).is_empty() and kept(site) == []
    own = (SUPPLY_HEADER + "2024-06-30,越城区,城南粮油储备库,猪肉,700,100,25.5\n").encode()
    done = post(county, "/supply", "/supply/import", "own.csv", own)
    assert done.status_code == 200 and "新增 1 行" in done.text
    trade = county.get("/trade").text
    assert 'action="/trade/country-risk/import"' not in trade  # city-wide: not the county's to import
    risk = post(county, "/trade", "/trade/country-risk/import", "国别风险.csv", site["samples"]["risk"].read_bytes())
    assert risk.status_code == 422 and "全市数据须由市级账户导入" in risk.text
    assert stored(site["engine"], COUNTRY_RISK).is_empty() and kept(site) == []
    city = signed_in(site["app"], "city")
    assert 'action="/trade/remedies/import"' in city.get("/trade").text
    assert city.get("/trade/remedies/template.xlsx?sample=true").content[:2] == b"PK"
    stored_risk = post(city, "/trade", "/trade/country-risk/import", "国别风险.csv",
                       site["samples"]["risk"].read_bytes())
    assert stored_risk.status_code == 200 and "新增 6 行" in stored_risk.text
    assert stored(site["engine"], COUNTRY_RISK).height == 6


def test_a_role_without_the_capability_is_refused_and_sees_no_form(site):
    boss = signed_in(site["app"], "boss")  # views early-warning data, imports nothing
    for page in ("/market", "/supply", "/trade"):
        shown = boss.get(page)
        assert shown.status_code == 200 and "上传并导入" not in shown.text and "/template.xlsx" not in shown.text
    refused = post(boss, "/supply", "/supply/import", "应急保供.xlsx", site["samples"]["supply"].read_bytes())
    assert refused.status_code == 403 and "导入预警监测数据" in refused.text
    assert latin_words(refused.text.split("<main", 1)[1], {"boss"}) == []
    assert boss.get("/market/template.xlsx").status_code == 403
    assert stored(site["engine"], SUPPLY).is_empty()
    officer = signed_in(site["app"], "officer")
    assert officer.post("/trade/remedies/import", data={"csrf": csrf_of(officer, "/")}).status_code == 403
