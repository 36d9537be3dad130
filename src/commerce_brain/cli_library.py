"""``commerce-brain library …``: the policy library (政策工具箱): search it in Chinese, read a document."""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from .cli_common import DataDirOpt, DbOpt, Format, FormatOpt, err, open_store, out, warn

library_app = typer.Typer(help="Policy library (政策工具箱): full-text search in Chinese, documents by article.",
                          no_args_is_help=True)


def _print_json(value) -> None:
    out.print_json(json.dumps(value, ensure_ascii=False, default=str))


@library_app.command("search")
def library_search(
    query: Annotated[str, typer.Argument(help="What to look for, e.g. 研发 or IPO (synonyms are widened).")],
    department: Annotated[str | None, typer.Option("--department", help="Only documents of this department (市科技局).")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="Only documents addressing this industry.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only documents addressing this org unit (code).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only documents addressing this enterprise kind.")] = None,
    in_force: Annotated[bool, typer.Option("--in-force", help="Only documents in force today.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many hits at most.")] = 20,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """检索 Search the policy library's titles and articles (jieba segmentation, synonyms, filters)."""
    from .library_board import SearchFilters, search

    engine = open_store(db, data_dir, reads_only=True)
    filters = SearchFilters(department=department, industry=industry, region=region, kind=kind, in_force=in_force)
    results = search(engine, query, filters=filters, limit=limit)
    if fmt is Format.json:
        _print_json({"query": results.query, "words": list(results.words), "total": results.total,
                     "rows": [asdict(r) for r in results.rows]})
        return
    if not results.rows:
        warn(f"没有找到与“{query}”相关的条款")
        return
    table = Table(title=f"“{query}”共 {results.total} 条结果")
    for column in ("文件", "条款", "内容", "规则", "状态"):
        table.add_column(column)
    for row in results.rows:
        # The snippet without the page's <mark> tags: the matched words in 【】 instead.
        snippet = row.snippet_html.replace("<mark>", "【").replace("</mark>", "】")
        table.add_row(f"《{row.title}》", f"{row.label} {row.article_title}", html.unescape(snippet),
                      "、".join(r["name_zh"] for r in row.rules) or "—", "有效" if row.in_force else "已失效")
    out.print(table)


@library_app.command("show")
def library_show(
    policy: Annotated[str, typer.Argument(help="The document's id, e.g. qz_innovation_2019.")],
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """全文 A document of the library: metadata, validity and its full text by article, with the rules."""
    from .library_board import show_document
    from .store.fulfilment_tables import NotFound

    engine = open_store(db, data_dir, reads_only=True)
    try:
        document = show_document(engine, policy)
    except NotFound as exc:
        err.print(str(exc), markup=False, highlight=False, style="red")
        raise typer.Exit(1) from None
    if fmt is Format.json:
        _print_json(document)
        return
    state = "有效" if document["in_force"] else "已失效"
    out.print(f"《{document['title']}》{document['doc_number'] or ''}（{document['issuer']}，{state}）", highlight=False)
    out.print(f"生效：{document['valid_from']}　失效：{document['valid_until'] or '未规定'}　{document['validity_note']}",
              highlight=False, markup=False)
    for article in document["articles"]:
        rules = "、".join(r["name_zh"] for r in article["rules"])
        out.print(f"\n{article['label']}　{article['title']}" + (f"（规则：{rules}）" if rules else ""),
                  highlight=False, markup=False, style="bold")
        out.print(article["text"], highlight=False, markup=False)
