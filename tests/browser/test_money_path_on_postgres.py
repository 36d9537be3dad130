"""The money path outside the demo, on PostgreSQL, in a real browser (issue 8's "done means").

A fresh PostgreSQL database holds only the accounts. Enterprise data comes in two ways: a
synthetic city through the CLI (`commerce-brain policy sample`, then `policy import --db`, run as
the real console script in a subprocess) and the data template's two enterprises through the
企业数据导入 page as the policy officer. The policy officer runs the 2023 免申即享 batch in the
browser; the enterprise of a 最高… award confirms it on its own page; the policy officer enters the
reviewers' figure (评审核定) and approves; one finance officer lists it for its treasury and is
refused marking the list paid; a second finance officer pays it. The database then holds the
paid list and award, and an intact audit chain with every step.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import expect
from sample_files import enterprise_workbook, pdf_bytes, write
from steps import assess_and_approve, card, confirm_import, import_history, list_and_pay_by_two, upload

from commerce_brain.access import Scope
from commerce_brain.catalog import load_catalog
from commerce_brain import fulfilment as f
from commerce_brain.store.accounts import get_user, set_role
from commerce_brain.store.audit import events, verify

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
YEAR = 2023
CLI = Path(sys.executable).with_name("commerce-brain")  # the installed console script
# The template's enterprise A (柯城区), its patent moved into the batch's year.
PAGE_USCC = "91330802MA2G000117"
PAGE_CELLS = {"events_B2": f"{YEAR}-03-15"}


def cli(*args: str) -> subprocess.CompletedProcess:
    """``commerce-brain ARGS`` as an operator runs it (this checkout's source first on the path)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def import_city_through_the_cli(database_url: str, folder: Path) -> dict:
    city = folder / "示例城市.xlsx"
    cli("policy", "sample", "--out", str(city), "--enterprises", "300")
    return json.loads(cli("policy", "import", str(city), "--db", database_url, "--user", "ops1",
                          "--format", "json").stdout)


def test_enterprise_data_in_then_a_capped_award_assessed_approved_and_paid_by_two(pg_live_server, open_tab,
                                                                                    sign_in, tmp_path):
    server, engine = pg_live_server, pg_live_server.engine
    report = import_city_through_the_cli(server.database_url, tmp_path)
    assert report["counts"]["enterprises"] == {"new": 300, "changed": 0, "unchanged": 0}, report

    # The policy officer brings in the template's two enterprises through the page.
    officer = open_tab(server)
    sign_in(officer, "policy_officer")
    officer.get_by_role("navigation").get_by_role("link", name="企业数据导入").click()
    upload(officer, enterprise_workbook(tmp_path, "企业数据.xlsx", **PAGE_CELLS))
    expect(officer.locator("#import-preview")).to_contain_text("校验通过：企业数据.xlsx")
    expect(confirm_import(officer)).to_contain_text("已导入：企业数据.xlsx")
    history = import_history(officer)
    expect(history.first).to_contain_text("企业数据.xlsx")
    expect(history.nth(1)).to_contain_text("示例城市.xlsx")

    # The 2023 免申即享 batch, run on the page: both ways in reach the awards.
    officer.get_by_role("navigation").get_by_role("link", name="政策兑现").click()
    run = card(officer, "免申即享批量计算")
    run.get_by_label("年度").fill(str(YEAR))
    run.get_by_role("button", name="运行批量计算").click()
    heading = officer.locator("#batch-summary").get_by_role("heading")
    expect(heading).to_have_text(re.compile(rf"^第 \d+ 批（{YEAR}年度）免申即享计算结果$"))
    batch_id = re.search(r"第 (\d+) 批", heading.inner_text()).group(1)
    proposed = f.list_awards(engine, scope=Scope(), year=YEAR)
    assert PAGE_USCC in proposed["uscc"].to_list()
    assert proposed["uscc"].n_unique() > 50  # the CLI's city
    capped = proposed.filter(pl.col("needs_review") & (pl.col("state") == "proposed")).sort("id")
    assert capped.height, "the synthetic city has no 最高… award in 2023"
    award = capped.row(0, named=True)

    # The enterprise account belongs to that award's enterprise; it confirms on its own page.
    firm_account = get_user(engine, "firm1")
    set_role(engine, firm_account.id, "enterprise", uscc=award["uscc"], catalog=load_catalog(), actor="admin1")
    firm = open_tab(server)
    sign_in(firm, "enterprise")
    firm.goto(f"/awards/{award['id']}")
    firm.get_by_role("button", name="确认领取").click()
    expect(firm.locator("main h1")).to_contain_text("企业已确认")

    figure = max(award["amount_fen"] // 4, 1) + 7  # the reviewers' figure, not the cap
    opinion = write(tmp_path, "专家评审意见.pdf", pdf_bytes("expert review on postgres"))
    assess_and_approve(officer, award, figure, opinion, "专家组评审：按实际投入核定")

    lister, payer = open_tab(server), open_tab(server)
    sign_in(lister, "finance_officer")
    sign_in(payer, "finance2")
    list_id = list_and_pay_by_two(lister, payer, award["payer"], figure)

    # The end state, read from PostgreSQL.
    plist = f.get_payment_list(engine, list_id)
    assert (plist["created_by"], plist["paid_by"]) == ("finance1", "finance2")
    assert plist["paid_at"] is not None
    assert award["id"] in [item["id"] for item in plist["items"]]
    assert {item["state"] for item in plist["items"]} == {"paid"}
    stored = f.get_award(engine, award["id"], scope=Scope())
    assert (stored["state"], stored["amount_fen"]) == ("paid", figure)
    chain = verify(engine)
    assert chain.ok and chain.problems == [] and chain.events > 0, chain.problems
    steps = {(e["actor"], e["action"], e["object"]) for e in events(engine, limit=10_000)}
    assert {("ops1", "enterprise_data.save"), ("policy1", "enterprise_data.save")} <= {
        (actor, action) for actor, action, _ in steps}
    for step in [("policy1", "awards.batch", f"batch:{batch_id}"),
                 ("firm1", "award.confirm", f"award:{award['id']}"),
                 ("policy1", "award.assess", f"award:{award['id']}"),
                 ("policy1", "award.approve", f"award:{award['id']}"),
                 ("finance1", "payment_list.create", f"payment_list:{list_id}"),
                 ("finance2", "payment_list.paid", f"payment_list:{list_id}")]:
        assert step in steps, step
    assert ("finance1", "payment_list.paid", f"payment_list:{list_id}") not in steps
