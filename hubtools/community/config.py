"""Settings of the Contribute tab, read from the Space's variables and never from the UI.

On huggingface.co the Space's variables and secrets arrive as environment variables; the embedded Hub has no
variables API, so the same names may also sit in `space_variables.json` beside `app.py` (the environment wins).
A token is read from the environment only: it must never be committed in a file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from hubtools.errors import HubtoolsError

VARIABLES_FILE = "space_variables.json"  # the same file `hubtools space deploy` writes for the chat Space
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

    def __post_init__(self) -> None:
        if self.repo_id is not None and not _REPO_ID.match(self.repo_id):
            raise HubtoolsError(f"CONTRIBUTIONS_REPO: expected a repo id like 'owner/name', got {self.repo_id!r}")
        if not self.every_minutes > 0:
            raise HubtoolsError("CONTRIBUTIONS_EVERY_MINUTES must be positive")

    def __repr__(self) -> str:  # never shows the token
        return f"ContributeConfig(repo_id={self.repo_id!r}, every_minutes={self.every_minutes}, limits={self.limits})"


def load_contribute_config(app_dir: Path | None = None, environ: dict[str, str] | None = None) -> ContributeConfig:
    """`CONTRIBUTIONS_REPO`, `CONTRIBUTIONS_EVERY_MINUTES`, `CONTRIBUTIONS_DIR`, `CONTRIBUTIONS_MAX_FILES`,
    `CONTRIBUTIONS_MAX_FILE_MB`, `CONTRIBUTIONS_MAX_TOTAL_MB`, `CONTRIBUTIONS_MAX_CONVERSATIONS`; the token is
    `CONTRIBUTIONS_TOKEN`, else `HF_TOKEN` (a Space secret), else the one huggingface_hub finds itself."""
    env = dict(os.environ if environ is None else environ)
    file_vars: dict[str, str] = {}
    if app_dir is not None and (Path(app_dir) / VARIABLES_FILE).is_file():
        try:
            file_vars = json.loads((Path(app_dir) / VARIABLES_FILE).read_text())
        except ValueError as error:
            raise HubtoolsError(f"{VARIABLES_FILE} is not valid JSON: {error}") from error

    def get(name: str, *, secret: bool = False) -> str | None:
        value = env.get(name) if secret else env.get(name) or file_vars.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def number(name: str, default: float) -> float:
        raw = get(name)
        if raw is None:
            return default
        try:
            return float(raw)
        except ValueError:
            raise HubtoolsError(f"{name}: expected a number, got {raw!r}") from None

    default = Limits()
    limits = Limits(
        max_files=int(number("CONTRIBUTIONS_MAX_FILES", default.max_files)),
        max_file_bytes=int(number("CONTRIBUTIONS_MAX_FILE_MB", default.max_file_bytes / MB) * MB),
        max_total_bytes=int(number("CONTRIBUTIONS_MAX_TOTAL_MB", default.max_total_bytes / MB) * MB),
        max_conversations=int(number("CONTRIBUTIONS_MAX_CONVERSATIONS", default.max_conversations)),
    )
    folder = get("CONTRIBUTIONS_DIR")
    return ContributeConfig(
        repo_id=get("CONTRIBUTIONS_REPO"),
        token=get("CONTRIBUTIONS_TOKEN", secret=True) or get("HF_TOKEN", secret=True),
        every_minutes=number("CONTRIBUTIONS_EVERY_MINUTES", 5.0),
        folder=Path(folder).expanduser() if folder else None,
        limits=limits,
    )
