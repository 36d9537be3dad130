"""The policy library's search (issue 13, §2): jieba segmentation over the seed's texts, synonyms,
filters, ranking and escaped highlights, on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

from datetime import date

import pytest

from commerce_brain import library_board as lb
from commerce_brain.library.catalog import packaged_library
from commerce_brain.library.search_text import highlight, parse_query
from commerce_brain.library.segment import packaged_segmenter
from commerce_brain.store.schema import connect


@pytest.fixture
def engine(database_url):
    engine = connect(database_url)
    yield engine
    engine.dispose()


def labels(results) -> list[tuple[str, int]]:
    return [(r.doc_id, r.article) for r in results.rows]


# ---- segmentation on the seed texts (pure) ------------------------------------------------------

def test_article_8_segments_into_the_words_a_user_types():
    article = next(d for d in packaged_library().documents if d.id == "qz_innovation_2019").article(8)
    terms = packaged_segmenter().index_terms(article.text)
    # Search mode gives the long word and the words inside it; the domain dictionary keeps
    # 科研经费 and 国家高新技术企业 whole.
    assert {"研发", "研发投入", "投入", "科研经费", "国家高新技术企业", "补助"} <= set(terms)
    assert "，" not in terms and "%" not in terms


def test_a_query_keeps_only_words_and_widens_them_to_synonyms():
    segmenter = packaged_segmenter()
    assert parse_query(segmenter, "科研经费").groups == parse_query(segmenter, "研发").groups
    ipo = parse_query(segmenter, "IPO")
    assert "上市" in ipo.groups[0] and "ipo" in ipo.groups[0]
    assert len(parse_query(segmenter, "上市 IPO 首发").groups) == 1  # one group, asked once
    hostile = parse_query(segmenter, '"研发" OR * NEAR( ；：<b>')
    # Only word characters survive: no quote, star, colon, bracket reaches the index's syntax.
    assert all(w.isalnum() for group in hostile.groups for w in group)
    assert {"研发", "or", "near", "b"} <= {w for group in hostile.groups for w in group}
    assert parse_query(segmenter, "，。！？   ").empty


def test_highlight_escapes_the_text_and_marks_the_words():
    marked = highlight("对<script>alert(1)</script>的研发投入给予补助", ["研发投入", "script"], window=None)
    assert "<script>" not in marked
    assert "&lt;<mark>script</mark>&gt;" in marked and "<mark>研发投入</mark>" in marked


# ---- search in the store (SQLite and PostgreSQL) -------------------------------------------------

def test_research_finds_article_8_first_with_its_rule(engine):
    results = lb.search(engine, "研发")
    assert results.rows[0].doc_id == "qz_innovation_2019" and results.rows[0].article == 8
    assert "rd_subsidy" in [r["id"] for r in results.rows[0].rules]
    assert "<mark>研发投入</mark>" in results.rows[0].snippet_html
    assert results.rows[0].label == "第8条" and results.rows[0].in_force


def test_synonyms_find_what_the_text_words_differently(engine):
    assert labels(lb.search(engine, "科研经费"))[0] == ("qz_innovation_2019", 8)
    for query in ("IPO", "ipo", "上市"):
        found = labels(lb.search(engine, query))
        assert found[0] == ("qz_innovation_2019", 15), query  # 支持企业挂牌上市
    assert ("qz_innovation_2019", 8) in labels(lb.search(engine, "高企"))  # 国家高新技术企业


def test_no_match_punctuation_and_english(engine):
    assert lb.search(engine, "区块链元宇宙").total == 0
    assert lb.search(engine, "！！！？？？").total == 0
    assert lb.search(engine, "").total == 0
    # Punctuation and English around the words change nothing.
    assert labels(lb.search(engine, "研发！")) == labels(lb.search(engine, "研发"))
    assert labels(lb.search(engine, "IPO?上市"))[0] == ("qz_innovation_2019", 15)
    # FTS syntax typed by a user is words, not operators.
    # FTS syntax typed by a user is words, not operators (no error; "or"/"near" must be found).
    operators = lb.search(engine, 'NEAR(研发 补助) * "OR"')
    assert operators.total == 0 and {"near", "or"} <= set(operators.words)
    assert labels(lb.search(engine, "研发(补助)*")) == labels(lb.search(engine, "研发 补助"))


def test_script_in_a_query_is_text(engine):
    results = lb.search(engine, "<script>alert(1)</script>")
    assert results.total == 0 and "<script>" not in repr(results.rows)


def test_the_commerce_policy_is_searchable_though_it_computes_nothing(engine):
    found = lb.search(engine, "跨境电商")
    assert ("qz_commerce_2019", 2) in labels(found)
    assert all(not r.rules for r in found.rows if r.doc_id == "qz_commerce_2019")
    assert lb.search(engine, "大商贸资金").rows[0].doc_id == "qz_commerce_2019"


def test_filters(engine):
    commerce_only = lb.SearchFilters(department="市商务局")
    assert {r.doc_id for r in lb.search(engine, "企业", filters=commerce_only, limit=100).rows} == {"qz_commerce_2019"}
    science = lb.SearchFilters(department="市科技局")
    assert {r.doc_id for r in lb.search(engine, "企业", filters=science, limit=100).rows} == {"qz_innovation_2019"}
    assert lb.search(engine, "企业", filters=lb.SearchFilters(industry="电子商务")).rows[0].doc_id == "qz_commerce_2019"
    assert lb.search(engine, "企业", filters=lb.SearchFilters(kind="上市公司")).rows[0].doc_id == "qz_innovation_2019"
    # 江山市 is addressed by the innovation policy (全市) but not by the 大商贸 one (市本级 only).
    jiangshan = {r.doc_id for r in lb.search(engine, "企业", filters=lb.SearchFilters(region="330881"), limit=100).rows}
    kecheng = {r.doc_id for r in lb.search(engine, "企业", filters=lb.SearchFilters(region="330802"), limit=100).rows}
    city = {r.doc_id for r in lb.search(engine, "企业", filters=lb.SearchFilters(region="330800"), limit=100).rows}
    assert jiangshan == {"qz_innovation_2019"}
    assert kecheng == city == {"qz_innovation_2019", "qz_commerce_2019"}
    assert lb.search(engine, "企业", filters=lb.SearchFilters(department="不存在的部门")).total == 0


def test_in_force_filter_and_the_expired_flag(engine):
    later = date(2031, 1, 1)
    assert lb.search(engine, "研发", today=later).rows[0].in_force
    expired = lb.search(engine, "研发", today=date(2018, 6, 1))  # before valid_from: not yet in force
    assert not expired.rows[0].in_force
    assert lb.search(engine, "研发", filters=lb.SearchFilters(in_force=True), today=date(2018, 6, 1)).total == 0


def test_ranking_puts_the_densest_article_first_and_pages(engine):
    results = lb.search(engine, "补助", limit=5)
    scores = [r.score for r in results.rows]
    assert scores == sorted(scores, reverse=True) and results.total > 5
    second_page = lb.search(engine, "补助", limit=5, offset=5)
    assert not set(labels(results)) & set(labels(second_page))
    # A title match weighs more: 支持企业挂牌上市 (title) before 14 (上市 in the text only).
    assert labels(lb.search(engine, "上市"))[:2] == [("qz_innovation_2019", 15), ("qz_innovation_2019", 14)]


def test_sync_is_idempotent_and_versions_a_changed_document(engine):
    assert lb.sync_catalog_documents(engine) == 2  # both packaged documents, version 1
    assert lb.sync_catalog_documents(engine) == 0  # unchanged: nothing written
    library = packaged_library()
    changed = library.documents[0]
    edited = type(library)(documents=(type(changed)(**{**changed.__dict__, "title": changed.title + "（修订）"}),
                                      *library.documents[1:]),
                           vocabulary=library.vocabulary, synonyms=library.synonyms, terms=library.terms)
    assert lb.sync_catalog_documents(engine, edited) == 1
    assert lb.show_document(engine, changed.id)["version"] == 2
    assert lb.sync_catalog_documents(engine) == 1  # back to the packaged text: version 3
    shown = lb.show_document(engine, changed.id)
    assert shown["version"] == 3 and shown["title"] == changed.title
    # Only the current version is searched: no duplicate hits.
    hits = labels(lb.search(engine, "跨境电商", limit=100))
    assert len(hits) == len(set(hits))
