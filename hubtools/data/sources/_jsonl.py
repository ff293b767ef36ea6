"""Reading JSON defensively: every line is either a JSON object or a `Reject` that says why not.

`loads` turns everything the standard `json` module would crash or choke on into a reason: nesting past
`MAX_DEPTH` (a `RecursionError` in `json`, and again in every later `json.dumps`), integers longer than
Python converts (a `ValueError`), `NaN`/`Infinity` and out-of-range floats (not JSON, and they would make
the rejects file invalid JSON), and lone surrogates such as `\\ud800` (valid JSON escapes that no UTF-8 file
can hold, so writing the row would fail).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hubtools.data.sources import ParseResult, Reject, add_conversation
from hubtools.data.sources._read import MAX_LINE_BYTES, FileProblem, decode_utf8, iter_lines

MAX_DEPTH = 100  # real records nest under 10 levels
MAX_INT_DIGITS = 4300  # CPython's default int <-> str conversion limit
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Invalid(ValueError):
    """A value that parses as JSON text but cannot be kept; the message is the reason."""


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Invalid(f"integer with {digits} digits (more than {MAX_INT_DIGITS})")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Invalid(f"number {text[:40]} is out of range")
    return value


def _constant(text: str) -> Any:
    raise _Invalid(f"{text} is not valid JSON")


def loads(text: str) -> tuple[Any, str | None]:
    """`(value, None)` or `(None, reason)`; never raises, whatever the text."""
    value, problem = _load(text, check=True, hint="")
    return (None, problem[1]) if problem else (value, None)


def load_document(text: str, *, check: bool = True) -> tuple[Any, tuple[int, str] | None]:
    """`(value, None)` or `(None, (line, reason))`, for a whole-file JSON document; `check=False` leaves
    `check_value` to the caller, who may reject parts of the document rather than all of it."""
    return _load(text, check=check, hint="; truncated file?")


def _load(text: str, *, check: bool, hint: str) -> tuple[Any, tuple[int, str] | None]:
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except _Invalid as error:
        return None, (1, f"invalid JSON: {error}")
    except json.JSONDecodeError as error:
        at_end = hint if error.pos >= len(text.rstrip()) else ""
        return None, (error.lineno, f"invalid JSON: {error.msg} (column {error.colno}){at_end}")
    except RecursionError:
        return None, (1, f"invalid JSON: nested deeper than {MAX_DEPTH} levels")
    except ValueError as error:  # a stricter int limit set by PYTHONINTMAXSTRDIGITS
        return None, (1, f"invalid JSON: {error}")
    problem = check_value(value) if check else None
    return (None, (1, problem)) if problem else (value, None)


def check_value(value: Any) -> str | None:
    """Why a parsed JSON value cannot be kept (too deep, a lone surrogate), or None; iterative, so any depth."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and (match := _SURROGATE.search(item)):
                return f"invalid Unicode: lone surrogate \\u{ord(match.group()):04x} in a string"
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"invalid JSON: nested deeper than {MAX_DEPTH} levels"
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
    return None


def iter_objects(path: Path, display: str, source: str) -> Iterator[tuple[str, dict | Reject]]:
    """Yield `(FILE:LINE, object)` for good lines and `(FILE:LINE, Reject)` for bad ones; blank lines are
    skipped, and a file that cannot be read (further) ends with a `FILE: reason` reject."""
    for line in iter_lines(path):
        if isinstance(line, FileProblem):
            yield display, Reject(display, line.reason, source=source)
            return
        location = f"{display}:{line.number}"
        if not line.data.strip():
            continue
        problem, value = _decode(line.data, line.size)
        if problem is not None:
            text = line.data.decode("utf-8", errors="replace")
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


def _decode(raw: bytes, size: int) -> tuple[str | None, Any]:
    if size > MAX_LINE_BYTES:
        return f"line too long ({size} bytes; the limit is {MAX_LINE_BYTES >> 20} MiB)", None
    if b"\x00" in raw:
        return "binary data (NUL bytes), not a JSON line", None
    text = decode_utf8(raw)
    if isinstance(text, tuple):
        return text[1], None
    value, problem = loads(text)
    if problem is not None:
        return problem, None
    if not isinstance(value, dict):
        return f"expected a JSON object, got {type_name(value)}", None
    return None, value


def type_name(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def brief(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, for reasons that quote what the data held."""
    text = repr(value) if not isinstance(value, (dict, list)) else type_name(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def get_str(record: dict, key: str, *, required: bool = True, where: str = "") -> tuple[str | None, str | None]:
    """`(value, None)` or `(None, reason)` for a string field; an optional field may be missing or null."""
    label = f"{where}{key}"
    if key not in record or record[key] is None:
        return (None, f"missing field {label!r}") if required else ("", None)
    value = record[key]
    if not isinstance(value, str):
        return None, f"field {label!r} must be a string, got {type_name(value)}"
    return value, None
