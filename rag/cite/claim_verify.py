"""Verify one answer sentence claim by claim (rag.cite.claims) against the spans of the passages it cites.

For each claim, every span of one or two consecutive sentences of the cited passages (within what the model was
shown) gets the support score of rag.cite.verify (content-word recall and embedding cosine, each half); when the
sentence cites several passages, the best spans of two of them together are a candidate too. The best few spans
are parsed (spaCy, cached per passage sentence) and checked (rag.cite.alignment): names, numbers and dates, negation,
antonyms, swapped roles, then the content words the claim adds. The claim's span is the first candidate, best
score first, that passes every check, else the best one; the claim is supported when it passes every check and
its score, less ADD_PENALTY per added content word (weighted by part of speech), reaches the threshold.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from rag.cite import alignment
from rag.cite.alignment import SpanFacts
from rag.cite.claims import SUBJECTS, split_claims
from rag.cite.name_checks import check_links, check_name_slots, check_names
from rag.cite.quantities import check_anchor_quantities, check_quantities, check_quantity_slots
from rag.cite.span_vectors import span_vector
from rag.nlp import parse, parse_many
from rag.text import content_terms

TOP_SPANS = 3  # candidates per claim that are parsed and checked
MAX_SPAN_SENTENCES = 2
ADD_PENALTY = 0.08  # support score lost per added content word (weight 1: a noun; a verb counts 0.5)
ADD_LIMIT = 1.5  # weighted added words beyond which a claim is unsupported whatever its score
IN_PASSAGE = 0.5  # weight of an added word the passage has outside the span (context the span leaves out)
# check_names also takes the passage's facts (see _verdict), hence the loose signature.
CHECKS: tuple[Callable[..., str | None], ...] = (
    check_names, check_quantities, alignment.check_polarity, alignment.check_antonyms, alignment.check_roles,
    check_links, check_name_slots, check_quantity_slots)
# Checks that the sentence of a two-sentence span the claim leans on most must pass as well.
ANCHOR_CHECKS = (check_anchor_quantities, alignment.check_anchor_polarity, alignment.check_antonyms,
                 alignment.check_roles)
# Failures that mean the best-aligned span says the opposite, or gives the claim's slot another name or number:
# no lower-ranked span can then support the claim.
CONTRADICTIONS = {alignment.check_polarity, alignment.check_anchor_polarity, alignment.check_antonyms,
                  alignment.check_roles, check_name_slots, check_quantity_slots}


@dataclass
class Span:
    n: int  # marker number of the passage
    start: int
    end: int
    sentences: list[str]  # the passage sentences it covers (texts)
    text: str = ""  # the document text from start to end
    score: float = 0.0
    cosine: float = 0.0
    recall: float = 0.0
    vector: np.ndarray | None = None  # the stored vector of the span's text (rag.cite.span_vectors), if any


@dataclass
class ClaimVerdict:
    text: str
    supported: bool
    support_score: float
    reason: str | None
    span: Span | None
    added: list[str] = field(default_factory=list)
    contradicts: bool = False  # the span says the opposite (negation, antonym, roles)


def sentence_spans_of(window, snapshot, n: int) -> tuple[list[Span], list[str]]:
    """The 1- and 2-sentence spans of a prompt window (with their stored vectors), and its sentence texts."""
    chunk = window.passage.chunk
    doc_text = snapshot.document(chunk.source).text
    pieces = [(s, e) for s, e in chunk.sentences if s < window.end and e > window.start]
    offsets = unwrap(pieces, doc_text) or [(window.start, window.end)]
    texts = [doc_text[s:e] for s, e in offsets]
    heading = f"# {chunk.section}" if getattr(chunk, "section", None) else None
    spans = []
    for size in range(1, MAX_SPAN_SENTENCES + 1):
        for i in range(len(offsets) - size + 1):
            start, end = offsets[i][0], offsets[i + size - 1][1]
            vector = span_vector(snapshot, chunk.source, [(a, b) for a, b in pieces if a >= start and b <= end])
            spans.append(Span(n, start, end, texts[i:i + size], doc_text[start:end], vector=vector))
    return spans, texts + ([heading] if heading else [])


WORD_CACHE = 50_000
_WORD_VECTORS: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()  # (model id, word) -> vector
_WORDS = re.compile(r"[^\W_]+")
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'’”)\]`*_]*$")
_STARTS_BLOCK = re.compile(r"^(?:[-*+>#|]|\d+[.)]\s|```|<|\{\{)")


def unwrap(offsets: list[tuple[int, int]], doc_text: str) -> list[tuple[int, int]]:
    """Join the pieces of a sentence hard-wrapped over several lines (Markdown sources are): the sentence
    splitter works line by line, so "Two Nodes\ncannot have the same name" arrives as two pieces."""
    out: list[tuple[int, int]] = []
    for start, end in offsets:
        if out:
            prev_start, prev_end = out[-1]
            gap = doc_text[prev_end:start]
            if gap.count("\n") == 1 and not gap.strip() and not _ENDS_SENTENCE.search(doc_text[prev_start:prev_end]) \
                    and not _STARTS_BLOCK.match(doc_text[start:end]):
                out[-1] = (prev_start, end)
                continue
        out.append((start, end))
    return out


@lru_cache(maxsize=16384)
def term_set(text: str) -> frozenset[str]:
    """The content terms of a passage text, computed once per text (every claim is scored on every span), with
    the parts of hyphenated identifiers ("housekeeping-interval" also gives "housekeeping" and "interval")."""
    terms = content_terms(text)
    return frozenset(terms) | {p for t in terms if "-" in t for p in content_terms(t.replace("-", " "))}


def clear_caches() -> None:
    """Empty every cache verification fills (parses, span facts, term sets, word vectors, normalised words,
    stems), as for passages never seen before; the spaCy pipeline and the embedding model stay loaded. Verdicts
    do not depend on the caches, only the time they take."""
    from rag import nlp, text
    from rag.cite import quantities

    nlp.clear_cache()
    text.stem.cache_clear()
    text.clear_term_cache()
    term_set.cache_clear()
    _WORD_VECTORS.clear()
    alignment.norm.cache_clear()
    alignment._doc_facts.cache_clear()
    quantities._slotted.cache_clear()
    quantities._claim_quantities.cache_clear()


def _parent_claim(claim, claims: list) -> int | None:
    """The claim a clause continues, to be read where that claim was found first: for a coordinated predicate
    without a subject of its own ("..., and is then evicted"), the claim it borrows its subject from; for a
    subordinate clause ("... because it specifies the namespace", "Although X, Y"), the claim it hangs from
    (which contains it). The index of the nearest claim head above it; None for other claims."""
    head = claim.head
    if not (head.dep_ == "conj" and not any(c.dep_ in SUBJECTS for c in head.children) or _continues(head)):
        return None
    by_head = {c.head.i: n for n, c in enumerate(claims)}
    cur = head
    while cur.head.i != cur.i:  # up to the root, compared by index (a Token is a new object at every access)
        cur = cur.head
        if cur.i in by_head:
            return by_head[cur.i]
    return None


# Subordinators of a contrast: the clause states a fact of its own, set against its parent's ("the prefix is
# required, while the name segment is optional"), and is read on its own spans.
CONTRASTS = {"while", "whereas", "although", "though", "unlike", "except", "but"}


def _continues(head) -> bool:
    """An adverbial clause that gives its parent's cause, purpose, manner or result ("because it specifies the
    namespace", "so that ...", "..., updating the field"), not a contrast."""
    return head.dep_ == "advcl" and not any(c.dep_ in ("mark", "advmod") and c.lower_ in CONTRASTS
                                            for c in head.children)


PRONOUNS = {"it", "its", "they", "them", "their", "ones"}


def _pronoun_context(claim) -> str | None:
    """The whole answer sentence, for a clause that names its topic only by a pronoun ("..., and when there are
    too few it starts new ones"): the clause's own embedding has lost what "it" is, the sentence's has it. None
    for a claim that is the whole sentence or names its topic."""
    if len(claim.tokens) >= sum(1 for t in claim.doc if not t.is_punct) - 1:
        return None
    if not any(t.lower_ in PRONOUNS and t.pos_ == "PRON" for t in claim.tokens):
        return None
    return claim.doc.text


def _depth(i: int, parents: list[int | None]) -> int:
    depth, parent = 0, parents[i]
    while parent is not None and depth < len(parents):
        depth, parent = depth + 1, parents[parent]
    return depth


def claim_terms(claim) -> set[str]:
    """The content terms of a claim scored against spans, less those only its support verbs give ("set" in
    "with tolerationSeconds set to 3600": the span's "tolerationSeconds: 3600" says the same)."""
    terms = set(content_terms(claim.text))
    if any(alignment.pronoun_one(tok) for tok in claim.tokens) and not any(
            tok.lower_ == "one" and not alignment.pronoun_one(tok) for tok in claim.tokens):
        terms -= set(content_terms("one"))  # "each one has to succeed": a pronoun, not the number
    light = {t for tok in claim.tokens if alignment.is_light_verb(tok) for t in content_terms(tok.text)}
    if light:
        light -= {t for tok in claim.tokens if not alignment.is_light_verb(tok) for t in content_terms(tok.text)}
    return terms - light


class ClaimChecker:
    """Checks the claims of answer sentences; ``vectors`` embeds and caches texts (rag.cite.verify._Vectors)."""

    def __init__(self, vectors, threshold: float):
        self.vectors = vectors
        self.threshold = threshold
        self._claims: dict[str, list] = {}

    def prepare(self, sentences: list[str]) -> list[str]:
        """Parse the answer sentences in one batch and split them into claims; returns the claim texts (to be
        embedded in the same model call as the sentences)."""
        for text, doc in zip(sentences, parse_many(sentences)):
            self._claims[text] = split_claims(doc)
        return [c.text for text in sentences for c in self._claims[text]]

    def check_sentence(self, text: str, spans_by_n: dict[int, list[Span]], passages: dict[int, list[str]]
                       ) -> list[ClaimVerdict]:
        claims = self._claims.get(text) or split_claims(parse(text))
        self.vectors.prime([c.text for c in claims])
        passage_facts = SpanFacts.of_words(_WORDS.findall(" ".join(t for ts in passages.values() for t in ts)))
        passage_facts.headings = SpanFacts.of_words(_WORDS.findall(" ".join(  # section path and heading lines
            t for ts in passages.values() for t in ts if t.lstrip().startswith("#"))))
        # A span scoring below the threshold cannot pass, and only the best span's reason is reported when every
        # span fails: lower spans below the threshold are left out, unparsed (the verdicts are the same).
        candidates = [[s for i, s in enumerate(self._candidates(claim, spans_by_n))
                       if i == 0 or s.score >= self.threshold] for claim in claims]
        # The sentences of each claim's best span, parsed in one batch (a call per sentence costs about twice as
        # much); the checks below then find them in the parse cache. A claim is often decided on that span (it
        # passes, or contradicts the claim); the rest of a claim's candidates are parsed, again in one batch,
        # only when it does not (_check), so sentences no check reads are not parsed.
        parse_many(list(dict.fromkeys(t for spans in candidates for span in spans[:1] for t in span.sentences)),
                   entities=False)
        parents = [_parent_claim(claim, claims) for claim in claims]
        verdicts: dict[int, ClaimVerdict] = {}
        # a claim's parent is checked before it ("Because it specifies the namespace, the query ..." puts the
        # subordinate clause first): claims in order of how many parents they have, then in sentence order
        order = sorted(range(len(claims)), key=lambda i: (_depth(i, parents), i))
        for i in order:
            claim, spans, verdict = claims[i], candidates[i], None
            parent_index = parents[i]
            parent = verdicts.get(parent_index) if parent_index is not None else None
            if parent is not None and parent.supported and parent.span is not None:
                # "the pod stays bound for an hour, and is then evicted", "... because it specifies the
                # namespace": a predicate that borrows its subject, or a clause subordinate to another,
                # continues the statement its parent claim was found in, and is read there first; a short
                # clause ("the pod is evicted") may otherwise align best with another sentence that says it of
                # other things. Only a pass or a contradiction there decides; else the spans as usual.
                # An adverbial clause is also part of its parent claim's text, which met the threshold on that
                # span: there it must pass the checks and not add too much, but its own score is not compared
                # (a short clause scores low against a long span it belongs to).
                result = self._verdict(claim, self._score(claim.text, claim_terms(claim), parent.span),
                                       passage_facts, scored=claim.head.dep_ != "advcl")
                if result.supported or result.contradicts:
                    verdict = result
            verdicts[i] = verdict or self._check(claim, spans, passage_facts)
        return [verdicts[i] for i in range(len(claims))]

    def _score(self, claim_text: str, terms: set[str], span: Span, context: str | None = None) -> Span:
        text = span.text
        recall = len(terms & term_set(text)) / len(terms) if terms else 0.0
        cosine = self.vectors.cosine(claim_text, text)
        if context is not None:
            cosine = max(cosine, self.vectors.cosine(context, text))
        score = 0.5 * recall + 0.5 * cosine if terms else cosine
        return replace(span, score=score, cosine=cosine, recall=recall)

    def _candidates(self, claim, spans_by_n: dict[int, list[Span]]) -> list[Span]:
        """The spans a claim is checked against, best score first: the TOP_SPANS best, and the best spans of two
        cited passages together."""
        terms = claim_terms(claim)
        context = _pronoun_context(claim)
        scored = sorted((self._score(claim.text, terms, s, context) for spans in spans_by_n.values() for s in spans),
                        key=lambda s: -s.score)
        candidates = scored[:TOP_SPANS]
        best_by_n = {}
        for s in scored:
            best_by_n.setdefault(s.n, s)
        if len(best_by_n) > 1:  # a claim may join facts from two cited passages
            a, b = sorted(best_by_n.values(), key=lambda s: -s.score)[:2]
            # the joined text is embedded as it stands: this once seeded the mean of the two spans' stored vectors,
            # but scored spans never kept their vectors, so that code never ran and every figure measured is of
            # the embedded join
            joined = Span(a.n, a.start, a.end, a.sentences + b.sentences, a.text + " " + b.text)
            union = self._score(claim.text, terms, joined, context)
            candidates.append(union)
        return candidates

    def _check(self, claim, candidates: list[Span], passage_facts: SpanFacts) -> ClaimVerdict:
        if not candidates:
            return ClaimVerdict(claim.text, False, 0.0, "no citation", None)
        results = []
        for i, span in enumerate(candidates):  # best score first; the first span that passes every check is the
            if i == 1:  # claim's; past the first, the others' sentences are parsed together (see check_sentence)
                parse_many(list(dict.fromkeys(t for s in candidates[1:] for t in s.sentences)), entities=False)
            result = self._verdict(claim, span, passage_facts)
            if result.supported or (result.contradicts and not results):
                return result
            results.append(result)
        return results[0]  # every candidate fails: the reason found on the best-aligned span

    def _verdict(self, claim, span: Span, passage_facts: SpanFacts, scored: bool = True) -> ClaimVerdict:
        facts = SpanFacts.of(parse_many(span.sentences, entities=False))  # passage side: no NER needed
        tokens = claim.tokens
        reason, failed = None, None
        for check in CHECKS:
            reason = (check(tokens, facts, passage_facts) if check is check_names
                      else check(tokens, facts))
            if reason:
                failed = check
                break
        if reason is None and len(span.sentences) > 1:  # the sentence the claim leans on must not contradict it
            anchor = SpanFacts.of([parse(self._anchor(claim, span.sentences), entities=False)])
            for check in ANCHOR_CHECKS:
                reason = check(tokens, anchor)
                if reason:
                    failed = check
                    break
        if reason is None:  # a claim that already failed needs no word vectors
            added, weight, swapped, predicate = self._additions(tokens, facts, passage_facts)
        else:
            added, weight, swapped, predicate = [], 0.0, None, False
        if reason is None and swapped:
            reason = swapped
        score = max(0.0, span.score - ADD_PENALTY * weight)
        if reason is None and (weight >= ADD_LIMIT or scored and score < self.threshold or predicate):
            reason = (f"adds {', '.join(repr(w) for w in added[:3])} not in the cited passage" if added
                      else "not in the cited passage")
        return ClaimVerdict(claim.text, reason is None, score, reason, span, added,
                            failed in CONTRADICTIONS or (swapped is not None and reason == swapped))

    def word_vectors(self, words: list[str]) -> dict[str, np.ndarray]:
        """Single-word vectors, cached across answers (words recur far more than sentences)."""
        embedder = self.vectors.embedder
        key = getattr(embedder, "model_id", type(embedder).__name__)
        todo = [w for w in dict.fromkeys(words) if (key, w) not in _WORD_VECTORS]
        if todo:
            for word, vector in zip(todo, embedder.embed_array(todo)):
                _WORD_VECTORS[(key, word)] = vector
            while len(_WORD_VECTORS) > WORD_CACHE:
                _WORD_VECTORS.popitem(last=False)
        return {w: _WORD_VECTORS[(key, w)] for w in words}

    @staticmethod
    def _anchor(claim, sentences: list[str]) -> str:
        """The sentence the claim leans on most: the most of its content terms, as written (the parts of a
        hyphenated identifier do not count here: "eviction-pressure-transition-period" names a flag, while the
        next sentence gives its default)."""
        terms = set(content_terms(claim.text))
        return max(sentences, key=lambda t: len(terms & set(content_terms(t))))

    def _additions(self, tokens, facts: SpanFacts, passage_facts: SpanFacts
                   ) -> tuple[list[str], float, str | None, bool]:
        """The claim's added content words (no synonym in the span), their weight, the first that takes the
        grammatical slot of a different span word (a substitution: "with confidence" for "with dismay"), and
        whether one of them is what the claim predicates of its subject ("X is optional"): then the span does
        not say it, however much else matches."""
        new = alignment.new_words(tokens, facts)
        if not new:
            return [], 0.0, None, False
        span_words = sorted({t.lower_ for doc in facts.docs for t in alignment.content_words(list(doc))})
        words = [t.lower_ for t in new]
        vectors = self.word_vectors(words + span_words)
        span_matrix = np.stack([vectors[w] for w in span_words]) if span_words else None
        claim_lemmas = {t.lemma_.lower() for t in tokens}
        added, weight, swapped, predicate = [], 0.0, None, False
        negation = None
        for tok, word in zip(new, words):
            sims = span_matrix @ vectors[word] if span_matrix is not None else None
            if sims is not None and float(sims.max()) >= alignment.SYNONYM_SIMILARITY:
                if negation is None and tok.pos_ in ("VERB", "ADJ"):
                    negation = self._synonym_polarity(tok, span_words[int(sims.argmax())], tokens, facts)
                continue
            w = alignment.WEIGHTS[tok.pos_] * (IN_PASSAGE if passage_facts.has_word(tok.text) else 1.0)
            added.append(tok.text)
            weight += w
            # a noun or adjective in another's slot is another fact; a verb in another's slot is mostly a
            # paraphrase ("has run" for "has executed"), and the verbs that reverse meaning are ANTONYMS
            other = alignment.counterpart(tok, facts, claim_lemmas) \
                if swapped is None and tok.pos_ not in ("VERB", "AUX", "ADV") else None
            if other is not None:
                swapped = f"'{tok.text}' where the cited text says '{other.text}'"
            predicate |= tok.dep_ in ("acomp", "attr") and tok.pos_ in ("ADJ", "NOUN") and tok.head.lemma_ in (
                "be", "become", "remain", "stay", "seem") or _stative_participle(tok)
        return added, weight, negation or swapped, predicate

    @staticmethod
    def _synonym_polarity(tok, span_word: str, tokens, facts: SpanFacts) -> str | None:
        """A claim verb or adjective rewords a span word ("regarded as" for "considered") that one text negates
        and the other does not ("are regarded as threats" for "are not felt as, or considered, threats"): the
        polarity check compares like words only, so a synonym is compared here."""
        lemmas = {t.lemma_.lower() for doc in facts.docs for t in doc
                  if t.lower_ == span_word and t.pos_ in ("VERB", "ADJ")}
        lemmas -= alignment.GENERIC
        if not lemmas:
            return None
        claim_negated = tok.lemma_.lower() in alignment.negated_lemmas(tokens)
        if all((lemma in facts.negated) != claim_negated for lemma in lemmas):
            return "negation differs"
        return None


# Participles that state a property of their subject, as an adjective would ("the field is required"): added by a
# claim, they predicate something the span does not say. Other passives ("Pods are evicted") are events, often
# reworded ("removed", "assigned"), and stay ordinary added words.
STATIVE_PARTICIPLES = {"require", "need", "allow", "permit", "forbid", "prohibit", "support", "deprecate",
                       "enable", "disable", "recommend", "mandate"}


def _stative_participle(tok) -> bool:
    return tok.tag_ == "VBN" and tok.lemma_.lower() in STATIVE_PARTICIPLES and any(
        c.dep_ == "auxpass" for c in tok.children)

