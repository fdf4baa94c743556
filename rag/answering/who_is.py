"""Questions that ask who a named person is ("Who is Kishida?", "Who was Rollo?"), and the words that say it.

Such a question asks for a description, not for a name: the unit scorer and the reader treat "who" as asking for a
person, so "Who is Kishida?" was answered with another person named near him ("Short answer: Kishida Fumio" for
"Who is Yoon Suk-yeol?"), and a sentence that states the role ("... and Deputy Prime Minister and Defense Minister
Richard Marles of Australia") was refused. A news or encyclopedia text says who someone is in a few written forms,
read here from spaCy's parse of the few units that name the person (never the whole corpus):
- a title before the name: "Japanese Prime Minister Kishida Fumio", "President Yoon Suk-yeol of the Republic of
  Korea", "North Korean leader Kim Jong Un" (an honorific alone, "Sir", "Baron", is not one);
- an appositive after it, "Fumio Kishida, Japan's prime minister, said ...", or before it, "The first Prime
  Minister of Rhodesia, Ian Smith";
- a copula, either way round: "Rollo was a Viking who ...", "Another important French historian of the period was
  Hippolyte Taine", also across an encyclopedia's parenthesis ("James Francis Thorpe ( ...; 1887 -- 1953 ) was an
  American athlete").
The short answer is that phrase without its relative clause ("a Viking"); the cited unit keeps the rest. A text that
only names the person (or no passage naming them at all) is refused, saying so, rather than answered with whatever
else it says (rag.answering.extractive). No library reads these shapes; they are written out here, as
rag.retrieval.definitions writes out the shapes of "What is X?" definitions.
"""

from __future__ import annotations

import re

# "Who is Kishida?", "who was Rollo", "Who's Yoon Suk-yeol?": a name of one to four words, nothing else
_ASKED = re.compile(r"^\s*who(?:['’]s|\s+(?:is|was|are|were))\s+(?P<name>[^\s?!.,;:][^?!,;:]{0,60}?)\s*\??\s*$",
                    re.IGNORECASE)
# words a name does not start with or contain: "Who is that minister?", "Who is responsible for ...?"
_NOT_A_NAME = set("a an the this that these those it he she they you i we him her them his its their my our your "
                  "in on of for to at by with from about behind after before responsible able allowed going "
                  "likely expected named called mentioned".split())
# the words a title may be joined by ("Deputy Prime Minister and Defense Minister", "Japan's prime minister")
_JOINING = {"and", "'s", "’s", "-"}


def asked_person(question: str) -> str | None:
    """The name a "Who is <name>?" question asks about, as written ("Kishida", "Richard Marles"), else None."""
    match = _ASKED.match(question)
    if match is None:
        return None
    name = match.group("name").strip()
    parts = name.split()
    # "Who was Emma's brother?" asks for a name: a possessive names someone else
    if not 1 <= len(parts) <= 4 or any(p.lower() in _NOT_A_NAME or re.search(r"['’]s?$", p) for p in parts):
        return None
    return name


def _name_tokens(doc, name: str) -> list[tuple[int, int]]:
    """The token ranges [i, j) of ``doc`` where ``name`` is written as a proper name ("Kim" in "Kim Jong Un", which
    the range then covers whole: the person entity, or the run of proper nouns, around the words asked)."""
    wanted = [w.lower() for w in re.findall(r"[^\W_]+", name)]
    tokens = [t for t in doc if re.search(r"[^\W_]", t.text)]
    found = []
    for k in range(len(tokens) - len(wanted) + 1):
        run = tokens[k:k + len(wanted)]
        # written as a name: its first word capitalized ("yeol" in "Suk-yeol" is not, and spaCy reads it a noun)
        if [t.lower_ for t in run] != wanted or not (run[0].pos_ == "PROPN" or run[0].text[:1].isupper()):
            continue
        start, end = run[0].i, run[-1].i + 1
        # the entity the words are part of (spaCy often labels a name it does not know an organisation:
        # "Hippolyte Taine")
        ent = run[0].ent_type_ and next((e for e in doc.ents if e.start <= start < e.end), None)
        if ent:
            start, end = min(start, ent.start), max(end, ent.end)
        else:  # the run of proper nouns (and a hyphen inside one: "Suk-yeol") it is part of
            while start > 0 and doc[start - 1].pos_ == "PROPN" and doc[start - 1].ent_type_ == "PERSON":
                start -= 1
            while end < len(doc) and (doc[end].pos_ == "PROPN" or doc[end].text == "-" and end + 1 < len(doc)
                                      and doc[end + 1].text[:1].isalpha() and not doc[end].whitespace_):
                end += 1
        found.append((start, end))
    return found


def _title_word(token) -> bool:
    """A word of a title or role rather than of the person's name: not part of a person entity."""
    return token.ent_type_ != "PERSON"


def described(doc, name: str) -> tuple[int, int] | None:
    """Character offsets (into ``doc.text``) of the words of ``doc`` that say who ``name`` is: the title before the
    name (with an "of ..." after it: "President Yoon Suk-yeol of the Republic of Korea" whole), an appositive on
    either side of it, or what a copula says the person is; None when the text only names the person."""
    for start, end in _name_tokens(doc, name):
        if end < len(doc) and doc[end].pos_ in ("PROPN", "NOUN") and not doc[end].is_punct:
            continue  # "the Kishida administration's ...": the name modifies another noun, and says nothing of him
        head = max((doc[i] for i in range(start, end) if not (start <= doc[i].head.i < end) or doc[i].head.i == i),
                   key=lambda t: t.i, default=doc[end - 1])
        title = _title_before(doc, start)
        if title is not None and not all(doc[k].lower_.rstrip(".") in HONORIFICS for k in range(title, start)):
            of = next((c for c in head.rights if c.dep_ == "prep" and c.lower_ == "of"), None)
            if of is not None:  # "President Yoon Suk-yeol of the Republic of Korea": the title needs its "of ..."
                last = max(t.i for t in of.subtree)
                return doc[title].idx, doc[last].idx + len(doc[last])
            return doc[title].idx, doc[start - 1].idx + len(doc[start - 1])
        found = _appositive(doc, head, end) or _role_before(doc, head, start) or _copula(head) \
            or _parenthesised_copula(doc, end)
        if found is not None:
            return found
    return None


# Words written before a name that say nothing of what the person is or does ("Sir William Edmond Logan, a
# Canadian geologist"): a title made only of these is passed over for what follows the name.
HONORIFICS = set("sir dame lord lady baron baroness count countess duke duchess prince princess king queen mr mrs ms "
                 "miss dr prof professor saint st rev reverend fr father".split())


def _described_by(token) -> bool:
    """A noun phrase that can say who someone is: a common or proper noun that is not another person's name."""
    return token.pos_ in ("NOUN", "PROPN") and token.ent_type_ != "PERSON"


def _phrase(doc, *heads) -> tuple[int, int] | None:
    """The offsets of the noun phrase of ``heads`` (one head, or the pieces spaCy made appositives of one word:
    "co", "-", "founder"), up to a relative or participial clause ("a Victorian poet | who believed ..."): the short
    answer is the phrase, the cited unit keeps the rest."""
    tokens = sorted({t for h in heads for t in h.subtree}, key=lambda t: t.i)
    cut = min((t.i for c in tokens if c.dep_ in ("relcl", "acl") and c.i > min(h.i for h in heads)
               for t in c.subtree), default=None)
    kept = [t for t in tokens if cut is None or t.i < cut]
    while kept and (kept[-1].is_punct or kept[-1].dep_ in ("cc", "punct")):
        kept.pop()
    if not kept:
        return None
    return kept[0].idx, kept[-1].idx + len(kept[-1])


def _after_comma(token) -> bool:
    """Does ``token``'s phrase follow a comma (an appositive set off by commas, not a parenthesis: "James Francis
    Thorpe ( Sac and Fox ( Sauk ) ...")?"""
    first = min(t.i for t in token.subtree)
    return first > 0 and token.doc[first - 1].text == ","


def _appositive(doc, head, end: int) -> tuple[int, int] | None:
    """"Fumio Kishida, Japan's prime minister, said ...": an appositive of the name, or, where the parser hung it
    on an earlier noun ("supporters of Phyllis Schlafly, a conservative Republican activist from Illinois"), the
    appositive that starts right after the name's comma."""
    appos = [c for c in head.rights if c.dep_ == "appos" and _described_by(c)]
    if appos and _after_comma(appos[0]):
        return _phrase(doc, *appos)
    if end + 1 < len(doc) and doc[end].text == ",":
        found = next((t for t in doc[end + 1:] if t.dep_ == "appos" and _described_by(t)
                      and min(s.i for s in t.subtree) == end + 1), None)
        if found is not None:
            return _phrase(doc, found)
    return None


def _parenthesised_copula(doc, end: int) -> tuple[int, int] | None:
    """"James Francis Thorpe ( ... ; May 22 , 1887 -- March 28 , 1953 ) was an American athlete": an encyclopedia's
    opening sentence, where the parser loses the subject across the parenthesis."""
    if end >= len(doc) or doc[end].text != "(":
        return None
    depth = 0
    for token in doc[end:]:
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        if depth == 0:
            after = token.i + 1
            if after < len(doc) and doc[after].lemma_ == "be":
                attr = next((c for c in doc[after].rights if c.dep_ == "attr" and c.pos_ in ("NOUN", "PROPN")), None)
                return _phrase(doc, attr) if attr is not None else None
            return None
    return None


def _role_before(doc, head, start: int) -> tuple[int, int] | None:
    """"The first Prime Minister of Rhodesia, Ian Smith": the name is the appositive of the role before it."""
    role = head.head
    while role.dep_ == "pobj" and role.head.dep_ == "prep" and role.head.head.i < role.i:
        role = role.head.head  # "The first mayor of Eastport, Ingrid Dahl": hung on "Eastport", said of the mayor
    if head.dep_ != "appos" or role.i >= start or not _described_by(role):
        return None
    kept = [t for t in sorted(role.subtree, key=lambda t: t.i) if t.i < start and not (
        t.i >= head.i or t in set(head.subtree))]
    while kept and kept[-1].is_punct:
        kept.pop()
    return (kept[0].idx, kept[-1].idx + len(kept[-1])) if kept else None


def _copula(head) -> tuple[int, int] | None:
    """"Rollo was a Viking who became ...", and inverted: "Another important French historian of the period was
    Hippolyte Taine"."""
    verb = head.head
    if verb.lemma_ != "be":
        return None
    if head.dep_ == "nsubj":
        other = next((c for c in verb.rights if c.dep_ == "attr" and c.pos_ in ("NOUN", "PROPN")), None)
    elif head.dep_ == "attr":
        other = next((c for c in verb.lefts if c.dep_ == "nsubj" and _described_by(c)), None)
    else:
        other = None
    return _phrase(head.doc, other) if other is not None else None


def _joins_titles(token) -> bool:
    """The word before an "and" inside a title ("Prime Minister and Defense Minister"): a noun or adjective that is
    not a name of its own ("Moscow and North Korean leader Kim Jong Un" joins two phrases)."""
    return token.pos_ in ("NOUN", "PROPN", "ADJ") and not token.ent_type_


def _title_before(doc, start: int) -> int | None:
    """The first token of the title written right before the name at token ``start`` ("Japanese Prime Minister",
    "Deputy Prime Minister and Defense Minister"), or None: words of a noun phrase (nouns, proper nouns that are not
    another person's name, adjectives, "and" between them), with at least one noun."""
    i = start
    while i > 0:
        token = doc[i - 1]
        # a word of the noun phrase ("Harbour" in "Harbour master", which spaCy may tag a verb, is a compound)
        if (token.pos_ in ("NOUN", "PROPN", "ADJ") or token.dep_ in ("compound", "amod")) and _title_word(token) \
                and not token.is_punct \
                or token.lower_ in _JOINING and i - 1 > 0 and _joins_titles(doc[i - 2]):
            i -= 1
            continue
        break
    while i < start and doc[i].lower_ in _JOINING:
        i += 1
    if i == start or not any(doc[k].pos_ in ("NOUN", "PROPN") for k in range(i, start)):
        return None
    return i
