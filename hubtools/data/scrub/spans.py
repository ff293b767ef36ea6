"""What every recognizer returns: spans of the text, and how overlapping ones are settled."""

from __future__ import annotations

from typing import NamedTuple

# The kinds, in the order that breaks a tie between two spans of the same length at the same place.
KINDS = ("EMAIL", "URL", "SECRET", "IBAN", "CARD", "ID", "DOB", "GPS", "IP", "ADDRESS", "PHONE", "NAME", "HANDLE")
PRIORITY = {kind: index for index, kind in enumerate(KINDS)}


class Span(NamedTuple):
    """`text[start:end]` is personal data of `kind`."""

    start: int
    end: int
    kind: str


def resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans in text order: of two that overlap, the longer (then the higher priority) stays."""
    spans.sort(key=lambda s: (s.start, s.start - s.end, PRIORITY[s.kind]))
    kept: list[Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            last = kept[-1]
            if span.end - span.start > last.end - last.start:
                kept[-1] = span
            continue
        kept.append(span)
    return kept
