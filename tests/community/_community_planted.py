"""The planted-PII fixture: what was planted (must never come out) and what is ordinary (must come out as is)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
PLANTED = FIXTURES / "planted"

# Everything personal planted in fixtures/planted (checked case-insensitively in every output).
PLANTED_ITEMS = [
    "nadia",
    "benali",
    "nadia_b",
    "nadia_99",
    "nadia2000",
    "n.b@",
    "mail.example.co.uk",
    "sub.domain.example.org",
    "7946",
    "415",
    "555-0142",
    "123-4567",
    "06 12 34",
    "192.168",
    "2001:db8",
    "8a2e",
    "evergreen",
    "springfield",
    "62704",
    "baker street",
    "twitter.com",
    "instagram.com",
    "reddit.com/user",
    "example.org/@",
    "4111 1111",
    "5500-0000",
]
# Ordinary text of the same fixture that must come through unchanged.
KEPT = [
    "I will plant a rose in the garden and will water it every day. The willow and the primrose are in bloom.",
    "The meeting is on 2023-04-05 at 10:30. Python 3.11.7 is out; "
    "see https://docs.python.org/3/library/re.html for details.",
    "I walked 5 miles down the road and bought 3 apples for 2.50 dollars.",
    "Ahoy! Welcome to my lighthouse. What brings you here tonight?",
]


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [item for item in PLANTED_ITEMS if item in lowered]
