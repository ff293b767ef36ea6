"""Anthropic hh-rlhf: one `{"chosen": str, "rejected": str}` a line; the `chosen` dialogue is the example.

Each dialogue is `\\n\\nHuman: …\\n\\nAssistant: …`; markers that are missing or doubled in a few rows are
repaired by `hubtools.data.clean.split_dialogue`.
"""

from __future__ import annotations

from pathlib import Path

from hubtools.data.clean import split_dialogue
from hubtools.data.sources import ParseResult
from hubtools.data.sources._jsonl import get_str, parse_records


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    no_turns = "no turns: 'chosen' has no Human:/Assistant: exchange"
    return parse_records(path, source=source, display=display, to_messages=to_messages, no_turns=no_turns)


def to_messages(record: dict) -> tuple[list[dict], str | None]:
    chosen, problem = get_str(record, "chosen")
    return ([], problem) if problem is not None else (split_dialogue(chosen), None)
