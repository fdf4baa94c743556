"""Identifiers and exact phrases in a question weigh in BM25 and in the fusion (rag.retrieval.identifiers)."""

from __future__ import annotations

import pytest

from rag.retrieval.hybrid import rrf_fuse
from rag.retrieval.identifiers import (
    boosted_query,
    contains_identifier,
    exact_matches,
    identifier_coverage,
    question_identifiers,
)
from rag.text import content_terms
from rag.types import Chunk


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What does `spec.maxSkew` limit?", ("spec.maxSkew",)),
        ("Which flag, --max-pods or --pods-per-core, caps pods?", ("--max-pods", "--pods-per-core")),
        ("What does the maxUnavailable field do?", ("maxUnavailable",)),
        ("When is retry_count reset?", ("retry_count",)),
        ("Who owns the cluster-autoscaler-status config map?", ("cluster-autoscaler-status",)),
        ("What does app.kubernetes.io/name identify?", ("app.kubernetes.io/name",)),
        ('What did they call the "rolling restart" feature?', ("rolling restart",)),
        ("Which missile, the Hwasong-18, was tested?", ("Hwasong-18",)),
    ],
)
def test_identifiers_are_found_as_written(question, expected):
    assert question_identifiers(question) == expected


@pytest.mark.parametrize("question", ["How many missiles did North Korea send?", "Who met the U.S. president?",
                                      "What is the capital of France?", "Why did the well-known plan fail?"])
def test_plain_prose_has_no_identifiers(question):
    assert question_identifiers(question) == ()


def test_identifier_terms_are_repeated_in_the_bm25_query():
    query = "What does maxUnavailable limit?"
    assert content_terms(boosted_query(query, 2)).count("maxunavailable") == 3
    assert boosted_query(query, 0) == query
    assert boosted_query("How many pods?", 3) == "How many pods?"


def test_verbatim_containment_respects_word_boundaries():
    assert contains_identifier("Set `maxSurge` to 25%.", "maxsurge")
    assert not contains_identifier("Set maxSurgeLimit instead.", "maxSurge")
    assert not contains_identifier("use --max-pods-x", "--max-pods")
    assert identifier_coverage("maxSurge and maxUnavailable", ("maxSurge", "minReadySeconds")) == 0.5
    assert identifier_coverage("anything", ()) == 1.0


class _Snapshot:
    """What exact_matches reads of a StoreView: chunks by key."""

    def __init__(self, texts):
        self.chunks = [Chunk(str(i), "s", "h", 0, len(t), t) for i, t in enumerate(texts)]

    def chunk(self, key: int) -> Chunk:
        return self.chunks[key]


def test_exact_matches_rank_passages_holding_more_identifiers_first():
    snapshot = _Snapshot(["about maxSurge only", "nothing here", "maxSurge and maxUnavailable", "maxUnavailable"])
    ranked = exact_matches(snapshot, [[1, 0, 3], [2, 0]], ("maxSurge", "maxUnavailable"))
    assert ranked == [2, 0, 3]


def test_weighted_fusion():
    # Without weights both lists count the same; weighting the second list lets its first item win.
    assert rrf_fuse([[1, 2], [2, 1]], 60)[0][0] == 1
    assert rrf_fuse([[1, 2], [2, 1]], 60, [1.0, 1.5])[0][0] == 2
    assert rrf_fuse([[1, 2], [2, 1], [3]], 60, [1.0, 1.0, 0.0])[-1] == (3, 0.0)


def test_the_passage_naming_the_identifier_is_retrieved_first(make_settings, fake_embedder, tmp_path):
    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    corpus = tmp_path / "docs"
    corpus.mkdir()
    filler = "The scheduler places workloads on nodes and the controller keeps replicas running. " * 3
    (corpus / "a.md").write_text(filler + "Rolling updates replace replicas gradually to keep the service up.\n")
    (corpus / "b.md").write_text(filler + "The surgeLimitPercent field caps extra replicas during rolling updates.\n")
    (corpus / "c.md").write_text(filler + "Replicas are replaced during updates; the rollout is gradual.\n")
    settings = make_settings(chunk_size=400, chunk_overlap=40)
    index_paths([corpus], settings, embedder=fake_embedder)
    services = build_services(settings, embedder=fake_embedder)
    passages = services.assistant.retrieve("What does surgeLimitPercent cap during rolling updates of replicas?")
    assert passages[0].chunk.source.endswith("b.md")
    assert passages[0].bm25_rank == 1 and passages[0].dense_rank is not None
    assert all(p.dense_rank is None or p.dense_rank >= 1 for p in passages)


def test_an_identifier_in_most_chunks_tells_nothing_apart(make_settings, real_embedder, tmp_path):
    """A product's own name in its documentation ("AcmeKit" in every page) is an identifier by its shape, but a
    passage or unit that contains it is no likelier to answer: it must not pull a release note that names the
    product over the page that states the value. An identifier the index rarely or never uses still counts."""
    from rag.answering.extractive import TermWeights
    from rag.ingest.indexer import index_paths
    from rag.retrieval.identifiers import distinctive_identifiers
    from rag.services import build_services

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "streams.md").write_text(
        "# Event streams\n\nThe server keeps idle event streams open.\n\n"
        "- Send a keep-alive ping comment every 15 seconds when no message was sent, so proxies keep the "
        "connection open.\n- Close the stream when the client disconnects.\n")
    (corpus / "release-notes.md").write_text(
        "# Release notes\n\n## 2.3.0\n\n- Add support for event streams to AcmeKit. PR #15030 by the AcmeKit "
        "team.\n- Update the AcmeKit people page. PR #15036.\n")
    for name, topic in (("install.md", "Install AcmeKit with pip install acmekit."),
                        ("routing.md", "AcmeKit routes each request to the handler of its path."),
                        ("testing.md", "AcmeKit ships a test client that calls the app in process.")):
        (corpus / name).write_text(f"# {name[:-3].title()}\n\n{topic} The AcmeKit app object holds the routes.\n")
    settings = make_settings()
    index_paths([corpus], settings, embedder=real_embedder)
    services = build_services(settings, embedder=real_embedder)
    extractive = services.assistant.answerers["extractive"]
    stats = TermWeights.of(extractive.snapshot_getter()).stats
    question = "How often does AcmeKit send a keep-alive ping on an event stream when nothing else is sent?"
    assert question_identifiers(question) == ("AcmeKit",)
    assert distinctive_identifiers(question, stats) == ()
    assert distinctive_identifiers("What does the WidgetPool class cache?", stats) == ("WidgetPool",)

    answer = services.assistant.ask(question, mode="extractive")
    assert not answer.abstained
    assert answer.citations[0].source.endswith("streams.md")
    assert "every 15 seconds" in answer.answer


@pytest.mark.slow
def test_an_identifier_many_passages_name_does_not_lift_them_over_the_one_that_answers(make_settings, real_embedder,
                                                                                      tmp_path):
    """An identifier that 4 of 13 chunks name is distinctive (it still weighs in BM25 and the unit scorer), but too
    common for the exact-match list (``EXACT_SHARE``): that list would give each of those chunks a fusion score of
    its own, and they would all pass the page that dense retrieval and BM25 both rank first."""
    from rag.ingest.indexer import index_paths
    from rag.retrieval.identifiers import EXACT_SHARE, distinctive_identifiers, selective
    from rag.services import build_services

    corpus = tmp_path / "docs"
    corpus.mkdir()
    topics = ("routing", "the test client", "templates", "static files", "middleware", "CORS headers", "cookies",
              "sessions", "background jobs", "websockets", "settings files", "logging")
    for i, topic in enumerate(topics):
        name = "WidgetHub" if i < 4 else "The dashboard"
        (corpus / f"p{i}.md").write_text(f"# {topic.title()}\n\n{name} schema page lists {topic}. It shows each "
                                         f"model of {topic} in its schema view.\n")
    (corpus / "merge.md").write_text(
        "# Separate schemas\n\nIf your generated clients break on duplicated input and output schemas, you can go "
        "back to one schema per model with the parameter `merge_schemas=True`.\n")
    settings = make_settings()
    index_paths([corpus], settings, embedder=real_embedder)
    services = build_services(settings, embedder=real_embedder)
    question = ("My WidgetHub schema page now shows Item-Input and Item-Output and it breaks my generated clients. "
                "How do I go back to one schema per model?")
    stats = services.view().term_stats()
    assert distinctive_identifiers(question, stats) == ("WidgetHub",)
    assert selective(("WidgetHub",), stats, EXACT_SHARE) == ()  # 4 of 13 chunks: more than a tenth

    passages = services.assistant.retriever.retrieve(question, k=3)
    assert passages[0].chunk.source.endswith("merge.md")
    assert (passages[0].dense_rank, passages[0].bm25_rank) == (1, 1)
