"""订单+清单 pages on SQLite and PostgreSQL: the roll-up, an enterprise's months with its
seasonal band, the enterprise's own report typed on its page, and the bureau's upload — each in
Chinese and within the viewer's scope (a warning point sees its sample, an enterprise its own)."""

import json
import re
from datetime import date

import pytest
from test_pages_chinese import PASSWORD, latin_words, signed_in

from commerce_brain import followup as fu
from commerce_brain.access import Scope
from commerce_brain.catalog import load_catalog
from commerce_brain.io.orders_import import read_orders
from commerce_brain.io.orders_template import write_orders_template
from commerce_brain.orders_board import import_orders
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user
from commerce_brain.store.order_tables import list_order_imports, stored_orders
from commerce_brain.store.schema import connect
from commerce_brain.uscc import make_uscc
from commerce_brain.warning.catalog import load_orders_catalog
from commerce_brain.web.app import create_app

DEEP_FALL = make_uscc("91330600MA2BX1002")  # 柯桥锦绣印染 (柯桥区纺织品外贸预警点): red in 2025-02
BELOW_BAND = make_uscc("91330600MA2BX1003")  # 上虞天成化工 (上虞区化工外贸预警点)
SEASONAL = make_uscc("91330600MA2BX1001")  # 绍兴华纺织造: a normal Spring Festival dip, no warning
USERS = {"city": ("city_analyst", {}), "keqiao": ("warning_point", {"responsible_unit": "柯桥区纺织品外贸预警点"}),
         "shangyu": ("warning_point", {"responsible_unit": "上虞区化工外贸预警点"}),
         "firm": ("enterprise", {"uscc": DEEP_FALL}), "officer": ("policy_officer", {}),
         "qujiang": ("project_unit", {"responsible_unit": "衢江区政府"})}
# Latin a person may read here: the users' names, file types, and the letters of a credit code.
TYPED = {"city", "keqiao", "shangyu", "firm", "PDF", "XLSX", "CSV", "MA", "BX"}


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    for name, (role, scope) in USERS.items():
        create_user(engine, username=name, password=PASSWORD, role=role, display_name=name, catalog=catalog, **scope)
    sample = write_orders_template(tmp_path / "sample.xlsx", catalog, load_orders_catalog(), sample=True)
    import_orders(engine, read_orders(sample, catalog, load_orders_catalog()), load_orders_catalog(), actor="setup",
                  file_name="sample.xlsx", sha256="-", today=date.today())
    app = create_app(Settings.from_env(database_url=database_url, data_dir=tmp_path / "data"))
    yield {"app": app, "engine": engine, "sample": sample, "tmp": tmp_path}
    engine.dispose()


def csrf_of(client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def chart_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S).group(1))


def test_the_rollup_by_warning_point_and_by_industry(site):
    city = signed_in(site["app"], "city")
    page = city.get("/orders")
    assert page.status_code == 200
    assert "2025年2月" in page.text and "柯桥区纺织品外贸预警点" in page.text and "上虞区化工外贸预警点" in page.text
    assert "风险订单占比" in page.text and "关税上调" in page.text  # the 清单 by name, never its code
    assert "tariff" not in page.text and latin_words(page.text, TYPED) == []
    chart = chart_data(page.text)["trends"][0]
    assert chart["years"][-1] == "2025-02" and {s["name"] for s in chart["series"]} >= {"柯桥区纺织品外贸预警点"}
    by_industry = city.get("/orders?by=industry&month=2025-02").text
    assert "纺织服装" in by_industry and "textiles" not in by_industry
    # An unknown grouping or month shows the warning points' newest month.
    assert "柯桥区纺织品外贸预警点" in city.get("/orders?by=__class__&month=2099-01").text
    assert 'action="/orders/import"' in page.text  # the analyst imports


def test_a_warning_point_sees_its_own_sample_only(site):
    point = signed_in(site["app"], "keqiao")
    page = point.get("/orders").text
    assert "柯桥区纺织品外贸预警点" in page and "上虞区化工外贸预警点" not in page
    assert 'action="/orders/import"' not in page
    assert point.get(f"/orders/{DEEP_FALL}").status_code == 200
    # Another point's enterprise answers exactly as a missing one.
    other, missing = point.get(f"/orders/{BELOW_BAND}"), point.get(f"/orders/{make_uscc('91330600MA2BX9999')}")
    assert other.status_code == missing.status_code == 404 and other.text == missing.text
    assert point.post("/orders/import", data={"csrf": csrf_of(point, "/orders")},
                      files={"file": ("x.csv", b"uscc\n", "text/csv")}).status_code == 403


def test_an_enterprise_history_draws_its_band_and_says_why(site):
    city = signed_in(site["app"], "city")
    page = city.get(f"/orders/{DEEP_FALL}")
    assert page.status_code == 200 and "柯桥锦绣印染有限公司" in page.text
    assert "新增订单同比下降" in page.text and "红灯" in page.text and latin_words(page.text, TYPED) == []
    band = chart_data(page.text)["band"]
    assert band["months"][-1] == "2025-02" and band["flagged"][-1] is not None
    assert band["low"][-1] is not None and band["actual"][-1] < band["low"][-1]  # below its band
    # A normal Spring Festival dip: inside its band, no warning that month.
    calm = chart_data(city.get(f"/orders/{SEASONAL}").text)["band"]
    assert calm["flagged"][-1] is None and calm["actual"][-1] >= calm["low"][-1]
    assert city.get("/orders/not-a-code").status_code == 404
    # The warning's subject links to this page.
    warning = fu.list_warnings(site["engine"], Scope(), source="orders", subject_id=DEEP_FALL).row(0, named=True)
    assert f'href="/orders/{DEEP_FALL}"' in city.get(f"/warnings/{warning['id']}").text


def test_who_may_read_the_orders(site):
    assert signed_in(site["app"], "officer").get("/orders").status_code == 403
    assert signed_in(site["app"], "officer").get(f"/orders/{DEEP_FALL}").status_code == 403
    firm = signed_in(site["app"], "firm")
    mine = firm.get("/orders")  # its menu's 外贸订单: its own months, not the roll-up
    assert mine.status_code == 200 and "填报本企业月度订单" in mine.text and "按预警点汇总" not in mine.text
    own = firm.get(f"/orders/{DEEP_FALL}")
    assert own.status_code == 200 and "填报本企业月度订单" in own.text
    assert firm.get(f"/orders/{BELOW_BAND}").status_code == 404
    assert "上虞" not in firm.get(f"/orders/{DEEP_FALL}").text


def test_the_enterprise_reports_its_month_through_the_files_checks(site):
    firm = signed_in(site["app"], "firm")
    csrf = csrf_of(firm, f"/orders/{DEEP_FALL}")
    month = {"csrf": csrf, "month": "2025-03", "new_orders_usd": "610000", "orders_in_hand_usd": "1800000",
             "expected_exports_usd": "1200000", "market": "US", "product_hs": "60", "problems": ["tariff", "labour"]}
    done = firm.post(f"/orders/{DEEP_FALL}/reports", data=month, follow_redirects=False)
    assert done.status_code == 303
    orders, _ = stored_orders(site["engine"], uscc=DEEP_FALL)
    march = orders.filter(orders["month"] == "2025-03").row(0, named=True)
    assert (march["new_orders_usd"], march["problems"]) == (610_000, "tariff;labour")
    assert list_order_imports(site["engine"])[0]["imported_by"] == "firm"
    # Its month's warnings are raised on the stored figures (by the platform, not by the
    # enterprise): 610,000 after ~900,000 a year before is a fall its warning point must answer.
    raised = fu.list_warnings(site["engine"], Scope(), source="orders", period="2025-03", subject_id=DEEP_FALL)
    assert raised.height == 1 and raised["raised_by"][0] == "订单+清单企业填报"
    assert raised["responsible_unit"][0] == "柯桥区纺织品外贸预警点" and "同比下降" in raised["reason"][0]
    # Bad figures: refused with the field's reason, nothing stored.
    before = stored_orders(site["engine"])[0].height
    bad = firm.post(f"/orders/{DEEP_FALL}/reports", data={**month, "month": "2025-13", "new_orders_usd": "-5",
                                                          "market": "火星"})
    assert bad.status_code == 422
    assert "报表未提交" in bad.text and "月份格式错误" in bad.text and "未知市场：“火星”" in bad.text
    assert "新增出口订单（美元）应为不小于 0 的整数美元" in bad.text
    # The checks' own words (YYYY-MM, A1's) are the only Latin: the fields are named in Chinese.
    assert latin_words(bad.text, TYPED | {"YYYY", "MM"}) == []
    assert stored_orders(site["engine"])[0].height == before
    # Not its own enterprise: as if it did not exist.
    other = firm.post(f"/orders/{BELOW_BAND}/reports", data=month)
    assert other.status_code == 404 and stored_orders(site["engine"])[0].height == before
    # A warning point answers warnings; it does not report orders.
    point = signed_in(site["app"], "keqiao")
    assert point.post(f"/orders/{DEEP_FALL}/reports", data={**month, "csrf": csrf_of(point, "/orders")}).status_code == 403


def test_the_bureau_uploads_the_orders_file(site):
    city = signed_in(site["app"], "city")
    csrf = csrf_of(city, "/orders")
    template = city.get("/orders/template.xlsx?sample=true")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    # 只校验不导入: counted, nothing stored (a month not yet stored would be new).
    march = ("uscc,month,new_orders_usd,orders_in_hand_usd,expected_exports_usd,market,product_hs,problems\n"
             f"{DEEP_FALL},2025-03,500000,1500000,1000000,US,60,tariff\n").encode()
    imports_before = len(list_order_imports(site["engine"]))
    checked = city.post("/orders/import", data={"csrf": csrf, "dry_run": "1"},
                        files={"file": ("march.csv", march, "text/csv")})
    assert checked.status_code == 200 and "校验通过，尚未导入：march.csv" in checked.text
    assert "新增 1 条" in checked.text and len(list_order_imports(site["engine"])) == imports_before
    assert "2025-03" not in set(stored_orders(site["engine"], uscc=DEEP_FALL)[0]["month"])
    again = city.post("/orders/import", data={"csrf": csrf},
                      files={"file": ("sample.xlsx", site["sample"].read_bytes(), "application/octet-stream")})
    assert again.status_code == 200 and "已导入：sample.xlsx" in again.text and "未变" in again.text
    bad = ("uscc,month,new_orders_usd,orders_in_hand_usd,expected_exports_usd,market,product_hs,problems\n"
           f"{DEEP_FALL},2025-04,100000,300000,200000,US,60,\n"
           f"{DEEP_FALL},2025-05,100000,300000,200000,火星,60,\n").encode()
    refused = city.post("/orders/import", data={"csrf": csrf}, files={"file": ("bad.csv", bad, "text/csv")})
    assert refused.status_code == 422 and "文件被整体退回，未导入任何数据：bad.csv" in refused.text
    assert "火星" in refused.text and "<td>bad.csv</td><td>3</td>" in refused.text.replace("\n", "")
    assert "2025-04" not in set(stored_orders(site["engine"], uscc=DEEP_FALL)[0]["month"])
    assert not any((site["tmp"] / "data").rglob("orders-*"))  # the rejected file is not kept
    wrong = city.post("/orders/import", data={"csrf": csrf}, files={"file": ("x.txt", b"a", "text/plain")})
    assert wrong.status_code == 400 and "只接受 CSV 或 XLSX 文件" in wrong.text
