"""Questions that ask what an abbreviation stands for, answered where the documents define it.

"What does CRI stand for?", "What is HPA short for?", "What's the full name of RBAC?": the answer is the long form
that a document writes next to the abbreviation, "Container Runtime Interface (CRI)", "EEZ (exclusive economic
zone)" or "CRI stands for ...". The unit scorer and the reader look for words and typed spans, and such a unit
holds none of the question's words but the abbreviation itself, so these questions were refused or answered with
another sentence that names it. A definition is found letter by letter instead, the way Schwartz and Hearst (2003)
find abbreviation-definition pairs: every character of the abbreviation, in order, starts a word of the long form
or continues the word the previous one started, and every word of the long form but "of", "and", ... is used.

Written here rather than taken from the ``abbreviations`` package (a port of that algorithm, last released in
2019): it works on whole lines, raises on unbalanced parentheses, which Markdown has plenty of, and matches
neither "ABBR (long form)" nor the parts of a camel-case or hyphenated long form ("PodDisruptionBudget (PDB)",
"Indo-Pacific Four (IP4)", whose digit is a number word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

# The question forms; ``abbr`` is the abbreviation as the user typed it.
_Q = r"[\"'`“‘]?(?P<abbr>[A-Za-z][A-Za-z0-9&]{1,9})[\"'`”’]?"
_WHAT = r"\bwhat(?:\s+(?:does|do|did|is|was)|'s|’s)"
_ASKS = [re.compile(p, re.IGNORECASE) for p in (
    rf"{_WHAT}\s+(?:the\s+)?(?:acronym\s+|abbreviation\s+|initialism\s+)?{_Q}\s+(?:stands?|stood)\s+for\b",
    rf"{_WHAT}\s+(?:the\s+)?(?:acronym\s+|abbreviation\s+)?{_Q}\s+(?:short|an?\s+(?:acronym|abbreviation))\s+"
    r"(?:for|of)\b",
    rf"\b(?:full|long|expanded)\s+(?:name|form)\s+(?:of|for)\s+(?:the\s+)?(?:acronym\s+|abbreviation\s+)?{_Q}"
    r"(?=[\s?.,!]|$)",
    rf"{_WHAT}\s+(?:the\s+)?(?:acronym|abbreviation|initialism)\s+{_Q}\s+mean\b",
    rf"{_WHAT}\s+{_Q}\s+mean\b",  # only for a word written as an abbreviation (asked_abbreviation)
    # "What is a PDB?", "What are PVCs?": the whole question, an abbreviation as its subject; the unit that
    # defines it is the answer. Only for a word written as an abbreviation (asked_abbreviation).
    rf"^\s*what(?:\s+(?:is|are)|'s|’s)\s+(?:an?\s+|the\s+)?{_Q}(?:\s+in\s+[^?]{{1,40}})?\s*\?*\s*$",
)]
_NEEDS_CAPITALS = 2  # the last patterns read a word as an abbreviation only when it has this many capitals
_MINOR = {"of", "and", "the", "for", "in", "on", "to", "a", "an", "&", "with", "by", "at", "or"}
_NUMBERS = {"1": ("one", "first", "single"), "2": ("two", "second", "double"), "3": ("three", "third", "triple"),
            "4": ("four", "fourth"), "5": ("five", "fifth"), "6": ("six", "sixth"), "7": ("seven", "seventh"),
            "8": ("eight", "eighth"), "9": ("nine", "ninth"), "0": ("zero",)}
# A word that may stand between a long form and its parenthesis, naming what the long form is.
_KIND_WORDS = {"feature", "protocol", "standard", "specification", "mechanism", "format", "language", "framework",
               "service", "plugin", "project", "model", "algorithm", "api", "interface", "system"}
# A long form may not cross the end of a sentence, a parenthesis or a line.
_BOUNDARY = re.compile(r"[.;:!?()\[\]{}\n]\s|[()\[\]{}\n]")
_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def asked_abbreviation(question: str) -> str | None:
    """The abbreviation the question asks the long form of, or None."""
    for n, pattern in enumerate(_ASKS):
        match = pattern.search(question)
        if match is None:
            continue
        abbr = match.group("abbr")
        if abbr.lower() in _MINOR or abbr.lower() in {"it", "this", "that", "they", "he", "she", "you", "we"}:
            continue
        if abbr.endswith("s") and sum(c.isupper() for c in abbr) >= 2 and abbr[:-1].isupper():
            abbr = abbr[:-1]  # "PVCs"
        capitals = sum(c.isupper() for c in abbr)
        if n >= len(_ASKS) - 2 and capitals < _NEEDS_CAPITALS:
            continue  # "What does delegation mean?", "What is Kubernetes?" ask for a meaning, not a long form
        if n == len(_ASKS) - 1 and len(abbr) > 5 and 2 * capitals < len(abbr):
            continue  # "What is a ReplicaSet?" names a kind of object, not an abbreviation
        return abbr
    return None


@dataclass(frozen=True)
class _Part:
    text: str
    start: int
    end: int
    word_start: bool  # it begins a word of the text (not the "Pacific" of "Indo-Pacific")


def _parts(text: str, offset: int) -> list[_Part]:
    """The words of ``text`` split further at hyphens and camel case, with their offsets (+ ``offset``)."""
    out = []
    for word in re.finditer(r"\S+", text):
        first = True
        for piece in _WORD.finditer(word.group()):
            for sub in _CAMEL.finditer(piece.group()) if not piece.group().isupper() else [piece]:
                start = offset + word.start() + piece.start() + sub.start()
                out.append(_Part(sub.group(), start, start + len(sub.group()), first))
                first = False
    return out


def _starts(char: str, part: str) -> bool:
    if char.isdigit():
        return part == char or part.lower() in _NUMBERS.get(char, ())
    return part[:1].lower() == char


def _matches(abbr: str, parts: list[_Part]) -> bool:
    """Every character of ``abbr`` (letters and digits, lower case) in order starts a part or continues the part
    the previous character matched in; every part is started by one, except minor words ("of", "and") between."""
    if not parts or not abbr:
        return False

    @cache
    def go(i: int, j: int, pos: int) -> bool:
        # characters abbr[:i] are matched; the last one in part j, at position pos of it
        if i == len(abbr):
            return j == len(parts) - 1
        char = abbr[i]
        word = parts[j].text.lower()
        if char.isalpha():  # a later letter of the same part: "Kubernetes" has no "8", "eXtensible" has an "x"
            found = word.find(char, pos + 1)
            while found != -1:
                if go(i + 1, j, found):
                    return True
                found = word.find(char, found + 1)
        k = j + 1
        while k < len(parts):
            if _starts(char, parts[k].text) and go(i + 1, k, 0):
                return True
            if parts[k].text.lower() not in _MINOR:
                break  # a word of the long form no character starts
            k += 1
        return False

    return _starts(abbr[0], parts[0].text) and go(1, 0, 0)


def definition(text: str, abbr: str) -> tuple[int, int] | None:
    """The (start, end) in ``text`` of the long form it gives for ``abbr``: <abbr title="Long Form">ABBR</abbr>,
    "*[ABBR]: Long Form", "Long Form (ABBR)", "ABBR (Long Form)", or "ABBR stands for / is short for / means Long
    Form". The abbreviation is matched as a word, in the case the question wrote it when that has capitals, and in
    any case when it was typed in lower case."""
    key = "".join(c for c in abbr.lower() if c.isalnum())
    flags = re.IGNORECASE if abbr.islower() else 0
    # HTML's own markup for it, <abbr title="Long Form">ABBR</abbr> (MkDocs sites write it in Markdown, with
    # emphasis or a plural inside: <abbr title="Software Development Kits">**SDKs**</abbr>), and
    # Markdown's abbreviation definitions, "*[ABBR]: Long Form" (the abbr extension of Python-Markdown and others)
    name = re.escape(abbr)
    marked = rf"<abbr\s+title\s*=\s*[\"'](?P<title>[^\"'<>]{{2,300}})[\"']\s*>\s*[*_]*{name}s?[*_]*\s*</abbr>" \
             rf"|^\s*\*\[{name}\]:[ \t]*(?P<md>[^\n]{{2,300}})"
    for match in re.finditer(marked, text, flags | re.MULTILINE):
        group = "title" if match.group("title") is not None else "md"
        found = _leading(text, match.start(group), match.end(group), key)
        if found is not None:
            return found
    for match in re.finditer(rf"(?<![\w-]){name}s?(?![\w-])", text, flags):
        found = _before(text, match.start(), key) or _inside_after(text, match.end(), key) \
            or _stated_after(text, match.end(), key)
        if found is not None:
            return found
    return None


def _before(text: str, at: int, key: str) -> tuple[int, int] | None:
    """"Long Form (ABBR)": the shortest run of words before the parenthesis that the abbreviation matches."""
    head = text[:at]
    paren = re.search(r"\(\s*[`\"'“]?\s*$", head)
    if paren is None:
        return None
    stop = paren.start()
    limit = max((b.end() for b in _BOUNDARY.finditer(text, 0, stop)), default=0)
    window = text[limit:stop]
    parts = _parts(window, limit)
    most = min(len(key) + 5, 2 * len(key))  # Schwartz and Hearst's bound on a long form's words
    words = [i for i, p in enumerate(parts) if p.word_start]
    ends = [len(parts)]
    if parts and parts[-1].word_start and parts[-1].text.lower() in _KIND_WORDS:
        ends.append(len(parts) - 1)  # "The API Priority and Fairness feature (APF)"
    for end in ends:
        for first in reversed([w for w in words if w < end][-most:]):
            if _matches(key, parts[first:end]):
                return parts[first].start, parts[end - 1].end
    return None


def _inside_after(text: str, at: int, key: str) -> tuple[int, int] | None:
    """"ABBR (Long Form)": the parenthesis right after the abbreviation, all of it."""
    match = re.match(r"[`\"'”]?\s*\(([^()\n]{3,120})\)", text[at:])
    if match is None:
        return None
    start = at + match.start(1)
    parts = _parts(match.group(1), start)
    return (parts[0].start, parts[-1].end) if _matches(key, parts) else None


def _stated_after(text: str, at: int, key: str) -> tuple[int, int] | None:
    """"ABBR stands for Long Form": the shortest run of words after the phrase that the abbreviation matches."""
    match = re.match(r"[`\"'”]?\s*,?\s*(?:stands\s+for|is\s+short\s+for|is\s+an?\s+(?:acronym|abbreviation)\s+for"
                     r"|means)\s+(?:the\s+)?[\"'“]?", text[at:], re.IGNORECASE)
    if match is None:
        return None
    start = at + match.end()
    return _leading(text, start, next((b.start() for b in _BOUNDARY.finditer(text, start)), len(text)), key)


def _leading(text: str, start: int, end: int, key: str) -> tuple[int, int] | None:
    """The run of words from ``start`` (before ``end``) that is the long form of the abbreviation ``key``: the
    title of <abbr title="Object Relational Mapper: a fancy term for ...">ORM</abbr> is more than its long form."""
    parts = _parts(text[start:end], start)
    found = [last for last in range(1, min(len(parts), 2 * len(key)) + 1)
             if (last == len(parts) or parts[last].word_start) and _matches(key, parts[:last])]
    if not found:
        return None
    # "LSN stands for Log Sequence Number, a position ...": "Log Sequence" matches too (the n of "sequence"); the
    # run with as many words as the abbreviation has characters, else the shortest, is the long form
    last = min(found, key=lambda n: (abs(sum(p.word_start for p in parts[:n]) - len(key)), n))
    return parts[0].start, parts[last - 1].end


_COPULA = re.compile(r"[\s`*_]*(?:\([^()]{1,40}\)[\s`*_]*)?,?\s*(?:is|are|was|refers\s+to|means)\b", re.IGNORECASE)


def says_what_it_is(text: str, span: tuple[int, int]) -> bool:
    """Does ``text`` go on, after the definition whose long form is at ``span``, to say what it is ("The
    Container Runtime Interface (CRI) is the main protocol ...") rather than define it in passing ("... are
    Container Runtime Interface (CRI) implementation dependent")? Read past "Long Form (ABBR)" or "ABBR (long
    form)"."""
    close = text.find(")", span[1])
    after = close + 1 if close != -1 and close - span[1] <= 40 else span[1]
    return _COPULA.match(text, after) is not None
