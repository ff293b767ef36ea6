"""`method = "dpo"`: TRL's DPOTrainer on a tiny GPT-2 (real GPT-2 tokenizer) and arithmetic preference pairs; the
chosen replies' log-probability margin over the rejected ones must grow on the training pairs."""

from __future__ import annotations

import json
import random

import pytest

from hubtools.errors import HubtoolsError


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory):
    """A preferences config as the data stage writes it: right sums chosen, wrong sums rejected."""
    from datasets import Dataset, DatasetDict

    rng = random.Random(0)
    rows = []
    for _ in range(24):
        a, b = rng.randint(0, 9), rng.randint(0, 9)
        rows.append(
            {
                "prompt": [{"role": "user", "content": f"What is {a} plus {b}?"}],
                "chosen": [{"role": "assistant", "content": f"{a} plus {b} is {a + b}."}],
                "rejected": [{"role": "assistant", "content": f"I think it is {a * b + 7}, maybe."}],
                "source": "space",
                "source_id": "f.jsonl:1",
            }
        )
    path = tmp_path_factory.mktemp("build")
    DatasetDict({"train": Dataset.from_list(rows)}).save_to_disk(path / "preferences")
    return path


@pytest.mark.parametrize("lora", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_dpo_raises_the_chosen_margin(make_recipe, pairs_dir, tmp_path, lora):
    from hubtools.train import train

    recipe = make_recipe(
        method="dpo",
        dpo={"beta": 0.5, "loss_type": "sigmoid"},
        dataset={"path": str(pairs_dir)},
        training={"max_steps": 6, "learning_rate": 2e-2 if lora else 5e-3, "save_steps": 100},
        lora={"enabled": lora, "r": 4, "alpha": 8, "dropout": 0.0},
    )
    result = train(recipe, out_dir=tmp_path / "dpo")
    record = json.loads((tmp_path / "dpo" / "hubtools_train.json").read_text())
    margin = record["preference_margin"]
    assert result.steps == 6 and margin["pairs"] == 24 and result.tokens_seen > 0
    assert margin["after"] > margin["before"] + 0.5, margin
    assert record["hyperparameters"]["method"] == "dpo" and record["hyperparameters"]["dpo"]["beta"] == 0.5
    assert (tmp_path / "dpo" / "model.safetensors").is_file()
    assert (tmp_path / "dpo" / "adapter").is_dir() == lora


def test_dpo_recipes_are_checked(make_recipe, chats_dir, tmp_path):
    with pytest.raises(ValueError, match="DPO starts from an SFT model"):
        make_recipe(method="dpo", base_model={"config": {"model_type": "gpt2"}})
    with pytest.raises(ValueError, match="only applies with method = 'dpo'"):
        make_recipe(dpo={"beta": 0.2})
    with pytest.raises(ValueError, match="loss_type"):
        make_recipe(method="dpo", dpo={"loss_type": "nonsense"})
    from hubtools.train import train

    # A conversations dataset without a preferences config: one clear error, before any training.
    with pytest.raises(HubtoolsError, match="lacks prompt, chosen, rejected"):
        train(make_recipe(method="dpo", dataset={"path": str(chats_dir)}), out_dir=tmp_path / "x")


def test_an_sft_recipe_hashes_as_before_dpo_existed(make_recipe):
    from hubtools.recipes import recipe_hash

    sft = make_recipe()
    assert "method" not in sft.model_dump() and "dpo" not in sft.model_dump()
    assert recipe_hash(make_recipe(method="dpo")) != recipe_hash(sft)


def test_the_demo_dpo_recipe_trains_on_the_demo_feedback(tiny_base_dir, tmp_path):
    """The shipped recipe, from a tiny SFT model instead of the demo release: its data recipe builds the pairs."""
    from hubtools.train import train
    from hubtools.train.recipe import load_train_recipe

    recipe = load_train_recipe(
        "demo-dpo", [f'base_model={{path="{tiny_base_dir}"}}', "training.max_steps=2", "training.max_length=96"]
    )
    result = train(recipe, out_dir=tmp_path / "dpo")
    assert result.steps == 2 and result.record["dataset"]["recipe"] == "demo-feedback"
    assert result.record["preference_margin"]["pairs"] == 22  # the demo feedback's 24 pairs less its test split


def test_a_stopped_dpo_run_resumes_from_its_checkpoint(make_recipe, pairs_dir, tmp_path):
    """Stopped after its first checkpoint, a DPO run resumes there and logs the losses of an unbroken run."""
    from train_helpers import CrashAt, losses_by_step

    from hubtools.train import train

    recipe = make_recipe(
        method="dpo",
        dataset={"path": str(pairs_dir)},
        training={"max_steps": 6, "learning_rate": 5e-3, "save_steps": 3},
    )
    unbroken = train(recipe, out_dir=tmp_path / "unbroken")
    out = tmp_path / "dpo"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(recipe, out_dir=out, callbacks=[CrashAt(4)])
    assert (out / "checkpoints" / "checkpoint-3").is_dir()
    with pytest.raises(HubtoolsError, match="--resume"):
        train(recipe, out_dir=out)  # never silently restarts over an earlier run's checkpoints

    result = train(recipe, out_dir=out, resume=True)

    assert result.resumed_from_step == 3 and result.steps == 6
    assert not (out / "checkpoints").exists()
    resumed = losses_by_step(json.loads((out / "trainer_state.json").read_text())["log_history"])
    reference = losses_by_step(json.loads((unbroken.out_dir / "trainer_state.json").read_text())["log_history"])
    assert sorted(resumed) == sorted(reference) == list(range(1, 7))
    for step in range(4, 7):  # the same pairs in the same order from the same weights: the same losses
        assert resumed[step] == pytest.approx(reference[step], rel=1e-4), step
    assert result.record["preference_margin"] == pytest.approx(unbroken.record["preference_margin"], rel=1e-4)
    assert result.record["preference_pairs"] == {"train": 24, "eval": 0}


def test_dpo_refuses_to_push_checkpoints(make_recipe, pairs_dir, tmp_path):
    from hubtools.train import train

    recipe = make_recipe(method="dpo", dataset={"path": str(pairs_dir)})
    with pytest.raises(HubtoolsError, match="--push-checkpoints is not supported"):
        train(recipe, out_dir=tmp_path / "dpo", push_checkpoints_to="local/x")
    with pytest.raises(HubtoolsError, match="no checkpoint found"):
        train(recipe, out_dir=tmp_path / "dpo", resume=True)
