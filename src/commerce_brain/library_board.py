"""The policy library (政策工具箱) workflow: the catalog's documents into the store, the policy
officer's new documents (audited), search and reading.

Documents live in the store (``store/library_tables``); the packaged catalog
(``catalog/library``) is written there by ``sync_catalog_documents`` — at start-up, on
``db upgrade`` and before the first search of a process — a changed file becoming the document's
next version. Search runs in the database's own full-text index (FTS5 on SQLite, a GIN-indexed
tsvector on PostgreSQL) over jieba's tokens; the metadata filters run in Polars over the
(few hundred at most) current documents, and only the page of hits asked for is highlighted.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from functools import cache
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import polars as pl
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text, update

from .library.catalog import Library, build_document, packaged_library, rules_by_article
from .library.documents import Article, PolicyDocument
from .library.search_text import Query, highlight, parse_query
from .library.segment import Segmenter, packaged_segmenter
from .store.audit import record
from .store.fulfilment_tables import FulfilmentError, NotFound, actor_name
from .store.library_tables import SEARCH_VECTOR
from .store.library_tables import library_articles as la
from .store.library_tables import library_documents as ld

SYSTEM = "system"
MAX_LIMIT = 100
LIST_FACETS = ("departments", "industries", "enterprise_kinds", "regions")
_synced: weakref.WeakSet = weakref.WeakSet()
_frames: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine → (largest id, frame)


class LibraryError(FulfilmentError):
    """A document the library refuses (an id taken by the catalog, no articles, …)."""


@dataclass(frozen=True)
class SearchFilters:
    """Narrow a search: a department, industry, region (org-unit code; a document addressing the
    city covers its counties), enterprise kind, and whether only documents in force."""

    department: str | None = None
    industry: str | None = None
    region: str | None = None
    kind: str | None = None
    in_force: bool = False


@dataclass(frozen=True)
class SearchRow:
    """One matching article."""

    doc_id: str
    title: str
    doc_number: str | None
    article: int
    label: str
    section: str
    article_title: str
    snippet_html: str  # escaped HTML, the matched words in <mark>
    score: float
    in_force: bool
    rules: tuple[dict, ...]  # {"id", "name_zh"} of the rules encoding the article


@dataclass(frozen=True)
class SearchResults:
    """A page of hits, best first, and how many there are in all."""

    query: str
    words: tuple[str, ...]
    total: int
    rows: tuple[SearchRow, ...] = field(default=())


# ---- writing ----------------------------------------------------------------------------------

def digest(document: PolicyDocument) -> str:
    """A fingerprint of the document's content (not its rule links, which the catalog derives)."""
    content = {k: v for k, v in asdict(document).items() if k not in ("rules", "source")}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _store(conn: Connection, document: PolicyDocument, *, actor: str, segmenter: Segmenter) -> int:
    """Write ``document`` as its next version (the only current one) with its articles and
    index entries; returns the version."""
    previous = conn.execute(select(ld.c.id, ld.c.version).where(ld.c.doc_id == document.id, ld.c.current)).first()
    version = previous.version + 1 if previous else 1
    sqlite = conn.dialect.name == "sqlite"
    if previous:
        conn.execute(update(ld).where(ld.c.id == previous.id).values(current=False))
        if sqlite:  # the FTS table holds current articles only
            conn.execute(text("DELETE FROM library_search WHERE rowid IN "
                              "(SELECT id FROM library_articles WHERE document = :d)"), {"d": previous.id})
    row_id = conn.execute(insert(ld).values(
        doc_id=document.id, version=version, current=True, title=document.title, doc_number=document.doc_number,
        issuer=document.issuer, issued=document.issued, valid_from=document.valid_from,
        valid_until=document.valid_until, superseded_by=document.superseded_by,
        **{f: json.dumps(list(getattr(document, f)), ensure_ascii=False) for f in LIST_FACETS},
        preamble=document.preamble, validity_note=document.validity_note, source=document.source,
        digest=digest(document), added_by=actor, added_at=datetime.now(UTC),
    )).inserted_primary_key[0]
    # The document's title rides with every article's title: a search for 大商贸 finds its articles.
    conn.execute(insert(la), [
        {"document": row_id, "position": n, "number": a.number, "section": a.section, "title": a.title,
         "text": a.text, "title_terms": segmenter.index_text(f"{document.title} {a.title}"),
         "terms": segmenter.index_text(a.text)}
        for n, a in enumerate(document.articles)
    ])
    if sqlite:
        conn.execute(text("INSERT INTO library_search (rowid, title, body) "
                          "SELECT id, title_terms, terms FROM library_articles WHERE document = :d"), {"d": row_id})
    else:
        conn.execute(text(f"UPDATE library_articles SET search_vector = {SEARCH_VECTOR} WHERE document = :d"),
                     {"d": row_id})
    return version


def sync_catalog_documents(engine: Engine, library: Library | None = None) -> int:
    """Write the catalog's documents into the store; an unchanged one is left alone (idempotent),
    a changed one becomes its next version (audited ``library.sync``). Returns how many changed."""
    library = library or packaged_library()
    segmenter = packaged_segmenter() if library is packaged_library() else Segmenter(library)
    changed = 0
    with engine.begin() as conn:
        stored = dict(conn.execute(select(ld.c.doc_id, ld.c.digest).where(ld.c.current)).all())
        for document in library.documents:
            if stored.get(document.id) == digest(document):
                continue
            version = _store(conn, document, actor=SYSTEM, segmenter=segmenter)
            record(conn, actor=SYSTEM, action="library.sync", object=f"library:{document.id}",
                   detail={"doc_id": document.id, "title": document.title, "version": version,
                           "articles": len(document.articles)})
            changed += 1
    _synced.add(engine)
    return changed


def ensure_synced(engine: Engine) -> None:
    """Sync the catalog once per engine and process (the first search or read)."""
    if engine not in _synced:
        sync_catalog_documents(engine)


def add_document(engine: Engine, document: PolicyDocument, *, actor) -> int:
    """A policy officer's new document (or a new version of one the officer added before),
    audited ``library.add`` in the same transaction; returns the version. The catalog's
    documents are changed in the catalog, not here."""
    name = actor_name(actor, "edit_rules")
    if document.id in {d.id for d in packaged_library().documents}:
        raise LibraryError(f"编号“{document.id}”已是政策库自带文件，请换一个编号")
    if not any(a.number > 0 for a in document.articles):
        raise LibraryError("正文中没有找到条款（应以“1．”“2．”等开头分条）")
    document = PolicyDocument(**{**document.__dict__, "source": "officer", "rules": {}})
    with engine.begin() as conn:
        version = _store(conn, document, actor=name, segmenter=packaged_segmenter())
        record(conn, actor=name, action="library.add", object=f"library:{document.id}",
               detail={"doc_id": document.id, "title": document.title, "version": version,
                       "articles": len(document.articles), "valid_from": str(document.valid_from),
                       "valid_until": str(document.valid_until) if document.valid_until else None})
    return version


def document_from_form(fields: dict, articles: list[dict]) -> PolicyDocument:
    """A document from the add page's fields and its split text, checked against the
    vocabulary (CatalogError names what is wrong)."""
    library = packaged_library()
    raw = {k: v for k, v in fields.items() if v not in (None, "", [])}
    return build_document({**raw, "articles": articles}, library.vocabulary, "新增文件", source="officer")


# ---- reading ----------------------------------------------------------------------------------

def _current_frame(conn: Connection) -> pl.DataFrame:
    """The current documents' metadata (lists decoded), kept per engine until a document is
    written (a new row raises the largest id): a search then reads one number, not every row."""
    newest = conn.execute(select(func.max(ld.c.id))).scalar()
    cached = _frames.get(conn.engine)
    if cached is not None and cached[0] == newest:
        return cached[1]
    rows = conn.execute(select(ld).where(ld.c.current)).mappings().all()
    frame = pl.DataFrame([dict(r) for r in rows], schema={c.name: None for c in ld.columns} if not rows else None,
                         infer_schema_length=None)
    if not frame.is_empty():
        frame = frame.with_columns(pl.col(f).str.json_decode(pl.List(pl.String)) for f in LIST_FACETS)
    _frames[conn.engine] = (newest, frame)
    return frame


def in_force_expr(today: date) -> pl.Expr:
    """Begun, not expired, not superseded — over the documents frame."""
    return ((pl.col("valid_from") <= today)
            & (pl.col("valid_until").is_null() | (pl.col("valid_until") >= today))
            & pl.col("superseded_by").is_null())


def _related_regions(region: str) -> list[str]:
    """The region, every org unit above it (a document for 衢州市 addresses 柯城区 too) and
    every one below it (asking for 衢州市 finds a document for its 柯城区)."""
    from .policy.engine import packaged

    catalog, code = packaged()[1], region
    found = sorted(catalog.subtree(region)) if region in catalog.org_unit_names() else []
    while code:
        if code not in found:
            found.append(code)
        try:
            code = catalog.org_unit(code).parent
        except KeyError:
            break
    return found


def filter_documents(frame: pl.DataFrame, filters: SearchFilters, today: date) -> pl.DataFrame:
    """The current documents the filters let through, with ``in_force``; columnar."""
    frame = frame.with_columns(in_force_expr(today).alias("in_force"))
    keep = pl.lit(True)
    for facet, wanted in (("departments", filters.department), ("industries", filters.industry),
                          ("enterprise_kinds", filters.kind)):
        if wanted:
            keep = keep & pl.col(facet).list.contains(wanted)
    if filters.region:
        wanted_regions = _related_regions(filters.region)
        keep = keep & pl.col("regions").list.eval(pl.element().is_in(wanted_regions)).list.any()
    if filters.in_force:
        keep = keep & pl.col("in_force")
    return frame.filter(keep)


def _hits(conn: Connection, query: Query, documents: list[int], *, limit: int, offset: int):
    """(total, rows) of the index's matches among ``documents``, best first: one pass, the total
    counted alongside (a window over the matches) rather than by a second search."""
    ids = bindparam("documents", documents, expanding=True)
    if conn.dialect.name == "sqlite":
        match = "library_search MATCH :q AND a.document IN :documents"
        source = "library_search JOIN library_articles a ON a.id = library_search.rowid"
        score = "-bm25(library_search, 3.0, 1.0)"  # bm25: lower is better; the title weighs 3×
        params = {"q": query.fts5()}
    else:
        source = "library_articles a"
        match = "a.search_vector @@ to_tsquery('simple', :q) AND a.document IN :documents"
        score = "ts_rank(a.search_vector, to_tsquery('simple', :q))"  # GIN-indexed, written with the row
        params = {"q": query.tsquery()}
    # FTS5 allows bm25() only in the query over the table itself: the window sits outside it.
    # The matches are ranked on (id, score) alone; only the page's rows fetch their text.
    rows = conn.execute(text(
        "SELECT a.id, a.document, a.number, a.section, a.title, a.text, page.score, page.total FROM ("
        "SELECT hit.id, hit.score, hit.document, hit.position, count(*) OVER () AS total FROM ("
        f"SELECT a.id, a.document, a.position, {score} AS score FROM {source} WHERE {match}) AS hit "
        "ORDER BY hit.score DESC, hit.document, hit.position LIMIT :limit OFFSET :offset) AS page "
        "JOIN library_articles a ON a.id = page.id ORDER BY page.score DESC, page.document, page.position"
    ).bindparams(ids), {**params, "limit": limit, "offset": offset}).mappings().all()
    if rows:
        return rows[0]["total"], rows
    if not offset:
        return 0, rows
    total = conn.execute(text(f"SELECT count(*) FROM {source} WHERE {match}").bindparams(ids), params).scalar_one()
    return total, rows


@cache
def rule_names() -> dict[str, str]:
    """rule id → its Chinese name (the packaged policy catalog)."""
    from .policy.engine import packaged

    return {r.id: r.name_zh for r in packaged()[0].rules()}


def search(engine: Engine, query: str, *, filters: SearchFilters | None = None, limit: int = 20, offset: int = 0,
           today: date | None = None) -> SearchResults:
    """Articles matching ``query`` (Chinese segmented, synonyms widened), filtered, ranked by the
    index's relevance (a match in a title counts more), a page of ``limit`` from ``offset``."""
    ensure_synced(engine)
    filters, today = filters or SearchFilters(), today or date.today()
    limit, offset = max(1, min(int(limit), MAX_LIMIT)), max(0, int(offset))
    parsed = parse_query(packaged_segmenter(), query)
    words = parsed.words()
    if parsed.empty:
        return SearchResults(query=parsed.text, words=(), total=0)
    with engine.connect() as conn:
        frame = _current_frame(conn)
        documents = filter_documents(frame, filters, today) if frame.height else frame
        if documents.is_empty():
            return SearchResults(query=parsed.text, words=tuple(words), total=0)
        total, hits = _hits(conn, parsed, documents["id"].to_list(), limit=limit, offset=offset)
    by_row = {r["id"]: r for r in documents.select("id", "doc_id", "title", "doc_number", "in_force").to_dicts()}
    links, names = rules_by_article(), rule_names()
    rows = []
    for hit in hits:
        doc = by_row[hit["document"]]
        article = Article(number=hit["number"], section=hit["section"], title=hit["title"], text=hit["text"])
        rule_ids = links.get(doc["doc_id"], {}).get(hit["number"], ()) if hit["number"] > 0 else ()
        rows.append(SearchRow(
            doc_id=doc["doc_id"], title=doc["title"], doc_number=doc["doc_number"], article=hit["number"],
            label=article.label, section=hit["section"], article_title=hit["title"],
            snippet_html=highlight(hit["text"], words), score=round(float(hit["score"]), 6),
            in_force=bool(doc["in_force"]), rules=tuple({"id": r, "name_zh": names.get(r, r)} for r in rule_ids),
        ))
    return SearchResults(query=parsed.text, words=tuple(words), total=total, rows=tuple(rows))


def show_document(engine: Engine, doc_id: str, *, today: date | None = None) -> dict:
    """The current version of a document with its articles (each with its rules), whether it is
    in force, and its version; NotFound when there is none."""
    ensure_synced(engine)
    today = today or date.today()
    with engine.connect() as conn:
        doc = conn.execute(select(ld).where(ld.c.doc_id == doc_id, ld.c.current)).mappings().first()
        if doc is None:
            raise NotFound("未找到：政策库中没有这份文件")
        articles = conn.execute(select(la).where(la.c.document == doc["id"]).order_by(la.c.position)).mappings().all()
    links, names = rules_by_article().get(doc_id, {}), rule_names()
    in_force = (doc["valid_from"] <= today and (doc["valid_until"] is None or today <= doc["valid_until"])
                and not doc["superseded_by"])
    record_ = {k: doc[k] for k in ("doc_id", "version", "title", "doc_number", "issuer", "issued", "valid_from",
                                   "valid_until", "superseded_by", "preamble", "validity_note", "source")}
    record_.update({f: json.loads(doc[f]) for f in LIST_FACETS})
    record_["in_force"] = in_force
    record_["articles"] = [
        {"number": a["number"], "label": Article(a["number"], a["section"], a["title"], a["text"]).label,
         "section": a["section"], "title": a["title"], "text": a["text"],
         "rules": [{"id": r, "name_zh": names.get(r, r)} for r in (links.get(a["number"], ()) if a["number"] > 0 else ())]}
        for a in articles
    ]
    return record_


def list_documents(engine: Engine, *, today: date | None = None) -> list[dict]:
    """Every current document (id, title, 文号, issuer, validity, in force), by title."""
    ensure_synced(engine)
    today = today or date.today()
    with engine.connect() as conn:
        frame = _current_frame(conn)
    if frame.is_empty():
        return []
    return (frame.with_columns(in_force_expr(today).alias("in_force"))
            .select("doc_id", "title", "doc_number", "issuer", "valid_from", "valid_until", "in_force", "source")
            .sort("title").to_dicts())
