"""Session fixtures for the evaluation tests: tiny models, a tiny dataset, the hand-written card fixture.

Three seeds stand for the base model, the fine-tuned model and the previous release. The base model's
tokenizer has no chat template (as GPT-2's); the others have a simple one with `{% generation %}` markers
(as training writes).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from evaluation_helpers import CHAT_TEMPLATE, CONVERSATIONS, save_tiny_model

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tiny_dataset_dir(tmp_path_factory) -> Path:
    """A DatasetDict (train/test) with a `messages` column, saved with save_to_disk."""
    from datasets import Dataset, DatasetDict

    folder = tmp_path_factory.mktemp("data") / "chat"
    rows = {"messages": CONVERSATIONS, "source": ["test"] * len(CONVERSATIONS)}
    DatasetDict({"train": Dataset.from_dict(rows), "test": Dataset.from_dict(rows)}).save_to_disk(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, tiny_dataset_dir) -> dict[str, Path]:
    """Folders of the base, fine-tuned and previous tiny models; the fine-tuned one has hubtools_train.json."""
    root = tmp_path_factory.mktemp("models")
    models = {
        "base": save_tiny_model(root / "base", seed=0, chat_template=None),
        "fine_tuned": save_tiny_model(root / "fine_tuned", seed=1, chat_template=CHAT_TEMPLATE),
        "previous": save_tiny_model(root / "previous", seed=2, chat_template=CHAT_TEMPLATE),
    }
    train_info = {
        "recipe": "tiny",
        "recipe_hash": "0" * 16,
        "base_model": {"path": str(models["base"])},
        "dataset": {"recipe": "tiny", "path": str(tiny_dataset_dir)},
        "hyperparameters": {"learning_rate": 0.001, "max_length": 128, "max_steps": 2},
        "steps": 2,
        "train_loss": 10.0,
        "hardware": "cpu",
        "framework_versions": {"hubtools": "0.1.0"},
        "lora": False,
    }
    (models["fine_tuned"] / "hubtools_train.json").write_text(json.dumps(train_info), encoding="utf-8")
    return models


@pytest.fixture
def card_model_dir(tmp_path) -> Path:
    """The hand-written model folder fixture, plus a tiny safetensors file and a loss-curve placeholder."""
    import numpy as np
    from safetensors.numpy import save_file

    folder = tmp_path / "model"
    shutil.copytree(FIXTURES / "model", folder)
    save_file(
        {"wte": np.zeros((100, 32), dtype=np.float32), "h.0.w": np.zeros((32, 32), dtype=np.float32)},
        str(folder / "model.safetensors"),
    )
    (folder / "loss_curve.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder
