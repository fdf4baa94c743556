"""Citation markers, the one place their syntax is defined.

Models write ``[1]``, ``[2, 3]`` or ``[1; 4]`` (``GROUP``); the answerers emit one number per marker, ``[n]``
(``SINGLE``), after renumbering passages into citations. Up to three digits: a bracketed year such as
``[2024]`` is text, not a citation.
"""

from __future__ import annotations

import re

_NUMBERS = r"\d{1,3}(?:\s*[,;]\s*\d{1,3})*"
GROUP = re.compile(rf"\[\s*({_NUMBERS})\s*\]")
SINGLE = re.compile(r"\[(\d{1,3})\]")
# Markers opening a segment (they belong to the sentence before it), and markers with the space before them.
LEADING = re.compile(rf"^(?:\s*\[\s*{_NUMBERS}\s*\])+")
WITH_SPACE = re.compile(rf"\s*\[\s*{_NUMBERS}\s*\]")
# What a marker looks like while a stream has delivered only its beginning ("[", "[1", "[1,").
PARTIAL = re.compile(r"\[\s*(?:\d{1,3}(?:\s*[,;]\s*\d{1,3})*(?:\s*[,;])?\s*)?")
# The end of a cited sentence: markers, closing punctuation, then white space and the next sentence's start.
BOUNDARY = re.compile(rf"(?:\s*\[\s*{_NUMBERS}\s*\])+[.!?]*(?=\s+(?:[\"'`(]+\s*)?[A-Z0-9])")


def numbers(body: str) -> list[int]:
    """The passage numbers in a GROUP marker's body ("2, 3" -> [2, 3])."""
    return [int(n) for n in re.split(r"\s*[,;]\s*", body.strip())]


def strip(text: str) -> str:
    """``text`` without its markers, white space folded (for scoring and for reading aloud)."""
    previous = None
    while previous != text:  # removing "[1]" from "[[1]1]" leaves a new marker
        previous, text = text, WITH_SPACE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()
