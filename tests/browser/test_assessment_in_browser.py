"""A 最高… award from its cap to the treasury in a real browser: the policy officer enters the
reviewers' figure (评审核定) with the 专家评审意见, approves it (asked first), one finance officer
lists it, the same officer is refused when marking the list paid, another pays it.

The live server is shared: the award comes from a 2020 batch, a year no other browser test
runs, proposed and confirmed through the store (the enterprise's confirmation is walked
through in test_walkthrough and, on PostgreSQL, in test_money_path_on_postgres).
"""

from __future__ import annotations

import polars as pl
import pytest
from steps import assess_and_approve, list_and_pay_by_two
from playwright.sync_api import Page
from sample_files import pdf_bytes, write

from commerce_brain.access import Scope, User
from commerce_brain import fulfilment as f

pytestmark = pytest.mark.browser
YEAR = 2020


def award_at_its_cap(engine) -> dict:
    """A confirmed 2020 award awaiting the reviewers' figure."""
    if f.list_awards(engine, scope=Scope(), year=YEAR).is_empty():
        f.run_batch(engine, YEAR, actor="browser-test")
    waiting = f.list_awards(engine, scope=Scope(), year=YEAR).filter(
        pl.col("needs_review") & pl.col("state").is_in(["proposed", "confirmed"])).sort("id")
    assert waiting.height, "the synthetic city has no 最高… award in 2020"
    award = waiting.row(0, named=True)
    if award["state"] == "proposed":
        f.confirm(engine, award["id"], user=User(99, "browser-firm", "企业", "enterprise", uscc=award["uscc"]))
    return award


def test_an_award_at_its_cap_is_assessed_approved_and_paid_by_two(page: Page, open_tab, live_server, sign_in,
                                                                    tmp_path):
    award = award_at_its_cap(live_server.engine)
    opinion = write(tmp_path, "专家评审意见.pdf", pdf_bytes("expert review"))
    figure = max(award["amount_fen"] // 3, 1) + 1  # not the cap: the page must pay what the reviewers said

    sign_in(page, "policy_officer")
    assess_and_approve(page, award, figure, opinion, "专家组评审：按实际投入核定")

    lister, payer = open_tab(live_server), open_tab(live_server)
    sign_in(lister, "finance_officer")
    sign_in(payer, "finance2")
    list_and_pay_by_two(lister, payer, award["payer"], figure)
    stored = f.get_award(live_server.engine, award["id"], scope=Scope())
    assert (stored["state"], stored["amount_fen"]) == ("paid", figure)
