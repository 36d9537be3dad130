"""The library's model: a policy document with its metadata and its full text by article."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

SOURCES = ("catalog", "officer")


@dataclass(frozen=True)
class Article:
    """One article of a document. ``number`` 1, 2, …: the numbered articles; 0: the 附则; a
    negative number: the opening text of a section (一、指导思想 …), which carries no number."""

    number: int
    section: str
    title: str
    text: str

    @property
    def label(self) -> str:
        """How a reader names it: 第8条, 附则, or the section's heading."""
        if self.number > 0:
            return f"第{self.number}条"
        return "附则" if self.number == 0 else self.section


@dataclass(frozen=True)
class PolicyDocument:
    """A policy document: who issued it, when it applies, whom it addresses, and its articles."""

    id: str
    title: str
    doc_number: str | None
    issuer: str
    issued: date | None
    valid_from: date
    valid_until: date | None
    superseded_by: str | None
    departments: tuple[str, ...]
    industries: tuple[str, ...]
    enterprise_kinds: tuple[str, ...]
    regions: tuple[str, ...]
    source: str
    articles: tuple[Article, ...]
    preamble: str = ""
    validity_note: str = ""
    rules: dict[int, tuple[str, ...]] = field(default_factory=dict)  # article number → rule ids

    def in_force(self, on: date) -> bool:
        """Whether the document applies on ``on``: begun, not expired, not superseded."""
        return (self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)
                and not self.superseded_by)

    def article(self, number: int) -> Article:
        """The article numbered ``number``; KeyError when none."""
        for article in self.articles:
            if article.number == number:
                return article
        raise KeyError(number)
