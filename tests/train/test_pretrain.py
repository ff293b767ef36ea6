"""`method = "pretrain"`: a base model learns the conversations' plain text (no chat template, a BPE of that
text), and a fine-tune from it keeps its tokenizer and adds the chat template."""

from __future__ import annotations

import json

import pytest

from hubtools.train.plain_text import plain_text

PRETRAIN = {
    "base_model": {
        "config": {"model_type": "gpt2", "n_layer": 1, "n_embd": 32, "n_head": 2, "n_positions": 64},
        "tokenizer": "train",
        "vocab_size": 400,
    },
    "training": {"max_steps": 2, "assistant_only_loss": False},
}


def test_plain_text_is_the_turns_one_a_line_without_roles():
    messages = [
        {"role": "system", "content": "You are Calc."},
        {"role": "user", "content": " What is 1 plus 2? "},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": "3.\nDone."},
    ]
    assert plain_text(messages) == "You are Calc.\nWhat is 1 plus 2?\n3.\nDone."


@pytest.fixture(scope="module")
def pretrained(make_recipe, tmp_path_factory):
    from hubtools.train import train

    recipe = make_recipe(method="pretrain", **PRETRAIN)
    return train(recipe, out_dir=tmp_path_factory.mktemp("pretrain") / "model")


def test_a_pretrained_base_has_no_chat_template_and_a_plain_text_vocabulary(pretrained):
    from transformers import AutoTokenizer

    out = pretrained.out_dir
    assert pretrained.steps == 2 and not (out / "chat_template.jinja").exists()
    assert "chat_template" not in json.loads((out / "tokenizer_config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.chat_template is None
    vocabulary = tokenizer.get_vocab()
    # Trained on the text alone: the numbers' words are tokens, the template's role labels never were seen.
    assert "Ġplus" in vocabulary and not any("Assistant" in token or "User" in token for token in vocabulary)
    record = json.loads((out / "hubtools_train.json").read_text())
    assert record["hyperparameters"]["assistant_only_loss"] is False
    assert record["hyperparameters"]["method"] == "pretrain"


def test_a_fine_tune_from_the_base_keeps_its_tokenizer_and_adds_the_chat_template(pretrained, make_recipe, tmp_path):
    from transformers import AutoTokenizer

    from hubtools.train import train

    recipe = make_recipe(base_model={"path": str(pretrained.out_dir)}, training={"max_steps": 2})
    result = train(recipe, out_dir=tmp_path / "model")
    base, tuned = AutoTokenizer.from_pretrained(pretrained.out_dir), AutoTokenizer.from_pretrained(result.out_dir)
    assert tuned.get_vocab() == base.get_vocab()
    assert "{% generation %}" in tuned.chat_template.replace("{%- generation -%}", "{% generation %}")
    prompt = tuned.apply_chat_template([{"role": "user", "content": "What is 1 plus 2?"}], add_generation_prompt=True)
    assert tuned.decode(prompt).endswith("User: What is 1 plus 2?\nAssistant:")
