"""The small exception tree users see. Each message is one sentence naming the thing at fault and the fix.

The CLI maps these to exit codes; nothing here ever reaches the user as a traceback.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class for every error the assistant reports to a user."""

    exit_code = 1


class ConfigError(RagError):
    """A setting or option has a value that cannot work."""

    exit_code = 2


class ModelMissingError(RagError):
    """The bundled embedding model package is not installed."""

    exit_code = 3


class IndexMissingError(RagError):
    """No index exists where one was expected."""

    exit_code = 4


class IndexMismatchError(RagError):
    """The index on disk was built with another model or chunking than the settings ask for."""

    exit_code = 5


class IndexCorruptError(RagError):
    """The index on disk fails its integrity check."""

    exit_code = 6


class IndexWriteError(RagError):
    """The new index snapshot could not be written (a full disk, no permission); the published one is unchanged."""

    exit_code = 12


class IndexLockedError(RagError):
    """Another process is writing the index."""

    exit_code = 7


class StoreUnavailableError(RagError):
    """The configured store (RAG_STORE_URL) cannot be reached or used."""

    exit_code = 11


class LoadError(RagError):
    """One input file could not be loaded; the message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # pickled by the parsing worker processes (rag.ingest.parse)
        return type(self), (self.path, self.reason)


class NothingIndexedError(RagError):
    """Every input was rejected, so nothing could be indexed."""

    exit_code = 8


class QuestionError(RagError):
    """The question itself cannot be answered as given (empty, too long, ...)."""

    exit_code = 9


class LLMError(RagError):
    """The configured LLM server failed (unreachable, timeout, HTTP error, malformed output)."""

    exit_code = 10
