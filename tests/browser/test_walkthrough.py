"""Two walk-throughs as a first-time user does them, by the labels and buttons on the pages.

1. 数据导入: the city analyst downloads the template, fills it in, uploads it, reads the preview,
   confirms, finds the import in the history and the figure on the indicator page; corrects the
   figure (a revision); then uploads bad files and sees each refused whole, located by sheet,
   row and column, with nothing stored. The county analyst's file with a row for another county
   is refused naming that row.
2. 政策兑现: the policy officer runs the 2023 batch; the enterprise sees its own proposed awards
   (only those) and confirms one; the officer reads the explanation and approves it; the finance
   officer makes the treasury's payment list, exports it, checks the workbook to the fen, is
   refused when marking their own list paid, and a second finance officer marks it paid (four
   eyes; every money step asks for confirmation first); the award reads 已兑付; the audit log holds every step, its chain intact.

The live server is shared by the session's browser tests: nothing here assumes a fresh store
(another test may have run a batch, imported or approved first), only what the pages show.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Locator, Page, expect

from commerce_brain.io.actuals_template import COLUMNS


pytestmark = pytest.mark.browser

PLAN = "qz_commerce_14th"
PLAN_TITLE = "衢州市商务高质量发展“十四五”规划"
RETAIL_ZH = "社会消费品零售总额"
FIRST, CORRECTED = "1023.4", "1030.5"  # 衢州市 2024, as first published and as corrected
OTHER_COUNTY = "330881"  # 江山市: not the county analyst's (柯城区 330802)


# ---- helpers ----------------------------------------------------------------------------------

def real_errors(page: Page) -> list[str]:
    # Chromium's own favicon request is not the page's error.
    return [e for e in page.errors_seen if "/favicon.ico" not in e]


@pytest.fixture
def person(open_tab, live_server, sign_in):
    """``person(role)``: a fresh browser context (its own cookies) with a page signed in as ``role``,
    recording errors and dialogs as the ``page`` fixture does."""

    def open_as(role: str) -> Page:
        tab = open_tab(live_server)
        sign_in(tab, role)
        return tab

    return open_as


class Shots:
    """Numbered full-page screenshots of the main steps, in pytest's tmp_path."""

    def __init__(self, folder: Path):
        self.folder, self.taken = folder, []

    def __call__(self, page: Page, step: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        self.taken.append(path)


@pytest.fixture
def shots(tmp_path) -> Shots:
    return Shots(tmp_path)


def nav(page: Page, name: str | re.Pattern) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def card(page: Page, heading: str | re.Pattern) -> Locator:
    """The section (card) whose heading reads ``heading``."""
    return page.locator("main section.card").filter(has=page.get_by_role("heading", name=heading))


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "actuals"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def upload(page: Page, path: Path) -> None:
    page.get_by_label("选择文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_load_state()


def history_rows(page: Page) -> Locator:
    return card(page, "导入记录").locator("tbody tr")


def problems(page: Page, file_name: str) -> list[list[str]]:
    """The rejection report's rows: [sheet, row, column, reason]."""
    report = card(page, f"文件被整体退回，未导入任何数据：{file_name}")
    expect(report).to_be_visible()
    return [row.locator("td").all_inner_texts() for row in report.locator("tbody tr").all()]


def table_row(table: Locator, text: str) -> Locator:
    """The one body row of ``table`` that contains ``text`` in a cell of its own."""
    row = table.locator("tbody tr").filter(has=table.page.get_by_role("cell", name=text, exact=True))
    expect(row).to_have_count(1)
    return row


def fen(value) -> int:
    """A workbook's 元 cell as integer fen, exactly."""
    amount = Decimal(str(value)) * 100
    assert amount == amount.to_integral_value(), value
    return int(amount)


# ---- 1. 数据导入 -----------------------------------------------------------------------------

def test_importing_actuals_from_template_to_indicator_page_and_bad_files_refused(page: Page, sign_in, person,
                                                                                 shots, tmp_path):
    sign_in(page, "city_analyst")
    nav(page, "数据导入")
    expect(page.locator("main h1")).to_have_text("数据导入")
    before = history_rows(page).count()
    shots(page, "import-page")

    # The template: the columns, and the codes to use on their own sheets.
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载导入模板")).click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    assert template.name == "实际值导入模板.xlsx"
    book = load_workbook(template)
    assert [c.value for c in book["actuals"][1]] == COLUMNS
    codes = {(row[0], row[2]) for row in book["指标清单"].iter_rows(min_row=2, values_only=True)}
    assert (PLAN, "retail_sales") in codes
    assert "330800" in {row[0] for row in book["地区代码"].iter_rows(min_row=2, values_only=True)}

    # Filled in as a clerk would: the example rows replaced by the year's figure.
    sheet = book["actuals"]
    sheet.delete_rows(2, sheet.max_row)
    sheet.append([PLAN, "retail_sales", "330800", "2024", float(FIRST), None, "市统计局2024年统计公报"])
    filled = tmp_path / "2024年社零.xlsx"
    book.save(filled)
    upload(page, filled)
    preview = card(page, f"校验通过：{filled.name}")
    expect(preview).to_contain_text("共 1 行：将新增 1，修订 0，未变 0")
    expect(preview.locator("tbody tr")).to_have_count(1)
    assert preview.locator("tbody tr td").all_inner_texts() == [
        "新增", PLAN_TITLE, RETAIL_ZH, "衢州市", "2024", "—", "1,023.4"]  # the plan's title, not its id
    # Nothing is stored before the confirmation.
    expect(history_rows(page)).to_have_count(before)
    shots(page, "import-preview")
    page.get_by_role("button", name="确认导入").click()
    done = card(page, f"已导入：{filled.name}")
    expect(done).to_contain_text("新增 1，修订 0，未变 0")
    expect(history_rows(page)).to_have_count(before + 1)
    newest = history_rows(page).first.locator("td")
    expect(newest.nth(1)).to_have_text(filled.name)
    expect(newest.nth(6)).to_have_text("city1")
    shots(page, "import-done")

    # The figure on its indicator page, reached from the import's summary.
    done.get_by_role("link", name=f"{RETAIL_ZH} · 衢州市 · 2024年").click()
    expect(page.locator("main h1")).to_contain_text(RETAIL_ZH)
    expect(page.locator("main p.muted").first).to_contain_text("2024年")
    # The page lists no actual value of its own: the explanation's worked formula holds it.
    expect(page.locator("main p.explanation")).to_contain_text("2024年实际 X_t=1,023.4；")
    shots(page, "indicator-2024")

    # A correction: the same cell again with another value is a revision, the old value kept.
    nav(page, "数据导入")
    corrected = write_xlsx(tmp_path / "2024年社零（更正）.xlsx", ["规划", "指标", "地区", "期间", "数值"],
                           [[PLAN, RETAIL_ZH, "衢州市", 2024, float(CORRECTED)]])
    upload(page, corrected)
    preview = card(page, f"校验通过：{corrected.name}")
    expect(preview).to_contain_text("共 1 行：将新增 0，修订 1，未变 0")
    assert preview.locator("tbody tr td").all_inner_texts() == [
        "修订", PLAN_TITLE, RETAIL_ZH, "衢州市", "2024", "1,023.4", "1,030.5"]
    page.get_by_role("button", name="确认导入").click()
    expect(card(page, f"已导入：{corrected.name}")).to_contain_text("新增 0，修订 1，未变 0")
    expect(history_rows(page)).to_have_count(before + 2)
    card(page, re.compile("^已导入")).get_by_role("link", name=f"{RETAIL_ZH} · 衢州市 · 2024年").click()
    expect(page.locator("main p.explanation")).to_contain_text("2024年实际 X_t=1,030.5；")
    indicator_url, explained = page.url, page.locator("main p.explanation").inner_text()
    assert not real_errors(page), page.errors_seen

    # Bad files: each refused whole, the report locating every problem; nothing stored.
    nav(page, "数据导入")
    bad = write_xlsx(tmp_path / "有误的文件.xlsx", COLUMNS[:5], [
        [PLAN, "retail_sales", "330802", "2024", 91.2],         # good on its own: must not be stored
        [PLAN, "retail_sales_typo", "330800", "2024", 1],       # no such indicator
        [PLAN, "retail_sales", "330800", "2024", "一千零五十"],  # not a number
    ])
    upload(page, bad)
    found = problems(page, bad.name)
    assert found == [
        ["actuals", "3", "indicator (B)",
         f"未知指标：“retail_sales_typo”不是规划 {PLAN} 的指标"],
        ["actuals", "4", "value (E)", "数值不是数字：“一千零五十”"],
    ], found
    expect(page.locator("main")).not_to_contain_text("校验通过")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    expect(history_rows(page)).to_have_count(before + 2)
    shots(page, "import-rejected")

    missing = write_xlsx(tmp_path / "缺列.xlsx", ["plan", "indicator", "org_unit", "value"],
                         [[PLAN, "retail_sales", "330800", 1]])
    upload(page, missing)
    found = problems(page, missing.name)
    assert len(found) == 1 and found[0][:3] == ["actuals", "1", "—"], found
    assert found[0][3].startswith("缺少列：期间"), found
    expect(history_rows(page)).to_have_count(before + 2)

    # A CSV's report names the file as uploaded, not the server's copy of it.
    csv_file = tmp_path / "月报.csv"
    csv_file.write_text(f"plan,indicator,org_unit,period,value\n{PLAN},retail_sales,330800,2024-13,5\n",
                        encoding="utf-8")
    upload(page, csv_file)
    found = problems(page, csv_file.name)
    assert [row[:3] for row in found] == [[csv_file.name, "2", "period"]], found
    expect(history_rows(page)).to_have_count(before + 2)

    page.goto(indicator_url)
    assert page.locator("main p.explanation").inner_text() == explained
    assert not [e for e in real_errors(page) if "422" not in e], page.errors_seen

    # A figure ten times the year before: listed as a warning, stored only once the clerk ticks
    # that it was checked (the unticked box keeps the form from being sent).
    jump = write_xlsx(tmp_path / "江山市社零.xlsx", COLUMNS[:5], [[PLAN, "retail_sales", OTHER_COUNTY, "2024", 749.0]])
    nav(page, "数据导入")
    upload(page, jump)
    warned = card(page, f"校验通过：{jump.name}").locator("#import-warnings tbody tr td").all_inner_texts()
    assert warned[:3] == ["actuals", "2", "value (E)"] and "变化超过 3 倍" in warned[3], warned
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#import-done")).to_have_count(0)
    expect(history_rows(page)).to_have_count(before + 2)
    page.get_by_label("我已核对上述提示，确认导入").check()
    page.get_by_role("button", name="确认导入").click()
    expect(card(page, f"已导入：{jump.name}")).to_contain_text("新增 1，修订 0，未变 0")
    expect(history_rows(page)).to_have_count(before + 3)
    shots(page, "import-warning-accepted")

    # The county analyst: a row for another county refuses the file, naming the row.
    county = person("county_analyst")
    nav(county, "数据导入")
    # A county analyst's history holds only imports with figures of its county: not the city's two.
    county_before = history_rows(county).count()
    assert county_before == before
    assert "2024年社零" not in card(county, "导入记录").inner_text()
    mixed = write_xlsx(tmp_path / "柯城区与江山市.xlsx", COLUMNS[:5], [
        [PLAN, "retail_sales", "330802", "2024", 92.4],
        [PLAN, "retail_sales", OTHER_COUNTY, "2024", 80.1],
    ])
    upload(county, mixed)
    found = problems(county, mixed.name)
    assert len(found) == 1, found
    sheet_name, row, column, reason = found[0]
    assert (sheet_name, row, column) == ("actuals", "3", "org_unit (C)"), found
    assert "超出您的范围" in reason and OTHER_COUNTY in reason, reason
    expect(history_rows(county)).to_have_count(county_before)
    shots(county, "county-rejected")
    assert not [e for e in real_errors(county) if "422" not in e], county.errors_seen


# ---- 2. 政策兑现: from the batch to the payment list -------------------------------------------

def test_an_award_from_the_batch_to_the_paid_payment_list(page: Page, sign_in, person, accounts, shots,
                                                          tmp_path):
    uscc = accounts["enterprise"].uscc

    # The policy officer runs the 2023 batch and reads its summary.
    sign_in(page, "policy_officer")
    nav(page, "政策兑现")
    run = card(page, "免申即享批量计算")
    run.get_by_label("年度").fill("2023")
    run.get_by_role("button", name="运行批量计算").click()
    summary = page.locator("#batch-summary")
    expect(summary.get_by_role("heading")).to_have_text(re.compile(r"^第 \d+ 批（2023年度）免申即享计算结果$"))
    batch_id = re.search(r"第 (\d+) 批", summary.get_by_role("heading").inner_text()).group(1)
    counts = re.search(r"共计算 (\d+) 项；新增待确认 (\d+) 项，金额 ([\d,]+\.\d\d) 元；\s*已存在 (\d+) 项",
                       summary.inner_text())
    assert counts, summary.inner_text()
    computed, inserted, present = int(counts[1]), int(counts[2]), int(counts[4])
    assert computed > 0 and inserted + present == computed
    # The first batch of the session inserts everything; a later one finds it all present.
    assert (inserted, present) in ((computed, 0), (0, computed)), counts.groups()
    assert (counts[3] == "0.00") == (inserted == 0)
    expect(page.locator("main h1")).to_contain_text("2023年度")
    listed = card(page, "免申即享批量计算").locator("tbody tr").first.locator("td")
    expect(listed.first).to_have_text(batch_id)
    expect(listed.nth(2)).to_have_text("policy1")
    # An award of another enterprise, for the scope check below.
    awards = page.locator("main table.data").last
    foreign = awards.locator("tbody tr").filter(has_not_text=uscc).first.locator("td").first.inner_text()
    shots(page, "batch")
    assert not real_errors(page), page.errors_seen

    # The enterprise, in its own browser: its proposed awards, only its own; it confirms one.
    firm = person("enterprise")
    nav(firm, "政策兑现")
    mine = firm.locator("main table.data tbody tr")
    assert mine.count() > 0
    waiting = mine.filter(has_text="待确认").count()
    expect(firm.locator("main")).to_contain_text(f"有 {waiting} 项奖补待您确认")
    assert set(firm.locator("main table.data tbody tr td:nth-child(3)").all_inner_texts()) == {uscc}
    expect(firm.get_by_role("button", name="运行批量计算")).to_have_count(0)
    assert firm.request.get(f"/awards/{foreign}").status == 404  # as if it did not exist
    open_award = mine.filter(has_text="待确认").filter(has_not_text="待评审").first
    award_id = open_award.locator("td").first.inner_text()
    rule_name = open_award.locator("td").nth(4).inner_text()
    amount = open_award.locator("td").nth(5).inner_text()
    shots(firm, "enterprise-awards")
    open_award.get_by_role("link", name=rule_name).click()
    expect(firm.locator("main h1")).to_have_text(f"{rule_name} · 待确认")
    expect(firm.locator("dl.figures")).to_contain_text(f"{amount} 元")
    firm.get_by_role("button", name="确认领取").click()
    expect(firm.locator("main h1")).to_have_text(f"{rule_name} · 企业已确认")
    expect(card(firm, "办理记录").locator("tbody tr").last).to_contain_text("企业确认")
    expect(firm.get_by_role("button", name="确认领取")).to_have_count(0)
    shots(firm, "enterprise-confirmed")
    assert not real_errors(firm), firm.errors_seen

    # The policy officer finds it among the confirmed, reads why, and approves.
    nav(page, "政策兑现")
    page.locator("main .tiles").get_by_role("link", name=re.compile("企业已确认")).click()
    expect(page.get_by_label("状态")).to_have_value("confirmed")
    row = table_row(page.locator("main table.data").last, award_id)
    expect(row).to_contain_text(uscc)
    row.get_by_role("link", name=award_id).click()
    expect(page.locator("main h1")).to_have_text(f"{rule_name} · 企业已确认")
    explanation = page.locator("main p.explanation")
    expect(explanation).to_contain_text(re.compile(r"依据《.+》.+「.+」"))  # the article, quoted
    expect(explanation).to_contain_text("计算：")                        # the formula with the figures
    expect(explanation).to_contain_text(f"应付 {amount}元")
    article = page.locator("dl.figures dt", has_text="条款").locator("xpath=following-sibling::dd[1]")
    assert article.inner_text().strip()
    payer = page.locator("dl.figures dt", has_text="兑现财政").locator("xpath=following-sibling::dd[1]")
    payer_name = payer.inner_text().split("（")[0].strip()
    shots(page, "officer-award")
    approve, reject = page.get_by_role("button", name="审核通过"), page.get_by_role("button", name="驳回")
    # Approve and reject do not look alike: reject is the danger button.
    assert approve.evaluate("b => getComputedStyle(b).backgroundColor") != reject.evaluate(
        "b => getComputedStyle(b).backgroundColor")
    expect(reject).to_have_class(re.compile(r"\bdanger\b"))
    approve.click()
    expect(page.locator("main h1")).to_have_text(f"{rule_name} · 审核通过")
    assert any("确认审核通过" in d for d in page.dialogs_seen), page.dialogs_seen
    expect(card(page, "办理记录").locator("tbody tr").last).to_contain_text("审核通过")
    assert not real_errors(page), page.errors_seen

    # The finance officer makes the treasury's payment list, exports it and marks it paid.
    finance = person("finance_officer")
    # The nav calls the page 拨付清单, the page itself 兑付清单: either is the same link.
    nav(finance, re.compile(r"^[兑拨]付清单$"))
    pending = card(finance, "待列入清单的已审核奖补（按兑现财政）")
    table_row(pending.locator("table"), payer_name).get_by_role("button", name="生成兑付清单").click()
    plist = finance.locator("#payment-list")
    expect(plist.get_by_role("heading")).to_have_text(re.compile(rf"^第 \d+ 号兑付清单 · {payer_name}$"))
    list_id = re.search(r"第 (\d+) 号", plist.get_by_role("heading").inner_text()).group(1)
    item = table_row(plist.locator("table"), award_id)
    expect(item).to_contain_text(uscc)
    expect(item.locator("td").last).to_have_text(amount)
    firm_name = item.locator("td").first.inner_text()
    page_total = re.search(r"合计 ([\d,]+\.\d\d) 元", plist.inner_text())[1]
    shots(finance, "payment-list")
    with finance.expect_download() as download:
        plist.get_by_role("link", name="导出 Excel").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    assert exported.suffix == ".xlsx" and list_id in exported.name
    sheet = load_workbook(exported).active
    assert sheet.title == payer_name
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    body, total = rows[:-1], rows[-1]
    ours = [r for r in body if str(r[5]) == award_id]
    assert len(ours) == 1, rows
    name, uscc_cell, _, yuan, _, _ = ours[0]
    assert (uscc_cell, name) == (uscc, firm_name)
    assert fen(yuan) == int(amount.replace(",", "").replace(".", ""))
    assert total[0] == "合计" and fen(total[3]) == sum(fen(r[3]) for r in body)
    assert fen(total[3]) == int(page_total.replace(",", "").replace(".", ""))
    # Four eyes: who made the list cannot mark it paid (asked first, then refused).
    plist.get_by_role("button", name="标记为已兑付").click()
    expect(finance.get_by_role("alert")).to_contain_text("须由另一名财政经办人员")
    assert any("不可撤销" in d for d in finance.dialogs_seen), finance.dialogs_seen
    expect(finance.locator("#payment-list")).to_contain_text("尚未兑付")
    assert not [e for e in real_errors(finance) if "403" not in e], finance.errors_seen
    checker = person("finance2")
    checker.goto(f"/payments/{list_id}")
    checker.locator("#payment-list").get_by_role("button", name="标记为已兑付").click()
    plist = checker.locator("#payment-list")
    expect(plist).to_contain_text("标记为已兑付。")
    expect(plist).to_contain_text("finance2")
    expect(checker.get_by_role("button", name="标记为已兑付")).to_have_count(0)
    shots(checker, "paid")
    item = table_row(checker.locator("#payment-list table"), award_id)
    item.get_by_role("link", name=award_id).click()
    expect(checker.locator("main h1")).to_have_text(f"{rule_name} · 已兑付")
    assert not real_errors(checker), checker.errors_seen

    # The enterprise sees it paid too.
    firm.reload()
    expect(firm.locator("main h1")).to_have_text(f"{rule_name} · 已兑付")

    # The audit log: the chain intact, every step of the walk-through in it.
    admin = person("admin")
    nav(admin, "审计日志")
    expect(admin.locator("main")).to_contain_text("审计链完整")
    events = [r.locator("td").all_inner_texts() for r in admin.locator("main table.data tbody tr").all()]
    # Each row: 编号, 时间, 操作人, 动作 (its Chinese label), 经过 (a sentence naming the record).
    for actor, label, record in [("policy1", "免申即享批次", f"第 {batch_id} 批"),
                                 ("firm1", "企业确认", f"奖补 {award_id} 号"),
                                 ("policy1", "审核通过", f"奖补 {award_id} 号"),
                                 ("finance1", "生成兑付清单", f"兑付清单 {list_id} 号"),
                                 ("finance2", "标记已兑付", f"兑付清单 {list_id} 号")]:
        assert any(e[2] == actor and e[3] == label and record in e[4] for e in events), (actor, label, record)
    assert any("元" in e[4] and "fen" not in e[4] for e in events if e[3] == "审核通过")
    shots(admin, "audit")
    assert not real_errors(admin), admin.errors_seen
    assert len(shots.taken) == 7
