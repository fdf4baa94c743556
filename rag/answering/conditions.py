"""A question asking what happens under a condition is answered by a text stating that condition.

"What goes wrong if more than one IngressClass has the is-default-class annotation set?" is answered by "If you
have more than one IngressClass marked as the default ..., the admission controller prevents ...", not by "You mark
an IngressClass as default by setting the annotation", which shares more of the question's words but states no
condition. The unit scorer weighs every word of the question alike; here the words of the question's if / when
clause must be the words of the unit's own condition. Regular expressions over the question and a few units only.
"""

from __future__ import annotations

import re

from rag.answering.answer_type import asked_sentence, asking_index, question_sentences
from rag.text import content_terms, fold

# The questions this is for: they ask for a consequence ("what happens if ...", "what goes wrong when ...", "what does
# the kubelet do if ..."), not for a time ("when did ...") or a value.
_ASKS_CONSEQUENCE = re.compile(r"\bwhat\s+(?:happens|goes\s+wrong|would\s+happen|will\s+happen|(?:does|do|will|would)"
                               r"\b.*\bdo)\b")
_CUE = r"\b(?:if|when|whenever|unless|once)\b"
_QUESTION_CONDITION = re.compile(_CUE + r"([^?]+)")
# A unit's condition: from its cue to the comma or "then" that ends the clause ("If a container runtime does not
# support v1 of the CRI, then ...").
_UNIT_CONDITION = re.compile(_CUE + r"([^,;:.?]{3,200}?)(?:,|\bthen\b|$)")


def asked_condition(question: str) -> set[str]:
    """The terms (``condition_terms``) of the if / when clause of a question asking what happens under it; empty for
    any other question."""
    asked = question_sentences(fold(question))[-1]  # its last sentence, leading if-clause and all
    if not _ASKS_CONSEQUENCE.search(asked):
        return set()
    match = _QUESTION_CONDITION.search(asked)
    return condition_terms(match.group(1)) if match else set()


def context_condition(question: str, asks_amount: bool) -> set[str]:
    """The terms of the sentences a question sets its circumstances in before the sentence that asks ("I set
    serializeImagePulls: false and left maxParallelImagePulls unset. How many images will the kubelet pull at the
    same time?"), when it asks what happens or how many / how much under them (``asks_amount``); empty otherwise. A
    sentence after the question ("... The values are base64 encoded anyway.") objects or adds, and a question for a
    name or a value ("... Which flag do I turn on?") states a goal, not a circumstance."""
    folded = fold(question)
    pieces = question_sentences(folded)
    at = asking_index(pieces)
    if not at or not (asks_amount or _ASKS_CONSEQUENCE.search(asked_sentence(folded))):
        return set()
    return condition_terms(" ".join(pieces[:at]))


def condition_terms(text: str) -> set[str]:
    """The content terms of a condition, a hyphenated word also by its parts ("is-default-class" holds "default"),
    without negation words: whether the condition is negated is not what tells the unit that states it."""
    terms = set()
    for term in content_terms(text):
        terms.add(term)
        if "-" in term:
            terms.update(content_terms(term.replace("-", " ")))
    return {t for t in terms if not (t.endswith("n't") or t in _NEGATIONS)}


_NEGATIONS = {"not", "no", "cannot", "never", "without"}


def condition_match(condition: set[str], unit: str, idf: dict[str, float]) -> float:
    """The IDF-weighted share of the question's condition terms that one of ``unit``'s own conditions holds (0 when
    the unit states no condition)."""
    total = sum(idf.get(t, 1.0) for t in condition)
    if not total:
        return 0.0
    best = 0.0
    for match in _UNIT_CONDITION.finditer(fold(unit)):
        best = max(best, sum(idf.get(t, 1.0) for t in condition & condition_terms(match.group(1))) / total)
    return best
