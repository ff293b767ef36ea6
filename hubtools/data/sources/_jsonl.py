"""Reading JSON Lines defensively: every line is either a JSON object or a `Reject` that says why not."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hubtools.data.sources import ParseResult, Reject, add_conversation


def read_bytes(path: Path) -> bytes:
    """A file's bytes, gunzipped when its name ends in `.gz`."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    return data


def iter_objects(path: Path, display: str, source: str) -> Iterator[tuple[str, dict | Reject]]:
    """Yield `(FILE:LINE, object)` for good lines and `(FILE:LINE, Reject)` for bad ones; blank lines are skipped."""
    try:
        data = read_bytes(path)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        yield f"{display}:1", Reject(f"{display}:1", f"cannot read file ({error})", source=source)
        return
    for number, raw in enumerate(data.split(b"\n"), start=1):
        location = f"{display}:{number}"
        if not raw.strip():
            continue
        problem, value = _decode(raw)
        if problem is not None:
            text = raw.decode("utf-8", errors="replace")
            yield location, Reject(location, problem, source=source, row=text)
        else:
            yield location, value


def parse_records(
    path: Path,
    *,
    source: str,
    display: str,
    to_messages: Callable[[dict], tuple[list[dict], str | None]],
    no_turns: str,
) -> ParseResult:
    """A JSONL parser from the one thing each format defines: a record's `(messages, None)` or `([], reason)`."""
    result = ParseResult()
    for location, record in iter_objects(path, display, source):
        if isinstance(record, Reject):
            result.rejects.append(record)
            continue
        messages, problem = to_messages(record)
        add_conversation(result, location, messages, problem, source=source, row=record, no_turns=no_turns)
    return result


def _decode(raw: bytes) -> tuple[str | None, Any]:
    if b"\x00" in raw:
        return "binary data (NUL bytes), not a JSON line", None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8 text (byte {error.start}); binary data?", None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"invalid JSON: {error.msg} (column {error.colno})", None
    if not isinstance(value, dict):
        return f"expected a JSON object, got {_type_name(value)}", None
    return None, value


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def get_str(record: dict, key: str, *, required: bool = True, where: str = "") -> tuple[str | None, str | None]:
    """`(value, None)` or `(None, reason)` for a string field; an optional field may be missing or null."""
    label = f"{where}{key}"
    if key not in record or record[key] is None:
        return (None, f"missing field {label!r}") if required else ("", None)
    value = record[key]
    if not isinstance(value, str):
        return None, f"field {label!r} must be a string, got {_type_name(value)}"
    return value, None
