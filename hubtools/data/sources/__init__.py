"""Source parsers: each turns one raw format into conversation rows, and every bad record into a `Reject`.

A row is `{"messages": [{"role", "content"}, ...], "source": NAME, "source_id": "FILE:LINE"}` (see
docs/ARCHITECTURE.md). Parsers never raise on bad data: a bad line becomes a `Reject` located at
`FILE:LINE`, so the user can open the file at the right place; the caller decides whether that is fatal.
Parsers only split records into turns; cleaning and scrubbing happen later, the same way for every source.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubtools.errors import HubtoolsError

KINDS = ("hh-rlhf", "dolly", "cai-dump", "messages", "chatterbot", "space-feedback")
# File names each kind reads when given a folder.
SUFFIXES = {
    "hh-rlhf": (".jsonl", ".jsonl.gz", ".json.gz"),
    "dolly": (".jsonl", ".jsonl.gz"),
    "cai-dump": (".json", ".json.gz"),
    "messages": (".jsonl", ".jsonl.gz"),
    "chatterbot": (".yml", ".yaml", ".yml.gz", ".yaml.gz"),
    "space-feedback": (".jsonl", ".jsonl.gz"),
}
# Where a kind's files sit inside a folder that holds more (the contributions repo keeps feedback apart).
SUBFOLDERS = {"space-feedback": "feedback"}
RAW_LIMIT = 2000


@dataclass
class Reject:
    """A record left out, where it came from and why; `str()` is the `FILE:LINE: reason` users see."""

    location: str
    reason: str
    stage: str = "parse"
    name: str | None = None  # the filter or dedup kind, for later stages
    source: str = ""
    row: Any = None  # the row (a dict) or the raw text of a bad line

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"

    def to_json(self) -> dict:
        row = self.row
        if isinstance(row, str) and len(row) > RAW_LIMIT:
            row = row[:RAW_LIMIT] + "…"
        return {
            "stage": self.stage,
            "name": self.name,
            "reason": self.reason,
            "source": self.source,
            "source_id": self.location,
            "row": row,
        }


@dataclass
class ParseResult:
    """What one or more files gave: rows, rejects, and personal names seen in the data (for scrubbing)."""

    rows: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    # Feedback sources only: preference pairs, counts per record kind, and records per release (`repo@rev`).
    preferences: list[dict] = field(default_factory=list)
    feedback: Counter = field(default_factory=Counter)
    releases: Counter = field(default_factory=Counter)

    def extend(self, other: ParseResult) -> None:
        self.rows.extend(other.rows)
        self.rejects.extend(other.rejects)
        self.names.update(other.names)
        self.preferences.extend(other.preferences)
        self.feedback.update(other.feedback)
        self.releases.update(other.releases)

    def feedback_summary(self) -> dict:
        """What a feedback source gave, for the build summary and the dataset card."""
        return {
            "records": dict(sorted(self.feedback.items())),
            "pairs": len(self.preferences),
            "releases": dict(sorted(self.releases.items())),
        }


def make_row(messages: list[dict], source: str, source_id: str) -> dict:
    return {"messages": messages, "source": source, "source_id": source_id}


def has_dialogue(messages: list[dict]) -> bool:
    """At least one user turn and one assistant turn with text: the least a chat example needs."""
    roles = {m["role"] for m in messages if m["content"].strip()}
    return "user" in roles and "assistant" in roles


def add_conversation(
    result: ParseResult,
    location: str,
    messages: list[dict],
    problem: str | None,
    *,
    source: str,
    row: Any,
    no_turns: str,
) -> None:
    """How every parser ends a record: a `Reject` with the first problem found (`no_turns` when there is no
    exchange), or the row."""
    if problem is None and not has_dialogue(messages):
        problem = no_turns
    if problem is not None:
        result.rejects.append(Reject(location, problem, source=source, row=row))
    else:
        result.rows.append(make_row(messages, source, location))


def _parsers() -> dict[str, Callable[..., ParseResult]]:
    from hubtools.data.sources import cai_dump, chatterbot, dolly, hh_rlhf, messages, space_feedback

    return {
        "hh-rlhf": hh_rlhf.parse,
        "dolly": dolly.parse,
        "cai-dump": cai_dump.parse,
        "messages": messages.parse,
        "chatterbot": chatterbot.parse,
        "space-feedback": space_feedback.parse,
    }


def parse_file(kind: str, path: Path, *, source: str, display: str | None = None) -> ParseResult:
    """Parse one file of `kind`; `display` is the name used in `source_id`s and messages (default: the path).

    Never raises on what the file holds (any bytes give rows or rejects); only an unknown `kind` is an error.
    """
    if kind not in KINDS:
        raise HubtoolsError(f"unknown source kind {kind!r} (known: {', '.join(KINDS)})")
    return _parsers()[kind](Path(path), source=source, display=display_name(display or str(path)))


def display_name(name: str) -> str:
    """A file name fit for messages and UTF-8 output: undecodable bytes (kept by the OS as surrogates)
    become U+FFFD and control characters (a newline in a name) are escaped, so a reason stays one line."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if name.isprintable():
        return name
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in name)


def collect_files(path: Path, kind: str, patterns: list[str] | None = None) -> list[tuple[Path, str]]:
    """The files a source reads, with their display names: the file itself, or a folder's matching files."""
    path = Path(path)
    if path.is_file():
        return [(path, display_name(path.name))]
    if not path.is_dir():
        if path.exists():
            raise HubtoolsError(f"source path {path} is not a regular file or folder (a device, pipe or socket?)")
        raise HubtoolsError(f"source path not found: {path}")
    if not patterns and kind in SUBFOLDERS and (path / SUBFOLDERS[kind]).is_dir():
        path = path / SUBFOLDERS[kind]
    found = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path).as_posix()
        if patterns:
            if not any(fnmatch.fnmatch(relative, pattern) for pattern in patterns):
                continue
        elif not relative.endswith(SUFFIXES[kind]) or relative.startswith(".") or "/." in relative:
            continue
        found.append((file, display_name(relative)))
    if not found:
        wanted = ", ".join(patterns) if patterns else "*" + ", *".join(SUFFIXES[kind])
        raise HubtoolsError(f"no {kind} files ({wanted}) under {path}")
    return found
