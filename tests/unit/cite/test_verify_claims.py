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


def test_a_root_word_is_compared_with_the_span_roots():
    """A sentence's root word is its own head in spaCy's parse: its slot is the root's, not the words that the root
    word governs elsewhere in the span ("allowed" is the span's root too; "block", under another "allow", is not
    put in its place)."""
    span = ("Traffic to and from the node where a Pod is running is always allowed. Policies allow you to block "
            "other traffic.")
    assert check(alignment.check_antonyms, "Traffic to and from the node a Pod runs on is always allowed.",
                 span) is None
    assert check(alignment.check_antonyms, "Traffic to and from the node a Pod runs on is always blocked.",
                 "Traffic to and from the node where a Pod is running is always allowed.") is not None


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
    # a split no probe is in is named, with the splits there are
    with pytest.raises(ConfigError, match=r"No probe of .*probes.jsonl is in split 'test' \(its splits: dev\)"):
        evaluate([probes], Settings(_env_file=None, index_dir=tmp_path / "index"), split="test")


@pytest.mark.parametrize(("claim", "span", "reason"), [
    # a demonym of a country whose name has more words, and the official long form
    ("Biden met South Korean President Yoon.", "Biden met President Yoon Suk-yeol of the Republic of Korea.", None),
    ("Biden met the president of South Korea.", "Biden met President Yoon Suk-yeol of the Republic of Korea.", None),
    ("The PRC sent a buoy.", "The People's Republic of China sent a buoy.", None),
    ("British troops arrived.", "Troops of the United Kingdom arrived.", None),
    ("The U.S. increased its drills.", "The United States of America increased its drills.", None),
    # the longest form is the place named: the DPRK is not the Republic of Korea
    ("South Korean missiles were tested.", "Missiles of the Democratic People's Republic of Korea were tested.",
     "name 'South Korean' not in the cited text"),
    ("North Korean missiles were tested.", "Missiles of the Republic of Korea were tested.",
     "name 'North Korean' not in the cited text"),
])
def test_countries_match_in_any_of_their_forms_and_only_their_own(claim, span, reason):
    assert check(name_checks.check_names, claim, span) == reason


def test_places_are_read_longest_form_first():
    from rag.cite.places import place_of, places_in
    from rag.text import fold

    assert place_of("South Korean") == place_of("Republic of Korea") == place_of("the ROK")
    assert place_of("North Korean") != place_of("South Korea")
    assert places_in(fold("the Democratic People’s Republic of Korea")) == {place_of("North Korea")}
    assert place_of("Kubernetes") is None


def test_support_verbs_a_paraphrase_adds_are_not_added_content():
    span = "tolerationSeconds: 3600 means the pod stays bound for 3600 seconds."
    facts = SpanFacts.of([parse(span, entities=False)])
    added = [t.text for t in alignment.new_words(list(parse("With tolerationSeconds set to 3600, the pod stays bound."))
                                                  , facts)]
    assert "set" not in added
    # the noun "set" is content, and so is a verb that is not a support verb
    assert alignment.content_words(list(parse("A set of nodes is chosen.")))[0].text == "set"
    assert [t.text for t in alignment.new_words(list(parse("The pod stays bound and logs a warning.")), facts)] == [
        "logs", "warning"]


def test_support_verbs_are_not_claim_terms():
    from rag.cite.claim_verify import claim_terms

    claim = split_claims(parse("The field is set to 3600."))[0]
    assert claim_terms(claim) == {"field", "3600"}
    claim = split_claims(parse("Each set of nodes is scored."))[0]
    assert "set" in claim_terms(claim)


@pytest.mark.parametrize(("claim", "span", "reason"), [
    # "without" denies what follows it, not the verb it hangs on
    ("Pods that do not tolerate the taint remain bound forever.",
     "Pods that tolerate the taint without specifying tolerationSeconds remain bound forever.", "negation differs"),
    ("Pods that tolerate the taint without specifying tolerationSeconds remain bound forever.",
     "Pods that tolerate the taint without specifying tolerationSeconds remain bound forever.", None),
    # avoid / refrain from + verb negate the verb
    ("Japan should avoid strengthening its cooperation with NATO.",
     "Japan should seek to strengthen its cooperation with NATO.", "negation differs"),
    ("Users should refrain from using the default namespace.",
     "Users should consider not using the default namespace.", None),
    # "use" negated in one text only is a reversal
    ("For a production cluster, use the default namespace.",
     "For a production cluster, consider not using the default namespace.", "negation differs"),
])
def test_polarity_of_without_avoid_and_use(claim, span, reason):
    assert check(alignment.check_polarity, claim, span) == reason


def test_ending_what_the_span_maintains_is_a_reversal():
    assert check(alignment.check_antonyms, "Ending its alliance with the United States is the best option.",
                 "Maintaining its alliance with the United States is the best option.") == (
        "'Ending' where the cited text says 'maintain'")


def test_a_stative_participle_the_span_lacks_is_a_predicate_and_an_event_passive_is_not():
    from rag.cite.claim_verify import _stative_participle

    required = [t for t in parse("The replicas field of a Deployment is required.") if t.lower_ == "required"][0]
    evicted = [t for t in parse("The pod is evicted after an hour.") if t.lower_ == "evicted"][0]
    assert _stative_participle(required) and not _stative_participle(evicted)


def test_a_predicate_that_borrows_its_subject_is_read_in_its_parent_claims_span():
    from rag.cite.claim_verify import _parent_claim

    found = split_claims(parse("The pod stays bound to the node for an hour, and is then evicted."))
    assert [c.text for c in found] == ["The pod stays bound to the node for an hour", "The pod is then evicted"]
    assert _parent_claim(found[1], found) == 0
    assert _parent_claim(found[0], found) is None
    # a clause with a subject of its own is checked on its own spans
    found = split_claims(parse("Kim welcomed Putin in Pyongyang and the two leaders signed a pact."))
    assert len(found) == 2 and _parent_claim(found[1], found) is None


def test_a_subordinate_clause_is_read_in_its_parent_claims_span_first_and_a_contrast_is_not():
    from rag.cite.claim_verify import _depth, _parent_claim

    found = split_claims(parse("The query for data.prod returns the intended result because the namespace is "
                               "specified in it."))
    assert [c.text for c in found][1] == "the namespace is specified in it"
    assert _parent_claim(found[1], found) == 0
    # the clause comes first in the sentence: its parent is still checked before it
    found = split_claims(parse("Since the kubelet restarts it, the init container eventually succeeds."))
    parents = [_parent_claim(c, found) for c in found]
    assert parents == [1, None] and sorted(range(2), key=lambda i: (_depth(i, parents), i)) == [1, 0]
    # "while", "although": a fact of its own set against the parent's, read on its own spans
    found = split_claims(parse("The prefix of a label key is required, while the name segment is optional."))
    assert len(found) == 2 and _parent_claim(found[1], found) is None


def test_ordinal_adverbs_of_sequence_are_not_numbers_and_ranks_are():
    assert keys("When a node runs out of resources, Kubernetes will first evict BestEffort Pods.") == []
    assert keys("BestEffort Pods are evicted first, then Burstable Pods.") == []
    assert keys("At first, the kubelet waits.") == []
    assert keys("Japan came second in the vote.") == [{"ord:2"}]
    assert keys("Japan was the first country to sign it.") == [{"ord:1"}]


def test_an_order_both_texts_give_is_not_a_reversal_and_an_end_swapped_is():
    span = ("When a Node runs out of resources, Kubernetes will first evict BestEffort Pods running on that "
            "Node, followed by Burstable and finally Guaranteed Pods.")
    assert check(alignment.check_antonyms, "BestEffort Pods are evicted first, then Burstable Pods, and "
                 "Guaranteed Pods last.", span) is None
    assert check(alignment.check_antonyms, "BestEffort Pods are evicted last.",
                 "Kubernetes will first evict BestEffort Pods.") == "'last' where the cited text says 'first'"


@pytest.mark.parametrize(("claim", "span", "reason"), [
    ("Ephemeral volumes are specified outside the Pod spec, which complicates deployment.",
     "Ephemeral volumes are specified inline in the Pod spec, which simplifies deployment.",
     "'complicates' where the cited text says 'simplify'"),
    ("The sidecar containers are shut down in the same order.",
     "The sidecar containers are shut down in the opposite order.", "'same' where the cited text says 'opposite'"),
])
def test_common_opposites(claim, span, reason):
    assert check(alignment.check_antonyms, claim, span) == reason


def test_a_synonym_of_a_word_the_span_negates_differs_in_polarity():
    from rag.cite.claim_verify import ClaimChecker

    claim = list(parse("North Korea's missile tests are regarded as direct existential threats."))
    regarded = next(t for t in claim if t.lower_ == "regarded")
    negated = SpanFacts.of([parse("North Korea's missile tests are not felt as, or considered, direct existential "
                                  "threats to Japan.")])
    said = SpanFacts.of([parse("North Korea's missile tests are considered direct existential threats.")])
    assert ClaimChecker._synonym_polarity(regarded, "considered", claim, negated) == "negation differs"
    assert ClaimChecker._synonym_polarity(regarded, "considered", claim, said) is None


@pytest.mark.parametrize(("claim", "span", "reason"), [
    # a prefix negation or a negated opposite says the same as a negation
    ("By design, owner references across namespaces are not allowed.",
     "Cross-namespace owner references are disallowed by design.", None),
    ("By design, owner references across namespaces are allowed.",
     "Cross-namespace owner references are disallowed by design.", None),  # the antonym check's (below)
    # a gerund subject is not the predicate: "Deleting ... will not delete" negates the second only
    ("Scaling down or deleting a StatefulSet leaves its associated volumes in place.",
     "Deleting and/or scaling a StatefulSet down will not delete the volumes associated with the StatefulSet.",
     None),
    ("Scaling down or deleting a StatefulSet deletes its associated volumes.",
     "Deleting and/or scaling a StatefulSet down will not delete the volumes associated with the StatefulSet.",
     "negation differs"),
    # a plural noun tagged at the root of "X checks that ..." is the verb it spells
    ("A LimitRange checks that the default values it applies are consistent.",
     "A LimitRange does not check the consistency of the default values it applies.", "negation differs"),
])
def test_polarity_of_prefix_negation_gerund_subjects_and_a_root_noun(claim, span, reason):
    assert check(alignment.check_polarity, claim, span) == reason


@pytest.mark.parametrize(("claim", "span", "reason"), [
    ("By design, owner references across namespaces are allowed.",
     "Cross-namespace owner references are disallowed by design.", "'allowed' where the cited text says 'disallow'"),
    # "leave ... in place" is "keep": the same as "will not delete", the opposite of "deletes"
    ("Scaling down a StatefulSet leaves its volumes in place.",
     "Scaling a StatefulSet down will not delete the volumes associated with the StatefulSet.", None),
    ("Scaling down a StatefulSet leaves its volumes in place.",
     "Scaling a StatefulSet down deletes the volumes associated with the StatefulSet.",
     "'leaves' where the cited text says 'delete'"),
    # an idiom is not its words' pair
    ("The kubelet runs multiple init containers one after another.",
     "Kubelet runs each init container sequentially, and each must succeed before the next can run.", None),
    ("RuntimeClass assumes a heterogeneous node configuration.",
     "RuntimeClass assumes a homogeneous node configuration across the cluster by default.",
     "'heterogeneous' where the cited text says 'homogeneous'"),
])
def test_negated_opposites_idioms_and_new_pairs(claim, span, reason):
    assert check(alignment.check_antonyms, claim, span) == reason


def test_a_negated_opposite_is_not_added_content():
    facts = SpanFacts.of([parse("Scaling a StatefulSet down will not delete the volumes associated with it.")])
    added = alignment.new_words(list(parse("Scaling down a StatefulSet leaves its volumes in place.")), facts)
    assert [t.text for t in added] == []


def test_conditions_coordinated_subjects_and_sentential_relatives_are_not_split_off():
    found = split_claims(parse("If the named RuntimeClass doesn't exist, or the CRI can't run its handler, the Pod "
                               "enters the Failed terminal phase."))
    assert len(found) == 1
    found = split_claims(parse("Scaling down or deleting a StatefulSet leaves its associated volumes in place, "
                               "which is done to ensure data safety."))
    assert found[0].text.startswith("Scaling down or deleting a StatefulSet leaves its associated volumes in place, "
                                    "which is done")
    # a fragment too small to be a claim goes back into its nearest parent only
    found = split_claims(parse("The kubelet runs multiple init containers one after another, and each one has to "
                               "succeed before the next can run."))
    assert [c.text for c in found] == ["The kubelet runs multiple init containers one after another",
                                       "each one has to succeed before the next can run"]


def test_one_as_a_pronoun_is_not_a_claim_term():
    from rag.cite.claim_verify import claim_terms

    claim = split_claims(parse("Each one has to succeed before the next can run."))[0]
    assert "one" not in claim_terms(claim)
    claim = split_claims(parse("The Job runs one Pod."))[0]
    assert "one" in claim_terms(claim)


def test_an_object_both_texts_give_another_verb_is_not_a_role_swap():
    span = ("The eviction request that kubectl submits on your behalf may be temporarily rejected, so the tool "
            "periodically retries all failed requests until all Pods on the target node are terminated.")
    claim = ("Since the eviction request may be temporarily rejected, kubectl drain periodically retries all failed "
             "requests until every Pod on the node is terminated.")
    assert check(alignment.check_roles, claim, span) is None


def test_a_pascal_case_identifier_is_found_as_the_acronym_of_its_parts():
    span = "Unlike the HPA, the VPA doesn't come with Kubernetes by default."
    claim = "Unlike the HorizontalPodAutoscaler, the VPA is not part of Kubernetes by default."
    assert check(name_checks.check_names, claim, span) is None
    assert "HorizontalPodAutoscaler" not in [t.text for t in alignment.new_words(list(parse(claim)),
                                                                                 SpanFacts.of([parse(span)]))]
    assert check(name_checks.check_names, "Unlike the HorizontalPodAutoscaler, the VPA is separate.",
                 "Unlike the HPC, the VPA is separate.") == "name 'HorizontalPodAutoscaler' not in the cited text"
    # initials that spell a stop word are not an acronym: "OnFailure" is not "of"
    assert check(name_checks.check_names, "The restartPolicy defaults to OnFailure.",
                 "The default value of restartPolicy is Always.") == "name 'OnFailure' not in the cited text"


def test_a_word_the_span_negates_only_in_a_condition_and_states_elsewhere_agrees_with_either_polarity():
    span = ("Allocates both IPv4 and IPv6 cluster IPs for the Service when dual-stack is enabled. If dual-stack is "
            "not enabled or supported, it falls back to single-stack behavior.")
    claim = ("A Service gets both IPv4 and IPv6 cluster IPs when dual-stack is enabled, and falls back to "
             "single-stack behavior otherwise.")
    assert SpanFacts.of([parse(span)]).negated_outright == set()
    assert check(alignment.check_polarity, claim, span) is None
    # negated outright (not in a condition), the word still decides
    assert check(alignment.check_polarity, "Pods can be added to a Job.",
                 "Pods cannot be added to a Job, but they can be added to a Deployment.") == "negation differs"


def test_a_phrasal_verb_of_change_reads_as_the_verb_it_means():
    span = "The U.S. and Chinese have increased their military drills amidst tensions over Taiwan."
    assert check(alignment.check_antonyms, "The U.S. and China have scaled back their military drills.", span) == (
        "'scaled' where the cited text says 'increase'")
    assert check(alignment.check_antonyms, "The U.S. and China have scaled up their military drills.", span) is None


def test_both_words_of_a_pair_coordinated_in_the_claim_are_not_a_substitution():
    span = "Instead, the Job controller tells the API server to create or remove Pods."
    assert check(alignment.check_antonyms, "The Job controller asks the API server to create or delete Pods.",
                 span) is None
    assert check(alignment.check_antonyms, "The Job controller asks the API server to delete Pods.",
                 "The Job controller tells the API server to create Pods.") == (
        "'delete' where the cited text says 'create'")


def test_one_as_a_pronoun_is_not_added_content():
    facts = SpanFacts.of([parse("If there are too many pods, the ReplicationController terminates the extra pods.")])
    added = alignment.new_words(list(parse("If there are too many pods, the ReplicationController kills the extra "
                                           "ones.")), facts)
    assert "ones" not in [t.text for t in added]
    assert "kills" in [t.text for t in added]


@pytest.mark.parametrize(("claim", "span", "reason"), [
    # "no" in a prepositional phrase denies its noun, as "without" does, not the word the phrase hangs on
    ("Pods on a node that has no endpoints for the Service see it as having zero endpoints.",
     "For pods on nodes with no endpoints for a given Service, the Service behaves as if it has zero endpoints.",
     None),
    ("Pods on a node that has endpoints for the Service see it as having zero endpoints.",
     "For pods on nodes with no endpoints for a given Service, the Service behaves as if it has zero endpoints.",
     "negation differs"),
    # "none of the nodes" denies the nodes as "no node" does
    ("If no node is suitable, the pod stays unscheduled.",
     "If none of the nodes are suitable, the pod remains unscheduled.", None),
    ("If a node is suitable, the pod stays unscheduled.",
     "If none of the nodes are suitable, the pod remains unscheduled.", "negation differs"),
    # a noun denied in one text, its predicate negated in the other: one negation
    ("Kubernetes has no storage solution for log data.",
     "Kubernetes does not provide a storage solution for log data.", None),
    ("Kubernetes provides a storage solution for log data.",
     "Kubernetes does not provide a storage solution for log data.", "negation differs"),
    ("A country can be invaded if it lacks strong capabilities or a defense arrangement.",
     "An invasion can happen if a country is not equipped with strong capabilities or protected by a defense "
     "arrangement.", None),
    # "no longer need" and "eliminates the need": a lexical negation in the span
    ("Administrators no longer need to pre-provision storage.",
     "The feature eliminates the need for administrators to pre-provision storage.", None),
    # an elliptical negation ("If it does not, ...") denies nothing in the main clause
    ("A namespaced owner must be in the same namespace; if it isn't, the owner reference is treated as absent.",
     "A namespaced owner must exist in the same namespace. If it does not, the owner reference is treated as "
     "absent.", None),
    ("The owner reference is not treated as absent.",
     "If it does not, the owner reference is treated as absent.", "negation differs"),
    # an answer's opening "No," replies to the question; what follows is compared as it stands
    ("No, cloning only works when the source PVC is in the same namespace as the destination PVC.",
     "You can only clone a PVC when it exists in the same namespace as the destination PVC.", None),
    ("No, cloning does not work when the source PVC is in the same namespace as the destination PVC.",
     "You can only clone a PVC when it exists in the same namespace as the destination PVC.", "negation differs"),
    # "no" as a determiner still denies
    ("The autoscaler removes nodes that have no Pods.", "The autoscaler removes nodes that run Pods.",
     "negation differs"),
    # "can't be scheduled" is what "unschedulable" says; "can be scheduled" is not
    ("The autoscaler adds nodes whenever there are Pods that can't be scheduled.",
     "The cluster autoscaler adds nodes when there are unschedulable Pods.", None),
    ("The autoscaler adds nodes whenever there are Pods that can be scheduled.",
     "The cluster autoscaler adds nodes when there are unschedulable Pods.", None),  # the antonym check's (below)
    # "is unable to see" = "cannot see"
    ("A user who creates such a Pod is unable to see the Secret's value.",
     "A user who can create a Pod that uses a Secret can also see the value of that Secret.", "negation differs"),
])
def test_one_negation_written_in_different_forms(claim, span, reason):
    assert check(alignment.check_polarity, claim, span) == reason


def test_what_each_form_of_negation_denies():
    assert "need" in alignment.negated_lemmas(list(parse("Administrators no longer need to pre-provision storage.")))
    assert "guarantee" in alignment.negated_lemmas(list(parse("They lack guarantees for resources or execution.")))
    # a verb of removal denies a need it takes away, not the thing it removes
    assert alignment.negated_lemmas(list(parse("The controller removes the Pod."))) == set()
    assert "treat" not in alignment.negated_lemmas(list(parse("If it does not, the reference is treated as absent.")))
    # "does not, by default, verify": the auxiliary is the negated verb's, not a clause of its own
    assert "verify" in alignment.negated_lemmas(list(parse("The API server does not, by default, verify it.")))


def test_the_anchor_sentence_agrees_with_a_claim_that_both_denies_and_states_a_word():
    claim = ("Kubernetes has no built-in storage solution for log data; instead, many logging solutions integrate "
             "with it.")
    anchor = "Instead, there are many logging solutions that integrate with Kubernetes."
    assert check(alignment.check_anchor_polarity, claim, anchor) is None
    assert check(alignment.check_polarity, claim, anchor) == "negation differs"  # as a whole span it would not
    assert check(alignment.check_anchor_polarity, "Kubernetes does not store logs.", "Kubernetes stores logs.") == (
        "negation differs")


def test_a_hyphenated_english_compound_is_not_an_identifier():
    found = [n.text for n in name_checks.names(list(parse("Kubernetes has no built-in storage or add-on for it.")))]
    assert not any("built" in n or "add" in n for n in found), found
    assert check(name_checks.check_names, "The kube-controller-manager runs it.", "The kube-scheduler runs it.") == (
        "name 'kube-controller-manager' not in the cited text")


@pytest.mark.parametrize("text", [
    "Restrict get, watch and list access to Secrets, allow only cluster administrators to access etcd, and require "
    "a hardware security key whenever they do.",
    "As long as the security treaty remains, doubt over one party's commitment is not enough to weaken it.",
])
def test_a_predicate_with_no_subject_above_it_is_split_and_the_split_ends(text):
    import signal

    def give_up(*_):
        raise TimeoutError("split_claims did not return")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(10)  # the search for a subject to borrow looped forever on these before
    try:
        found = split_claims(parse(text))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert found and all(c.text for c in found)


def test_a_gerund_before_a_subjectless_verb_is_its_subject_not_a_borrowed_one():
    # spaCy hangs "working" on "add" as an adverbial clause; "add" then borrowed "Nothing" and read as negated
    assert claims("Nothing can replace the alliance with the United States, although working with a multilateral "
                  "bloc like NATO can add deterrence.") == [
        "Nothing can replace the alliance with the United States",
        "working with a multilateral bloc like NATO can add deterrence"]
    # a gerund phrase set off by a comma is an adverbial clause, and a verb with a subject keeps its own
    assert claims("Running on every node, the kubelet reports the node status.")[-1] == \
        "Running on every node, the kubelet reports the node status"



def test_schedulable_pods_for_unschedulable_ones_is_a_reversal():
    assert check(alignment.check_antonyms, "The autoscaler adds nodes when there are schedulable Pods.",
                 "The cluster autoscaler adds nodes when there are unschedulable Pods.") is not None


def test_able_to_and_a_time_deixis_add_no_content():
    facts = SpanFacts.of([parse("A user who can create a Pod that uses a Secret can also see the value of that "
                                "Secret. SSH tunnels are currently deprecated.")])
    added = alignment.new_words(list(parse("Any user who can create a Pod that uses a Secret is also able to see "
                                           "that Secret's value, and SSH tunnels are deprecated at this point.")),
                                facts)
    assert [t.text for t in added] == []
    added = alignment.new_words(list(parse("Any user able to create a Pod can also see that Secret's value.")), facts)
    assert [t.text for t in added] == []
    # a real addition is still one
    added = alignment.new_words(list(parse("SSH tunnels are deprecated at this point in most clusters.")), facts)
    assert [t.text for t in added] == ["clusters"]


def test_a_clause_naming_its_topic_by_a_pronoun_is_also_compared_as_the_whole_sentence():
    from rag.cite.claim_verify import _pronoun_context

    doc = parse("The kubelet evicts the Pod first, and then it restarts the container.")
    found = {c.text: _pronoun_context(c) for c in split_claims(doc)}
    assert found == {"The kubelet evicts the Pod first": None, "then it restarts the container": doc.text}
    whole = parse("It defaults to one hour.")
    assert [_pronoun_context(c) for c in split_claims(whole)] == [None]  # the sentence is the claim


def test_a_claim_keeps_a_percent_sign_and_the_brackets_and_quotes_it_closes():
    assert claims("The automatically calculated value has a lower bound of 5%.") == [
        "The automatically calculated value has a lower bound of 5%"]
    assert claims('The limit is 30 (seconds) and it is called "magic".') == [
        "The limit is 30 (seconds)", 'it is called "magic"']
    assert claims("Japan, which has nuclear weapons, signed the accord.") == [  # a dangling comma still goes
        "Japan which has nuclear weapons", "Japan signed the accord"]


def test_a_contrast_set_before_the_verb_is_not_what_a_negation_denies():
    span = "Windows does not have an out-of-memory process killer as Linux does."
    assert check(alignment.check_polarity, "No, unlike Linux, Windows doesn't have an out-of-memory process killer.",
                 span) is None
    assert check(alignment.check_polarity, "Unlike Linux, Windows has an out-of-memory process killer.",
                 span) == "negation differs"
    assert check(alignment.check_polarity, "The economy is not at an inflection point.",
                 "The economy is at an inflection point.") == "negation differs"


def test_a_name_listed_where_the_span_lists_as_many_must_be_one_of_them():
    span = "Canal unites Flannel and Calico, providing networking and network policy."
    other = "Cilium is a networking, observability, and security solution."

    def slot_reason(claim):
        return name_checks.check_name_slots(list(parse(claim)), SpanFacts.of([parse(span), parse(other)]))

    # NER reads "Canal unites Flannel and Cilium" as one organisation: a name holds no finite verb
    assert [n.text for n in name_checks.names(list(parse("Canal unites Flannel and Cilium.")))] == [
        "Canal", "Flannel", "Cilium"]
    assert slot_reason("Canal unites Flannel and Cilium, providing networking.") == \
        "'Cilium' where the cited text says 'Calico'"
    assert slot_reason("Canal unites Flannel and Calico, providing networking.") is None


def test_bringing_online_is_a_support_verb_and_straightforward_is_the_opposite_of_difficult():
    facts = SpanFacts.of([parse("CPU Manager doesn't support offlining and onlining of CPUs at runtime.")])
    added = alignment.new_words(list(parse("The CPU Manager doesn't support bringing CPUs online at runtime.")),
                                facts)
    assert [t.text for t in added] == []
    assert check(alignment.check_antonyms, "Coordinating ports across developers is straightforward at scale.",
                 "Coordinating ports across multiple developers is very difficult to do at scale.") is not None


def test_a_gerund_with_a_subject_is_no_clause_and_a_negation_over_or_is_one_claim():
    # "audit logging" misparsed as a clause ("audit" the subject of "logging") became a claim of its own
    assert claims("Direct access to the kubelet API isn't subject to admission control and isn't logged by "
                  "Kubernetes audit logging.") == [
        "Direct access to the kubelet API isn't subject to admission control",
        "Direct access to the kubelet API isn't logged by Kubernetes audit logging"]
    # "aren't felt or considered" denies both; split, the second lost the negation
    assert claims("No, North Korea's missile tests and other provocations aren't felt or considered in Japan to be "
                  "direct existential threats.") == [
        "No, North Korea's missile tests and other provocations aren't felt or considered in Japan to be direct "
        "existential threats"]
    assert claims("The controller does not start the Job and logs the error.") == [
        "The controller does not start the Job", "The controller logs the error"]


def test_one_after_another_is_no_number_and_a_pronoun_object_is_no_other_object():
    from rag.cite.quantities import check_quantities

    span = "Scheduling cycles are run serially, while binding cycles may run concurrently."
    assert check_quantities(list(parse("Scheduling cycles run one after another.")),
                            SpanFacts.of([parse(span, entities=False)])) is None
    assert check_quantities(list(parse("Scheduling cycles run two at a time.")),
                            SpanFacts.of([parse(span, entities=False)])) is not None
    span = "If the request cannot be authenticated, it is rejected with HTTP status code 401."
    assert check(alignment.check_roles, "A request that can't be authenticated gets rejected with HTTP status code "
                 "401.", span) is None
    assert check(alignment.check_roles, "The authorizer rejects the token.",
                 "The authorizer rejects the request and logs the token.") is not None
