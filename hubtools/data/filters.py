"""Filters: each drops conversations for one documented reason and is counted under its own name.

| name | drops a conversation when |
|---|---|
| `length` | user+assistant turns or approximate tokens (characters / 4) fall outside the bounds |
| `language` | its detected language is not in `languages` (short texts with no clear language are kept) |
| `refusal` | an assistant turn contains a refusal or assistant boilerplate ("As an AI language model…") |
| `repetition` | replies loop: too many repeated word 3-grams, or replies equal to an earlier one (CAI's failure) |
| `empty_reply` | an assistant reply is empty or near-empty (under `min_chars` characters, or no letter/digit) |

Filters run in this order and the first one that fails names the reject. `Stats` is computed once per
row and also feeds the quality score (`hubtools.data.select`).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from hubtools.data.recipe import Filters

FILTER_NAMES = ("length", "language", "refusal", "repetition", "empty_reply")

DEFAULT_REFUSALS = (
    r"\bas an ai(?: language)? model\b",
    r"\bas a (?:large )?language model\b",
    r"\bas an ai(?: assistant)?, i\b",
    r"\bi(?:['’]m| am) (?:sorry|afraid),? but i (?:cannot|can['’]t|am not able to|won['’]t)\b",
    r"\bi (?:cannot|can['’]t|won['’]t) (?:fulfill|comply with|assist with|help with) (?:that|this|your)\b",
    r"\bi (?:do not|don['’]t) have (?:personal )?(?:opinions|feelings|emotions|beliefs|experiences)\b",
    r"\bi(?:['’]m| am) (?:just )?an ai(?: language model| assistant)? (?:and|so) (?:cannot|can['’]t|don['’]t)\b",
    r"\bopenai(?:['’]s)? (?:content )?polic(?:y|ies)\b",
    r"\bmy (?:programming|guidelines) (?:does not|doesn['’]t|do not|don['’]t) (?:allow|permit)\b",
)
# Every default pattern contains one of these: a text without any cannot match, and substring tests are
# much cheaper than running the regex over every reply.
_DEFAULT_KEYWORDS = (
    "an ai", "language model", "sorry", "afraid", "fulfill", "comply with", "assist with", "help with", "t have",
    "not have", "openai", "my programming", "my guidelines",
)  # fmt: skip

# The commonest function words of the languages chat data mixes most; enough to tell them apart.
_STOPWORDS = {
    "en": "the and to of a in is it you that for i this was with on are be have not but what my your do can",
    "es": "el la de que y en los se del las un por con no una su para es al lo como más pero sus le ya",
    "fr": "le la les de des et un une du en que est pour qui dans ne pas sur au avec ce il elle je vous",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an ich",
    "it": "il di che è e la per un in non una sono mi ho lo ha le si ma gli con del della anche io",
    "pt": "de que e o a do da em um para é com não uma os no se na por mais as dos como mas foi ao eu",
    "nl": "de het een en van ik te dat die in is niet je op zijn met voor er maar aan ook als om dan",
}
# Each stop word also with the punctuation that sticks to words, so lookups need no stripping pass.
_LANG_OF: dict[str, tuple[str, ...]] = {}
for _code, _words in _STOPWORDS.items():
    for _word in _words.split():
        for _form in {_word, *(_word + p for p in ".,!?;:\"')…"), *(p + _word for p in "\"'(¿¡«“")}:
            _LANG_OF[_form] = (*_LANG_OF.get(_form, ()), _code)
_ALNUM = re.compile(r"[^\W_]")
_LETTERS = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTERS = re.compile(r"[^\W\d_\u0000-\u024f]")


class Stats(NamedTuple):
    """What filters and the quality score need to know about one conversation, computed once."""

    turns: int  # user + assistant turns
    tokens: int  # approximate: characters / 4, rounded up
    replies: int
    reply_words: float  # mean words per assistant reply
    shortest_reply: int  # characters of the shortest assistant reply
    reply_has_word: bool  # every reply has at least one letter or digit
    repeated_ngrams: float  # share of assistant word 3-grams that repeat an earlier one
    duplicate_replies: float  # share of assistant replies equal to an earlier reply
    diversity: float  # distinct / total words over the first 200 assistant words


def row_stats(messages: list[dict]) -> Stats:
    chars = 0
    turns = 0
    replies: list[str] = []
    for message in messages:
        chars += len(message["content"])
        if message["role"] != "system":
            turns += 1
        if message["role"] == "assistant":
            replies.append(message["content"])
    words = " ".join(replies).lower().split()
    head = words[:1000]
    trigrams = len(head) - 2
    repeated = 1.0 - len(set(zip(head, head[1:], head[2:], strict=False))) / trigrams if trigrams >= 20 else 0.0
    normalized = [reply.lower() for reply in replies]  # whitespace is already normalized by cleaning
    duplicate = 1.0 - len(set(normalized)) / len(normalized) if len(normalized) >= 3 else 0.0
    first = words[:200]
    return Stats(
        turns=turns,
        tokens=(chars + 3) // 4,
        replies=len(replies),
        reply_words=len(words) / len(replies) if replies else 0.0,
        shortest_reply=min((len(reply) for reply in replies), default=0),
        reply_has_word=all(_has_word(reply) for reply in replies),
        repeated_ngrams=repeated,
        duplicate_replies=duplicate,
        diversity=len(set(first)) / len(first) if first else 0.0,
    )


def _head(messages: list[dict], size: int) -> str:
    """The first `size` characters of the non-system turns: plenty to tell a language."""
    parts, length = [], 0
    for message in messages:
        if message["role"] != "system":
            parts.append(message["content"][: size - length])
            length += len(parts[-1]) + 1
            if length >= size:
                break
    return " ".join(parts)


def _has_word(text: str) -> bool:
    return text[:1].isalnum() or _ALNUM.search(text) is not None


def detect_language(text: str) -> str | None:
    """A cheap guess: `"en"`, `"es"`, … by stop-word votes, `"non-latin"` for other scripts, None if unclear."""
    sample = text[:800]
    if not sample.isascii():
        letters = len(_LETTERS.findall(sample))
        if letters and len(_NON_LATIN_LETTERS.findall(sample)) > 0.3 * letters:
            return "non-latin"
    votes: dict[str, int] = {}
    words = sample.lower().split()[:150]
    for codes, count in Counter(filter(None, map(_LANG_OF.get, words))).items():
        for code in codes:
            votes[code] = votes.get(code, 0) + count
    if not votes:
        return None
    best = max(sorted(votes), key=votes.__getitem__)
    ranked = sorted(votes.values(), reverse=True)
    if ranked[0] < 3 or (len(ranked) > 1 and ranked[0] == ranked[1]):
        return None  # too short or too mixed to call
    return best


class RowFilter:
    """The recipe's filters, compiled once; calling it on a row answers `None` (keep) or `(name, reason)`."""

    def __init__(self, config: Filters) -> None:
        self.config = config
        refusal = config.refusal
        self._defaults = _compile(DEFAULT_REFUSALS) if refusal.use_defaults else None
        self._custom = _compile(refusal.patterns) if refusal.patterns else None
        self._languages = set(config.language.languages)

    def __call__(self, messages: list[dict], stats: Stats) -> tuple[str, str] | None:
        config = self.config
        length = config.length
        if length.enabled:
            if not length.min_turns <= stats.turns <= length.max_turns:
                return "length", f"{stats.turns} turns, outside [{length.min_turns}, {length.max_turns}]"
            if not length.min_tokens <= stats.tokens <= length.max_tokens:
                return "length", f"~{stats.tokens} tokens, outside [{length.min_tokens}, {length.max_tokens}]"
        if config.language.enabled:
            language = detect_language(_head(messages, 800))
            if language is not None and language not in self._languages:
                return "language", f"language {language!r} not in {sorted(self._languages)}"
        if config.refusal.enabled:
            found = self._refusal(messages)
            if found:
                return "refusal", f"assistant says {found!r}"
        repetition = config.repetition
        if repetition.enabled:
            if stats.repeated_ngrams > repetition.max_repeated_ngrams:
                return "repetition", f"{stats.repeated_ngrams:.0%} of reply 3-grams repeat"
            if stats.duplicate_replies > repetition.max_duplicate_replies:
                return "repetition", f"{stats.duplicate_replies:.0%} of replies repeat an earlier reply"
        empty = config.empty_reply
        if empty.enabled and (stats.shortest_reply < empty.min_chars or not stats.reply_has_word):
            return "empty_reply", f"a reply is empty or near-empty (shortest: {stats.shortest_reply} characters)"
        return None

    def _refusal(self, messages: list[dict]) -> str | None:
        for message in messages:
            if message["role"] != "assistant":
                continue
            text = message["content"]
            if self._defaults is not None:
                lowered = text.lower()
                if any(keyword in lowered for keyword in _DEFAULT_KEYWORDS):
                    found = self._defaults.search(text)
                    if found:
                        return found.group()
            if self._custom is not None:
                found = self._custom.search(text)
                if found:
                    return found.group()
        return None


def _compile(patterns) -> re.Pattern:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)
