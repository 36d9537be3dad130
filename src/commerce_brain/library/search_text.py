"""A query as the full-text index reads it, and the matched words marked in the text.

``parse_query`` turns what a user typed (Chinese, English, punctuation, anything) into groups of
alternatives: every group must match, any word of a group will do (研发 → 研发 | 科研经费 | …).
Only word characters survive normalisation, so the FTS5 and tsquery expressions built here
cannot carry the user's syntax. ``highlight`` returns escaped HTML: user text is never markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .segment import Segmenter

MAX_QUERY_CHARS = 100
MAX_GROUPS = 8
SNIPPET_CHARS = 120


@dataclass(frozen=True)
class Query:
    """The words typed and, per word, its alternatives."""

    text: str
    groups: tuple[tuple[str, ...], ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    def words(self) -> list[str]:
        """Every alternative of every group, longest first (for highlighting)."""
        return sorted({w for g in self.groups for w in g}, key=lambda w: (-len(w), w))

    def fts5(self) -> str:
        """The SQLite FTS5 MATCH expression: ("研发" OR "科研经费") AND ("补助")."""
        return " AND ".join("(" + " OR ".join(f'"{w}"' for w in g) + ")" for g in self.groups)

    def tsquery(self) -> str:
        """The PostgreSQL tsquery text: ('研发' | '科研经费') & '补助'."""
        return " & ".join("(" + " | ".join(f"'{w}'" for w in g) + ")" for g in self.groups)


def parse_query(segmenter: Segmenter, text: str) -> Query:
    """The query ``text`` (cut to MAX_QUERY_CHARS) as groups of synonym alternatives."""
    text = (text or "")[:MAX_QUERY_CHARS]
    words = segmenter.query_words(text)[:MAX_GROUPS]
    # 上市 IPO is one group twice: asked once.
    return Query(text=text, groups=tuple(dict.fromkeys(segmenter.synonyms(w) for w in words)))


def _pattern(words: list[str]) -> re.Pattern | None:
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None


def highlight(text: str, words: list[str], *, window: int | None = SNIPPET_CHARS) -> str:
    """``text`` as escaped HTML with each of ``words`` in <mark>; with ``window``, only the
    stretch around the first match (… where cut)."""
    pattern = _pattern(words)
    first = pattern.search(text) if pattern else None
    if window is not None and len(text) > window:
        start = max(0, (first.start() if first else 0) - window // 4)
        end = min(len(text), start + window)
        prefix, suffix = ("…" if start else ""), ("…" if end < len(text) else "")
        text = text[start:end]
    else:
        prefix = suffix = ""
    if not pattern:
        return html.escape(prefix + text + suffix)
    parts, at = [], 0
    for match in pattern.finditer(text):
        parts.append(html.escape(text[at:match.start()]))
        parts.append(f"<mark>{html.escape(match.group())}</mark>")
        at = match.end()
    parts.append(html.escape(text[at:]))
    return html.escape(prefix) + "".join(parts) + html.escape(suffix)
