"""rag: a question-answering assistant over your own documents, with verifiable citations."""

__version__ = "0.1.0"
