"""The base model's card: rendered from its training record alone; says what the base is and is not."""

from __future__ import annotations

import json

import pytest

from hubtools.cards.base_card import render_base_card
from hubtools.errors import HubtoolsError

COMMIT = "a" * 40
RECORD = {
    "recipe": "demo-base",
    "recipe_hash": "0123456789abcdef",
    "base_model": {"config": {"model_type": "gpt2", "n_layer": 4}, "tokenizer": "train"},
    "dataset": {"repo_id": "local/demo-chats", "revision": COMMIT, "commit": COMMIT},
    "hyperparameters": {"max_length": 256, "learning_rate": 0.003},
    "steps": 150,
    "train_loss": 3.21,
    "eval_loss": 3.456789,
    "framework_versions": {"torch": "2.13.0", "hubtools": "0.1.0", "aaa": "1 | 2"},
}


def test_the_card_describes_a_base_trained_on_plain_text(tmp_path):
    from huggingface_hub import ModelCard

    (tmp_path / "hubtools_train.json").write_text(json.dumps(RECORD))
    text = render_base_card(tmp_path, repo_id="local/demo-base-model", endpoint="http://127.0.0.1:8080/")
    data = ModelCard(text).data
    assert data.datasets == ["local/demo-chats"] and data.base_model is None  # a base from a config has none
    assert "base-model" in data.tags and data.pipeline_tag == "text-generation"
    assert "pretrained with hubtools (recipe `demo-base`) from\na fresh `gpt2` model from a config" in text
    assert f"[local/demo-chats@{COMMIT}](http://127.0.0.1:8080/datasets/local/demo-chats/tree/{COMMIT})" in text
    assert "it is not\na chat model" in text
    assert "| unknown | 256 | 150 | 0.003 | 3.2100 | 3.4568 |" in text  # no weights in the folder: size unknown
    assert "| hubtools | 0.1.0 |\n| torch | 2.13.0 |\n| aaa | 1 \\| 2 |" in text
    assert "Training loss" not in text  # no loss curve in the folder


def test_a_folder_without_a_training_record_is_one_line(tmp_path):
    with pytest.raises(HubtoolsError, match=f"{tmp_path}/hubtools_train.json: cannot read the training record"):
        render_base_card(tmp_path, repo_id="local/b")
