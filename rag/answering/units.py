"""Answer units: the spans an extractive answer may quote.

A chunk's ``sentences`` are its units: pysbd sentences today; prose sentences, whole list items, table rows and
code blocks once ingestion is structure-aware (then ``chunk.unit_kinds`` names each unit's kind, and headings,
front matter, anchors and shortcodes are never units). Until then ``answer_spans`` drops what can never be an
answer in a Markdown file: heading lines, front matter, template shortcodes, HTML comments and rules.

``continuation``: a unit may be one sentence of a bullet or paragraph whose value sits in the next sentence
("`option` - Sets the maximum time." then "Defaults to `30s`."); when the chosen unit lacks the kind of value the
question asks for and the sentence that continues it (same paragraph or list item) holds it, both are cited as one
verbatim span. For a yes/no question the value asked for is a "no": a unit that does not deny the question is
extended over the next sentence of its paragraph when that one does ("`uv` creates a virtual environment for the
project automatically." then "You don't need to create or activate one yourself."), and the answer then opens with
"No: " (rag.answering.yes_no).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answering.short_answer import COUNT, QUANTITY, TIME, VALUE, expected_type
from rag.answering.yes_no import asks_yes_or_no, denies
from rag.types import Chunk, Document

_NOT_ANSWER = re.compile(
    r"#{1,6}\s.*"  # Markdown heading
    r"|\{\{[<%].*[>%]\}\}"  # Hugo/Jinja-like shortcode line
    r"|<!--.*-->"  # HTML comment
    r"|(?:-{3,}|\*{3,}|_{3,}|={3,})"  # rule / front matter delimiter / setext underline
    r"|```.*|~~~.*",  # code fence line
    re.DOTALL,
)
_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)\n.*?\n(?:---|\+\+\+)\n", re.DOTALL)
_VALUE = re.compile(r"`[^`\n]+`|(?<![\w.])\d[\d,.]*(?![\w])|\bdefaults?\b|\bdefault value\b", re.IGNORECASE)
_NEW_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")
_VALUE_KINDS = {VALUE, COUNT, QUANTITY, TIME}


MAX_UNIT_CHARS = 600
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'”’)\]*]*$")


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    parts: tuple[tuple[int, int], ...]  # the chunk's spans it is made of (one, or the lines of a wrapped sentence)
    kind: str | None = None


def answer_units(chunk: Chunk, doc: Document) -> list[Unit]:
    """The chunk's units that may be quoted as an answer, in document order. With structure-aware ingestion
    (``chunk.unit_kinds``) they are the chunk's spans as they are. Before it, the spans are pysbd sentences cut at
    line ends, so a sentence of a hard-wrapped Markdown paragraph arrives in pieces: a piece that does not end a
    sentence is joined with the line that continues it (same paragraph, not a new list item), and lines that are
    never answer text (headings, front matter, shortcodes, comments, rules, fences) are dropped."""
    spans = list(chunk.sentences or ((chunk.start, chunk.end),))
    kinds = tuple(getattr(chunk, "unit_kinds", ()) or ())
    if kinds:
        return [Unit(s, e, ((s, e),), k) for (s, e), k in zip(spans, kinds)]
    front = _FRONT_MATTER.match(doc.text)
    front_end = front.end() if front else 0
    kept = [(s, e) for s, e in spans if s >= front_end and not _NOT_ANSWER.fullmatch(doc.text[s:e].strip())]
    units: list[Unit] = []
    for start, end in kept or spans:
        last = units[-1] if units else None
        if last is not None and _continues(doc.text, last, start, end):
            units[-1] = Unit(last.start, end, (*last.parts, (start, end)))
        else:
            units.append(Unit(start, end, ((start, end),)))
    return units


def _continues(text: str, unit: Unit, start: int, end: int) -> bool:
    between = text[unit.end:start]
    return (between.count("\n") == 1 and not between.strip() and end - unit.start <= MAX_UNIT_CHARS
            and not _ENDS_SENTENCE.search(text[unit.start:unit.end]) and not _NEW_ITEM.match(text[start:end]))


def answer_spans(chunk: Chunk, doc: Document) -> list[tuple[int, int]]:
    """The (start, end) of each answer unit of the chunk."""
    return [(u.start, u.end) for u in answer_units(chunk, doc)]


def continuation(question: str, doc: Document, span: tuple[int, int], next_span: tuple[int, int] | None,
                 kinds: tuple[str, str | None] | None = None) -> tuple[int, int]:
    """``span`` extended over ``next_span`` when that sentence continues it and holds the value asked for."""
    if next_span is None or next_span[0] < span[1]:
        return span
    if kinds is not None and kinds != ("sentence", "sentence"):
        return span  # list items, table rows and code blocks are whole units already
    info = expected_type(question)
    asks_value = info.kind in _VALUE_KINDS or "default" in info.folded
    yes_no = asks_yes_or_no(question)
    if not asks_value and not yes_no:
        return span
    between = doc.text[span[1]:next_span[0]]
    if between.count("\n") > 1 or ("\n" in between and _NEW_ITEM.match(doc.text[next_span[0]:next_span[1]])):
        return span  # a blank line or a new list item: not the same paragraph
    if _NOT_ANSWER.fullmatch(doc.text[next_span[0]:next_span[1]].strip()):
        return span
    # a yes/no question's value may be a "no": the next sentence saying no to what is asked ("Is X on by default?"
    # also asks a value, and still gets the sentence that states it)
    if yes_no and denies(question, doc.text[next_span[0]:next_span[1]]) \
            and not denies(question, doc.text[span[0]:span[1]]):
        return span[0], next_span[1]
    if not asks_value:
        return span
    if _has_value(doc.text[span[0]:span[1]], question) or not _has_value(doc.text[next_span[0]:next_span[1]],
                                                                         question):
        return span
    return span[0], next_span[1]


def _has_value(text: str, question: str) -> bool:
    asked = question.lower()
    return any(m.group().strip("`").lower() not in asked for m in _VALUE.finditer(text))
