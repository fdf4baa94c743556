"""Request and response models of the API, with the CLI's ranges (k 1..100; the question length is checked by the
assistant against RAG_MAX_QUESTION_CHARS, with the message the CLI and the chat give).

Types are strict: ``"k": "5"`` or ``"stream": "yes"`` is a 422, not a guess. The OpenAI request ignores the
sampling fields clients send by habit (temperature, max_tokens, ...); the REST requests refuse unknown fields so a
typo (``"questoin"``) is reported instead of ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

TopK = Annotated[StrictInt, Field(ge=1, le=100, description="Passages to retrieve (1..100; default RAG_K).")]
MAX_MESSAGES = 500


class TextPart(BaseModel):
    type: Literal["text"]
    text: StrictStr


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"]
    content: StrictStr | list[TextPart]

    @field_validator("content", mode="before")
    @classmethod
    def _text_or_parts(cls, value: Any) -> Any:
        if not isinstance(value, str | list):
            raise ValueError("content must be a string or a list of {'type': 'text', 'text': ...} parts")
        for part in value if isinstance(value, list) else ():
            kind = part.get("type") if isinstance(part, dict) else type(part).__name__
            if kind != "text":
                raise ValueError(f"only text parts {{'type': 'text', 'text': ...}} are supported, not {kind!r}")
            if not isinstance(part.get("text"), str):
                raise ValueError("a text part needs a string 'text'")
        return value

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{
        "model": "rag-extractive",
        "messages": [{"role": "user", "content": "Where did Kim welcome Putin?"}]}]})

    model: StrictStr = Field(description="rag-extractive, or rag-llm when an LLM is configured (GET /v1/models).")
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES,
                                        description="The conversation; the last message is the user's question.")
    stream: StrictBool = False
    n: Annotated[StrictInt, Field(ge=1, le=1, description="Only one choice is produced.")] | None = None
    k: TopK | None = None


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: StrictStr


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "Which missile has North Korea likely provided to Russia?", "k": 5}]})

    question: StrictStr
    k: TopK | None = None
    mode: Literal["extractive", "llm"] | None = Field(None, description="Answer mode (default RAG_ANSWER_MODE).")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_MESSAGES,
                                description="Earlier turns, as `rag ask --history` takes them.")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"query": "IP4 leaders", "k": 3}]})

    query: StrictStr
    k: TopK | None = None


# -- responses (documentation only: the handlers return the assistant's own JSON) ------------------------------

class CitationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    n: int
    source: str
    chunk_id: str
    start: int
    end: int
    quote: str = Field(description="Verbatim: the loaded document text [start:end].")
    score: float
    page: int | None = None
    section: str | None = None


class AnswerOut(BaseModel):
    """The `rag ask --json` object."""

    model_config = ConfigDict(extra="allow")

    question: str
    answer: str
    abstained: bool
    citations: list[CitationOut]
    timings_ms: dict[str, float]
    mode: str


class PassageOut(BaseModel):
    rank: int
    source: str
    chunk_id: str
    start: int
    end: int
    text: str = Field(description="Verbatim: the loaded document text [start:end].")
    score: float
    dense_score: float | None
    bm25_score: float | None
    page: int | None


class SearchOut(BaseModel):
    query: str
    passages: list[PassageOut]


class DocumentOut(BaseModel):
    name: str
    source: str
    chunks: int
    chars: int
    kind: Literal["upload", "folder"]


class DocumentsOut(BaseModel):
    count: int
    documents: list[DocumentOut]


class UploadOut(BaseModel):
    indexed: list[str]
    unchanged: list[str]
    errors: list[str]
    summary: str


class ErrorOut(BaseModel):
    error: str
    code: str


class HealthOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["ok", "no_index"]
    index: dict[str, Any] | None
    model: str
    answer_mode: str
    modes: list[str]
