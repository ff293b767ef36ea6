"""What the Space serves, read from configuration and never from the UI.

On huggingface.co the Space's variables arrive as environment variables (`MODEL_REPO`, `MODEL_REVISION`).
The embedded Hub has no variables API, so `deploy_space` commits the same names to `space_variables.json`
beside `app.py`; the environment wins where both are set.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from hubtools.errors import HubtoolsError

VARIABLES_FILE = "space_variables.json"
BACKENDS = ("auto", "ctranslate2", "transformers")
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class ServeConfig:
    """Everything the chat service needs to start; `model_revision=None` means the newest release, else main."""

    model_repo: str | None
    model_revision: str | None = None
    backend: str = "auto"
    # Maintainers see the checkpoints saved during training; visitors see releases only.
    show_checkpoints: bool = False
    checkpoints_branch: str = "checkpoints"
    # cuda on ZeroGPU (transformers on the GPU the `@spaces.GPU` call holds); cpu everywhere else.
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise HubtoolsError(f"unknown backend {self.backend!r}: expected one of {', '.join(BACKENDS)}")
        if self.device not in DEVICES:
            raise HubtoolsError(f"unknown device {self.device!r}: expected one of {', '.join(DEVICES)}")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_serve_config(app_dir: Path | None = None, environ: dict[str, str] | None = None) -> ServeConfig:
    """Read the Space variables from the environment, falling back to `space_variables.json` in `app_dir`."""
    env = dict(os.environ if environ is None else environ)
    file_vars: dict[str, str] = {}
    if app_dir is not None and (app_dir / VARIABLES_FILE).is_file():
        try:
            file_vars = json.loads((app_dir / VARIABLES_FILE).read_text())
        except ValueError as error:
            raise HubtoolsError(f"{VARIABLES_FILE} is not valid JSON: {error}") from error

    def get(name: str) -> str | None:
        value = env.get(name) or file_vars.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    return ServeConfig(
        model_repo=get("MODEL_REPO"),
        model_revision=get("MODEL_REVISION"),
        backend=get("SERVE_BACKEND") or "auto",
        show_checkpoints=_truthy(get("SHOW_CHECKPOINTS")),
        checkpoints_branch=get("CHECKPOINTS_BRANCH") or "checkpoints",
        device=get("SERVE_DEVICE") or ("cuda" if _truthy(env.get("SPACES_ZERO_GPU")) else "cpu"),
    )
