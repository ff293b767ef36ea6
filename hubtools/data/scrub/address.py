"""Street addresses: US/UK style (`742 Evergreen Terrace`), written in lower case (`221 maple drive, springfield`),
continental (`Kastanienallee 12, 10435 Berlin`, `12 rue de la Paix`, `Via Roma 5`, `ul. Długa 3`), P.O. boxes and
postcodes said as such ("my zip is 90210").

Lower-case words are only taken between a house number and an unambiguous street type (`street`, `ave`, `rd`…);
a type that is also an everyday word (`drive`, `way`, `place`, `court`…) needs capitals, a city after a comma or
words like "I live at" before it, so "2 more hours to drive" stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hubtools.data.scrub.spans import Span

_CLEAR_TYPES = (
    r"street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|dr|ct|pl|ter|terr|cir|parkway|pkwy|highway|hwy"
    r"|sq|crescent|cres|cresc|avenida|strasse|straße|str"
)
_WORD_TYPES = (
    r"drive|court|way|place|terrace|circle|square|trail|close|grove|gardens|mews|row|walk|rise|hill|view|loop|alley"
    r"|plaza|path|pike|crossing|promenade|esplanade|quay|wharf|heights"
)
_UNIT = r"(?:,?\s*(?i:apt|apartment|suite|ste|unit|flat|floor|fl|#|no)\.?\s*#?[\w-]{1,6})?"
_UNIT_FIRST = r"(?:\b(?:Flat|Apt\.?|Apartment|Unit|Suite|Room|Studio)\s*(?:[\w-]{1,5},?\s+)?)?"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_ZIP = r"\d{5}(?:-\d{4})?"
_CITY_CAP = r"[A-Z][a-z][\w'-]*(?:\s[A-Z][a-z][\w'-]*){0,2}"
_TAIL = (
    rf"(?:,\s*(?:{_CITY_CAP}))?(?:,?\s*(?:[A-Z]{{2}}|[A-Z][a-z]+)(?=[\s,]+(?:{_ZIP}|{_UK_POSTCODE})\b))?"
    rf"(?:,?\s+(?:{_ZIP}|{_UK_POSTCODE})\b)?(?:,?\s+[A-Z]{{2,3}}\s+\d{{4}}\b)?(?:,\s*[A-Z]{{2}}\b(?!\s*\d))?"
)
_DIRECTION = r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\b(?:\.(?=,))?)?"
_CAPITALISED = re.compile(
    _UNIT_FIRST
    + r"\b(?:\d{1,4}/)?\d{1,5}[A-Za-z]?,?\s+(?:(?:[A-Z][\w'.-]*|\d{1,3}(?:st|nd|rd|th))\s+){1,3}(?i:"
    + _CLEAR_TYPES
    + "|"
    + _WORD_TYPES
    + r")\b"
    r"(?:\.(?=,))?" + _DIRECTION + _UNIT + _TAIL
)
_LOWER = re.compile(
    r"(?i)(?:\b(?:flat|apt\.?|apartment|unit|suite)\s*[\w-]{1,5},?\s+)?"
    r"\b\d{1,5}[a-z]?,?\s+((?:[a-z][\w'.-]*\s+){1,3})(?:(" + _CLEAR_TYPES + r")|(" + _WORD_TYPES + r"))\b"
    r"(?:\.(?=,))?" + _DIRECTION + _UNIT + r"((?:,\s*[a-z][a-z'-]+(?![\w'-])(?:\s[a-z][a-z'-]+(?![\w'-]))?)?)"
    rf"(?:,?\s+(?:{_ZIP}|{_UK_POSTCODE})\b)?"
)
# Not street names: the words between a number and "drive"/"road" in "2 more hours to drive", "3 dogs on the road".
_NOT_STREET_WORDS = frozenset(
    "a an the of to on in at for and or but more less hours hour minutes minute miles mile km times days weeks "
    "years months people dogs cats cars kids is are was were be my your his her our their its this that these "
    "those we you they i he she it me us them with from by off into onto over under down up back home way "
    "ways lanes roads streets lane other another each every some any all many few new old big small long short "
    "first second third last next one two three four five six seven eight nine ten".split()
)
_CONTINENTAL = re.compile(
    r"\b[A-ZÄÖÜ][\wäöüßéèàçñ'-]{2,}(?:straße|strasse|str\.|allee|weg|gasse|platz|damm|ufer|chaussee|steig|pfad"
    r"|straat|laan|gracht|plein|kade|singel|dreef|gatan|vägen|gata|vej|gade|veien|utca|katu)"
    r"\s+\d{1,4}\s?[a-zA-Z]?\b(?:\s*[/-]\s*\d{1,4})?"
    r"(?:,\s*(?:[A-Z]-)?(?:\d{4,5}|\d{3} \d{2})(?:\s?[A-Z]{2})?\s+[A-ZÄÖÜ][\wäöüß-]+)?"
    r"|\b(?:[Cc]alle|C/|[Aa]venida|Avda\.|[Rr]ua|[Tt]ravessa|[Vv]ia|[Vv]iale|[Pp]iazza|[Cc]orso|[Pp]laza|[Pp]aseo"
    r"|[Cc]arrer|[Uu]l\.|[Uu]lica|[Aa]l\.)"
    r"\s+(?:(?:de|del|de la|da|do|dos|das|di|della|des|du|d')\s*)?[A-ZÀ-ÝŁŚŻŹĆŃ][\wà-ÿąćęłńóśźż'-]*"
    r"(?:\s+[A-ZÀ-Ý][\wà-ÿ'-]*){0,3},?\s+(?:n\.?º?\s*)?\d{1,4}[a-zA-Z]?\b"
    r"(?:,\s*\d{1,2}º\s*[A-Za-z]?(?!\d))?(?:,\s*(?:[A-Z]{1,2}-)?(?:\d{4,5}(?:-\d{3})?|\d{2}-\d{3})"
    r"\s+[A-ZÀ-ÝŁŚŻ][\wà-ÿąćęłńóśźż-]+|,\s*[A-ZÀ-ÝŁŚŻ][\wà-ÿąćęłńóśźż-]+(?:\s[A-ZÀ-ÝŁŚŻ][\wà-ÿąćęłńóśźż-]+)?)?"
    r"|\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|place|quai|route)\s+"
    r"(?:(?i:de la|de l'|du|des|de|d')\s*)?[A-ZÀ-Ý][\wà-ÿ'-]*(?:\s[A-ZÀ-Ý][\wà-ÿ'-]*){0,3}"
    r"(?:,\s*\d{5}\s+[A-ZÀ-Ý][\wà-ÿ-]+)?"
)
_PO_BOX = re.compile(r"(?i)\b(?:p\.?\s?o\.?\s?box|post office box|postfach|apartado)\s*\d{1,6}\b")
_POSTCODE_SAID = re.compile(
    rf"(?i:\b(?:zip|zip code|zipcode|postcode|post code|postal code|plz|code postal|cap|cp))(?:\s*(?i:is|:|-))*\s*"
    rf"({_ZIP}|(?i:{_UK_POSTCODE})|[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d|\d{{4}}(?: ?[A-Z]{{2}})?|\d{{2}}-\d{{3}})\b"
)
_STANDALONE_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}\b|\b[A-Z]\d[A-Z] \d[A-Z]\d\b")
_ADDRESS_CUE = re.compile(
    r"(?i)(?:live[sd]? (?:at|on)|living (?:at|on)|address(?: is)?|moved to|located at|send (?:it|them) to|ship to"
    r"|deliver(?:ed)? to|house (?:is )?(?:at|on)|staying at|place (?:is )?(?:at|on)|at|on)\s*:?\s*$"
)


_NOT_CAPITALISED_STREET = frozenset(
    "the a an of and or to in on at my your hours minutes miles times days weeks".split()
)


def _street_words(address: str) -> list[str]:
    words = address.split()
    start = next((i for i, w in enumerate(words) if w[:1].isdigit()), 0)
    return words[start + 1 : start + 3]


def find_addresses(text: str) -> Iterator[Span]:
    for match in _CAPITALISED.finditer(text):
        if not any(w.lower() in _NOT_CAPITALISED_STREET for w in _street_words(match.group())):
            yield Span(match.start(), match.end(), "ADDRESS")
    for match in _LOWER.finditer(text):
        words, _clear, wordy, city = match.groups()
        if any(w.strip(".,").lower() in _NOT_STREET_WORDS for w in words.split()):
            continue
        end = match.end()
        if city and city.strip(", ").split()[0].lower() in _NOT_STREET_WORDS:
            city, end = "", match.start(4)  # ", and then…" is no city
        if wordy and not city and not _ADDRESS_CUE.search(text, max(0, match.start() - 24), match.start()):
            continue
        yield Span(match.start(), end, "ADDRESS")
    for pattern in (_CONTINENTAL, _PO_BOX, _STANDALONE_POSTCODE):
        for match in pattern.finditer(text):
            yield Span(match.start(), match.end(), "ADDRESS")
    for match in _POSTCODE_SAID.finditer(text):
        yield Span(match.start(1), match.end(1), "ADDRESS")
