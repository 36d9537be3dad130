"""订单+清单 in a real browser, the way a new user meets it: the city's analyst uploads the
sample orders file on 订单+清单, reads the roll-up and an enterprise's months with its seasonal
band drawn, and finds its warning with the reason in words on 预警处置; the enterprise's warning
point (预警点) 签收 it — seeing only its own sample's — and the analyst 办结 it, each step asked
first."""

from __future__ import annotations

import pytest
from dialogs import asks_once
from playwright.sync_api import Page, expect

from commerce_brain import followup as fu
from commerce_brain.access import Scope
from commerce_brain.catalog import load_catalog
from commerce_brain.io.orders_template import write_orders_template
from commerce_brain.uscc import make_uscc
from commerce_brain.warning.catalog import load_orders_catalog

pytestmark = pytest.mark.browser
RED = "柯桥锦绣印染有限公司"  # 柯桥区纺织品外贸预警点's: new orders far below last year and its band
RED_USCC = make_uscc("91330600MA2BX1002")
OTHER_POINT = "上虞天成化工有限公司"  # 上虞区化工外贸预警点's


def test_the_orders_sample_to_a_closed_warning(page: Page, open_tab, live_server, sign_in, tmp_path):
    sample = write_orders_template(tmp_path / "订单清单示例.xlsx", load_catalog(), load_orders_catalog(), sample=True)

    # The analyst imports the sample and reads the roll-up.
    sign_in(page, "city_analyst")
    page.get_by_role("link", name="订单+清单").first.click()
    page.get_by_label("选择文件").set_input_files(str(sample))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-done")).to_contain_text("已导入：订单清单示例.xlsx")
    expect(page.locator("#orders-rollup")).to_contain_text("柯桥区纺织品外贸预警点")
    expect(page.locator("[data-chart=trend] svg")).to_have_count(1)

    # The red enterprise's months: its band drawn, the month's findings in words.
    page.goto(f"/orders/{RED_USCC}")
    expect(page.locator("h1")).to_have_text(RED)
    expect(page.locator("[data-chart=band] svg")).to_have_count(1)
    expect(page.locator("#months tbody tr").first).to_contain_text("新增订单同比下降")

    # Its warning on 预警处置, owned by its warning point.
    page.goto("/warnings?source=orders")
    row = page.locator("#warnings tbody tr", has_text=RED)
    expect(row).to_contain_text("红灯")
    expect(row).to_contain_text("新增订单同比下降")
    expect(row).to_contain_text("柯桥区纺织品外贸预警点")
    expect(row).to_contain_text("待签收")
    warning = fu.list_warnings(live_server.engine, Scope(), source="orders", subject_id=RED_USCC).row(0, named=True)

    # The warning point sees its sample's warnings only, and takes this one on.
    point = open_tab(live_server)
    sign_in(point, "warning_point")
    point.get_by_role("link", name="预警处置").first.click()
    expect(point.locator("#warnings")).to_contain_text(RED)
    expect(point.locator("#warnings")).not_to_contain_text(OTHER_POINT)
    point.locator("#warnings tbody tr", has_text=RED).get_by_role("link", name=RED).click()
    expect(point.locator("#warning-reason")).to_contain_text("新增订单同比下降")
    assert asks_once(point, lambda: point.get_by_role("button", name="签收").click()).startswith("确认签收该预警")
    expect(point.locator("h1")).to_contain_text("已签收")
    expect(point.get_by_role("button", name="办结")).to_have_count(0)  # closing is the bureau's

    # The analyst closes it.
    page.goto(f"/warnings/{warning['id']}")
    page.get_by_label("办结说明").fill("预警点已走访企业，落实稳订单措施")
    assert asks_once(page, lambda: page.get_by_role("button", name="办结").click()).startswith("确认办结该预警")
    expect(page.locator("h1")).to_contain_text("已办结")
    assert fu.get_warning(live_server.engine, warning["id"], scope=Scope())["state"] == "closed"
