"""A policy's text split into articles: the section headings (一、…), the sub-headings
（一）… over articles, the numbered articles (8．… or 8. …) and the 附则.

Used by the officer's add page (pasted text) and by scripts/library_from_seed.py (the seed).
Pure: text in, article mappings out.
"""

from __future__ import annotations

import re

SECTION = re.compile(r"^([一二三四五六七八九十]+)、(.+)$")
SUBSECTION = re.compile(r"^（([一二三四五六七八九十]+)）(.+)$")
ARTICLE = re.compile(r"^(\d+)[．.](.*)$")
PAGE_NUMBER = re.compile(r"^[—-]\s*\d+\s*[—-]$")
MAX_HEADING = 30


def clean_lines(text: str) -> list[str]:
    """Non-empty lines without spaces (a PDF's text puts them between characters) or page numbers."""
    rows = (line.replace(" ", "").replace("\u3000", "").replace("\t", "").strip() for line in text.splitlines())
    return [r for r in rows if r and not PAGE_NUMBER.match(r)]


def split_preamble(lines: list[str]) -> tuple[str, list[str]]:
    """The text before the first section heading, and the lines from there on."""
    for i, line in enumerate(lines):
        if SECTION.match(line) and len(line) < MAX_HEADING:
            return "".join(lines[:i]), lines[i:]
    return "", lines


def split_articles(lines: list[str]) -> list[dict]:
    """Articles in reading order (number, section, title, text): numbered ones, the 附则 (0),
    and each section's opening text (numbered -1, -2, … in reading order: it has no number).

    Text with no heading and no number at all becomes one article, 第1条, titled by its first
    sentence, so a short notice can still be added.
    """
    articles: list[dict] = []
    section, current = "", None
    for line in lines:
        heading, sub, numbered = SECTION.match(line), SUBSECTION.match(line), ARTICLE.match(line)
        in_annex = current is not None and current["number"] == 0
        if heading and len(line) < MAX_HEADING:
            section = line
            current = {"number": 0 if heading.group(2) == "附则" else None, "section": section,
                       "title": heading.group(2), "text": ""}
            articles.append(current)
        elif sub and not in_annex and current is not None and len(line) < 40 and line.endswith("。"):
            # 三、主要任务 （一）打造“升级版”…: a sub-heading over the articles that follow.
            section = f"{section.split('（')[0]}{line}"
            current = None
        elif numbered and not in_annex:
            body = numbered.group(2)
            current = {"number": int(numbered.group(1)), "section": section, "title": body.split("。")[0][:100],
                       "text": body}
            articles.append(current)
        elif current is not None:
            current["text"] += line
        else:
            current = {"number": 1, "section": section, "title": line.split("。")[0][:100], "text": line}
            articles.append(current)
    kept = [a for a in articles if a["text"].strip()]
    openings = 0
    for a in kept:
        a["text"] = a["text"].strip()
        if a["number"] is None:
            openings += 1
            a["number"] = -openings
    return kept
