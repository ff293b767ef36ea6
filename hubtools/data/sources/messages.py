"""Generic chat JSONL: `{"messages": [{"role", "content"}]}` or ShareGPT `{"conversations": [{"from", "value"}]}`.

Roles map to system/user/assistant (ShareGPT's human/gpt included); `content` may also be a list of
`{"type": "text", "text": …}` parts, whose texts are joined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubtools.data.sources import ParseResult
from hubtools.data.sources._jsonl import brief, parse_records

ROLES = {
    "system": "system",
    "user": "user",
    "human": "user",
    "prompter": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "chatgpt": "assistant",
}


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    no_turns = "no turns: needs at least one user and one assistant message with text"
    return parse_records(path, source=source, display=display, to_messages=to_messages, no_turns=no_turns)


def to_messages(record: dict) -> tuple[list[dict], str | None]:
    """`(messages, None)` or `([], reason)` for one record in either layout."""
    if "messages" in record:
        key, role_key, text_key = "messages", "role", "content"
    elif "conversations" in record:
        key, role_key, text_key = "conversations", "from", "value"
    else:
        return [], "missing field 'messages' (or ShareGPT 'conversations')"
    turns = record[key]
    if not isinstance(turns, list):
        return [], f"field {key!r} must be a list of messages"
    messages = []
    for index, turn in enumerate(turns):
        where = f"{key}[{index}]"
        if not isinstance(turn, dict):
            return [], f"{where} must be an object"
        if role_key not in turn or text_key not in turn:
            missing = role_key if role_key not in turn else text_key
            return [], f"{where}: missing field {missing!r}"
        role = ROLES.get(str(turn[role_key]).lower()) if isinstance(turn[role_key], str) else None
        if role is None:
            return [], f"{where}: unknown role {brief(turn[role_key])} (expected system, user or assistant)"
        text = _text(turn[text_key])
        if text is None:
            return [], f"{where}: field {text_key!r} must be a string"
        messages.append({"role": role, "content": text})
    return messages, None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, dict) for part in value):
        texts = [part.get("text") for part in value if part.get("type", "text") == "text"]
        if all(isinstance(text, str) for text in texts):
            return "\n".join(texts)
    return None
