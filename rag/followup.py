"""Follow-up questions: make "and who represented Australia?" retrievable by borrowing the previous turn's terms.

Without an LLM we cannot rewrite the question, so the retrieval query becomes the new question plus the
content terms of the last user question when the new one looks elliptical (short, or opening with a
connective or a pronoun). The answerer still scores sentences against the question as asked, plus those terms.
"""

from __future__ import annotations

from rag.text import content_terms, words

_OPENERS = {"and", "what", "but", "also", "so", "then", "how", "who", "where", "when", "which", "why"}
_PRONOUNS = {"he", "she", "it", "they", "them", "his", "her", "its", "their", "this", "that", "these", "those",
             "there", "him"}


def last_user_question(history: list[dict] | None) -> str | None:
    for turn in reversed(history or []):
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return str(turn["content"])
    return None


def is_elliptical(question: str) -> bool:
    tokens = words(question)
    if not tokens:
        return False
    if tokens[0] in {"and", "but", "also", "so", "then"}:
        return True
    if any(t in _PRONOUNS for t in tokens):
        return True
    return len(content_terms(question)) <= 2 and tokens[0] in _OPENERS


def contextual_query(question: str, history: list[dict] | None) -> str:
    """The query used for retrieval: the question, plus the previous question's terms when it is a follow-up."""
    previous = last_user_question(history)
    if not previous or not is_elliptical(question):
        return question
    extra = [t for t in dict.fromkeys(words(previous)) if t not in set(words(question))]
    extra = [t for t in extra if content_terms(t)]
    return f"{question} {' '.join(extra)}".strip() if extra else question
