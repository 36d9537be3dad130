"""订单+清单 over /api/v1/warning, on SQLite and PostgreSQL: the upload (stored and its warnings
raised, dry run, refused whole and not kept, a county's file with another county's enterprises),
the scan (the CLI's contract, within the scope), an enterprise's history with its band (its own
only), the roll-ups."""

from __future__ import annotations

import pytest

from commerce_brain.io.orders_template import write_orders_template
from commerce_brain.store.audit import events
from commerce_brain.store.order_tables import list_order_imports
from commerce_brain.uscc import make_uscc
from commerce_brain.warning.catalog import load_orders_catalog

from api_site import get, open_site, post_file, uploads_kept

KEQIAO = "柯桥区纺织品外贸预警点"
HUAFANG, YUECHENG = make_uscc("91330600MA2BX1001"), make_uscc("91330600MA2BX1010")  # 柯桥区 / 越城区's samples
ACCOUNTS = {"city": {"role": "city_analyst"}, "kecheng": {"role": "county_analyst", "org_unit": "330802"},
            "keqiao": {"role": "warning_point", "responsible_unit": KEQIAO},
            "huafang": {"role": "enterprise", "uscc": HUAFANG}, "officer": {"role": "policy_officer"}}


@pytest.fixture
def site(database_url, tmp_path):
    site = open_site(database_url, tmp_path, ACCOUNTS,
                     lambda catalog: write_orders_template(tmp_path / "订单清单.csv", catalog, load_orders_catalog(), sample=True))
    yield site
    site["engine"].dispose()


def upload(site, user: str, path, **params):
    return post_file(site, user, "/api/v1/warning/orders/imports", path, **params)


def test_upload_scan_history_and_rollup(site):
    dry = upload(site, "city", site["sample"], dry_run="true")
    assert dry.status_code == 200 and dry.json()["import_id"] is None and dry.json()["warnings"] is None
    assert list_order_imports(site["engine"]) == []
    done = upload(site, "city", site["sample"])
    assert done.status_code == 200, done.text
    assert done.json()["warnings"] == {"new": 5, "unchanged": 0} and done.json()["changed"] == 0
    assert events(site["engine"], action="orders.import")[0]["actor"] == "city"
    assert uploads_kept(site) == []
    everything = get(site, "city", "/api/v1/warning/scan?month=2025-02").json()
    assert len(everything) == 5 and list(everything[0]) == ["uscc", "detector", "level", "message", "owner", "status"]
    mine = get(site, "keqiao", "/api/v1/warning/scan?month=2025-02").json()
    assert {r["owner"] for r in mine} == {KEQIAO} and len(mine) == 2
    assert get(site, "kecheng", "/api/v1/warning/scan?month=2025-02").json() == []  # 柯城区 has no sample
    assert get(site, "city", "/api/v1/warning/scan?month=2025-13").status_code == 422
    # History: the point sees its enterprise with the band; not another point's; the enterprise its own only.
    history = get(site, "keqiao", f"/api/v1/warning/orders/{HUAFANG}").json()
    february = [m for m in history["months"] if m["month"] == "2025-02"][0]
    assert february["season_low"] < february["new_orders_usd"] and february["detector"] is None
    assert get(site, "keqiao", f"/api/v1/warning/orders/{YUECHENG}").status_code == 404
    assert get(site, "huafang", f"/api/v1/warning/orders/{HUAFANG}").status_code == 200
    assert get(site, "huafang", f"/api/v1/warning/orders/{YUECHENG}").status_code == 403
    assert get(site, "officer", f"/api/v1/warning/orders/{HUAFANG}").status_code == 403
    rolled = get(site, "keqiao", "/api/v1/warning/orders/rollup?by=warning_point").json()
    assert {r["warning_point"] for r in rolled["rollup"]} == {KEQIAO}
    assert get(site, "city", "/api/v1/warning/orders/rollup?by=uscc").status_code == 422


def test_a_bad_file_is_refused_whole_and_not_kept(site):
    bad = site["tmp"] / "坏文件.csv"
    bad.write_text("uscc,month\n91330600MA2BX10010,2025-02\n", encoding="utf-8")
    refused = upload(site, "city", bad)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("文件被整体退回，未导入任何数据：坏文件.csv")
    assert any("缺少列：新增出口订单（美元）" in p["message"] for p in refused.json()["problems"])
    assert list_order_imports(site["engine"]) == [] and uploads_kept(site) == []
    assert events(site["engine"], action="import_rejected")[0]["detail"]["kind"] == "orders"
    # 柯城区's analyst may not import Shaoxing's sample; a warning point and an enterprise import nothing.
    outside = upload(site, "kecheng", site["sample"])
    assert outside.status_code == 422 and "管辖范围以外" in outside.json()["detail"]
    assert upload(site, "keqiao", site["sample"]).status_code == 403
    assert upload(site, "huafang", site["sample"]).status_code == 403
    assert list_order_imports(site["engine"]) == []
