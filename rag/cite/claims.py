"""Split an answer sentence into claims: its clauses and coordinated predicates, from the dependency parse.

"Kim welcomed Putin in Pyongyang and the two leaders signed a pact" is two claims; so is "Japan froze Russian
assets and sent aid" (the second predicate borrows the subject of the first). A clause head is the root, or a
``conj``/``advcl``/``parataxis`` verb (or any ``conj``/``ccomp``/``advcl`` head with a subject of its own) under
another clause head, and a non-restrictive relative clause (", which ..."); a condition ("if", "when",
"unless" ...) stays in its clause, since the sentence does not assert it. A claim is the clause head's
subtree minus the subtrees of the clauses split off it, with the borrowed subject (or, for a relative clause, the
noun it describes) put in front. A ``ccomp`` ("Kishida said that ...") or ``advcl`` ("As nodes are added,
Pods are added to them") stays inside its parent claim as well as being a claim of its own: the relation
between the two clauses is part of what the parent claims. Fragments with fewer than two content words stay in
their parent claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

SUBJECTS = {"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"}
FINITE_TAGS = ("VBZ", "VBD", "VBP")  # a verb's finite forms (a modal is tagged MD)
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"}
EDGE_DROP = {"cc", "punct", "mark", "prep"}
HYPOTHETICAL = {"if", "unless", "when", "whenever", "once", "whether", "until"}


@dataclass
class Claim:
    tokens: list[Token]  # spaCy tokens of the answer sentence, in order
    head: Token  # the clause head

    @property
    def text(self) -> str:
        return _join(self.tokens)

    @property
    def doc(self) -> Doc:
        return self.head.doc


def _join(tokens) -> str:
    tokens = [t for i, t in enumerate(tokens) if not (t.is_punct and _at_gap(tokens, i))]
    out = []
    for i, tok in enumerate(tokens):
        out.append(tok.text)
        if i + 1 < len(tokens):
            out.append(tok.whitespace_ if tokens[i + 1].i == tok.i + 1 else " ")
    return "".join(out).strip()


# Punctuation that belongs to the words before it: a percent sign ("5%"), a bracket or quote closing one the claim
# opened ("30 (seconds)", "the \"default\" value"). The sentence's own full stop or comma does not.
CLOSERS = {")": "(", "]": "[", "\u201d": "\u201c", "\u2019": "\u2018", '"': '"', "'": "'", "`": "`"}


def _belongs(tokens, i: int) -> bool:
    text = tokens[i].text
    if text == "%":
        return i > 0 and tokens[i - 1].i == tokens[i].i - 1
    opener = CLOSERS.get(text)
    if opener is None:
        return False
    before = [t.text for t in tokens[:i]]
    return before.count(opener) % 2 == 1 if opener == text else before.count(opener) > before.count(text)


def _at_gap(tokens, i: int) -> bool:
    """Punctuation next to a removed part (", , which") or to other punctuation is left out of the text."""
    if _belongs(tokens, i):
        return False
    before = i == 0 or tokens[i - 1].i != tokens[i].i - 1 or tokens[i - 1].is_punct
    after = i + 1 == len(tokens) or tokens[i + 1].i != tokens[i].i + 1 or tokens[i + 1].is_punct
    return before or after


def _content(tokens) -> int:
    return sum(1 for t in tokens if t.pos_ in CONTENT_POS and not t.is_stop and t.is_alpha)


def _has_subject(tok) -> bool:
    return any(c.dep_ in SUBJECTS for c in tok.children) or _gerund_subject(tok) is not None


def _gerund_subject(tok):
    """A gerund phrase before a finite verb that has no subject is that verb's subject, whatever the parser calls
    it: in "..., although working with a bloc like NATO can add deterrence" spaCy hangs "working" on "add" as an
    adverbial clause, and "add" would otherwise borrow the main clause's subject ("Nothing")."""
    if tok.pos_ not in ("VERB", "AUX") or any(c.dep_ in SUBJECTS for c in tok.children):
        return None
    if not any(c.dep_ == "aux" for c in tok.children) and tok.tag_ not in FINITE_TAGS:
        return None  # not finite: a participle or an infinitive has no subject to find
    for child in tok.children:
        if child.i < tok.i and child.dep_ in ("advcl", "csubj") and child.tag_ == "VBG" \
                and not any(c.dep_ in SUBJECTS for c in child.children) \
                and not any(c.dep_ == "punct" and child.i < c.i < tok.i for c in tok.children):
            return child
    return None


def _is_condition(tok) -> bool:
    return tok.dep_ == "advcl" and any(c.dep_ in ("mark", "advmod") and c.lower_ in HYPOTHETICAL
                                       for c in tok.children)


def _first_conjunct(tok):
    while tok.dep_ == "conj" and tok.head.i != tok.i:
        tok = tok.head
    return tok


def _is_clause(tok) -> bool:
    gerund = _gerund_subject(tok.head) if tok.dep_ == "advcl" else None
    if gerund is not None and gerund.i == tok.i:
        return False  # a gerund subject ("working with NATO can add deterrence") is part of its verb's claim
    if _is_condition(tok):
        return False  # "if/when/unless ...": a condition, not something the sentence asserts
    if tok.dep_ == "conj":
        first = _first_conjunct(tok)
        if any(c.dep_ == "neg" for c in first.children) and any(
                c.dep_ == "cc" and c.lower_ in ("or", "nor") for c in first.children) \
                and not any(c.dep_ in ("aux", "auxpass", "neg") for c in tok.children):
            return False  # "aren't felt or considered threats": one negation over both, not two claims
        if _is_condition(first):
            return False  # "If X doesn't exist, or the CRI can't run it, ...": the whole condition is one
        if first.dep_ in SUBJECTS or first.dep_ in ("dobj", "pobj", "attr"):
            return False  # "Scaling down or deleting a StatefulSet leaves ...": coordinated subjects or objects
    if tok.dep_ == "relcl":
        if tok.lemma_ in ("do", "happen", "mean") and any(c.lower_ == "which" and c.dep_ in SUBJECTS
                                                          for c in tok.children):
            return False  # ", which is done to ensure data safety": said of the whole clause, read with it
        return tok.i > 0 and tok.doc[tok.left_edge.i - 1].text == "," if tok.left_edge.i > 0 else False
    if tok.dep_ not in ("conj", "ccomp", "advcl", "parataxis"):
        return False
    if _has_subject(tok):
        # a clause with a subject has a finite verb; a gerund with a "subject" is mostly a misparsed noun
        # compound ("not logged by Kubernetes audit logging": "audit" the subject of "logging")
        return tok.pos_ not in ("VERB", "AUX") or _finite(tok) or tok.tag_ not in ("VBG", "VBN")
    return tok.dep_ in ("conj", "advcl", "parataxis") and tok.pos_ in ("VERB", "AUX") \
        and tok.head.pos_ in ("VERB", "AUX")


def _finite(tok) -> bool:
    return tok.tag_ in FINITE_TAGS or tok.tag_ == "MD" or any(c.dep_ in ("aux", "auxpass") for c in tok.children)


def _borrowed_subject(tok) -> list:
    """The subject tokens a subjectless predicate shares with the clause it hangs from."""
    head = tok.head
    while head is not None:
        for child in head.children:
            if child.dep_ in SUBJECTS:
                return list(child.subtree)
        if head.head.i == head.i:  # the root (by index: spaCy makes a new Token object at every access, so
            return []  # "head.head is head" never held and a sentence with no subject at all looped forever)
        head = head.head
    return []


def _trim(tokens: list) -> list:
    while tokens and (tokens[0].dep_ in EDGE_DROP and tokens[0].pos_ in ("CCONJ", "PUNCT", "SCONJ")
                      and tokens[0].lower_ not in HYPOTHETICAL or tokens[0].is_punct):
        tokens = tokens[1:]
    while tokens and (tokens[-1].is_punct and not _belongs(tokens, len(tokens) - 1) or tokens[-1].dep_ == "cc"):
        tokens = tokens[:-1]
    return tokens


def split_claims(doc) -> list[Claim]:
    """The claims of a parsed answer sentence (at least one: the whole sentence when nothing splits)."""
    heads: list = []

    def walk(tok) -> None:
        for child in tok.children:
            if _is_clause(child):
                heads.append(child)
            walk(child)

    for root in (t for t in doc if t.dep_ == "ROOT"):
        heads.append(root)
        walk(root)
    heads.sort(key=lambda t: t.i)
    split_off = {h for h in heads if h.dep_ != "ROOT"}
    claims: list[Claim] = []
    for head in heads:
        removed = {t.i for h in split_off if h.i != head.i and h.dep_ in ("conj", "parataxis", "relcl")
                   and _inside(h, head) for t in h.subtree}
        tokens = _trim([t for t in head.subtree if t.i not in removed])
        if head.dep_ == "relcl":
            noun = head.head
            tokens = [t for t in noun.subtree if t.i not in {x.i for x in head.subtree}
                      and t.i not in removed] + tokens
            tokens = _trim(tokens)
        elif head.dep_ != "ROOT" and not _has_subject(head):
            tokens = _borrowed_subject(head) + tokens
        claims.append(Claim(tokens, head))
    kept = [c for c in claims if _content(c.tokens) >= 2 or c.head.dep_ == "ROOT"]
    if len(kept) != len(claims):  # a fragment too small to check alone goes back into its parent claim
        for small in (c for c in claims if c not in kept):
            # the nearest kept claim above it only ("... one after another, and each one has to succeed before
            # the next can run": "the next can run" belongs to the second clause, not to the first as well)
            parents = [c for c in kept if c.head.i != small.head.i and _inside(small.head, c.head)]
            if not parents:
                continue
            parent = max(parents, key=lambda c: _depth(c.head))
            parent.tokens = _trim(sorted({*parent.tokens, *(t for t in small.tokens if _inside(t, parent.head))},
                                         key=lambda t: t.i))
    return kept or [Claim(_trim(list(doc)), next(iter(doc)))]


def _depth(tok) -> int:
    n = 0
    while tok.head.i != tok.i:
        tok, n = tok.head, n + 1
    return n


def _inside(tok, head) -> bool:
    """``tok`` is in ``head``'s subtree."""
    while True:
        if tok.i == head.i:
            return True
        if tok.head.i == tok.i:
            return False
        tok = tok.head
