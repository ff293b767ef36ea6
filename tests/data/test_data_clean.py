"""Cleaning: mojibake, unicode, whitespace, turn markers, same-role merges."""

from __future__ import annotations

import pytest

from hubtools.data.clean import clean_messages, clean_text, split_dialogue


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("videogaÃƒÂ±ame", "videogañame"),
        ("CafÃ©s", "Cafés"),
        ("ðŸ‘‰ Google Play", "👉 Google Play"),
        ("Cafe\u0301", "Café"),  # decomposed → NFC
        ("  two  spaces\tand\u00a0nbsp  ", "two spaces and nbsp"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("para\n\n\n\n\nnext", "para\n\nnext"),
        ("trailing   \nline", "trailing\nline"),
        ("    indented code stays", "indented code stays"),
        ("def f():\n    return 1", "def f():\n    return 1"),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_split_dialogue_handles_short_markers_and_leading_text():
    turns = split_dialogue("Hello?\nH: hi\nA: hey there\n\nhuman: lower case\n\nASSISTANT: upper")
    assert turns == [
        {"role": "user", "content": "Hello?"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hey there"},
        {"role": "user", "content": "lower case"},
        {"role": "assistant", "content": "upper"},
    ]


def test_inline_markers_need_the_exact_word():
    (turn,) = split_dialogue("Plan A: go left. Option H: wait.")
    assert turn == {"role": "user", "content": "Plan A: go left. Option H: wait."}


def test_clean_messages_merges_same_role_and_drops_empty_turns():
    messages = [
        {"role": "system", "content": " Be brief. "},
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": "Human: are you there?"},
        {"role": "assistant", "content": "   "},
        {"role": "assistant", "content": "Assistant: Assistant: Yes."},
    ]
    assert clean_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi\n\nare you there?"},
        {"role": "assistant", "content": "Yes."},
    ]
