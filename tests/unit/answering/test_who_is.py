"""'Who is <name>?' asks what the text says the person is (rag.answering.who_is), read from spaCy's real parse."""

from __future__ import annotations

import pytest

from rag.answering.who_is import asked_person, described
from rag.nlp import parse
from tests.support.pages import index_page


@pytest.mark.parametrize(("question", "name"), [
    ("Who is Kishida?", "Kishida"),
    ("who is richard marles", "richard marles"),
    ("Who's Yoon Suk-yeol?", "Yoon Suk-yeol"),
    ("Who was Rollo?", "Rollo"),
    ("Who is the president of Taiwan?", None),  # a role asked: the answer is a name
    ("Who was Emma's brother?", None),
    ("Who is responsible for allocating externalIPs for a Service?", None),
    ("Who was that minister?", None),
    ("What is Kishida?", None),
])
def test_the_name_a_who_is_question_asks_about(question, name):
    assert asked_person(question) == name


@pytest.mark.parametrize(("text", "name", "description"), [
    # a title before the name, with its "of ..." when it has one, and titles joined by "and"
    ("The summit opened when Japanese Prime Minister Kishida Fumio arrived.", "Kishida", "Japanese Prime Minister"),
    ("Leaders met: President Yoon Suk-yeol of the Republic of Korea, and others.", "Yoon Suk-yeol",
     "President Yoon Suk-yeol of the Republic of Korea"),
    ("It met with Deputy Prime Minister and Defense Minister Richard Marles of Australia.", "Richard Marles",
     "Deputy Prime Minister and Defense Minister Richard Marles of Australia"),
    ("The alliance is between Moscow and North Korean leader Kim Jong Un.", "Kim", "North Korean leader"),
    # an appositive, after an honorific too, and where the parser hangs it on an earlier noun
    ("Fumio Kishida, Japan's prime minister, said the country would act.", "Kishida", "Japan's prime minister"),
    ("It was named after Sir Edmund Hale, a Scottish surveyor and founder of the Survey Office.", "Edmund Hale",
     "a Scottish surveyor and founder of the Survey Office"),
    ("In Ohio, supporters of Mara Quist, a conservative activist from Dayton, held a rally.", "Mara Quist",
     "a conservative activist from Dayton"),
    # the name as the appositive of its role; a copula, either way round (the phrase without its relative clause)
    ("The first mayor of Eastport, Ingrid Dahl, opened the bridge.", "Ingrid Dahl", "The first mayor of Eastport"),
    ("Rollo was a Viking who became the first ruler of Normandy.", "Rollo", "a Viking"),
    ("Another important French historian of the period was Hippolyte Taine.", "Taine",
     "Another important French historian of the period"),
])
def test_the_words_that_say_who_the_person_is(text, name, description):
    span = described(parse(text), name)
    assert span is not None and text[span[0]:span[1]] == description


@pytest.mark.parametrize(("text", "name"), [
    ("Such concerns are the rationale behind the Kishida administration's courting of nations.", "Kishida"),
    ("The most striking alliance is between Putin and North Korean leader Kim Jong Un.", "Putin"),
    ("Trump and Kim Jong Un met in Singapore.", "Trump"),  # another person's name is not a title
    ("The harbour was rebuilt in 1881.", "Sandvik"),
])
def test_a_text_that_only_names_the_person_says_nothing_of_who_it_is(text, name):
    assert described(parse(text), name) is None


HARBOUR = ("# Harbour history\n\nThe old harbour was rebuilt in 1881 after the great storm.\n\n"
           "Harbour master Elin Sandvik opened the new pier that spring, and the first ferry docked in May.\n\n"
           "Tomas Berg was a shipwright who built the lighthouse on the northern breakwater.\n\n"
           "The pier was extended in 1902, when Anders Lund and Elin Sandvik's nephew paid for the work.\n")


def test_who_is_is_answered_with_what_the_page_says_the_person_is(tmp_path_factory, real_embedder):
    services = index_page(tmp_path_factory, real_embedder, "harbour.md", HARBOUR)[0]

    for question, said in [("Who is Elin Sandvik?", "Harbour master"),
                           ("Who was Tomas Berg?", "a shipwright")]:
        answer = services.assistant.ask(question, mode="extractive")
        assert not answer.abstained, (question, answer.answer)
        assert answer.short_answer is not None and answer.short_answer.text == said, (question, answer.short_answer)
        assert HARBOUR[answer.short_answer.start:answer.short_answer.end] == said
        for citation in answer.citations:
            assert HARBOUR[citation.start:citation.end] == citation.quote
        assert any(said in c.quote for c in answer.citations)

    # named, but nothing says who he is: refused, saying the passages mention him (not answered with another name)
    lund = services.assistant.ask("Who is Anders Lund?", mode="extractive")
    assert lund.abstained and '"Anders Lund"' in lund.answer and "mention" in lund.answer, lund.answer


def test_who_is_on_the_seed_article(seeds_services, seed_text):
    answer = seeds_services.assistant.ask("Who is Richard Marles?", mode="extractive")
    assert not answer.abstained, answer.answer
    short = answer.short_answer
    assert short is not None and "Deputy Prime Minister and Defense Minister" in short.text
    assert seed_text[short.start:short.end] == short.text
    assert seeds_services.assistant.ask("Who is Kishida?", mode="extractive").short_answer.text \
        == "Japanese Prime Minister"
