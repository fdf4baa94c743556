"""Checks of one claim against the span of a cited passage it is aligned with (no NLI model needed).

Each check returns the reason the span does not support the claim, or None. Names are checked in
rag.cite.name_checks, numbers and dates in rag.cite.quantities; here:

- names: every named entity of the claim (spaCy NER, plus proper nouns and code-like identifiers NER misses, the
  first word of the sentence included) occurs in the span. Matching is on folded, stemmed words, with demonyms
  ("Japanese" ~ "Japan"), countries in any of their forms (rag.cite.places: "South Korean" ~ "Republic of Korea")
  and acronyms ("SDF" ~ "Self Defense Force").
  A person needs one of their names in the span and the rest in the passage ("Kim" ~ "Kim Jong Un").
  Two names tied together in the claim ("Luxon of Australia") must be tied in the span too (dependency distance).
- quantities: every number, date and relative time of the claim (rag.cite.quantities) occurs in the span.
- polarity: a word negated in the claim (``neg`` dependents, no/never/none/nor, what follows "without", "fail to",
  "avoid ...ing", "lack", "eliminate the need") is negated in the span and the other way round, a noun denied in
  one text counting as denied by the other's negated predicate ("has no X" = "does not provide X"); a claim word
  whose antonym (ANTONYMS, or an un-/in-/non- prefix) stands in the span instead of it reverses the meaning.
- roles: for a verb of both, the claim's subject is not the span's object while the claim's object is the span's
  subject (passives normalised: "Putin was welcomed by Kim" has subject Kim).
- additions: content words of the claim that the span lacks (after stemming, derivation and, with a real
  embedding model, single-word similarity) are counted; nouns and adjectives weigh more than verbs and adverbs;
  support verbs ("set", "get", "make") are not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rag.cite.quantities import quantities, unit_words
from rag.text import STOPWORDS, fold, stem

DEMONYMS = {"french": "france", "british": "britain", "dutch": "netherlands", "swiss": "switzerland",
            "greek": "greece", "irish": "ireland", "danish": "denmark", "swedish": "sweden", "finnish": "finland",
            "polish": "poland", "turkish": "turkey", "spanish": "spain", "filipino": "philippines",
            "thai": "thailand", "welsh": "wales", "scottish": "scotland", "english": "england",
            "norwegian": "norway", "peruvian": "peru", "iraqi": "iraq", "israeli": "israel", "kiwi": "zealand"}
# Pairs an answer uses to say the opposite of its source: directions of change, permission, state, order,
# quantity and outcome. Each is a pair where one word being true makes the other false in the same context.
ANTONYMS = [
    ("increase", "decrease"), ("increase", "reduce"), ("increase", "lower"), ("rise", "fall"), ("raise", "lower"),
    ("grow", "shrink"), ("expand", "shrink"), ("strengthen", "weaken"), ("improve", "worsen"), ("add", "reduce"),
    ("add", "subtract"), ("allow", "deny"), ("allow", "forbid"), ("allow", "prohibit"), ("allow", "prevent"),
    ("allow", "block"), ("permit", "forbid"), ("permit", "deny"), ("enable", "disable"), ("accept", "reject"),
    ("accept", "refuse"), ("approve", "reject"), ("include", "exclude"), ("add", "remove"), ("create", "delete"),
    ("create", "destroy"), ("start", "stop"), ("begin", "end"), ("open", "close"), ("succeed", "fail"),
    ("win", "lose"), ("support", "oppose"), ("agree", "disagree"), ("praise", "criticize"), ("praise", "condemn"),
    ("welcome", "reject"), ("attach", "detach"), ("mount", "unmount"), ("encrypt", "decrypt"),
    ("upgrade", "downgrade"), ("import", "export"), ("ally", "enemy"), ("friend", "enemy"), ("friend", "foe"),
    ("before", "after"), ("more", "less"), ("more", "fewer"), ("most", "least"), ("high", "low"), ("higher", "lower"),
    ("large", "small"), ("larger", "smaller"), ("big", "small"), ("long", "short"), ("maximum", "minimum"),
    ("best", "worst"), ("better", "worse"), ("always", "never"), ("all", "none"), ("first", "last"),
    ("early", "late"), ("above", "below"), ("inside", "outside"), ("internal", "external"), ("public", "private"),
    ("same", "different"), ("true", "false"), ("strong", "weak"), ("direct", "indirect"), ("explicit", "implicit"),
    ("required", "optional"), ("mandatory", "optional"), ("synchronous", "asynchronous"), ("stateful", "stateless"),
    ("mutable", "immutable"), ("visible", "hidden"), ("available", "unavailable"), ("new", "old"), ("north", "south"),
    ("east", "west"), ("up", "down"), ("ingress", "egress"), ("inbound", "outbound"), ("success", "failure"),
    ("easy", "difficult"), ("easy", "hard"), ("straightforward", "difficult"), ("straightforward", "hard"),
    ("simple", "difficult"), ("slow", "fast"), ("slower", "faster"), ("cheap", "expensive"),
    ("rare", "common"), ("unite", "divide"), ("united", "divided"), ("attract", "repel"),
    ("affinity", "anti-affinity"), ("calm", "dismay"), ("confidence", "doubt"), ("stability", "instability"),
    ("certainty", "uncertainty"), ("few", "many"), ("greater", "lesser"), ("greater", "less"),
    ("maintain", "end"), ("maintain", "abandon"), ("retain", "delete"), ("retain", "discard"),  # keep vs stop
    ("simplify", "complicate"), ("simple", "complex"), ("same", "opposite"),
    ("homogeneous", "heterogeneous"), ("sequential", "parallel"), ("sequentially", "concurrently"),
    ("temporary", "permanent"), ("temporarily", "permanently"), ("static", "dynamic"), ("manual", "automatic"),
    ("manually", "automatically"), ("grant", "revoke"), ("encourage", "discourage"), ("keep", "delete"),
    ("keep", "remove"), ("preserve", "delete"), ("ascending", "descending"),
]
# Fixed expressions whose words say nothing of their own pair ("runs them one after another ... before the next"
# is an order, not "after" for "before"; "after all" is a concession).
IDIOMS = [("one", "after", "another"), ("one", "after", "the", "other"), ("after", "all"), ("first", "of", "all"),
          ("more", "or", "less"), ("sooner", "or", "later"), ("day", "after", "day"), ("all", "in", "all"),
          # "deprecated at this point" for "currently deprecated": a time deixis, no word of it a fact of its own
          ("at", "this", "point"), ("at", "this", "time"), ("at", "the", "moment"), ("at", "present"),
          ("for", "now"), ("right", "now")]
# "leaves the volumes in place", "leaves the data intact": "leave" as "keep" (its pair is then keep/delete, and
# "will not delete the volumes" says the same)
KEEP_COMPLEMENTS = {"place", "intact", "untouched", "alone", "unchanged", "behind"}
# Sequence words that say the same end of an order as "first" or "last" ("will first evict X, followed by Y and
# finally Z"): the span's word counts as the pair's word.
SEQUENCE_WORDS = {"finally": "last", "lastly": "last", "firstly": "first", "initially": "first"}
NEGATIVE_PREFIXES = ("un", "in", "im", "ir", "il", "non", "dis")
NEGATORS = {"not", "n't", "never", "no", "none", "nor", "neither", "without", "nothing", "nobody", "nowhere",
            "cannot", "hardly", "barely"}
# "failed to reverse" = "did not reverse"; "avoid strengthening", "refrain from using" = "not strengthen/use"
NEGATING_VERBS = {"fail", "refuse", "lack", "cease", "decline", "neglect", "avoid", "refrain", "eliminate",
                  "obviate", "remove", "unable"}  # "is unable to see" = "cannot see"
CONTRAST_PREPS = {"unlike", "like", "despite", "besides", "except", "beyond"}
# "is able to see" says "can see": with a to-verb, "able" is a modal (GENERIC "can"), not content of its own
MODAL_ADJECTIVES = {"able", "unable"}
# A verb's "un-...-able" adjective says "cannot be ...": "unschedulable Pods" are Pods that "can't be scheduled"
ABLE_SUFFIXES = ("able", "ible")
# Verbs of removal negate only a need they take away ("eliminates the need for X" = "X is no longer needed")
REMOVING_VERBS = {"eliminate", "obviate", "remove"}
NEED_NOUNS = {"need", "necessity", "requirement"}
GENERIC = {"be", "have", "do", "also", "make", "get", "say", "can", "will", "would", "may", "might", "must",
           "should", "could", "thing", "way", "well", "just", "still", "even", "only", "however", "thus",
           "there", "here", "then", "so", "such", "very", "really", "actually", "passage", "document", "text",
           "article", "according"}
# Support verbs: as a verb they carry no fact of their own, their object or complement does ("with
# tolerationSeconds set to 3600" for "tolerationSeconds: 3600", "gets ordinals" for "are assigned ordinals", "make
# a decision" for "decide"). Added by a paraphrase, they are not added content. Polarity ignores only GENERIC: "use"
# and "set" negated in one text and not the other still reverse it ("consider not using the default namespace").
LIGHT_VERBS = {"set", "get", "make", "have", "do", "give", "take", "put", "become", "use", "be", "bring"}
WEIGHTS = {"NOUN": 1.0, "PROPN": 1.0, "ADJ": 0.8, "VERB": 0.5, "ADV": 0.3}
SYNONYM_SIMILARITY = 0.55  # single-word cosine (bundled MiniLM) above which a new word counts as a rewording
_WORD = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")
_PASCAL_WORD = re.compile(r"(?:[A-Z][a-z]+){2,}")  # "HorizontalPodAutoscaler"
_PASCAL = re.compile(r"[A-Z][a-z]+")

_ANTONYM = {}
for _a, _b in ANTONYMS:
    _ANTONYM.setdefault(_a, set()).add(_b)
    _ANTONYM.setdefault(_b, set()).add(_a)


@lru_cache(maxsize=65536)
def norm(word: str) -> str:
    """Folded and stemmed (cached: the same words recur in every span and claim)."""
    return stem(fold(word).strip(".'"))


@dataclass
class SpanFacts:
    """What the checks need from an aligned span (one or two parsed passage sentences)."""

    docs: list
    stems: set[str] = field(default_factory=set)
    lemmas: set[str] = field(default_factory=set)  # lemmas and lower-cased word forms
    quantity_keys: set[str] = field(default_factory=set)
    negated: set[str] = field(default_factory=set)
    negated_classed: set[str] = field(default_factory=set)  # "lemma|class" of the negated words
    affirmed_classed: set[str] = field(default_factory=set)  # "lemma|class" of words the span states un-negated
    negated_outright: set[str] = field(default_factory=set)  # negated_classed less those negated in a condition
    negated_args: set[str] = field(default_factory=set)  # "lemma|N" of the subjects and objects of negated verbs
    acronyms: set[str] = field(default_factory=set)
    phrases: str = ""  # folded text, for multi-word aliases
    cues: int = 0  # negation cues
    classed: set[str] = field(default_factory=set)  # "lemma|class", class V (verb, adjective) or N (noun)
    headings: SpanFacts | None = None  # of a whole passage: its section path and heading lines (names in context)

    @classmethod
    def of(cls, docs: list) -> SpanFacts:
        facts = cls(docs)
        for doc in docs:
            part = _doc_facts(doc)
            facts.stems |= part[0]
            facts.lemmas |= part[1]
            facts.quantity_keys |= part[2]
            facts.negated |= part[3]
            facts.acronyms |= part[4]
            facts.cues += part[5]
            facts.classed |= part[6]
            facts.negated_classed |= part[7]
            facts.affirmed_classed |= part[8]
            facts.negated_outright |= part[9]
            facts.negated_args |= part[10]
            facts.phrases += " " + fold(doc.text)
        return facts

    @classmethod
    def of_words(cls, words: list[str]) -> SpanFacts:
        return cls([], stems={norm(w) for w in words})

    def has_word(self, word: str) -> bool:
        w = norm(word)
        if not w:
            return True
        if w in self.stems or w.upper() in self.acronyms or fold(word) in self.lemmas:
            return True
        if w in DEMONYMS and DEMONYMS[w] in self.stems:
            return True
        if _PASCAL_WORD.fullmatch(word):
            # an identifier in PascalCase is shortened to the initials of its parts ("HorizontalPodAutoscaler" is
            # the HPA, "PersistentVolumeClaim" a PVC), as a multi-word name is ("SDF" for "Self Defense Force")
            initials = "".join(p[0] for p in _PASCAL.findall(word)).lower()
            if initials not in STOPWORDS and initials in self.stems:
                return True
        if any(DEMONYMS.get(s) == w for s in self.stems):
            return True
        return len(w) >= 4 and w.isalpha() and any(
            len(s) >= 4 and s.isalpha() and (w.startswith(s[:-1]) or s.startswith(w[:-1]))
            for s in self.stems if s[:3] == w[:3])


@lru_cache(maxsize=8192)
def _doc_facts(doc):
    toks = [t for t in doc]
    found = _WORD.findall(doc.text)
    stems = {norm(w) for w in found} | {norm(t.text) for t in toks} | {
        norm(p) for w in found if "-" in w for p in w.split("-")}  # "eviction-pressure-transition-period"
    lemmas = {t.lemma_.lower() for t in toks} | {t.lower_ for t in toks}
    lemmas |= {SEQUENCE_WORDS[w] for w in lemmas if w in SEQUENCE_WORDS}
    keys = {k for q in quantities(doc) for k in q.span_keys} | unit_words(toks)
    acronyms = set()
    run: list[str] = []
    for t in toks + [None]:
        if t is not None and t.text[:1].isupper() and t.is_alpha:
            run.append(t.text)
            continue
        if len(run) >= 2:
            acronyms.add("".join(w[0] for w in run if w.lower() not in ("of", "and", "the")).upper())
        run = []
    negated = negated_tokens(toks)  # found once, for the lemmas, the classed words and the arguments
    ids = {t.i for t in negated}
    return frozenset(stems), frozenset(lemmas), frozenset(keys), frozenset(lemmas_of(negated)), \
        frozenset(acronyms), sum(1 for t in toks if is_cue(t)), frozenset(classed(toks)), \
        frozenset(classed_of(negated)), frozenset(classed([t for t in toks if t.i not in ids])), \
        frozenset(classed_of([t for t in negated if not in_condition(t)])), \
        frozenset(negated_arguments(negated))


def classed(tokens) -> set[str]:
    """"lemma|V" for verbs and adjectives, "lemma|N" for nouns: negation is compared between like words only
    (a misparse that makes "temper" a noun in the span must not read as "temper" not being negated)."""
    out = set()
    for t in tokens:
        if t.dep_ == "compound":  # a modifier inside a name, not something said or denied
            continue
        out.add(f"{t.lemma_.lower()}|{word_class(t)}")
    return out


def word_class(t) -> str:
    """V (verb, adjective: what is said), N (noun: what it is said of) or O. A gerund subject ("deleting a
    StatefulSet leaves ...") names an action and is N; a plural noun at the root that heads a "that" clause ("A
    LimitRange checks that the values are consistent", a tagging slip) is the verb it spells."""
    if t.pos_ in ("VERB", "AUX", "ADJ"):
        first = t
        while first.dep_ == "conj" and first.head.i != first.i:
            first = first.head  # "scaling down or deleting a StatefulSet"
        return "N" if t.pos_ == "VERB" and first.dep_ in ("csubj", "csubjpass", "nsubj", "nsubjpass") else "V"
    if t.pos_ in ("NOUN", "PROPN"):
        if t.dep_ == "ROOT" and t.tag_ == "NNS" and any(
                c.dep_ in ("relcl", "ccomp", "acl") and any(g.dep_ == "mark" and g.lower_ == "that"
                                                             for g in c.children) for c in t.children):
            return "V"
        return "N"
    return "O"


# The dependents of a predicate that its negation covers: "does not provide a storage solution" and "has no storage
# solution" deny the same thing, as do "Pods do not run there" and "no Pods run there".
ARGUMENT_DEPS = {"nsubj", "nsubjpass", "dobj", "attr", "oprd"}


def negated_arguments(negated) -> set[str]:
    """"lemma|N" of the nouns that are subjects, objects or prepositional objects of the negated verbs and
    adjectives in ``negated``, and the nouns coordinated with them ("is not equipped with capabilities or
    protected by an arrangement" denies what "lacks capabilities or an arrangement" does)."""
    args = []
    for t in negated:
        if word_class(t) != "V":
            continue
        args += [c for c in t.children if c.dep_ in ARGUMENT_DEPS]
        args += [g for c in t.children if c.dep_ in ("prep", "agent") for g in c.children if g.dep_ == "pobj"]
    args += [c for a in list(args) for c in a.children if c.dep_ == "conj"]
    return {f"{a.lemma_.lower()}|N" for a in args if word_class(a) == "N"}


def negated_classed(tokens) -> set[str]:
    """"lemma|class" (word_class) of the words negated among ``tokens``."""
    return classed_of(negated_tokens(tokens))


def classed_of(negated) -> set[str]:
    """"lemma|class" of the ``negated`` tokens (negated_tokens), generic words left out."""
    return {f"{t.lemma_.lower()}|{word_class(t)}" for t in negated if t.lemma_.lower() not in GENERIC}


def lemmas_of(negated) -> set[str]:
    """The lemmas of the ``negated`` tokens (negated_tokens), generic words left out."""
    return {t.lemma_.lower() for t in negated} - GENERIC


# ------------------------------------------------------------------------------------------- polarity


CONDITION_MARKS = {"if", "unless", "when", "whenever"}


def in_condition(tok) -> bool:
    """``tok`` is part of a conditional clause ("If dual-stack is not enabled, ...")."""
    cur = tok
    for _ in range(8):
        if cur.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in CONDITION_MARKS for c in cur.children):
            return True
        if cur.head.i == cur.i:
            return False
        cur = cur.head
    return False


def negated_lemmas(tokens) -> set[str]:
    """Lemmas of the words negated among ``tokens``: the head of each negation cue (and what a copula or
    auxiliary it hangs on governs, and the words coordinated with it: "not felt as, or considered"), the verb
    a "neither ... nor" subject or a "no" noun hangs from, the verb after "fail to"."""
    return lemmas_of(negated_tokens(tokens))


def negated_tokens(tokens) -> list:
    """The tokens negated among ``tokens`` (negated_lemmas)."""
    out: dict[int, object] = {}
    for tok in tokens:
        low = tok.lower_
        targets = []
        if not is_cue(tok):
            continue
        if low == "without" and tok.dep_ != "neg":
            # "tolerate the taint without specifying X": what follows is denied, not the verb it hangs on
            targets += [c for c in tok.children if c.dep_ in ("pobj", "pcomp")]
        elif _elliptical(tok):
            pass  # "If it does not, ...": the negated predicate is left out; the cue counts, nothing else is denied
        elif tok.dep_ == "neg" or low in NEGATORS:
            head = tok.head if tok.head.i != tok.i else None
            if head is not None and head.pos_ == "ADV" and head.lower_ in ("longer", "more") and head.head.i != head.i:
                head = head.head  # "no longer need": the verb, not the adverb, is what stops holding
            if low == "no" and head is not None and head.pos_ in ("NOUN", "PROPN") and head.dep_ == "pobj":
                # "nodes with no endpoints", "come with no guarantees": the determiner denies its noun inside the
                # phrase, as "without endpoints" does (below); the verb or noun the phrase hangs on is not denied
                targets.append(head)
                head = None
            elif head is not None and head.pos_ in ("NOUN", "PROPN", "PRON", "NUM") or low in ("neither", "nor"):
                noun, head = tok.head, _governing_verb(tok)
                if low in ("no", "none", "nothing") and noun.i != tok.i and head.lemma_ in ("be", "have"):
                    targets.append(noun)  # "there is no X", "has no X": X itself is what is denied
            if head is not None:
                targets.append(head)
            targets += [c for c in tok.children if c.dep_ == "pobj"]
            if low in ("none", "neither"):
                # "none of the nodes are suitable" denies the nodes as "no node is suitable" does
                targets += [g for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children
                            if g.dep_ == "pobj"]
        elif tok.lemma_ in NEGATING_VERBS:
            targets += _negated_complements(tok)
        for target in list(targets):
            if target.pos_ == "AUX" or target.lemma_ in ("be", "have", "do", "get", "make"):
                targets += [c for c in target.children if c.dep_ in ("acomp", "attr", "xcomp", "oprd", "dobj")]
                # "is not at an inflection point"; not a phrase set before the verb or against it ("unlike
                # Linux, Windows doesn't have X": Linux is the contrast, not what is denied)
                targets += [g for c in target.children if c.dep_ == "prep" and c.i > target.i
                            and c.lower_ not in CONTRAST_PREPS for g in c.children if g.dep_ == "pobj"]
        for target in list(targets):
            # "failed to reverse or temper X", "is not felt as, or considered, X": the negation spreads; "does
            # not start the Job and logs the error": the second verb, with its own object after "and", is said
            own_object = any(c.dep_ in ("dobj", "attr", "acomp") for c in target.children)
            joined_by_and = any(c.dep_ == "cc" and c.lower_ == "and" for c in target.children)
            if own_object and joined_by_and:
                continue
            targets += [c for c in target.children if c.dep_ == "conj" and c.pos_ == target.pos_
                        and not any(g.dep_ in ("nsubj", "nsubjpass") for g in c.children)]
        out.update((t.i, t) for t in targets if t.i != tok.i)
    return list(out.values())


def is_cue(tok) -> bool:
    """``tok`` negates: a ``neg`` dependent, no/never/none/nor/without..., or fail/refuse/lack + to-verb; not a
    limit ("no more than 3"), a focus ("not only ... but also"), or a name or value ("OnFailure or Never")."""
    low = tok.lower_
    if tok.lemma_ in NEGATING_VERBS:
        return bool(_negated_complements(tok))
    if not (tok.dep_ == "neg" or low in NEGATORS):
        return False
    if _bound(tok) or tok.pos_ == "PROPN" or (tok.text[:1].isupper() and not tok.is_sent_start) \
            or answer_particle(tok):
        return False
    nxt = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
    return not (low == "not" and nxt is not None and nxt.lower_ in ("only", "just", "merely", "simply"))


def answer_particle(tok) -> bool:
    """"No, cloning only works within a namespace": an answer's opening "No" replies to a yes/no question and
    denies nothing the sentence then states."""
    doc = tok.doc
    return tok.lower_ == "no" and (tok.i == 0 or doc[tok.i - 1].is_punct) and tok.i + 1 < len(doc) \
        and doc[tok.i + 1].text in (",", ":", ";", ".", "!", "-", "\u2013", "\u2014")


def modal_adjective(tok) -> bool:
    """"able"/"unable" with a to-verb ("is able to see"): a modal, read as "can"/"cannot"."""
    return tok.lemma_.lower() in MODAL_ADJECTIVES and any(c.dep_ == "xcomp" for c in tok.children)


def _negated_complements(verb) -> list:
    """The words a negating verb denies: "failed to reverse", "avoid strengthening", "refrain from using"; the
    object of "lack" ("lack guarantees" is "have no guarantees"); a need or requirement that a verb of removal
    takes away ("eliminates the need to pre-provision" is "no longer need to", "removes the requirement" is "no
    longer requires"). Other objects of a verb of removal are things removed, not denied ("removes the Pod")."""
    lemma = verb.lemma_.lower()
    if lemma in REMOVING_VERBS:  # "remove the taint to allow scheduling" denies nothing
        return [c for c in verb.children if c.dep_ == "dobj" and c.lemma_.lower() in NEED_NOUNS]
    out = [c for c in verb.children if c.dep_ == "xcomp" or (c.dep_ == "pcomp" and c.tag_ == "VBG")] + [
        g for c in verb.children if c.dep_ == "prep" and c.lower_ == "from" for g in c.children
        if g.dep_ == "pcomp"]
    if lemma == "lack":
        out += [c for c in verb.children if c.dep_ == "dobj"]
    return out


def _elliptical(tok) -> bool:
    """A negation whose predicate is left out ("If it does not, the reference is treated as absent", "if it
    isn't, ..."): "not" right after an auxiliary and before a clause boundary. spaCy hangs it on the next verb
    (the main clause's), which it does not negate."""
    doc = tok.doc
    if tok.dep_ != "neg" or tok.i == 0 or tok.i + 1 >= len(doc):
        return False
    prev, nxt = doc[tok.i - 1], doc[tok.i + 1]
    # the auxiliary heads its own clause: in "does not, by default, verify X" it is the aux of "verify", which
    # the negation does deny
    return prev.lemma_.lower() in ("do", "be", "have") and prev.dep_ not in ("aux", "auxpass") and (
        nxt.is_punct and nxt.text in (",", ";", ":", ".", ")"))


def _bound(tok) -> bool:
    """"no more than 63", "not longer than 52": a limit on a quantity, not a negation."""
    doc = tok.doc
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    after = doc[tok.i + 2] if tok.i + 2 < len(doc) else None
    return tok.lower_ in ("no", "not") and nxt is not None and (nxt.tag_ in ("JJR", "RBR") or nxt.lower_ in (
        "more", "less", "fewer")) and after is not None and after.lower_ == "than"


def _governing_verb(tok):
    cur = tok
    for _ in range(6):
        if cur.head.i == cur.i:
            return cur
        cur = cur.head
        if cur.pos_ in ("VERB", "AUX", "ADJ"):
            return cur
    return cur


def check_polarity(claim_tokens, facts: SpanFacts, anchor: bool = False) -> str | None:
    """A word both texts use (as the same part of speech) is negated in one and not the other; or the claim
    negates something and the span negates nothing. ``anchor``: ``facts`` is the one sentence of a longer span
    the claim leans on most (check_anchor_polarity)."""
    negated = claim_negated = negated_tokens(claim_tokens)  # claim_negated loses, for an anchor, what it also states
    claim_neg = classed_of(claim_negated)
    claim_args = negated_arguments(claim_negated)
    shared = {c for c in classed(claim_tokens) & facts.classed if c.split("|")[0] not in GENERIC}
    if anchor:
        # a word the claim both denies and states ("has no storage solution; instead, many logging solutions
        # integrate with it") is two things said of two subjects; one sentence of the span agreeing with one of
        # them contradicts nothing (the whole span was checked for both)
        ids = {t.i for t in claim_negated}
        both = claim_neg & classed([t for t in claim_tokens if t.i not in ids])
        shared -= both
        claim_negated = [t for t in claim_negated if f"{t.lemma_.lower()}|{word_class(t)}" not in both]
    for word in sorted(shared):
        if word in facts.affirmed_classed and word in facts.negated_classed - facts.negated_outright:
            # the span states the word and negates it only in a condition ("... when dual-stack is enabled. If
            # dual-stack is not enabled, it falls back ..."): the two cases of a condition, and either polarity in
            # the claim agrees with one of them
            continue
        if (word in claim_neg) != (word in facts.negated_classed):
            if word.endswith("|N") and word in (facts.negated_args if word in claim_neg else claim_args):
                # a noun denied in one text ("has no storage solution") whose predicate the other negates ("does
                # not provide a storage solution"): one negation, placed on the noun or on the verb
                continue
            return "negation differs"
    if not facts.cues and any(is_cue(t) for t in claim_tokens):
        # "are not allowed" for "are disallowed", "not temporary" for "permanent": a negated word whose opposite
        # the span states un-negated says the same
        if anchor and negated and not [t for t in claim_negated if t.lemma_.lower() not in GENERIC
                                       and t.lemma_.lower() in facts.lemmas]:
            # what the claim denies is words it also states (above), or words this sentence does not have: the
            # other sentence of the span, which the whole span's check compared, is where that negation is
            return None
        if not negated or not all(opposites(t) & (facts.lemmas - facts.negated) for t in negated):
            return "negation differs"
    return None


def check_anchor_polarity(claim_tokens, facts: SpanFacts) -> str | None:
    """check_polarity against the sentence of a longer span the claim leans on most."""
    return check_polarity(claim_tokens, facts, anchor=True)


def opposites(tok) -> set[str]:
    """The words that say the opposite of ``tok``: its ANTONYMS pairs and its un-/in-/non-/dis- forms."""
    lemma = read_lemma(tok)
    out = _ANTONYM.get(lemma, set()) | _ANTONYM.get(tok.lower_, set())
    for form in {lemma, tok.lower_} if tok.pos_ in ("ADJ", "VERB", "NOUN", "ADV", "ADP") else ():
        out |= {form[len(p):] for p in NEGATIVE_PREFIXES if form.startswith(p) and len(form) - len(p) >= 4}
        out |= {p + form for p in NEGATIVE_PREFIXES if len(form) >= 4}
    if tok.pos_ == "VERB" and len(lemma) >= 4:  # "schedule": "unschedulable" (ABLE_SUFFIXES)
        stem = lemma[:-1] if lemma.endswith("e") and not lemma.endswith("ee") else lemma
        out |= {p + stem + suffix for p in ("un", "non") for suffix in ABLE_SUFFIXES}
    return out


# Phrasal verbs that name a direction of change, read as the verb of the ANTONYMS pair they mean ("have scaled back
# their drills" says "reduced" as much as "cut" does): the particle, not the verb, carries the direction.
PHRASAL = {("scale", "back"): "reduce", ("scale", "down"): "reduce", ("cut", "back"): "reduce",
           ("wind", "down"): "reduce", ("scale", "up"): "increase", ("ramp", "up"): "increase",
           ("step", "up"): "increase"}


def read_lemma(tok) -> str:
    """The lemma, with "leave ... in place/intact" read as "keep" and a phrasal verb of change (PHRASAL) as the
    verb it means."""
    lemma = tok.lemma_.lower()
    if tok.pos_ == "VERB":
        for c in tok.children:
            if c.dep_ == "prt" and (lemma, c.lower_) in PHRASAL:
                return PHRASAL[(lemma, c.lower_)]
    if lemma == "leave" and any(c.lower_ in KEEP_COMPLEMENTS or c.dep_ == "prep" and any(
            g.lower_ in KEEP_COMPLEMENTS for g in c.children) for c in tok.children):
        return "keep"
    return lemma


def idiom_tokens(tokens) -> set[int]:
    """Indices of the tokens that are part of an IDIOMS expression in the sentence ``tokens`` come from."""
    if not tokens:
        return set()
    doc = tokens[0].doc
    words = [t.lower_ for t in doc]
    out: set[int] = set()
    for idiom in IDIOMS:
        n = len(idiom)
        for i in range(len(words) - n + 1):
            if tuple(words[i:i + n]) == idiom:
                out |= set(range(i, i + n))
    return out


def check_antonyms(claim_tokens, facts: SpanFacts) -> str | None:
    """A claim word whose opposite stands in the span instead of it: either the word is absent from the span, or
    the opposite fills the same slot (same head word) where the span does not have the word itself ("the last
    country" for "the first country", though "last" occurs elsewhere in the span)."""
    negated = negated_tokens(claim_tokens)
    claim_neg = lemmas_of(negated) | {read_lemma(t) for t in negated}
    by_head = None  # span lemmas by the lemma of their head word, built when first needed
    idioms = idiom_tokens(claim_tokens)
    for tok in claim_tokens:
        lemma = read_lemma(tok)
        if len(lemma) < 2 or not tok.is_alpha or tok.i in idioms:
            continue
        opposite = opposites(tok)
        if not opposite:
            continue
        if lemma in facts.lemmas or tok.lower_ in facts.lemmas:
            if by_head is None:
                by_head = _lemmas_by_head(facts.docs)
            same_slot = by_head.get(_slot_key(tok), set())
            hit = sorted(same_slot & opposite)
            if not hit or lemma in same_slot or tok.lower_ in same_slot:
                continue
            if opposite & sentence_words(claim_tokens):
                # both texts use both words of the pair ("BestEffort Pods first ... Guaranteed Pods last"; "will
                # first evict X ... and finally Z"): each states an order or a contrast, and the head word of one
                # end does not tell which item the span puts there
                continue
        else:
            hit = sorted(opposite & facts.lemmas)
            if hit and set(hit) & _coordinated(tok):
                # "create or delete Pods" for "create or remove Pods": the claim coordinates both ends of the pair,
                # so the span's word is the claim's own conjunct, not one put in place of this word (which is
                # then an added word, compared with the span's by similarity)
                continue
        if hit and (lemma in claim_neg) == (hit[0] in facts.negated):
            return f"'{tok.text}' where the cited text says '{hit[0]}'"
    return None


def _coordinated(tok) -> set[str]:
    """The lemmas of the words coordinated with ``tok``: its conjuncts, and the word next to it across "or" or
    "and" ("create or delete Pods", which spaCy's small model may parse as "create or [delete Pods]")."""
    doc = tok.doc
    out = {read_lemma(c) for c in tok.conjuncts}
    for cc, other in ((tok.i - 1, tok.i - 2), (tok.i + 1, tok.i + 2)):
        if 0 <= other < len(doc) and 0 <= cc < len(doc) and doc[cc].lower_ in ("or", "and"):
            out.add(read_lemma(doc[other]))
    return out


ROOT_SLOT = "\0root"  # the slot of a sentence's root word, which is its own head in spaCy's parse


def _slot_key(tok) -> str:
    return ROOT_SLOT if tok.head.i == tok.i else tok.head.lemma_.lower()


def _lemmas_by_head(docs) -> dict[str, set[str]]:
    """The span's lemmas by the slot they fill: the lemma of their head word, or ROOT_SLOT for a root."""
    out: dict[str, set[str]] = {}
    for doc in docs:
        for t in doc:
            lemma = t.lemma_.lower()
            out.setdefault(_slot_key(t), set()).add(SEQUENCE_WORDS.get(lemma) or lemma)
    return out


def sentence_words(tokens) -> set[str]:
    """The lemmas and lower-cased forms of the whole sentence ``tokens`` come from (a claim is part of one)."""
    toks = list(tokens[0].doc) if tokens and hasattr(tokens[0], "doc") else list(tokens)
    return {t.lemma_.lower() for t in toks} | {t.lower_ for t in toks}


# ------------------------------------------------------------------------------------------- roles

ARGUMENT_DEPS = {"dobj", "dative", "attr", "oprd", "pobj"}


def frames(tokens) -> list[tuple[str, set[str], set[str], set[str]]]:
    """(verb lemma, subject, object, direct object) head lemmas per verb, passives turned active; the object
    includes prepositional objects ("provide Russia with missiles"), the direct object does not."""
    ids = {t.i for t in tokens}
    out = []
    for verb in tokens:
        if verb.pos_ not in ("VERB",):
            continue
        subj, obj, direct = set(), set(), set()
        for child in verb.children:
            if child.dep_ == "nsubj":
                subj |= _heads(child)
            elif child.dep_ == "nsubjpass":
                direct |= _heads(child)
            elif child.dep_ == "agent":
                subj |= {h for c in child.children if c.dep_ == "pobj" for h in _heads(c)}
            elif child.dep_ in ("dobj", "dative", "oprd"):
                direct |= _heads(child)
                obj |= {h for c in child.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"
                        for h in _heads(g)}  # "announced exchanges with NATO"
            elif child.dep_ == "prep":
                obj |= {h for c in child.children if c.dep_ == "pobj" for h in _heads(c)}
        if not subj and verb.dep_ in ("xcomp", "advcl", "conj"):
            subj = _borrowed_subject(verb)  # "Kishida took ... seriously enough to declare"
        if not direct:  # "deleting and/or scaling a StatefulSet": coordinated verbs share the object
            direct |= {h for c in _conjuncts(verb) for g in c.children if g.dep_ in ("dobj", "dative")
                       for h in _heads(g)}
        obj |= direct
        if obj and verb.i in ids:
            out.append((verb.lemma_.lower(), subj - obj, obj - subj, direct - subj))
    return out


def _conjuncts(verb) -> list:
    """The verbs coordinated with ``verb`` that have no subject of their own."""
    out = [c for c in verb.children if c.dep_ == "conj" and c.pos_ == "VERB"]
    if verb.dep_ == "conj" and verb.head.pos_ == "VERB":
        out.append(verb.head)
    return [c for c in out if not any(g.dep_ in ("nsubj", "nsubjpass") for g in c.children)]


def _borrowed_subject(verb) -> set[str]:
    cur = verb
    for _ in range(3):
        if cur.head.i == cur.i:
            break
        cur = cur.head
        subj = {h for c in cur.children if c.dep_ == "nsubj" for h in _heads(c)}
        if subj:
            return subj
    return set()


def _heads(tok) -> set[str]:
    """The lemma of an argument, of words coordinated with it, and of its "of" complement ("a session of the
    Congress" also names the Congress)."""
    found = {norm(tok.lemma_)}
    found |= {norm(c.lemma_) for c in tok.children if c.dep_ == "conj"}
    found |= {norm(g.lemma_) for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"
              for g in c.children if g.dep_ == "pobj"}
    return {f for f in found if f not in STOPWORDS and f not in ("-pron-",)}


def check_roles(claim_tokens, facts: SpanFacts) -> str | None:
    span_frames = [f for doc in facts.docs for f in frames(list(doc))]
    pronoun_objects = {t.lemma_.lower() for doc in facts.docs for t in doc if t.pos_ == "VERB" and any(
        c.dep_ in ("nsubjpass", "dobj") and c.pos_ == "PRON" for c in t.children)}
    sentence_frames = frames(list(claim_tokens[0].doc)) if claim_tokens else []
    for verb, subj, obj, direct in frames(claim_tokens):
        same_verb = [f for f in span_frames if f[0] == verb]
        for _, s_subj, s_obj, _ in same_verb:
            if subj & s_obj and obj & s_subj and not subj & s_subj:
                return "subject and object swapped"
        # "praised the alliance while threatening dictators" for "threatened the alliance while praising
        # dictators": the verb is there, but its direct object in the claim is another verb's in the span.
        # (not when the span's verb names its object by a pronoun: "If the request cannot be authenticated, it is
        # rejected" says what is rejected through "it")
        if direct and same_verb and verb not in pronoun_objects and not any(direct & f[3] for f in same_verb):
            # the other span verb's object, unless the claim gives it that verb's object too ("may be rejected,
            # so ... retries all failed requests": both texts retry the requests)
            claim_direct = {(f[0], o) for f in sentence_frames for o in f[3]}
            elsewhere = {o for f in span_frames if f[0] != verb for o in f[3] if (f[0], o) not in claim_direct}
            if direct & elsewhere:
                return f"'{sorted(direct & elsewhere)[0]}' is not what '{verb}' applies to in the cited text"
    return None


# ------------------------------------------------------------------------------------------- additions


def is_light_verb(tok) -> bool:
    """A support verb (LIGHT_VERBS) used as a verb: "set" in "with the field set to 5", not "a set of nodes"."""
    return tok.pos_ in ("VERB", "AUX") and tok.lemma_.lower() in LIGHT_VERBS


def content_words(claim_tokens) -> list:
    """The claim's words that carry content: nouns, adjectives, verbs and adverbs, not names, numbers, support
    verbs, or "one" standing for a noun ("kills the extra ones": a pronoun, whose noun the texts name)."""
    return [t for t in claim_tokens
            if t.pos_ in WEIGHTS and t.pos_ != "PROPN" and t.is_alpha and len(t.text) > 1
            and not t.is_stop and t.lower_ not in STOPWORDS and t.lemma_.lower() not in GENERIC
            and t.lemma_.lower() not in NEGATORS and not t.ent_type_ and not is_light_verb(t)
            and not pronoun_one(t) and not modal_adjective(t)]


def pronoun_one(tok) -> bool:
    """"one" standing for a noun ("each one", "the next one", "the old ones"), not a number."""
    return tok.lower_ in ("one", "ones") and (tok.lower_ == "ones" or any(
        c.dep_ in ("det", "amod") for c in tok.children))


def new_words(claim_tokens, facts: SpanFacts) -> list:
    """Content words of the claim that neither occur in the span nor derive from a word of it."""
    out = []
    idioms = idiom_tokens(claim_tokens)
    claim_neg = {t.i for t in negated_tokens(claim_tokens)}
    for tok in content_words(claim_tokens):
        if facts.has_word(tok.text) or tok.lemma_.lower() in facts.lemmas or norm(tok.lemma_) in facts.stems:
            continue
        if tok.i in idioms or tok.lower_ in KEEP_COMPLEMENTS and read_lemma(_governor(tok)) == "keep":
            continue  # "one after another", "leaves the volumes in place"
        if tok.pos_ in ("VERB", "ADJ") and (
                (tok.i in claim_neg and opposites(tok) & (facts.lemmas - facts.negated))
                or (tok.i not in claim_neg and opposites(tok) & facts.negated)):
            continue  # a negated opposite says the same: "leaves in place" for "will not delete", "not allowed"
        if _derived(norm(tok.lemma_), facts.stems):
            continue
        out.append(tok)
    return out


def _governor(tok):
    """The verb a complement hangs from ("place" in "leaves X in place")."""
    head = tok.head
    return head.head if head.dep_ == "prep" else head


def _derived(word: str, stems: set[str]) -> bool:
    """"cooperation" ~ "cooperative", "decision" ~ "decide": a long shared beginning."""
    for s in stems:
        n = 0
        for x, y in zip(word, s):
            if x != y:
                break
            n += 1
        if n >= 5 and n >= 0.7 * min(len(word), len(s)):
            return True
    return False


MODIFIER_DEPS = {"amod", "compound", "nmod", "poss", "npadvmod"}
_POS_CLASS = {"PROPN": "NOUN", "ADJ": "NOUN"}  # "defense minister" / "foreign minister": one modifier slot


def counterpart(tok, facts: SpanFacts, claim_lemmas: set[str]):
    """The span word in the same grammatical slot as claim word ``tok`` (same relation to the same head word:
    "looks to [it] with dismay" for "looks to [it] with confidence"), when it is a different word; else None."""
    pos = _POS_CLASS.get(tok.pos_, tok.pos_)
    dep = "mod" if tok.dep_ in MODIFIER_DEPS else tok.dep_
    for doc in facts.docs:
        for s in doc:
            if s.lemma_.lower() in claim_lemmas or _POS_CLASS.get(s.pos_, s.pos_) != pos or not s.is_alpha:
                continue
            if s.dep_ == tok.dep_ == "pobj":
                same = s.head.lower_ == tok.head.lower_ and s.head.head.lemma_ == tok.head.head.lemma_
            else:
                same = ("mod" if s.dep_ in MODIFIER_DEPS else s.dep_) == dep and s.head.i != s.i \
                    and tok.head.i != tok.i and s.head.lemma_ == tok.head.lemma_
            if same:
                return s
    return None
