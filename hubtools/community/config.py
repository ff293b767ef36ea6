"""Settings of the Contribute tab, read from the Space's variables and never from the UI.

On huggingface.co the Space's variables and secrets arrive as environment variables; the embedded Hub has no
variables API, so the same names may also sit in `space_variables.json` beside `app.py` (the environment wins).
A token is read from the environment only: it must never be committed in a file.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from hubtools.errors import HubtoolsError
from hubtools.paths import SPACE_VARIABLES_FILE

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one contribution may hold: refused before anything is parsed when files are too many or too big."""

    max_files: int = 10
    max_file_bytes: int = 10 * MB
    max_total_bytes: int = 25 * MB
    max_conversations: int = 2000

    def __post_init__(self) -> None:
        for name in ("max_files", "max_file_bytes", "max_total_bytes", "max_conversations"):
            if getattr(self, name) <= 0:
                raise HubtoolsError(f"contribution limit {name} must be positive")


@dataclass(frozen=True)
class ContributeConfig:
    """Where contributions go (`repo_id`, a private or gated dataset repo) and how they are batched."""

    repo_id: str | None = None
    token: str | None = None
    every_minutes: float = 5.0  # how often the CommitScheduler pushes what was accepted
    folder: Path | None = None  # local staging folder; a fresh temporary one when unset
    limits: Limits = Limits()
    arena_releases: tuple[str, ...] = ()  # the two revisions the arena compares; empty: the two newest releases

    def __post_init__(self) -> None:
        if self.arena_releases and (len(self.arena_releases) != 2 or len(set(self.arena_releases)) != 2):
            raise HubtoolsError(
                f"ARENA_RELEASES: expected two different revisions, got {' '.join(self.arena_releases)!r}"
            )
        if self.repo_id is not None and not _REPO_ID.match(self.repo_id):
            raise HubtoolsError(f"CONTRIBUTIONS_REPO: expected a repo id like 'owner/name', got {self.repo_id!r}")
        if not (math.isfinite(self.every_minutes) and self.every_minutes > 0):
            raise HubtoolsError(f"CONTRIBUTIONS_EVERY_MINUTES: expected a positive number, got {self.every_minutes}")

    def __repr__(self) -> str:  # never shows the token
        return f"ContributeConfig(repo_id={self.repo_id!r}, every_minutes={self.every_minutes}, limits={self.limits})"


def load_contribute_config(app_dir: Path | None = None, environ: dict[str, str] | None = None) -> ContributeConfig:
    """`CONTRIBUTIONS_REPO`, `CONTRIBUTIONS_EVERY_MINUTES`, `CONTRIBUTIONS_DIR`, `CONTRIBUTIONS_MAX_FILES`,
    `CONTRIBUTIONS_MAX_FILE_MB`, `CONTRIBUTIONS_MAX_TOTAL_MB`, `CONTRIBUTIONS_MAX_CONVERSATIONS`, `ARENA_RELEASES`
    (two revisions, space- or comma-separated); the token is
    `CONTRIBUTIONS_TOKEN`, else `HF_TOKEN` (a Space secret), else the one huggingface_hub finds itself."""
    env = dict(os.environ if environ is None else environ)
    file_vars: dict[str, str] = {}
    variables = Path(app_dir) / SPACE_VARIABLES_FILE if app_dir is not None else None
    if variables is not None and variables.is_file():
        try:
            file_vars = json.loads(variables.read_text(encoding="utf-8"))
        except ValueError as error:
            raise HubtoolsError(f"{variables}: not valid JSON: {error}") from None
        if not isinstance(file_vars, dict):
            raise HubtoolsError(f"{variables}: expected a JSON object of variable names and values")

    def get(name: str, *, secret: bool = False) -> str | None:
        value = env.get(name) if secret else env.get(name) or file_vars.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def number(name: str, default: float, *, whole: bool = False) -> float:
        """A positive finite number (a whole one for counts); `inf`, `nan`, 0 and below cannot be meant."""
        raw = get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise HubtoolsError(f"{name}: expected a number, got {raw!r}") from None
        if not (math.isfinite(value) and value > 0) or (whole and not value.is_integer()):
            kind = "a whole number of at least 1" if whole else "a positive number"
            raise HubtoolsError(f"{name}: expected {kind}, got {raw!r}")
        return value

    default = Limits()
    limits = Limits(
        max_files=int(number("CONTRIBUTIONS_MAX_FILES", default.max_files, whole=True)),
        max_file_bytes=int(number("CONTRIBUTIONS_MAX_FILE_MB", default.max_file_bytes / MB) * MB),
        max_total_bytes=int(number("CONTRIBUTIONS_MAX_TOTAL_MB", default.max_total_bytes / MB) * MB),
        max_conversations=int(number("CONTRIBUTIONS_MAX_CONVERSATIONS", default.max_conversations, whole=True)),
    )
    folder = get("CONTRIBUTIONS_DIR")
    return ContributeConfig(
        repo_id=get("CONTRIBUTIONS_REPO"),
        token=get("CONTRIBUTIONS_TOKEN", secret=True) or get("HF_TOKEN", secret=True),
        every_minutes=number("CONTRIBUTIONS_EVERY_MINUTES", 5.0),
        folder=Path(folder).expanduser() if folder else None,
        limits=limits,
        arena_releases=tuple((get("ARENA_RELEASES") or "").replace(",", " ").split()),
    )
