"""Errors of the evaluation suite; they extend the core tree so the CLI reports them the same way."""

from __future__ import annotations

from rag.errors import ConfigError


class GoldFileError(ConfigError):
    """A gold or dataset file is missing, unreadable, of an unknown format, or has invalid lines."""
