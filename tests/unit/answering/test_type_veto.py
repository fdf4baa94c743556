"""The type veto (rag.answering.short_answer.missing_type): a how-many / which-value question whose cited text
holds no number or value new to the question is refused with a reason. Real spaCy model, real index on disk."""

from __future__ import annotations

import pytest

from rag.answering.extractive import ABSTAIN_TEXT
from rag.answering.short_answer import (
    COUNT,
    ENTITY,
    NONE,
    PERSON,
    VALUE,
    Reading,
    SpanCandidate,
    missing_type,
    unsaid_role_of,
)
from tests.support.pages import decide, index_page

pytestmark = pytest.mark.slow

SPAN = SpanCandidate(0, 1, {"chunk"})

JOBS = """# Jobs

## Retries

The `retryPolicy` field controls how a failed Job is retried by the Job controller.
When `retryPolicy` is set, the controller retries failed Pods with an exponential back-off delay.

## Back-off limit

The `backoffLimit` field sets how many times a failed Pod is retried before the Job is marked failed.
The default value of `backoffLimit` is 6.

## Cleanup

Finished Jobs are removed by the TTL controller once their `ttlSecondsAfterFinished` has passed.
"""


@pytest.fixture(scope="module")
def docs_settings(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "jobs.md", JOBS)[1]


def _services(settings, embedder, **overrides):
    from rag.services import build_services

    return build_services(settings.model_copy(update=overrides), embedder=embedder)


def test_the_veto_refuses_a_default_value_the_documents_never_state(docs_settings, real_embedder):
    question = "What is the default value of retryPolicy?"
    vetoed = _services(docs_settings, real_embedder).assistant.ask(question)
    assert vetoed.abstained and vetoed.citations == []
    assert vetoed.answer == 'The passages found mention "retryPolicy" but don\'t state a default value for it.'
    # the same question without the veto: the model alone answers it with the sentence that names the field
    answered = _services(docs_settings, real_embedder, type_veto=False).assistant.ask(question)
    assert not answered.abstained and "retryPolicy" in answered.answer


def test_the_veto_lets_a_stated_default_through(docs_settings, real_embedder):
    answer = _services(docs_settings, real_embedder).assistant.ask("What is the default value of backoffLimit?")
    assert not answer.abstained
    assert "6" in answer.answer
    assert answer.short_answer is not None and answer.short_answer.text == "6"


def test_the_veto_never_touches_a_who_question_or_a_yes_no_question(docs_settings, real_embedder):
    services = _services(docs_settings, real_embedder)
    for question in ("Who retries failed Pods?", "Does retryPolicy have a default value?"):
        decision = services.assistant.answerers["extractive"].decide(question, services.assistant.retrieve(question))
        assert decision.veto is None, question


def test_how_many_on_the_news_article(seeds_services):
    """A count stated in words ("four months") is a number: no veto."""
    answer = seeds_services.assistant.ask("How many months away was the U.S. election at the time of writing?")
    assert not answer.abstained and "four months" in answer.answer


def test_a_role_of_a_country_the_article_never_names_is_refused_with_the_country_named(seeds_services):
    """The article names the presidents and prime ministers of other countries: "Who is the president of Taiwan?"
    is refused, naming Taiwan, which the passages found speak of only as a place of tensions (so the refusal does
    not say they never mention it); the same question about a country it names is answered."""
    refused = seeds_services.assistant.ask("Who is the president of Taiwan?")
    assert refused.abstained
    assert refused.answer == 'The passages found mention "Taiwan", but none of them reads as an answer to the question.'
    answered = seeds_services.assistant.ask("Who is the prime minister of New Zealand?")
    assert not answered.abstained and "Luxon" in answered.answer


def test_missing_type_rules():
    count = "How many retries are there?"
    assert missing_type(count, Reading(COUNT, SPAN, 0.5, found=frozenset({"chunk"}))) == "a number"
    assert missing_type(count, Reading(COUNT, SPAN, 0.5, found=frozenset({"CARDINAL"}))) is None
    assert missing_type("What is the default mode?", Reading(VALUE, SPAN, 0.5, found=frozenset({"ORG"}))) \
        == "a default value"
    assert missing_type("What mode does it use?", Reading(VALUE, SPAN, 0.5, found=frozenset({"code"}))) is None
    # person, place, time and entity questions veto only when the reader found no span above its threshold
    assert missing_type("Who wrote it?", Reading(PERSON, SPAN, 0.5), threshold=0.011) is None
    assert missing_type("Who wrote it?", Reading(PERSON, SPAN, 0.005), threshold=0.011) == "a name"
    assert missing_type("Which river is it?", Reading(ENTITY), threshold=0.011) == "an answer"
    assert missing_type("Who wrote it?", Reading(PERSON)) is None  # no threshold given: the reader rule is off
    assert missing_type("Is the default mode strict?", Reading(VALUE), threshold=0.011) is None  # yes/no
    assert missing_type("Why is it slow?", Reading(NONE), threshold=0.011) is None
    # a version or release is a number: a feature gate's name does not say in which release it went beta
    release = "In which release did `WidgetClass` graduate to beta?"
    code = Reading(VALUE, SPAN, 0.5, found=frozenset({"code"}))
    assert missing_type(release, code, text="To test it whilst it's beta, enable the `WidgetClass` gate.") == \
        "a version"
    assert missing_type(release, code, text="`WidgetClass` graduated to beta in Kubernetes v1.31.") is None
    assert missing_type("Which version added it?", code, text="It was added in version 2 of the API.") is None
    assert missing_type("Which mode do I set?", code, text="Set `mode: turbo`.") is None  # not a version
    # "Who is the <role> of <X>?" is answered by a text that speaks of X, not by the same role elsewhere
    person = Reading(PERSON, SPAN, 0.5, found=frozenset({"PERSON"}))
    assert missing_type("Who is the mayor of Lyon?", person, threshold=0.011,
                        text="Mayor Anne Hidalgo of Paris opened the bridge.") == "a name"
    assert missing_type("Who is the mayor of Lyon?", person, threshold=0.011,
                        text="Mayor Grégory Doucet of Lyon opened the bridge.") is None
    assert missing_type("Who opened the bridge in Lyon?", person, threshold=0.011,
                        text="Mayor Anne Hidalgo opened the bridge.") is None  # no role asked of something
    assert unsaid_role_of("Who is the mayor of Lyon's old town?", "Mayor Hidalgo of Paris") == "Lyon's old town"
    assert unsaid_role_of("Who is the mayor of Lyon?", "Mayor Doucet of Lyon") is None
    # a command is written as code: a release number or a YAML manifest is none
    command = "Which widgetctl command upgrades the widgets to a new minor version?"
    number = Reading(VALUE, SPAN, 0.5, found=frozenset({"number"}))
    assert missing_type(command, number, text="Since release v1.32, widget upgrades are safer.") == "a command"
    assert missing_type(command, number, text="apiVersion: v1\nkind: Widget\nspec:\n  replicas: 2") == "a command"
    assert missing_type(command, code, text="Run `widgetctl upgrade apply v1.33` on each node.") is None
    assert missing_type(command, number, text="$ widgetctl upgrade apply v1.33") is None  # a shell line
    assert ABSTAIN_TEXT.startswith("The documents")


PROBES = """# Probes

## Timeouts

The `timeoutSeconds` field sets how long a probe may take; you can set it to 5 seconds for slow endpoints.

## Period

The `periodSeconds` field sets how often the probe runs. By default, the probe runs every 10 seconds.
"""


@pytest.fixture(scope="module")
def probes_services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "probes.md", PROBES)[0]


def test_a_value_that_is_not_said_to_be_the_default_does_not_answer_a_default_question(probes_services):
    question = "What is the default timeoutSeconds of a probe?"
    decision = decide(probes_services, question)
    assert "5 seconds" in decision.best.text  # the premise: the cited unit states a value, not a default
    answer = probes_services.assistant.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.answer == 'The passages found mention "timeoutSeconds" but don\'t state a default value for it.'


def test_a_value_said_to_be_the_default_answers_it(probes_services):
    answer = probes_services.assistant.ask("What is the default periodSeconds of a probe?")
    assert not answer.abstained
    assert "By default, the probe runs every 10 seconds." in answer.answer
    assert answer.short_answer is not None and answer.short_answer.text.startswith("10")


@pytest.mark.parametrize("question, asks", [
    ("What is the default timeoutSeconds of a probe?", True),
    ("How often does a probe run by default?", True),
    ("What does periodSeconds default to?", True),
    ("Which field do I set to run the probe for fewer seconds, skipping defaults?", False),
    ("Which option excludes default values from the output?", False),
    ("What is used instead of the default scheduler?", False),
])
def test_only_a_question_that_asks_for_a_default_needs_one(question, asks):
    from rag.answering.short_answer import asks_default

    assert asks_default(question) is asks


def test_a_question_that_sets_defaults_aside_is_not_refused_for_lack_of_one(probes_services):
    """"... skipping defaults" asks which field, not for a default: the value stated is an answer."""
    answer = probes_services.assistant.ask("Which field sets how long a probe may take, ignoring defaults?")
    assert not answer.abstained
    assert "`timeoutSeconds` field sets how long a probe may take" in answer.answer


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "text", "missing"),
    [
        # no name beside the noun whose name is asked
        ("What is the name of the alliance's secretary general?",
         "On Monday the alliance's secretary general announced “flagship projects” for cyber defence.", "a name"),
        ("What is the name of the trade accord that Norway signed?",
         "Norway last month became the first country in the region to sign a trade accord.", "a name"),
        ("What is the name of the military cooperation agreement between the two states?",
         "Olafsen welcomed Berg in Tromsø and the two states entered into a military cooperation agreement.",
         "a name"),
        # the noun's qualifier is not there: a prime minister is not the defence minister
        ("What is the name of Norway's defence minister?",
         "The leaders met Swedish Prime Minister Ulf Berg and Finnish Prime Minister Petteri Orpo.", "a name"),
        # a name beside it
        ("What is the name of the alliance's secretary general?",
         "The alliance's secretary general, Jens Halvorsen, announced “flagship projects” on Monday.", None),
        ("What is the name of the trade accord that Norway signed?",
         "Norway signed the trade accord called the Nordic Compact last month.", None),
        ("What was the name of Bohemond's nephew?",
         "Crusaders were joined by Bohemond of Taranto and his nephew Tancred with an army.", None),
        # the noun's qualifiers before it and its "of" phrase go with it
        ("What is the name of the old east arm of the Vistula?",
         "Past Tczew, the old east arm of the Vistula is called Stara Wisła, until it reaches the lagoon.", None),
        ("What is the name of the alliance's secretary general?",
         "The ministers met Jens Halvorsen, secretary general of the alliance, on Monday.", None),
        ("What is the name of the trade accord?",
         "The trade accord of the northern states was discussed by Berg on Monday.", "a name"),
        # a name and the noun with only an article between are not in apposition
        ("What is the name of the natural weir that closes the valley?",
         "Near Hallstatt a natural weir, only a few metres high, closes the valley to the north.", "a name"),
        # a capital opening a sentence does not make a name
        ("What's the name of the plugin that reports full disks on every node?",
         "A plugin runs on every node and reports full disks as Events.", "a name"),
    ],
)
def test_a_question_asking_for_a_name_needs_one_beside_the_thing_named(question, text, missing):
    """"What is the name of X?" asked of a text that mentions X without naming it is refused ("a name"): the
    reader's best span is some other noun ("flagship projects")."""
    from rag.answering.short_answer import ShortAnswerReader, expected_type
    from rag.settings import Settings

    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    assert expected_type(question).named  # read as a name question
    assert missing_type(question, reader.read(question, text), reader.threshold, text) == missing


@pytest.mark.slow
def test_a_list_item_that_never_uses_the_noun_is_read_as_any_name_question():
    """Documentation lists things under a heading (or beside a sibling item) that says what they are: the item
    naming the plugin never says "plugin", so it is not held to apposition and is not refused; the same item
    saying "plugin" with no name beside it is."""
    from rag.answering.short_answer import ShortAnswerReader
    from rag.settings import Settings

    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    question = "What's the name of the plugin that reports full disks on every node?"
    item = "The [disk watcher](https://example.com/disk-watcher) runs on every node and reports full disks as Events."
    around = "Monitoring plugins > " + item  # the section path, as the answerer passes it
    assert missing_type(question, reader.read(question, item), reader.threshold, around) is None
    said = "A plugin runs on every node and reports full disks as Events."
    assert missing_type(question, reader.read(question, said), reader.threshold, "Monitoring plugins > " + said) \
        == "a name"


def test_a_model_number_or_a_relative_date_is_not_a_count():
    """"MQ-9" names a drone and "last year" is a time, not an amount: neither answers "how many"."""
    from rag.answering.short_answer import ShortAnswerReader
    from rag.settings import Settings

    settings = Settings(_env_file=None)
    reader = ShortAnswerReader(settings.short_answer_weights, settings.short_answer_threshold)
    question = "How many drones has the navy bought?"
    vague = "Since last year the navy has been buying drones, such as the MQ-9, for its patrols."
    stated = "Since last year the navy has bought 12 drones, such as the MQ-9, for its patrols."
    assert missing_type(question, reader.read(question, vague), reader.threshold, vague) == "a number"
    assert missing_type(question, reader.read(question, stated), reader.threshold, stated) is None


SERVER = """# Server settings

The server reads these settings at start-up.

| Setting | Default | Description |
|---------|---------|-------------|
| `workers` | 4 | Worker processes to start. |
| `timeout` | 30 | Seconds a request may take. |
| `keepalive` | 5 | Seconds an idle connection stays open. |
| `backlog` | 2048 | Connections waiting to be accepted. |
"""


@pytest.fixture(scope="module")
def server_services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "server.md", SERVER)[0]


@pytest.mark.parametrize("setting, value", [("keepalive", "5"), ("backlog", "2048"), ("timeout", "30")])
def test_a_table_row_under_a_default_column_states_a_default(server_services, setting, value):
    """The header row names the column "Default": every row below it states one, not only the first."""
    from rag.answering.extractive import table_header

    services = server_services
    assert table_header(SERVER, SERVER.index(f"`{setting}`")) == "| Setting | Default | Description |"
    assert table_header(SERVER, SERVER.index("The server")) == ""
    answer = services.assistant.ask(f"What is the default {setting}?")
    assert not answer.abstained
    assert answer.answer.startswith(f"`{setting}` | {value} |")
    assert answer.short_answer is not None and answer.short_answer.text == value


EVICTION = """# Node-pressure eviction

The kubelet watches the node's resources and evicts Pods when one runs low.

## Hard eviction thresholds

A hard eviction threshold has no grace period.
The kubelet has the following default hard eviction thresholds:

- `memory.available<100Mi` on Linux nodes
- `nodefs.available<10%` for the node's root filesystem
- `imagefs.available<15%` for the image filesystem
- `nodefs.inodesFree<5%` on Linux nodes

You can change them with the `evictionHard` setting.
"""


@pytest.fixture(scope="module")
def eviction_services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "eviction.md", EVICTION)[0]


@pytest.mark.parametrize("signal, value", [("imagefs.available", "imagefs.available<15%"),
                                           ("nodefs.inodesFree", "nodefs.inodesFree<5%")])
def test_a_list_item_under_a_lead_in_about_defaults_states_a_default(eviction_services, signal, value):
    """The lead-in "the following default thresholds:" says what every item of its list is, not only the first:
    the third item states a default as much as the first does."""
    from rag.answering.extractive import list_lead

    lead = "The kubelet has the following default hard eviction thresholds:"
    assert list_lead(EVICTION, EVICTION.index(f"- `{signal}")) == lead
    assert list_lead(EVICTION, EVICTION.index("You can change")) == ""
    answer = eviction_services.assistant.ask(f"What is the default hard eviction threshold for {signal}?")
    assert not answer.abstained, answer.answer
    assert value in answer.answer


ROLLOUT = """# Deployments

A Deployment manages a set of Pods for a stateless application workload.

## Rolling update deployment

The Deployment updates Pods in a rolling update fashion when `.spec.strategy.type` is `RollingUpdate`.
You can specify `maxUnavailable` and `maxSurge` to control the rolling update process.

### Max surge

`.spec.strategy.rollingUpdate.maxSurge` is an optional field that specifies the maximum number of Pods that can be
created over the desired number of Pods.
The value cannot be 0 if `maxUnavailable` is 0.
The default value is 25%.

### Max unavailable

`.spec.strategy.rollingUpdate.maxUnavailable` is an optional field that specifies the maximum number of Pods
that can be unavailable during the update process.
The default value is 25%.

## StatefulSet updates

A StatefulSet replaces its Pods one at a time, in reverse ordinal order.
"""


@pytest.fixture(scope="module")
def rollout_services(tmp_path_factory, real_embedder):
    return index_page(tmp_path_factory, real_embedder, "deployment.md", ROLLOUT)[0]


def test_a_default_stated_further_down_is_found_before_the_veto_refuses(rollout_services):
    """The best units name `maxSurge` but state no default; "The default value is 25%." under "Max surge" does.
    Before refusing with "The passages found ... don't state a default value", the answerer reads the units below
    that hold a value and the question's rarest words in their own context, and cites that one."""
    question = "What's the default maxSurge for a Deployment's rolling update?"
    decision = decide(rollout_services, question)
    assert not decision.ranked[0].text.startswith("The default value")  # the premise: the scorer ranks it lower
    answer = rollout_services.assistant.ask(question)
    assert not answer.abstained, answer.answer
    quote = answer.citations[0].quote
    assert quote == "The default value is 25%." and answer.short_answer is not None
    assert ROLLOUT.index(quote, ROLLOUT.index("### Max surge")) == answer.citations[0].start


def test_a_default_stated_for_something_else_does_not_answer(rollout_services):
    """The same page read for a DaemonSet: its defaults are a Deployment's, so the veto still refuses."""
    answer = rollout_services.assistant.ask("What's the default maxSurge for a DaemonSet's rolling update?")
    assert answer.abstained


CORS = """# CORS

## Use CORSMiddleware

The middleware takes the following arguments:

- `allow_origins` - A list of origins that should be permitted to make cross-origin requests.
- `allow_origin_regex` - A regex string to match against origins that should be permitted to make cross-origin
  requests.
- `allow_methods` - A list of HTTP methods that should be allowed for cross-origin requests. Defaults to `['GET']`.
- `max_age` - Sets a maximum time in seconds for browsers to cache CORS responses. Defaults to `600`.
"""


@pytest.fixture(scope="module")
def cors_services(tmp_path_factory, real_embedder):
    others = {
        "middleware.md": "# Middleware\n\nA middleware is a function that works with every request before any path "
                         "operation handles it. The middleware can run code and then passes the request on.\n",
        "methods.md": "# Methods\n\nPath operations allow the methods GET and POST. A client may send other methods "
                      "too, and each request is checked before it runs.\n",
        "settings.md": "# Settings\n\nEvery setting has a default value, which an environment variable can "
                       "override.\n"}
    return index_page(tmp_path_factory, real_embedder, "cors.md", CORS, others)[0]


def test_a_default_of_the_next_item_does_not_answer(cors_services):
    """`allow_origin_regex` has no stated default; the next item's "Defaults to `['GET']`" is `allow_methods`'s. The
    item after the one that names the identifier must not borrow it."""
    answer = cors_services.assistant.ask("What is the default value of allow_origin_regex?")
    assert answer.abstained, answer.answer
    stated = cors_services.assistant.ask("What is the default max_age of the CORS middleware?")
    assert not stated.abstained and "600" in stated.answer


SPREAD = """# Spread rules

The scheduler reads the `spreadRules` field of a Pod and places it so that domains stay balanced.

## Rule fields

- **maxGap** is the largest allowed difference in Pods between two domains. It must be greater than zero.
- **onConflict** says what to do with a Pod that would break the rule:
  - `Refuse` (default) tells the scheduler to leave the Pod pending.
  - `Tolerate` tells the scheduler to place it anyway, preferring the least crowded domain.

## Examples

If you pick `onConflict: Tolerate`, the scheduler ranks domains by how crowded they are.
If you pick `onConflict: Refuse`, then `maxGap` is a hard limit for every placement.
"""


def test_a_nested_list_item_is_read_under_its_parent_item(tmp_path_factory, real_embedder):
    """A nested item ("`Refuse` (default) tells ...") names neither the field nor its rule: its parent item
    ("**onConflict** says what to do ...:") does, and is its lead-in, so the item that states the default is found
    for "what does onConflict default to?" instead of the veto saying no default is stated."""
    from rag.answering.extractive import list_lead

    parent = "- **onConflict** says what to do with a Pod that would break the rule:"
    assert list_lead(SPREAD, SPREAD.index("- `Refuse`")) == parent
    assert list_lead(SPREAD, SPREAD.index("- `Tolerate`")) == parent
    assert list_lead(SPREAD, SPREAD.index("- **maxGap**")) == ""  # a top-level item: no lead-in line
    services = index_page(tmp_path_factory, real_embedder, "spread.md", SPREAD)[0]
    answer = services.assistant.ask("spreadRules: what does onConflict default to?")
    assert not answer.abstained, answer.answer
    assert answer.answer.startswith("`Refuse` (default)")
    assert answer.short_answer is not None and answer.short_answer.text == "Refuse"


def test_an_identifier_spelled_out_in_a_heading_matches_in_the_plural():
    """Question terms are stems ("topologySpreadConstraints" -> "topologyspreadconstraint"); the heading that
    spells the identifier out is read as written ("Pod Topology Spread Constraints")."""
    from rag.answering.extractive import _joined_runs, _spelled_out

    assert _spelled_out("topologyspreadconstraint", _joined_runs("Pod Topology Spread Constraints"))
    assert _spelled_out("maxsurge", _joined_runs("Rolling update > Max surge"))
    assert not _spelled_out("maxsurge", _joined_runs("Rolling update > Max unavailable"))


MOUNTS = """# Volumes

## Read-only mounts

A mount is read-only when its `readOnly` field is `true`; mounts below it may still be writable.

### Recursive read-only mounts

Recursive read-only mounts are turned on with the `recursiveReadOnly` field of a volume mount, once the feature
gate is enabled for the kubelet.

The allowed values are:

* `Disabled` (default): no effect.
* `Enabled`: makes the mount recursively read-only.
  Needs all of the following:
  * `readOnly` is set to `true`
  * The host is running with Linux kernel v5.12 or later
"""


def test_a_bound_asked_for_is_not_one_of_the_words_the_rescue_looks_for(tmp_path_factory, real_embedder):
    """"What's the minimum kernel version ...?" asks a version: "minimum" says which one, as "default" does, and is
    not a word the unit that states it must hold; the nested item under the feature's own heading is cited rather
    than the veto saying no version is stated."""
    from rag.answering.extractive import _ASKING_WORDS

    assert {"minimum", "maximum", "longest", "default"} <= _ASKING_WORDS
    # other pages give the words their rarity: the Linux kernel, versions and mounts are common, a minimum rare
    others = {f"node-{n}.md": f"# Nodes {n}\n\nEach node reports its Linux kernel version and the volume mounts of "
              f"its Pods.\nA mount of volume {n} is listed with its kernel version.\n" for n in range(6)}
    others["quota.md"] = "# Quotas\n\nA quota sets the minimum share of CPU a namespace gets in this version.\n"
    services = index_page(tmp_path_factory, real_embedder, "volumes.md", MOUNTS, others)[0]
    question = "What's the minimum Linux kernel version for recursiveReadOnly on a volume mount?"
    decision = decide(services, question)
    assert "v5.12" not in decision.ranked[0].text  # premise: the unit scorer's best states no version
    assert decision.veto is None, decision.veto
    assert "v5.12" in decision.best.text
    assert decision.reading is not None and decision.reading.span is not None


ASSETS = """# Self-hosting JavaScript and CSS for the docs

The interactive docs use **Swagger UI** and **ReDoc**, and each of them needs some JavaScript and CSS files.

By default, those files are served from a public CDN.

## Download the files

**Swagger UI** uses the files:

* [`swagger-ui-bundle.js`](https://cdn.example.org/swagger-ui-bundle.js)
* [`swagger-ui.css`](https://cdn.example.org/swagger-ui.css)

And **ReDoc** uses the file:

* [`redoc.standalone.js`](https://cdn.example.org/redoc.standalone.js)

After that, put the files in a `static/` folder next to your app.
"""


def test_a_question_that_sets_its_context_first_is_rescued_by_the_words_it_asks_with(tmp_path_factory,
                                                                                        real_embedder):
    """"We have no internet access on our servers, so we host the docs assets ourselves. Which JavaScript file does
    ReDoc need?": the rarest words are the context's ("internet", "servers"), which no unit holds; the rescue looks
    for the asking sentence's rarest words instead, and cites the list item under "And ReDoc uses the file:"
    rather than saying that no value is stated."""
    from rag.answering.extractive import _asking_idf

    idf = {"internet": 5.0, "server": 4.0, "javascript": 2.0, "redoc": 3.0, "file": 1.0}
    question = "We have no internet access on our servers. Which JavaScript file does ReDoc need?"
    assert set(_asking_idf(question, idf)) == {"javascript", "redoc", "file"}
    assert _asking_idf("Which JavaScript file does ReDoc need on servers without internet?", idf) == idf
    # other pages give the words their rarity: downloads and needs are everywhere, internet access rare
    others = {f"net-{n}.md": f"# Network {n}\n\nOur servers {n} have internet access through a proxy.\nYou need to "
              f"download the packages {n} you install.\n" for n in range(2)}
    others.update({f"tools-{n}.md": f"# Tools {n}\n\nYou need to download tool {n} before you run it.\n"
                   for n in range(6)})
    services = index_page(tmp_path_factory, real_embedder, "assets.md", ASSETS, others)[0]
    question = ("Our servers have no internet access, so I'm self-hosting the API docs assets. Which JavaScript "
                "file do I need to download for ReDoc?")
    decision = decide(services, question)
    assert "redoc.standalone.js" not in decision.ranked[0].text  # premise: the best-scored unit states no file
    assert decision.veto is None, decision.veto
    assert "redoc.standalone.js" in decision.best.text
