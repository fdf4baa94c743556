"""A why-question is answered by a text that gives a reason.

"Why does Kubernetes let me mark more than one StorageClass as default?" was answered by "If you don't mark any
StorageClass as default ..., then Kubernetes cannot apply that defaulting ...", which shares the question's words,
while "The reason that Kubernetes allows you to have multiple default StorageClasses is to allow for seamless
migration." ranked ninth. The unit scorer weighs the question's words and says nothing of what a why-question asks
for; a reason is written with a few cue words ("because", "the reason", "so that", "in order to", "to allow ...").
Regular expressions over the question and a few units only.
"""

from __future__ import annotations

import re

from rag.answering.answer_type import question_sentences
from rag.text import fold

_ASKS_WHY = re.compile(r"\bwhy\b|\bwhat(?:'s|\s+is|\s+was)\s+the\s+reasons?\b|\bfor\s+what\s+reasons?\b")
# "since" is left out: in documentation it is mostly a time ("since v1.32")
_REASON = re.compile(r"\b(?:because|so\s+that|in\s+order\s+to|the\s+reasons?\b|reasons?\s+(?:is|are|why)\b|due\s+to|"
                     r"as\s+a\s+result|therefore|this\s+is\s+why|that's\s+why|which\s+is\s+why|"
                     r"to\s+(?:allow|ensure|avoid|prevent|make\s+sure|enable)\b)", re.IGNORECASE)


def asks_why(question: str) -> bool:
    """Does the last sentence of ``question`` ask why ("Why ...?", "What is the reason ...?")?"""
    return bool(_ASKS_WHY.search(question_sentences(fold(question))[-1]))


def gives_reason(text: str) -> bool:
    """Does ``text`` state a reason or a purpose with one of the cue words (``_REASON``)?"""
    return bool(_REASON.search(text))
