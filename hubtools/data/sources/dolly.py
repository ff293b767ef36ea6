"""databricks-dolly-15k: `{"instruction", "context", "response", "category"}` a line.

The instruction (followed by its context, when there is one) is the user turn, the response the
assistant turn.
"""

from __future__ import annotations

from pathlib import Path

from hubtools.data.sources import ParseResult
from hubtools.data.sources._jsonl import get_str, parse_records


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    no_turns = "no turns: needs an instruction and a response"
    return parse_records(path, source=source, display=display, to_messages=to_messages, no_turns=no_turns)


def to_messages(record: dict) -> tuple[list[dict], str | None]:
    instruction, problem = get_str(record, "instruction")
    if problem is None:
        context, problem = get_str(record, "context", required=False)
    if problem is None:
        response, problem = get_str(record, "response")
    if problem is None:
        _, problem = get_str(record, "category", required=False)
    if problem is None and not instruction.strip():
        problem = "no turns: empty 'instruction'"
    if problem is None and not response.strip():
        problem = "no turns: empty 'response'"
    if problem is not None:
        return [], problem
    user = f"{instruction.strip()}\n\n{context.strip()}" if context.strip() else instruction
    return [{"role": "user", "content": user}, {"role": "assistant", "content": response}], None
