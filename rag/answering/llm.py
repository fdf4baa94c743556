"""The `llm` answer mode: any OpenAI-compatible chat endpoint (llama.cpp server, Ollama, vLLM, OpenAI).

The model sees numbered passages (rag.answering.prompt) and streams an answer citing them as ``[n]``. Markers are
renumbered as they stream (citation numbers in order of first use, out-of-range numbers dropped), then every
sentence is checked against the best-matching span of the passages it cites (rag.cite.verify) and each citation
carries that span's offsets. If the server fails in any way (unreachable, timeout, HTTP error, empty or
malformed output) the extractive answer is returned instead, with a one-line notice. The whole generation is
bounded by ``settings.llm_timeout``: tokens are read on a worker thread and the caller stops waiting at the
deadline even if the server stalls mid-stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rag.answering.extractive import ABSTAIN_TEXT
from rag.answering.prompt import build_messages, condense_messages, trim_passages
from rag.cite.citations import cite
from rag.cite.verify import MarkerRenumberer, Verdict, is_abstention, parse_citations, verify
from rag.embedding import Embedder
from rag.retrieval.followup import contextual_query, is_elliptical
from rag.settings import Settings
from rag.store import StoreView
from rag.timelimit import iterate_with_timeout
from rag.types import Answer, Citation, Passage, PromptPassage

CONDENSE_MAX_TOKENS = 64
# Rewriting a follow-up happens before retrieval, on top of the answer's own timeout, so it gets a small slice.
CONDENSE_TIMEOUT_SHARE, CONDENSE_TIMEOUT_MAX = 0.25, 10.0


class LLMTimeout(Exception):
    """The server did not finish within the configured timeout."""


class EmptyOutput(Exception):
    """The server answered with no text."""


def describe_failure(err: BaseException, timeout: float) -> str:
    """A few words for the notice: 'HTTP 500', 'ConnectError', 'no answer within 5 s', 'JSONDecodeError', ...

    LangChain wraps the OpenAI client's errors, which wrap httpx's, so the whole cause chain is searched.
    """
    import openai

    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(e, LLMTimeout | openai.APITimeoutError | TimeoutError) for e in chain):
        return f"no answer within {timeout:g} s"
    for e in chain:
        status = getattr(e, "status_code", None)
        if isinstance(status, int):
            return f"HTTP {status}"
    if any(isinstance(e, EmptyOutput) for e in chain):
        return "empty answer"
    for e in chain:  # the most specific error outside the client libraries: ConnectError, JSONDecodeError, ...
        if not type(e).__module__.startswith(("openai", "langchain")):
            return type(e).__name__
    return type(err).__name__


class LLMAnswerer:
    name = "llm"

    def __init__(self, settings: Settings, embedder: Embedder, snapshot_getter: Callable[[], StoreView],
                 fallback, chat_model=None, support_threshold: float | None = None):
        self.settings = settings
        self.embedder = embedder
        self.snapshot_getter = snapshot_getter
        self.fallback = fallback
        self.support_threshold = settings.llm_support_threshold if support_threshold is None else support_threshold
        self._chat = chat_model

    @property
    def condense_timeout(self) -> float:
        return min(CONDENSE_TIMEOUT_SHARE * self.settings.llm_timeout, CONDENSE_TIMEOUT_MAX)

    @property
    def base_url(self) -> str:
        return str(self.settings.llm_base_url)

    def chat_model(self):
        if self._chat is None:
            from langchain_openai import ChatOpenAI

            self._chat = ChatOpenAI(
                base_url=self.base_url,
                model=self.settings.llm_model,
                api_key=self.settings.llm_api_key,
                timeout=self.settings.llm_timeout,
                max_retries=0,  # a retry would double the time the user waits; the fallback answers instead
                max_completion_tokens=self.settings.llm_max_tokens,  # the field's name (alias of max_tokens)
                temperature=self.settings.llm_temperature,
                streaming=True,
            )
        return self._chat

    # -- talking to the server -------------------------------------------------------------------------------

    def generate(self, messages: list[tuple[str, str]], timeout: float | None = None, **kwargs) -> Iterator[str]:
        """Text pieces from the server; raises on failure or when the timeout passes (even mid-stream)."""
        timeout = self.settings.llm_timeout if timeout is None else timeout
        model = self.chat_model()
        if kwargs:
            model = model.bind(**kwargs)

        def pieces() -> Iterator[str]:
            for chunk in model.stream(messages):
                content = chunk.content
                if isinstance(content, str) and content:
                    yield content

        # The worker ends at its next chunk after we stop reading, or when its own HTTP timeout fires.
        yield from iterate_with_timeout(pieces, timeout,
                                        on_timeout=lambda: LLMTimeout(f"no answer within {timeout:g} s"))

    def condense(self, question: str, history: list[dict] | None) -> str:
        """A standalone retrieval question for a follow-up, written by the model.

        Questions that do not look elliptical (rag.retrieval.followup.is_elliptical) are returned unchanged; when the
        server fails or answers nonsense, the keyword heuristic (rag.retrieval.followup.contextual_query) is used.
        """
        if not history or not is_elliptical(question):
            return question
        try:
            text = "".join(self.generate(condense_messages(question, history), timeout=self.condense_timeout,
                                         max_tokens=CONDENSE_MAX_TOKENS))
        except Exception:  # noqa: BLE001 - any server failure: fall back to the heuristic
            return contextual_query(question, history)
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        line = line.removeprefix("Standalone question:").strip().strip('"').strip()
        if not line or len(line) > max(3 * len(question), 300):
            return contextual_query(question, history)
        return line

    # -- answering --------------------------------------------------------------------------------------------

    def answer(self, question: str, passages: list[Passage], question_vector=None) -> Answer:
        final = None
        for item in self.stream(question, passages, question_vector):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(self, question: str, passages: list[Passage], question_vector=None) -> Iterator[str | Answer]:
        """``question_vector`` (the retrieval step's query embedding) is only used by the extractive fallback."""
        if not passages:
            yield ABSTAIN_TEXT
            yield Answer(question=question, answer=ABSTAIN_TEXT, abstained=True, mode="llm")
            return
        shown = trim_passages(passages, self.settings.llm_context_chars)
        renumber = MarkerRenumberer(len(shown))
        emitted: list[str] = []
        try:
            for piece in self.generate(build_messages(question, shown)):
                text = renumber.feed(piece)
                if text:
                    emitted.append(text)
                    yield text
            tail = renumber.flush()
            if tail:
                emitted.append(tail)
                yield tail
            if not parse_citations("".join(emitted)):  # nothing but white space or markers
                raise EmptyOutput("the server returned no text")
        except Exception as err:  # noqa: BLE001 - every server failure ends in the extractive answer
            fallback = self.fallback.answer(question, passages, question_vector)
            reason = describe_failure(err, self.settings.llm_timeout)
            fallback.notice = f"LLM server at {self.base_url} failed ({reason}); showing the extractive answer."
            yield ("\n\n" if emitted else "") + fallback.answer
            yield fallback
            return
        text = "".join(emitted).strip()
        yield self.build_answer(question, text, passages, shown, renumber.mapping)

    def build_answer(self, question: str, text: str, passages: list[Passage], shown: list[PromptPassage],
                     mapping: dict[int, int]) -> Answer:
        """Verify ``text`` (markers already renumbered by ``mapping``) and attach the supporting spans."""
        if is_abstention(text, ABSTAIN_TEXT):
            return Answer(question=question, answer=text, abstained=True, passages=passages, mode="llm")
        snapshot = self.snapshot_getter()
        windows = {new: shown[old - 1] for old, new in mapping.items()}
        verdicts = verify(text, windows, self.embedder, snapshot, self.support_threshold)
        citations = [self._citation(n, windows[n], verdicts, snapshot) for n in sorted(windows)]
        checks = [v.check() for v in verdicts]
        confidence = sum(c.support_score for c in checks) / len(checks) if checks else 0.0
        return Answer(question=question, answer=text, abstained=False, citations=citations, passages=passages,
                      mode="llm", confidence=confidence, sentences=checks)

    @staticmethod
    def _citation(n: int, window: PromptPassage, verdicts: list[Verdict], snapshot: StoreView) -> Citation:
        """Citation ``n``: the best span for each sentence citing it, merged (the supported ones if any)."""
        matches = [(m, v.supported) for v in verdicts for m in v.matches if m.n == n]
        pool = [m for m, ok in matches if ok] or [m for m, _ in matches]
        if not pool:
            return cite(n, window.passage, window.start, window.end, 0.0, snapshot)
        start, end = min(m.start for m in pool), max(m.end for m in pool)
        return cite(n, window.passage, start, end, max(m.score for m in pool), snapshot)
