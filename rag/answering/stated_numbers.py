"""Numbers a question states that the cited text must state too.

"What treaty was established in the 9th century?" cited with "The Duchy of Normandy, which began in 911 ..., was
established by the treaty of Saint-Clair-sur-Epte" is a look-alike: the text is about a treaty, not about the 9th
century. A question that pins its subject to a number (a year, a century, a decade, a count, a status code) is
answered only by a text that states that number, in some form: "1100s" is said as "1100s", "the 12th century" or a
year from 1100 to 1199; "the 10th century" as "10th" or a year from 901 to 1000; "4" as "4" or "four".

Written by hand: the matching is a handful of equivalences between forms of one number, which no library offers in
this direction (rag.cite.quantities parses the quantities of a claim for the verifier, where a unit and a slot
must match too; here any mention of the number counts, so the check stays lenient, as a refusal rule must be).
"""

from __future__ import annotations

import re

from rag.answering.answer_type import asked_sentence
from rag.cite.quantities import word_value
from rag.text import fold, words

# A number standing alone in the question: not part of an identifier or a name ("cgroup v2", "HTTP/2", "k8s",
# "2021-04-01", "v1.25"), with an ordinal or plural suffix ("9th", "1100s", "1000's", "80s").
_QUESTION_NUMBER = re.compile(
    r"(?<![\w./\\-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(st|nd|rd|th|s|'s)?(?![\w/\\-]|[.,]\d)")
# Every run of digits in the cited text, wherever it stands ("localhost:8080/docs", "HTTP 404", "1,149").
_TEXT_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _values(text: str) -> set[float]:
    """Every number the text states, in digits (a decimal also by its parts) or in words ("four", "sixth")."""
    values: set[float] = set()
    for match in _TEXT_NUMBER.finditer(text):
        digits = match.group(0).replace(",", "")
        values.add(float(digits))
        values.update(float(part) for part in digits.split("."))
    for word in words(fold(text)):  # "twenty-one" as a whole, "four-way" by its parts
        for part in dict.fromkeys((word, *word.split("-"))):
            if part and not part[0].isdigit() and (value := word_value(part)) is not None:
                values.add(float(value))
    return values


def _years(values: set[float]) -> list[int]:
    return [int(v) for v in values if v.is_integer() and 100 <= v <= 2999]


def _stated(number: float, suffix: str, century: bool, values: set[float]) -> bool:
    if number in values:
        return True
    n = int(number)
    if suffix in ("st", "nd", "rd", "th") and century:  # "the 10th century": a year 901-1000
        return any((year - 1) // 100 + 1 == n for year in _years(values))
    if suffix in ("s", "'s"):
        if n >= 100 and n % 100 == 0:  # "the 1100s": a year 1100-1199, or "the 12th century"
            return n // 100 + 1 in values or any(n <= year < n + 100 for year in _years(values))
        if n >= 1000 and n % 10 == 0:  # "the 1980s"
            return any(n <= year < n + 10 for year in _years(values))
        if n < 100 and n % 10 == 0:  # "the 80s": a year 1980-1989 or 1880-1889 ...
            return any(n <= year % 100 < n + 10 for year in _years(values))
    return False


def unstated_number(question: str, text: str) -> str | None:
    """The first number of the asking sentence of ``question`` that ``text`` (the cited text with its section and
    the unit before it) never states, as the question writes it; None when every one is stated, or the question
    states none."""
    return next((form for form, stated in pinned_numbers(question, text) if not stated), None)


def pinned_numbers(question: str, text: str) -> list[tuple[str, bool]]:
    """Each number of the asking sentence of ``question``, as the question writes it, and whether ``text`` states
    it."""
    asked = asked_sentence(fold(question))
    values: set[float] | None = None
    found = []
    for match in _QUESTION_NUMBER.finditer(asked):
        digits, suffix = match.group(1).replace(",", ""), match.group(2) or ""
        if values is None:
            values = _values(text)
        century = asked[match.end():match.end() + 9].lstrip().startswith(("century", "centuries"))
        found.append((match.group(0), _stated(float(digits), suffix, century, values)))
    return found
