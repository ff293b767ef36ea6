"""PII scrubbing: a fixture with planted items of every kind, all replaced; ordinary text kept."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from hubtools.data.scrub import KINDS, PLACEHOLDERS, Scrubber, luhn_ok, name_variants

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = ["nadia_b", "Nadia", "Nadia Benali", "Rose", "Will", "Al", "[USERNAME_REDACTED]"]
LEAKS = [
    "Nadia",
    "Benali",
    "nadia_b",
    "nadia_99",
    "NADIA2000",
    "nadia.benali",
    "n.b@",
    "7946",
    "555",
    "415",
    "06 12",
    "192.168",
    "2001:db8",
    "twitter.com",
    "instagram.com",
    "reddit.com/user",
    "@nadia",
    "Evergreen",
    "Baker Street",
    "4111 1111",
    "5500",
    "rose_99",
    "told Will",
    "REDACTED",
]


@pytest.fixture(scope="module")
def scrubbed():
    counts = Counter()
    text = Scrubber(NAMES).scrub((FIXTURES / "pii_planted.txt").read_text(), counts)
    return text, counts


def test_every_planted_item_is_scrubbed(scrubbed):
    text, _ = scrubbed
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked: {text}"


def test_counts_per_kind(scrubbed):
    text, counts = scrubbed
    assert set(counts) == set(KINDS)
    assert counts == Counter(NAME=9, EMAIL=2, PHONE=6, IP=2, URL=4, ADDRESS=2, CARD=2)
    for kind, n in counts.items():
        assert text.count(PLACEHOLDERS[kind]) == n


def test_ordinary_words_stay():
    text = (FIXTURES / "pii_keep.txt").read_text()
    counts = Counter()
    assert Scrubber(NAMES).scrub(text, counts) == text
    assert counts == Counter()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I told Rose.", "I told [NAME]."),
        ("Rose is here.", "Rose is here."),  # sentence start: ambiguous, kept
        ("a rose, a Rosebud", "a rose, a Rosebud"),
        ("ping @will and will_7", "ping [NAME] and [NAME]"),
        ("nadia NADIA Nadia", "[NAME] [NAME] [NAME]"),
        ("xx_nadia_xx and nadia123", "[NAME] and [NAME]"),
        ("Al is two letters", "Al is two letters"),
    ],
)
def test_name_rule(text, expected):
    assert Scrubber(NAMES).scrub(text) == expected


def test_name_variants_drop_short_names_and_placeholders():
    assert name_variants(["Al", "[NAME_REDACTED]", "jo_99", "Ann-Marie Lee", "rosalind99"]) == {
        "jo_99",
        "Ann-Marie Lee",
        "Ann-Marie",
        "Lee",
        "rosalind99",
        "rosalind",
    }


def test_luhn():
    assert luhn_ok("4111111111111111") and luhn_ok("5500000000000004")
    assert not luhn_ok("4111111111111112")


def test_no_names_means_no_name_scrubbing():
    assert Scrubber().scrub("Nadia says hi") == "Nadia says hi"
    assert not re.search(r"\[\w+\]", Scrubber().scrub("plain text without anything personal"))
