"""A yes/no question whose cited unit denies what it asks is answered "No" in so many words.

"Can I use a boolean as an annotation value?" cited with "In other words, you cannot use numeric, boolean, list or
other types for either the keys or the values." answers the question, but the user has to read the sentence to
learn that the answer is no. The unit denies the question's own predicate when spaCy's dependency parse puts a
negation ("not", "n't", "never") on a verb, adjective or participle whose lemma is one the question asks about
("use"). Then the answer opens with "No: ". Only a denial is stated: a unit that says the asked thing without a
negation may still say it under a condition ("If you mark more than one StorageClass as default, ..."), so "Yes"
would claim more than it does. A negated question ("Can't I ...?", "Is X not ...?") is left as it is: its "no" is
ambiguous. When the chosen unit does not deny the question but the next sentence of its paragraph does ("`uv`
creates a virtual environment for the project automatically. You don't need to create or activate one yourself."),
both are cited as one span (rag.answering.units.continuation) and the answer says no.

The parser runs on the asking sentence, the cited unit and (when that does not deny) the next sentence of its
paragraph, only for a yes/no question, never on the corpus.
"""

from __future__ import annotations

from rag.answering.answer_type import asked_sentence, asking_index, question_sentences
from rag.answering.short_answer import opens_yes_no
from rag.nlp import parse
from rag.text import fold

NO_PREFIX = "No: "
_PREDICATES = {"VERB", "ADJ"}
_ASKED = _PREDICATES | {"NOUN"}
_CLAUSES = {"advcl", "relcl", "acl"}


def asks_yes_or_no(question: str) -> bool:
    """Does the asking sentence of ``question`` open with an auxiliary ("Can I ...?", "Does X ...?")?
    (``short_answer.asks_yes_no`` reads the whole question's first word, for the type veto.)"""
    return opens_yes_no(asked_sentence(fold(question)))


def _as_written(question: str) -> str:
    """The asking sentence in the question's own letter case (the parser reads "does kube-proxy support" in lower
    case with "support" as a noun)."""
    asked = asked_sentence(fold(question)).strip()
    pieces = question_sentences(question)
    at = asking_index([fold(piece) for piece in pieces]) if len(pieces) >= 2 else 0
    if at is not None:  # the asking sentence as written: its last len(asked) characters (a leading clause cut off)
        piece = pieces[at].strip()
        tail = piece[len(piece) - len(asked):]
        if len(piece) >= len(asked) and fold(tail) == asked:
            return tail
    return asked


def denies(question: str, unit: str) -> bool:
    """Does ``unit`` negate a predicate the yes/no ``question`` asks about?"""
    if not asks_yes_or_no(question):
        return False
    asked = parse(_as_written(question), entities=False)
    if any(t.dep_ == "neg" for t in asked):
        return False
    # What the question asks about: its words outside its when / if / which clauses ("... when its liveness probe
    # fails?" sets a condition; a unit saying the probe does not fail does not deny the question). Nouns count too:
    # the small model reads the verb of "Does kube-proxy support IPVS?" as a noun.
    aside = {t.i for c in asked if c.dep_ in _CLAUSES for t in c.subtree}
    wanted = {t.lemma_.lower() for t in asked[1:] if t.i not in aside and t.pos_ in _ASKED and not t.is_stop}
    if not wanted:
        return False
    for token in parse(unit, entities=False):
        if token.dep_ != "neg":
            continue
        head = token.head
        # "X is not supported": the negation hangs on the copula or auxiliary; the predicate is its complement
        said = {head} | {c for c in head.children if c.dep_ in ("acomp", "attr", "xcomp", "oprd")}
        if any(t.lemma_.lower() in wanted for t in said if t.pos_ in _PREDICATES | {"AUX"}):
            return True
    return False
