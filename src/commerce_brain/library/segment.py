"""Chinese word segmentation for the library: jieba with the domain dictionary and synonyms.

jieba's own dictionary ships inside its wheel, so nothing is downloaded; the domain words (the
synonym groups, the extra terms and the vocabulary of the library catalog) are added to a
private tokenizer, so 科研经费 or 高新技术企业 come out as one word and the process-wide
``jieba`` state is left alone.

Indexing uses jieba's search mode (every word and the shorter words inside it: 研发投入 gives
研发, 投入, 研发投入), so a query of either the long or the short word finds the text. Queries
use the precise mode (the longest words), each word then widened to its synonym group.
"""

from __future__ import annotations

import logging
import re
from functools import cache

import jieba

from .catalog import Library, packaged_library

WORD = re.compile(r"\w", re.UNICODE)
# Words too common to tell articles apart; dropping them keeps the index and the queries lean.
STOPWORDS = frozenset("的 了 和 与 及 或 对 在 按 为 是 等 其 之 以 并 由 将 从 于 上 中".split())


def normalise(token: str) -> str | None:
    """A token as indexed: lower case, stripped; None for punctuation, spaces and stop words."""
    token = token.strip().lower()
    if not token or not WORD.search(token) or token in STOPWORDS:
        return None
    # Keep only word characters, so no token can carry FTS5 or tsquery syntax (", *, :, &, …).
    token = "".join(ch for ch in token if WORD.match(ch))
    return token or None


class Segmenter:
    """jieba with the library's dictionary; ``index_terms`` for documents, ``query_terms`` for
    queries (each a tuple of synonym alternatives)."""

    def __init__(self, library: Library):
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        words = {w for group in library.synonyms for w in group} | set(library.terms)
        words |= {w for facet in ("departments", "industries", "enterprise_kinds")
                  for w in getattr(library.vocabulary, facet)}
        for word in sorted(words):
            # A high frequency makes jieba keep the domain word whole over its parts.
            self._tokenizer.add_word(word, freq=200_000)
        self._groups: dict[str, tuple[str, ...]] = {}
        for group in library.synonyms:
            members = tuple(dict.fromkeys(t for t in (normalise(w) for w in group) if t))
            for member in members:
                self._groups[member] = tuple(dict.fromkeys((*self._groups.get(member, ()), *members)))

    def index_terms(self, text: str) -> list[str]:
        """Every searchable token of ``text`` (search mode), in order, normalised."""
        return [t for t in (normalise(w) for w in self._tokenizer.cut_for_search(text, HMM=False)) if t]

    def index_text(self, text: str) -> str:
        """The tokens of ``text`` joined by spaces: what the full-text index stores."""
        return " ".join(self.index_terms(text))

    def query_words(self, query: str) -> list[str]:
        """The words of a query (precise mode), normalised, without repeats."""
        words = (normalise(w) for w in self._tokenizer.cut(query, HMM=False))
        return list(dict.fromkeys(w for w in words if w))

    def synonyms(self, word: str) -> tuple[str, ...]:
        """``word`` and the words of its synonym group (itself alone when it has none)."""
        return self._groups.get(word, (word,))


@cache
def packaged_segmenter() -> Segmenter:
    """The segmenter for the packaged library, built once per process."""
    return Segmenter(packaged_library())
