"""Issue 9's done-means: each role, signed in through the form, opens every page its menu offers
(and a detail page where there is one) and reads no Latin-alphabet word in the visible text,
outside an allow-list: units, the accounts' own names, credit codes and what a user typed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from commerce_brain.fulfilment.rule_edits import EDITABLE

pytestmark = pytest.mark.browser

# A word of two or more Latin letters; single letters (a USCC's, a column letter's) are not words.
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
# Units and formats a Chinese page writes in Latin letters, and the names the accounts were given.
UNITS = {"MB", "GDP", "CSV", "XLSX", "PDF", "OFD", "JPG", "PNG", "ZIP", "Word", "Excel", "YAML"}
# A formula's symbols (X_t, g_a: a letter and its subscript) are notation, explained in words beside them.
SYMBOL = re.compile(r"^[A-Za-z]_[A-Za-z0-9]+$")
FILE_NAME = re.compile(r"\S*\.(xlsx|xlsm|csv|pdf|ofd|jpg|png|docx?|zip)\b", re.I)
# Detail pages: the first link under each list page whose path starts so.
DETAILS = {"/": "/plans/", "/awards": "/awards/", "/claims": "/claims/", "/rules": "/rules/", "/warnings": "/warnings/",
           "/projects": "/projects/zl", "/grading": "/grading/9"}
# Pages that are not page text (downloads, templates).
SKIP = re.compile(r"\.(xlsx|csv|pdf)$|/template|/export|/attachments/")


def latin_words(page: Page, allowed: set[str]) -> list[str]:
    """The Latin words of the visible text, except the allowed ones, upper-case codes, formula
    symbols and what the page's text boxes hold (a rule's definition is typed by its officer)."""
    typed = {w for box in page.locator("textarea").all() for w in LATIN_WORD.findall(box.input_value())}
    # File names the users uploaded (2024年社零.xlsx) are theirs, extension included.
    text = FILE_NAME.sub(" ", page.inner_text("body"))
    words = set(LATIN_WORD.findall(text)) - allowed - typed
    return sorted(w for w in words if not w.isupper() and not SYMBOL.match(w))


def menu_links(page: Page) -> list[str]:
    return [urlsplit(href).path for href in page.locator("header nav a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")]


def first_detail(page: Page, prefix: str) -> str | None:
    hrefs = page.locator(f"main a[href^='{prefix}']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    found = [h for h in hrefs if not SKIP.search(h) and urlsplit(h).path.rstrip("/") != prefix.rstrip("/")]
    return found[0] if found else None


@pytest.mark.parametrize("role", ["admin", "city_analyst", "county_analyst", "policy_officer", "finance_officer",
                                  "enterprise", "leader", "project_unit", "warning_point"])
def test_every_page_a_role_opens_reads_chinese(page: Page, sign_in, accounts, role):
    # Names typed by people: the accounts' user names, and the file and importer the test
    # server's set-up recorded (``demo`` by ``browser-test``).
    # and a rule definition's field names, which the officer types in the rule editor.
    allowed = UNITS | set(EDITABLE) | {"demo", "browser", "test"} | {w for a in accounts.values() for w in LATIN_WORD.findall(a.username)}
    sign_in(page, role)
    pages = menu_links(page)
    assert pages, "the menu is empty"
    english: dict[str, list[str]] = {}
    for path in list(pages):
        response = page.goto(path)
        assert response is not None and response.status == 200, (role, path)
        if words := latin_words(page, allowed):
            english[path] = words
        prefix = DETAILS.get(path)
        detail = first_detail(page, prefix) if prefix else None
        if detail:
            response = page.goto(detail)
            assert response is not None and response.status == 200, (role, detail)
            if words := latin_words(page, allowed):
                english[detail] = words
    assert english == {}, f"{role} reads Latin words: {english}"


@pytest.fixture(scope="module")
def graded(live_server):
    """The sample city's 2023 grading, its lists and an allocation of the article-5 sample, so
    that the grading pages have rows, a score card, lists and a result to read."""
    import tempfile
    from pathlib import Path

    from commerce_brain.grading.catalog import load_leader_rules
    from commerce_brain.grading.pot import catalog_pots
    from commerce_brain.grading_board import draw_leaders, latest_grading, record_allocation, run_evaluation
    from commerce_brain.access import Scope
    from commerce_brain.io.applications_import import read_applications
    from commerce_brain.io.applications_template import write_applications_template
    from conftest import YEAR

    engine = live_server.engine
    if latest_grading(engine, year=YEAR, scope=Scope()).is_empty():
        run_evaluation(engine, year=YEAR, actor="browser-test")
    draw_leaders(engine, year=YEAR, rules=load_leader_rules(), actor="browser-test")
    pot = catalog_pots()["qz2019_art5_key_projects"]
    with tempfile.TemporaryDirectory() as folder:
        sample = write_applications_template(Path(folder) / "sample.xlsx", pot, sample=True)
        allocation = record_allocation(engine, pot=pot, applications=read_applications(sample, pot),
                                       file_name="申报项目示例.xlsx", sha256="-", actor="browser-test")
    return YEAR, allocation


@pytest.mark.parametrize("role", ["city_analyst", "county_analyst", "policy_officer", "enterprise", "leader"])
def test_the_grading_pages_read_chinese(page: Page, sign_in, accounts, graded, role):
    year, allocation = graded
    allowed = UNITS | {"browser", "test"} | {w for a in accounts.values() for w in LATIN_WORD.findall(a.username)}
    sign_in(page, role)
    paths = [f"/grading?year={year}", f"/grading/leaders?year={year}", "/grading/allocations"]
    english: dict[str, list[str]] = {}
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, (role, path)
        if words := latin_words(page, allowed):
            english[path] = words
    page.goto(f"/grading?year={year}")
    for detail in [first_detail(page, "/grading/9"), f"/grading/allocations/{allocation}"]:
        response = page.goto(detail) if detail else None
        if response is not None and response.status == 200:
            if words := latin_words(page, allowed):
                english[detail] = words
    assert english == {}, f"{role} reads Latin words: {english}"
