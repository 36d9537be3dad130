"""Benchmark: the policy library's search over 10,000 articles, p95 of 200 queries, SQLite and
PostgreSQL.

The articles are made from the seed's (the two 004 policies in catalog/library): each generated
article takes a seed article's sentences in a seeded shuffled order, so the words and their
frequencies are the policies' own; 250 documents of 40 articles each, with departments,
industries, kinds, regions and validity drawn from the vocabulary. The 200 queries are words and
pairs a user would type (研发, IPO, 跨境电商, 高企 奖励 …), a quarter with a filter. Each query is
timed whole as the pages call it: segmentation and synonyms, the metadata filter in Polars, the
full-text index (FTS5 / GIN tsvector), the page of 20 hits and their highlights. Target: p95
under 50 ms on each database. Figures and the command are recorded in bench/README.md.
Run: ``make bench-library`` (or ``.venv/bin/python bench/bench_library_search.py``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from commerce_brain import library_board as lb
from commerce_brain.library.catalog import Library, packaged_library
from commerce_brain.library.documents import Article, PolicyDocument
from commerce_brain.store.schema import connect

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 50.0
WORDS = ["研发", "科研经费", "上市", "IPO", "补助", "奖励", "电商", "跨境电商", "高企", "专利", "知识产权", "首台",
         "小微企业", "数字化改造", "品牌", "标准", "绿色", "贴息", "物流", "外贸", "孵化器", "企业技术中心", "新三板",
         "人才", "创新券", "两化融合", "亩产效益", "供应链", "餐饮", "未来社区", "区块链"]
FILTERS = [lb.SearchFilters(department="市科技局"), lb.SearchFilters(region="330802"),
           lb.SearchFilters(in_force=True), lb.SearchFilters(industry="电子商务", in_force=True)]


def generated_library(documents: int, per_document: int, seed: int) -> Library:
    """``documents`` × ``per_document`` articles made from the seed's articles (see the docstring)."""
    packaged = packaged_library()
    rng = random.Random(seed)
    sources = [a for d in packaged.documents for a in d.articles if a.number > 0 and len(a.text) > 40]
    vocabulary = packaged.vocabulary
    made = []
    for n in range(documents):
        articles = []
        for number in range(1, per_document + 1):
            source = rng.choice(sources)
            sentences = [s for s in source.text.split("。") if s]
            rng.shuffle(sentences)
            articles.append(Article(number=number, section=source.section, title=source.title,
                                    text="。".join(sentences) + "。"))
        start = date(2015 + rng.randrange(8), 1, 1)
        made.append(PolicyDocument(
            id=f"bench_{n:04d}", title=f"{rng.choice(packaged.documents).title}（第{n + 1}号）", doc_number=None,
            issuer="衢州市人民政府", issued=None, valid_from=start,
            valid_until=None if rng.random() < 0.7 else date(start.year + 3, 12, 31), superseded_by=None,
            departments=tuple(rng.sample(vocabulary.departments, 2)),
            industries=tuple(rng.sample(vocabulary.industries, 3)),
            enterprise_kinds=tuple(rng.sample(vocabulary.enterprise_kinds, 2)),
            regions=(rng.choice(["330800", "330802", "330881", "330803"]),), source="catalog",
            articles=tuple(articles)))
    return replace(packaged, documents=tuple(made))


def queries(count: int, seed: int) -> list[tuple[str, lb.SearchFilters | None]]:
    rng = random.Random(seed)
    found = []
    for i in range(count):
        text = rng.choice(WORDS) if rng.random() < 0.6 else f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
        found.append((text, rng.choice(FILTERS) if i % 4 == 0 else None))
    return found


def one_database(url: str, library: Library, asked: list) -> tuple[float, list[float], int]:
    engine = connect(url)
    start = time.perf_counter()
    lb.sync_catalog_documents(engine, library)
    lb.sync_catalog_documents(engine)  # the packaged two as well, as a site has them
    loaded = time.perf_counter() - start
    lb.search(engine, "研发")  # warm up: the segmenter's dictionary, the first connection
    times, hits = [], 0
    for text, filters in asked:
        began = time.perf_counter()
        results = lb.search(engine, text, filters=filters)
        times.append((time.perf_counter() - began) * 1000)
        hits += results.total
    engine.dispose()
    return loaded, times, hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=250)
    parser.add_argument("--articles", type=int, default=40, help="Articles per document.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    library = generated_library(args.documents, args.articles, seed=13)
    asked = queries(args.queries, seed=13)
    total = sum(len(d.articles) for d in library.documents)
    print(f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    print(f"library: {len(library.documents):,} documents, {total:,} articles; {len(asked)} queries")
    failed = False
    with tempfile.TemporaryDirectory(prefix="cb-bench-library-") as folder:
        for database in args.databases:
            if database == "sqlite":
                loaded, times, hits = one_database(f"sqlite:///{folder}/store.sqlite3", library, asked)
            else:
                sys.path.insert(0, str(ROOT / "tests"))
                from pg_server import TemporaryPostgres, fresh_database  # the tests' throwaway cluster

                server = TemporaryPostgres()
                try:
                    loaded, times, hits = one_database(fresh_database(server.start(), "library"), library, asked)
                finally:
                    server.stop()
            p95 = statistics.quantiles(times, n=100)[94]
            failed |= p95 >= TARGET_MS
            print(f"\n{database}: indexed in {loaded:.1f} s; {hits:,} hits in all")
            print(f"  per query: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
                  f"(target p95 < {TARGET_MS:.0f} ms: {'met' if p95 < TARGET_MS else 'MISSED'})")
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
