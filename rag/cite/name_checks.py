"""The name checks of a claim against its aligned span (see rag.cite.alignment for the others).

- every named entity of the claim (spaCy NER, plus proper nouns and code-like identifiers NER misses, the first
  word of the sentence included) occurs in the span: folded, stemmed words, demonyms ("Japanese" ~ "Japan"),
  countries in any of their forms (rag.cite.places: "South Korean" ~ "Republic of Korea", "U.S." ~ "United
  States"), acronyms ("SDF" ~ "Self Defense Force"); a person needs one of their
  names in the span and the rest in the passage ("Kim" ~ "Kim Jong Un"); an identifier with hyphens or dots
  ("kube-scheduler") must occur whole;
- a name that describes another in the claim ("Luxon of Australia") describes that one in the span too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.cite.alignment import SpanFacts, norm
from rag.cite.claims import FINITE_TAGS
from rag.cite.places import place_of, places_in
from rag.text import STOPWORDS, fold

NAME_LABELS = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
LINKED_LABELS = {"PERSON", "NORP", "GPE", "ORG", "LOC", "FAC"}  # real-world names whose pairing is checked
TITLES = {"mr", "mrs", "ms", "dr", "president", "prime", "minister", "deputy", "secretary", "general", "leader",
          "chancellor", "king", "queen", "senator", "governor", "chief", "premier", "defense", "defence", "foreign",
          "vice", "sir", "lord", "the", "of", "and", "for", "de", "von"}
_CODE = re.compile(r"[a-z][A-Z]|[A-Za-z0-9][_/.][A-Za-z0-9]|^[A-Za-z]+-[A-Za-z0-9-]*[0-9]")



@dataclass
class Name:
    tokens: list
    label: str

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)


def names(tokens) -> list[Name]:
    """Named entities among ``tokens``, plus proper nouns and code-like identifiers that NER left out."""
    ids = {t.i for t in tokens}
    out: list[Name] = []
    covered: set[int] = set()
    doc = tokens[0].doc if tokens else None
    for ent in (doc.ents if doc is not None else ()):
        if ent.label_ in NAME_LABELS and any(t.i in ids for t in ent):
            for part in _ent_parts(ent):
                kept = [t for t in part if t.i in ids and any(c.isalnum() for c in t.text)]
                if kept:
                    out.append(Name(kept, ent.label_))
            covered |= {t.i for t in ent}
    for ent in (doc.ents if doc is not None else ()):
        covered |= {t.i for t in ent}
    for joined in _joined_terms(tokens):
        if _ordinary_compound(joined):
            continue
        if not any(t.i in covered for t in joined):
            out.append(Name(joined, "CODE"))
            covered |= {t.i for t in joined}
    run: list = []
    for tok in list(tokens) + [None]:
        if tok is not None and tok.i not in covered and (
                (tok.pos_ == "PROPN" and tok.text[:1].isupper() and tok.lower_ not in STOPWORDS)
                or _CODE.search(tok.text)):
            run.append(tok)
            continue
        if run:
            out.append(Name(run, "CODE" if any(_CODE.search(t.text) for t in run) else "PROPN"))
            run = []
    return out


def _ent_parts(ent) -> list[list]:
    """An entity, or its parts when NER ran it over a finite verb ("Canal unites Flannel and Cilium" as one ORG):
    a name holds no finite verb, so the names are the runs between verbs and conjunctions."""
    if not any(t.tag_ in FINITE_TAGS for t in ent):
        return [list(ent)]
    parts: list[list] = [[]]
    for tok in ent:
        if tok.tag_ in FINITE_TAGS or tok.pos_ == "CCONJ":
            parts.append([])
        else:
            parts[-1].append(tok)
    return [p for p in parts if p]


def _joined_terms(tokens) -> list[list]:
    """Words joined by hyphens, dots, slashes or underscores with no space ("kube-scheduler",
    "--node-monitor-period", "batch/v1"): identifiers, matched as a whole."""
    out, run = [], []
    for tok in tokens:
        if run and tok.i == run[-1].i + 1 and not run[-1].whitespace_ and (
                tok.text in "-_./" or run[-1].text in "-_./" or run[-1].text.startswith("--")):
            run.append(tok)
            continue
        if len(run) >= 3 and any(t.text in "-_./" for t in run):
            out.append(run)
        run = [tok]
    if len(run) >= 3 and any(t.text in "-_./" for t in run):
        out.append(run)
    return out


def _ordinary_compound(run: list) -> bool:
    """A hyphenated English compound ("built-in", "add-on", "up-to-date", "man-in-the-middle", "hub-and-spoke"):
    lower-case words joined by hyphens only, one of them a function word. Identifiers join content words
    ("kube-scheduler", "pod-template-hash") or carry dots, slashes, digits or a leading "--"; an ordinary
    compound is checked word by word with the rest of the claim (added words, synonyms), not as a name."""
    words = [t.text for t in run if t.text != "-"]
    if len(words) < 2 or any(t.text in "_./" for t in run) or run[0].text.startswith("-"):
        return False
    return all(w.isalpha() and w.islower() for w in words) and any(w in STOPWORDS for w in words)


def _alias_hit(name: Name, facts: SpanFacts) -> bool:
    """A country or union named in any of its forms (rag.cite.places): "South Korean" for "the Republic of
    Korea", "U.S." for "United States"."""
    place = place_of(name.text)
    return place is not None and place in places_in(facts.phrases)


def check_names(claim_tokens, facts: SpanFacts, passage: SpanFacts) -> str | None:
    for name in names(claim_tokens):
        if _alias_hit(name, facts):
            continue
        if name.label == "CODE" and len(name.tokens) > 1:
            if fold("".join(t.text_with_ws for t in name.tokens).strip()) in facts.phrases:
                continue
            return f"name '{''.join(t.text for t in name.tokens)}' not in the cited text"
        words = [t.text for t in name.tokens if fold(t.text) not in TITLES or name.label != "PERSON"]
        words = [w for w in words if fold(w) not in ("the", "of", "and")] or [t.text for t in name.tokens]
        hits = [facts.has_word(w) for w in words]
        if all(hits):
            continue
        if name.label in ("PERSON", "PROPN") and any(hits) and all(passage.has_word(w) for w in words):
            continue  # "Kim Jong Un" for a span saying "Kim": the rest of the name is in the passage
        if passage.headings is not None and all(passage.headings.has_word(w) for w in _camel_parts(words)):
            continue  # the topic of the passage's section ("DNS Subdomain Names", "Max Unavailable" for
            # "maxUnavailable"): what its sentences are about
        acronym = "".join(w[0] for w in words if w[:1].isupper()).upper()
        if len(acronym) >= 2 and acronym in {norm(s).upper() for s in facts.stems}:
            continue
        return f"name '{name.text}' not in the cited text"
    return None


def _camel_parts(words: list[str]) -> list[str]:
    """"maxUnavailable" -> "max", "Unavailable" (a field named in a heading as words); other words as they are."""
    return [p for w in words for p in (_CAMEL.findall(w) if _CAMEL_WORD.fullmatch(w) else [w])]


_CAMEL_WORD = re.compile(r"[a-z]+(?:[A-Z][a-z]+)+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+")


def check_links(claim_tokens, facts: SpanFacts) -> str | None:
    """A name that describes another in the claim ("Luxon of New Zealand", "Japan's Kishida", "Chinese buoy")
    must be near it in the span's parse too, not somewhere else in the sentence."""
    found = [n for n in names(claim_tokens) if n.label in LINKED_LABELS]
    for a in found:
        for b in found:
            if a is b or not _describes(b, a):
                continue
            xs = [x for doc in facts.docs for x in _matches(doc, a, facts)]
            ys = [y for doc in facts.docs for y in _matches(doc, b, facts)]
            if not xs or not ys:
                continue  # a missing name is check_names' business
            owners = [_described(y) for y in ys]
            if any(o is not None and o.i in {x.i for x in xs if x.doc is o.doc} for o in owners):
                continue  # "Luxon of New Zealand" in the span too
            if any(o is not None and o.pos_ == "PROPN" for o in owners) or min(
                    (_distance(x, y) for x in xs for y in ys if x.doc is y.doc), default=99) > 3:
                return f"'{b.text}' is not said of '{a.text}' in the cited text"
    return None


def _described(tok):
    """The word ``tok`` describes ("Australia" in "Marles of Australia", "Japan's Kishida"), through compounds
    to the head of the name ("Deputy Prime Minister Richard Marles")."""
    if tok.dep_ in ("poss", "compound", "amod", "appos", "nmod"):
        owner = tok.head
    elif tok.dep_ == "pobj" and tok.head.lower_ in ("of", "from", "in"):
        owner = tok.head.head
    else:
        return None
    while owner.dep_ == "compound" and owner.head.i != owner.i:
        owner = owner.head
    return owner


def _describes(b: Name, a: Name) -> bool:
    """``b`` modifies ``a``: possessive, compound, adjective, apposition, or "a of/from/in b". "in b" after an
    object ("met the leaders of the IP4 in Washington") is left out: it may as well belong to the verb."""
    head_a = {t.i for t in a.tokens}
    tok = b.tokens[-1]
    if tok.head.i in head_a and tok.dep_ in ("poss", "compound", "amod", "appos", "nmod"):
        return True
    if tok.dep_ != "pobj" or tok.head.head.i not in head_a or tok.head.lower_ not in ("of", "from", "in"):
        return False
    return tok.head.lower_ != "in" or tok.head.head.dep_ in ("nsubj", "nsubjpass", "appos", "ROOT")


def _matches(doc, name: Name, facts: SpanFacts) -> list:
    want = norm(name.tokens[-1].text)
    return [t for t in doc if t.is_alpha and (norm(t.text) == want or SpanFacts.of_words([t.text]).has_word(want))]


def _distance(a, b) -> int:
    """Edges between two tokens of one parse tree."""
    up_a = [a]
    while up_a[-1].head.i != up_a[-1].i:
        up_a.append(up_a[-1].head)
    index = {t.i: n for n, t in enumerate(up_a)}
    cur, steps = b, 0
    while cur.i not in index:
        if cur.head.i == cur.i:
            return 99
        cur, steps = cur.head, steps + 1
    return steps + index[cur.i]


_NAME_WORD = re.compile(r"[^\W\d_][\w.\-/]*")
SLOT_DEPS = {"nsubj", "nsubjpass", "dobj", "dative", "attr", "poss", "compound", "amod", "appos"}


def check_name_slots(claim_tokens, facts: SpanFacts) -> str | None:
    """A name of the claim that the span has, but not where the claim puts it: the same slot (subject, object,
    possessor or modifier of the same word, object of the same preposition on the same word) holds another name
    in the span, and this one is not among its fillers ("400 employees in France" where the span says "400
    employees in Germany and offices in France"; "Japan's EEZ" for "South Korea's EEZ"; "until the CronJob is
    resumed" for "until the Job is resumed"). A name the span lacks altogether is check_names' business; a name
    listed with others in the same slot of the claim passes when one of them fills the slot in the span (the
    others may be said elsewhere in it: "can be Always, OnFailure or Never" where the span says "the default is
    Always"), unless the span lists as many names in that slot."""
    span_slots: dict[tuple, list] = {}
    for doc in facts.docs:
        for tok in doc:
            if _is_name_head(tok) and (slot := _slot(tok)) is not None:
                span_slots.setdefault(slot, []).append(tok)
    if not span_slots:
        return None
    for name in names(claim_tokens):
        head = _head_of(name.tokens)
        slot = _slot(head) if head is not None and _is_name_head(head) else None
        fillers = span_slots.get(slot) if slot is not None else None
        if not fillers:
            continue
        assert head is not None  # a slot (so fillers) only for a head
        words = [t.text for t in name.tokens if fold(t.text) not in TITLES] or [head.text]
        group = [[t.text] for t in claim_tokens if t.i != head.i and _is_name_head(t) and _slot(t) == slot]
        if len(fillers) > len(group):
            group = []  # the span lists as many names there as the claim: each must be one of them ("unites
            # Flannel and Cilium" where the span says "unites Flannel and Calico")
        if any(_same_name(w, f) for w in [words, *group] for f in fillers):
            continue
        if not any(facts.has_word(w) for w in words):
            continue  # not in the span at all: reported by check_names
        said = {t.lower_ for t in claim_tokens}
        other = next((f for f in fillers if f.lower_ not in said), fillers[0])  # not one the claim also names
        return f"'{name.text}' where the cited text says '{_name_text(other)}'"
    return None


def _is_name_head(tok) -> bool:
    """The last word of a name (a proper noun, an identifier such as "CronJob", a capitalised value such as
    "Always" inside a sentence), not a word inside one."""
    named = tok.pos_ == "PROPN" or _CODE.search(tok.text) or (
        tok.text[:1].isupper() and not tok.is_sent_start and tok.is_alpha and tok.lower_ not in STOPWORDS)
    if not named or not _NAME_WORD.fullmatch(tok.text):  # not markup ('term_id="pod' of a Hugo shortcode)
        return False
    return not (tok.dep_ == "compound" and tok.head.pos_ == "PROPN" and tok.head.i == tok.i + 1)


def _head_of(tokens):
    ids = {t.i for t in tokens}
    return next((t for t in tokens if t.head.i not in ids or t.head.i == t.i), tokens[-1] if tokens else None)


def _slot(tok) -> tuple | None:
    """(relation, preposition, head lemma) of a name: coordinated names share the first one's slot."""
    cur = tok
    for _ in range(6):
        if cur.dep_ != "conj" or cur.head.i == cur.i:
            break
        cur = cur.head
    if cur.dep_ == "pobj" and cur.head.head.i != cur.head.i:
        return "pobj", cur.head.lower_, _word(cur.head.head)
    if cur.head.lemma_ == "be" and cur.dep_ in ("attr", "acomp", "advmod", "oprd"):
        return "pred", "", "be"  # "the default is OnFailure"; a value may be parsed as an adverb ("is Always")
    if cur.dep_ in SLOT_DEPS and cur.head.i != cur.i and cur.head.pos_ != "PROPN" or cur.dep_ == "poss":
        return cur.dep_, "", _word(cur.head)
    return None


def _word(tok) -> str:
    """A verb by its lemma ("met" = "meet"), other words by their stem (the lemma of a misparsed name varies)."""
    return tok.lemma_.lower() if tok.pos_ in ("VERB", "AUX") else norm(tok.text)


def _name_text(tok) -> str:
    parts = [c for c in tok.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"]
    return " ".join(t.text for t in parts + [tok])


def _same_name(words: list[str], tok) -> bool:
    filler = SpanFacts.of_words(_name_text(tok).split())
    return any(filler.has_word(w) for w in words)
