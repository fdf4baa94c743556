"""Short answers: the expected answer type of a question, the span candidates of a unit, and the reader."""

from __future__ import annotations

import re

import pytest

from rag.answering.short_answer import (
    COUNT,
    ENTITY,
    NONE,
    PERSON,
    PLACE,
    QUANTITY,
    TIME,
    VALUE,
    ShortAnswerReader,
    asked_bound,
    expected_type,
    mask_tags,
    names_focus,
    parse,
    role_qualifiers,
    span_candidates,
)
from rag.settings import Settings


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("when i call get_openapi() myself, what openapi_version does it use?", "what openapi_version does it use?"),
        ("among the asgi servers listed, which one is written in rust?", "which one is written in rust?"),
        ("of the three modes, which is the default?", "which is the default?"),
        ("for a statefulset, how many replicas are created?", "how many replicas are created?"),
        # no comma before a wh-word: the whole question asks
        ("in which year did the war end?", "in which year did the war end?"),
        ("for how long is a token cached, in seconds?", "for how long is a token cached, in seconds?"),
    ],
)
def test_the_asking_sentence_starts_after_a_phrase_that_sets_the_scene(question, asked):
    from rag.answering.answer_type import asked_sentence

    assert asked_sentence(question) == asked


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who founded the abbey?", PERSON),
        ("Whose ships reached the island first?", PERSON),
        ("When did the abbey burn down?", TIME),
        ("In what year was the bridge finished?", TIME),
        ("Where did the council meet?", PLACE),
        ("Which city hosted the council?", PLACE),
        ("How many bridges cross the river?", COUNT),
        ("How long is the tunnel?", QUANTITY),
        ("What percentage of the vote did she win?", QUANTITY),
        ("What is the default timeout of the probe?", VALUE),
        ("Which flag turns on verbose logging?", VALUE),
        ("What material was the roof made of?", ENTITY),
        ("Why did the abbey burn down?", NONE),
        ("How do I rotate the keys?", NONE),
        ("Can a probe run more than once?", NONE),
        # the asking clause decides, not a "how long" / "how many" of the clause after it
        ("Which setting limits how long an idle session may stay open?", VALUE),
        ("Which flag sets how many retries a job gets?", VALUE),
        ("For how long is a token cached?", QUANTITY),
        # a question written after its context asks in its last sentence
        ("The monitor should report when pods fail. Which flag do I turn on?", VALUE),
        ("My proxy strips headers when it forwards requests. Who wrote the middleware?", PERSON),
        ("What is the capital, e.g. when the U.S. meets?", ENTITY),  # no split after "e.g." or "U.S."
        ("When I call get_openapi() myself, what openapi_version does it use if I leave it out?", VALUE),
        # "default" inside a name asks for no default; "what goes wrong" asks for what happens
        ("What goes wrong if two classes have the is-default-class annotation?", NONE),
        ("Which argument does default_factory take?", VALUE),
        # a sentence ends after a closing backtick too
        ("The client keeps looking for `x-client-version`. When was it released?", TIME),
        # a yes/no question: its wh-word opens a clause of its own; "can you tell me when" still asks a time
        ("Does the scheduler look at priorities when it picks a node?", NONE),
        ("Were the plays popular when he was alive?", NONE),
        ("Can you tell me when the bridge opened?", TIME),
        ("Is there a default port for the proxy?", VALUE),
        # "the number of" asks a count only when no other noun is asked for
        ("What is the maximum number of volumes a node can attach?", COUNT),
        ("What's the number of retries before the job fails?", COUNT),
        ("Which field caps the number of retries before the job fails?", VALUE),
        ("Which tool scales the number of replicas with the cluster?", ENTITY),
        # a measure after "what is the", bounded or asked of something, asks an amount (a version: a value)
        ("What's the longest interval between two syncs?", QUANTITY),
        ("What is the maximum total size of a config map?", QUANTITY),
        ("What is the average depth of the lake?", QUANTITY),
        ("What is the length of the bridge?", QUANTITY),
        ("What's the minimum Go compiler version for the client?", VALUE),
        ("What is the tax rate for imported cars?", ENTITY),  # neither: as often answered in words
        ("What is the largest city on the coast?", ENTITY),
        # the origin of a word or name is told, not located; where people came from is a place
        ("Where does the phrase break a leg come from?", NONE),
        ("Where did the river get its name?", NONE),
        ("Where does the name Elbe derive from?", NONE),
        ("Where did the first settlers come from?", PLACE),
        # "when" with a modal, or asking what one does, asks for the circumstances; "when was / does" for a time
        ("When should I use Security() instead of Depends()?", NONE),
        ("When do you need to blind bake pastry?", NONE),
        ("Our app is slow. When can we switch to async endpoints?", NONE),
        ("When was the castle built?", TIME),
        ("When does the festival start?", TIME),
        # a bounded value is an amount; a value without a bound is whatever the setting takes
        ("What is the highest value a weight can take?", QUANTITY),
        ("What is the default value of the flag?", VALUE),
        ("What is the value of the label?", ENTITY),
    ],
)
def test_expected_type(question, kind):
    assert expected_type(question).kind == kind


def test_the_focus_noun_after_what_or_which():
    assert expected_type("Which Roman emperor built the wall?").focus == "emperor"
    assert expected_type("What kind of stone was used?").focus == "stone"
    # of a compound, its head
    assert expected_type("Which `Header` option turns that conversion off?").focus == "option"
    assert expected_type("Which status code means there is no body?").focus == "code"
    assert expected_type("What kind of discovery document do the endpoints return?").focus == "document"
    # the measure a "what is the ..." question bounds is its focus, as after "which"
    assert expected_type("What's the minimum Go compiler version for the client?").focus == "version"
    assert expected_type("What's the longest interval between two syncs?").focus == "interval"


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("What is the name of Japan's defense minister?", ("japan", "defense", "minister")),
        ("What is the name of the key accord in support of Ukraine that Japan signed?", ("key", "accord")),
        ("What was the name of the Norman castle?", ("norman", "castle")),
        ("What's the name of the agreement between the two?", ("agreement",)),
        ("Who is Japan's defense minister?", ()),
        ("What does the name of the Rhine mean?", ()),
    ],
)
def test_the_noun_whose_name_is_asked(question, named):
    info = expected_type(question)
    assert info.named == named
    assert info.focus == (named[-1] if named else info.focus)


@pytest.mark.parametrize(
    ("question", "unit", "names"),
    [
        ("Which flag do I turn on?", "You can enable it by setting the `enable-node-watcher` flag to true.", True),
        ("Which argument does it take?", "Pass the parameter `exclude_unset`.", True),  # a word for the same thing
        ("Which attribute holds the scopes?", "It also provides a `scope_str` attribute with the scopes.", True),
        ("Which flag do I turn on?", "The `enable-node-watcher` setting of the monitor is off.", True),
        ("Which flag do I turn on?", "Set `enable-node-watcher` to true to watch the nodes.", False),  # not named
        ("Which Go version do I need?", "The API stays compatible at API version `v1`.", False),  # not a Go version
        ("Which `Header` option turns it off?", "Set the `header` option of the proxy.", False),  # it is the asked one
        ("Why do I turn the flag on?", "Set the `enable-node-watcher` flag.", False),  # no short answer asked
    ],
)
def test_a_unit_names_a_code_span_by_the_focus_noun(question, unit, names):
    assert names_focus(expected_type(question), unit, question) is names


@pytest.mark.slow
def test_candidates_hold_code_spans_numbers_and_entities():
    text = "Set `probeTimeout` to 30 seconds; Ada Lovelace chose that value in London in 1843."
    kinds = {text[c.start:c.end]: c.kinds for c in span_candidates(text, parse(text))}
    assert "code" in kinds["probeTimeout"]
    assert "number" in kinds["30 seconds"]
    assert "PERSON" in kinds["Ada Lovelace"]
    assert "GPE" in kinds["London"]
    assert kinds["1843"] & {"DATE", "number"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "unit", "answer"),
    [
        ("Who designed the bridge?", "The bridge over the Tamar was designed by Isambard Kingdom Brunel in 1853.",
         "Isambard Kingdom Brunel"),
        ("When was the bridge over the Tamar designed?",
         "The bridge over the Tamar was designed by Isambard Kingdom Brunel in 1853.", "1853"),
        ("What is the default value of maxRetries?",
         "The maxRetries field sets how often a job is retried; it defaults to `6`.", "6"),
        # a nationality before the focus noun says what kind of country or person, not which one
        ("Which country signed the accord?", "In July, Japan became the first non-Atlantic country to sign the accord.",
         "Japan"),
        ("Which minister visited Kyiv?", "Last week the Japanese minister Yoko Kamikawa visited Kyiv.",
         "Yoko Kamikawa"),
        # ... but it answers a question about a religion or a group
        ("Which religion did the Normans adopt?", "The Normans adopted the Catholic religion of the Franks.",
         "Catholic"),
    ],
)
def test_the_fitted_reader_finds_the_short_answer(question, unit, answer):
    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    reading = reader.read(question, unit)
    assert reading.span is not None and reading.type_present
    assert unit[reading.span.start:reading.span.end] == answer


@pytest.mark.slow
def test_no_short_answer_for_a_why_question():
    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    reading = reader.read("Why was the bridge built?", "The bridge was built to carry the railway into Cornwall.")
    assert reading.span is None and reading.kind == NONE


@pytest.mark.slow
def test_link_targets_and_urls_are_never_candidates():
    text = "Traces go to the [IANA port](https://www.iana.org/ports?search=otel), 4317, see <https://example.org/x_y>."
    spans = [text[c.start:c.end] for c in span_candidates(text, parse(text))]
    assert "4317" in spans
    assert not any("iana.org" in s or "search" in s or "example.org" in s for s in spans)
    note = "Add support for Server Sent Events. PR [#15030](https://github.com/org/repo/pull/15030) by a user."
    assert not any("15030" in note[c.start:c.end] for c in span_candidates(note, parse(note)))


@pytest.mark.slow
def test_a_long_unit_is_read_around_the_question_terms_with_offsets_into_the_whole_unit():
    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    filler = "The valley was quiet and the fields were green for many miles around the old mill. " * 6
    unit = filler + "The stone bridge over the Tamar was designed by Isambard Kingdom Brunel in 1853. " + filler
    reading = reader.read("Who designed the stone bridge over the Tamar?", unit)
    assert reading.span is not None
    assert unit[reading.span.start:reading.span.end] == "Isambard Kingdom Brunel"


@pytest.mark.slow
def test_a_span_is_never_cut_inside_parentheses():
    """The code span `Depends(scope="function")` is offered whole, not as 'Depends(scope="function'; a span that
    would end inside parentheses is not offered at all."""
    text = 'Use `Depends(scope="function")` to close it early; the call f(x) runs after Henry III (of England) left.'
    spans = [text[c.start:c.end] for c in span_candidates(text, parse(text))]
    assert 'Depends(scope="function")' in spans
    assert all(s.count("(") == s.count(")") for s in spans), spans


@pytest.mark.slow
def test_no_candidate_ends_on_a_word_that_joins_it_to_more():
    """The small model tags "Henry III of" in "vassal to Henry III of Castile" as a person; a span ending on "of",
    "and", "the" ... is cut back to the words before it, so no short answer reads "Henry III of"."""
    text = "Bethencourt took the title of King of the Canary Islands, as vassal to Henry III of Castile."
    spans = [text[c.start:c.end] for c in span_candidates(text, parse(text))]
    assert spans and "Canary Islands" in " ".join(spans)
    dangling = re.compile(r"\s(of|and|or|the|a|an|in|on|at|for|to|by|with|from)$", re.IGNORECASE)
    assert not [s for s in spans if dangling.search(s)], spans


def test_the_inside_of_an_html_tag_is_never_a_candidate():
    """A Markdown table cell with inline HTML: the value between the tags is a candidate, the tag's attribute
    ("white-space: nowrap") and its name are not."""
    text = ('<strong style="white-space: nowrap">Baseline</strong> | Minimally restrictive policy which prevents '
            'known privilege escalations.<br/>')
    masked = mask_tags(text)
    assert len(masked) == len(text) and masked.strip().startswith("Baseline")
    spans = [text[c.start:c.end] for c in span_candidates(masked, parse(masked))]
    assert "Baseline" in spans
    assert not any("nowrap" in s or "strong" in s or "style" in s or "br" == s for s in spans)
    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    reading = reader.read("Which profile is minimally restrictive but prevents known privilege escalations?", text)
    assert reading.span is not None and text[reading.span.start:reading.span.end] == "Baseline"


@pytest.mark.slow
def test_a_span_of_only_the_questions_own_words_is_never_the_short_answer():
    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    question = "What building style came after Romanesque in Sweden?"
    unit = "In Sweden, the period of Romanesque building follows that of the Viking age and precedes the Brick Gothic."
    found = {unit[c.start:c.end]: c for c in reader.candidates(question, unit)}
    # the premise: on the model's scores alone, the question's own word would win
    assert max(found.values(), key=lambda c: c.score) is found["Romanesque"]
    reading = reader.read(question, unit)
    assert reading.span is not None
    assert unit[reading.span.start:reading.span.end] != "Romanesque"
    assert reading.span.features["novel"] > 0.0


@pytest.mark.parametrize(
    ("unit", "term"),
    [
        ("[Kestrel](https://example.org/projects/kestrel): A Java message queue.", "Kestrel"),
        ("* `compress_requests` - Turns on request compression.", "compress_requests"),
        ("**Pyrefly**: a static type checker.", "Pyrefly"),
        ("Hypnos: a sleep tracker.", "Hypnos"),
        ("The kubelet has the following default hard eviction thresholds:", None),  # a lead-in, no term
        ("In the first release of the year the default was: on", None),  # prose with a colon
        ("**Note**: restart the server afterwards.", None),  # an admonition
        ("See https://example.org: the mirror.", None),
    ],
)
def test_the_term_a_definition_style_unit_defines(unit, term):
    from rag.answering.short_answer import defined_term

    found = defined_term(unit)
    assert (unit[found[0]:found[1]] if found else None) == term


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "unit", "answer"),
    [
        ("Which of the listed brokers is a Java message queue with disk persistence?",
         "[Kestrel](https://example.org/projects/kestrel-broker): A Java message queue with disk persistence.",
         "Kestrel"),
        ("Which plugin renders diagrams in the browser?",
         "- [Mermaid viewer](https://example.org/plugins/mermaid): renders diagrams in the browser.", "Mermaid viewer"),
        ("Which tool is a static type checker?", "**Pyrefly**: a static type checker for Python code.", "Pyrefly"),
    ],
)
def test_a_question_about_a_description_is_answered_with_the_term_it_describes(question, unit, answer):
    """In a list of tools or options written "term: description", a question that uses the description's words asks
    for the term. A link's target does not count as words between the term and its description."""
    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    reading = reader.read(question, unit)
    assert reading.span is not None
    assert unit[reading.span.start:reading.span.end] == answer


@pytest.mark.slow
def test_emphasis_markers_are_never_part_of_a_candidate():
    text = "Build the image **from scratch**, based on the **official Python** image, with `**kwargs` passed on."
    spans = [text[c.start:c.end] for c in span_candidates(text, parse(text))]
    assert spans and not any(s.startswith("*") or s.endswith("*") for s in spans if s != "**kwargs")
    assert "**kwargs" in spans  # code keeps its stars


@pytest.mark.slow
def test_the_focus_noun_is_found_under_the_name_documentation_gives_it():
    """ "Which argument ...?" is answered by "the parameter `exclude_unset`": the span named by a word of the
    focus noun's group (argument / parameter / option / flag / setting) has the focus feature, a span next to no
    such word has not."""
    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    question = "Which argument to model_dump() returns only the fields the client sent?"
    unit = "For partial updates, use the parameter `exclude_unset` in the model's `.model_dump()`, not `datetime`."
    found = {unit[c.start:c.end]: c for c in reader.candidates(question, unit)}
    assert found["exclude_unset"].features["focus"] == 1.0
    assert found["datetime"].features["focus"] == 0.0
    reading = reader.read(question, unit)
    assert reading.span is not None and unit[reading.span.start:reading.span.end] == "exclude_unset"


def _reader() -> ShortAnswerReader:
    settings = Settings(_env_file=None)
    return ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "row", "header", "answer"),
    [
        # the column whose header is the asked noun
        ("Which retention tier keeps snapshots for a year but drops hourly ones?",
         "| <b>Archive</b> | Keeps daily snapshots for a year; hourly snapshots are dropped. |",
         "| Tier | Description |", "Archive"),
        ("What is the example value of the team label?",
         "| `acme.io/team` | The team that owns the service | `payments` | string |",
         "| Key | Description | Example | Type |", "payments"),
        # no column named: the row's first cell, what the row is about, when the other cells hold the question's words
        ("Which of the acme.io labels says which tool deploys the service?",
         "| `acme.io/deployed-by` | The tool that deploys the service | `Argo` | string |",
         "| Key | Description | Example | Type |", "acme.io/deployed-by"),
    ],
)
def test_a_table_row_is_answered_by_the_cell_its_layout_gives(question, row, header, answer):
    reading = _reader().read(question, row, header=header)
    assert reading.span is not None and row[reading.span.start:reading.span.end] == answer
    assert reading.probability >= _reader().threshold


@pytest.mark.slow
def test_without_a_header_a_table_row_is_read_as_any_text():
    """The row rule needs the header to know the columns: the same row read without it is read span by span."""
    row = "| `acme.io/deployed-by` | The tool that deploys the service | `Argo` | string |"
    question = "Which of the acme.io labels says which tool deploys the service?"
    with_header = _reader().read(question, row, header="| Key | Description | Example | Type |")
    assert row[with_header.span.start:with_header.span.end] == "acme.io/deployed-by"
    without = _reader().read(question, row)
    assert without.span is not None and row[without.span.start:without.span.end] != "acme.io/deployed-by"
    from rag.answering.short_answer import table_cell

    info = expected_type(question)
    assert table_cell(info, row, "| Key | Description |") is None  # a header that does not fit the row
    assert table_cell(info, "| `acme.io/deployed-by` | Argo |\n| `acme.io/team` | x |", "| Key | Value |") is None
    assert table_cell(expected_type("How many replicas run?"), row, "| Key | Description | Example | Type |") is None


@pytest.mark.parametrize(
    ("row", "cell"),
    [
        ("| [`acme.io/deployed-by`](https://acme.io/labels#deployed-by) | The tool that deploys the service |",
         "acme.io/deployed-by"),
        ("| [Deployer](https://acme.io/deployer) | The tool that deploys the service |", "Deployer"),
        ("| `__sidecar__` | The tool that deploys the service |", "__sidecar__"),
        ("| **_Deployer_** | The tool that deploys the service |", "Deployer"),
    ],
)
def test_a_table_cell_is_shown_as_the_page_shows_it(row, cell):
    """The row rule's cell is trimmed of a link's markup and emphasis, but a code cell keeps its text as written."""
    from rag.answering.short_answer import table_cell

    found = table_cell(expected_type("Which acme.io label says which tool deploys the service?"), row,
                       "| Key | Description |")
    assert found is not None and row[found.start:found.end] == cell


@pytest.mark.slow
@pytest.mark.parametrize(
    ("unit", "answer"),
    [
        ("Ports come from the range set by the `--port-range` flag (default: 40000-42767).", "40000-42767"),
        ("The `--port-range` flag sets the range; it defaults to `40000-42767` on every node.", "40000-42767"),
        ("The `--port-range` flag sets the range. The default value is 12%.", "12%"),
    ],
)
def test_a_default_question_takes_the_value_the_text_calls_the_default(unit, answer):
    reading = _reader().read("What is the default port range of the proxy?", unit)
    assert reading.span is not None and unit[reading.span.start:reading.span.end] == answer


@pytest.mark.parametrize(
    ("question", "qualifiers"),
    [
        ("Who is the president of Taiwan?", ("taiwan",)),
        ("Who is the Prime Minister of New Zealand according to the article?", ("new", "zealand")),
        ("who was the coach of the cleveland browns when they moved to baltimore", ("cleveland", "brown")),
        ("Who is the president?", ()),
        ("Who wrote the history of Rome?", ()),  # no role asked
    ],
)
def test_the_qualifiers_of_an_asked_role(question, qualifiers):
    assert role_qualifiers(question) == qualifiers


@pytest.mark.parametrize(
    ("question", "bound"),
    [
        ("What is the highest value I can give a weight?", "upper"),
        ("What's the longest delay between two retries?", "upper"),
        ("What is the minimum size of a volume?", "lower"),
        ("What is the average size of a volume?", None),  # no bound
        ("What is the size of a volume?", None),
        ("How large can a volume get at most?", None),  # not asked as "what is the <bound> X"
    ],
)
def test_the_bound_a_question_asks(question, bound):
    assert asked_bound(question) == bound


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "unit", "answer"),
    [
        ("What is the highest value I can give a weight?",
         "A weight can be any 32-bit integer value smaller than or equal\nto 1 billion.", "1 billion"),
        ("What's the minimum duration of a token?",
         "A token lasts 1 hour by default and must be at least 10 minutes.", "10 minutes"),
        ("What is the maximum size of an upload?", "Uploads are usually 200 KB but can be up to 5 MB.", "5 MB"),
    ],
)
def test_a_bound_question_takes_the_amount_the_text_states_as_that_bound(question, unit, answer):
    reading = _reader().read(question, unit)
    assert reading.span is not None and unit[reading.span.start:reading.span.end] == answer


@pytest.mark.slow
def test_a_yes_no_question_gets_no_short_answer():
    reading = _reader().read("Does the scheduler look at priorities when it picks a node?",
                             "The scheduler does not consider priorities when a cluster picks a node in 2024.")
    assert reading.span is None and reading.kind == NONE


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "unit", "answer"),
    [
        # the name before "is the <focus>" names the focus
        ("Which YAML library do the docs recommend?",
         "If you need to read YAML, Ruamel is the recommended library as it keeps comments in place.", "Ruamel"),
        # ... also when the page writes it as a bold link: the tagger reads the words the page shows
        ("Which YAML library do the docs recommend?",
         "If you need to read YAML, [**Ruamel**](https://example.org/ruamel) is the **recommended** library as it "
         "keeps comments in place.", "Ruamel"),
        # "what kind of X": the words that say which kind
        ("What kind of engine powers the ferry?", "The ferry is powered by a diesel engine built in Kiel.", "diesel"),
    ],
)
def test_the_span_the_unit_says_is_the_asked_thing(question, unit, answer):
    reading = _reader().read(question, unit)
    assert reading.span is not None and unit[reading.span.start:reading.span.end] == answer


def test_markup_is_blanked_for_the_tagger_with_offsets_unchanged():
    from rag.answering.short_answer import mask_markup

    text = "Use [**Ruamel**](https://example.org/ruamel) or `__init__`, <b>not</b> __PyYAML__."
    masked = mask_markup(text)
    assert len(masked) == len(text)
    assert masked.split() == ["Use", "Ruamel", "or", "`__init__`,", "not", "PyYAML", "."]


@pytest.mark.parametrize(
    ("question", "span", "shown"),
    [
        ("From which version can I use dataclasses?", "Advanced User Guide", False),
        ("From which version can I use dataclasses?", "0.67.0", True),
        ("In which release did the API graduate to beta?", "v1.29", True),
        ("Which flag turns on verbose logging?", "--verbose", True),
    ],
)
def test_a_version_question_is_shown_only_a_version_as_its_short_answer(question, span, shown):
    from rag.answering.short_answer import shown_as_short_answer

    assert shown_as_short_answer(question, span) is shown


@pytest.mark.parametrize(
    ("question", "row", "header", "names"),
    [
        # the asked noun names a column other than the row's key: the row states the asked value
        ("Which taint effect does the toleration for node.example.io/offline have?",
         "| `node.example.io/offline` | `NoExecute` | Pods stay bound while the node is offline. |",
         "| Toleration key | Effect | Details |", True),
        # the asked noun names no column, or only the key column: nothing is said by the layout
        ("Which taint does the toleration for offline nodes carry?",
         "| `node.example.io/offline` | `NoExecute` | Pods stay bound while the node is offline. |",
         "| Toleration key | Effect | Details |", False),
        ("Which toleration key keeps Pods bound while the node is offline?",
         "| `node.example.io/offline` | `NoExecute` | Pods stay bound while the node is offline. |",
         "| Toleration key | Effect | Details |", False),
        # a how-many question is no question of a named column
        ("How many effects does the offline toleration have?",
         "| `node.example.io/offline` | `NoExecute` | Pods stay bound while the node is offline. |",
         "| Toleration key | Effect | Details |", False),
    ],
)
def test_a_table_row_names_the_asked_thing_by_its_column(question, row, header, names):
    from rag.answering.short_answer import names_column

    assert names_column(expected_type(question), row, header) is names
