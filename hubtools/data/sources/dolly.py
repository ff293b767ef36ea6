"""databricks-dolly-15k: `{"instruction", "context", "response", "category"}` a line.

The instruction (followed by its context, when there is one) is the user turn, the response the
assistant turn.
"""

from __future__ import annotations

from pathlib import Path

from hubtools.data.sources import ParseResult, Reject, make_row
from hubtools.data.sources._jsonl import get_str, iter_objects


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    result = ParseResult()
    for location, record in iter_objects(path, display, source):
        if isinstance(record, Reject):
            result.rejects.append(record)
            continue
        problem = None
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
            result.rejects.append(Reject(location, problem, source=source, row=record))
            continue
        user = f"{instruction.strip()}\n\n{context.strip()}" if context.strip() else instruction
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": response}]
        result.rows.append(make_row(messages, source, location))
    return result
