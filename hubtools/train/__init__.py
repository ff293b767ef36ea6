"""Fine-tuning: `train(recipe, out_dir=...)` turns a training recipe into a model folder (docs/training.md).

Importing this package is cheap; `train` and `TrainResult` load trl/transformers on first use.
"""

from __future__ import annotations

from typing import Any

from hubtools.train.recipe import TrainRecipe, load_train_recipe

__all__ = ["TrainRecipe", "TrainResult", "load_train_recipe", "train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from hubtools.train.trainer import train

        return train
    if name == "TrainResult":
        from hubtools.train.outputs import TrainResult

        return TrainResult
    raise AttributeError(name)
