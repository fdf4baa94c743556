"""Numbers, dates and time expressions of a parsed text, normalised so that differently written equal values
compare equal: "six" == "6", "a dozen" == "12", "$12 billion" == "12,000,000,000", "World War II" == 2,
"75th" == 75, "July" == "Jul.", "last month" == "the previous month", "yesterday" == "last day",
"half" == "50%", "a decade" == "ten years", "a year ago" == "last year", "9 p.m." == "21:00", "daily" == "every day".

``quantities(tokens)`` returns one ``Quantity`` per mention; its ``keys`` are the normalised forms (a value and,
for "N unit" spans, the value with its unit: time, size, length, mass, percent, currency), and a mention of a
claim is found in a cited span when one of its keys is among the span's keys (``found``). A value with a unit
("5 km") is found only where the span has it with the same unit, not with another ("5 miles") or none; a bare
value ("5") is found in "5 km" too: ``span_keys`` (what a span holds) add the bare value of a value with a unit as
a weak key ("~5") that only a claim's bare value matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

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
               "nov", "dec"}  # capitalised only; "May" only as a proper noun or DATE entity (mostly the verb)
WEEKDAYS = set("monday tuesday wednesday thursday friday saturday sunday".split())
TIME_UNITS = {"millisecond", "second", "minute", "hour", "day", "week", "fortnight", "weekend", "month", "year",
              "decade", "century", "quarter", "spring", "summer", "autumn", "fall", "winter", "term", "session"}
RELATIVE = {"last": "last", "past": "last", "previous": "last", "prior": "last", "preceding": "last",
            "next": "next", "coming": "next", "upcoming": "next", "following": "next",
            "this": "this", "current": "this"}
DEICTIC = {"yesterday": "last:day", "tomorrow": "next:day", "today": "this:day", "tonight": "this:day"}
# Durations in a common base, so "a decade" == "ten years", "90 seconds" == "1.5 minutes", "a year" == "12 months".
DURATION = {"millisecond": ("s", 0.001), "second": ("s", 1), "minute": ("s", 60), "hour": ("s", 3600),
            "day": ("d", 1), "week": ("d", 7), "fortnight": ("d", 14), "month": ("mo", 1), "year": ("mo", 12),
            "decade": ("mo", 120), "century": ("mo", 1200)}
ONE_UNIT = {"minute", "hour", "day", "week", "fortnight", "month", "year", "decade", "century"}  # "a year ago"
AGO = {"ago", "earlier", "before", "back"}
FREQUENCY = {"hourly": "hour", "daily": "day", "nightly": "day", "weekly": "week", "fortnightly": "fortnight",
             "monthly": "month", "yearly": "year", "annually": "year", "quarterly": "quarter"}
SEASONS = {"spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn", "winter": "winter"}
# Units of measure a changed fact may swap ("1 GiB" for "1 MiB", "5 miles" for "5 km"): word -> unit.
MEASURES = {
    "%": "%", "percent": "%", "pct": "%", "km": "km", "kilometre": "km", "kilometer": "km", "mile": "mile",
    "metre": "m", "meter": "m", "cm": "cm", "centimetre": "cm", "centimeter": "cm", "mm": "mm",
    "millimetre": "mm", "millimeter": "mm", "foot": "ft", "feet": "ft", "ft": "ft", "inch": "in", "yard": "yd",
    "kg": "kg", "kilogram": "kg", "kilo": "kg", "gram": "g", "tonne": "t", "ton": "t", "lb": "lb",
    "byte": "B", "kb": "KB", "kilobyte": "KB", "mb": "MB", "megabyte": "MB", "gb": "GB", "gigabyte": "GB",
    "tb": "TB", "terabyte": "TB", "pb": "PB", "kib": "KiB", "mib": "MiB", "gib": "GiB", "tib": "TiB",
    "ki": "KiB", "gi": "GiB", "ti": "TiB", "mebibyte": "MiB", "gibibyte": "GiB", "kibibyte": "KiB",
    "kw": "kW", "mw": "MW", "gw": "GW", "kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "watt": "W", "volt": "V",
    "litre": "l", "liter": "l", "gallon": "gal", "barrel": "bbl", "hectare": "ha", "acre": "acre", "mph": "mph",
    "knot": "kn", "degree": "deg", "°c": "degC", "°f": "degF", "core": "core", "cpu": "core", "millicore": "mcore",
    "dollar": "$", "usd": "$", "euro": "€", "eur": "€", "yen": "¥", "jpy": "¥", "yuan": "yuan", "renminbi": "yuan",
    "rupee": "rupee", "gbp": "£", "sterling": "£", "won": "won", "ruble": "ruble", "rouble": "ruble",
}
CURRENCY_SIGNS = {"$": "$", "us$": "$", "€": "€", "£": "£", "¥": "¥"}
MULTIPLES = {"double": 2, "triple": 3, "quadruple": 4, "treble": 3, "halve": 0.5}  # verbs: "prices doubled"
FOLDS = re.compile(r"^(\w+?)-?fold$")  # "twofold", "three-fold"
DENOMINATORS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5,
                "fifths": 5, "sixth": 6, "sixths": 6, "eighth": 8, "eighths": 8, "tenth": 10, "tenths": 10}
MAGNITUDES = {"dozens": 12, "hundreds": 100, "thousands": 1_000, "millions": 1_000_000,
              "billions": 1_000_000_000}  # "hundreds of people": some value from 2x to 1000x
AMPM = {"a.m.": 0, "am": 0, "a.m": 0, "p.m.": 12, "pm": 12, "p.m": 12}
# A unit written onto the number ("10GiB", "500Mi", "10s", "250ms", "1m30s", "5km"), as configuration and
# documentation write them: suffix -> the unit's keys. "m" may be minutes ("5m"), millicores ("500m" CPU) or
# millions ("$5m"), so it gets every reading; "s" after a number is seconds unless a determiner makes it a decade
# ("the 1990s", "her 40s").
SUFFIXES = {"ki": "KiB", "kib": "KiB", "mi": "MiB", "mib": "MiB", "gi": "GiB", "gib": "GiB", "ti": "TiB",
            "tib": "TiB", "pi": "PiB", "pib": "PiB", "ei": "EiB", "eib": "EiB", "kb": "KB", "mb": "MB", "gb": "GB",
            "tb": "TB", "pb": "PB", "km": "km", "kg": "kg", "cm": "cm", "mm": "mm", "ms": "millisecond",
            "s": "second", "sec": "second", "min": "minute", "h": "hour", "hr": "hour", "d": "day"}
_SUFFIXED = re.compile(r"^(?:.*[<>=])?(\d+(?:\.\d+)?)([A-Za-z]+)$")  # "64MiB", "memory.available<100Mi"
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")  # "1m30s", "2h", "1h30m"
_DECADE_BEFORE = {"the", "his", "her", "their", "its", "my", "our", "your", "early", "late", "mid", "'", "’"}
_ROMAN = re.compile(r"^(?=[MDCLXVI])M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
_NUMERIC = re.compile(r"^[$€£¥]?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(st|nd|rd|th|s|%|bn|m|k)?$", re.IGNORECASE)
_SUFFIX_SCALE = {"bn": 1_000_000_000, "m": 1_000_000, "k": 1_000}
_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")
_VERSION = re.compile(r"^v?(\d+(?:\.\d+){1,3})$", re.IGNORECASE)
_PLAIN = re.compile(r"^\d+(?:\.\d+)?$")


@dataclass
class Quantity:
    surface: str  # the words of the mention, for messages
    keys: frozenset[str]
    kind: str  # "number" or "date"
    bare: str | None = None  # the value alone of a value with a unit ("5" of "5 km"), not one of its keys
    unit: str | None = None  # the unit of a value with one ("km")
    token: object = field(default=None, compare=False, repr=False)  # the number's last word, for its slot

    def found(self, keys: set[str]) -> bool:
        """This mention (of a claim) is in a span whose ``span_keys`` (and ``unit_words``) are ``keys``: a value
        with a unit also where the span has the value alone and the unit's word elsewhere ("`1.0` CPU", the
        tokenizer having kept the quote between them), not where the span has it with another unit."""
        mine = self.keys if self.bare is not None else self.keys | {"~" + k for k in self.keys if _PLAIN.match(k)}
        if mine & keys:
            return True
        return bool(self.unit and f"unitword:{self.unit}" in keys and (
            self.bare in keys or f"~{self.bare}" in keys) and not any(
            k.startswith(f"{self.bare}:") for k in keys))

    @property
    def span_keys(self) -> frozenset[str]:
        """The keys a cited span holds for this mention: a value with a unit keeps its bare value only weakly
        ("~5"), so that a claim's "5" is found in "5 miles" but a claim's "5 km" is not."""
        plain = [float(k) for k in {*self.keys, self.bare or ""} if _PLAIN.match(k)]
        mags = {f"mag:{m}" for v in plain for m in MAGNITUDES.values() if 2 * m <= v < (10 if m == 12 else 1000) * m}
        if self.bare is None:
            return self.keys | {"~" + k for k in self.keys if _PLAIN.match(k)} | mags
        return self.keys | {"~" + self.bare} | mags


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
    if w in ORDINALS and _sequence_adverb(tok):
        return False
    return word_value(tok.text) is not None


# Verbs of placing, after which an ordinal adverb is a rank ("came second", "finished third"), not a sequence.
RANK_VERBS = {"come", "finish", "place", "rank", "end", "land", "qualify", "score", "vote", "poll"}


def _sequence_adverb(tok) -> bool:
    """An ordinal used as an adverb of order ("will first evict", "are evicted first", "first, ..."; "at first"):
    when something happens in a sequence, not a number, unless the verb is one of placing ("came second")."""
    if tok.dep_ == "pobj" and tok.head.lower_ == "at" and not any(True for _ in tok.children):
        return True
    if tok.pos_ != "ADV" and tok.dep_ not in ("advmod", "npadvmod"):
        return False
    return tok.head.lemma_.lower() not in RANK_VERBS


def quantities(tokens) -> list[Quantity]:
    """The number, date and relative-time mentions among ``tokens`` (a parsed Doc or Span, or a token list)."""
    from rag.cite.alignment import idiom_tokens  # alignment imports this module

    toks = list(tokens)
    if toks:  # "one after another" is an order, not the number 1 (alignment.IDIOMS)
        idioms = idiom_tokens(toks)
        toks = [t for t in toks if t.i not in idioms]
    out: list[Quantity] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        low = tok.lower_.rstrip(".")
        nxt = toks[i + 1].lower_ if i + 1 < len(toks) else ""
        prev = toks[i - 1].lower_ if i > 0 else ""
        if low in DEICTIC:
            out.append(Quantity(tok.text, frozenset({DEICTIC[low]}), "date"))
        elif low in RELATIVE and _unit(nxt):
            out.append(Quantity(f"{tok.text} {toks[i + 1].text}", frozenset({f"{RELATIVE[low]}:{_unit(nxt)}"}),
                                "date"))
            i += 1
        elif _per_unit(toks, i):  # "every day", "each year", "once a month", "twice a day", "per hour"
            unit = _unit(nxt)
            out.append(Quantity(f"{tok.text} {toks[i + 1].text}", frozenset({f"per:{unit}"}), "date"))
            i += 1
        elif low in FREQUENCY and tok.dep_ != "amod":  # "runs daily" (not "the daily limit")
            out.append(Quantity(tok.text, frozenset({f"per:{FREQUENCY[low]}"}), "date"))
        elif low in ("a", "an") and nxt in ONE_UNIT:  # "a year ago", "for a decade", "within a week"
            unit = _unit(nxt)
            keys = {f"1:{unit}", *_duration(1, unit)}
            if i + 2 < len(toks) and toks[i + 2].lower_ in AGO:
                keys.add(f"last:{unit}")
            out.append(Quantity(f"{tok.text} {toks[i + 1].text}", frozenset(keys), "date"))
            i += 1
        elif tok.text[:1].isupper() and (low in MONTH_WORDS - {"may"} or low == "may" and (
                tok.ent_type_ == "DATE" or tok.tag_ == "NNP")):  # "May" the month, not the modal verb
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
        elif _season(toks, i):
            out.append(Quantity(tok.text, frozenset({f"season:{SEASONS[low]}"}), "date"))
        elif tok.tag_ == "NNS" and _unit(low) and _unit(low) != "second" and not (i and _is_number_token(toks[i - 1])):
            out.append(Quantity(tok.text, frozenset({f"unit:{_unit(low)}"}), "date"))  # "for years", "for decades"
        elif low in MAGNITUDES and not (i and _is_number_token(toks[i - 1])):  # "hundreds of", not "200 thousands"
            out.append(Quantity(tok.text, frozenset({f"mag:{MAGNITUDES[low]}"}), "number"))
        elif tok.pos_ == "VERB" and tok.lemma_.lower() in MULTIPLES:  # "prices doubled" == "rose twofold"
            value = MULTIPLES[tok.lemma_.lower()]
            out.append(Quantity(tok.text, frozenset({_frac(value) if value < 1 else fmt(value)}), "number"))
        elif (folds := FOLDS.match(low)) and (times := word_value(folds.group(1))) is not None:
            out.append(Quantity(tok.text, frozenset({fmt(times)}), "number"))
        elif (fraction := _fraction(toks, i)) is not None:  # "half", "two thirds", "a quarter of", "one-third"
            j, value = fraction
            surface = tok.doc.text[tok.idx:toks[j - 1].idx + len(toks[j - 1])]
            out.append(Quantity(surface, frozenset({_frac(value)}), "number"))
            i = j - 1
        elif (suffixed := _suffixed(tok.text, prev)) is not None:  # "10GiB", "500Mi", "10s", "1m30s"
            out.append(Quantity(tok.text, frozenset(suffixed[0]), suffixed[1], suffixed[2], token=tok))
        elif (version := _VERSION.match(tok.text)) and not _NUMERIC.match(tok.text):
            out.append(Quantity(tok.text, frozenset({"v" + version.group(1)}), "number"))
        elif _CLOCK.match(tok.text):
            hour, minute = (int(x) for x in tok.text.split(":"))
            if nxt in AMPM and 1 <= hour <= 12:
                hour, i = hour % 12 + AMPM[nxt], i + 1
            out.append(Quantity(tok.text, frozenset({f"time:{hour}:{minute:02d}"}), "number"))
        elif tok.text.isupper() and (numeral := roman(tok.text)) and _roman_context(toks, i):
            out.append(Quantity(tok.text, frozenset({fmt(numeral)}), "number"))
        elif _is_number_token(tok) or (low in ("a", "an") and nxt in ("dozen", "hundred", "thousand", "million",
                                                                       "billion")):
            j, value = _number_phrase(toks, i)
            mention = _with_unit(toks, i, j, value, prev)
            out.append(mention)
            mention.token = toks[j - 1]
            i = mention.end - 1
        i += 1
    return out


@dataclass
class _Mention(Quantity):
    end: int = 0  # the index after the mention's last token


def _with_unit(toks, i: int, j: int, value: float, prev: str) -> _Mention:
    """A number read from toks[i:j], with what follows it: a time unit ("four months", "10-minute"), "ago", a
    clock time ("9 p.m."), a unit of measure or currency ("5 km", "15 per cent", "$5 million", "5 million
    euros")."""
    tok = toks[i]
    surface = tok.doc.text[tok.idx:toks[j - 1].idx + len(toks[j - 1])]
    ordinal = _ordinal(toks[i:j])
    keys = {("ord:" if ordinal else "") + fmt(value)}
    if _VERSION.match(tok.text) and "." in tok.text:
        keys.add("v" + tok.text.lstrip("vV"))  # "1.30" may be the version v1.30
    at = j + 1 if j + 1 < len(toks) and toks[j].text == "-" else j  # "a 10-minute break", "a 5-km race"
    word = toks[at].lower_ if at < len(toks) else ""
    date = 1000 <= value <= 2100 and float(value).is_integer() and tok.ent_type_ == "DATE"
    numeric = _NUMERIC.match(tok.text)
    if ordinal:
        return _Mention(surface, frozenset(keys), "number", end=j)
    if j < len(toks) and not toks[j - 1].whitespace_ and prev in CURRENCY_SIGNS \
            and toks[j].lower_.rstrip(".") in _SUFFIX_SCALE:  # "$5m" read as "$" + "5" + "m" (or "m.")
        value *= _SUFFIX_SCALE[toks[j].lower_.rstrip(".")]
        return _Mention(prev + surface + toks[j].text, frozenset({f"{fmt(value)}:{CURRENCY_SIGNS[prev]}"}),
                        "number", fmt(value), end=j + 1)
    if j < len(toks) and not toks[j - 1].whitespace_ and toks[j].text.rstrip(".").isalpha() and numeric \
            and not numeric.group(3) and prev not in CURRENCY_SIGNS:  # "`5m`" read as "5" + "m"
        attached = _suffixed(f"{fmt(value)}{toks[j].text.rstrip('.')}", prev)
        if attached is not None:
            return _Mention(surface + toks[j].text, frozenset(attached[0]), attached[1], attached[2], end=j + 1)
    unit = _unit(word)
    if unit:
        keys = {f"{fmt(value)}:{unit}", *_duration(value, unit)}
        if value == 1 and at + 1 < len(toks) and toks[at + 1].lower_ in AGO:
            keys.add(f"last:{unit}")  # "one year ago" == "last year"
        return _Mention(f"{surface} {toks[at].text}", frozenset(keys), "date", fmt(value), unit, end=at + 1)
    if word in AMPM and 1 <= value <= 12 and float(value).is_integer():
        hour = int(value) % 12 + AMPM[word]
        return _Mention(f"{surface} {toks[at].text}", frozenset({f"time:{hour}:00"}), "number", end=at + 1)
    measure, end = _measure(toks, at)
    sign = CURRENCY_SIGNS.get(prev) or (CURRENCY_SIGNS.get(tok.text[0]) if tok.text[:1] in "$€£¥" else None)
    if numeric and (numeric.group(3) or "") == "%":
        measure, end = "%", j
    measure = measure or sign
    if measure:
        keys = {f"{fmt(value)}:{measure}"}
        if measure == "%":
            keys.add(_frac(value / 100))  # "50%" == "half"
        if end > j:
            surface += _gap(toks[at - 1], toks[at]) + " ".join(t.text for t in toks[at:end])
        shown = surface
        if i and toks[i - 1].lower_ in CURRENCY_SIGNS:
            shown = toks[i - 1].text + shown
        return _Mention(shown, frozenset(keys), "date" if date else "number", fmt(value), measure, end=max(end, j))
    return _Mention(surface, frozenset(keys), "date" if date else "number", end=j)


def _suffixed(text: str, prev: str) -> tuple[set[str], str, str] | None:
    """The keys, kind and bare value of a number with its unit attached ("10GiB", "500Mi", "10s", "250ms",
    "1m30s", "memory.available<10%"); None for any other word (and for "75th", "1990s", "$5m", "3bn", which the
    number reader handles)."""
    if text[:1] in CURRENCY_SIGNS or not any(c.isdigit() for c in text[:1] + text[-12:]):
        return None
    m = _DURATION.match(text)
    if m and sum(1 for g in m.groups() if g) >= 2:  # "1m30s": two parts or more
        h, mi, se = (int(g or 0) for g in m.groups())
        seconds = h * 3600 + mi * 60 + se
        return {f"dur:s:{seconds}"}, "date", fmt(seconds)
    m = _SUFFIXED.match(text)
    if not m:
        tail = re.search(r"[<>=](\d+(?:\.\d+)?)%$", text)  # "memory.available<10%"
        return ({f"{fmt(float(tail.group(1)))}:%", _frac(float(tail.group(1)) / 100)}, "number",
                fmt(float(tail.group(1)))) if tail else None
    value, suffix = float(m.group(1)), m.group(2).lower()
    if suffix in ("st", "nd", "rd", "th", "bn", "k"):
        return None
    if suffix == "m":  # minutes, millicores or millions
        return ({f"{fmt(value)}:minute", *_duration(value, "minute"), f"{fmt(value)}:mcore",
                 fmt(value * 1_000_000)}, "number", fmt(value))
    if suffix == "s" and (prev in _DECADE_BEFORE or value >= 1000):
        return None  # "the 1990s", "her 40s": the number reader's decade
    unit = SUFFIXES.get(suffix)
    if unit is None:
        return None
    if unit in DURATION:
        return {f"{fmt(value)}:{unit}", *_duration(value, unit)}, "date", fmt(value)
    return {f"{fmt(value)}:{unit}"}, "number", fmt(value)


def unit_words(tokens) -> set[str]:
    """"unitword:<unit>" for every word of ``tokens`` naming a unit of measure or time ("CPU", "MiB", "seconds")."""
    out = set()
    for tok in tokens:
        w = tok.lower_.rstrip(".")
        forms = (w, w[:-1] if w.endswith("s") else None, w[:-2] if w.endswith("es") else None)
        unit = _unit(w) or next((MEASURES[c] for c in forms if c and c in MEASURES), None)
        if unit:
            out.add(f"unitword:{unit}")
    return out


def _measure(toks, at: int) -> tuple[str | None, int]:
    """The unit of measure or currency at toks[at] ("km", "per cent", "percentage points", "euros"), and the
    index after it."""
    if at >= len(toks):
        return None, at
    tok = toks[at]
    w = tok.lower_.rstrip(".") or tok.lower_  # "MiB." at the end of a sentence
    if w == "per" and at + 1 < len(toks) and toks[at + 1].lower_ == "cent":
        return "%", at + 2
    if w == "percentage" and at + 1 < len(toks) and toks[at + 1].lower_ in ("point", "points"):
        return "pp", at + 2
    if w not in ("%",) and tok.pos_ not in ("NOUN", "PROPN", "SYM", "NUM", "X", "ADJ"):
        return None, at  # "the team that in 2019 won": a verb, not the currency
    for cand in (w, w[:-1] if w.endswith("s") else None, w[:-2] if w.endswith("es") else None):
        if cand and cand in MEASURES:
            return MEASURES[cand], at + 1
    return None, at


def _per_unit(toks, i: int) -> bool:
    """"every day", "each week", "per hour", and "a/an unit" after "once", "twice" or "N times"."""
    if i + 1 >= len(toks):
        return False
    low, unit = toks[i].lower_, _unit(toks[i + 1].lower_)
    if not unit or unit not in DURATION or toks[i + 1].lower_.endswith("s") and toks[i + 1].lower_ != unit:
        return False
    if unit == "second":  # "every second node" counts nodes
        return False
    if low in ("every", "each", "per"):
        return True
    prev = toks[i - 1].lower_ if i else ""
    return low in ("a", "an") and prev in ("once", "twice", "thrice", "times")


def _season(toks, i: int) -> bool:
    """"in spring", "the summer of 2020", "autumn": a season (lower case: "Spring Boot" is a name); "fall" only as
    a noun after "the", "in", "this", "last" or "next"."""
    tok = toks[i]
    low = tok.lower_
    if low not in SEASONS or tok.pos_ != "NOUN" or (tok.text[:1].isupper() and not tok.is_sent_start):
        return False
    return low != "fall" or (i > 0 and toks[i - 1].lower_ in ("the", "in", "this", "last", "next", "early", "late"))


def _fraction(toks, i: int) -> tuple[int, float] | None:
    """"half" (not "half-life"), "two thirds", "three-quarters", "one-third", "a quarter of", "a fifth of":
    (index after it, value); "a third country" is an ordinal."""
    low = toks[i].lower_
    nxt = toks[i + 1].lower_ if i + 1 < len(toks) else ""
    if low == "half" and nxt != "-" and toks[i].pos_ != "VERB":
        return i + 1, 0.5
    at = i + 2 if nxt == "-" and i + 2 < len(toks) else i + 1
    denominator = toks[at].lower_ if at < len(toks) else ""
    if denominator not in DENOMINATORS or low == "half":
        return None
    after = toks[at + 1].lower_ if at + 1 < len(toks) else ""
    count = 1.0 if low in ("a", "an", "one") else word_value(toks[i].text) if toks[i].like_num else None
    if count is None or low in ORDINALS:
        return None
    plural = denominator.endswith("s") or denominator == "halves"
    prev = toks[i - 1].lower_ if i else ""
    if plural and count > 1 or (not plural and count == 1 and (after == "of" or nxt == "-" or prev in (
            "by", "nearly", "almost", "about", "roughly", "around", "over", "than", "just", "only"))):
        return at + 1, count / DENOMINATORS[denominator]
    return None


def _frac(value: float) -> str:
    return f"frac:{round(value, 2):g}"


def _duration(value: float, unit: str | None) -> set[str]:
    """The duration in its base ("a decade" -> 120 months, "two years" -> 24 months) as a key."""
    if unit not in DURATION:
        return set()
    base, factor = DURATION[unit]
    return {f"dur:{base}:{fmt(round(value * factor, 4))}"}


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


_UNIT_ABBREVIATIONS = {"ms": "millisecond", "msec": "millisecond", "sec": "second", "secs": "second",
                       "min": "minute", "mins": "minute", "hr": "hour", "hrs": "hour"}


def _unit(word: str) -> str | None:
    w = word.lower()
    if w in _UNIT_ABBREVIATIONS:
        return _UNIT_ABBREVIATIONS[w]
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
        elif (number := word_value(toks[j].text)) is not None and (current is None or _compound(toks, j, current)):
            current = (current or 0) + float(number)
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
    for q in claim_quantities(claim_tokens):
        if not q.found(facts.quantity_keys):
            return _reason(q)
    return None


def check_anchor_quantities(claim_tokens, facts) -> str | None:
    """check_quantities against the sentence of a two-sentence span that the claim leans on, for the numbers and
    dates that sentence has rivals for: "last year" fails against "... in Pyongyang last month" although the other
    sentence says "since last year"; a sentence with no number at all leaves the claim's number to the span
    ("is optional and defaults to 1" over "... is an optional field ... It defaults to 1.")."""
    kinds = {q.kind for doc in facts.docs for q in quantities(doc)}
    for q in claim_quantities(claim_tokens):
        if q.kind in kinds and not q.found(facts.quantity_keys):
            return _reason(q)
    return None


def claim_quantities(tokens) -> tuple[Quantity, ...]:
    """``quantities`` of a claim's tokens, computed once per claim (it is checked against several spans)."""
    toks = list(tokens)
    return _claim_quantities(toks[0].doc, tuple(t.i for t in toks)) if toks else ()


@lru_cache(maxsize=1024)
def _claim_quantities(doc, ids: tuple[int, ...]) -> tuple[Quantity, ...]:
    return tuple(quantities([doc[i] for i in ids]))


def check_quantity_slots(claim_tokens, facts) -> str | None:
    """A number the span has must also be where the claim puts it: when the span gives the same slot (see
    ``slot_of``) other numbers and not this one, the claim took its number from another statement ("no longer
    than 63" where the span says "no longer than 52", and "no more than 63" of something else)."""
    span_slots: dict[tuple, list[_Slotted]] = {}
    for doc in facts.docs:
        for slot, q in _slotted(doc):
            span_slots.setdefault(slot, []).append(q)
    if not span_slots:
        return None
    for q in claim_quantities(claim_tokens):
        slot, counted = slot_of(q.token) if q.token is not None else (None, "")
        slotted = span_slots.get(slot, ()) if slot is not None else ()
        rivals = [r for r in slotted if not (counted and r.counted and r.counted != counted)]
        keys = {k for r in rivals for k in r.span_keys}
        if rivals and not q.found(keys) and not (q.bare and {q.bare, "~" + q.bare} & keys):  # "0%" for "0"
            return f"number {q.surface} where the cited text says {rivals[0].surface}"
    return None


def _gap(a, b) -> str:
    """The text between two tokens as written ("20%", "5 km"), or a space when they do not stand together."""
    return a.whitespace_ if b.i == a.i + 1 else " "


@dataclass
class _Slotted(Quantity):
    counted: str = ""  # the noun the number counts ("characters" of "63 characters"), if any


@lru_cache(maxsize=8192)
def _slotted(doc) -> tuple:
    """The numbers of a parsed span sentence with their slots, computed once per sentence."""
    out = []
    for q in quantities(doc):
        if q.token is None:
            continue
        slot, counted = slot_of(q.token)
        if slot is not None:
            out.append((slot, _Slotted(q.surface, q.keys, q.kind, q.bare, q.unit, q.token, counted=counted)))
    return tuple(out)


SLOT_DEPS = {"nsubj", "nsubjpass", "dobj", "dative", "attr", "oprd", "npadvmod", "appos", "acomp"}


def slot_of(tok) -> tuple[tuple | None, str]:
    """Where a number stands: (relation, preposition, head word) of the number or of the noun it counts
    ("than 63 characters" -> ("pobj", "than", "longer") under "no longer than 63 characters"; "defaults to 30"
    -> ("pobj", "to", "default")), coordinated numbers sharing the first one's; and the counted noun."""
    from rag.cite.alignment import norm  # alignment imports this module

    cur, counted = tok, ""
    for _ in range(3):  # "12" -> "billion" -> "dollars"; "63" -> "characters"
        if cur.dep_ in ("nummod", "quantmod", "compound") and cur.head.i != cur.i and cur.head.pos_ in (
                "NOUN", "PROPN", "NUM", "SYM"):
            cur = cur.head
            counted = norm(cur.text) if cur.pos_ in ("NOUN", "PROPN") else counted
        else:
            break
    for _ in range(6):
        if cur.dep_ != "conj" or cur.head.i == cur.i:
            break
        cur = cur.head
    head = cur.head
    if head.i == cur.i:
        return None, counted
    if cur.dep_ == "pobj" and head.head.i != head.i:
        return ("pobj", head.lower_, _head_word(head.head)), counted
    if cur.dep_ in SLOT_DEPS:
        return (cur.dep_, "", _head_word(head)), counted
    return None, counted


def _head_word(tok) -> str:
    from rag.cite.alignment import norm

    return tok.lemma_.lower() if tok.pos_ in ("VERB", "AUX") else norm(tok.text)


def _reason(q: Quantity) -> str:
    if q.kind == "date":
        return f"date '{q.surface}' not in the cited text"
    plain = sorted(k.removeprefix("ord:") for k in {*q.keys, q.bare or ""} if _PLAIN.match(k.removeprefix("ord:")))
    if any(c.isdigit() for c in q.surface):
        shown = q.surface  # "5 km", "$12 billion"
    elif plain:
        shown = f"{plain[0]} ('{q.surface}')"  # "6 ('six')"
    else:
        shown = f"'{q.surface}'"  # "'half'", "'hundreds'"
    return f"number {shown} not in the cited text"
