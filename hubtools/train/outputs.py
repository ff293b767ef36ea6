"""The model folder a run leaves behind (docs/ARCHITECTURE.md, "Model folder"), and the typed result of `train`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from hubtools import __version__
from hubtools.paths import LOSS_CURVE_FILE, TRAIN_RECORD_FILE
from hubtools.recipes import recipe_hash
from hubtools.train.plots import save_loss_curve
from hubtools.train.recipe import TrainRecipe

STATE_FILE = "trainer_state.json"
ADAPTER_DIR = "adapter"
_FRAMEWORKS = ("torch", "transformers", "trl", "peft", "datasets", "accelerate", "tokenizers")


@dataclass(frozen=True)
class TrainResult:
    """What a finished run produced: where, how far, and how well."""

    out_dir: Path
    steps: int
    train_loss: float | None
    first_loss: float | None
    eval_loss: float | None
    tokens_seen: int
    runtime_seconds: float
    resumed_from_step: int | None
    lora: bool
    record: dict[str, Any]


def framework_versions() -> dict[str, str]:
    versions = {"hubtools": __version__}
    for name in _FRAMEWORKS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def logged_losses(log_history: list[dict[str, Any]]) -> list[float]:
    return [float(entry["loss"]) for entry in log_history if "loss" in entry]


def build_record(
    recipe: TrainRecipe,
    *,
    base_model: dict[str, Any],
    dataset: dict[str, Any],
    hyperparameters: dict[str, Any],
    steps: int,
    train_loss: float | None,
    hardware: dict[str, Any],
) -> dict[str, Any]:
    """The content of hubtools_train.json: enough to know exactly what was trained, from what, and how."""
    return {
        "recipe": recipe.name,
        "recipe_hash": recipe_hash(recipe),
        "base_model": base_model,
        "dataset": dataset,
        "hyperparameters": hyperparameters,
        "steps": steps,
        "train_loss": train_loss,
        "hardware": hardware,
        "framework_versions": framework_versions(),
        "lora": recipe.lora.enabled,
    }


def write_run_files(out_dir: Path, *, record: dict[str, Any], state: Any, title: str) -> None:
    """trainer_state.json, loss_curve.png and hubtools_train.json next to the saved model."""
    state.save_to_json(str(out_dir / STATE_FILE))
    save_loss_curve(state.log_history, out_dir / LOSS_CURVE_FILE, title=title)
    (out_dir / TRAIN_RECORD_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
