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
from hubtools.paths import SPACE_VARIABLES_FILE

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


def _flag(name: str, value: str | None) -> bool:
    """A yes/no variable; anything else is a typo that would silently mean "no"."""
    word = (value or "").strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"", "0", "false", "no", "off"}:
        return False
    raise HubtoolsError(f"{name}: expected true or false, got {value!r}")


def load_serve_config(app_dir: Path | None = None, environ: dict[str, str] | None = None) -> ServeConfig:
    """Read the Space variables from the environment, falling back to `space_variables.json` in `app_dir`."""
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

    def get(name: str) -> str | None:
        value = env.get(name) or file_vars.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    return ServeConfig(
        model_repo=get("MODEL_REPO"),
        model_revision=get("MODEL_REVISION"),
        backend=get("SERVE_BACKEND") or "auto",
        show_checkpoints=_flag("SHOW_CHECKPOINTS", get("SHOW_CHECKPOINTS")),
        checkpoints_branch=get("CHECKPOINTS_BRANCH") or "checkpoints",
        device=get("SERVE_DEVICE") or ("cuda" if _flag("SPACES_ZERO_GPU", env.get("SPACES_ZERO_GPU")) else "cpu"),
    )
