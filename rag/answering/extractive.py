"""The default answerer: no LLM. It picks the unit of the retrieved passages that answers the question.

Every answer unit of the top passages (verbatim from the document; rag.answering.units: sentences, list items,
table rows, a wrapped sentence's lines joined) is a candidate, described by a few features (``FEATURES``): semantic
similarity to the question, IDF-weighted and plain coverage of the question's content terms, whether it holds a
token of the expected answer type (rag.answering.answer_type), the passage's retrieval rank and dense score, and
the share of the question's identifiers it contains verbatim, whether it names a code span by the question's focus
noun ("the `enable-node-watcher` flag" for "Which flag ...?"), and, for a question written after its context, the
share of the asking sentence's words it holds. A logistic model over them scores each unit
(settings ``answer_weights``); a unit that says nothing the question does not (a title line, a bare link)
is no candidate, except for a yes/no question. The best unit is the answer, extended over the sentence that continues
it when that holds the value asked for, with a neighbour added only when it also scores close to the best. For
factoid questions the reader (rag.answering.short_answer) picks the short answer inside it. Whether to answer at
all is one logistic model over transferable signals (rag.answering.abstention; ``abstain_weights`` and
``abstain_threshold``, fitted by `rag calibrate` on several corpora, eval/calibration.json), then a hard veto
(``type_veto``; rag.answering.short_answer.missing_type): a factoid question whose cited text holds no candidate
answer, or a how-many / how-much / which-value question whose cited text holds no number or value new to the
question, or a factoid question pinned to a number ("Who ruled Cyprus in the 11th century?") whose cited text never
states it (rag.answering.stated_numbers), is refused with the reason ("The passages found mention "X" but don't state
a number for it."). Unit
vectors come from the index (rag.store.sentence_table), so answering needs no model call beyond the question's
embedding, which the retrieval step already made; spaCy parses only the cited unit (and, in a close call between
the two best units of a factoid question, the runner-up: ``_reread``) and the question.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.answering.abstention import ABSTAIN_FEATURES, abstain_signals
from rag.answering.answer_type import asked_sentence, has_answer_type, question_type
from rag.answering.conditions import asked_condition, condition_match, context_condition
from rag.answering.reasons import asks_why, gives_reason
from rag.answering.short_answer import (
    COUNT,
    DEFAULT_CUE,
    FACTOID,
    NONE,
    PERSON,
    QUANTITY,
    VALUE,
    VETO_TYPES,
    Reading,
    ShortAnswerReader,
    SpanCandidate,
    asks_default,
    asks_yes_no,
    expected_type,
    missing_type,
    names_column,
    names_focus,
    shown_as_short_answer,
    unit_has_type,
    unsaid_role_of,
)
from rag.answering.stated_numbers import pinned_numbers, unstated_number
from rag.answering.units import answer_units, continuation
from rag.answering.who_is import asked_person, described
from rag.answering.yes_no import NO_PREFIX, denies
from rag.cite.citations import cite
from rag.embedding import Embedder
from rag.ingest.markup import answer_text, plain_text
from rag.ingest.sentences import paragraph_sentence_spans
from rag.ingest.structure import MARKDOWN_SUFFIXES
from rag.nlp import parse
from rag.retrieval.abbreviations import asked_abbreviation, definition, says_what_it_is
from rag.retrieval.definitions import asked_subject, defines, titled
from rag.retrieval.followup import contextual_query
from rag.retrieval.identifiers import contains_identifier, distinctive_identifiers
from rag.store import StoreView
from rag.text import content_terms
from rag.types import Answer, Passage, ShortAnswer

ABSTAIN_TEXT = "The documents don't contain an answer to this."
FEATURES = ("dense", "idf_coverage", "coverage", "type_match", "rank_prior", "passage_dense", "identifiers",
            "rel_dense", "rel_idf", "list_item", "table_row", "code", "section", "short", "length", "colon",
            "question", "type_present", "type_absent", "context", "names_focus", "asked")
__all__ = ["ABSTAIN_FEATURES", "FEATURES", "ExtractiveAnswerer"]


@dataclass
class Decision:
    """What the answerer decided for one question, before it is written up as an Answer."""

    ranked: list[Candidate]
    best: Candidate | None = None
    span: tuple[int, int] = (0, 0)  # the cited unit (the best unit, with its continuation when it has one)
    reading: Reading | None = None
    signals: list[float] = field(default_factory=list)
    confidence: float = 0.0
    veto: str | None = None  # why the type veto refuses (veto_reason), when it does


@dataclass
class Candidate:
    passage: Passage
    start: int
    end: int
    text: str
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    parts: tuple[tuple[int, int], ...] = ()  # the stored spans the unit is made of (rag.answering.units)
    next_span: tuple[int, int] | None = None  # the unit after it in its chunk
    kinds: tuple[str, str | None] | None = None  # its and the next unit's kinds, when ingestion records them
    kind: str | None = None  # its kind, when ingestion records it (rag.ingest.structure.UNIT_KINDS)
    previous: str = ""  # the text of the unit before it in its chunk (with ``lead`` before it)
    lead: str = ""  # a table row's header row or a list item's lead-in sentence ("the following defaults:")

    def vector(self) -> list[float]:
        return [self.features[name] for name in FEATURES]


class TermWeights:
    """IDF of content terms over the store's chunks (the keyword index's document frequencies)."""

    _cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, snapshot: StoreView):
        self.stats = snapshot.term_stats()
        self.n = max(1, self.stats.n_chunks)

    @classmethod
    def of(cls, snapshot: StoreView) -> TermWeights:
        weights = cls._cache.get(snapshot)
        if weights is None:
            weights = cls._cache[snapshot] = cls(snapshot)
        return weights

    def idf(self, term: str) -> float:
        df = self.stats.document_frequency(term)
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))


# The re-read of the next units (ExtractiveAnswerer._reread), chosen on the dev splits of seeds, SQuAD, ClapNQ and
# the Kubernetes docs together (docs/EVAL.md): (units read counting the best, minimum share of the best's unit
# score, weight of the reader's span log-odds against the unit's).
RERANK_CRISP = (4, 0.3, 1.0)  # count, quantity, value questions; units of the best unit's document only
RERANK_OTHER = (2, 0.8, 0.5)  # other factoid questions
CONDITION_DEPTH, CONDITION_MARGIN, CONDITION_MATCH, CONDITION_LEAD = 6, 0.4, 0.3, 0.25  # see _on_condition
REASON_DEPTH, REASON_MARGIN = 12, 0.3  # see _on_reason
RERANK_CONFIDENT = 0.4  # a count/quantity/value read this probable in the best unit is not second-guessed
# Units looked at, words required and units read before the type veto refuses (ExtractiveAnswerer._rescue).
RESCUE_DEPTH, RESCUE_TERMS, RESCUE_READS = 40, 2, 3
# The confidence of an answer that is a definition of the abbreviation asked about (rag.retrieval.abbreviations: the
# long form is matched letter by letter, not scored) or says what the thing asked about is ("A ReplicaSet is ...",
# rag.retrieval.definitions): the abstention model's view of the unit does not apply.
DEFINED_CONFIDENCE = 0.95
PERSON_DEPTH = 8  # units naming the person asked about that are parsed for who they say it is


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _about(cand: Candidate, idf: dict[str, float], snapshot: StoreView, passage_terms: set[str]) -> bool:
    """Is ``cand`` about what the question asks of: does the unit, its own section path (not the chunk's: a chunk
    may span several sections) or the sentence before it (for a list item or table row: its lead-in or header) hold
    the question's rarest term (of those the best unit's
    passage, ``passage_terms``, uses)? "The default value is 25%." under "Max surge" is about maxSurge; "The
    default value of `backoffLimit` is 6." under "Back-off limit" is not about retryPolicy."""
    asked = {t: v for t, v in idf.items() if t not in _ASKING_WORDS}  # "default", "value": how it asks, not of what
    asked = {t: v for t, v in asked.items() if t in passage_terms} or asked  # a word the text never uses can't tell
    if not asked:
        return True
    top = max(asked.values())
    rarest = [t for t, v in asked.items() if v >= top - 1e-9]
    section = snapshot.document(cand.passage.chunk.source).section_at(cand.start) or ""
    # A sentence continues the one before it; a list item or table row does not continue its sibling (the item
    # after `allow_origin_regex` is about `allow_methods`): for those only the lead-in or header row counts.
    before = cand.lead if cand.kind in ("list_item", "table_row") else cand.previous
    context = set(content_terms(cand.text)) | set(content_terms(section)) | set(content_terms(before))
    if any(t in context for t in rarest):
        return True
    joined = _joined_runs(" ".join((section, before, cand.text)))
    return any(_spelled_out(t, joined) for t in rarest)


def _covers(cand: Candidate, section: str, idf: dict[str, float]) -> bool:
    """Do the unit itself, its ``section`` path and its list lead-in or table header hold each of the question's
    RESCUE_TERMS rarest words (not the words that ask, "default", "many")? An identifier counts when a
    heading spells it out (`maxSurge` under "Max Surge", as in ``_about``). The sentence or item before it does
    not count: the next item of a list (`allow_methods` ... "Defaults to `['GET']`") would borrow the identifier of
    the one before (`allow_origin_regex`), and a news sentence ("doubt over one party's commitment") the words of
    the sentence before it."""
    asked = sorted((t for t in idf if t not in _ASKING_WORDS), key=lambda t: -idf[t])[:RESCUE_TERMS]
    context = " ".join((section, cand.lead, cand.text))
    present = set(content_terms(context))
    missing = [t for t in asked if t not in present]
    if not missing:
        return True
    joined = _joined_runs(context)
    return all(_spelled_out(t, joined) for t in missing)


def _unmentioned(asked: str, passages: list[Passage], mentions: Callable[[str], bool]) -> str:
    """The refusal for a question pinned to something (a number, "403"; the place of "Who is the president of
    Taiwan?") that the unit chosen does not state. It says what is true of all the passages found: when another of
    them does state it ("403: `status.HTTP_403_FORBIDDEN`", a list item the unit scorer ranked below "Read more
    about it in the FastAPI docs about Response Status Code"), they do mention it, and the refusal says that none of
    them was read as an answer."""
    if any(mentions(p.chunk.text) for p in passages):
        return f'The passages found mention "{asked}", but none of them reads as an answer to the question.'
    return f'The passages found don\'t mention "{asked}", which the question asks about.'


def _naming(name: str) -> re.Pattern:
    """``name`` as written in a text: its words in order, joined by spaces or hyphens, any case."""
    words = re.findall(r"[^\W_]+", name)
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(map(re.escape, words)) + r"(?![\w-])", re.IGNORECASE)


def _asked_after_context(folded: str) -> str | None:
    """The asking sentence of a (folded) question written after its context ("We have two default classes for one
    driver. What happens when ...?"), or None for a question that is one asking sentence (or whose asking sentence
    is not its last)."""
    asking = asked_sentence(folded)
    return asking if asking != folded and folded.rstrip().endswith(asking.rstrip()) else None


def _asking_idf(question: str, idf: dict[str, float]) -> dict[str, float]:
    """``idf`` of the question's terms, or of the asking sentence's only when the question sets its context first
    ("Our servers have no internet access, so I'm self-hosting the API docs assets. Which JavaScript file do I need
    to download for ReDoc?"): the rarest words of the context ("internet", "self-hosting") say why one asks, not
    what the answering unit is about, as with the unit scorer's ``asked`` feature."""
    asking = _asked_after_context(expected_type(question).folded)
    if asking is None:
        return idf
    own = {t: idf[t] for t in content_terms(asking) if t in idf}
    return own or idf


def _spelled_out(term: str, joined: set[str]) -> bool:
    """Is the identifier ``term`` written out as words where ``joined`` (``_joined_runs``) was read: `maxSurge`
    under "Max surge", pod-deletion-cost under "Pod deletion cost"? Separators and case are dropped."""
    key = re.sub(r"[^a-z0-9]", "", term)  # a stem: "topologySpreadConstraints" is asked as ...constraint
    return len(key) > 3 and (key in joined or key + "s" in joined or key + "es" in joined)


def _joined_runs(text: str, longest: int = 4) -> set[str]:
    """Every run of 2..``longest`` consecutive words of ``text``, lowercased and written together."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {"".join(words[i:i + n]) for n in range(2, longest + 1) for i in range(len(words) - n + 1)}


_DELIMITER_ROW = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?")


def table_header(text: str, start: int, max_rows: int = 500) -> str:
    """The header row of the Markdown table whose row starts at ``start`` ("Setting | Default | Description"),
    or "" when the line is not in a pipe table. Read from the text: a document read back from the index has no
    table structure, and the header is often outside the row's chunk."""
    end = text.rfind("\n", 0, start) + 1  # the row's line start
    for _ in range(max_rows):
        if end <= 0:
            return ""
        line_start = text.rfind("\n", 0, end - 1) + 1
        line = text[line_start:end - 1].strip()
        if _DELIMITER_ROW.fullmatch(line) and "-" in line:
            header_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
            header = text[header_start:max(line_start - 1, header_start)].strip()
            return header if "|" in header else ""
        if "|" not in line:
            return ""
        end = line_start
    return ""


_LIST_ITEM_LINE = re.compile(r"\s*(?:[-*+]|\d{1,3}[.)])\s")


def list_lead(text: str, start: int, max_lines: int = 200) -> str:
    """The sentence that leads into the Markdown list whose item starts at ``start`` ("The kubelet has the
    following default hard eviction thresholds:"), or "" when the line before the list does not end with a colon.
    Every item of the list is read in its light: the lead-in names what the items are values of. Read from the
    text, as ``table_header`` is: the lead-in is often in another chunk than the item."""
    end = text.rfind("\n", 0, start) + 1  # the item's line start
    if not _LIST_ITEM_LINE.match(text, end):
        return ""
    indent = _indent(text[end:start + 1])
    for _ in range(max_lines):
        if end <= 0:
            return ""
        line_start = text.rfind("\n", 0, end - 1) + 1
        line = text[line_start:end - 1]
        if indent and line.strip() and _LIST_ITEM_LINE.match(line) and _indent(line) < indent:
            # a nested item is read under its parent item ("- **whenUnsatisfiable** indicates how to deal with a
            # Pod ...:" above "  - `DoNotSchedule` (default) tells the scheduler ...")
            return line.strip()
        if line.strip() and not _LIST_ITEM_LINE.match(line) and not line[:1].isspace():
            return line.strip() if line.rstrip().endswith(":") else ""
        end = line_start
    return ""


def _indent(line: str) -> int:
    """The width of a line's leading white space, a tab counting as four columns (Markdown's tab stop)."""
    stripped = line.lstrip(" \t")
    return len(line[:len(line) - len(stripped)].replace("\t", "    "))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


def _on_reason(question: str, ranked: list[Candidate]) -> Candidate | None:
    """For a why-question whose best unit gives no reason (rag.answering.reasons), the first unit among the next
    REASON_DEPTH, scoring at least REASON_MARGIN of the best, that gives one; None otherwise. The depth and margin
    were chosen on the dev splits: the reasons the documentation dev questions ask for ranked eighth and ninth."""
    if not ranked or not asks_why(question) or gives_reason(ranked[0].text):
        return None
    floor = REASON_MARGIN * ranked[0].score
    return next((c for c in ranked[1:REASON_DEPTH] if c.score >= floor and gives_reason(c.text)), None)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: Embedder, snapshot_getter: Callable[[], StoreView], threshold: float,
                 max_sentences: int = 2, weights: Sequence[float] | None = None,
                 abstain_weights: Sequence[float] | None = None, reader: ShortAnswerReader | None = None,
                 type_veto: bool = True):
        self.embedder = embedder
        self.type_veto = type_veto
        self.snapshot_getter = snapshot_getter
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.weights = list(weights) if weights is not None else None
        self.abstain_weights = list(abstain_weights) if abstain_weights else None  # [] = no model
        self.reader = reader
        for values, names in ((self.weights, FEATURES), (self.abstain_weights, ABSTAIN_FEATURES)):
            if values is not None and len(values) != len(names) + 1:
                raise ValueError(f"weights need {len(names) + 1} numbers (bias + {', '.join(names)}), not {values}")

    def candidates(self, question: str, passages: list[Passage]) -> list[Candidate]:
        snapshot = self.snapshot_getter()
        seen: set[tuple[str, int, int]] = set()
        out: list[Candidate] = []
        for passage in passages:
            doc = snapshot.document(passage.chunk.source)
            units = answer_units(passage.chunk, doc)
            for i, unit in enumerate(units):
                key = (doc.source, unit.start, unit.end)
                if key in seen:
                    continue
                seen.add(key)
                following = units[i + 1] if i + 1 < len(units) else None
                previous = doc.text[units[i - 1].start:units[i - 1].end] if i > 0 else ""
                lead = ""
                if unit.kind in ("table_row", "list_item"):  # a row's header names its columns ("Default"), a
                    # list's lead-in what its items are ("the following default thresholds:"): context for them too
                    lead = (table_header if unit.kind == "table_row" else list_lead)(doc.text, unit.start)
                    if lead and lead != previous:
                        previous = f"{lead}\n{previous}" if previous else lead
                out.append(Candidate(passage, unit.start, unit.end, doc.text[unit.start:unit.end], parts=unit.parts,
                                     next_span=(following.start, following.end) if following else None,
                                     kinds=(unit.kind, following.kind) if following and unit.kind else None,
                                     kind=unit.kind, previous=previous, lead=lead))
        return out

    def unit_vectors(self, candidates: list[Candidate]) -> np.ndarray:
        """Unit embeddings: a unit made of several stored spans (the lines of a wrapped sentence) gets the
        length-weighted mean of their vectors, as a chunk does (rag.store.sentence_table.chunk_vectors)."""
        if all(len(c.parts) <= 1 for c in candidates):
            return self.sentence_vectors(candidates)
        pieces = [Candidate(c.passage, s, e, "") for c in candidates for s, e in (c.parts or ((c.start, c.end),))]
        vectors = self.sentence_vectors(pieces)
        out = np.empty((len(candidates), vectors.shape[1]), np.float32)
        row = 0
        for i, c in enumerate(candidates):
            parts = c.parts or ((c.start, c.end),)
            weights = np.array([e - s for s, e in parts], np.float32)
            mean = weights @ vectors[row:row + len(parts)]
            out[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
            row += len(parts)
        return out

    def sentence_vectors(self, candidates: list[Candidate]) -> np.ndarray:
        """Unit embeddings, stored at index time, so answering costs no model call."""
        snapshot = self.snapshot_getter()
        out = np.empty((len(candidates), self.embedder.dim), np.float32)
        by_source: dict[str, list[int]] = {}
        for i, c in enumerate(candidates):
            by_source.setdefault(c.passage.chunk.source, []).append(i)
        for source, rows in by_source.items():
            out[rows] = snapshot.unit_vectors(source, [(candidates[i].start, candidates[i].end) for i in rows])
        return out

    def featurize(self, question: str, candidates: list[Candidate], question_vector: np.ndarray | None = None,
                  identifiers: tuple[str, ...] | None = None) -> None:
        """Every candidate's FEATURES and unit score; ``identifiers``: the question's distinctive identifiers, when
        the caller has them already."""
        if not candidates:
            return
        weights = TermWeights.of(self.snapshot_getter())
        terms = list(dict.fromkeys(content_terms(question)))
        idf = {t: weights.idf(t) for t in terms}
        idf_total = sum(idf.values()) or 1.0
        kind = question_type(question)
        if identifiers is None:
            identifiers = distinctive_identifiers(question, weights.stats)
        qv = question_vector if question_vector is not None else self.embedder.embed_array([question])[0]
        dense = self.unit_vectors(candidates) @ qv
        max_idf = max(idf.values(), default=1.0) or 1.0
        info = expected_type(question)
        term_set = set(terms)
        # A question written after its context ("We have two default classes for one driver. What happens when
        # ...?"): the share of the asking sentence's words a unit holds, so a unit restating the context does not
        # win on the context's words alone. 0 for a question that is one asking sentence, and for a follow-up whose
        # query is the question then the previous question's words (rag.retrieval.followup: those name the subject).
        asking = _asked_after_context(info.folded)
        asked_terms = [t for t in dict.fromkeys(content_terms(asking)) if t in idf] if asking is not None else []
        asked_total = sum(idf[t] for t in asked_terms) or 1.0
        by_passage: dict[str, tuple[float, float]] = {}
        for cand in candidates:
            chunk = cand.passage.chunk
            if chunk.chunk_id not in by_passage:
                in_passage = set(content_terms(chunk.text))
                missing = [idf[t] for t in terms if t not in in_passage]
                by_passage[chunk.chunk_id] = (
                    sum(idf[t] for t in terms if t in in_passage) / idf_total,
                    max(missing, default=0.0) / max_idf,
                )
        for cand, sim in zip(candidates, dense):
            present = set(content_terms(cand.text))
            hits = [t for t in terms if t in present]
            passage_coverage, missing_idf = by_passage[cand.passage.chunk.chunk_id]
            section = set(content_terms(cand.passage.chunk.section or ""))
            context = present | section | set(content_terms(cand.previous))
            stripped = cand.text.strip()
            typed = unit_has_type(info, cand.text, question)
            cand.features = {
                "dense": float(sim),
                "idf_coverage": sum(idf[t] for t in hits) / idf_total,
                "coverage": len(hits) / len(terms) if terms else 0.0,
                "type_match": 1.0 if has_answer_type(kind, cand.text, question) else 0.0,
                "rank_prior": 1.0 / math.sqrt(cand.passage.rank),
                "passage_dense": float(cand.passage.dense_score or 0.0),
                "passage_coverage": passage_coverage,
                "missing_idf": missing_idf,
                "unit_missing_idf": max((idf[t] for t in terms if t not in present), default=0.0) / max_idf,
                # a list item or table row names what its lead-in or header names ("`datetime.timedelta`:" above
                # "In requests and responses will be represented as a `float` of total seconds.")
                "identifiers": (sum(contains_identifier(f"{cand.lead}\n{cand.text}", i) for i in identifiers)
                                / len(identifiers) if identifiers else 0.0),
                "list_item": 1.0 if cand.kind == "list_item" else 0.0,
                "table_row": 1.0 if cand.kind == "table_row" else 0.0,
                "code": 1.0 if cand.kind == "code" else 0.0,
                "section": len(term_set & section) / len(term_set) if term_set and section else 0.0,
                "short": 1.0 if len(stripped) < 40 else 0.0,
                "length": math.log1p(len(stripped)) / 6.0,
                "colon": 1.0 if stripped.endswith(":") else 0.0,
                "question": 1.0 if stripped.endswith("?") else 0.0,
                "type_present": 1.0 if typed is True else 0.0,
                "type_absent": 1.0 if typed is False else 0.0,
                "context": (len(term_set & context) - len(hits)) / len(terms) if terms else 0.0,
                "names_focus": 1.0 if names_focus(info, cand.text, question) or (
                    (header := _header(cand)) is not None and names_column(info, cand.text, header)) else 0.0,
                "asked": sum(idf[t] for t in asked_terms if t in present) / asked_total,
            }
        best_dense = max(c.features["dense"] for c in candidates)
        best_idf = max(c.features["idf_coverage"] for c in candidates)
        for cand in candidates:
            cand.features["rel_dense"] = cand.features["dense"] - best_dense
            cand.features["rel_idf"] = cand.features["idf_coverage"] - best_idf
            cand.score = self.probability(cand.vector())

    def probability(self, vector: list[float]) -> float:
        """P(this sentence answers the question) under the sentence model."""
        return _logistic(self.weights, vector)

    def decide(self, question: str, passages: list[Passage], question_vector: np.ndarray | None = None) -> Decision:
        """Rank the units, extend the best one over its continuation, read its short answer, and score whether
        to answer at all (``confidence``, compared to the threshold)."""
        candidates = self.candidates(question, passages)
        identifiers = distinctive_identifiers(question, TermWeights.of(self.snapshot_getter()).stats)
        self.featurize(question, candidates, question_vector, identifiers)
        ranked = _saying_something(question, sorted(candidates, key=lambda c: -c.score))
        if not ranked:
            return Decision(ranked)
        top = ranked[0]
        snapshot = self.snapshot_getter()
        span = self._extend(question, top, snapshot)
        reading = None
        veto = None
        best, best_span, best_reading = top, span, None
        if self.reader is not None:
            weights = TermWeights.of(snapshot)
            idf = {t: weights.idf(t) for t in content_terms(question)}
            reading = self.reader.read(question, snapshot.document(top.passage.chunk.source).text[span[0]:span[1]],
                                       idf, _header(top))
            best, best_span, best_reading = self._reread(question, ranked, span, reading, snapshot, idf)
            conditioned = self._on_condition(question, ranked, snapshot, reading.kind) \
                if reading.kind in (NONE, COUNT, QUANTITY) else None
            if conditioned is None and reading.kind == NONE:
                conditioned = _on_reason(question, ranked)
            if conditioned is not None:
                best, best_span = conditioned, self._extend(question, conditioned, snapshot)
            text, around = _unit_text(snapshot, best, best_span)
            if conditioned is not None and reading.kind != NONE:  # the amount is read in the unit now cited
                best_reading = self.reader.read(question, text, idf, _header(best))
            # A unit cited because it states the question's own circumstances answers an amount in words too ("the
            # kubelet defaults to no limit ..."): the type veto, which looks for a number, is not applied to it.
            vetoing = self.type_veto and (conditioned is None or reading.kind == NONE)
            missing = missing_type(question, best_reading, self.reader.threshold, around) if vetoing else None
            if missing and best_reading.kind in VETO_TYPES:
                rescued = self._rescue(question, ranked, best, idf, snapshot)
                if rescued is not None:
                    (best, best_span, best_reading), missing = rescued, None
                    text, around = _unit_text(snapshot, best, best_span)
            if missing:
                absent = unsaid_role_of(question, around) if best_reading.kind == PERSON else None
                veto = _unmentioned(absent, passages, lambda t: unsaid_role_of(question, t) is None) if absent \
                    else veto_reason(question, text, missing, idf)
            elif self.type_veto and best_reading is not None and best_reading.kind in FACTOID \
                    and not asks_yes_no(question) and (number := unstated_number(question, around)) is not None:
                # a factoid pinned to a number ("Who ruled Cyprus in the 11th century?") is not answered by a text
                # that never states it; a why / how-to question may be ("why did Carter boycott the 1980 games").
                # A question pinned to two ("... with 401 instead of 403?") whose cited text states one is answered
                # by the unit next to it that states the others, if there is one.
                refused_text = around
                rescued = self._rescue(question, ranked, best, idf, snapshot, states=lambda text: unstated_number(
                    question, f"{refused_text} {text}") is None) \
                    if any(stated for _, stated in pinned_numbers(question, around)) else None
                if rescued is not None:
                    best, best_span, best_reading = rescued
                else:
                    veto = _unmentioned(number, passages, lambda t: unstated_number(question, t) is None)
        # Whether to answer is judged on the unit scorer's top unit, as the abstention model was fitted; the
        # re-read only chooses which of two close units is cited.
        others = [c.score for c in ranked[1:] if (c.start, c.end) != (top.start, top.end)]
        signals = abstain_signals(question, top.features, top.score, max(others, default=0.0), top.passage,
                                  min(passages, key=lambda p: p.rank), reading,
                                  any(c.features["type_present"] for c in ranked[:3]), identifiers)
        confidence = _logistic(self.abstain_weights, signals) if self.abstain_weights else top.score
        person = asked_person(question)  # "Who is Kishida?": read by _defined, refused below when no unit says
        defined = self._defined(question, ranked, snapshot, person)
        if defined is not None:
            cand, long_form, sure = defined
            kind = best_reading.kind if best_reading is not None else expected_type(question).kind
            reading = Reading(kind, SpanCandidate(*long_form, {"definition"}), 1.0, True, frozenset({"definition"})) \
                if self.reader is not None and long_form is not None else None  # a whole definition has no short one
            return Decision(ranked, cand, (cand.start, cand.end), reading, signals,
                            max(confidence, DEFINED_CONFIDENCE) if sure else confidence, None)
        if person is not None and self.type_veto:
            # "Who is Putin?" of passages that only name him (or do not name him at all): what else they say is no
            # answer, and the reader's person would be another one named near him ("North Korean leader Kim Jong Un")
            full, surname = _naming(person), _naming(person.split()[-1])
            said = person if any(full.search(p.chunk.text) for p in passages) else person.split()[-1]
            veto = _unmentioned(said, passages, lambda text: bool(full.search(text) or surname.search(text)))
        return Decision(ranked, best, best_span, best_reading, signals, confidence, veto)

    @staticmethod
    def _defined(question: str, ranked: list[Candidate], snapshot: StoreView, person: str | None = None
                 ) -> tuple[Candidate, tuple[int, int] | None, bool] | None:
        """For "What does CRI stand for?": the best-ranked unit that defines the abbreviation, and the long form's
        offsets in that unit ("Container Runtime Interface (CRI)"); for "What is a DaemonSet?" / "What does the
        kube-scheduler do?", the best-ranked unit that says what it is or does (rag.retrieval.definitions), and None
        (the whole unit answers); and whether the unit surely answers (a long form, or "X is a ...": the confidence
        is then DEFINED_CONFIDENCE; a unit that only says what X does, "The kubelet writes logs ...", keeps the
        abstention model's). None for other questions, or when no unit of the passages found defines it (the
        answer is then decided as any other)."""
        if person is not None:  # "Who is Kishida?" (asked_person) asks what the text says he is, not for a name
            said = ExtractiveAnswerer._person_described(person, ranked, snapshot)
            return (*said, True) if said is not None else None
        abbr = asked_abbreviation(question)
        if abbr is not None:
            defined = ExtractiveAnswerer._abbreviation_defined(abbr, ranked, snapshot)
            if defined is not None:
                return (*defined, True)
        subject = asked_subject(question)  # "What is OpenAPI?" reads as an abbreviation no unit spells out
        if subject is None:
            return None
        # "What is a DaemonSet?": the first unit that says what it is or does on a page about it (a page opens
        # with its definition: "A _DaemonSet_ ensures ..." before "`DaemonSet` is a top-level resource in the REST
        # API"); else the best-ranked unit that says what it is ("X is a ...", "[kubelet](...): Ensures ..."),
        # then the best-ranked that says what it does
        saying = [(strength, c) for c in ranked if (strength := defines(c.text, subject))]
        if not saying:
            return None
        on_its_page = [(strength, c) for strength, c in saying
                       if titled(snapshot.document(c.passage.chunk.source).section_at(c.start), subject)]
        if on_its_page:  # of the best-ranked such page, its first
            page = on_its_page[0][1].passage.chunk.source
            strength, first = min(((n, c) for n, c in on_its_page if c.passage.chunk.source == page),
                                  key=lambda item: item[1].start)
        else:
            strength, first = max(saying, key=lambda item: item[0])
        return first, None, strength == 2

    @staticmethod
    def _person_described(name: str, ranked: list[Candidate], snapshot: StoreView
                          ) -> tuple[Candidate, tuple[int, int]] | None:
        """The best-ranked of the first PERSON_DEPTH units naming ``name`` that says who that is (rag.answering.who_is:
        a title, an appositive, a copula), and the offsets of those words in it; spaCy parses only those units."""
        written = _naming(name)
        naming = [c for c in ranked if written.search(c.text)]
        if not naming and len(name.split()) > 1:  # "Who is Vladimir Putin?" of a text that writes "Putin"
            name = name.split()[-1]
            written = _naming(name)
            naming = [c for c in ranked if written.search(c.text)]
        for cand in naming[:PERSON_DEPTH]:
            text = snapshot.document(cand.passage.chunk.source).text[cand.start:cand.end]
            doc = parse(text, entities=True)
            offsets = described(doc, name)
            if offsets is None:
                continue
            words = doc.text[offsets[0]:offsets[1]]  # the parse reads a line break as a space: found in the unit
            at = text.find(words) if text[offsets[0]:offsets[1]] != words else offsets[0]
            if at >= 0:
                return cand, (at, at + len(words))
        return None

    @staticmethod
    def _abbreviation_defined(abbr: str, ranked: list[Candidate], snapshot: StoreView
                              ) -> tuple[Candidate, tuple[int, int]] | None:
        """The best-ranked unit that defines ``abbr``, and the long form's offsets in it."""
        found = []
        for cand in ranked:
            text = snapshot.document(cand.passage.chunk.source).text[cand.start:cand.end]
            span = definition(text, abbr)
            if span is not None:
                found.append((cand, span, text))
        # a unit that goes on to say what it is ("The Container Runtime Interface (CRI) is the main protocol ...")
        # before one that defines it in passing ("... are Container Runtime Interface (CRI) implementation
        # dependent"), each in rank order
        said = [(cand, span) for cand, span, text in found if says_what_it_is(text, span)]
        return (said or [(cand, span) for cand, span, _ in found] or [None])[0]

    def _extend(self, question: str, cand: Candidate, snapshot: StoreView) -> tuple[int, int]:
        doc = snapshot.document(cand.passage.chunk.source)
        return continuation(question, doc, (cand.start, cand.end), cand.next_span, cand.kinds)

    def _reread(self, question: str, ranked: list[Candidate], span: tuple[int, int], reading: Reading,
                snapshot: StoreView, idf: dict[str, float]) -> tuple[Candidate, tuple[int, int], Reading]:
        """For a factoid question, the next units are read too when they score close enough to the best, and the
        one whose unit and span log-odds together (unit + weight x span) are highest is cited. The unit scorer
        sees words and types; the reader sees whether a span of the asked type stands where the question points,
        which separates "You can specify `maxSurge` ..." from "The default value is 25%.".
        - A count, quantity or value question (a number, a code span: types the reader recognises reliably):
          up to 3 more units of the best unit's document scoring at least 0.3 of it, holding a number or value
          by the scorer's regular expressions (``type_present``: no parse for a unit that cannot answer) and about
          the question's rarest term (``_about``: in the unit, its section path or the unit before it, an
          identifier also when a heading spells it out), span weight 1.0.
        - Any other factoid question (names, places, dates: fuzzier spans): the runner-up only, from any
          document, when it scores at least 0.8 of the best and holds the asked type by the scorer's regular
          expressions, span weight 0.5.
        At most 3 extra spaCy parses, only for those questions, and none for a count, quantity or value question
        whose best unit's span already has probability RERANK_CONFIDENT (it changed no dev answer and halved the
        parses on the Kubernetes dev split). Chosen on the dev splits of seeds, SQuAD, ClapNQ and the Kubernetes
        docs together (docs/EVAL.md, "Reading the runner-up")."""
        top = ranked[0]
        if reading.kind not in FACTOID:
            return top, span, reading
        crisp = reading.kind in (COUNT, QUANTITY, VALUE)
        if crisp and reading.probability >= RERANK_CONFIDENT and missing_type(question, reading) is None:
            return top, span, reading  # the best unit already states a value the reader is sure of: no more parses
        depth, margin, weight = RERANK_CRISP if crisp else RERANK_OTHER
        terms = set(content_terms(top.passage.chunk.text)) if crisp else set()
        others = [c for c in ranked[1:depth] if c.score >= margin * top.score
                  and not (c.start < span[1] and span[0] < c.end and c.passage.chunk.source == top.passage.chunk.source)
                  and c.features["type_present"]
                  and (not crisp or (c.passage.chunk.source == top.passage.chunk.source
                                     and _about(c, idf, snapshot, terms)))]

        def joint(score: float, probability: float) -> float:
            return _log_odds(score) + weight * _log_odds(probability)

        best = (joint(top.score, reading.probability), top, span, reading)
        for cand in others:
            cand_span = self._extend(question, cand, snapshot)
            text = snapshot.document(cand.passage.chunk.source).text[cand_span[0]:cand_span[1]]
            cand_reading = self.reader.read(question, text, idf, _header(cand))  # type: ignore[union-attr]
            value = joint(cand.score, cand_reading.probability)
            if value > best[0]:
                best = (value, cand, cand_span, cand_reading)
        return best[1], best[2], best[3]

    @staticmethod
    def _on_condition(question: str, ranked: list[Candidate], snapshot: StoreView, kind: str) -> Candidate | None:
        """For a question asking what happens under a condition ("What goes wrong if more than one IngressClass is
        marked default?"), a unit among the next CONDITION_DEPTH, scoring at least CONDITION_MARGIN of the best,
        whose own if / when clause holds at least CONDITION_MATCH of the question's condition (IDF-weighted,
        rag.answering.conditions) and CONDITION_LEAD more than the best unit's does; the best such. The condition
        is the asking sentence's if / when clause, else (a question asking what happens, or how many / how much,
        ``kind``) the sentences that set the circumstances before it ("I set serializeImagePulls: false and left
        maxParallelImagePulls unset. How many images ...?"). None when the best unit states the condition as well
        as any, or the question asks no such thing."""
        weights = TermWeights.of(snapshot)
        top = ranked[0]
        for condition in (asked_condition(question) if kind == NONE else set(),
                          context_condition(question, kind in (COUNT, QUANTITY))):
            if not condition:
                continue
            idf = {t: weights.idf(t) for t in condition}
            floor = condition_match(condition, top.text, idf) + CONDITION_LEAD
            found = [(match, cand) for cand in ranked[1:CONDITION_DEPTH] if cand.score >= CONDITION_MARGIN * top.score
                     and (match := condition_match(condition, cand.text, idf)) >= max(CONDITION_MATCH, floor)]
            if found:
                return max(found, key=lambda item: (item[0], item[1].score))[1]
        return None

    def _rescue(self, question: str, ranked: list[Candidate], refused: Candidate, idf: dict[str, float],
                snapshot: StoreView, states: Callable[[str], bool] | None = None
                ) -> tuple[Candidate, tuple[int, int], Reading] | None:
        """Before the type veto refuses a count, quantity or value question, the next units (up to RESCUE_DEPTH,
        best first) that hold the asked type (``type_present``), whose own words, section path and list lead-in or
        table header hold the question's RESCUE_TERMS rarest words (``_covers``) and, for a question asking a
        default, say "default" there too, are read (at most RESCUE_READS); of those whose reading the veto
        accepts, the one holding the most of the question's words (IDF-weighted) is cited instead.
        "The passages found don't state a default" must not be said when one of them does: "The default value is
        25%." under "Rolling Update Deployment > Max Surge" ranked 15th of 17 units for "What's the default maxSurge
        for a Deployment's rolling update?", below sentences that name `maxSurge` without a value. Requiring the rarest
        words in the unit's own context, not only in its passage, keeps a look-alike out: the default of
        minReadySeconds stated under StatefulSets does not answer the question about DaemonSets.
        With ``states`` (a question pinned to numbers the refused unit states only some of), only the units next to
        the refused one are read, and only when ``states`` accepts their text."""
        assert self.reader is not None  # only called after a reading
        default = asks_default(question)
        covering = _asking_idf(question, idf)
        reads = 0
        accepted: list[tuple[Candidate, tuple[int, int], Reading]] = []
        for cand in ranked[:RESCUE_DEPTH]:
            if cand is refused or not cand.features["type_present"]:
                continue
            doc = snapshot.document(cand.passage.chunk.source)
            section = doc.section_at(cand.start) or ""
            if states is not None:
                # the numbers a question is pinned to are looked for only next to the refused unit, which goes on
                # about the same thing ("Before version X ... `403`." then "Starting with version X, they use
                # `401`."); a unit elsewhere that states a number speaks of another thing as often
                if cand.passage.chunk.source != refused.passage.chunk.source or _gap(refused, cand) > 2:
                    continue
            elif not _covers(cand, section, covering):
                continue
            span = self._extend(question, cand, snapshot)
            text = doc.text[span[0]:span[1]]
            around = " ".join((section, cand.lead, text))
            if default and not DEFAULT_CUE.search(around) or states is not None and not states(around):
                continue
            reading = self.reader.read(question, text, idf, _header(cand))
            if missing_type(question, reading, self.reader.threshold, around) is None:
                accepted.append((cand, span, reading))
            reads += 1
            if reads >= RESCUE_READS:
                break
        # Items of one list share their context; the one holding more of the question's own words wins ("on Linux
        # nodes": the Linux item, not the Windows one), then the unit score.
        return max(accepted, key=lambda a: (a[0].features["idf_coverage"], a[0].score), default=None)

    def answer(self, question: str, passages: list[Passage], question_vector: np.ndarray | None = None) -> Answer:
        decision = self.decide(question, passages, question_vector)
        if decision.best is None or decision.confidence < self.threshold:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True, passages=passages,
                          confidence=decision.confidence)
        if decision.veto:
            return Answer(question=question, answer=decision.veto, abstained=True, passages=passages,
                          confidence=decision.confidence)
        best = decision.best
        chosen = [(best, decision.span)]
        for other in decision.ranked[1:]:
            if len(chosen) >= self.max_sentences:
                break
            same_doc = other.passage.chunk.source == best.passage.chunk.source
            if (same_doc and _gap(best, other) <= 2 and not _overlaps(decision.span, other)
                    and other.score >= max(self.threshold, 0.8 * best.score)):
                chosen.append((other, (other.start, other.end)))
        chosen.sort(key=lambda item: (item[0].passage.chunk.source, item[1][0]))
        snapshot = self.snapshot_getter()
        doc = snapshot.document(best.passage.chunk.source)
        citations = []
        parts = []
        markup = Path(doc.source).suffix.lower() in MARKDOWN_SUFFIXES  # the answer reads as the page shows it
        for n, (cand, (start, end)) in enumerate(chosen, start=1):
            citations.append(cite(n, cand.passage, start, end, cand.score, snapshot))
            parts.append(cited_text(doc.text[start:end], n, markup and cand.kind != "code",  # code stays as written
                                    _indexed_sentences(cand, start, end)))
        text = " ".join(parts)
        if denies(question, doc.text[decision.span[0]:decision.span[1]]):  # "Can I ...?" cited with "you cannot ..."
            text = NO_PREFIX + text
        return Answer(question=question, answer=text, abstained=False, citations=citations,
                      passages=passages, confidence=decision.confidence,
                      short_answer=self._short_answer(question, decision, doc.source))

    def _short_answer(self, question: str, decision: Decision, source: str) -> ShortAnswer | None:
        reading = decision.reading
        if reading is None or reading.span is None:
            return None
        assert self.reader is not None  # decide() reads a span only with a reader
        if reading.probability < self.reader.threshold:
            return None
        doc = self.snapshot_getter().document(source)
        start, end = decision.span[0] + reading.span.start, decision.span[0] + reading.span.end
        if not shown_as_short_answer(question, doc.text[start:end]):
            return None
        return ShortAnswer(doc.text[start:end], start, end, source)

    def condense(self, question: str, history: list[dict] | None) -> str:
        """A follow-up gets the previous question's terms by the keyword heuristic (no model here)."""
        return contextual_query(question, history)

    def stream(self, question: str, passages: list[Passage], question_vector=None) -> Iterator[str | Answer]:
        answer = self.answer(question, passages, question_vector)
        yield answer.answer
        yield answer


# the words that ask for the type ("how wide", "the minimum version"), not what it is asked about (stems, as
# content_terms gives them)
_ASKING_WORDS = set("many much long far big large old often high tall wide deep fast heavy default defaults value "
                    "values minimum maximum min max highest lowest longest shortest largest smallest".split())


def _header(cand: Candidate) -> str | None:
    """The header row of a table row unit (what the reader needs to tell its columns apart), else None."""
    return cand.lead if cand.kind == "table_row" and cand.lead else None


def _unit_text(snapshot: StoreView, cand: Candidate, span: tuple[int, int]) -> tuple[str, str]:
    """The text of a cited unit, and that text with its section path and the unit before it: what the type veto
    and the stated-number check read."""
    doc = snapshot.document(cand.passage.chunk.source)
    text = doc.text[span[0]:span[1]]
    return text, " ".join((doc.section_at(cand.start) or "", cand.previous, text))


def veto_reason(question: str, cited: str, missing: str, idf: dict[str, float]) -> str:
    """What the user reads when the type veto refuses: 'The passages found mention "maxSurge" but don't state a
    default value for it.' The word named is the question's rarest word (highest IDF) that the cited text contains."""
    present = set(content_terms(cited))
    best, weight = None, -1.0
    for word in dict.fromkeys(re.findall(r"[^\W\d_][\w.-]*[^\W_]|[^\W\d_]", question)):
        if word.lower() in _ASKING_WORDS:
            continue
        terms = [t for t in content_terms(word) if t in present]
        if terms and max(idf.get(t, 0.0) for t in terms) > weight:
            best, weight = word, max(idf.get(t, 0.0) for t in terms)
    if best is None:
        return f"The documents don't contain an answer to this: the passage found doesn't state {missing}."
    return f'The passages found mention "{best}" but don\'t state {missing} for it.'


def _logistic(weights: list[float] | None, vector: list[float]) -> float:
    if weights is None:
        return 0.0
    bias, *w = weights
    return sigmoid(bias + sum(a * b for a, b in zip(w, vector)))


def cited_text(quote: str, n: int, markup: bool = False, sentences: list[tuple[int, int]] | None = None) -> str:
    """A unit as answer text: its line breaks as spaces (a wrapped Markdown sentence reads as one line), and the
    marker [n] after each of its sentences, so every sentence of a multi-sentence unit carries its citation. The
    sentences are the index's own (pysbd, never inside a code span): a full stop then a capital is not always one
    ("on July 11, U.S. President Joe Biden met ..." got a marker after "U.S." from the regex this replaced).
    ``sentences``: the quote's sentences as (start, end) offsets into it when the index already cut them (a unit
    of one sentence, or a sentence and the one continuing it: see _indexed_sentences); else pysbd cuts the quote
    here (a list item or a table row may hold several). With ``markup`` (a Markdown source) each sentence reads as
    the page shows it (rag.ingest.markup.answer_text): link text without its target, no emphasis markers or inline
    HTML tags, code in backticks; the citation keeps the verbatim span."""
    flat = " ".join(quote.split())
    if not flat:
        return ""
    if sentences is not None:
        pieces = [piece for a, b in sentences if (piece := " ".join(quote[a:b].split()))] or [flat]
    else:
        pieces = [flat[a:b] for a, b in paragraph_sentence_spans(flat, 0, len(flat))] or [flat]
    if markup:
        pieces = [shown for piece in pieces if (shown := answer_text(piece))] or [flat]
    return " ".join(f"{piece} [{n}]" for piece in pieces)


_ONE_SENTENCE = (None, "sentence", "text")  # unit kinds that are one pysbd sentence of the index (rag.ingest)


def _indexed_sentences(cand: Candidate, start: int, end: int) -> list[tuple[int, int]] | None:
    """The sentences of the cited span ``start:end`` as the index cut them, offsets relative to ``start``: the
    unit itself when it is one sentence, and the sentence that continues it when the answer was extended over it
    (rag.answering.units.continuation). None for other units (pysbd cuts them at answer time). Segmenting again
    what the index already segmented cost time (pysbd compiles its regular expressions on every call: 184 of the
    187 compiles of 30 bench questions) and could cut a sentence read alone where its paragraph did not."""
    if cand.kind not in _ONE_SENTENCE:
        return None
    spans = [(cand.start, cand.end)]
    if end > cand.end and cand.next_span is not None and cand.next_span[1] == end \
            and (cand.kinds is None or cand.kinds[1] in _ONE_SENTENCE):
        spans.append(cand.next_span)
    if (spans[0][0], spans[-1][1]) != (start, end):
        return None
    return [(a - start, b - start) for a, b in spans]


def _saying_something(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """``ranked`` without the units that say nothing the question does not: every word the page shows of them is
    one of the question's ("Horse latitudes" for "how did the horse latitudes get their name", a bare link
    "[`kube-proxy`](...)" for "How do I switch kube-proxy to nftables mode?"). A title or a link restating the topic
    answers nothing. Yes/no questions keep them ("kube-proxy supports nftables" answers "Does kube-proxy support
    nftables?"); when every unit is such, the ranking stays as it is."""
    if asks_yes_no(question):
        return ranked
    asked = set(content_terms(question))
    kept = [c for c in ranked if set(content_terms(plain_text(c.text))) - asked]
    return kept or ranked


def _overlaps(span: tuple[int, int], cand: Candidate) -> bool:
    return cand.start < span[1] and span[0] < cand.end


def _gap(a: Candidate, b: Candidate) -> int:
    """Characters between two spans of the same document (0 when touching or overlapping)."""
    return max(0, max(a.start, b.start) - min(a.end, b.end))
