"""How a citation reads for people: the document's title, its 文号 and the table or article.

The seed file a figure was read from stays in the catalog as provenance, but never reaches a page,
a report or the terminal: a civil servant looks a document up by its title and number."""

from __future__ import annotations


def document_label(title: str, doc_number: str | None = None) -> str:
    """《title》 followed by （文号） when the document has one."""
    return f"《{title}》" + (f"（{doc_number}）" if doc_number else "")


def cite(title: str, doc_number: str | None, section: str, quote: str | None = None) -> str:
    """A citation as printed: 「quote」（《title》（文号）section）, or the bare place without a quote.

    >>> cite("衢州市商务高质量发展“十四五”规划", "衢发改发〔2021〕18号", "表2")
    '《衢州市商务高质量发展“十四五”规划》（衢发改发〔2021〕18号）表2'
    >>> cite("关于推进创新驱动加快经济高质量发展若干政策意见", None, "第三条", "给予奖励")
    '「给予奖励」（《关于推进创新驱动加快经济高质量发展若干政策意见》第三条）'
    """
    place = f"{document_label(title, doc_number)}{section}"
    return f"「{quote}」（{place}）" if quote else place
