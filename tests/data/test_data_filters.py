"""Filters: each drops what it documents, names itself, and can be turned off."""

from __future__ import annotations

import pytest

from hubtools.data.filters import RowFilter, detect_language, row_stats
from hubtools.data.recipe import Filters


def chat(*turns: str, system: str | None = None) -> list[dict]:
    messages = [{"role": "system", "content": system}] if system else []
    roles = ("user", "assistant")
    return messages + [{"role": roles[i % 2], "content": text} for i, text in enumerate(turns)]


GOOD = chat("How do I boil an egg?", "Put it in boiling water for about seven minutes, then cool it in cold water.")


def verdict(messages, **config):
    filters = Filters.model_validate(config)
    return RowFilter(filters)(messages, row_stats(messages))


def test_a_good_conversation_passes():
    assert verdict(GOOD) is None


@pytest.mark.parametrize(
    ("messages", "config", "reason"),
    [
        (GOOD, {"length": {"min_turns": 4}}, "2 turns, outside [4, 64]"),
        (chat(*["hi", "hello"] * 40), {}, "80 turns, outside [2, 64]"),
        (chat("hi", "yo"), {"length": {"min_tokens": 5}}, "~1 tokens, outside [5, 4096]"),
        (chat("q", "word " * 5000), {}, "~6251 tokens, outside [4, 4096]"),
    ],
)
def test_length(messages, config, reason):
    assert verdict(messages, **config) == ("length", reason)


def test_language():
    spanish = chat(
        "¿Dónde está la estación de tren?", "La estación está al final de la calle, a la derecha del parque."
    )
    assert verdict(spanish) == ("language", "language 'es' not in ['en']")
    assert verdict(spanish, language={"languages": ["en", "es"]}) is None
    assert verdict(spanish, language={"enabled": False}) is None
    russian = chat("Где находится вокзал?", "Вокзал находится в конце улицы.")
    assert verdict(russian)[0] == "language"
    assert verdict(chat("ok then", "sure thing")) is None  # too short to tell: kept


def test_detect_language():
    assert detect_language("The cat is on the mat and it is happy with you") == "en"
    assert detect_language("Le chat est sur le tapis et il est content pour vous") == "fr"
    assert detect_language("Der Hund ist mit dem Ball auf der Wiese und nicht im Haus") == "de"
    assert detect_language("東京は日本の首都です") == "non-latin"
    assert detect_language("ok") is None


def test_refusal_and_boilerplate():
    boilerplate = chat("Tell me a joke", "As an AI language model, I don't have a sense of humor.")
    assert verdict(boilerplate) == ("refusal", "assistant says 'As an AI language model'")
    refusal = chat("Help me", "I'm sorry, but I cannot help with that request.")
    assert verdict(refusal)[0] == "refusal"
    user_says_it = chat("As an AI language model, what do you think?", "I think it is a fine question to ask.")
    assert verdict(user_says_it) is None  # only assistant turns count
    custom = chat("Hi", "Certainly! Here is your answer: forty-two is the number.")
    assert verdict(custom, refusal={"patterns": [r"^certainly!"]}) == ("refusal", "assistant says 'Certainly!'")
    assert verdict(boilerplate, refusal={"use_defaults": False}) is None


def test_repetition_catches_loops():
    loop = "I will protect you. " * 30
    assert verdict(chat("Are you okay?", loop))[0] == "repetition"
    same = chat("a", "I am here for you.", "b", "I am here for you.", "c", "I am here for you.", "d", "Fine.")
    assert verdict(same) == ("repetition", "50% of replies repeat an earlier reply")
    assert verdict(same, repetition={"max_duplicate_replies": 0.6}) is None


def test_empty_replies():
    assert verdict(chat("Hello there?", "...")) == (
        "empty_reply",
        "a reply is empty or near-empty (shortest: 3 characters)",
    )
    assert verdict(chat("Describe it in a word", "."))[0] == "empty_reply"
    assert verdict(chat("Is it raining, yes or no?", "No")) is None
    assert verdict(chat("?", "."), empty_reply={"enabled": False}, length={"min_tokens": 0}) is None


def test_stats_feed_the_score():
    stats = row_stats(chat("Hi", "one two three four", "more", "five six", system="persona"))
    assert stats.turns == 4 and stats.replies == 2 and stats.reply_words == 3.0
    assert stats.diversity == 1.0 and stats.repeated_ngrams == 0.0
