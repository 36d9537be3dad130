"""应急保供 in a real browser: the city's analyst uploads the supply sample on the supply sheet's
form, finds the egg price warning with its reason in words on 预警处置, and — the bureau's
analysts answering the warnings a commerce bureau owns — 签收 it and 办结 it, each step asked first."""

from __future__ import annotations

import pytest
from dialogs import asks_once
from playwright.sync_api import Page, expect

from commerce_brain import followup as fu
from commerce_brain.access import Scope
from commerce_brain.catalog import load_catalog
from commerce_brain.io.supply_template import write_supply_template
from commerce_brain.warning.supply_catalog import load_supply_catalog

pytestmark = pytest.mark.browser
EGGS = "上虞区上虞联华超市·鸡蛋"  # the sample's egg price far above its 4-week median: red


def test_the_supply_sample_to_a_closed_warning(page: Page, live_server, sign_in, tmp_path):
    sample = write_supply_template(tmp_path / "应急保供示例.xlsx", load_catalog(), load_supply_catalog(), sample=True)

    sign_in(page, "city_analyst")
    page.goto("/supply")
    page.get_by_label("选择文件").set_input_files(str(sample))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-done")).to_contain_text("已导入应急保供物资报表：应急保供示例.xlsx")
    expect(page.locator("#import-done")).to_contain_text("新发出 5 条")
    expect(page.locator("#outlets")).to_contain_text("上虞联华超市")

    page.get_by_role("link", name="预警处置").first.click()
    row = page.locator("#warnings tbody tr", has_text=EGGS)
    expect(row).to_contain_text("红灯")
    expect(row).to_contain_text("价格")
    expect(row).to_contain_text("待签收")
    row.get_by_role("link", name=EGGS).click()
    expect(page.locator("#warning-reason")).to_contain_text("%，超过")
    assert asks_once(page, lambda: page.get_by_role("button", name="签收").click()).startswith("确认签收该预警")
    expect(page.locator("h1")).to_contain_text("已签收")
    page.get_by_label("办结说明").fill("已联系超市核实进货价，投放储备鸡蛋平抑价格")
    assert asks_once(page, lambda: page.get_by_role("button", name="办结").click()).startswith("确认办结该预警")
    expect(page.locator("h1")).to_contain_text("已办结")
    found = fu.list_warnings(live_server.engine, Scope(), source="supply")
    assert dict(zip(found["subject_name"] + "|" + found["detector"], found["state"], strict=True))[
        f"{EGGS}|supply_price_jump"] == "closed"
