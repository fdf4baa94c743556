"""Expected answer types: does a sentence hold something of the kind the question asks for?

A sentence can be on topic and still not answer: "How many missiles did North Korea send?" against "North Korea
has been providing Russia with missiles". The question's wh-word tells which kind of token an answer needs
(a quantity, a time, a name); the sentence must contain such a token that the question does not already contain.
Rule-based on purpose: no tagger model can be downloaded here, and these few rules are transparent and testable.
"""

from __future__ import annotations

import re

from rag.text import fold

NUMBER, TIME, NAME, OTHER = "number", "time", "name", "other"

_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred "
                 "thousand million billion trillion dozen dozens hundreds thousands millions billions half "
                 "percent several").split()
_MONTHS = ("january february march april may june july august september october november december "
           "monday tuesday wednesday thursday friday saturday sunday").split()
_TIME_WORDS = ("year years month months week weeks day days decade decades century centuries ago yesterday today "
               "tomorrow recently outset date").split()
# "next", "last", "since", "during", "now", "later" state a time only with a time word or a date beside them
# ("last month", "since 2019"); alone they are everywhere ("the next version", "the last step", "during updates").

_NUM_TOKEN = re.compile(r"(?<![\w#-])[$€£¥]?\d[\d,.]*(?:%|\s*(?:percent|million|billion|trillion))?(?![\w-])")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
_CAPITALISED = re.compile(r"(?<![\w’'])([A-Z][\w’'-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'-]*)*)")

_WH = [
    (re.compile(r"\b(how (many|much|long|far|old|often|large|big)|what (percentage|proportion|number|amount)|"
                r"number of)\b"), NUMBER),
    (re.compile(r"\b(when|what (year|month|date|day|time)|which (year|month|date|day)|how long ago)\b"), TIME),
    (re.compile(r"\b(who|whom|whose|what is the name|what was the name|which (person|leader|president|minister|"
                r"country|countries|nation|city|island|state|organi[sz]ation|company|alliance|group)|where)\b"),
     NAME),
]


_ASKING = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b")
_EXPLAIN = re.compile(r"\bwhy\b|^\W*how (do|does|did|can|could|should|is|are|to)\b")
# "When should I use Security() instead of Depends()?", "When do I need to ...?", "When can a Pod be evicted?": a
# "when" with a modal verb, or asking what one does, asks for the circumstances (the text says "when you want to
# declare OAuth2 scopes"), not a date; "When was / did / does X ...?" still asks for a time.
ASKS_CIRCUMSTANCE = re.compile(r"^\W*when\s+(?:should|shall|can|could|must|might|would|do\s+(?:i|you|we))\b")


# A question written after its context: "I set up X so that it reports when pods fail. Which flag do I turn on?"
# asks for a flag, not a time. The asking sentence is the last one that ends with "?" and starts with a wh-word, an
# auxiliary or a preposition ("In which release ...?"); with none such, the whole text is read. Sentences end at
# ".", "!" or "?" after a word of two letters or more, so not after "e.g." or "U.S.", or after a closing backtick,
# quote or bracket ("... keeps looking for `x-client-version`. Which option ...?").
_SENTENCE_END = re.compile(r"(?:(?<=[^\W_]{2}[.!?])|(?<=[`\"')\]][.!?]))\s+(?=[\w`\"'])")
_OPENS_A_QUESTION = re.compile(r"^\W*(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|am|do|does|did|"
                               r"can|could|should|shall|will|would|may|might|must|has|have|had|if|in|for|on|at|"
                               r"with|from|by|to|under|during|after|before)\b")


# A question may open with a clause or phrase that sets the scene: "When I call get_openapi() myself, what
# openapi_version does it use?" asks "what", not "when"; "Among the ASGI servers listed, which one is a Rust HTTP
# server?" asks which one is Rust. The question starts at the wh-word or auxiliary after the clause's comma.
_LEADING_CLAUSE = re.compile(r"^\W*(?:when|whenever|if|once|after|before|while|since|unless|among|amongst|of|from|"
                             r"in|on|for|with|within|between|across|besides|unlike)\b[^,?]*,\s*"
                             r"(?=(?:what|which|who|whom|whose|where|when|why|how|is|are|was|were|do|does|did|can|"
                             r"could|should|will|would)\b)")


def question_sentences(folded: str) -> list[str]:
    """The sentences of a (folded) question, not cut after "e.g." or "U.S." (``_SENTENCE_END``)."""
    return _SENTENCE_END.split(folded.strip())


def asking_index(pieces: list[str]) -> int | None:
    """Of a question of two sentences or more (``question_sentences``, folded), the index of the one that asks: the
    last that ends with "?" and opens as a question (``_OPENS_A_QUESTION``); None when none does, or when there is
    one sentence only (it is the whole question)."""
    if len(pieces) < 2:
        return None
    return next((i for i in range(len(pieces) - 1, -1, -1)
                 if pieces[i].rstrip().endswith("?") and _OPENS_A_QUESTION.search(pieces[i])), None)


def asked_sentence(folded: str) -> str:
    """The sentence of a (folded) question that asks (``asking_index``), or the whole question; without a leading
    clause that sets the scene (``_LEADING_CLAUSE``)."""
    pieces = question_sentences(folded)
    at = asking_index(pieces)
    return _LEADING_CLAUSE.sub("", pieces[at] if at is not None else folded, count=1)


def asking_clause(folded: str) -> str:
    """The part of a (folded) question that asks, from its start to the wh-word after its first one: "which mode
    sets requests | when Pods are created?" asks for a mode, not a time, and "which kubelet field caps | how long
    an image may stay unused?" for a field, not a duration."""
    first = _ASKING.search(folded)
    if first is None:
        return folded
    following = _ASKING.search(folded, first.end())
    return folded[:following.start()] if following else folded


def question_type(question: str) -> str:
    """The kind of token an answer needs, by the question's first asking phrase: "Who was king when the Normans
    came?" asks for a name, and "Why does the tutorial pass X when creating the engine?" for a reason, not a time."""
    q = fold(question)
    if _EXPLAIN.search(q):
        return OTHER
    q = asking_clause(asked_sentence(q))
    if ASKS_CIRCUMSTANCE.search(q):
        return OTHER
    found = [(match.start(), kind) for pattern, kind in _WH if (match := pattern.search(q))]
    return min(found)[1] if found else OTHER


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", fold(text)))


# Never a value, a date or a name of the text: Markdown link targets, bare URLs, heading anchors, inline HTML tags.
HTML_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>\n]*)?/?>")
MARKUP = re.compile(r"\]\([^)\s]*\)|<?https?://[^\s)>]+>?|\{\s*#[\w-]+\s*\}|" + HTML_TAG.pattern)


def visible(text: str) -> str:
    """``text`` with ``MARKUP`` blanked to spaces of the same length (offsets unchanged): the 15030 of
    "PR [#15030](https://github.com/org/repo/pull/15030)" or the 1 of "/api/v1/pods" states no amount."""
    return MARKUP.sub(lambda m: " " * len(m.group()), text) if any(c in text for c in "(:{<") else text


def has_answer_type(kind: str, sentence: str, question: str) -> bool:
    """True when ``sentence`` holds a token of ``kind`` that ``question`` does not already contain; link
    targets, URLs and "#123" references do not count (``visible``)."""
    if kind == OTHER:
        return True
    sentence = visible(sentence)
    asked = _words(question)
    if kind == NUMBER:
        numbers = {m.group().strip() for m in _NUM_TOKEN.finditer(sentence)}
        if any(fold(n) not in fold(question) for n in numbers):
            return True
        return any(w in _NUMBER_WORDS and w not in asked for w in _words(sentence))
    if kind == TIME:
        if any(y not in question for y in _YEAR.findall(sentence)):
            return True
        words = _words(sentence)
        return any(w in words and w not in asked for w in _MONTHS + _TIME_WORDS)
    # NAME: a capitalised phrase not in the question (sentence-initial words count only when multi-word)
    for match in _CAPITALISED.finditer(sentence):
        phrase = match.group(1)
        if match.start() == 0 and " " not in phrase:
            continue
        if not (_words(phrase) <= asked):
            return True
    return False
