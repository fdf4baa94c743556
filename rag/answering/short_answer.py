"""Short answers: the span inside the cited unit that answers a factoid question ("Who ...?" -> "Rollo").

1. ``expected_type`` reads what kind of answer the question asks for from its wh-phrase and focus noun: a person,
   a time, a place, a count, a quantity, a value (an option, a default, a port, a field...), any entity ("what
   river ..."), or none (why / how-to / yes-no / definitions: no short answer).
2. ``span_candidates`` lists the spans of one unit that could be that answer: spaCy entities and noun phrases
   (en_core_web_sm's tagger and entity recogniser, run on this one unit only), inline code spans, quoted values,
   numbers with their units, identifiers (camelCase, snake_case, dotted, --flags, paths).
3. ``span_features`` describes each span by transferable signals (does its kind fit the expected type, is it new
   to the question, how close does it sit to the question's words and verbs, does it name the question's focus
   noun); a logistic model over them (settings ``short_answer_weights``, fitted by `rag calibrate`) scores it.
The best span is the short answer when its score reaches ``short_answer_threshold``; offsets are absolute, so
``doc.text[start:end] == text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rag.answering.answer_type import (
    _NUMBER_WORDS,
    ASKS_CIRCUMSTANCE,
    HTML_TAG,
    MARKUP,
    NAME,
    NUMBER,
    asked_sentence,
    asking_clause,
    has_answer_type,
)
from rag.answering.answer_type import TIME as TIME_TOKEN
from rag.text import STOPWORDS, content_terms, fold, stem, words

PERSON, TIME, PLACE, COUNT, QUANTITY, VALUE, ENTITY, NONE = (
    "person", "time", "place", "count", "quantity", "value", "entity", "none")
FACTOID = (PERSON, TIME, PLACE, COUNT, QUANTITY, VALUE, ENTITY)

SPAN_FEATURES = ("type_fit", "novel", "near", "window", "proximity", "focus", "verb_near", "is_entity", "is_chunk",
                 "is_literal", "length")

_TIME_FOCUS = set("year years century centuries date day days month months decade decades period era time age "
                  "season".split())
_PLACE_FOCUS = set("country countries city cities town region state island islands river rivers continent place "
                   "location area nation nations province county sea ocean mountain lake village capital border "
                   "territory kingdom empire".split())
_PERSON_FOCUS = set("person people leader president king queen emperor minister man woman duke general author "
                    "writer ruler pope bishop scientist politician commander prince chancellor".split())
_VALUE_FOCUS = set("option options parameter parameters flag flags field fields setting settings value values port "
                   "ports version versions release releases annotation annotations label labels key keys command "
                   "commands default policy mode profile status code effect taint namespace socket path file "
                   "directory prefix prefixes header endpoint protocol signal format unit limit threshold response "
                   "argument variable method function class property attribute".split())
_QUANTITY_WORDS = set("percentage percent proportion amount size range share rate fraction cost price length "
                      "distance height width depth speed weight duration delay interval".split())
_AUX = set("is are was were am be been can could does do did will would should shall has have had may might must "
           "isn aren wasn weren doesn don didn won wouldn shouldn hasn haven hadn".split())

_CODE = re.compile(r"`([^`\n]{1,200})`")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{1,120})[\"”]")
# A number with its unit; not the 23 of a name such as KN-23 or F-16 (a letter and a hyphen before it), nor the
# reference "#15030".
_NUMBER = re.compile(r"(?<![\w.#])(?<![^\W\d_]-)[-+$€£¥]?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|(?:[KMGTP]i?B?|[KMGT]i|ms|s|m|h|"
                     r"d|seconds?|minutes?|hours?|days?|weeks?|months?|years?|percent|million|billion|thousand|"
                     r"bytes?|cores?|pods?|nodes?|replicas?|times)\b))?(?:\s?-\s?\d[\d,]*(?:\.\d+)?)?")
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
    VALUE: {"term": 0.9, "code": 1.0, "quoted": 0.8, "identifier": 0.8, "number": 0.8, "CARDINAL": 0.6, "QUANTITY": 0.7,
            "PERCENT": 0.7, "chunk": 0.3, "ORG": 0.3, "PRODUCT": 0.4},
    ENTITY: {"term": 0.8, "PERSON": 0.7, "ORG": 0.7, "GPE": 0.7, "LOC": 0.7, "NORP": 0.7, "FAC": 0.7, "EVENT": 0.7,
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
    named: tuple[str, ...] = ()  # "What is the name of Japan's defense minister?": the qualifiers, then the head noun


# "Can you tell me when ...?", "Do you know which port ...?": an auxiliary first, yet a wh-question.
_ASKS_TO_TELL = re.compile(r"(?:can|could|would|will|do|does|did)\s+(?:you|anyone|someone|somebody)\s+(?:tell|show|say|"
                           r"know|remember|explain|remind)\b")


def opens_yes_no(asked: str) -> bool:
    """Does the (folded) asking sentence open with an auxiliary ("Does X ...?", "Can I ...?"), other than "can you
    tell me ...", which asks for what would be told?"""
    tokens = words(asked)
    return bool(tokens) and tokens[0] in _AUX and not _ASKS_TO_TELL.match(asked)


@lru_cache(maxsize=4096)
def expected_type(question: str) -> QuestionInfo:
    """The kind of answer ``question`` asks for, and its focus noun ("what river ..." -> river)."""
    folded = fold(question).strip()
    q = asked_sentence(folded)  # "... when pods fail. Which flag do I turn on?" asks for a flag
    tokens = words(q)
    terms = frozenset(content_terms(question))
    named = name_asked(q)
    focus = named[-1] if named else _focus(tokens)

    def info(kind: str) -> QuestionInfo:
        return QuestionInfo(kind, focus, terms, folded, named)

    if not tokens:
        return info(NONE)
    asking = asking_clause(q)  # "Which field caps how long ...?" asks for a field
    if re.search(r"\bhow (many|much)\b", asking) or _asks_number(asking, focus):
        return info(COUNT if "many" in asking or "number of" in asking else QUANTITY)
    if re.search(r"\bhow (long|far|big|large|old|often|high|tall|wide|deep|fast|heavy)\b", asking):
        return info(QUANTITY)
    if tokens[0] in {"why"} or re.search(r"\b(why|explain|describe)\b", q) or re.search(r"^how (do|does|did|can|"
                                                                                          r"should|is|are|to)\b", q):
        return info(NONE)
    if _ORIGIN.search(q):
        return info(NONE)  # "where does the term cherry picker come from?" asks for a story, not a place
    if ASKS_CIRCUMSTANCE.search(q):
        return info(NONE)  # "When should I use Security()?" asks for the circumstances, not a date
    if re.search(r"\bwhat (?:happens|goes wrong|would happen|will happen)\b|"
                 r"\bwhat (is|are) the (difference|purpose|role|benefit|advantage)", q):
        return info(NONE)
    if _DEFAULT_WORD.search(q):
        return info(VALUE)
    if opens_yes_no(q):
        # a yes/no question; a wh-word in it opens a clause of its own ("Does kube-scheduler look at a Pod's QoS
        # class when it picks victims?" asks no time)
        return info(NONE)
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
    measured = _MEASURED.search(q)
    if measured:  # "What's the longest delay ...?", "What is the minimum kernel version ...?": its noun is the focus
        noun = measured.group(1) or measured.group(2)
        return QuestionInfo(VALUE if noun in _VERSION_FOCUS else QUANTITY, focus or noun, terms, folded, named)
    if tokens[0] in _AUX or (tokens[0] == "if" and re.search(r",\s*(is|are|does|do|can|will|should)\b", q)):
        return info(NONE)  # a yes/no question
    if re.search(r"\bwhat (does|do|did) .* (do|mean)\b", q):
        return info(NONE)
    if re.search(r"\b(what|which|name)\b", q):
        return info(ENTITY)
    return info(NONE)


# "default" as a word, not a part of a name: "is-default-class" or "default_factory" does not ask for a default.
_DEFAULT_WORD = re.compile(r"(?<![-\w./])defaults?(?![-\w/])", re.IGNORECASE)
# "default" used to set defaults aside: "... skipping defaults", "excluding default values", "other than the
# default", "instead of the default". Such a question asks for something else, not for a default.
_NOT_DEFAULT = re.compile(r"\b(?:skip\w*|exclud\w*|omit\w*|without|overrid\w*|chang\w*|replac\w*|ignor\w*|"
                          r"non|instead\s+of|other\s+than|rather\s+than|besides|except|beyond)\W+(?:\w+\W+){0,2}?"
                          r"defaults?\b", re.IGNORECASE)


_NAME_OF = re.compile(r"^\W*what(?:\s+(?:is|was|are|were)|'s)\s+(?:the\s+)?names?\s+of\s+(.+)$")
# Words that end the noun phrase whose name is asked: "the key accord | in support of Ukraine | that Japan signed".
_PHRASE_END = STOPWORDS | {"between", "signed", "called", "named", "known", "used", "located", "built"}


def name_asked(asked: str) -> tuple[str, ...]:
    """For "What is the name of Japan's defense minister?" (a folded asking sentence): the stems of the noun
    phrase whose name is asked, its head noun last ("japan", "defense", "minister"); () for other questions."""
    match = _NAME_OF.match(asked)
    if match is None:
        return ()
    return _phrase_stems(match.group(1))


def _phrase_stems(text: str) -> tuple[str, ...]:
    """The stems of the noun phrase ``text`` opens, up to the first word that ends it (``_PHRASE_END``), without a
    leading article or a possessive "'s"."""
    phrase: list[str] = []
    for word in words(text):
        if word in ("the", "a", "an") and not phrase:
            continue
        if word in _PHRASE_END or not word[0].isalpha():
            break
        phrase.append(stem(word[:-2] if word.endswith("'s") else word))
    return tuple(phrase)


# "Who is the president of Taiwan?", "who was the coach of the cleveland browns when ...": a role and what it is of.
_ROLE_OF = re.compile(r"^\W*who(?:\s+(?:is|was|are|were)|'s)\s+(?:the\s+)?(?:[\w'-]+\s+){1,3}?of\s+(.+)$")


@lru_cache(maxsize=4096)
def role_qualifiers(question: str) -> tuple[str, ...]:
    """For "Who is the <role> of <X>?": the stems of X's words, which the text that names the person must speak
    of (X ends where ``name_asked``'s phrases end: "the cleveland browns | when they moved ..."); () otherwise."""
    match = _ROLE_OF.match(asked_sentence(fold(question).strip()))
    if match is None:
        return ()
    return _phrase_stems(match.group(1))


def unsaid_role_of(question: str, text: str) -> str | None:
    """For "Who is the <role> of X?" and a ``text`` that does not speak of X: X as the question writes it ("Taiwan",
    "New Zealand"), for the refusal to name; None when the text speaks of X or the question asks no role of X."""
    qualifiers = role_qualifiers(question)
    if not qualifiers or not set(qualifiers) - set(content_terms(text)):
        return None
    written = re.search(r"(?i)\bwho\b.*?\bof\s+(?:(?:the|a|an)\s+)?(.+)$", question)
    said = re.findall(r"[^\W_][\w'-]*", written.group(1)) if written else []
    return " ".join(said[:len(qualifiers)]).removesuffix("'s") or None


def asks_default(question: str) -> bool:
    """Does ``question`` ask for a default ("What is the default X?", "... by default?", "What does X default
    to?"), rather than mention defaults it sets aside ("Which argument returns only the fields sent, skipping
    defaults?")?"""
    return bool(_DEFAULT_WORD.search(question)) and not _NOT_DEFAULT.search(question)


def unit_has_type(info: QuestionInfo, text: str, question: str) -> bool | None:
    """Does ``text`` hold something of the kind ``info`` asks for that ``question`` does not already contain?
    None for questions without a short answer. Regular expressions only (rag.answering.answer_type): it runs on
    every candidate unit, where spaCy would be too slow."""
    if info.kind == NONE:
        return None
    if info.kind in (COUNT, QUANTITY):
        return has_answer_type(NUMBER, text, question)
    if info.kind == TIME:
        return has_answer_type(TIME_TOKEN, text, question)
    if info.kind == VALUE:
        asked = question.lower()
        return (any(m.group(1).lower() not in asked for m in _CODE.finditer(text))
                or has_answer_type(NUMBER, text, question) or bool(_DEFAULT_WORD.search(text)))
    return has_answer_type(NAME, text, question)


# "Where does the term / phrase / name X come from?", "Where does the name Rhine derive from?", "Where did X get its
# name?": the origin of a word or name is told (from a language, a person, an event), not located.
_ORIGIN = re.compile(r"^\W*where\s+(?:do|does|did|is|are|was|were)\s+(?:.*\b(?:term|word|phrase|saying|expression|"
                     r"idiom|name|names|nickname|surname|title)\b.*\b(?:come|came|comes|derived?|derives|originated?|"
                     r"originates)\b|.*\bget\s+(?:its|their|his|her)\s+names?\b)")


def _first_wh(q: str) -> str | None:
    match = re.search(r"\b(who|whom|whose|when|where|what|which)\b", q)
    if match is None:
        return None
    word = match.group(1)
    return "who" if word in {"whom", "whose"} else word


_FOCUS_WORDS = _TIME_FOCUS | _PLACE_FOCUS | _PERSON_FOCUS | _QUANTITY_WORDS | _VALUE_FOCUS


def _asks_number(asking: str, focus: str | None) -> bool:
    """Does the asking clause ask for a number ("What is the maximum number of Pods ...?")? Not when it asks for a
    thing by another noun: "Which eviction signal sets a threshold on the number of PIDs?" asks for a signal."""
    return bool(re.search(r"\bnumber of\b", asking)) and focus in (None, "number", "count", "total")


# "What is the average width of ...", "what's the longest delay ...", "what is the minimum Linux kernel version ...":
# a noun that names a measure (or a version) after "what is the", asks for an amount (or a version) as "which ..."
# does, when the question bounds or averages it or asks it of something ("the length of X"). Without either ("what
# is the tax rate for lottery winnings", "the best height for a soccer player") the answer is as often said in words
# ("California does not tax ..."), and the question stays an entity question, as do other nouns ("the largest city").
_MEASURE_NOUNS = "|".join(sorted(_QUANTITY_WORDS | {"version", "release"}))
_BOUNDS = "minimum|maximum|min|max|highest|lowest|longest|shortest|largest|smallest|average|mean|total|typical"
_MEASURED = re.compile(
    r"^\W*what(?:'s|\s+(?:is|was|are|were))\s+the\s+(?:"
    # the minimum kernel version; the highest value (a bounded value is an amount, a value alone any setting)
    rf"(?:[\w-]+\s+){{0,2}}?(?:{_BOUNDS})\s+(?:[\w-]+\s+){{0,2}}?({_MEASURE_NOUNS}|values?)\b"
    rf"|(?:[\w-]+\s+)?({_MEASURE_NOUNS})\s+of\b)")  # the (accepted) length of


def _focus(tokens: Sequence[str]) -> str | None:
    """The noun after "what/which" ("which U.S. president" -> president; "what sort of pact" -> pact)."""
    for i, token in enumerate(tokens):
        if token not in {"what", "which"}:
            continue
        rest = tokens[i + 1:i + 6]
        if len(rest) >= 3 and rest[0] in {"kind", "type", "sort", "form"} and rest[1] == "of":
            # the phrase's last noun before its verb: "what kind of discovery document do ..." asks for a document
            if len(rest) >= 5 and rest[4] in _AUX and rest[3] not in _AUX and rest[3] not in STOPWORDS:
                return rest[3]
            return rest[2]
        for j, word in enumerate(rest[:3]):
            if word in _AUX:
                break
            if word in _FOCUS_WORDS:  # of a compound, its head: "which `Header` option" asks for an option
                while j + 1 < len(rest) and rest[j + 1] in _FOCUS_WORDS:
                    j += 1
                return rest[j]
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
    apposed: bool = False  # a name standing next to the noun whose name is asked (``_apposed``)

    def vector(self) -> list[float]:
        return [self.features[name] for name in SPAN_FEATURES]


# Never answer text (rag.answering.answer_type.MARKUP): Markdown link targets, bare URLs, heading anchors, and the
# inside of inline HTML tags (a table cell `<strong style="white-space: nowrap">Baseline</strong>` offered
# "white-space: nowrap").
_TRIM = " \t\n,;:.(\"'“”"
# A span that ends on a word that joins it to more ("Henry III of" for "Henry III of Castile") answers nothing.
_DANGLING = re.compile(r"(?:\s+(?:of|and|or|the|a|an|in|on|at|for|to|by|with|from))+$", re.IGNORECASE)


def mask_tags(text: str) -> str:
    """``text`` with every inline HTML tag blanked to spaces of the same length, so that offsets stay those of the
    unit and spaCy reads ``>Baseline</strong>`` as the word it shows."""
    return HTML_TAG.sub(lambda m: " " * len(m.group()), text) if "<" in text else text


# Markdown that is no word of the page: a link's brackets and target, bold markers. Left in, spaCy reads
# "[**Strawberry**](https://strawberry.rocks/)" as one token and the name is never a candidate. Backticks stay: they
# mark code spans, which are candidates of their own.
_SHOWN_AS_IS = re.compile(r"\[(?=[^\[\]\n]*\]\([^)\s]*\))|\]\([^)\s]*\)|\*\*|__")


def mask_markup(text: str) -> str:
    """``text`` as the page shows it, for the tagger: HTML tags (``mask_tags``), link brackets and targets and bold
    markers blanked to spaces of the same length, so offsets stay those of the unit."""
    text = mask_tags(text)
    if not any(c in text for c in "[*_"):
        return text
    # not inside a code span: `__init__` and `**kwargs` are written so. A link around a code span ("[`Depends`](url)")
    # is still a link, so the pattern runs over the whole text and only a match that starts in a code span is kept.
    code = [m.span() for m in re.finditer(r"`[^`\n]*`", text)]

    def blank(match: re.Match[str]) -> str:
        inside = any(a < match.start() < b - 1 for a, b in code)
        return match.group() if inside else " " * len(match.group())

    return _SHOWN_AS_IS.sub(blank, text)


def span_candidates(text: str, doc) -> list[SpanCandidate]:
    """Spans of ``text`` (one unit) that could be a short answer; ``doc`` is spaCy's tagging of ``text``."""
    found: dict[tuple[int, int], SpanCandidate] = {}
    hidden = [m.span() for m in MARKUP.finditer(text)]  # link targets, URLs, anchors, HTML tags

    def add(start: int, end: int, kind: str) -> None:
        if any(a < end and start < b for a, b in hidden):
            return
        trim = _TRIM if kind == "code" else _TRIM + "*"  # emphasis markers around a word ("from **scratch**")
        while start < end and text[start] in trim:
            start += 1
        while end > start and text[end - 1] in trim.replace("(", "") + ")":
            if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
                break  # a closing parenthesis that closes one of the span's own: "Henry III (of England)"
            end -= 1
        if kind not in ("code", "quoted"):
            dangling = _DANGLING.search(text, start, end)
            if dangling is not None:  # the small model's entity can end on a function word ("Henry III of")
                end = dangling.start()
        if end <= start or end - start > 120 or text.count("(", start, end) != text.count(")", start, end):
            return  # empty, too long, or cut inside parentheses ("Depends(scope="function", "f(x")
        found.setdefault((start, end), SpanCandidate(start, end, set())).kinds.add(kind)

    for match in _CODE.finditer(text):
        add(match.start(1), match.end(1), "code")
    for match in _QUOTED.finditer(text):
        add(match.start(1), match.end(1), "quoted")
    for match in _NUMBER.finditer(text):
        add(match.start(), match.end(), "number")
    for match in _IDENTIFIER.finditer(text):
        add(match.start(), match.end(), "identifier")
    term = defined_term(text)
    if term is not None:
        add(*term, "term")
    ents = list(doc.ents)
    for ent in ents:
        add(ent.start_char, ent.end_char, ent.label_)
    for a, b in zip(ents, ents[1:]):  # "Denmark, Iceland and Norway", "10th and 11th centuries"
        between = text[a.end_char:b.start_char]
        if a.label_ == b.label_ and re.fullmatch(r"\s*(,|and|or|, and|, or)\s*", between):
            add(a.start_char, b.end_char, a.label_)
    for lo, hi in noun_phrases(doc):
        add(doc[lo].idx, doc[hi - 1].idx + len(doc[hi - 1]), "chunk")
    return list(found.values())


# The term a definition-style unit defines: "[Granian](https://...): A Rust HTTP server ...", "**Uvicorn**: an ASGI
# server", "`max_age` - Sets a maximum time ...", "Hypercorn: ...". A list of tools, options or fields is written so
# in documentation, and a question whose words are in the description ("which one is a Rust HTTP server?") asks for
# the term. At most five words before the separator, so a sentence with a colon ("The kubelet has the following
# default thresholds:") defines nothing.
_DEFINED_TERM = re.compile(r"\s*(?:[-*+]\s+|\d{1,3}[.)]\s+)?(?P<open>\*\*|__|`|\[|\*\*\[|\[`|\*\*`)?"
                           r"(?P<term>[^\s:*`\[\]][^:*`\[\]\n]{0,60}?)(?P<close>\*\*|__|`|\]\([^)\s]*\)|`\]\([^)\s]*\)|"
                           r"\]\([^)\s]*\)\*\*|`\*\*)?(?:\s*:|\s+[-–—]\s)\s*\S")


_ADMONITIONS = set("note tip tips warning warnings info caution important example examples danger hint see also "
                   "attention check technical details note that".split())


def defined_term(text: str) -> tuple[int, int] | None:
    """Offsets of the term ``text`` (one unit) defines, when it is written "term: description" or "term - description"
    (``_DEFINED_TERM``), else None."""
    match = _DEFINED_TERM.match(text)
    if match is None:
        return None
    term = match.group("term")
    marked = match.group("open") or match.group("close")
    if len(term.split()) > (5 if marked else 3) or text[match.end("term"):match.end("term") + 3] == "://" \
            or fold(term.strip()) in _ADMONITIONS:
        return None
    return match.start("term"), match.end("term")


_NP_BODY = {"ADJ", "NOUN", "PROPN", "NUM"}
_NP_HEAD = {"NOUN", "PROPN"}


def noun_phrases(doc) -> list[tuple[int, int]]:
    """Noun phrases from the part-of-speech tags alone (no parser: it would cost as much again as tagging and
    entities together): maximal runs of adjectives, nouns and numbers ending in a noun, with and without a
    leading determiner, and two of them joined by "of" ("the first half of the 10th century")."""
    tokens = list(doc)
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if tokens[i].pos_ in _NP_BODY or (tokens[i].pos_ == "DET" and i + 1 < len(tokens)):
            j = i + 1 if tokens[i].pos_ == "DET" else i
            while j < len(tokens) and (tokens[j].pos_ in _NP_BODY or tokens[j].text in {"-", "'s", "’s"}):
                j += 1
            last = j - 1
            while last >= i and tokens[last].pos_ not in _NP_HEAD:
                last -= 1
            if last >= i and last >= (i + 1 if tokens[i].pos_ == "DET" else i):
                runs.append((i, last + 1))
                if tokens[i].pos_ == "DET":
                    runs.append((i + 1, last + 1))
                i = max(j, i + 1)
                continue
        i += 1
    out = list(runs)
    for (a, b), (c, d) in zip(runs, runs[1:]):
        if c == b + 1 and tokens[b].lower_ == "of" and d - a <= 10:
            out.append((a, d))
    return out


def span_features(info: QuestionInfo, text: str, doc, candidates: list[SpanCandidate],
                  idf: dict[str, float] | None = None) -> None:
    """Fill each candidate's features (SPAN_FEATURES). ``idf`` weighs the question's terms (default: equally)."""
    tokens = list(doc)
    stems = [stem(fold(t.text)) for t in tokens]
    weight = {t: (idf or {}).get(t, 1.0) for t in info.terms}
    total = sum(weight.values()) or 1.0
    matches = [i for i, s in enumerate(stems) if s in weight]
    verbs = [i for i in matches if tokens[i].pos_ == "VERB"]  # the question's verbs, as the unit uses them
    fits = _FIT.get(info.kind, {})
    ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    # Distances count words as read: the tokens of a Markdown link target or an anchor (MARKUP) are not between the
    # link text and the words after it ("[Granian](https://github.com/emmett-framework/granian): A Rust ...").
    hidden = [m.span() for m in MARKUP.finditer(text)]
    at = [0]
    shown_as_markup = []
    for token in tokens:
        inside = any(a <= token.idx and token.idx + len(token) <= b for a, b in hidden)
        shown_as_markup.append(inside)
        at.append(at[-1] + (0 if inside else 1))
    focus = _kin(stem(info.focus)) if info.focus else frozenset()
    for cand in candidates:
        span = doc.char_span(cand.start, cand.end, alignment_mode="expand")
        lo, hi = (span.start, span.end) if span is not None else (0, len(tokens))
        span_terms = content_terms(text[cand.start:cand.end])
        novel = sum(t not in weight for t in span_terms) / len(span_terms) if span_terms else 0.0
        # how many words (markup not counted) stand between each question word outside the span and the span
        apart = {i: at[lo] - at[i] if i < lo else at[i] - at[hi] + 1 for i in matches if i < lo or i >= hi}
        distance = min(apart.values()) if apart else None
        near_terms = {stems[i] for i, d in apart.items() if d <= 10}
        closeness: dict[str, float] = {}
        for i, d in apart.items():
            closeness[stems[i]] = max(closeness.get(stems[i], 0.0), math.exp(-d / 4.0))
        verb_distance = min((apart[i] for i in verbs if i in apart), default=None)
        around = set(stems[max(0, lo - 3):lo]) | set(stems[hi:hi + 1])
        after = [i for i in range(hi, min(len(tokens), hi + 12)) if tokens[i].is_alpha and not shown_as_markup[i]]
        if after and tokens[after[0]].lower_ in _COPULAS:  # "[**Strawberry**](...) is the **recommended** library"
            around |= {stems[i] for i in after[1:4]}
        inner = [lab for s, e, lab in ents if s >= cand.start and e <= cand.end]
        type_fit = max([fits.get(k, 0.0) for k in cand.kinds] + [0.9 * fits.get(lab, 0.0) for lab in inner])
        cand.features = {
            "type_fit": type_fit,
            "novel": novel,
            "near": 1.0 / (1.0 + distance) if distance is not None else 0.0,
            "window": sum(weight[t] for t in near_terms) / total,
            "proximity": sum(weight[t] * c for t, c in closeness.items()) / total,
            "focus": 1.0 if focus & (set(span_terms) | around) and not _qualifies(info, cand, stems, hi, focus)
            else 0.0,
            "verb_near": 1.0 / (1.0 + verb_distance) if verb_distance is not None else 0.0,
            "is_entity": 1.0 if cand.kinds & _ENTITY_KINDS or inner else 0.0,
            "is_chunk": 1.0 if cand.kinds == {"chunk"} else 0.0,
            "is_literal": 1.0 if cand.kinds & _LITERAL_KINDS else 0.0,
            "length": min(hi - lo, 12) / 12.0,
        }
        if info.named:
            cand.apposed = _apposed(info.named, stems, tokens, lo, hi, cand.kinds, text[cand.start:cand.end])


def _qualifies(info: QuestionInfo, cand: SpanCandidate, stems: list[str], hi: int, focus: frozenset[str]) -> bool:
    """Is the span a nationality or group word standing before the focus noun of a where / who question ("the
    first non-Atlantic country" for "Which country signed ...?", "the Japanese minister"), or a noun chunk headed by
    the focus noun and naming nothing ("the first non-Atlantic country")? It says what kind of country or person,
    not which one. For "What language ...?" or "Which religion ...?" such a word is the answer
    ("the Gallo-Romance language"), so only place and person questions are read this way."""
    if info.kind not in (PLACE, PERSON) or cand.kinds & (_NAME_KINDS - {"NORP"}):
        return False
    if "NORP" in cand.kinds:
        return hi < len(stems) and stems[hi] in focus
    # a noun chunk headed by the focus noun restates what is asked ("the first non-Atlantic country")
    return cand.kinds == {"chunk"} and hi > 0 and stems[hi - 1] in focus


_NAME_KINDS = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
               "code", "quoted", "identifier"}
# What may stand between a name and the noun it names: "Defense Minister Shigeru X", "the accord, called the X",
# "X, the secretary general of NATO", "the castle of Afranji".
_BETWEEN = {"the", "a", "an", "of", "called", "named", "known", "as", "is", "was", ",", ":", "(", ")", "-", "–", "—",
            "\"", "“", "”", "'", "’"}


def _apposed(named: tuple[str, ...], stems: list[str], tokens, lo: int, hi: int, kinds: set[str], span: str) -> bool:
    """Is the span (tokens lo..hi) a name standing next to the noun whose name is asked (``named``: its
    qualifiers, then its head), only the words of ``_BETWEEN`` between them, or holding it ("Defense Minister
    Shigeru X")? The qualifiers just before the noun ("X, secretary general") and its own "of" phrase ("the old
    north branch of the Rhine is called Kromme Rijn") go with it. A name is an entity of a naming kind, a code
    span, a quoted title, or a noun phrase in capitals."""
    if not (kinds & _NAME_KINDS or _capitalised(span, bool(tokens[lo].is_sent_start))):
        return False
    head = named[-1]
    if head in stems[lo:hi]:
        return True
    noun = set()  # the head noun's tokens, its qualifiers before it, the "of" phrase after it (by the tags: the
    for j in range(len(tokens)):  # unit is not parsed)
        if stems[j] == head:
            noun.add(j)
            i = j - 1
            while i >= 0 and stems[i] in named:
                noun.add(i)
                i -= 1
            k = j + 1
            if k < len(tokens) and tokens[k].lower_ == "of":
                k += 1
                while k < len(tokens) and (tokens[k].pos_ in _NP_BODY or tokens[k].pos_ == "DET"):
                    noun.update((k - 1, k))
                    k += 1
    for step, start in ((-1, lo - 1), (1, hi)):
        i, between = start, []
        for _ in range(4):
            if not 0 <= i < len(tokens):
                break
            if i in noun:
                # only an article between is no apposition: "Near Sargans a natural dam ..."
                return not between or not set(between) <= {"a", "an", "the"}
            if tokens[i].lower_ not in _BETWEEN:
                break
            between.append(tokens[i].lower_)
            i += step
    return False


def _capitalised(span: str, opens_sentence: bool) -> bool:
    """Is ``span`` written in capitals as a name is ("Defense Minister Shigeru Ishiba", "Treaty of Rome"), not only
    opening a sentence ("A plugin runs")? Its first word that is not a function word starts with a capital (a noun
    chunk may run on: "the Nordic Compact last month"); in a span that opens its sentence, every such word does."""
    found = [w for w in re.findall(r"[^\W\d_][\w'’-]*", span) if w.lower() not in STOPWORDS]
    if opens_sentence:
        return bool(found) and all(w[0].isupper() for w in found)
    return bool(found) and found[0][0].isupper()


# Words documentation uses for the same thing: a question asking "which argument" is answered by "the parameter
# `exclude_unset`", "which setting" by "the option `--max-pods`". Each group is read as one focus noun (stems).
_KIN_WORDS = ("argument parameter param option flag setting kwarg", "field property attribute key",
              "function method callable", "error exception", "version release")
_KIN = [frozenset(stem(w + plural) for w in group.split() for plural in ("", "s")) for group in _KIN_WORDS]


def _kin(focus: str) -> frozenset[str]:
    """The focus noun's stem and those of the words documentation uses for the same thing (``_KIN``)."""
    return next((g for g in _KIN if focus in g), frozenset({focus}))


def names_focus(info: QuestionInfo, text: str, question: str) -> bool:
    """Does ``text`` name a code span the question does not hold by the question's focus noun (or a word
    documentation uses for the same thing, ``_kin``): "the `enable-node-watcher` flag" for "Which flag do I turn
    on?", "a `scope_str` attribute" for "Which attribute gives me ...?". Such a unit says what the asked thing is
    called, which a unit restating the question's situation does not. Value and entity questions with a focus noun
    only; regular expressions only, as ``unit_has_type`` (it runs on every candidate unit)."""
    if info.focus is None or info.kind not in (VALUE, ENTITY):
        return False
    # The words that qualify the focus must be there too: "Which Go version ...?" is not answered by "API version
    # `v1`", nor "Which kubelet field ...?" by a field of another component.
    phrase = re.search(r"\b(?:what|which)\s+((?:\S+\s+){0,3}?)" + re.escape(info.focus) + r"\b",
                       asked_sentence(info.folded))
    qualifiers = set(content_terms(phrase.group(1))) - {"kind", "type", "sort", "form"} if phrase else set()
    if qualifiers - set(content_terms(text)):
        return False
    kin = _kin(stem(info.focus))
    asked = question.lower()
    for match in _CODE.finditer(text):
        if match.group(1).lower() in asked:
            continue
        before = words(text[max(0, match.start() - 60):match.start()])[-3:]
        around = before + words(text[match.end():match.end() + 40])[:2]
        if any(stem(w) in kin for w in around):
            return True
    return False


_COPULAS = {"is", "are", "was", "were"}
_ASKS_KIND = re.compile(r"\b(?:what|which)\s+(?:kind|type|sort|form)s?\s+of\b")


def kind_modifiers(info: QuestionInfo, text: str, doc, found: list[SpanCandidate]) -> list[SpanCandidate]:
    """For "What kind of discovery document ...?", the words that say which kind in a noun phrase headed by the
    focus noun: "unaggregated" of "an unaggregated discovery document" (the phrase without its article and the
    question's own words at its end). The whole phrase mostly restates the question; its modifier is the answer."""
    if info.focus is None or not _ASKS_KIND.search(asked_sentence(info.folded)):
        return []
    focus = stem(info.focus)
    known = {(c.start, c.end) for c in found}
    out = []
    for cand in found:
        if "chunk" not in cand.kinds:
            continue
        span = doc.char_span(cand.start, cand.end, alignment_mode="expand")
        if span is None or stem(fold(span[-1].text)) != focus:
            continue
        tokens = [t for t in span if t.pos_ != "DET"]
        while tokens and stem(fold(tokens[-1].text)) in info.terms:
            tokens.pop()
        if tokens:
            start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1])
            if (start, end) not in known:
                known.add((start, end))
                out.append(SpanCandidate(start, end, {"chunk"}))
    return out

WINDOW_CHARS = 360


def reading_window(text: str, terms: frozenset[str]) -> tuple[int, int]:
    """The part of a long unit the reader tags: the WINDOW_CHARS-character stretch (cut at spaces) holding the
    most question terms. spaCy's cost grows with the text and answers sit next to the question's words; a unit of a
    few sentences or a long list item would otherwise cost more than the rest of the answer."""
    if len(text) <= WINDOW_CHARS:
        return 0, len(text)
    hits = [m.start() for m in re.finditer(r"[^\W_]+(?:[-'’][^\W_]+)*", text)
            if content_terms(m.group()) and content_terms(m.group())[0] in terms]
    best, start = -1, 0
    for anchor in hits or [0]:
        lo = max(0, min(anchor - WINDOW_CHARS // 2, len(text) - WINDOW_CHARS))
        count = sum(lo <= h < lo + WINDOW_CHARS for h in hits)
        if count > best:
            best, start = count, lo
    lo = text.rfind(" ", 0, start) + 1 if start > 0 else 0
    hi = text.find(" ", lo + WINDOW_CHARS)
    return lo, hi if hi >= 0 else len(text)


@lru_cache(maxsize=2048)
def parse(text: str):
    """spaCy's tagging and entities of one unit (cached: the same units come back across questions); the parser
    and the lemmatizer are skipped, which halves the cost."""
    from rag.nlp import nlp

    return nlp()(text, disable=["parser", "lemmatizer"])


@dataclass
class Reading:
    """What the reader found in one unit: the best span (offsets into the unit text) and its probability,
    and whether any span of the expected type that the question does not already contain is there."""

    kind: str
    span: SpanCandidate | None = None
    probability: float = 0.0
    type_present: bool = False
    found: frozenset[str] = frozenset()  # the kinds of the spans that the question does not already contain
    # For "What is the name of X?": the text speaks of X's noun with no new name beside it (SpanCandidate.apposed)
    unnamed: bool = False


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
        lo, hi = reading_window(text, info.terms)
        window = mask_markup(text[lo:hi])
        doc = parse(window)
        found = span_candidates(window, doc)
        found += kind_modifiers(info, window, doc, found)
        span_features(info, window, doc, found, idf)
        bias, *w = self.weights
        for cand in found:
            cand.start, cand.end = cand.start + lo, cand.end + lo
            cand.score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, bias + sum(
                a * b for a, b in zip(w, cand.vector()))))))
        return found

    def read(self, question: str, text: str, idf: dict[str, float] | None = None,
             header: str | None = None) -> Reading:
        """Read one unit; ``header`` is the header row of the table when the unit is one of its rows."""
        kind = expected_type(question).kind
        found = self.candidates(question, text, idf)
        named = expected_type(question).named
        said = bool(named) and named[-1] in content_terms(text)
        if not found:
            return Reading(kind, unnamed=said)
        # A span made only of the question's own words ("Norman" for "What came after Norman architecture?") is
        # never the answer, unless the question offers a choice ("... A or B?"), whose answer is one of its words.
        offered = " or " in f" {question.lower()} "
        answers = found if offered else [c for c in found if c.features["novel"] > 0.0] or found
        best = max(answers, key=lambda c: (c.score, -(c.end - c.start)))
        if asks_default(question) and kind in VETO_TYPES:
            # "a range specified by `--service-node-port-range` flag (default: 30000-32767)": the value the text
            # calls the default is the one asked for, whichever span stands nearer the question's words
            best = _stated(best, [c for c in answers
                                  if c.kinds & _LITERAL_KINDS and _DEFAULT_BEFORE.search(text, 0, c.start)])
        bound = asked_bound(question) if kind == QUANTITY else None
        if bound is not None:
            # "any 32-bit integer value smaller than or equal to 1 billion": for "the highest value", the amount the
            # text states as the upper bound, as for a default above
            best = _stated(best, [c for c in answers
                                  if "number" in c.kinds and _BOUND_BEFORE[bound].search(text, 0, c.start)])
        cell = table_cell(expected_type(question), text, header) if header else None
        if cell is not None and (cell.start, cell.end) != (best.start, best.end):
            # the row's structure says which cell answers; the unit is as readable as its best free span says
            same = next((c for c in found if (c.start, c.end) == (cell.start, cell.end)), None)
            cell.features = dict(best.features)
            cell.kinds |= same.kinds if same is not None else set()
            cell.score = max(best.score, same.score if same is not None else 0.0)
            best = cell
        present = any(c.features["type_fit"] >= 0.7 and c.features["novel"] >= 0.5 for c in found)
        kinds = frozenset(k for c in found if c.features["novel"] >= 0.5 for k in c.kinds
                          if k not in ("DATE", "TIME") or _counted(text[c.start:c.end]))
        unnamed = said and not any(c.apposed and c.features["novel"] >= 0.5 for c in found)
        return Reading(kind, best, best.score, present, kinds, unnamed)


def _stated(best: SpanCandidate, stated: list[SpanCandidate]) -> SpanCandidate:
    """The first span of ``stated`` (values the text states as what is asked), as confident as ``best``; ``best``
    itself when it is one of them or there are none."""
    if not stated or best in stated:
        return best
    chosen = min(stated, key=lambda c: c.start)
    chosen.score = max(chosen.score, best.score)
    return chosen


# What stands just before a value the text calls the default: "(default: 30000-32767)", "defaults to `N`", "The
# default value is 25%", "default = 10" (then the value's own quote or backtick).
_DEFAULT_BEFORE = re.compile(r"\bdefaults?(?:\s+value)?(?:\s+(?:is|to|of|value\s+is))?\s*[:=]?\s*[`\"'“]?$",
                             re.IGNORECASE)

# What stands just before an amount the text states as a bound: "up to 110", "smaller than or equal to 1 billion",
# "a maximum of 16", "at least 10 minutes", "must not exceed 63" (then the value's own quote or backtick).
_BOUND_BEFORE = {
    "upper": re.compile(r"\b(?:up\s+to|at\s+most|no\s+more\s+than|not\s+(?:to\s+)?exceed(?:ing)?|(?:smaller|less|lower|"
                        r"fewer|shorter)\s+than\s+or\s+equal\s+to|(?:a\s+)?max(?:imum)?(?:\s+(?:of|is))?)\s*[:=]?\s*"
                        r"[`\"'“]?$", re.IGNORECASE),
    "lower": re.compile(r"\b(?:at\s+least|no\s+(?:less|fewer)\s+than|(?:greater|larger|more|higher|longer)\s+than\s+or"
                        r"\s+equal\s+to|(?:a\s+)?min(?:imum)?(?:\s+(?:of|is))?)\s*[:=]?\s*[`\"'“]?$", re.IGNORECASE),
}
_UPPER = {"maximum", "max", "highest", "largest", "longest"}
_LOWER = {"minimum", "min", "lowest", "smallest", "shortest"}


@lru_cache(maxsize=4096)
def asked_bound(question: str) -> str | None:
    """"upper" for "what is the maximum / highest / longest X ...?", "lower" for the minimum, lowest, shortest one;
    None for any other question (an average or total is no bound)."""
    measured = _MEASURED.search(asked_sentence(fold(question).strip()))
    if measured is None or measured.group(1) is None:
        return None
    said = set(re.findall(r"[a-z]+", measured.group(0)))
    return "upper" if said & _UPPER else "lower" if said & _LOWER else None


_PIPE = re.compile(r"(?<!\\)\|")
# The noun phrase a which / what question asks for: "Which Pod Security Standards profile is ...?", "what is the
# example value of ...?" (the words between the wh-word and its verb, or after "what is the" up to "of / for").
_ASKED_PHRASE = re.compile(r"\b(?:what|which)\s+(?:(?:is|are)\s+the\s+((?:[^\s?]+\s+){0,4}?)(?:of|for|in|on)\b|"
                           r"((?:[^\s?]+\s+){0,6}?)(?:is|are|was|were|do|does|did|can|could|should|will|would|has|"
                           r"have|must|may|might|gets?|sets?|says?)\b)")


def _cells(line: str) -> list[tuple[int, int]]:
    """The cells of one pipe-table line, as offsets into ``line`` (the outer pipes are no cells)."""
    bounds = [-1, *(m.start() for m in _PIPE.finditer(line)), len(line)]
    cells = [(a + 1, b) for a, b in zip(bounds, bounds[1:])]
    if cells and not line[cells[0][0]:cells[0][1]].strip():
        cells = cells[1:]
    if cells and not line[cells[-1][0]:cells[-1][1]].strip():
        cells = cells[:-1]
    return cells


def _asked_column(info: QuestionInfo, header: str, heads: list[tuple[int, int]]) -> int | None:
    """The one column whose header is a word of the question's asked noun phrase (``_ASKED_PHRASE``), else None."""
    phrase = _ASKED_PHRASE.search(asked_sentence(info.folded))
    asked = set(content_terms((phrase.group(1) or phrase.group(2) or "") if phrase else "")) - {"kind", "type"}
    asked |= {k for t in asked for k in _kin(t)}
    columns = [j for j, (a, b) in enumerate(heads) if asked & set(content_terms(header[a:b]))]
    return columns[0] if len(columns) == 1 else None


def names_column(info: QuestionInfo, text: str, header: str) -> bool:
    """Does a table row (``text``, under ``header``) hold the asked thing in a column the question names ("Which taint
    effect ...?" for a row under "| Toleration key | Effect | Details |")? Such a row states the asked value by its
    layout, as ``names_focus`` finds a code span named by the focus noun in prose."""
    row = _row(info, text, header)
    if row is None or not row[1]:  # no column named, or the first: what the row is about, not a value stated of it
        return False
    a, b = row[0][row[1]]
    return bool(set(content_terms(mask_markup(text[a:b]))) - info.terms)


def _row(info: QuestionInfo, text: str, header: str) -> tuple[list[tuple[int, int]], int | None] | None:
    """For an entity or value question, one pipe-table row's cells and the column the question names (None when it
    names none); None when ``text`` is not one row that ``header`` fits."""
    if info.kind not in (ENTITY, VALUE) or "\n" in text.strip() or "|" not in header:
        return None
    cells, heads = _cells(text), _cells(header)
    if len(cells) < 2 or len(cells) != len(heads):
        return None
    return cells, _asked_column(info, header, heads)


def table_cell(info: QuestionInfo, text: str, header: str) -> SpanCandidate | None:
    """For a which / what question (entity or value) read in one row of a pipe table, the cell that answers it:
    the column whose header is a word of the asked noun phrase ("Which Pod Security Standards profile is minimally
    restrictive ...?" under "| Profile | Description |" -> "Baseline"), else the row's first cell, the thing the row
    is about ("Which of the recommended labels says that Helm manages the app?" -> `app.kubernetes.io/managed-by`,
    whose description and example cells hold the question's words). The free reader scores spans by the words near
    them and would take a noun of the description ("the operation"); a table says by its layout which cell is the
    answer. None when the text is not one row, the header does not fit it, or the chosen cell holds nothing the
    question does not."""
    row = _row(info, text, header)
    if row is None:
        return None
    cells, named = row
    column = 0 if named is None else named
    start, end = cells[column]
    shown = mask_markup(text)  # a link's brackets and target, bold markers: not words of the cell
    while start < end and shown[start] in " \t":
        start += 1
    while end > start and shown[end - 1] in " \t":
        end -= 1
    if end - start > 2 and shown[start] == "`" and shown[end - 1] == "`":
        start, end = start + 1, end - 1  # a code cell: its text as written (`__init__` keeps its underscores)
    else:
        while start < end and shown[start] in "*_":  # emphasis markers around a word
            start += 1
        while end > start and shown[end - 1] in "*_":
            end -= 1
    terms = set(content_terms(shown[start:end]))
    if end - start > 120 or not terms - info.terms:
        return None
    if column == 0 and not any(set(content_terms(text[a:b])) & info.terms - terms for a, b in cells[1:]):
        return None  # the question's words are not in the row's other cells: not a question about this row's key
    return SpanCandidate(start, end, {"cell"})


def _unnamed(named: tuple[str, ...], reading: Reading, text: str | None) -> bool:
    """For "What is the name of <qualifiers> <head>?": does the cited text leave the name unsaid? It does when the
    text the reader read speaks of the head noun without a new name beside it ("NATO's secretary general said
    ...": ``Reading.unnamed``) or when ``text`` (the cited text with its section path and the unit before it, when
    given) lacks a qualifier (the "defense" of "Japan's defense minister"). A unit that never uses the head noun is
    not held to apposition: documentation lists things under a heading or beside a sibling that says what they are
    ("Installing Addons", "KubeVirt is an add-on ..." above "The node problem detector runs on Linux nodes ..."),
    and the reader's usual check of the asked type applies."""
    return reading.unnamed or (text is not None and bool(set(named[:-1]) - set(content_terms(text))))


# Beyond the numbers ``_counted`` reads ("three", "a dozen"), the words by which a count may be stated: "no",
# "several", "all", "unlimited".
_QUANTIFIERS = frozenset({"single", "once", "twice", "both", "all", "none", "no", "few", "many", "multiple",
                          "unlimited"})


def _counted(span: str) -> bool:
    """Does a date or time span state an amount ("3 weeks", "ten years", "1843") rather than a relative time
    ("last year", "today")? Only such a span answers a how-many / how-much question."""
    return bool(re.search(r"\d", span)) or any(w in _NUMBER_WORDS for w in words(fold(span)))


# The type veto: the expected answer types whose absence it acts on, what the user is told is missing, and the
# span kinds (spaCy labels or literal kinds of span_candidates) any one of which counts as "states one".
# Deliberately lenient (any number-like entity for a count), because a veto must not fire on an answer the small
# spaCy model mislabels. Person, place and time questions were measured and left out (docs/EVAL.md): natural
# questions such as "when does X happen" are answered by narrative text without a date, so the veto refused
# answerable questions.
_NUMERIC = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME", "number"})
VETO_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    COUNT: ("a number", _NUMERIC),
    QUANTITY: ("a quantity", _NUMERIC),
    VALUE: ("a value", frozenset({"code", "quoted", "identifier", "number", "CARDINAL", "QUANTITY", "PERCENT",
                                  "MONEY"})),
}
_TYPE_NAMES = {PERSON: "a name", PLACE: "a place", TIME: "a date", ENTITY: "an answer",
               **{kind: name for kind, (name, _) in VETO_TYPES.items()}}


# What says that a value is the one used when nothing is set: "default", "by default", "if not set / omitted /
# unspecified", "implicit". A question asking for a default is not answered by a value without one of these.
DEFAULT_CUE = re.compile(r"\bdefault(?:s|ed)?\b|\bimplicit(?:ly)?\b|\b(?:if|when|unless)\b[^.;:]{0,40}?\b(?:not "
                          r"(?:set|specified|provided|configured|given)|unset|omitted|unspecified|absent|empty)\b",
                          re.IGNORECASE)


def asks_yes_no(question: str) -> bool:
    """Does ``question`` begin with an auxiliary ("Does X default to Y?", "Is there a gizmo-proxy?"), i.e. ask yes or
    no rather than for a value or a thing? True also for a question without a word: it asks for nothing either."""
    tokens = words(fold(question))
    return not tokens or tokens[0] in _AUX


def missing_type(question: str, reading: Reading | None, threshold: float | None = None,
                 text: str | None = None) -> str | None:
    """The type veto: what the factoid ``question`` asks for ("a number", "a default value", ...) when the cited
    text the reader read cannot answer it, else None. It cannot when
    - the reader found no span at all, or none scoring ``threshold`` or more (the short-answer threshold): the
      cited text is a bare title or a line without a candidate answer;
    - a how-many / how-much / which-value question (VETO_TYPES) gets no span of an accepted kind that is new to
      the question;
    - such a question asks for a default ("What is the default ...", "... by default?") and the cited ``text``
      (when given) says nothing of a default (``DEFAULT_CUE``): a value without "default", "if not set",
      "implicit" is some other value of the thing ("the kubelet respects your configured X");
    - a question asking for a version or release gets a cited ``text`` (when given) without a version number, or
      one asking for a command a text without code (``_COMMAND``);
    - "What is the name of X?" gets a text that speaks of X's noun with no new name beside it, or lacks one of
      X's qualifiers (``_unnamed``); "Who is the <role> of X?" a text that does not speak of X (``role_qualifiers``).
    Yes/no questions ("Does X default to Y?") never veto."""
    if reading is None or reading.kind not in FACTOID or asks_yes_no(question):
        return None
    name = _TYPE_NAMES[reading.kind]
    if reading.kind == VALUE and asks_default(question):
        name = "a default value"
    if threshold is not None and (reading.span is None or reading.probability < threshold):
        return name
    if reading.kind in VETO_TYPES and not reading.found & VETO_TYPES[reading.kind][1]:
        return name
    if text is not None and reading.kind in VETO_TYPES and asks_default(question) \
            and not DEFAULT_CUE.search(text):
        return "a default value"
    named = expected_type(question).named
    if named and _unnamed(named, reading, text):
        return "a name"  # "the name of NATO's secretary general": no name beside "secretary general"
    if text is not None and reading.kind == PERSON and unsaid_role_of(question, text):
        return "a name"  # "Who is the president of Taiwan?" is not answered by the president of another country
    if text is not None and reading.kind == VALUE and expected_type(question).focus in _VERSION_FOCUS \
            and not _VERSION.search(text):
        return "a version"  # "In which release did X graduate to beta?" is not answered by "whilst it's beta"
    if text is not None and reading.kind == VALUE and expected_type(question).focus in _COMMAND_FOCUS \
            and not _COMMAND.search(text):
        return "a command"  # "Which kubeadm command upgrades ...?" is not answered by "Since release v1.32, ..."
    return None


_VERSION_FOCUS = {"version", "versions", "release", "releases"}
_VERSION = re.compile(r"(?<![\w.])v?\d+(?:\.\d+)+|\b(?:version|release|v)\s?\d+\b", re.IGNORECASE)


_COMMAND_FOCUS = {"command", "commands"}
# A command as documentation writes one: in a code span, or a shell line of a code block ("$ kubectl drain my-node",
# "kubeadm upgrade apply v1.33"); a YAML or JSON manifest ("apiVersion: v1 ...") is none.
_COMMAND = re.compile(r"`[^`\n]+`|^\s*(?:\$\s*)?[a-z][\w.-]*\s+(?![:=])\S", re.MULTILINE)


def shown_as_short_answer(question: str, span: str) -> bool:
    """May ``span`` be shown as the short answer to ``question``? Not when a version or release is asked and the span
    states none: a unit whose section path names the release ("Release Notes > 0.67.0 > Features") answers "From
    which version ...?", but the reader's best span inside it ("Advanced User Guide") does not. Nor when a count is
    asked and the span states no amount: "How many images ...?" cited with "the kubelet defaults to no limit on the
    maximum number of images" is answered by the sentence, not by "maximum number"."""
    info = expected_type(question)
    if info.kind == COUNT and not (_counted(span) or set(words(fold(span))) & _QUANTIFIERS):
        return False
    return info.focus not in _VERSION_FOCUS or bool(_VERSION.search(span) or re.fullmatch(r"v?\d+", span.strip()))
