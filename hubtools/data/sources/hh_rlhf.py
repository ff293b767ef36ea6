"""Anthropic hh-rlhf: one `{"chosen": str, "rejected": str}` a line; the `chosen` dialogue is the example.

Each dialogue is `\\n\\nHuman: …\\n\\nAssistant: …`; markers that are missing or doubled in a few rows are
repaired by `hubtools.data.clean.split_dialogue`.
"""

from __future__ import annotations

from pathlib import Path

from hubtools.data.clean import split_dialogue
from hubtools.data.sources import ParseResult, Reject, has_dialogue, make_row
from hubtools.data.sources._jsonl import get_str, iter_objects


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    result = ParseResult()
    for location, record in iter_objects(path, display, source):
        if isinstance(record, Reject):
            result.rejects.append(record)
            continue
        chosen, problem = get_str(record, "chosen")
        if problem is None:
            messages = split_dialogue(chosen)
            if not has_dialogue(messages):
                problem = "no turns: 'chosen' has no Human:/Assistant: exchange"
        if problem is not None:
            result.rejects.append(Reject(location, problem, source=source, row=record))
            continue
        result.rows.append(make_row(messages, source, location))
    return result
