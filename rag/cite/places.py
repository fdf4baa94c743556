"""Countries and unions written different ways: short names, official long forms, abbreviations and demonyms.

An answer names a country the way its source does not: "South Korean President Yoon" for "President Yoon
Suk-yeol of the Republic of Korea", "the PRC" for "China", "British" for "the United Kingdom". No installed
library carries this data (no pycountry, babel or geonames in the environment), so the table is kept here, small:
the countries whose name has more than one word, an official long form, an abbreviation, or a demonym that is not
the name with an ending (those, "Japanese" ~ "Japan", are matched by stem in rag.cite.alignment). Each row is one
place; matching a form in a text takes the longest forms first, so "Democratic People's Republic of Korea" is
North Korea and does not also count as "Republic of Korea".
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.text import fold

# (names, demonyms) per place; forms are folded (lower case, ASCII), full stops kept ("u.s").
PLACES: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("united states", "united states of america", "america", "us", "u.s", "usa", "u.s.a"), ("american",)),
    (("united kingdom", "united kingdom of great britain and northern ireland", "great britain", "britain", "uk",
      "u.k"), ("british", "briton")),
    (("south korea", "republic of korea", "rok", "korea republic"), ("south korean",)),
    (("north korea", "democratic people's republic of korea", "dprk"), ("north korean",)),
    (("china", "people's republic of china", "prc", "mainland china"), ("chinese",)),
    (("taiwan", "republic of china", "roc"), ("taiwanese",)),
    (("russia", "russian federation"), ("russian",)),
    (("new zealand", "aotearoa"), ("new zealander", "kiwi")),
    (("australia", "commonwealth of australia"), ("australian",)),
    (("japan", "state of japan"), ("japanese",)),
    (("germany", "federal republic of germany"), ("german",)),
    (("france", "french republic"), ("french",)),
    (("netherlands", "kingdom of the netherlands", "holland"), ("dutch",)),
    (("india", "republic of india"), ("indian",)),
    (("iran", "islamic republic of iran"), ("iranian",)),
    (("vietnam", "viet nam", "socialist republic of vietnam"), ("vietnamese",)),
    (("philippines", "republic of the philippines"), ("filipino", "philippine")),
    (("south africa", "republic of south africa"), ("south african",)),
    (("saudi arabia", "kingdom of saudi arabia"), ("saudi", "saudi arabian")),
    (("united arab emirates", "uae"), ("emirati",)),
    (("czech republic", "czechia"), ("czech",)),
    (("ireland", "republic of ireland"), ("irish",)),
    (("sri lanka",), ("sri lankan",)),
    (("hong kong",), ("hong konger",)),
    (("costa rica",), ("costa rican",)),
    (("puerto rico",), ("puerto rican",)),
    (("el salvador",), ("salvadoran",)),
    (("dominican republic",), ("dominican",)),
    (("sierra leone",), ("sierra leonean",)),
    (("ivory coast", "cote d'ivoire"), ("ivorian",)),
    (("papua new guinea",), ("papua new guinean",)),
    (("south sudan",), ("south sudanese",)),
    (("north macedonia",), ("macedonian",)),
    (("bosnia and herzegovina", "bosnia"), ("bosnian",)),
    (("east timor", "timor-leste"), ("timorese",)),
    (("democratic republic of the congo", "dr congo", "drc"), ("congolese",)),
    (("european union", "eu"), ()),
    (("united nations", "un", "u.n"), ()),
]

_FORMS: dict[str, int] = {form: n for n, (names, demonyms) in enumerate(PLACES) for form in names + demonyms}
_BY_LENGTH = sorted(_FORMS, key=len, reverse=True)
_PATTERN = re.compile("|".join(rf"(?<![\w.']){re.escape(f)}(?![\w'])" for f in _BY_LENGTH))


def place_of(text: str) -> int | None:
    """The place a name written in an answer stands for ("South Korean", "the U.S.", "Republic of Korea"), or
    None when the name is not in the table."""
    key = fold(text).strip(". ").replace("’", "'")
    key = re.sub(r"^the ", "", re.sub(r"'s$", "", key))
    for form in (key, key.replace(" ", ""), key[:-1] if key.endswith("s") and len(key) > 4 else None):
        if form and form in _FORMS:
            return _FORMS[form]
    return None


@lru_cache(maxsize=4096)
def places_in(folded_text: str) -> frozenset[int]:
    """The places a (folded) text names in any of their forms, longest forms first: "the democratic people's
    republic of korea" names North Korea only."""
    return frozenset(_FORMS[m.group(0)] for m in _PATTERN.finditer(folded_text.replace("’", "'")))
