"""`Scrubber`: every recognizer run over a text, overlaps settled, spans replaced by numbered placeholders.

Placeholders are numbered per conversation (`Pseudonyms`): the same e-mail is `[EMAIL_1]` in every message of
it, a second one `[EMAIL_2]`, and a name met in full ("Tomasz Wierzbicki") keeps its number when it comes back
in part ("Tomasz"), so the dialogue stays coherent as training data without telling who anyone is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from hubtools.data.scrub.address import find_addresses
from hubtools.data.scrub.credentials import find_credentials
from hubtools.data.scrub.names import COMMON_WORDS, REDACTED, KnownNames, capitalised_mid_sentence
from hubtools.data.scrub.numbers import (
    find_birth_dates,
    find_cards,
    find_coordinates,
    find_ibans,
    find_ips,
    find_national_ids,
    find_phones,
    has_digit,
)
from hubtools.data.scrub.patterns import find_emails, find_handles, find_urls
from hubtools.data.scrub.people import NOT_NAMES, People
from hubtools.data.scrub.spans import Span, resolve

# Placeholders other tools (or an earlier pass) left in the text: kept as names, with a surname after them.
_MARKER = re.compile(r"\[(?:NAME|PERSON|USER|USERNAME|FIRST_?NAME|LAST_?NAME)(?:_\d+)?\]|" + REDACTED.pattern)
_SURNAME_AFTER = re.compile(
    r"[ \t]((?:(?i:van der|van den|van de|van|von der|von|de la|del|de|da|di|du|le|la|bin|ibn|al|el) )?"
    r"(?:Mc|Mac|O['’])?[A-ZÀ-Þ][a-zß-ÿ]+(?:-[A-ZÀ-Þ][a-zß-ÿ]+)*)(?![\w@-]|['’][^\W\d_]{2})"
)
_CHARACTER = re.compile(r"You are ((?:(?:Dr|Mr|Mrs|Ms|Prof|St|Capt|Sgt|Lt)\.\s)?[^.\n]{1,60}?)\.(?:\s|$)")
# What the text must hold for a pattern without digits, `@`, `/` or `[` to match (see `may_contain`): words,
# then a few substrings that are not words.
_HINT_WORDS = frozenset(
    """
    password passwd pwd passcode pin passphrase wifi cvv cvc otp secret arroba chez discord insta instagram snap
    snapchat tiktok twitter telegram steam xbox psn gamertag reddit tumblr twitch youtube github gitlab bluesky
    bsky threads mastodon wechat whatsapp kik skype roblox battletag pinterest spotify venmo cashapp paypal ao3
    wattpad deviantart tellonym username handle nick nickname ig sc tg yt
    """.split()
)
_HINT_STRINGS = ("(at", "{at", "<at", "-at-", "_at_", "www.", "-----begin", "battle.net", "screen name", "user name")
_CASED_HINTS = ("PIN", "hf_", "sk-", "ghp_", "github_pat_", "glpat-", "xox", "AKIA", "AIza", "eyJ")
_PUNCTUATION = str.maketrans({char: " " for char in "!\"#$%&'()*+,./:;<=>?@[\\]^`{|}~“”‘’«»…"})
_AT_DOMAIN = re.compile(r" at [\w-]+\.[a-z]{2,}")
_WORD_NOISE = re.compile(r"[\W_]+")
_NAME_WORD = re.compile(r"(?<![\w\[])[A-ZÀ-Þ][^\W\d_]{2,}")


class Pseudonyms:
    """One conversation's table: the same (kind, value) always gets the same numbered placeholder.

    A name met alone and a full name holding it are one person ("Tomasz", "Tomasz Wierzbicki"); two full names
    that only share a word are not ("Robert Shea", "Robert Wilson")."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}
        self._parts: dict[str, int] = {}  # the words of full names met so far
        self._last: Counter = Counter()

    def placeholder(self, kind: str, value: str) -> str:
        words = _WORD_NOISE.sub(" ", value.lower()).split()
        key = " ".join(words) if kind == "NAME" else "".join(words)
        number = self._ids.get((kind, key))
        if number is None and kind == "NAME":
            if len(words) > 1:
                number = next((self._ids[(kind, w)] for w in words if (kind, w) in self._ids), None)
            else:
                number = self._parts.get(key)
        if number is None:
            self._last[kind] += 1
            number = self._last[kind]
        self._ids[(kind, key)] = number
        if kind == "NAME" and len(words) > 1:
            for word in words:
                self._parts.setdefault(word, number)
        return f"[{kind}_{number}]"


class Scrubber:
    """Replaces personal data in text; built once per build with the names collected from the sources."""

    def __init__(self, names: Iterable[str] = (), keep: Iterable[str] = ()) -> None:
        self.known = KnownNames(names)
        self.people = People(keep)

    def may_contain(self, text: str, *, people: bool = True) -> bool:
        """False when `text` certainly holds nothing to scrub (checks one whole conversation at once): most
        messages of public sources skip the scrubber on a few substring tests."""
        if has_digit(text) or "@" in text or "＠" in text or "/" in text or "[" in text:
            return True
        if people and (not text.islower() or "my " in text):
            return True
        lowered = text.lower()
        if any(hint in lowered for hint in _HINT_STRINGS) or any(hint in text for hint in _CASED_HINTS):
            return True
        if people and not _HINT_WORDS.isdisjoint(lowered.translate(_PUNCTUATION).split()):
            return True  # a chat's "my discord is lunarfox" (public sources skip this test: 20 µs a row)
        if " at " in lowered and (" dot " in lowered or _AT_DOMAIN.search(lowered)):
            return True  # "anna dot berg at mail dot com", "anna.berg at mail.com"
        return self.known.mentioned(lowered)

    def find(self, text: str, keep: frozenset[str] = frozenset(), *, people: bool = True) -> list[Span]:
        """Every personal item in `text`, as non-overlapping spans in text order; `people=False` leaves out the
        free-text name layer (public sources, whose names are mostly public figures: see docs/privacy.md)."""
        spans = list(find_emails(text))
        spans += find_urls(text, self.known.mentioned)
        spans += find_handles(text)
        spans += find_credentials(text)
        if has_digit(text):
            for start, end in _digit_windows(text):
                chunk = text[start:end]
                for finder in _DIGIT_FINDERS:
                    spans += (Span(s.start + start, s.end + start, s.kind) for s in finder(chunk))
        spans += (Span(m.start(), m.end(), "NAME") for m in _MARKER.finditer(text))
        spans += self.known.find(text)
        if people:
            spans += self.people.find(text, keep)
        return _with_surnames(text, resolve(spans), keep | self.people.keep)

    def scrub(self, text: str, counts: Counter | None = None, pseudonyms: Pseudonyms | None = None) -> str:
        """`text` with every item replaced by its placeholder; adds what it replaced to `counts`.

        Pass one `Pseudonyms` for all the messages of a conversation (see `scrub_messages`); without one the
        numbering starts afresh for this text."""
        return self.replace(text, self.find(text), counts, pseudonyms)

    @staticmethod
    def replace(
        text: str, spans: list[Span], counts: Counter | None = None, pseudonyms: Pseudonyms | None = None
    ) -> str:
        """`text` with `spans` (non-overlapping, in order) replaced by their numbered placeholders."""
        pseudonyms = pseudonyms if pseudonyms is not None else Pseudonyms()
        out, last = [], 0
        for span in spans:
            out += (text[last : span.start], pseudonyms.placeholder(span.kind, text[span.start : span.end]))
            last = span.end
            if counts is not None:
                counts[span.kind] += 1
        out.append(text[last:])
        return "".join(out)

    def find_messages(self, messages: list[dict], *, people: bool = True) -> list[list[Span]]:
        """The spans of each message of one conversation; the character's own name (from the system turn,
        "You are Mira.") is kept: chats with Mira talk about Mira."""
        keep = frozenset(
            word.lower()
            for m in messages
            if m["role"] == "system" and (found := _CHARACTER.match(m["content"]))
            for word in found.group(1).split()
        )
        found = [self.find(m["content"], keep, people=people) for m in messages]
        learned = {
            word
            for m, spans in zip(messages, found, strict=True)
            for span in spans
            if span.kind == "NAME"
            for word in _NAME_WORD.findall(m["content"][span.start : span.end])
            if word.lower() not in keep and word.lower() not in COMMON_WORDS
        }
        if not learned:
            return found
        # A name met once ("my cousin Tomasz Wierzbicki") is a name in every message of the conversation ("Tomasz").
        again = re.compile(
            r"(?<![\w@])(?:" + "|".join(map(re.escape, sorted(learned, key=len, reverse=True))) + r")(?!\w)"
        )
        return [
            resolve(spans + [Span(m.start(), m.end(), "NAME") for m in again.finditer(message["content"])])
            for message, spans in zip(messages, found, strict=True)
        ]

    def scrub_messages(
        self, messages: list[dict], counts: Counter | None = None, *, people: bool = True
    ) -> list[dict]:
        """One conversation's messages scrubbed in place, numbered with one placeholder table."""
        pseudonyms = Pseudonyms()
        for message, spans in zip(messages, self.find_messages(messages, people=people), strict=True):
            message["content"] = self.replace(message["content"], spans, counts, pseudonyms)
        return messages


_DIGIT_FINDERS = (
    find_cards, find_ibans, find_national_ids, find_birth_dates, find_coordinates, find_ips, find_addresses,
    find_phones,
)  # fmt: skip
_DIGITS = re.compile(r"\d+")
_WINDOW = 100  # characters around digits where a number's context lies: labels, "born on", a street, a city


def _digit_windows(text: str) -> list[tuple[int, int]]:
    """The parts of `text` around its digits, cut at whitespace: the numeric recognizers run on these only, so
    a long message with one number costs what a short one does."""
    windows: list[list[int]] = []
    for match in _DIGITS.finditer(text):
        start, end = max(0, match.start() - _WINDOW), min(len(text), match.end() + _WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    out = []
    for start, end in windows:
        if start > 0:
            space = text.rfind(" ", 0, start)
            start = 0 if space < 0 else space + 1
        if end < len(text):
            space = text.find(" ", end)
            end = len(text) if space < 0 else space
        out.append((start, end))
    return out


def _with_surnames(text: str, spans: list[Span], keep: frozenset[str]) -> list[Span]:
    """Names stretched over the capitalised word right after them: "[NAME] Okafor", "Nadia Okafor"."""
    out: list[Span] = []
    for index, span in enumerate(spans):
        if span.kind == "NAME":
            after = _SURNAME_AFTER.match(text, span.end)
            limit = spans[index + 1].start if index + 1 < len(spans) else len(text)
            if after and after.end() <= limit and _surname_like(text, after, keep):
                span = Span(span.start, after.end(), "NAME")
        out.append(span)
    return out


def _surname_like(text: str, match: re.Match, keep: frozenset[str]) -> bool:
    word = match.group(1).split()[-1].lower()
    return word not in NOT_NAMES and word not in keep and capitalised_mid_sentence(text, match.start(1))
