"""The extractive chain with the real bundled model over the real seeds index."""

from __future__ import annotations

import pytest

from rag.answering.extractive import ABSTAIN_TEXT
from rag.errors import QuestionError

pytestmark = pytest.mark.slow


def assert_citations_verbatim(answer, seed_text):
    assert answer.citations, answer.answer
    retrieved = {p.chunk.chunk_id for p in answer.passages}
    for citation in answer.citations:
        assert seed_text[citation.start:citation.end] == citation.quote
        assert citation.chunk_id in retrieved
        assert f"[{citation.n}]" in answer.answer


def test_missile_question_cites_kn23(seeds_services, seed_text):
    answer = seeds_services.assistant.ask("Which missile has North Korea likely provided to Russia?")
    assert not answer.abstained
    assert "KN-23" in answer.answer
    assert_citations_verbatim(answer, seed_text)
    assert any("KN-23" in c.quote for c in answer.citations)


def test_where_kim_welcomed_putin(seeds_services, seed_text):
    answer = seeds_services.assistant.ask("Where did Kim welcome Putin?")
    assert "Pyongyang" in answer.answer
    assert_citations_verbatim(answer, seed_text)


@pytest.mark.parametrize("question", ["What is the boiling point of water?", "Who won the 1998 football World Cup?"])
def test_off_topic_questions_abstain(seeds_services, question):
    answer = seeds_services.assistant.ask(question)
    assert answer.abstained
    assert answer.answer == ABSTAIN_TEXT
    assert answer.citations == []


def test_json_shape(seeds_services):
    data = seeds_services.assistant.ask("Where did Kim welcome Putin?", k=3).to_json()
    assert set(data) >= {"question", "answer", "abstained", "citations", "timings_ms"}
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}
    assert data["timings_ms"]["total"] >= data["timings_ms"]["retrieve"]
    assert data["citations"], data["answer"]
    for c in data["citations"]:
        assert set(c) >= {"n", "source", "chunk_id", "start", "end", "quote", "score"}
        assert isinstance(c["n"], int) and isinstance(c["score"], float)


def test_retrieval_respects_k_and_ranks(seeds_services):
    passages = seeds_services.assistant.retrieve("Japan nuclear umbrella", k=3)
    assert [p.rank for p in passages] == [1, 2, 3]
    assert "nuclear umbrella" in " ".join(p.chunk.text for p in passages)


def test_streaming_yields_text_then_the_answer(seeds_services):
    items = list(seeds_services.assistant.stream("Where did Kim welcome Putin?"))
    assert isinstance(items[-1], type(seeds_services.assistant.ask("Where did Kim welcome Putin?")))
    assert "".join(i for i in items[:-1] if isinstance(i, str)) == items[-1].answer


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * 100_000])
def test_bad_questions_are_refused_clearly(seeds_services, question):
    with pytest.raises(QuestionError):
        seeds_services.assistant.ask(question)


def test_a_markdown_answer_reads_as_text_while_its_citation_stays_verbatim(tmp_path, make_settings, real_embedder):
    """The answer is what the page shows (link text without its target, no emphasis markers, code in backticks);
    the citation quotes the file. In a list of "term: description" items the question about a description is
    answered with its term, even when a link target stands between them."""
    from rag.ingest.indexer import index_paths
    from rag.services import build_services

    corpus = tmp_path / "docs"
    corpus.mkdir()
    page = ("# Message brokers\n\nYou can use any of these alternative brokers:\n\n"
            "* [Kestrel](https://example.org/projects/kestrel-broker): A **Java** message queue with disk "
            "persistence.\n"
            "* [Borealis](https://example.org/projects/borealis): an AMQP broker compatible with MQTT among other "
            "listed protocols.\n"
            "* [Quill](https://example.org/projects/quill): a broker for embedded devices.\n\n"
            "Set `broker_url` to the address of the broker you run.\n")
    (corpus / "brokers.md").write_text(page)
    settings = make_settings()
    index_paths([corpus], settings, embedder=real_embedder)
    services = build_services(settings, embedder=real_embedder)

    answer = services.assistant.ask("Among the alternative brokers listed, which one is a Java message queue?",
                                    mode="extractive")
    assert not answer.abstained
    assert answer.answer == "Kestrel: A Java message queue with disk persistence. [1]"
    quote = answer.citations[0].quote
    assert page[answer.citations[0].start:answer.citations[0].end] == quote
    assert "(https://example.org/projects/kestrel-broker)" in quote and "**Java**" in quote
    assert answer.short_answer is not None and answer.short_answer.text == "Kestrel"
    assert page[answer.short_answer.start:answer.short_answer.end] == "Kestrel"

