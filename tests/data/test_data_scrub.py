"""PII scrubbing: a fixture with planted items of every kind, all replaced; ordinary text kept."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from hubtools.data.scrub import Scrubber, luhn_ok, name_variants, trie_pattern

FIXTURES = Path(__file__).parent / "fixtures"
_NUMBER = re.compile(r"\[([A-Z]+)_\d+\]")


def scrub(scrubber: Scrubber, text: str, counts: Counter | None = None) -> str:
    """The scrubbed text with placeholder numbers dropped (`[NAME_2]` → `[NAME]`): these tests are about kinds."""
    return _NUMBER.sub(r"[\1]", scrubber.scrub(text, counts))


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
    text = scrub(Scrubber(NAMES), (FIXTURES / "pii_planted.txt").read_text(), counts)
    return text, counts


def test_every_planted_item_is_scrubbed(scrubbed):
    text, _ = scrubbed
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked: {text}"


def test_counts_per_kind(scrubbed):
    text, counts = scrubbed
    assert counts == Counter(NAME=9, EMAIL=2, PHONE=6, IP=2, URL=4, ADDRESS=2, CARD=2)
    for kind, n in counts.items():
        assert text.count(f"[{kind}]") == n


def test_ordinary_words_stay():
    text = (FIXTURES / "pii_keep.txt").read_text()
    counts = Counter()
    assert scrub(Scrubber(NAMES), text, counts) == text
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
    assert scrub(Scrubber(NAMES), text) == expected


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
    assert scrub(Scrubber(), "nadiab says hi") == "nadiab says hi"  # a dump name: only known from metadata
    assert scrub(Scrubber(), "Nadia says hi") == "[NAME] says hi"  # a first name in the gazetteer: free-text layer
    assert not re.search(r"\[\w+\]", Scrubber().scrub("plain text without anything personal"))


@pytest.mark.parametrize(
    "text",
    [
        "+33 6 12 34 56 78",  # France: one-digit area group after the country code
        "+33 6.12.34.56.78",
        "+81 3-1234-5678",  # Japan: Tokyo's one-digit area code
        "+81 3 1234 5678",
    ],
)
def test_international_phone_with_one_digit_area_group(text):
    counts = Counter()
    assert scrub(Scrubber(), f"call {text} tonight", counts) == "call [PHONE] tonight"
    assert counts == Counter(PHONE=1)


def test_a_single_digit_after_a_plus_is_not_a_phone_without_enough_digits():
    assert scrub(Scrubber(), "scored +3 1 2 in the last round") == "scored +3 1 2 in the last round"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1600 Pennsylvania Avenue NW, Washington, DC 20500", "[ADDRESS]"),
        ("write to 1600 Pennsylvania Avenue NW, Washington, DC 20500 today", "write to [ADDRESS] today"),
        ("500 Main St SE, Portland, OR 97214.", "[ADDRESS]."),
        ("1600 Pennsylvania Avenue NW, Washington, DC 20500-0003", "[ADDRESS]"),  # ZIP+4 is not a phone
        ("12 High St., Oxford OX1 4AU", "[ADDRESS]"),
        ("10 Downing St., London SW1A 2AA, UK", "[ADDRESS]"),  # the country too
        ("221B Baker Street, London NW1 6XE", "[ADDRESS]"),
        ("I live at 12 High St. It is quiet.", "I live at [ADDRESS]. It is quiet."),  # the full stop stays
        ("Send it to 221B Baker Street.", "Send it to [ADDRESS]."),
    ],
)
def test_address_direction_dotted_street_type_and_uk_postcode(text, expected):
    counts = Counter()
    assert scrub(Scrubber(), text, counts) == expected
    assert counts == Counter(ADDRESS=1)


@pytest.mark.parametrize(
    ("names", "text", "expected"),
    [
        (NAMES, "find me as nadiabenali or NadiaB", "find me as [NAME] or [NAME]"),
        (NAMES, "NadiaBenali, benalinadia, nbenali", "[NAME], [NAME], [NAME]"),
        (NAMES, "nadiabenali_99 and xx_NadiaBenali", "[NAME] and [NAME]"),
        (["Nadia", "Benali", "nadia_b"], "find me as nadiabenali or NadiaB", "find me as [NAME] or [NAME]"),
        (["Nadia", "nadia_b"], "or NadiaB", "or [NAME]"),  # the user name without its `_`
        (NAMES, "Nadiaxyz and nadiaxyz are other words", "Nadiaxyz and nadiaxyz are other words"),
        (["Rose", "Wood"], "a rosewood box", "a rosewood box"),  # common words glued stay
        (["Rose Smith", "rose_s"], "roses and RoseS, but rosesmith", "roses and RoseS, but [NAME]"),
        (["Benali"], "a benalian idea", "a benalian idea"),
    ],
)
def test_glued_names(names, text, expected):
    assert scrub(Scrubber(names), text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "update to version 2.0.1.4 today",
        "Version: 10.0.0.1 is out",
        "we ship v2.0.1.4 and ver. 1.2.3.4",
        "release 4.3.2.1, build 1.0.0.12",
        "version 192.168.100.200 fixes it",  # neither an IP nor a phone
    ],
)
def test_version_numbers_are_not_ips(text):
    counts = Counter()
    assert scrub(Scrubber(), text, counts) == text
    assert counts == Counter()


def test_ips_stay_scrubbed_next_to_version_words():
    text = "version 2.0.1.4 runs on 10.0.0.1; the IPv4 192.168.1.23 and dev 10.1.2.3"
    counts = Counter()
    assert scrub(Scrubber(), text, counts) == "version 2.0.1.4 runs on [IP]; the IPv4 [IP] and dev [IP]"
    assert counts == Counter(IP=3)


def test_name_trie_prefers_the_longest_name_like_a_longest_first_alternation():
    pattern = re.compile(trie_pattern(["ann", "anna", "anna lee", "annabel", "bob"]))
    assert [m.group() for m in pattern.finditer("anna lee, annabel, anna, ann, bob, annx")] == [
        "anna lee", "annabel", "anna", "ann", "bob", "ann",
    ]  # fmt: skip


def test_many_names_are_all_found():
    names = [f"Person{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676)}" for i in range(2000)]
    scrubber = Scrubber(names)
    text = " and ".join(names[::97])
    assert scrub(scrubber, text) == " and ".join(["[NAME]"] * len(names[::97]))


def test_a_very_long_name_builds_and_matches():
    long_name = "Zq" * 1500  # a pasted blob in a display-name field: no recursion per character
    assert scrub(Scrubber([long_name, long_name[:1000]]), f"from {long_name} today") == "from [NAME] today"
