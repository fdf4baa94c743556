"""One Markdown page indexed on disk with the real model, for answering tests that need a real index of a
document written for the test."""

from __future__ import annotations


def index_page(tmp_path_factory, embedder, name: str, text: str, others: dict[str, str] | None = None):
    """Write ``text`` to docs/``name`` (and each of ``others``, name -> text, beside it: other pages give the words
    their real rarity) in a fresh temporary folder, index it, and return (services, settings)."""
    from rag.ingest.indexer import index_paths
    from rag.services import build_services
    from rag.settings import Settings

    root = tmp_path_factory.mktemp(name.rsplit(".", 1)[0])
    (root / "docs").mkdir()
    for page, body in {name: text, **(others or {})}.items():
        (root / "docs" / page).write_text(body, encoding="utf-8")
    settings = Settings(_env_file=None, index_dir=root / "index")
    index_paths([root / "docs"], settings, embedder=embedder)
    return build_services(settings, embedder=embedder), settings


def decide(services, question: str):
    """The extractive answerer's decision for ``question``, after the chain's own retrieval."""
    state = services.assistant.retrieve_state(question)
    return services.assistant.answerers["extractive"].decide(state.query, state.passages, state.query_vector)


def ranked_below_top(services, question: str, prefix: str):
    """The decision for ``question`` and the unit whose text starts with ``prefix``, checking the premise of a test
    of a rule that re-ranks: the unit scorer alone puts another unit first."""
    decision = decide(services, question)
    unit = next(c for c in decision.ranked if c.text.startswith(prefix))
    assert decision.ranked[0] is not unit, "premise: the unit scorer alone would cite another unit"
    return decision, unit
