"""Identifiers and exact phrases in a question: the words an answer must contain verbatim.

A developer asks about `imageMaximumGCAge`, `--node-eviction-rate`, `kube-node-lease` or
`endpointslice.kubernetes.io/managed-by`; a passage that paraphrases without naming the identifier is the wrong
answer however similar it reads. ``question_identifiers`` finds them (backticked spans, quoted phrases, flags,
camelCase, snake_case, dotted and slashed names, hyphenated names with more than one hyphen or with digits);
the retriever weighs their terms more in BM25 and ranks the passages that contain them verbatim as a third list in
the fusion; the answerer prefers units that contain them and the abstention model sees whether they are there.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.text import content_terms

if TYPE_CHECKING:
    from rag.store.base import TermStats

_BACKTICKED = re.compile(r"`([^`\n]{2,200})`")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{3,200})[\"”]")
_TOKEN = re.compile(r"(?<![\w`])(?:--?[A-Za-z][\w-]*(?:=[^\s,;?]+)?"  # --flag, -f, --flag=value
                    r"|[a-z]+[A-Z][A-Za-z0-9]*"  # camelCase
                    r"|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+"  # PascalCase with more than one hump
                    r"|\w+_\w+"  # snake_case
                    r"|[A-Za-z][\w-]+(?:[./:][A-Za-z0-9][\w-]+)+"  # dotted / slashed / colon names
                    r"|[a-z0-9]+(?:-[a-z0-9]+){2,}"  # kube-node-lease
                    r"|[A-Za-z]+-?\d[\w.-]*)")  # KN-23, v1.32, cgroup2


@lru_cache(maxsize=4096)
def question_identifiers(question: str) -> tuple[str, ...]:
    """Identifiers and quoted phrases of ``question`` as written (no duplicates, in order)."""
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_BACKTICKED, _QUOTED):
        for match in pattern.finditer(question):
            found.append(match.group(1).strip())
            taken.append(match.span())
    for match in _TOKEN.finditer(question):
        if any(a <= match.start() < b for a, b in taken):
            continue
        token = match.group().rstrip(".:/-")
        if len(token) >= 3 and not token.isdigit():
            found.append(token)
    return tuple(dict.fromkeys(t for t in found if t))


# An identifier whose every term is in more than this share of the chunks names what nearly every passage is
# about (a product's own name in its documentation: "FastAPI" is in 78% of FastAPI's chunks): containing it tells no
# passage or unit apart, so it counts as no identifier. "Most of the passages" is the line, not a fitted value.
COMMON_SHARE = 0.5


# The exact-match list (``exact_matches``), a third ranked list in the fusion, is made only of the identifiers at
# most this share of the chunks use: it gives every passage that names the identifier a fusion score of its own, so
# an identifier that a tenth of the documentation names ("OpenAPI" in FastAPI's) would lift dozens of passages over
# the one dense retrieval and BM25 both rank near the top (on the FastAPI dev split a passage at dense rank 2 and
# BM25 rank 4 was fused 29th). BM25's boost of the identifier stays. Chosen on the dev splits: 0.05 and 0.1 gave the
# same retrieval (one FastAPI question's passage into the top 5, nothing else moved), 0.2 none.
EXACT_SHARE = 0.1


def distinctive_identifiers(question: str, stats: TermStats, share: float = COMMON_SHARE) -> tuple[str, ...]:
    """The question's identifiers (``question_identifiers``) less those that more than ``share`` of the index's
    chunks use (``COMMON_SHARE``: most of them), by the index's keyword statistics ``stats``
    (rag.store.base.TermStats). An identifier the index never uses is kept: that it is missing is what the
    abstention model must see."""
    return selective(question_identifiers(question), stats, share)


def selective(identifiers: tuple[str, ...], stats: TermStats, share: float) -> tuple[str, ...]:
    """``identifiers`` less those whose every term is in more than ``share`` of the chunks."""
    if not identifiers or stats.n_chunks <= 1:
        return identifiers
    limit = share * stats.n_chunks
    return tuple(i for i in identifiers
                 if not (terms := content_terms(i)) or min(stats.document_frequency(t) for t in terms) <= limit)


def contains_identifier(text: str, identifier: str) -> bool:
    """``identifier`` occurs in ``text``, case-insensitively, not as part of a longer word."""
    pattern = _compiled(identifier)
    return pattern.search(text) is not None


@lru_cache(maxsize=4096)
def _compiled(identifier: str) -> re.Pattern:
    return re.compile(r"(?<![\w-])" + re.escape(identifier) + r"(?![\w-])", re.IGNORECASE)


def identifier_coverage(text: str, identifiers: tuple[str, ...]) -> float:
    """Share of ``identifiers`` that ``text`` contains verbatim (1.0 when there are none)."""
    if not identifiers:
        return 1.0
    return sum(contains_identifier(text, i) for i in identifiers) / len(identifiers)


def boosted_query(query: str, boost: int, identifiers: tuple[str, ...] | None = None) -> str:
    """``query`` with the terms of its identifiers (``identifiers``, by default all of the question's) repeated
    ``boost`` more times: BM25 sums a term once per occurrence in the query, so this weighs them (1 + boost) times."""
    if identifiers is None:
        identifiers = question_identifiers(query)
    terms = [t for ident in identifiers for t in content_terms(ident)]
    return " ".join([query, *(terms * boost)]) if terms and boost > 0 else query


def exact_matches(snapshot, rankings: list[list[int]], identifiers: tuple[str, ...]) -> list[int]:
    """The pooled candidates (positions in ``rankings``) whose text contains a question identifier verbatim,
    most identifiers first, then in pool order: a third ranked list for the fusion."""
    pool = list(dict.fromkeys(i for ranking in rankings for i in ranking))
    counts = {i: sum(contains_identifier(snapshot.chunk(i).text, ident) for ident in identifiers) for i in pool}
    return sorted((i for i in pool if counts[i]), key=lambda i: -counts[i])
