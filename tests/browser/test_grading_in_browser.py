"""亩均效益评价 in a real browser: the policy officer runs the evaluation on the sample city, sees
the class distribution per county drawn, opens an enterprise's score card and reads why, re-grades
it with a reason, draws the leading lists, and uploads the sample applications to article 5's
key-projects pot to see the exact choice beside the greedy one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from commerce_brain.grading.pot import catalog_pots
from commerce_brain.io.applications_template import write_applications_template
from conftest import YEAR
from test_charts_in_browser import drawn, errors

pytestmark = pytest.mark.browser
POT = "qz2019_art5_key_projects"


def test_the_officer_grades_explains_regrades_draws_the_lists_and_allocates(page: Page, sign_in, tmp_path):
    sign_in(page, "policy_officer")
    page.get_by_role("link", name="亩均效益评价").first.click()
    page.goto(f"/grading?year={YEAR}")
    page.get_by_role("button", name="运行评价").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=f"亩均效益评价 · {YEAR}年度")).to_be_visible()
    rows = page.locator("#grading-list tbody tr")
    assert rows.count() > 10
    expect(page.locator("#class-distribution")).to_contain_text("合计")
    assert drawn(page, "stack") == 1
    page.screenshot(path=str(tmp_path / "grading.png"))  # the first screen: filters, actions, chart

    # An enterprise's score card: the indicators against the benchmarks, and why.
    first = rows.first.locator("a").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", name=re.compile(re.escape(name)))).to_be_visible()
    expect(page.locator("#score-card")).to_contain_text("亩均税收")
    expect(page.locator("#score-card")).to_contain_text("÷")
    expect(page.locator("#grading-reason")).to_contain_text("评为")
    page.screenshot(path=str(tmp_path / "card.png"), full_page=True)

    # 手动调档 with a reason.
    form = page.locator("#regrade-form")
    current = page.locator("#regrade-form select option[selected]").get_attribute("value")
    target = "D" if current != "D" else "C"
    form.get_by_label("调为").select_option(target)
    form.get_by_label("理由").fill("核实该企业发生较大安全生产事故")
    form.get_by_role("button", name="确认调档").click()
    page.wait_for_load_state()
    expect(page.locator("#regrades")).to_contain_text("核实该企业发生较大安全生产事故")
    expect(page.locator("#grading-result h2")).to_contain_text(f"{target}类")

    # The leading and benchmark lists, every candidate left out with why.
    page.goto(f"/grading/leaders?year={YEAR}")
    page.get_by_label("每份名单企业数").fill("20")
    page.get_by_role("button", name="生成名单").click()
    page.wait_for_load_state()
    expect(page.locator("#leaders-drawn")).to_contain_text("每份名单 20 家")
    expect(page.locator("#list-leading")).to_contain_text("未入选的候选企业")

    # The article-5 key-projects pot and its sample applications.
    sample = write_applications_template(tmp_path / "申报项目示例.xlsx", catalog_pots()[POT], sample=True)
    page.get_by_role("link", name="竞争性分配").first.click()
    form = page.locator("#allocation-form")
    form.get_by_role("combobox").select_option(POT)
    form.get_by_label("申报项目文件").set_input_files(str(sample))
    form.get_by_role("button", name="上传并分配").click()
    page.wait_for_load_state()
    expect(page.locator("#allocation-totals")).to_contain_text("按得分依次入选")
    gap = page.locator("#greedy-gap").inner_text()
    assert float(gap) >= 0
    expect(page.locator("#decisions tbody tr")).to_have_count(30)
    expect(page.locator("#decisions")).to_contain_text("入选")
    page.screenshot(path=str(tmp_path / "allocation.png"), full_page=True)
    assert not errors(page)
