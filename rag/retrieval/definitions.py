"""Questions that ask what a thing is or does ("What is a DaemonSet?", "What does the kube-scheduler do?"), and
the units that say it ("A _DaemonSet_ ensures that all (or some) Nodes run a copy of a Pod.").

Documentation defines its things in a few written forms, and a question of this kind shares one word with every
sentence that merely uses the thing ("You can describe a DaemonSet in a YAML file." had the best unit score), so the
form is looked for, as rag.retrieval.abbreviations looks for "Long Form (ABBR)":
- the thing as the sentence's subject, then a copula or a verb: "A ReplicaSet is ...", "A _DaemonSet_ ensures ...",
  "In Kubernetes, _namespaces_ provide ...", "A ReplicaSet's purpose is to ...";
- the thing, then a colon and what it is: a definition list ("[kube-scheduler](...)\\n: Looks for Pods ...") or
  "an overview of init containers: specialized containers that run ...".
The thing may be written in emphasis, code, a link, a glossary shortcode, singular or plural. No library does this:
it is a handful of sentence shapes, written out here.
"""

from __future__ import annotations

import re
from functools import lru_cache

_DETERMINER = r"(?:(?:a|an|the)\s+)?"
# "What is a DaemonSet?", "What are init containers?", "What does the kube-scheduler do?", "What's etcd?"
_ASKED = re.compile(r"^\s*(?:what\s+(?:is|are)|what's)\s+" + _DETERMINER + r"(?P<x>[^?,;:]{2,60}?)\s*\?\s*$"
                    r"|^\s*what\s+(?:does|do)\s+" + _DETERMINER + r"(?P<y>[^?,;:]{2,60}?)\s+do\s*\?\s*$",
                    re.IGNORECASE)
# words that make "What is X?" ask for something else than what X is ("What is the default ...", "What is the
# difference between ...", "What is X used for" has no "?" right after X)
_NOT_A_THING = set("default difference purpose role benefit benefits advantage advantages name number size limit "
                   "maximum minimum value range best way reason meaning".split())
# a verb that says what the subject does: a third-person present form, not an auxiliary or "has"
_NOT_DOING = set("is was has does gets needs uses".split())
# what a plural subject does, as the verbs say it in definitions ("Namespaces provide a mechanism ...")
_DOING_PLURAL = ("provide", "ensure", "let", "allow", "run", "manage", "control", "define", "represent", "describe",
                 "contain", "hold", "store", "keep", "maintain", "help", "enable", "give", "act", "serve", "make")


def asked_subject(question: str) -> str | None:
    """The thing a "What is X?" / "What are X?" / "What does X do?" question asks about (1 to 5 words), else
    None."""
    match = _ASKED.match(question)
    if match is None:
        return None
    subject = (match.group("x") or match.group("y") or "").strip()
    subject = re.sub(r"\s+used\s+for$", "", subject, flags=re.IGNORECASE).strip("`*_\"'")  # "What is X used for?"
    words = subject.split()
    if not 1 <= len(words) <= 5 or words[0].lower() in _NOT_A_THING or words[0].lower() in {"it", "this", "that",
                                                                                              "they", "these"}:
        return None
    return subject


def _name(subject: str) -> str:
    """``subject`` as a pattern: its words joined by spaces or hyphens, singular or plural."""
    name = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", subject.strip()) if w)
    return name[:-1] + r"s?" if subject.lower().endswith("s") else name + r"(?:s|es)?"


@lru_cache(maxsize=512)
def _title_pattern(subject: str) -> re.Pattern:
    return re.compile(r"(?<![A-Za-z0-9-])" + _name(subject) + r"(?![A-Za-z0-9-])", re.IGNORECASE)  # "_Pod_" too


def titled(section: str | None, subject: str) -> bool:
    """Is the page that ``section`` (a section path, "DaemonSet > Writing a DaemonSet Spec") is in about
    ``subject``: does its title, the path's first part, name it?"""
    title = (section or "").split(" > ")[0]
    return bool(title) and _title_pattern(subject).search(title) is not None


# The parts of a definition around the thing's name, as regular expressions read at each place the name occurs: one
# pattern searched over a whole passage cost about a tenth of a microsecond a character (13 ms for the 200 passages
# BM25 finds for "kubelet"); reading only around the name costs about a quarter of that.
_OPEN = r"(?:\{\{<\s*glossary_tooltip\s+text=\"|\[`?|[_*`\"“]{0,2})"  # {{< glossary_tooltip text="X, [X, _X_, "X
_CLOSE = r"(?:\"[^}\n]*>\}\}|`?\]\([^)\s]*\)|[_*`\"”]{0,2})"
# a sentence start, a list marker, and a setting phrase ("In Kubernetes, "), not a connective ("However, ")
_LEFT = re.compile(r"(?:[.!?:]\s|\n)\s*(?:[-*+]\s+)?(?:(?:In|Within|For|On|At|Inside)\s[^.,;:\n]{0,30},\s+)?"
                   + _DETERMINER + _OPEN + r"\Z", re.IGNORECASE)
_AFTER_WORD = re.compile(r"(?<![\w-])" + _OPEN + r"\Z")  # "an overview of init containers: ..."
_PARENTHETICAL = r"(?:\s*\([^()\n]{1,40}\))?"
# "is" / "are" and the like say what it is, unless a participle follows ("is defined with fields")
_IS = re.compile(_CLOSE + _PARENTHETICAL + r"(?:,?\s+(?:is|are|refers\s+to|means|represents|can\s+be\s+thought\s+of"
                 r"\s+as)\b(?!\s+(?:not\s+)?\w+ed\b)|['’]s\s+purpose\s+is\b)", re.IGNORECASE)
_COLON = re.compile(_CLOSE + _PARENTHETICAL + r"\s*\n?\s*:\s+\S", re.IGNORECASE)
_DOES = re.compile(_CLOSE + _PARENTHETICAL + r"(?-i:\s+(?!(?:" + "|".join(_NOT_DOING) + r")\b)[a-z]{3,}(?<!ss)s\b"
                   r"|\s+(?:" + "|".join(_DOING_PLURAL) + r")\b)", re.IGNORECASE)  # a verb is lower case


@lru_cache(maxsize=512)
def _occurrences(subject: str) -> re.Pattern:
    return re.compile(r"(?<![A-Za-z0-9-])" + _name(subject) + r"(?![A-Za-z0-9-])", re.IGNORECASE)  # "_Pod_" too


def defines(text: str, subject: str) -> int:
    """How ``text`` (one unit, or a chunk) says what ``subject`` is or does, in the forms of this module's docstring:
    2 when it says what it is ("X is a ...", "X's purpose is", "X: ..."), 1 when it says what it does ("X
    ensures ..."), 0 when it does neither."""
    found = 0
    for match in _occurrences(subject).finditer(text):
        start, end = match.span()
        before = ("\n" if start <= 80 else "") + text[max(0, start - 80):start]
        at_start = _LEFT.search(before) is not None
        if at_start and _IS.match(text, end):
            return 2
        colon = _COLON.match(text, end)
        # "[kube-scheduler](...)\n: Looks for ...", "an overview of init containers: ...", but not the last word of
        # a longer link text ("[Service Account Token Secrets](...): ..." is about those tokens)
        if colon and (at_start or ("](" not in colon.group() and _AFTER_WORD.search(before) is not None)):
            return 2
        if at_start and not found and _DOES.match(text, end):
            found = 1
    return found
