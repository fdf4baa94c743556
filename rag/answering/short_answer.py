"""Short answers: the span inside the cited unit that answers a factoid question ("Who ...?" -> "Rollo").

1. ``expected_type`` reads what kind of answer the question asks for from its wh-phrase and focus noun: a person,
   a time, a place, a count, a quantity, a value (an option, a default, a port, a field...), any entity ("what
   river ..."), or none (why / how-to / yes-no / definitions: no short answer).
2. ``span_candidates`` lists the spans of one unit that could be that answer: spaCy entities and noun phrases
   (en_core_web_sm, run on this one unit only), inline code spans, quoted values, numbers with their units,
   identifiers (camelCase, snake_case, dotted, --flags, paths).
3. ``span_features`` describes each span by transferable signals (does its kind fit the expected type, is it new
   to the question, how close does it sit to the question's words, is it an argument of a verb the question
   uses); a logistic model over them (settings ``short_answer_weights``, fitted by `rag calibrate`) scores it.
The best span is the short answer when its score reaches ``short_answer_threshold``; offsets are absolute, so
``doc.text[start:end] == text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rag.text import STOPWORDS, content_terms, fold, stem, words

PERSON, TIME, PLACE, COUNT, QUANTITY, VALUE, ENTITY, NONE = (
    "person", "time", "place", "count", "quantity", "value", "entity", "none")
FACTOID = (PERSON, TIME, PLACE, COUNT, QUANTITY, VALUE, ENTITY)

SPAN_FEATURES = ("type_fit", "novel", "near", "window", "proximity", "dep", "focus", "role", "verb", "verb_near",
                 "tree_near", "tree_verb", "is_entity", "is_chunk", "is_literal", "length")

_TIME_FOCUS = set("year years century centuries date day days month months decade decades period era time age "
                  "season".split())
_PLACE_FOCUS = set("country countries city cities town region state island islands river rivers continent place "
                   "location area nation nations province county sea ocean mountain lake village capital border "
                   "territory kingdom empire".split())
_PERSON_FOCUS = set("person people leader president king queen emperor minister man woman duke general author "
                    "writer ruler pope bishop scientist politician commander prince chancellor".split())
_VALUE_FOCUS = set("option options parameter parameters flag flags field fields setting settings value values port "
                   "ports version versions annotation annotations label labels key keys command commands default "
                   "policy mode profile status code effect taint namespace socket path file directory prefix "
                   "prefixes header endpoint protocol signal format unit limit threshold response argument "
                   "variable method function class property attribute".split())
_QUANTITY_WORDS = set("percentage percent proportion amount size range share rate fraction cost price length "
                      "distance height width depth speed weight duration".split())
_AUX = set("is are was were am be been can could does do did will would should shall has have had may might must "
           "isn aren wasn weren doesn don didn won wouldn shouldn hasn haven hadn".split())

_CODE = re.compile(r"`([^`\n]{1,200})`")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{1,120})[\"”]")
_NUMBER = re.compile(r"(?<![\w.])[-+$€£¥]?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|[KMGTP]i?B?|[KMGT]i|ms|s|m|h|d|"
                     r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|percent|million|billion|thousand|"
                     r"bytes?|cores?|pods?|nodes?|replicas?|times)\b)?(?:\s?-\s?\d[\d,]*(?:\.\d+)?)?")
_IDENTIFIER = re.compile(r"(?<![\w./-])(?:--?[a-z][\w-]*(?:=\S+)?|[a-z]+[A-Z]\w*|\w+_\w+|[\w-]+(?:\.[\w-]+)+"
                         r"(?:/[\w.-]+)*|/[\w.-]+(?:/[\w.-]+)+|[\w.-]+/[\w.-]+)")

# type fit of a candidate kind (spaCy entity label, or chunk/code/quoted/number/identifier) for each expected type
_FIT: dict[str, dict[str, float]] = {
    PERSON: {"PERSON": 1.0, "ORG": 0.7, "NORP": 0.6, "GPE": 0.4, "chunk": 0.3},
    TIME: {"DATE": 1.0, "TIME": 1.0, "EVENT": 0.5, "CARDINAL": 0.3, "number": 0.4},
    PLACE: {"GPE": 1.0, "LOC": 1.0, "FAC": 0.9, "ORG": 0.5, "NORP": 0.4, "chunk": 0.3},
    COUNT: {"CARDINAL": 1.0, "QUANTITY": 0.9, "MONEY": 0.6, "PERCENT": 0.6, "number": 1.0, "DATE": 0.3},
    QUANTITY: {"MONEY": 1.0, "QUANTITY": 1.0, "PERCENT": 1.0, "CARDINAL": 0.8, "DATE": 0.7, "TIME": 0.7,
               "number": 1.0},
    VALUE: {"code": 1.0, "quoted": 0.8, "identifier": 0.8, "number": 0.8, "CARDINAL": 0.6, "QUANTITY": 0.7,
            "PERCENT": 0.7, "chunk": 0.3, "ORG": 0.3, "PRODUCT": 0.4},
    ENTITY: {"PERSON": 0.7, "ORG": 0.7, "GPE": 0.7, "LOC": 0.7, "NORP": 0.7, "FAC": 0.7, "EVENT": 0.7,
             "WORK_OF_ART": 0.7, "LAW": 0.7, "PRODUCT": 0.7, "LANGUAGE": 0.7, "DATE": 0.4, "chunk": 0.5,
             "code": 0.7, "quoted": 0.7, "identifier": 0.6, "number": 0.3, "CARDINAL": 0.3},
}
_ENTITY_KINDS = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
                 "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"}
_LITERAL_KINDS = {"code", "quoted", "number", "identifier"}


@dataclass(frozen=True)
class QuestionInfo:
    kind: str
    focus: str | None
    terms: frozenset[str]  # stemmed content terms
    folded: str


@lru_cache(maxsize=4096)
def expected_type(question: str) -> QuestionInfo:
    """The kind of answer ``question`` asks for, and its focus noun ("what river ..." -> river)."""
    q = fold(question).strip()
    tokens = words(q)
    terms = frozenset(content_terms(question))
    focus = _focus(tokens)

    def info(kind: str) -> QuestionInfo:
        return QuestionInfo(kind, focus, terms, q)

    if not tokens:
        return info(NONE)
    if re.search(r"\bhow (many|much)\b|\bnumber of\b", q):
        return info(COUNT if "many" in q or "number of" in q else QUANTITY)
    if re.search(r"\bhow (long|far|big|large|old|often|high|tall|wide|deep|fast|heavy)\b", q):
        return info(QUANTITY)
    if tokens[0] in {"why"} or re.search(r"\b(why|explain|describe)\b", q) or re.search(r"^how (do|does|did|can|"
                                                                                          r"should|is|are|to)\b", q):
        return info(NONE)
    if re.search(r"\bwhat happens\b|\bwhat (is|are) the (difference|purpose|role|benefit|advantage)", q):
        return info(NONE)
    if re.search(r"\b(default|defaults)\b", q):
        return info(VALUE)
    wh = _first_wh(q)
    if wh == "when":
        return info(TIME)
    if wh == "who":
        return info(PERSON)
    if wh == "where":
        return info(PLACE)
    if focus in _TIME_FOCUS:
        return info(TIME)
    if focus in _PLACE_FOCUS:
        return info(PLACE)
    if focus in _PERSON_FOCUS:
        return info(PERSON)
    if focus in _QUANTITY_WORDS:
        return info(QUANTITY)
    if focus in _VALUE_FOCUS:
        return info(VALUE)
    if tokens[0] in _AUX or (tokens[0] == "if" and re.search(r",\s*(is|are|does|do|can|will|should)\b", q)):
        return info(NONE)  # a yes/no question
    if re.search(r"\bwhat (does|do|did) .* (do|mean)\b", q):
        return info(NONE)
    if re.search(r"\b(what|which|name)\b", q):
        return info(ENTITY)
    return info(NONE)


def _first_wh(q: str) -> str | None:
    match = re.search(r"\b(who|whom|whose|when|where|what|which)\b", q)
    if match is None:
        return None
    word = match.group(1)
    return "who" if word in {"whom", "whose"} else word


_FOCUS_WORDS = _TIME_FOCUS | _PLACE_FOCUS | _PERSON_FOCUS | _QUANTITY_WORDS | _VALUE_FOCUS


def _focus(tokens: Sequence[str]) -> str | None:
    """The noun after "what/which" ("which U.S. president" -> president; "what sort of pact" -> pact)."""
    for i, token in enumerate(tokens):
        if token not in {"what", "which"}:
            continue
        rest = tokens[i + 1:i + 5]
        if len(rest) >= 3 and rest[0] in {"kind", "type", "sort", "form"} and rest[1] == "of":
            return rest[2]
        for word in rest[:3]:
            if word in _FOCUS_WORDS:
                return word
            if word in _AUX:
                break
        first = rest[0] if rest else None
        return first if first and first not in _AUX and first not in STOPWORDS else None
    return None


@dataclass
class SpanCandidate:
    start: int  # offsets into the unit text
    end: int
    kinds: set[str]  # spaCy entity labels, "chunk", "code", "quoted", "number", "identifier"
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0

    def vector(self) -> list[float]:
        return [self.features[name] for name in SPAN_FEATURES]


_LINK_TARGET = re.compile(r"\]\([^)\s]*\)|<?https?://[^\s)>]+>?|\{\s*#[\w-]+\s*\}")
_TRIM = " \t\n,;:.(\"'“”"


def span_candidates(text: str, doc) -> list[SpanCandidate]:
    """Spans of ``text`` (one unit) that could be a short answer; ``doc`` is spaCy's parse of ``text``."""
    found: dict[tuple[int, int], SpanCandidate] = {}
    hidden = [m.span() for m in _LINK_TARGET.finditer(text)]  # URLs and Markdown link targets are not answers

    def add(start: int, end: int, kind: str) -> None:
        if any(a < end and start < b for a, b in hidden):
            return
        while start < end and text[start] in _TRIM:
            start += 1
        while end > start and text[end - 1] in _TRIM.replace(")", "").replace("(", "") + ")":
            end -= 1
        if end <= start or end - start > 120:
            return
        found.setdefault((start, end), SpanCandidate(start, end, set())).kinds.add(kind)

    for match in _CODE.finditer(text):
        add(match.start(1), match.end(1), "code")
    for match in _QUOTED.finditer(text):
        add(match.start(1), match.end(1), "quoted")
    for match in _NUMBER.finditer(text):
        add(match.start(), match.end(), "number")
    for match in _IDENTIFIER.finditer(text):
        add(match.start(), match.end(), "identifier")
    ents = list(doc.ents)
    for ent in ents:
        add(ent.start_char, ent.end_char, ent.label_)
    for a, b in zip(ents, ents[1:]):  # "Denmark, Iceland and Norway", "10th and 11th centuries"
        between = text[a.end_char:b.start_char]
        if a.label_ == b.label_ and re.fullmatch(r"\s*(,|and|or|, and|, or)\s*", between):
            add(a.start_char, b.end_char, a.label_)
    for chunk in doc.noun_chunks:
        add(chunk.start_char, chunk.end_char, "chunk")
        if chunk[0].pos_ in {"DET", "PRON"} and len(chunk) > 1:
            add(chunk[1].idx, chunk.end_char, "chunk")
        subtree = list(chunk.root.subtree)
        if 1 < len(subtree) <= 10 and subtree[-1].i > chunk.end - 1:  # the noun phrase with its attachments
            add(subtree[0].idx, subtree[-1].idx + len(subtree[-1]), "chunk")
    return list(found.values())


_SUBJ = {"nsubj", "nsubjpass", "csubj", "expl"}
_OBJ = {"dobj", "pobj", "attr", "dative", "oprd", "obj", "appos", "npadvmod"}


def _role(token) -> str:
    dep = token.dep_
    if dep in _SUBJ:
        return "subj"
    if dep in _OBJ:
        return "obj"
    if dep == "pobj" and token.head.dep_ == "agent":  # "patronised by Robert": the agent is the active subject
        return "subj"
    if dep in _OBJ:
        return "obj"
    if dep in {"compound", "amod", "nmod", "poss", "conj"}:
        return _role(token.head) if token.head.i != token.i else "other"
    return "other"


def _same_verb(lemma: str, other: str) -> bool:
    """Lemmas of one verb, allowing spelling and derivation variants (patronize/patronise, marry/marriage)."""
    return lemma == other or (len(lemma) >= 5 and len(other) >= 5 and lemma[:5] == other[:5])


def _governing_verbs(token, limit: int = 3) -> list:
    """The verbs a token hangs from, nearest first (through prepositions, agents and noun heads)."""
    out = []
    node = token
    for _ in range(limit):
        if node.head.i == node.i:
            break
        node = node.head
        if node.pos_ in {"VERB", "AUX"}:
            out.append(node)
    return out


def question_role(qdoc) -> tuple[str | None, str | None]:
    """The grammatical role of the question's wh-phrase ("Who ruled X?" -> subj) and the lemma of its verb."""
    wh = next((t for t in qdoc if t.tag_ in {"WP", "WP$", "WDT", "WRB"}), None)
    if wh is None:
        return None, None
    node = wh.head if wh.dep_ in {"det", "poss"} else wh
    verb = node.head
    while verb.pos_ not in {"VERB", "AUX"} and verb.head.i != verb.i:
        verb = verb.head
    lemma = verb.lemma_.lower() if verb.pos_ in {"VERB", "AUX"} else None
    return _role(node), None if lemma in {"be", "have", "do"} else lemma


def _tree_distances(doc, sources: list[int]) -> list[float]:
    """Distance of every token to the nearest source token along the dependency tree (inf when none)."""
    dist = [float("inf")] * len(doc)
    queue = list(sources)
    for i in sources:
        dist[i] = 0
    while queue:
        nxt = []
        for i in queue:
            token = doc[i]
            for other in (token.head, *token.children):
                if dist[other.i] > dist[i] + 1:
                    dist[other.i] = dist[i] + 1
                    nxt.append(other.i)
        queue = nxt
    return dist


def span_features(info: QuestionInfo, text: str, doc, candidates: list[SpanCandidate],
                  idf: dict[str, float] | None = None, qdoc=None) -> None:
    """Fill each candidate's features (SPAN_FEATURES). ``idf`` weighs the question's terms (default: equally);
    ``qdoc`` is spaCy's parse of the question (for the wh-phrase's role and verb)."""
    q_role, q_verb = question_role(qdoc) if qdoc is not None else (None, None)
    tokens = list(doc)
    stems = [stem(fold(t.text)) for t in tokens]
    weight = {t: (idf or {}).get(t, 1.0) for t in info.terms}
    total = sum(weight.values()) or 1.0
    matches = [i for i, s in enumerate(stems) if s in weight]
    fits = _FIT.get(info.kind, {})
    ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    focus = stem(info.focus) if info.focus else None
    verb_at = [t.i for t in tokens if q_verb and _same_verb(t.lemma_.lower(), q_verb)]
    tree = _tree_distances(doc, matches)
    tree_verb = _tree_distances(doc, verb_at)
    for cand in candidates:
        span = doc.char_span(cand.start, cand.end, alignment_mode="expand")
        lo, hi = (span.start, span.end) if span is not None else (0, len(tokens))
        span_terms = content_terms(text[cand.start:cand.end])
        novel = sum(t not in weight for t in span_terms) / len(span_terms) if span_terms else 0.0
        outside = [i for i in matches if i < lo or i >= hi]
        distance = min((lo - i if i < lo else i - hi + 1) for i in outside) if outside else None
        near_terms = {stems[i] for i in outside if lo - 10 <= i < hi + 10}
        closeness: dict[str, float] = {}
        for i in outside:
            d = lo - i if i < lo else i - hi + 1
            closeness[stems[i]] = max(closeness.get(stems[i], 0.0), math.exp(-d / 4.0))
        head = span.root.head if span is not None else None
        heads = {head, head.head} if head is not None else set()
        dep = any(h.i not in range(lo, hi) and stem(fold(h.text)) in weight for h in heads)
        around = set(stems[max(0, lo - 3):lo]) | set(stems[hi:hi + 1])
        inner = [lab for s, e, lab in ents if s >= cand.start and e <= cand.end]
        root = span.root if span is not None else None
        governing = {t.i for t in _governing_verbs(root)} if root is not None else set()
        verb_distance = min((abs(lo - i) if i < lo else abs(i - hi + 1)) for i in verb_at) if verb_at else None
        type_fit = max([fits.get(k, 0.0) for k in cand.kinds] + [0.9 * fits.get(lab, 0.0) for lab in inner])
        cand.features = {
            "type_fit": type_fit,
            "novel": novel,
            "near": 1.0 / (1.0 + distance) if distance is not None else 0.0,
            "window": sum(weight[t] for t in near_terms) / total,
            "proximity": sum(weight[t] * c for t, c in closeness.items()) / total,
            "dep": 1.0 if dep else 0.0,
            "focus": 1.0 if focus and (focus in span_terms or focus in around) else 0.0,
            "role": 1.0 if root is not None and q_role and _role(root) == q_role else 0.0,
            "verb": 1.0 if governing & set(verb_at) else 0.0,
            "verb_near": 1.0 / (1.0 + verb_distance) if verb_distance is not None else 0.0,
            "tree_near": _tree_score(tree, root, lo, hi),
            "tree_verb": _tree_score(tree_verb, root, lo, hi),
            "is_entity": 1.0 if cand.kinds & _ENTITY_KINDS or inner else 0.0,
            "is_chunk": 1.0 if cand.kinds == {"chunk"} else 0.0,
            "is_literal": 1.0 if cand.kinds & _LITERAL_KINDS else 0.0,
            "length": min(hi - lo, 12) / 12.0,
        }


def _tree_score(dist: list[float], root, lo: int, hi: int) -> float:
    """1 / (1 + dependency distance from the span's root to the nearest source token outside the span)."""
    if root is None:
        return 0.0
    inside = [dist[i] for i in range(lo, hi)]
    if any(d == 0 for d in inside):  # a source inside the span: measure from the root's own position
        return 0.0
    d = dist[root.i]
    return 1.0 / (1.0 + d) if d != float("inf") else 0.0


@lru_cache(maxsize=2048)
def parse(text: str):
    """spaCy's parse of one unit or question (cached: the same units come back across questions)."""
    from rag.nlp import nlp

    return nlp()(text)


@dataclass
class Reading:
    """What the reader found in one unit: the best span (offsets into the unit text) and its probability,
    and whether any span of the expected type that the question does not already contain is there."""

    kind: str
    span: SpanCandidate | None = None
    probability: float = 0.0
    type_present: bool = False


class ShortAnswerReader:
    """Scores the span candidates of one unit with a logistic model (bias, then one weight per SPAN_FEATURES)."""

    def __init__(self, weights: Sequence[float], threshold: float):
        if len(weights) != len(SPAN_FEATURES) + 1:
            from rag.errors import ConfigError

            raise ConfigError(f"RAG_SHORT_ANSWER_WEIGHTS needs {len(SPAN_FEATURES) + 1} numbers (bias + "
                              f"{', '.join(SPAN_FEATURES)}), not {len(weights)}; unset it or refit with "
                              "`rag calibrate`.")
        self.weights = list(weights)
        self.threshold = threshold

    def candidates(self, question: str, text: str, idf: dict[str, float] | None = None) -> list[SpanCandidate]:
        info = expected_type(question)
        if info.kind == NONE or not text.strip():
            return []
        doc = parse(text)
        found = span_candidates(text, doc)
        span_features(info, text, doc, found, idf, parse(question))
        bias, *w = self.weights
        for cand in found:
            cand.score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, bias + sum(
                a * b for a, b in zip(w, cand.vector()))))))
        return found

    def read(self, question: str, text: str, idf: dict[str, float] | None = None) -> Reading:
        kind = expected_type(question).kind
        found = self.candidates(question, text, idf)
        if not found:
            return Reading(kind)
        best = max(found, key=lambda c: (c.score, -(c.end - c.start)))
        present = any(c.features["type_fit"] >= 0.7 and c.features["novel"] >= 0.5 for c in found)
        return Reading(kind, best, best.score, present)
