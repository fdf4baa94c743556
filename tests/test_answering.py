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


def test_stored_sentence_vectors_answer_like_live_embedding(seeds_index_dir, real_embedder, seed_text, tmp_path):
    """The answerer reads sentence vectors from the index; on a snapshot without them (written by the previous
    format, same model) it embeds the candidate sentences live and gives the same answer and citations."""
    import json
    import shutil

    from rag.services import build_services
    from rag.settings import Settings
    from rag.store.snapshot import current_path

    old = tmp_path / "index"
    shutil.copytree(seeds_index_dir, old, symlinks=True)
    snap = current_path(old)
    shutil.rmtree(snap / "sentences")
    manifest = json.loads((snap / "manifest.json").read_text())
    (snap / "manifest.json").write_text(json.dumps(dict(manifest, format=1)))

    stored = build_services(Settings(_env_file=None, index_dir=seeds_index_dir), embedder=real_embedder).assistant
    live = build_services(Settings(_env_file=None, index_dir=old), embedder=real_embedder).assistant
    assert live.retriever.snapshot_getter().sentences is None
    for question in ("Where did Kim welcome Putin?", "Which missile has North Korea likely provided to Russia?"):
        a, b = stored.ask(question), live.ask(question)
        assert b.answer == a.answer and [c.quote for c in b.citations] == [c.quote for c in a.citations]
        assert_citations_verbatim(b, seed_text)


@pytest.mark.parametrize("question", ["Where did Kim welcome Putin?", "Which missile has North Korea likely provided "
                                      "to Russia?", "How much aid has Japan provided to Ukraine?"])
def test_short_answer_is_a_verbatim_span_inside_a_citation(seeds_services, seed_text, question):
    answer = seeds_services.assistant.ask(question)
    assert not answer.abstained and answer.short_answer is not None
    short = answer.short_answer
    assert seed_text[short.start:short.end] == short.text
    assert any(c.source == short.source and c.start <= short.start and short.end <= c.end for c in answer.citations)
    data = answer.to_json()["short_answer"]
    assert data == {"text": short.text, "start": short.start, "end": short.end, "source": short.source}


def test_no_short_answer_when_abstaining_or_for_a_why_question(seeds_services):
    assert seeds_services.assistant.ask("What is the boiling point of water?").to_json()["short_answer"] is None
    why = seeds_services.assistant.ask("Why does Japan look to NATO?")
    assert why.short_answer is None
