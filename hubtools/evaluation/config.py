"""Evaluation settings: a TOML file (or the `[eval]` section of a train recipe) validated like any recipe.

The probe prompts are data, not code: the grafito defaults ship here, a file replaces them (`probes`) or
adds to them (`extra_probes`), and unknown keys are an error so a typo never silently runs the defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from hubtools.errors import HubtoolsError
from hubtools.evaluation.probes import DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROBES
from hubtools.recipes import read_toml, validate_recipe
from hubtools.recipes.fields import Int, PositiveInt, RecipeModel, Text


class EvalConfig(RecipeModel):
    """How `hubtools eval` scores a model; every field has a default."""

    model_config = ConfigDict(frozen=True)

    probes: list[Text] = Field(default_factory=lambda: list(DEFAULT_PROBES), description="probe prompts (replaces)")
    extra_probes: list[Text] = Field(default_factory=list, description="probe prompts added after `probes`")
    max_new_tokens: Int = Field(DEFAULT_MAX_NEW_TOKENS, ge=1, le=2048, description="greedy answer length cap")
    split: Text = Field("test", description="held-out split of the eval dataset")
    max_samples: PositiveInt | None = Field(None, description="score only the first N rows of the split")
    batch_size: PositiveInt = Field(8, description="conversations per forward pass when scoring")
    max_length: Int = Field(1024, ge=2, description="tokens kept per conversation (longer ones are cut)")
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
    path = Path(path)
    if not path.is_file():
        raise HubtoolsError(f"eval config not found: {path}")
    raw = read_toml(path)
    if isinstance(raw.get("eval"), dict):
        return validate_recipe(path, {"eval": raw["eval"]}, _EvalSection).eval
    return validate_recipe(path, raw, EvalConfig)


class _EvalSection(RecipeModel):
    """The `[eval]` table of a larger file, so errors read `eval.max_samples`."""

    eval: EvalConfig
