"""Uploaded CharacterAI dumps → the exact rows a contributor is asked to share, and a preview of them.

The conversion is `hubtools data convert --from cai-dump` itself (`convert_files`: the CAI parser, cleaning and
the `Scrubber`, with the names of every uploaded file scrubbed from all of them), so what the Space previews and
stores is what the CLI would produce. Limits are checked on file sizes before a byte is parsed. Nothing of the
upload leaves this module but scrubbed rows: `source_id`s name files by position (`file1`), never by the
uploaded file name, which may well hold the contributor's name.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hubtools.community.config import MB, Limits
from hubtools.errors import HubtoolsError

SOURCE = "cai-dump"
MASK = "[MASKED]"  # what the contributor's own masking leaves
ROLE_LABELS = {"system": "Character", "user": "You", "assistant": "Bot"}


class ContributionError(HubtoolsError):
    """An upload that cannot be accepted as it is; the message tells the contributor what to change."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file: where it lies now and the name the contributor knows it by (shown to them only)."""

    path: Path
    name: str


@dataclass
class FileReport:
    name: str
    conversations: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Conversation:
    """One conversation as it would be stored, with a label for the checklist."""

    key: str  # "c1", "c2"…: what the UI's checklist returns
    title: str
    row: dict


@dataclass
class Prepared:
    """The outcome of checking an upload: conversations to review, per-file reports, PII replaced per kind."""

    conversations: list[Conversation] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)
    pii: Counter = field(default_factory=Counter)

    def rows(self, keys: list[str] | None = None) -> list[dict]:
        """The rows of the conversations whose keys are given (all when None), in upload order."""
        wanted = None if keys is None else set(keys)
        return [c.row for c in self.conversations if wanted is None or c.key in wanted]

    def mask(self, text: str) -> int:
        """Replace `text` (any case) by `MASK` in every message of every conversation; how many were replaced.

        The contributor's own review after the automatic pass: whatever they select in the preview goes."""
        text = text.strip()
        if len(text) < 2:
            raise ContributionError("Select (or type) at least two characters to mask.")
        pattern = re.compile(re.escape(text), re.IGNORECASE)
        found = 0
        for conversation in self.conversations:
            for message in conversation.row["messages"]:
                message["content"], n = pattern.subn(MASK, message["content"])
                found += n
        if not found:
            raise ContributionError(f"“{text}” is not in the conversations (it may already be masked).")
        self.pii["MASKED"] += found
        return found

    def drop(self, message_id: str) -> str:
        """Leave out one message (`2.3`: conversation 2, message 3); a conversation left without an exchange goes
        too. Returns what was done, for the contributor."""
        from hubtools.data.sources import has_dialogue

        match = re.fullmatch(r"\s*#?(\d+)\.(\d+)\s*", message_id or "")
        conversation = match and next((c for c in self.conversations if c.key == f"c{match.group(1)}"), None)
        if not match or conversation is None or not 1 <= int(match.group(2)) <= len(conversation.row["messages"]):
            raise ContributionError("Select some text inside the message to leave out (or type its number, e.g. 2.3).")
        del conversation.row["messages"][int(match.group(2)) - 1]
        done = f"Message {match.group(1)}.{match.group(2)} left out"
        if not has_dialogue(conversation.row["messages"]):
            self.conversations.remove(conversation)
            return f"{done}; conversation #{match.group(1)} had no exchange left and was left out too."
        return f"{done}; the numbers after it in conversation #{match.group(1)} moved up by one."


def as_uploads(paths: list[str | Path] | None, names: list[str] | None = None) -> list[Upload]:
    """Plain paths (e.g. Gradio's upload paths) → `Upload`s; the display name defaults to the file name."""
    paths = list(paths or [])
    names = list(names or [Path(path).name for path in paths])
    return [Upload(Path(path), name) for path, name in zip(paths, names, strict=True)]


def check_limits(uploads: list[Upload], limits: Limits) -> None:
    """Refuse an upload that is empty, has too many files, or files too big — before reading any of them."""
    if not uploads:
        raise ContributionError("Choose one or more dump files (.json) to upload first.")
    if len(uploads) > limits.max_files:
        raise ContributionError(
            f"Too many files: {len(uploads)} (at most {limits.max_files} per contribution). Split them in turns."
        )
    total = 0
    for upload in uploads:
        try:
            size = upload.path.stat().st_size
        except OSError:
            raise ContributionError(f"{upload.name}: the upload did not arrive; please try again.") from None
        if size > limits.max_file_bytes:
            raise ContributionError(
                f"{upload.name} is too big: {_mb(size)} (at most {_mb(limits.max_file_bytes)} per file)."
            )
        if size == 0:
            raise ContributionError(f"{upload.name} is empty.")
        total += size
    if total > limits.max_total_bytes:
        raise ContributionError(
            f"The files are too big together: {_mb(total)} (at most {_mb(limits.max_total_bytes)} per contribution)."
        )


def prepare(uploads: list[Upload], limits: Limits | None = None) -> Prepared:
    """Check, parse, clean and scrub the uploads; raise `ContributionError` when nothing can be shared."""
    from hubtools.data.convert import convert_files

    limits = limits or Limits()
    check_limits(uploads, limits)
    conversion = convert_files(SOURCE, [upload.path for upload in uploads], scrub=True)
    prepared = Prepared(files=[FileReport(upload.name) for upload in uploads], pii=conversion.pii)
    prefixes = [f"{upload.path}:" for upload in uploads]

    def locate(source_id: str) -> tuple[int, str]:
        for index, prefix in enumerate(prefixes):
            if source_id.startswith(prefix):
                return index, source_id[len(prefix) :]
        raise AssertionError(f"row from an unknown file: {source_id}")  # pragma: no cover

    for reject in conversion.rejects:
        index, where = locate(reject.location)
        where = f"line {where}" if where.isdigit() else where
        prepared.files[index].problems.append(f"{where}: {reject.reason}")
    for row in conversion.rows:
        index, where = locate(row["source_id"])
        prepared.files[index].conversations += 1
        key = f"c{len(prepared.conversations) + 1}"
        stored = {"messages": row["messages"], "source": SOURCE, "source_id": f"file{index + 1}:{where}"}
        prepared.conversations.append(Conversation(key, _title(key, stored, uploads[index].name), stored))
    if not prepared.conversations:
        details = "; ".join(f"{f.name}: {', '.join(f.problems) or 'no conversations'}" for f in prepared.files)
        raise ContributionError(
            "No conversation could be read from these files. Upload the .json files the userscript downloads "
            f"(chat histories, not only character definitions). Details: {details}"
        )
    if len(prepared.conversations) > limits.max_conversations:
        raise ContributionError(
            f"Too many conversations: {len(prepared.conversations)} (at most {limits.max_conversations} "
            "per contribution). Upload fewer files at a time."
        )
    return prepared


def _title(key: str, row: dict, file_name: str) -> str:
    turns = sum(1 for m in row["messages"] if m["role"] != "system")
    system = next((m["content"] for m in row["messages"] if m["role"] == "system"), "")
    character = re.match(r"You are (.{1,60}?)\.(?:\s|$)", system)
    who = f"with {character.group(1)}" if character else "conversation"
    return f"#{key[1:]} {who} · {turns} turns · {file_name}"


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def summary_markdown(prepared: Prepared) -> str:
    """What was read from each file, what was left out and why, and what the scrubber replaced."""
    lines = [f"**{len(prepared.conversations)} conversation(s) ready for review.**", ""]
    for report in prepared.files:
        line = f"- `{report.name}`: {report.conversations} conversation(s)"
        if not report.conversations and not report.problems:
            line += " (a character definition: used only to find names to remove)"
        lines.append(line)
        lines.extend(f"  - left out: {problem}" for problem in report.problems[:20])
        if len(report.problems) > 20:
            lines.append(f"  - … and {len(report.problems) - 20} more")
    replaced = ", ".join(f"{n} {kind.lower()}" for kind, n in sorted(prepared.pii.items())) or "nothing"
    lines += [
        "",
        f"Personal data replaced by placeholders such as `[NAME_1]`: {replaced}.",
        "",
        "Each shared conversation is stored as its messages below, the source (`cai-dump`), the id shown "
        "(`file2:histories[0]`: file number and position, never the file name), your receipt id and the version of "
        "the consent text. Nothing else: no account, no file name, no address.",
    ]
    return "\n".join(lines)


def preview_html(prepared: Prepared) -> str:
    """Every conversation exactly as it would be stored (text escaped, nothing rendered as Markdown)."""
    parts = []
    for conversation in prepared.conversations:
        number = conversation.key[1:]
        turns = "".join(
            f'<div class="turn" data-message="{number}.{index}"><b>{ROLE_LABELS.get(m["role"], m["role"])}</b>'
            f' <small style="opacity:.6">{number}.{index}</small>'
            f'<pre style="white-space:pre-wrap;margin:0 0 .5em 0">{html.escape(m["content"])}</pre></div>'
            for index, m in enumerate(conversation.row["messages"], 1)
        )
        parts.append(
            f'<details open class="conversation" id="{conversation.key}"><summary>{html.escape(conversation.title)}'
            f" — stored as <code>{html.escape(conversation.row['source_id'])}</code></summary>{turns}</details>"
        )
    return "\n".join(parts)
