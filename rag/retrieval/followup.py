"""Follow-up questions: make "and who represented Australia?" retrievable by borrowing the previous turn's terms.

Without an LLM we cannot rewrite the question, so the retrieval query becomes the new question plus the
content terms of the last user question when the new one looks elliptical (opening with a connective
or leaning on a pronoun). The answerer still scores sentences against the question as asked, plus those terms.
"""

from __future__ import annotations

from rag.text import content_terms, words

_CONNECTIVES = {"and", "but", "also", "so", "then", "what about", "how about"}
_PRONOUNS = {"he", "she", "it", "they", "them", "his", "her", "its", "their", "this", "these", "those", "him",
             "others"}
FRAGMENT_WORDS = 4  # "On what exact date?"; a longer question has room for its own verb and subject
_WH = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how"}
_PREPOSITIONS = {"in", "on", "at", "near", "over", "under", "from", "to", "for", "with", "by", "since", "after",
                 "before", "during", "about", "against", "between", "into", "of", "through", "until", "within"}


def last_user_question(history: list[dict] | None) -> str | None:
    for turn in reversed(history or []):
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return str(turn["content"])
    return None


def is_elliptical(question: str) -> bool:
    """A follow-up opens with a connective ("and who ...?"), is a fragment that opens with a preposition and a
    wh-word ("in which city?"), or leans on a pronoun ("where did he go?", "when was that?", "any others?").

    Short wh-questions alone are not enough: "Where does the ferry depart from?" is a fresh question.
    """
    tokens = words(question)
    if not tokens:
        return False
    if tokens[0] in _CONNECTIVES or " ".join(tokens[:2]) in _CONNECTIVES:
        return True
    if 1 < len(tokens) <= FRAGMENT_WORDS and tokens[0] in _PREPOSITIONS and tokens[1] in _WH:
        # "Near which islands?", "Over what?", "In which city?": a fragment of a question; "From which pier does
        # the harbour ferry depart?" is a question of its own
        return True
    # "that" as the last word stands for something said before ("When was that?"); elsewhere it is mostly a
    # relative pronoun or a conjunction ("the Pods that run on a node")
    return any(t in _PRONOUNS for t in tokens) or tokens[-1] == "that"


def contextual_query(question: str, history: list[dict] | None) -> str:
    """The query used for retrieval: the question, plus the previous question's terms when it is a follow-up."""
    previous = last_user_question(history)
    if not previous or not is_elliptical(question):
        return question
    extra = [t for t in dict.fromkeys(words(previous)) if t not in set(words(question))]
    extra = [t for t in extra if content_terms(t)]
    return f"{question} {' '.join(extra)}".strip() if extra else question
