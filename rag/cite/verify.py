"""Citation verification for generated answers: does each sentence's cited passage actually say it?

For every answer sentence (pysbd spans) we read its ``[n]`` markers; numbers that point to no passage are
dropped. For each cited passage we look for the best-matching span of the cited chunk: any single sentence
or run of 2-3 consecutive sentences (``chunk.sentences``, offsets into the document text) within the part the
model was shown. A span is scored by

    support_score = W_RECALL * recall + W_COSINE * cosine

  - recall: share of the answer sentence's distinct content terms (rag.text.content_terms: folded, stemmed,
    stop words removed) that occur in the span;
  - cosine: cosine similarity of the sentence and span embeddings (embedder.embed_array, normalised), floored at 0.

A sentence citing several passages also gets the recall against the union of its best spans (a sentence may
combine two passages). These best spans are what each citation points at. Whether the sentence is *supported*
is decided claim by claim (rag.cite.claim_verify): each clause or predicate is aligned with its own span and checked
for names, numbers and dates, negation, antonyms, swapped roles and added content (rag.cite.alignment,
rag.cite.name_checks, rag.cite.quantities); the sentence is supported when every claim is, its score is its weakest
claim's, and ``reason`` says why not ("no citation" for a sentence with no valid citation). Passage spans use
the index's stored sentence vectors (rag.cite.span_vectors), so only the answer's texts are embedded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.cite import markers
from rag.cite.claim_verify import ClaimChecker, ClaimVerdict, sentence_spans_of, term_set
from rag.cite.span_vectors import span_vector
from rag.embedding import Embedder
from rag.ingest.sentences import sentence_spans
from rag.store import StoreView
from rag.text import content_terms, fold
from rag.types import Citation, ClaimCheck, Passage, PromptPassage, SentenceCheck

W_RECALL, W_COSINE = 0.5, 0.5
SUPPORT_THRESHOLD = 0.6  # default of settings.llm_support_threshold
MAX_WINDOW = 3  # consecutive chunk sentences a supporting span may cover

# "[1]", "[1, 2]", "[1;2]"; "[1][2]" is two markers.
MARKER = markers.GROUP
_LEADING = markers.LEADING
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])(?=\s|$)")  # "Putin ." -> "Putin.", not "The .spec"
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


@dataclass
class ParsedSentence:
    """One answer sentence: ``text`` without markers, ``numbers`` as cited (in order, distinct)."""

    text: str
    numbers: list[int]
    start: int  # span of the sentence (markers included) in the answer text
    end: int


@dataclass
class SpanMatch:
    n: int
    passage: Passage
    start: int
    end: int
    recall: float
    cosine: float
    score: float


@dataclass
class Verdict:
    sentence: ParsedSentence
    cited: list[int]  # valid numbers only
    dropped: list[int]  # numbers that pointed to no passage
    matches: list[SpanMatch] = field(default_factory=list)
    support_score: float = 0.0
    supported: bool = False
    reason: str | None = None  # why it is unsupported (the first unsupported claim's reason)
    claims: list[ClaimVerdict] = field(default_factory=list)

    def check(self) -> SentenceCheck:
        claims = [ClaimCheck(c.text, c.supported, c.support_score, c.reason, c.span.n if c.span else None,
                             c.span.start if c.span else None, c.span.end if c.span else None)
                  for c in self.claims]
        return SentenceCheck(self.sentence.text, list(self.cited), self.supported, self.support_score,
                             None if self.supported else self.reason, claims)


marker_numbers = markers.numbers


def parse_citations(text: str) -> list[ParsedSentence]:
    """Split an answer into sentences with the numbers each cites.

    Markers that open a segment ("... Pyongyang. [1] Then ...") belong to the sentence before them, and a
    segment made only of markers is folded into the previous sentence.
    """
    out: list[ParsedSentence] = []
    for start, end in _glued(sentence_spans(text), text):
        segment = text[start:end]
        leading = _LEADING.match(segment)
        if leading and out:
            out[-1].numbers.extend(n for body in MARKER.findall(leading.group()) for n in marker_numbers(body))
            out[-1].end = start + leading.end()
            segment = segment[leading.end():]
            start += leading.end()
        numbers = [n for body in MARKER.findall(segment) for n in marker_numbers(body)]
        clean = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(MARKER.sub(" ", segment).split()))
        if clean:
            out.append(ParsedSentence(clean, numbers, start, end))
        elif out:
            out[-1].numbers.extend(numbers)
            out[-1].end = end
    for sentence in out:
        sentence.numbers = list(dict.fromkeys(sentence.numbers))
    return out


def _glued(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Rejoin pieces the sentence splitter cut with no space between them ("The ." + "spec.replicas is ..."):
    a real sentence boundary is followed by white space."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and out[-1][1] == start and not text[start - 1:start].isspace():
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def key_terms(sentence: str) -> list[str]:
    """Numbers and capitalised words not opening the sentence (names, places), folded and stemmed."""
    tokens = _WORD.findall(sentence)
    keys = [t for i, t in enumerate(tokens) if any(c.isdigit() for c in t) or (i > 0 and t[:1].isupper())]
    return [term for t in keys for term in content_terms(t)]


def _candidate_spans(window: PromptPassage) -> list[tuple[int, int]]:
    chunk = window.passage.chunk
    sentences = [(s, e) for s, e in chunk.sentences if s < window.end and e > window.start]
    if not sentences:
        return [(window.start, window.end)]
    spans = []
    for size in range(1, MAX_WINDOW + 1):
        for i in range(len(sentences) - size + 1):
            spans.append((sentences[i][0], sentences[i + size - 1][1]))
    return spans


class _Vectors:
    """Embeds each distinct text once per verification."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.cache: dict[str, np.ndarray] = {}

    def seed(self, text: str, vector: np.ndarray | None) -> None:
        """Use ``vector`` (a stored span vector, rag.cite.span_vectors) for ``text`` instead of embedding it."""
        if vector is not None and text not in self.cache:
            self.cache[text] = vector

    def prime(self, texts: list[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if todo:
            for text, vector in zip(todo, self.embedder.embed_array(todo)):
                self.cache[text] = vector

    def cosine(self, a: str, b: str) -> float:
        self.prime([a, b])
        return max(0.0, float(self.cache[a] @ self.cache[b]))


def _recall(terms: set[str], text: str) -> float:
    if not terms:
        return 0.0
    return len(terms & term_set(text)) / len(terms)


def _score(recall: float, cosine: float, has_terms: bool) -> float:
    return W_RECALL * recall + W_COSINE * cosine if has_terms else cosine


def verify(answer_text: str, windows: dict[int, PromptPassage], embedder: Embedder, snapshot: StoreView,
           threshold: float = SUPPORT_THRESHOLD) -> list[Verdict]:
    """Verdicts for every sentence of ``answer_text``; ``windows[n]`` is what marker ``[n]`` refers to."""
    sentences = parse_citations(answer_text)
    vectors = _Vectors(embedder)
    # Only the passages some sentence cites are read: an uncited passage's spans are never scored or checked
    # (the model is shown k passages and an answer cites one or two of them).
    cited_windows = {n: windows[n] for s in sentences for n in s.numbers if n in windows}
    spans_of: dict[int, list[tuple[int, int, str]]] = {}
    for n, window in cited_windows.items():
        doc_text = snapshot.document(window.passage.chunk.source).text
        spans_of[n] = [(s, e, doc_text[s:e]) for s, e in _candidate_spans(window)]
        pieces = window.passage.chunk.sentences
        for s, e, text in spans_of[n]:
            vectors.seed(text, span_vector(snapshot, window.passage.chunk.source,
                                           [(a, b) for a, b in pieces if a >= s and b <= e]))
    cited_texts = [t for s in sentences for n in s.numbers if n in spans_of for _, _, t in spans_of[n]]
    checker = ClaimChecker(vectors, threshold)
    claim_texts = checker.prepare([s.text for s in sentences if any(n in windows for n in s.numbers)])
    vectors.prime([s.text for s in sentences] + claim_texts + cited_texts)
    claim_spans = {n: sentence_spans_of(window, snapshot, n) for n, window in cited_windows.items()}
    for spans, _ in claim_spans.values():
        for span in spans:
            vectors.seed(span.text, span.vector)

    verdicts = []
    for sentence in sentences:
        cited = [n for n in sentence.numbers if n in windows]
        verdict = Verdict(sentence, cited, [n for n in sentence.numbers if n not in windows])
        terms = set(content_terms(sentence.text))
        for n in cited:
            scored = [
                (_score(r, c, bool(terms)), r, c, s, e)
                for s, e, text in spans_of[n]
                for r, c in [(_recall(terms, text), vectors.cosine(sentence.text, text))]
            ]
            score, recall, cosine, start, end = max(scored, key=lambda x: x[0])
            verdict.matches.append(SpanMatch(n, windows[n].passage, start, end, recall, cosine, score))
        if verdict.matches:
            best = max(m.score for m in verdict.matches)
            if len(verdict.matches) > 1 and terms:
                union = " ".join(snapshot.document(m.passage.chunk.source).text[m.start:m.end]
                                 for m in verdict.matches)
                best = max(best, _score(_recall(terms, union), max(m.cosine for m in verdict.matches), True))
            verdict.support_score = best
            _check_claims(verdict, claim_spans, checker)
        else:
            verdict.reason = "no citation"
        verdicts.append(verdict)
    return verdicts


def _check_claims(verdict: Verdict, claim_spans: dict, checker: ClaimChecker) -> None:
    """The sentence is supported when each of its claims is; its score is its weakest claim's."""
    cited = {n: claim_spans[n] for n in verdict.cited}
    verdict.claims = checker.check_sentence(verdict.sentence.text, {n: spans for n, (spans, _) in cited.items()},
                                            {n: texts for n, (_, texts) in cited.items()})
    verdict.supported = all(c.supported for c in verdict.claims)
    verdict.support_score = min(c.support_score for c in verdict.claims)
    verdict.reason = next((c.reason for c in verdict.claims if not c.supported), None)


def windows_for(passages: list[Passage], citations_by_n: dict[int, Citation] | None = None
                ) -> dict[int, PromptPassage]:
    """What each marker refers to: passage ``n`` (1-based rank order), or the passage of citation ``n``."""
    if citations_by_n is None:
        return {i: PromptPassage(i, p, p.chunk.start, p.chunk.end, p.chunk.text) for i, p in enumerate(passages, 1)}
    by_id = {p.chunk.chunk_id: p for p in passages}
    out = {}
    for n, citation in citations_by_n.items():
        p = by_id.get(citation.chunk_id)
        if p is not None:
            out[n] = PromptPassage(n, p, p.chunk.start, p.chunk.end, p.chunk.text)
    return out


def verify_answer(answer_text: str, passages: list[Passage], citations_by_n: dict[int, Citation] | None,
                  embedder: Embedder, snapshot: StoreView, threshold: float = SUPPORT_THRESHOLD
                  ) -> list[SentenceCheck]:
    """Per-sentence support of an answer (for the eval suite): markers refer to ``citations_by_n`` when given,
    else to ``passages`` in order."""
    return [v.check() for v in verify(answer_text, windows_for(passages, citations_by_n), embedder, snapshot,
                                      threshold)]


def is_abstention(text: str, abstain_text: str) -> bool:
    """The whole answer (markers aside) is the abstain sentence."""
    def norm(s: str) -> str:
        return " ".join(_WORD.findall(fold(MARKER.sub(" ", s))))

    return bool(text.strip()) and norm(text) == norm(abstain_text)



_MARKER_PREFIX = markers.PARTIAL


class MarkerRenumberer:
    """Rewrites ``[n]`` markers as text streams in: passage numbers become citation numbers in order of first
    use (so the answer cites [1], [2], ... whatever the passage ranks), and numbers outside 1..k are dropped.

    ``mapping`` is passage number -> citation number once the stream has ended.
    """

    def __init__(self, k: int):
        self.k = k
        self.mapping: dict[int, int] = {}
        self._held = ""
        self._space = ""  # white space not yet emitted: it is dropped if a dropped marker and punctuation follow
        self._dropped = False  # a marker was just dropped after self._space

    def _rewrite(self, marker: str) -> str:
        out: list[int] = []
        match = MARKER.fullmatch(marker)
        assert match is not None  # feed() passes only a held text that MARKER fully matches
        for n in marker_numbers(match.group(1)):
            if 1 <= n <= self.k:
                out.append(self.mapping.setdefault(n, len(self.mapping) + 1))
        return "".join(f"[{m}]" for m in dict.fromkeys(out))

    def _emit(self, out: list[str], text: str) -> None:
        """Emit ``text`` after the pending white space, which a dropped marker's punctuation swallows
        ("Fake [7]." becomes "Fake.", not "Fake .")."""
        if not (self._dropped and text[:1] in ".,;:!?"):
            out.append(self._space)
        out.append(text)
        self._space, self._dropped = "", False

    def feed(self, piece: str) -> str:
        out: list[str] = []
        for ch in piece:
            if not self._held:
                if ch == "[":
                    self._held = ch
                elif ch.isspace():
                    if not (self._dropped and self._space):  # "Fake [7] and" keeps one space
                        self._space += ch
                else:
                    self._emit(out, ch)
                continue
            self._held += ch
            if MARKER.fullmatch(self._held):
                marker, self._held = self._held, ""
                rewritten = self._rewrite(marker)
                if rewritten:
                    self._emit(out, rewritten)
                else:
                    self._dropped = True
            elif not _MARKER_PREFIX.fullmatch(self._held):
                held, self._held = self._held, ""
                if held.endswith("["):
                    self._emit(out, held[:-1])
                    self._held = "["
                else:
                    self._emit(out, held)
        return "".join(out)

    def flush(self) -> str:
        held, self._held = self._held, ""
        space, self._space = ("" if self._dropped else self._space), ""
        self._dropped = False
        return space + held
