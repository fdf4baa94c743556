"""Numbers, dates and time expressions of a parsed text, normalised so that differently written equal values
compare equal: "six" == "6", "a dozen" == "12", "$12 billion" == "12,000,000,000", "World War II" == 2,
"75th" == 75, "July" == "Jul.", "last month" == "the previous month", "yesterday" == "last day".

``quantities(tokens)`` returns one ``Quantity`` per mention; its ``keys`` are the normalised forms (a value and,
for "N unit" time spans, the value with its unit), and a mention of a claim is found in a cited span when one of
its keys is among the span's keys (``found``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "dozen": 12, "twice": 2}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
            "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
            "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "hundredth": 100}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
          "trillion": 1_000_000_000_000, "bn": 1_000_000_000, "mn": 1_000_000}
FRACTIONS = {"half": 0.5, "quarter": 0.25, "third": 1 / 3}
MONTHS = {m[:3]: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTH_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
               "nov", "dec"}  # capitalised only; "May" only as a DATE entity (it is mostly the verb)
WEEKDAYS = set("monday tuesday wednesday thursday friday saturday sunday".split())
TIME_UNITS = {"second", "minute", "hour", "day", "week", "weekend", "month", "year", "decade", "century",
              "quarter", "spring", "summer", "autumn", "fall", "winter", "term", "session"}
RELATIVE = {"last": "last", "past": "last", "previous": "last", "prior": "last", "preceding": "last",
            "next": "next", "coming": "next", "upcoming": "next", "following": "next",
            "this": "this", "current": "this"}
DEICTIC = {"yesterday": "last:day", "tomorrow": "next:day", "today": "this:day", "tonight": "this:day"}
_ROMAN = re.compile(r"^(?=[MDCLXVI])M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
_NUMERIC = re.compile(r"^[$€£¥]?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(st|nd|rd|th|s|%|bn|m|k)?$", re.IGNORECASE)
_SUFFIX_SCALE = {"bn": 1_000_000_000, "m": 1_000_000, "k": 1_000}
_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")
_VERSION = re.compile(r"^v?(\d+(?:\.\d+){1,3})$", re.IGNORECASE)


@dataclass
class Quantity:
    surface: str  # the words of the mention, for messages
    keys: frozenset[str]
    kind: str  # "number" or "date"

    def found(self, keys: set[str]) -> bool:
        return bool(self.keys & keys)


def fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def roman(text: str) -> int | None:
    if not _ROMAN.match(text):
        return None
    total = 0
    for a, b in zip(text, text[1:] + " "):
        v = _ROMAN_VALUES[a]
        total += -v if b != " " and _ROMAN_VALUES[b] > v else v
    return total


def word_value(word: str) -> float | None:
    """The value of one number word or numeral ("six", "twenty-one", "1,149", "75th", "3.5"), else None."""
    w = word.lower().replace("’", "'")
    m = _NUMERIC.match(w)
    if m:
        value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        return value * _SUFFIX_SCALE.get((m.group(3) or "").lower(), 1)
    if w in UNITS:
        return UNITS[w]
    if w in ORDINALS:
        return ORDINALS[w]
    if w in TENS:
        return TENS[w]
    if "-" in w:
        a, _, b = w.partition("-")
        if a in TENS and (b in UNITS or b in ORDINALS):
            return TENS[a] + UNITS.get(b, ORDINALS.get(b, 0))
    return None


def _is_number_token(tok) -> bool:
    w = tok.lower_
    if w in ("one", "first", "second", "third", "quarter", "half") and tok.dep_ not in ("nummod", "amod") \
            and tok.ent_type_ not in ("CARDINAL", "ORDINAL", "DATE", "TIME", "MONEY", "QUANTITY", "PERCENT"):
        return False  # "one of them", "second-guess", "a third party": not a count
    if w == "second" and tok.head.lemma_ in ("second",):
        return False
    return word_value(tok.text) is not None


def quantities(tokens) -> list[Quantity]:
    """The number, date and relative-time mentions among ``tokens`` (a parsed Doc or Span, or a token list)."""
    toks = list(tokens)
    out: list[Quantity] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        low = tok.lower_.rstrip(".")
        nxt = toks[i + 1].lower_ if i + 1 < len(toks) else ""
        if low in DEICTIC:
            out.append(Quantity(tok.text, frozenset({DEICTIC[low]}), "date"))
        elif low in RELATIVE and _unit(nxt):
            out.append(Quantity(f"{tok.text} {toks[i + 1].text}", frozenset({f"{RELATIVE[low]}:{_unit(nxt)}"}),
                                "date"))
            i += 1
        elif tok.text[:1].isupper() and (low in MONTH_WORDS - {"may"} or low == "may" and tok.ent_type_ == "DATE"):
            month = MONTHS[low[:3]]
            day = _day(nxt) or (_day(toks[i - 1].lower_) if i > 0 else None)
            if day and day == _day(nxt):  # "July 11": one date, so "July 4" does not match "Four" elsewhere
                out.append(Quantity(f"{tok.text} {toks[i + 1].text}", frozenset({f"date:{month}-{day}"}), "date"))
                i += 1
            elif day and out and out[-1].keys == frozenset({day}):  # "11 July"
                out[-1] = Quantity(f"{out[-1].surface} {tok.text}", frozenset({f"date:{month}-{day}"}), "date")
            else:
                out.append(Quantity(tok.text, frozenset({f"month:{month}"}), "date"))
        elif tok.text[:1].isupper() and low.removesuffix("s") in WEEKDAYS:
            out.append(Quantity(tok.text, frozenset({f"weekday:{low[:3]}"}), "date"))
        elif tok.tag_ == "NNS" and _unit(low) and _unit(low) != "second" and not (i and _is_number_token(toks[i - 1])):
            out.append(Quantity(tok.text, frozenset({f"unit:{_unit(low)}"}), "date"))  # "for years", "for decades"
        elif _VERSION.match(tok.text) and not _NUMERIC.match(tok.text):
            out.append(Quantity(tok.text, frozenset({"v" + _VERSION.match(tok.text).group(1)}), "number"))
        elif _CLOCK.match(tok.text):
            out.append(Quantity(tok.text, frozenset({f"time:{tok.text.lstrip('0')}"}), "number"))
        elif tok.text.isupper() and roman(tok.text) and _roman_context(toks, i):
            out.append(Quantity(tok.text, frozenset({fmt(roman(tok.text))}), "number"))
        elif _is_number_token(tok) or (low in ("a", "an") and nxt in ("dozen", "hundred", "thousand", "million",
                                                                       "billion")):
            j, value = _number_phrase(toks, i)
            surface = tok.doc.text[tok.idx:toks[j - 1].idx + len(toks[j - 1])]
            keys = {("ord:" if _ordinal(toks[i:j]) else "") + fmt(value)}
            if _VERSION.match(tok.text) and "." in tok.text:
                keys.add("v" + tok.text.lstrip("vV"))  # "1.30" may be the version v1.30
            unit = _unit(toks[j].lower_) if j < len(toks) else None
            if unit:
                keys = {f"{fmt(value)}:{unit}"}
                surface += " " + toks[j].text
            kind = "date" if unit or (1000 <= value <= 2100 and float(value).is_integer()
                                      and tok.ent_type_ == "DATE") else "number"
            out.append(Quantity(surface, frozenset(keys), kind))
            i = j if unit else j - 1
        i += 1
    return out


def _compound(toks, j: int, current: float) -> bool:
    """"twenty one", "thirty-second": a unit or ordinal word after a tens word (not after digits: "30 second")."""
    w = toks[j].lower_
    return (w in UNITS or w in ORDINALS) and toks[j - 1].lower_ in TENS.keys() | {"-"} and current % 10 == 0 \
        and current >= 20


def _day(word: str) -> str | None:
    """"11", "11th", "4," as a day of the month."""
    m = re.match(r"^(\d{1,2})(?:st|nd|rd|th)?,?$", word)
    return str(int(m.group(1))) if m and 1 <= int(m.group(1)) <= 31 else None


def _ordinal(toks) -> bool:
    """"first", "75th", "twenty-second": an ordinal, kept apart from cardinals ("second" is not "II")."""
    last = toks[-1].lower_
    return last in ORDINALS or bool(re.match(r"^\d+(st|nd|rd|th)$", last)) or (
        "-" in last and last.rsplit("-", 1)[-1] in ORDINALS)


def _unit(word: str) -> str | None:
    w = word.lower()
    for cand in (w, w[:-1] if w.endswith("s") else w, w[:-3] + "y" if w.endswith("ies") else w):
        if cand in TIME_UNITS:
            return "century" if cand == "centurie" else cand
    if w == "centuries":
        return "century"
    return None


def _roman_context(toks, i: int) -> bool:
    """A Roman numeral after a capitalised word ("World War II", "Henry VIII"); "I" only inside a name ("World
    War I"), never the pronoun ("Yesterday I saw")."""
    if i == 0 or not (toks[i - 1].text[:1].isupper() and toks[i - 1].is_alpha):
        return False
    return toks[i].text != "I" or toks[i - 1].ent_type_ in ("EVENT", "PERSON", "ORG", "LAW", "PRODUCT", "FAC")


def _number_phrase(toks, i: int) -> tuple[int, float]:
    """Read "twenty one", "12 billion", "a dozen", "1.5 million", "two hundred thousand" from ``toks[i]``."""
    value = 0.0
    current = None
    j = i
    if toks[j].lower_ in ("a", "an"):
        current, j = 1.0, j + 1
    while j < len(toks):
        w = toks[j].lower_
        if w in SCALES and current is not None:
            current *= SCALES[w]
            if SCALES[w] >= 1000:
                value, current = value + current, None
        elif w == "dozen" and current is not None:
            current *= 12
        elif word_value(toks[j].text) is not None and (current is None or _compound(toks, j, current)):
            current = (current or 0) + float(word_value(toks[j].text))
        elif (w == "-" or w == "and" and (current or 0) >= 100) and current is not None and j + 1 < len(toks) \
                and toks[j + 1].lower_ in UNITS.keys() | TENS.keys() | ORDINALS.keys():
            pass
        else:
            break
        j += 1
    if current is not None:
        value += current
    return max(j, i + 1), value


def check_quantities(claim_tokens, facts) -> str | None:
    """The first number, date or time of the claim whose keys are not among ``facts.quantity_keys`` (the
    aligned span's, rag.cite.alignment.SpanFacts), as the reason; None when all are there."""
    for q in quantities(claim_tokens):
        if not q.found(facts.quantity_keys):
            return _reason(q)
    return None


def _reason(q: Quantity) -> str:
    if q.kind == "date":
        return f"date '{q.surface}' not in the cited text"
    value = sorted(q.keys)[0].removeprefix("ord:")
    shown = q.surface if any(c.isdigit() for c in q.surface) else f"{value} ('{q.surface}')"  # "6 ('six')"
    return f"number {shown} not in the cited text"
