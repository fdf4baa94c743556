"""One validation of what a user hands the assistant, shared by every front end (CLI, chat, /ask, eval, APIs).

- a question: text, valid Unicode (no lone surrogates: invalid UTF-8 on a command line arrives as those), not
  empty, not over RAG_MAX_QUESTION_CHARS; control characters become spaces;
- request parameters: ``k`` a whole number from 1 to 100 as on the command line (None or "" = the default),
  ``mode`` one of the answer modes (None or "" = the default);
- earlier turns: a list of ``{"role", "content"}`` objects with text content;
- settings: any error loading them is one line naming the RAG_ variable and what it expects.

Each failure is one sentence (QuestionError for requests, ConfigError for files and settings).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, get_args

from pydantic import ValidationError

from rag.errors import ConfigError, LoadError, QuestionError
from rag.safe_read import read_text_bounded, shown
from rag.settings import AnswerMode

K_MIN, K_MAX = 1, 100  # as `rag ask --k`
ANSWER_MODES: tuple[str, ...] = get_args(AnswerMode)
ROLES = ("user", "assistant", "system")
HISTORY_MAX_BYTES = 4 * 2**20
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_INTEGER = re.compile(r"[+-]?\d{1,12}")
SECRET_SETTINGS = {"llm_api_key", "auth_password"}


@dataclass(frozen=True)
class Request:
    question: str
    k: int | None  # None: the configured RAG_K
    mode: str | None  # None: the configured RAG_ANSWER_MODE
    history: list[dict] | None


def _unpaired_surrogate(text: str) -> int | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return err.start
    return None


def clean_question(question: Any, max_chars: int) -> str:
    """The question with control characters as spaces, stripped; QuestionError when it cannot be asked."""
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    bad = _unpaired_surrogate(question)
    if bad is not None:
        raise QuestionError(f"The question is not valid text: character {bad + 1} is not UTF-8 (an undecodable byte "
                            "or a lone surrogate); retype it.")
    cleaned = _CONTROL.sub(" ", question).strip()
    if not cleaned:
        raise QuestionError("The question is empty; type a question about your documents.")
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"The question is {len(cleaned):,} characters long; the limit is {max_chars:,} "
            "(RAG_MAX_QUESTION_CHARS). Shorten it."
        )
    return cleaned


def _shown_value(value: Any) -> str:
    if isinstance(value, PurePath):  # a path is shown whole, as typed ('/tmp/x', not PosixPath('/tmp/x')): its end
        return repr(str(value))       # names the file at fault
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def validate_k(k: Any) -> int | None:
    """``k`` as an int from 1 to 100, or None for the default (None or ""); QuestionError otherwise."""
    if k is None or k == "":
        return None
    value = None
    if isinstance(k, bool):
        value = None
    elif isinstance(k, int):
        value = k
    elif isinstance(k, float) and math.isfinite(k) and k.is_integer():
        value = int(k)
    elif isinstance(k, str) and _INTEGER.fullmatch(k.strip()):
        value = int(k.strip())
    if value is None or not K_MIN <= value <= K_MAX:
        raise QuestionError(f"k must be a whole number from {K_MIN} to {K_MAX} (or null for the default, RAG_K), "
                            f"not {_shown_value(k)}.")
    return value


def validate_mode(mode: Any) -> str | None:
    """One of ANSWER_MODES, or None for the default (None or ""); QuestionError otherwise."""
    if mode is None or mode == "":
        return None
    if isinstance(mode, str) and mode in ANSWER_MODES:
        return mode
    raise QuestionError(f"mode must be one of {', '.join(ANSWER_MODES)} (or null for the default, RAG_ANSWER_MODE), "
                        f"not {_shown_value(mode)}.")


def history_problem(history: Any) -> str | None:
    """What is wrong with ``history`` as a list of {role, content} turns, or None when nothing is."""
    if not isinstance(history, list):
        return f"it is {_json_kind(history)}"
    for number, turn in enumerate(history, start=1):
        if not isinstance(turn, dict):
            return f"turn {number} is {_json_kind(turn)}"
        if turn.get("role") not in ROLES:
            return f"turn {number} has role {_shown_value(turn.get('role'))}, not one of {', '.join(ROLES)}"
        if not isinstance(turn.get("content"), str):
            return f"turn {number} has content {_json_kind(turn.get('content'))}, not text"
        if _unpaired_surrogate(turn["content"]) is not None:
            return f"turn {number} has content that is not valid UTF-8"
    return None


def validate_history(history: Any) -> list[dict] | None:
    """Earlier turns as ``[{"role", "content"}]`` (other keys dropped), or None; QuestionError otherwise."""
    if history is None:
        return None
    problem = history_problem(history)
    if problem:
        raise QuestionError(f"The history is not a list of {{role, content}} turns ({problem}).")
    return [{"role": turn["role"], "content": turn["content"]} for turn in history]


def validate_request(question: Any, k: Any, mode: Any, history: Any, max_question_chars: int) -> Request:
    return Request(clean_question(question, max_question_chars), validate_k(k), validate_mode(mode),
                   validate_history(history))


def _json_kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def parse_json(text: str) -> Any:
    """``json.loads``, with nesting too deep for the parser reported as a JSONDecodeError like any other."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text[:100], 0) from None


def read_history_file(path: Path) -> list[dict]:
    """The turns in a --history file: a bounded read of a regular file, then the shape check; ConfigError (one
    line naming the file) for anything else."""
    shape = f"{shown(path)} is not a JSON list of {{role, content}} turns"
    try:
        text = read_text_bounded(path, HISTORY_MAX_BYTES, " for a history file")
    except LoadError as err:
        raise ConfigError(f"Cannot use the history file {err}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shape} (it is not UTF-8 text).") from None
    try:
        data = parse_json(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{shape} (not valid JSON: {err.msg}).") from None
    problem = history_problem(data)
    if problem:
        raise ConfigError(f"{shape} ({problem}).")
    history = validate_history(data)
    assert history is not None  # history_problem refused null: it is a list
    return history


def settings_error_message(err: Exception) -> str:
    """One line for a pydantic ValidationError or a pydantic-settings SettingsError: each setting at fault by its
    environment variable, with the value given (secrets left out) and what it expects."""
    if not isinstance(err, ValidationError):
        match = re.search(r'field "(\w+)"', str(err))
        name = f"RAG_{match.group(1).upper()}" if match else "a RAG_ setting"
        return f"Invalid setting {name}: {err}; fix or unset it."
    parts = []
    found = err.errors()
    for error in found[:3]:
        loc = error.get("loc") or ()
        field = str(loc[0]) if loc else ""
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if not field:
            parts.append(message)
            continue
        item = f" (item {loc[1] + 1})" if len(loc) > 1 and isinstance(loc[1], int) else ""
        shown_input = "" if field in SECRET_SETTINGS or "input" not in error else f"={_shown_value(error['input'])}"
        parts.append(f"RAG_{field.upper()}{item}{shown_input}: {message[:1].lower()}{message[1:]}")
    more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
    return "Invalid setting " + "; ".join(parts) + more + "; fix or unset it."
