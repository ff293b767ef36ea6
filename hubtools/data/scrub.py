"""PII scrubbing: replace personal data in text with typed placeholders, and count what was replaced.

Kinds and placeholders: `[EMAIL]` (plus tags, subdomains), `[URL]` (links that carry a user handle:
profile sites, `/@name`, `/u/name`, `/user/…`, or a known name in the link), `[CARD]` (13–19 digits passing
the Luhn check), `[IP]` (IPv4, IPv6 validated by `ipaddress`; a dotted quad right after `version`, `ver`,
`v`, `release`, `build`… is a version number and stays), `[PHONE]` (international `+44 20 …`, `+33 6 12 …`,
`+81 3-1234-…` and local formats with spaces, dots, dashes, parentheses; dates are not phones), `[ADDRESS]`
(house number, capitalised street name, street type — `St.` with its dot —, optional direction `NW`,
unit, city, state, US ZIP or UK postcode), `[NAME]` (the dump's user names and display names, and the old
dumper's `[…_REDACTED]` markers).

The name rule, so ordinary words survive: names shorter than 3 characters are ignored. A name that is
also a common English word (`Will`, `Rose`, `Mark`, `Hope`…, see `COMMON_WORDS`) is replaced only when
written capitalised and not at the start of a sentence ("I told Rose" but not "Rose petals…", never
"rose"), or inside a handle (`@rose`, `rose_99`, `rose123`). Any other name is replaced case-insensitively
as a whole word and inside handles (`@nadia`, `nadia_99`, `xx_nadia`). Names glued into one handle are
replaced too: a known name written without its separators (`nadiabenali`, `NadiaBenali`, `NadiaB` for
"Nadia Benali" / `nadia_b`), surname first (`benalinadia`), initial and surname (`nbenali`), or two known
names that are not common words (`nadiabenali` from "Nadia" and "Benali"); a common-word name with one or
two letters more ("roses", "marks") is never a glued name. Any other name inside a longer word ("Willow",
"Nadiaxyz") is left alone.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable

PLACEHOLDERS = {
    "EMAIL": "[EMAIL]",
    "URL": "[URL]",
    "CARD": "[CARD]",
    "IP": "[IP]",
    "PHONE": "[PHONE]",
    "ADDRESS": "[ADDRESS]",
    "NAME": "[NAME]",
}
KINDS = tuple(PLACEHOLDERS)

COMMON_WORDS = frozenset(
    """
    will may june april august summer autumn winter spring rose lily daisy iris ivy violet holly hazel olive
    ruby pearl amber jade crystal grace hope faith joy charity patience honor honey sunny sky rain storm
    river brook dawn eve star angel bill mark frank jack pat sue art rich ray rod bob nick drew dean chase
    hunter sandy rusty miles guy gene glen grant wade warren chance cliff forest heath clay colt buck bud
    king prince duke earl baron major page reed rock stone wood ford lane dale hall moore park penny sterling
    victor carol don jean mike max sam tom tim ben dan ken jay lee van bell gay ash parker cook baker miller
    smith taylor young white black brown green gray grey long short little young price shepherd may mercy
    robin jasmine poppy sage basil august christian frank joy melody harmony destiny justice liberty
    ginger candy coco cookie buddy champ doc ace angel baby love lovely honey sweetie dear darling
    user guest admin anonymous someone nobody human assistant bot character name username
    the and you your yours are was were his her hers him she they them their what who how why when where
    """.split()
)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b"
)
_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"'`]+"
    r"|\b(?:[\w-]+\.)*(?:twitter|x|instagram|facebook|fb|tiktok|github|reddit|linkedin|twitch|youtube|snapchat"
    r"|pinterest|tumblr|medium|discord|t)\.(?:com|tv|gg|me)/[^\s<>\"'`]+",
    re.IGNORECASE,
)
_PROFILE_HOSTS = re.compile(
    r"(?:^|\.|//)(?:twitter|x|instagram|facebook|fb|tiktok|github|reddit|linkedin|twitch|youtube|snapchat|pinterest"
    r"|tumblr|medium|discord|t|character)\.(?:com|tv|gg|me|ai)(?::\d+)?/[^/?#\s]+",
    re.IGNORECASE,
)
_HANDLE_PATH = re.compile(r"/(?:@[\w.-]+|u/|user/|users/|profile|people/|member/|~[\w.-]+)", re.IGNORECASE)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.]*\d)")
# What makes a dotted quad a version number: searched in the few characters before it, so it ends at the quad.
_VERSION_BEFORE = re.compile(
    r"(?i)(?<![\w.])(?:(?:versions?|ver|release|rel|build|firmware|fw|revision|rev|patch)\.?\s*[:#]?\s*v?|v\.?\s*)$"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# After a country code the first group may be one digit (`+33 6 …`, `+81 3-…`); without one it takes two to four.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}|(?:\(\d{1,4}\)[ .-]?)?\d{2,4})"
    r"(?:[ .-]?\d{2,4}){1,4}(?![\w])"
)
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir"
    r"|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Close|Crescent"
)
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){1,3}(?i:" + _STREET_TYPES + r")\b"
    r"(?:\.(?=,))?"  # the dot of `St.,` (a dot before anything else may end the sentence: left alone)
    r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\b(?:\.(?=,))?)?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.?\s*[\w-]+)?"
    r"(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2})?(?:,\s*[A-Z]{2})?"
    r"(?:,?\s+(?:\d{5}(?:-\d{4})?|" + _UK_POSTCODE + r"\b))?"
    r"|\b(?:Calle|Avenida|Rua|Via|Rue)\s+(?:[A-Z][\w'-]*\s+){1,3}\d{1,5}\b"
    r"|\b\d{1,5},?\s+(?:rue|avenue|boulevard|chemin)\s+(?:de\s+la\s+|de\s+|du\s+|des\s+)?[A-Z][\w'-]*(?:\s[A-Z][\w'-]*)?"
)
_REDACTED = re.compile(r"\[[A-Z_]*REDACTED[A-Z_]*\]")
_SEPARATORS = re.compile(r"[\W_]+")
_HANDLE_BREAK = re.compile(r"[\d_]")
_SENTENCE_END = ".!?\n\"'“(:"


def _has_digit(text: str) -> bool:
    """Ten substring scans: about twenty times faster than `re.search(r"\\d", text)` on a page of text."""
    return any(digit in text for digit in "0123456789")


def _version_before(match: re.Match) -> bool:
    """Whether the digits matched come right after `version`, `v`, `release`… (a version number, not an address)."""
    start = match.start()
    return _VERSION_BEFORE.search(match.string, max(0, start - 16), start) is not None


def luhn_ok(digits: str) -> bool:
    """The payment-card checksum: true for real card numbers, false for almost every other digit run."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def name_variants(names: Iterable[str]) -> set[str]:
    """Names worth matching: each full name, its words, and user names without trailing digits (≥ 3 chars)."""
    out = set()
    for raw in names:
        name = raw.strip()
        if not name or _REDACTED.fullmatch(name):
            continue
        candidates = {name, *re.split(r"[\s]+", name), re.sub(r"[\d_.-]+$", "", name)}
        for candidate in candidates:
            candidate = candidate.strip(" .,'\"")
            if len(candidate) >= 3 and not candidate.isdigit() and candidate.upper() not in PLACEHOLDERS:
                out.add(candidate)
    return out


def trie_pattern(words: Iterable[str]) -> str:
    """A regex for any of `words` that prefers the longest at each position, like a longest-first alternation,
    but as a trie: matching costs the same for three names or three thousand (sre tries alternatives in turn)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _trie_node(trie)


def _trie_node(node: dict) -> str:
    branches = []
    for char, child in sorted(node.items()):
        if not char:
            continue
        run = char
        while len(child) == 1 and "" not in child:  # a chain without choices: one literal, no recursion per char
            ((char, child),) = child.items()
            run += char
        branches.append(re.escape(run) + _trie_node(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body  # greedy: a longer name before the one ending here


class Scrubber:
    """Replaces personal data in text; built once per build with the names collected from the sources."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        unique = {name.lower(): name for name in sorted(name_variants(names))}
        self.names = sorted(unique.values(), key=lambda n: (-len(n), n.lower()))
        self._lower = {name.lower() for name in self.names}
        self._ambiguous = {n for n in self._lower if n in COMMON_WORDS or any(w in COMMON_WORDS for w in n.split())}
        # Glued handles: names without their separators, and two-word names reordered or with an initial.
        self._glued = {_SEPARATORS.sub("", n) for n in self._lower}
        for name in self._lower:
            words = [w for w in _SEPARATORS.split(name) if w]
            if len(words) >= 2:
                first, last = words[0], words[-1]
                self._glued.update((last + first, first + last[0], first[0] + last))
        self._glue_words = {n for n in self._lower if n.isalpha() and n not in self._ambiguous}
        self._name_re = self._any_name = None
        if self.names:
            names = trie_pattern(self._lower)
            self._any_name = re.compile(names)  # searched in lowercased text
            self._name_re = re.compile(rf"(?<![\w@])(@?)(\w*?)({names})(\w*)(?![\w])", re.IGNORECASE)

    def _mentions_a_name(self, lowered: str) -> bool:
        return self._any_name is not None and self._any_name.search(lowered) is not None

    def may_contain(self, text: str) -> bool:
        """False when `text` certainly holds nothing to scrub (checks one whole conversation at once)."""
        if "@" in text or "/" in text or "www." in text or "REDACTED" in text or _has_digit(text):
            return True
        return self._mentions_a_name(text.lower())

    def scrub(self, text: str, counts: Counter | None = None) -> str:
        """`text` with every PII item replaced by its placeholder; adds what it replaced to `counts`."""
        counts = counts if counts is not None else Counter()
        if "@" in text:
            text = self._sub(_EMAIL, "EMAIL", text, counts)
        if "/" in text or "www." in text:
            text = _URL.sub(lambda m: self._url(m, counts), text)
        if _has_digit(text):
            text = _CARD.sub(lambda m: self._card(m, counts), text)
            text = _IPV4.sub(lambda m: self._ipv4(m, counts), text)
            if ":" in text:
                text = _IPV6.sub(lambda m: self._ipv6(m, counts), text)
            text = self._sub(_ADDRESS, "ADDRESS", text, counts)  # first: its ZIP+4 would pass for a phone
            text = _PHONE.sub(lambda m: self._phone(m, counts), text)
        if "REDACTED" in text:
            text = self._sub(_REDACTED, "NAME", text, counts)
        if self._name_re is not None and self._mentions_a_name(text.lower()):
            text = self._name_re.sub(lambda m: self._name(m, counts), text)
        return text

    @staticmethod
    def _sub(pattern: re.Pattern, kind: str, text: str, counts: Counter) -> str:
        text, found = pattern.subn(PLACEHOLDERS[kind], text)
        if found:
            counts[kind] += found
        return text

    def _url(self, match: re.Match, counts: Counter) -> str:
        url = match.group()
        personal = _PROFILE_HOSTS.search(url) or _HANDLE_PATH.search(url) or self._mentions_a_name(url.lower())
        if not personal:
            return url
        counts["URL"] += 1
        trailing = url[len(url.rstrip(".,;:!?)")) :]  # keep sentence punctuation after the link
        return PLACEHOLDERS["URL"] + trailing

    @staticmethod
    def _card(match: re.Match, counts: Counter) -> str:
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            counts["CARD"] += 1
            return PLACEHOLDERS["CARD"]
        return match.group()

    @staticmethod
    def _ipv4(match: re.Match, counts: Counter) -> str:
        if _version_before(match):
            return match.group()
        counts["IP"] += 1
        return PLACEHOLDERS["IP"]

    @staticmethod
    def _ipv6(match: re.Match, counts: Counter) -> str:
        candidate = match.group()
        if candidate.count(":") < 2 or not any(c in "0123456789abcdefABCDEF" for c in candidate):
            return candidate
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            return candidate
        counts["IP"] += 1
        return PLACEHOLDERS["IP"]

    @staticmethod
    def _phone(match: re.Match, counts: Counter) -> str:
        text = match.group()
        digits = sum(char.isdigit() for char in text)
        if not 7 <= digits <= 15 or _DATE.fullmatch(text.strip()):
            return text
        marked = text.startswith("+") or "(" in text
        if not marked and "." in text and _version_before(match):
            return text  # a version number the IP rule left alone (`version 192.168.100.200`)
        if marked or digits >= 9 or re.fullmatch(r"\d{3}[ .-]\d{4}", text):
            counts["PHONE"] += 1
            return PLACEHOLDERS["PHONE"]
        return text

    def _name(self, match: re.Match, counts: Counter) -> str:
        at, prefix, name, suffix = match.groups()
        whole = match.group()
        handle_like = bool(at) or (
            (not prefix or prefix[-1] in "_0123456789") and (not suffix or suffix[0] in "_0123456789")
        )
        if not (at or prefix or suffix):
            if name.lower() in self._ambiguous and not self._capitalised_mid_sentence(match):
                return whole
        elif not handle_like and not self._is_glued(prefix, name, suffix):
            return whole  # the name is part of a longer word ("Willow")
        counts["NAME"] += 1
        return PLACEHOLDERS["NAME"]

    def _is_glued(self, prefix: str, name: str, suffix: str) -> bool:
        """Whether the letters around `name`, up to a digit or `_`, make a glued name (`nadiabenali`, `NadiaB`)."""
        if prefix:
            prefix = _HANDLE_BREAK.split(prefix)[-1]
        if suffix:
            suffix = _HANDLE_BREAK.split(suffix, maxsplit=1)[0]
        word = (prefix + name + suffix).lower()
        if len(word) - len(name) < 3 and name.lower() in self._ambiguous:
            return False  # "roses", "marks": a common word, even for Rose Smith or rose_s
        if word in self._glued:
            return True
        return any(
            word[:cut] in self._glue_words and word[cut:] in self._glue_words for cut in range(3, len(word) - 2)
        )

    @staticmethod
    def _capitalised_mid_sentence(match: re.Match) -> bool:
        name = match.group(3)
        if not name[:1].isupper():
            return False
        before = match.string[: match.start()].rstrip(" \t")
        return bool(before) and before[-1] not in _SENTENCE_END
