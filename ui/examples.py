"""Example questions for the chat, made from what is indexed (or taken from RAG_EXAMPLE_QUESTIONS).

Without an LLM we cannot write questions, so the examples ask about what the documents are visibly about: a
document's title (front matter ``title:``, its first Markdown heading or HTML ``<title>``) or, for plain text, the
name it mentions most often near its start (a run of capitalised words). The largest documents come first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from rag.types import Document

_FRONT_TITLE = re.compile(r"\A---\s*\n(?:.*\n)*?title:\s*[\"']?(?P<t>[^\n\"']+)[\"']?\s*\n(?:.*\n)*?---", re.M)
_HEADING = re.compile(r"^#{1,2}\s+(?P<t>[^\n{]+?)\s*(?:\{[^}]*\})?\s*$", re.M)
_HTML_TITLE = re.compile(r"<title>(?P<t>[^<]{2,120})</title>", re.I)
# Two to four capitalised words ("Joe Biden", "North Atlantic Treaty Organization"), not starting a sentence.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(?:[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,3})\b")
_HEAD_CHARS = 4000


def document_title(doc: Document) -> str | None:
    head = doc.text[:_HEAD_CHARS]
    for pattern in (_FRONT_TITLE, _HEADING, _HTML_TITLE):
        match = pattern.search(head)
        if match and match.group("t").strip():
            return match.group("t").strip()
    return None


def salient_name(doc: Document) -> str | None:
    counts = Counter(m.group() for m in _NAME.finditer(doc.text[:_HEAD_CHARS]))
    return counts.most_common(1)[0][0] if counts else None


def example_questions(documents: Mapping[str, Document], configured: list[str] | None = None,
                      n: int = 3) -> list[str]:
    """``configured`` when given, else up to ``n`` questions about the largest indexed documents."""
    if configured:
        return list(configured)[:n]
    out: list[str] = []
    for doc in sorted(documents.values(), key=lambda d: -len(d.text)):
        title = document_title(doc)
        if title:
            plural = title.endswith("s") and not title.endswith("ss") and " " not in title
            question = (f"What {'are' if plural else 'is'} {title}?" if len(title.split()) <= 3
                        else f"What does “{title}” cover?")
        else:
            name = salient_name(doc)
            question = f"What do the documents say about {name}?" if name else None
        if question and question not in out:
            out.append(question)
        if len(out) == n:
            break
    return out
