"""Shared, session-scoped material for the training tests: a tiny chat dataset, a tiny GPT-2 on the real GPT-2
BPE, a recipe factory, and one baseline run that several tests compare against (so it is trained once)."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

MAX_STEPS = 8  # training.max_steps below; tests import it from train_helpers


def arithmetic_chats(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """Learnable conversations (sums, a persona, a thank-you turn) in the project's row format."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        a, b = rng.randint(0, 20), rng.randint(0, 20)
        messages = []
        if index % 3 == 0:
            messages.append({"role": "system", "content": "You are Calc, a careful calculator."})
        messages += [
            {"role": "user", "content": f"What is {a} plus {b}?"},
            {"role": "assistant", "content": f"{a} plus {b} is {a + b}."},
        ]
        if index % 2 == 0:
            messages += [
                {"role": "user", "content": "Thanks!"},
                {"role": "assistant", "content": "You are welcome."},
            ]
        rows.append({"messages": messages, "source": "messages", "source_id": f"sums:{index}"})
    return rows


@pytest.fixture(scope="session")
def chats_dir(tmp_path_factory) -> Path:
    """A DatasetDict (train/test, `messages` column) saved with save_to_disk, like the data stage's output."""
    from datasets import Dataset, DatasetDict

    rows = arithmetic_chats(176)
    path = tmp_path_factory.mktemp("chats") / "sums"
    DatasetDict({"train": Dataset.from_list(rows[:160]), "test": Dataset.from_list(rows[160:])}).save_to_disk(path)
    return path


@pytest.fixture(scope="session")
def gpt2_tok():
    from hubtools.train.tokenizer import gpt2_tokenizer

    return gpt2_tokenizer()


@pytest.fixture(scope="session")
def tiny_base_dir(tmp_path_factory, gpt2_tok) -> Path:
    """A 2-layer, 32-wide GPT-2 with the real GPT-2 tokenizer, saved like a Hub model folder."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(n_layer=2, n_embd=32, n_head=4, n_positions=128, attn_pdrop=0.0)
    path = tmp_path_factory.mktemp("tiny-gpt2") / "model"
    GPT2LMHeadModel(config).save_pretrained(path)
    gpt2_tok.save_pretrained(path)
    return path


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@pytest.fixture(scope="session")
def make_recipe(chats_dir, tiny_base_dir):
    """`make_recipe(**sections)`: a validated TrainRecipe for the tiny model and data, sections deep-merged."""
    from hubtools.train.recipe import TrainRecipe

    base = {
        "name": "tiny",
        "base_model": {"path": str(tiny_base_dir)},
        "dataset": {"path": str(chats_dir)},
        "training": {
            "max_length": 64,
            "max_steps": MAX_STEPS,
            "learning_rate": 5e-3,
            "batch_size": 4,
            "warmup_ratio": 0.0,
            "logging_steps": 1,
            "save_steps": 3,
        },
    }

    def make(**sections: Any) -> TrainRecipe:
        raw = deep_merge(base, sections)
        if "base_model" in sections and set(sections["base_model"]) & {"repo_id", "config"}:
            raw["base_model"] = sections["base_model"]
        return TrainRecipe.model_validate(raw)

    return make


@pytest.fixture(scope="session")
def baseline_run(make_recipe, tmp_path_factory):
    """One uninterrupted run of the tiny recipe (8 steps), kept for comparisons."""
    from hubtools.train import train

    return train(make_recipe(), out_dir=tmp_path_factory.mktemp("baseline") / "model")
