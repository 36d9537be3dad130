"""A warning from raised to closed in a real browser: raised by an engine's run (through
``followup.raise_warnings``), 签收 and 采取措施 with a file by its responsible unit (项目责任单位),
办结 by the city's analyst — each step asked first — and the history in Chinese.

The live server is shared: the warning is one of a month no other test raises (2019-12).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from dialogs import asks_once
from playwright.sync_api import Page, expect
from sample_files import pdf_bytes, write

from commerce_brain import followup as fu
from commerce_brain.access import Scope

pytestmark = pytest.mark.browser
SUBJECT = "衢江区总部经济圈"
REASON = "年度计划投资完成 41%，时间进度 83%，落后 42 个百分点"


def raised_warning(engine) -> int:
    """A red 落后序时进度 warning of 衢江区政府 (the qujiang1 account's unit), overdue already."""
    rows = pl.DataFrame({
        "source": ["projects"], "detector": ["schedule_behind"], "subject_kind": ["project"],
        "subject_id": ["zl13-05"], "subject_name": [SUBJECT], "org_unit": ["330803"],
        "responsible_unit": ["衢江区政府"], "level": ["red"], "reason": [REASON], "period": ["2019-12"],
        "due_date": [date.today() - timedelta(days=3)]})
    fu.raise_warnings(engine, rows, actor="browser-test")
    found = fu.list_warnings(engine, Scope(), period="2019-12").filter(pl.col("subject_id") == "zl13-05")
    return found["id"][0]


def test_a_warning_walks_from_raised_to_closed(page: Page, open_tab, live_server, sign_in, tmp_path):
    warning_id = raised_warning(live_server.engine)
    minutes = write(tmp_path, "专题协调会纪要.pdf", pdf_bytes("coordination meeting"))

    # The responsible unit: the warning is on its list, overdue, and it answers it.
    sign_in(page, "project_unit")
    page.get_by_role("link", name="预警处置").first.click()
    row = page.locator("#warnings tbody tr", has_text=SUBJECT).filter(has_text="2019-12")
    expect(row).to_contain_text("红灯")
    expect(row).to_contain_text("已逾期")
    expect(row).to_contain_text("待签收")
    row.get_by_role("link", name=SUBJECT).click()
    expect(page.locator("#warning-reason")).to_have_text(REASON)
    question = asks_once(page, lambda: page.get_by_role("button", name="签收").click())
    assert question.startswith("确认签收该预警")
    expect(page.locator("h1")).to_contain_text("已签收")
    page.get_by_label("采取的措施").fill("召开专题协调会，落实施工单位进场")
    page.get_by_label("附件").set_input_files(str(minutes))
    assert asks_once(page, lambda: page.get_by_role("button", name="提交措施").click()) == "确认提交采取的措施？"
    expect(page.locator("h1")).to_contain_text("已采取措施")
    expect(page.get_by_role("button", name="办结")).to_have_count(0)  # closing is the bureau's

    # The city's analyst closes it.
    analyst = open_tab(live_server)
    sign_in(analyst, "city_analyst")
    analyst.goto(f"/warnings/{warning_id}")
    analyst.get_by_label("办结说明").fill("已落实，持续跟踪")
    assert asks_once(analyst, lambda: analyst.get_by_role("button", name="办结").click()).startswith("确认办结该预警")
    expect(analyst.locator("h1")).to_contain_text("已办结")
    expect(analyst.locator("#handle")).to_have_count(0)  # nothing is left to do

    # The history, as the unit reads it: every step in Chinese, with who and the file.
    page.reload()
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(4)
    for n, (step, change) in enumerate([("发出预警", "待签收"), ("签收", "待签收 → 已签收"),
                                        ("采取措施", "已签收 → 已采取措施"), ("办结", "已采取措施 → 已办结")]):
        expect(history.nth(n)).to_contain_text(step)
        expect(history.nth(n)).to_contain_text(change)
    expect(history.nth(2)).to_contain_text("召开专题协调会")
    expect(history.nth(3)).to_contain_text("已落实，持续跟踪")
    with page.expect_download() as download:
        history.nth(2).get_by_role("link", name="专题协调会纪要.pdf").click()
    assert download.value.suggested_filename == "专题协调会纪要.pdf"
    assert fu.get_warning(live_server.engine, warning_id, scope=Scope())["state"] == "closed"
