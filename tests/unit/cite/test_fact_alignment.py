"""Changed-fact checks of the citation verifier on real parses (en_core_web_sm; no embedder, no index): units,
percentages, currencies, fractions, multiples, clock times, seasons, frequencies, relative time, magnitudes, and
numbers and names compared where they stand in the aligned span, not anywhere in it."""

from __future__ import annotations

import pytest

from rag.cite import name_checks
from rag.cite.alignment import SpanFacts
from rag.cite.quantities import check_quantities, check_quantity_slots, quantities
from rag.nlp import parse


def quantity_reason(claim: str, span: str) -> str | None:
    return check_quantities(list(parse(claim)), SpanFacts.of([parse(span, entities=False)]))


def number_slot_reason(claim: str, span: str) -> str | None:
    return check_quantity_slots(list(parse(claim)), SpanFacts.of([parse(span, entities=False)]))


def slot_reason(claim: str, span: str) -> str | None:
    return name_checks.check_name_slots(list(parse(claim)), SpanFacts.of([parse(span, entities=False)]))


# Each row: a claim, a span that says the same, a span that changes one fact of it.
SAME_AND_CHANGED = [
    ("Sales rose 15 percent last year.", "Last year sales rose 15%.", "Last year sales rose 25%."),
    ("Sales rose 15 per cent.", "Sales rose 15%.", "Sales rose 15 percentage points."),
    ("The ConfigMap limit is 1 MiB.", "A ConfigMap can hold at most 1 MiB.", "A ConfigMap can hold at most 1 GiB."),
    ("The cable is 5 km long.", "The cable runs 5 kilometres.", "The cable runs 5 miles."),
    ("The project costs €5 million.", "The project costs 5 million euros.", "The project costs $5 million."),
    ("Half of the members voted for it.", "Fifty percent of the members voted for it.",
     "A third of the members voted for it."),
    ("Two thirds of voters agreed.", "Two-thirds of voters agreed.", "One third of voters agreed."),
    ("Turnout fell by a quarter.", "Turnout fell by 25%.", "Turnout fell by a half."),
    ("Prices doubled in a year.", "Prices rose twofold in a year.", "Prices tripled in a year."),
    ("The store opens at 9 p.m.", "The store opens at 21:00.", "The store opens at 9 a.m."),
    ("The festival takes place in spring.", "In spring the festival takes place.",
     "The festival takes place in autumn."),
    ("The backup runs daily.", "The backup runs every day.", "The backup runs every week."),
    ("The report is published once a year.", "The report is published every year.",
     "The report is published once a month."),
    ("The treaty was signed a year ago.", "The treaty was signed last year.", "The treaty was signed a month ago."),
    ("The study lasted a decade.", "The study lasted ten years.", "The study lasted a year."),
    ("The trial ran for a fortnight.", "The trial ran for two weeks.", "The trial ran for a week."),
    ("The timeout is 90 seconds.", "The timeout is 1.5 minutes.", "The timeout is 90 minutes."),
    ("A 10-minute break follows.", "A break of ten minutes follows.", "A 10-hour break follows."),
    ("Hundreds of people attended.", "About 300 people attended.", "Thousands of people attended."),
    ("The meeting was held in May.", "In May the meeting was held.", "The meeting was held in March."),
    # units written onto the number, as configuration and documentation write them
    ("The container is limited to 128 MiB of memory.", "The container has a limit of 128Mi of memory.",
     "The container has a limit of 128Gi of memory."),
    ("The kubelet checks the thresholds every 10 seconds.", "The kubelet checks the thresholds every 10s.",
     "The kubelet checks the thresholds every 10m."),
    ("The grace period is 90 seconds.", "The grace period is 1m30s.", "The grace period is 1m40s."),
    ("Eviction starts below 100 MiB of available memory.", "The default is memory.available<100Mi.",
     "The default is memory.available<500Mi."),
    ("The period defaults to 5 minutes.", "The period has a default value of `5m`.",
     "The period has a default value of `5s`."),
    ("The deal is worth $5 million.", "The deal is worth $5m.", "The deal is worth $5bn."),
]


@pytest.mark.parametrize(("claim", "same", "changed"), SAME_AND_CHANGED)
def test_a_changed_quantity_is_caught_and_the_same_one_written_otherwise_is_not(claim, same, changed):
    assert quantity_reason(claim, same) is None
    reason = quantity_reason(claim, changed)
    assert reason is not None and "not in the cited text" in reason


def test_a_bare_number_is_found_with_a_unit_but_not_a_unit_without_one():
    assert quantity_reason("The limit is 5.", "The limit is 5 km.") is None
    assert quantity_reason("The limit is 5 km.", "The limit is 5.") == "number 5 km not in the cited text"
    assert quantity_reason("The limit is 5 km.", "The limit is 5 miles.") == "number 5 km not in the cited text"


def test_may_the_month_is_a_date_in_a_span_parsed_without_entities_and_may_the_verb_is_not():
    assert [set(q.keys) for q in quantities(parse("It was held in May.", entities=False))] == [{"month:5"}]
    assert quantities(parse("It may rain.", entities=False)) == []


def test_fraction_words_and_ordinals_are_kept_apart():
    assert [set(q.keys) for q in quantities(parse("A third country joined.", entities=False))] == [{"ord:3"}]
    assert [set(q.keys) for q in quantities(parse("A third of the members joined.", entities=False))] == [
        {"frac:0.33"}]


@pytest.mark.parametrize(("claim", "span", "reason"), [
    # the number is in the span, but said of something else
    ("The name of a CronJob must be no longer than 63 characters.",
     "The name must be no longer than 52 characters, and a Job name can be no more than 63 characters.",
     "number 63 where the cited text says 52"),
    ("Japan gave Ukraine $15 billion in aid.",
     "Japan gave Ukraine $12 billion in aid and pledged $15 billion for reconstruction.",
     "number $15 billion where the cited text says $12 billion"),
    ("Japan gave Ukraine $12 billion in aid.",
     "Japan gave Ukraine $12 billion in aid and pledged $15 billion for reconstruction.", None),
    ("A Job name can be no more than 63 characters.",
     "The name must be no longer than 52 characters, and a Job name can be no more than 63 characters.", None),
    # coordinated numbers share their slot
    ("The delays are 10 and 40 seconds.", "The delays are 10, 20 and 40 seconds.", None),
])
def test_numbers_are_compared_where_they_stand(claim, span, reason):
    assert quantity_reason(claim, span) is None  # every number is somewhere in the span
    assert number_slot_reason(claim, span) == reason


@pytest.mark.parametrize(("claim", "span", "reason"), [
    ("He served as mayor of Lyon.", "He served as mayor of Paris, not far from Lyon.",
     "'Lyon' where the cited text says 'Paris'"),
    ("Another Chinese buoy was found in Japan's EEZ.", "Another Chinese buoy was found in South Korea's EEZ, "
     "Japan said.", "'Japan' where the cited text says 'South Korea'"),
    ("Suspending a Job deletes its Pods until the CronJob is resumed.",
     "Suspending a Job deletes its active Pods until the Job is resumed by the CronJob controller.",
     "'CronJob' where the cited text says 'Job'"),
    ("The default restartPolicy of a Pod is OnFailure.",
     "A Pod has a restartPolicy field with possible values Always, OnFailure, and Never. The default value is "
     "Always.", "'OnFailure' where the cited text says 'Always'"),
    # the same names in the same slots, coordinated or reordered: no reason
    ("Biden met Marles in Washington.", "As NATO gathered in Washington, Biden met Prime Minister Christopher "
     "Luxon of New Zealand and Deputy Prime Minister Richard Marles of Australia.", None),
    ("Japan and Australia signed the accord.", "Australia and Japan signed the accord.", None),
    ("A Pod's restartPolicy can be Always, OnFailure or Never.",
     "A Pod has a restartPolicy field with possible values Always, OnFailure, and Never. The default value is "
     "Always.", None),
    ("The default restartPolicy of a Pod is Always.",
     "A Pod has a restartPolicy field with possible values Always, OnFailure, and Never. The default value is "
     "Always.", None),
    # markup is not a name: the shortcode's attribute in the slot does not count as another name
    ("You push the image to a registry before referring to it in a Pod.",
     'You push it to a registry before referring to it in a {{< glossary_tooltip text="Pod" term_id="pod" >}}.',
     None),
    # a name the span lacks altogether is left to check_names
    ("The summit was held in Berlin.", "The summit was held in Paris.", None),
])
def test_names_are_compared_where_they_stand(claim, span, reason):
    assert slot_reason(claim, span) == reason


def test_clearing_the_caches_forgets_the_parses_but_changes_no_reason():
    from rag import nlp, text
    from rag.cite.claim_verify import clear_caches

    claim, span = "Turnout fell by a quarter in 2020.", "In 2020 turnout fell by a half."
    before = quantity_reason(claim, span)
    parsed = parse(span, entities=False)
    assert parse(span, entities=False) is parsed  # cached
    text.content_terms(span)
    assert text._content_terms.cache_info().currsize > 0
    clear_caches()
    assert parse(span, entities=False) is not parsed
    assert text._content_terms.cache_info().currsize == 0  # content terms are recomputed too
    assert quantity_reason(claim, span) == before == "number 'a quarter' not in the cited text"
    assert nlp._cache  # refilled by the parses above


def test_a_unit_kept_apart_from_its_number_by_markup_still_counts_but_another_unit_does_not():
    assert quantity_reason("A request for 1.0 CPU asks for one core.", "You asked for `1.0` CPU.") is None
    assert quantity_reason("The cable is 5 km long.", "The cable is 5 miles long, not 8 km.") == (
        "number 5 km not in the cited text")


def test_the_parts_of_a_hyphenated_identifier_are_words_of_the_span():
    facts = SpanFacts.of([parse("You can use the `eviction-pressure-transition-period` flag.", entities=False)])
    assert facts.has_word("eviction") and facts.has_word("transition")
    assert not facts.has_word("housekeeping")


def test_a_name_in_the_heading_of_the_cited_section_counts_as_said():
    tokens = list(parse("A DNS subdomain name can contain at most 253 characters."))
    facts = SpanFacts.of([parse("contain no more than 253 characters", entities=False)])
    passage = SpanFacts.of_words("contain no more than 253 characters".split())
    assert name_checks.check_names(tokens, facts, passage) == "name 'DNS' not in the cited text"
    passage.headings = SpanFacts.of_words("Concepts Names DNS Subdomain Names".split())
    assert name_checks.check_names(tokens, facts, passage) is None


def test_the_anchor_of_a_two_sentence_span_is_not_the_sentence_naming_a_hyphenated_flag():
    from rag.cite.claim_verify import ClaimChecker
    from rag.cite.claims import split_claims

    [claim] = split_claims(parse("The eviction pressure transition period defaults to five minutes."))
    sentences = ["You can use the `eviction-pressure-transition-period` flag to control how long the kubelet waits.",
                 "The transition period has a default value of `5m`."]
    assert ClaimChecker._anchor(claim, sentences) == sentences[1]
    # the sentence with the claim's words, not another sentence that happens to have its date
    [claim] = split_claims(parse("Kim welcomed Putin with fanfare in Pyongyang last year."))
    sentences = ["It is likely that North Korea has, since last year, been providing Russia with missiles.",
                 "Kim welcomed Putin with fanfare in Pyongyang last month."]
    assert ClaimChecker._anchor(claim, sentences) == sentences[1]


def test_a_verb_in_another_verbs_slot_is_a_paraphrase_a_noun_in_another_nouns_slot_is_not():
    from rag.cite.claim_verify import ClaimChecker
    from rag.cite.verify import _Vectors
    from rag.embedding.hashing import HashEmbedder

    checker = ClaimChecker(_Vectors(HashEmbedder()), 0.6)

    def swapped(claim: str, span: str):
        facts = SpanFacts.of([parse(span, entities=False)])
        return checker._additions(list(parse(claim)), facts, SpanFacts.of_words(span.split()))[2]

    assert swapped("After a container has run for 10 minutes without problems, the kubelet resets its timer.",
                   "Once a container has executed for 10 minutes without any problems, the kubelet resets the "
                   "timer for that container.") is None
    assert swapped("Japan looks to it with confidence.", "Japan looks to it with dismay.") == (
        "'confidence' where the cited text says 'dismay'")


def test_greater_for_lesser_reverses_the_statement():
    from rag.cite import alignment

    span = parse("If both are set, the kubelet uses the lesser of the two grace periods.", entities=False)
    claim = list(parse("If both are set, the kubelet uses the greater of the two grace periods."))
    assert alignment.check_antonyms(claim, SpanFacts.of([span])) == "'greater' where the cited text says 'lesser'"


def test_the_anchor_sentence_checks_the_numbers_it_has_rivals_for():
    from rag.cite.quantities import check_anchor_quantities

    def anchor_reason(claim: str, anchor: str) -> str | None:
        return check_anchor_quantities(list(parse(claim)), SpanFacts.of([parse(anchor, entities=False)]))

    assert anchor_reason("Kim welcomed Putin in Pyongyang last year.", "Kim welcomed Putin in Pyongyang last month.") \
        == "date 'last year' not in the cited text"
    assert anchor_reason("The field is optional and defaults to 1.",
                         "`.spec.replicas` is an optional field that specifies the number of desired Pods.") is None


def test_a_camel_case_field_named_in_the_heading_as_words_counts_as_said():
    tokens = list(parse("The default value of maxUnavailable is 25 percent."))
    facts = SpanFacts.of([parse("The default value is 25%.", entities=False)])
    passage = SpanFacts.of_words("The default value is 25%.".split())
    assert name_checks.check_names(tokens, facts, passage) == "name 'maxUnavailable' not in the cited text"
    passage.headings = SpanFacts.of_words("Deployments Rolling Update Deployment Max Unavailable".split())
    assert name_checks.check_names(tokens, facts, passage) is None


def test_the_same_number_with_its_unit_is_not_another_number_in_the_slot():
    assert number_slot_reason("The arguments give a node a score of 0 at 0% utilization.",
                              "The arguments give the node a score of 0 if utilization is 0%.") is None


def test_a_negation_does_not_spread_to_a_verb_with_its_own_object_after_and():
    from rag.cite import alignment

    negated = alignment.negated_lemmas(list(parse("It does not start the Job and logs the error.")))
    assert "start" in negated and "log" not in negated
    assert {"reverse", "weaken"} <= alignment.negated_lemmas(list(parse("The summit did not reverse or weaken the "
                                                                        "policy.")))


def test_markdown_emphasis_is_not_part_of_the_words():
    from rag.cite import alignment

    span = parse("For a production cluster, consider _not_ deleting the `default` namespace.", entities=False)
    assert "delete" in alignment.negated_lemmas(list(span))
