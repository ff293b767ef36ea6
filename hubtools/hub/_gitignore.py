"""`.gitignore` matching for preupload's `shouldIgnore`: the client drops files the repo's rules ignore.

Follows gitignore(5) for one file at the repo root: `#` comments, `!` negation, a trailing `/` for folders only,
patterns with an inner `/` anchored at the root, `*`, `?`, `[...]`, and `**` across folders. A file inside an
ignored folder stays ignored even if a later `!` names it, as in git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negated: bool
    folders_only: bool


def _translate(pattern: str) -> str:
    """The regex body for one gitignore glob (without anchoring)."""
    out: list[str] = []
    index, size = 0, len(pattern)
    while index < size:
        char = pattern[index]
        if char == "*":
            end = index
            while end < size and pattern[end] == "*":
                end += 1
            alone = (index == 0 or pattern[index - 1] == "/") and (end == size or pattern[end] == "/")
            if end - index >= 2 and alone:  # `**` between slashes crosses folders; any other run is one `*`
                if end < size:
                    out.append("(?:.*/)?")
                    end += 1
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
            index = end
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[":
            end = pattern.find("]", index + 2)
            if end == -1:
                out.append(re.escape(char))
                index += 1
                continue
            body = pattern[index + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("/", "")
            if not body and not negate:
                out.append("(?!)")  # `[/]`: a class that can match nothing
            else:
                out.append(("[^/" if negate else "[") + body + "]")  # a class never matches `/`
            index = end + 1
        elif char == "\\" and index + 1 < size:
            out.append(re.escape(pattern[index + 1]))
            index += 2
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


def _strip_trailing_spaces(line: str) -> str:
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        return stripped + " "  # an escaped space stays
    return stripped


class GitIgnore:
    """The rules of one `.gitignore`; `ignores(path)` for a file path relative to the repo root."""

    def __init__(self, text: str) -> None:
        self.rules: list[_Rule] = []
        for raw in text.splitlines():
            line = _strip_trailing_spaces(raw)
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            elif line.startswith(("\\!", "\\#")):
                line = line[1:]
            folders_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            body = _translate(line[1:] if line.startswith("/") else line)
            regex = re.compile(body if anchored else f"(?:.*/)?{body}", re.DOTALL)
            self.rules.append(_Rule(regex, negated, folders_only))

    def _matches(self, path: str, is_folder: bool) -> bool | None:
        decision = None
        for rule in self.rules:
            if rule.folders_only and not is_folder:
                continue
            if rule.regex.fullmatch(path):
                decision = not rule.negated
        return decision

    def ignores(self, path: str) -> bool:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if self._matches("/".join(parts[:depth]), is_folder=True):
                return True
        return bool(self._matches(path, is_folder=False))
