"""The claim checks of the citation verifier on parsed text pairs (spaCy model; no embedder, no index)."""

from __future__ import annotations

import json

import pytest

from eval.errors import GoldFileError
from eval.probes import is_probe_file, load_probes
from rag.cite import alignment, name_checks
from rag.cite.alignment import SpanFacts
from rag.cite.claims import split_claims
from rag.cite.quantities import quantities
from rag.nlp import parse


def keys(text: str) -> list[set[str]]:
    return [set(q.keys) for q in quantities(parse(text))]


@pytest.mark.parametrize(("a", "b"), [
    ("six months", "6 months"), ("a dozen tanks", "12 tanks"), ("$12 billion", "12,000,000,000 dollars"),
    ("World War II", "World War 2"), ("the 75th anniversary", "the seventy-fifth anniversary"),
    ("last month", "the previous month"), ("yesterday", "the previous day"), ("July 11", "11 July"),
    ("twenty-one leaders", "21 leaders"), ("Kubernetes v1.30", "Kubernetes 1.30"),
])
def test_equal_values_written_differently_have_a_key_in_common(a, b):
    [ka], [kb] = keys(a), keys(b)
    assert ka & kb, (ka, kb)


@pytest.mark.parametrize(("a", "b"), [
    ("six months", "four months"), ("World War I", "World War II"), ("the second time", "the first time"),
    ("July 4", "July 11"), ("last year", "last month"), ("for decades", "for years"), ("$12 million", "$12 billion"),
])
def test_different_values_have_no_key_in_common(a, b):
    ka, kb = set().union(*keys(a)), set().union(*keys(b))
    assert ka and kb and not ka & kb, (ka, kb)


def test_words_that_only_look_like_numbers_are_not_numbers():
    assert keys("I think one of them said so, and this is the 30 second timeout.") == [{"30:second", "dur:s:30"}]
    assert keys("On July 4 the Indo-Pacific Four met.") == [{"date:7-4"}, {"4"}]


def claims(text: str) -> list[str]:
    return [c.text for c in split_claims(parse(text))]


def test_clauses_and_coordinated_predicates_are_claims():
    assert claims("Kim welcomed Putin in Pyongyang last month and North Korea and Russia quickly entered into a "
                  "new military cooperation agreement.") == [
        "Kim welcomed Putin in Pyongyang last month",
        "North Korea and Russia quickly entered into a new military cooperation agreement"]
    assert claims("Japan froze Russian assets and sent $12 billion of aid to Ukraine.") == [
        "Japan froze Russian assets", "Japan sent $12 billion of aid to Ukraine"]
    assert claims("Japan, which has nuclear weapons, signed the accord.") == [
        "Japan which has nuclear weapons", "Japan signed the accord"]


def test_a_condition_stays_in_its_claim():
    assert claims("If no tag is specified, Kubernetes assumes the tag latest.") == [
        "If no tag is specified, Kubernetes assumes the tag latest"]


def check(check_fn, claim: str, span: str, passage: str | None = None) -> str | None:
    tokens = list(parse(claim))
    facts = SpanFacts.of([parse(span)])
    if check_fn is name_checks.check_names:
        return check_fn(tokens, facts, SpanFacts.of_words((passage or span).split()))
    return check_fn(tokens, facts)


SPAN = ("As NATO gathered in Washington, Biden met Prime Minister Christopher Luxon of New Zealand and "
        "Deputy Prime Minister Richard Marles of Australia.")


@pytest.mark.parametrize(("claim", "reason"), [
    ("Biden met Luxon in Washington.", None),
    ("Biden met the New Zealand prime minister in Washington.", None),
    ("Obama met Luxon in Washington.", "name 'Obama' not in the cited text"),  # the first word is checked too
    ("Biden met Luxon in Brussels.", "name 'Brussels' not in the cited text"),
])
def test_names_must_be_in_the_span(claim, reason):
    assert check(name_checks.check_names, claim, SPAN) == reason


def test_a_name_tied_to_another_must_be_tied_to_it_in_the_span():
    assert check(name_checks.check_links, "Biden met Luxon of New Zealand.", SPAN) is None
    assert check(name_checks.check_links, "Biden met Luxon of Australia.", SPAN) == (
        "'Australia' is not said of 'Luxon' in the cited text")
    # "in Washington" after the verb's object may belong to the verb: not a link to check
    span = ("As NATO gathered for its 75th anniversary in Washington, on July 11, U.S. President Joe Biden met with "
            "the Indo-Pacific Four (IP4) leaders.")
    assert check(name_checks.check_links, "Biden met the leaders of the Indo-Pacific Four in Washington on 11 July.",
                 span) is None


def test_demonyms_acronyms_and_identifiers():
    span = "Japan's Self Defense Force works with NATO; North Korea supplied KN-23 missiles."
    assert check(name_checks.check_names, "The Japanese SDF works with NATO.", span) is None
    assert check(name_checks.check_names, "North Korea supplied KN-25 missiles.", span) == (
        "name 'KN-25' not in the cited text")


@pytest.mark.parametrize(("claim", "span", "reason"), [
    ("China has moderated its ambitions.", "China has not moderated its ambitions.", "negation differs"),
    ("China has not moderated its ambitions.", "China has moderated its ambitions.", "negation differs"),
    ("China has not moderated its ambitions.", "China has not moderated its ambitions.", None),
    ("Summits have not reversed Kim's ambitions.", "Summits have failed to reverse Kim's ambitions.", None),
    ("Tokyo will need to build frameworks.", "Tokyo will not only need to build frameworks but also adapt.", None),
    ("The name must be short.", "The name must be no longer than 52 characters.", None),
])
def test_polarity(claim, span, reason):
    assert check(alignment.check_polarity, claim, span) == reason


def test_antonyms_even_when_the_word_occurs_elsewhere_in_the_span():
    assert check(alignment.check_antonyms, "The U.S. has decreased its drills.", "The U.S. has increased its drills.") \
        == "'decreased' where the cited text says 'increase'"
    assert check(alignment.check_antonyms, "Japan last month became the last country to sign.",
                 "Japan last month became the first country to sign.") == "'last' where the cited text says 'first'"
    assert check(alignment.check_antonyms, "Secrets are stored encrypted.", "Secrets are stored unencrypted.")


def test_swapped_roles_and_passive_paraphrase():
    span = "Kim welcomed Putin in Pyongyang."
    assert check(alignment.check_roles, "Putin welcomed Kim in Pyongyang.", span) == "subject and object swapped"
    assert check(alignment.check_roles, "Putin was welcomed by Kim in Pyongyang.", span) is None
    assert check(alignment.check_roles, "Kim was welcomed by Putin.", span) == "subject and object swapped"


def test_probe_files_are_recognised_and_checked(tmp_path):
    good = {"id": "p1", "kind": "reversed", "corpus": "seeds", "question": "q", "claim": "c", "cite": "x",
            "source": "a.txt", "supported": False, "split": "dev"}
    path = tmp_path / "probes.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "p2", "kind": "guess"}) + "\n"
                    + json.dumps({"id": "p3", "kind": "faithful", "claim": "c"}) + "\n")
    assert is_probe_file(path)
    with pytest.raises(GoldFileError, match=r"2 invalid probe line\(s\): line 2: kind 'guess' .*line 3: missing"):
        load_probes(path)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "q1", "question": "q", "answers": [], "evidence": [], "source": None}) + "\n")
    assert not is_probe_file(gold)


def test_probe_files_are_not_default_gold_files_and_do_not_mix_with_them(tmp_path):
    from eval.session import default_gold_files, evaluate
    from rag.errors import ConfigError
    from rag.settings import Settings

    assert [p.name for p in default_gold_files()] == ["followups.jsonl", "seeds.jsonl"]
    probes = tmp_path / "probes.jsonl"
    probes.write_text(json.dumps({"id": "p1", "kind": "faithful", "corpus": "seeds", "question": "q", "claim": "c",
                                  "cite": "x", "source": "a.txt", "supported": True, "split": "dev"}) + "\n")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "q1", "question": "q", "answers": [], "evidence": [], "source": None}) + "\n")
    with pytest.raises(ConfigError, match="separate `rag eval` runs"):
        evaluate([probes, gold], Settings(_env_file=None, index_dir=tmp_path / "index"))
