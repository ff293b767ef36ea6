"""Evaluation settings: a TOML file (or the `[eval]` section of a train recipe) validated like any recipe.

The probe prompts are data, not code: the grafito defaults ship here, a file replaces them (`probes`) or
adds to them (`extra_probes`), and unknown keys are an error so a typo never silently runs the defaults.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hubtools.errors import HubtoolsError
from hubtools.evaluation.probes import DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROBES
from hubtools.recipes import format_validation_error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class EvalConfig(BaseModel):
    """How `hubtools eval` scores a model; every field has a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    probes: list[str] = Field(default_factory=lambda: list(DEFAULT_PROBES), description="probe prompts (replaces)")
    extra_probes: list[str] = Field(default_factory=list, description="probe prompts added after `probes`")
    max_new_tokens: int = Field(DEFAULT_MAX_NEW_TOKENS, ge=1, le=2048, description="greedy answer length cap")
    split: str = Field("test", min_length=1, description="held-out split of the eval dataset")
    max_samples: int | None = Field(None, ge=1, description="score only the first N rows of the split")
    batch_size: int = Field(8, ge=1, description="conversations per forward pass when scoring")
    max_length: int = Field(1024, ge=2, description="tokens kept per conversation (longer ones are cut)")
    loss_on: Literal["auto", "assistant", "all"] = Field(
        "auto",
        description="tokens scored: assistant tokens (as training with assistant_only_loss), all tokens, or auto: "
        "assistant when the chat template marks them with {% generation %}, else all",
    )

    @property
    def all_probes(self) -> list[str]:
        """`probes` then `extra_probes`, without duplicates, in order."""
        return list(dict.fromkeys([*self.probes, *self.extra_probes]))


def load_eval_config(path: Path) -> EvalConfig:
    """Read an eval config TOML; a file with an `[eval]` table (a train recipe) is read from that table."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubtoolsError(f"eval config not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise HubtoolsError(f"{path}: invalid TOML: {error}") from None
    section = raw["eval"] if isinstance(raw.get("eval"), dict) else raw
    try:
        return EvalConfig.model_validate(section)
    except ValidationError as error:
        raise HubtoolsError(format_validation_error(Path(path), error)) from None
