"""End-to-end training on CPU with a tiny model: the model folder, LoRA, resume after a crash."""

from __future__ import annotations

import json

import pytest
from train_helpers import MAX_STEPS, CrashAt, losses_by_step

from hubtools.train.speed import detect_hardware


def test_training_runs_and_loss_falls(baseline_run):
    assert baseline_run.steps == MAX_STEPS
    assert baseline_run.train_loss < baseline_run.first_loss - 0.5
    assert baseline_run.tokens_seen > 0


def test_model_folder_matches_the_contract(baseline_run, make_recipe):
    from hubtools.recipes import recipe_hash

    out = baseline_run.out_dir
    for name in ("config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja", "loss_curve.png"):
        assert (out / name).is_file(), name
    assert not (out / "checkpoints").exists()  # working state is removed after a successful run
    # transformers.js reads the template only from tokenizer_config.json
    tokenizer_config = json.loads((out / "tokenizer_config.json").read_text())
    assert tokenizer_config["chat_template"] == (out / "chat_template.jinja").read_text()
    assert (out / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == MAX_STEPS
    record = json.loads((out / "hubtools_train.json").read_text())
    assert record["recipe"] == "tiny"
    assert record["recipe_hash"] == recipe_hash(make_recipe())
    assert record["steps"] == MAX_STEPS
    assert record["train_loss"] == pytest.approx(baseline_run.train_loss)
    assert record["lora"] is False
    assert record["base_model"] == {"path": make_recipe().base_model.path}
    assert record["dataset"]["path"] == make_recipe().dataset.path
    assert record["hyperparameters"]["learning_rate"] == 5e-3
    hardware = detect_hardware()
    assert record["hardware"]["device"] == hardware.device
    assert record["hyperparameters"]["execution"]["bf16"] is hardware.bf16
    assert {"torch", "transformers", "trl"} <= set(record["framework_versions"])


def test_published_model_chats_with_its_template(baseline_run):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(baseline_run.out_dir)
    model = AutoModelForCausalLM.from_pretrained(baseline_run.out_dir)
    assert model.config.use_cache
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 plus 3?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    assert tokenizer.decode(inputs["input_ids"][0]).endswith("Assistant:")
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert output.shape[1] > inputs["input_ids"].shape[1]


@pytest.mark.slow
def test_compiled_training_matches_eager_training(make_recipe, baseline_run, tmp_path):
    """The compiled path that CUDA runs by default, through inductor on this CPU: same losses, step for step."""
    from hubtools.train import train

    result = train(make_recipe(training={"torch_compile": True}), out_dir=tmp_path / "model")

    assert result.record["hyperparameters"]["execution"]["torch_compile"] is True
    compiled = losses_by_step(json.loads((result.out_dir / "trainer_state.json").read_text())["log_history"])
    eager = losses_by_step(json.loads((baseline_run.out_dir / "trainer_state.json").read_text())["log_history"])
    assert sorted(compiled) == sorted(eager)
    for step, loss in eager.items():
        assert compiled[step] == pytest.approx(loss, rel=1e-3), step


def test_resume_after_crash_continues_with_the_same_data(make_recipe, baseline_run, tmp_path):
    from hubtools.errors import HubtoolsError
    from hubtools.train import train

    out = tmp_path / "model"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(make_recipe(), out_dir=out, callbacks=[CrashAt(5)])
    assert (out / "checkpoints" / "checkpoint-3").is_dir()
    with pytest.raises(HubtoolsError, match="--resume"):
        train(make_recipe(), out_dir=out)  # never silently restarts over an earlier run's checkpoints

    result = train(make_recipe(), out_dir=out, resume=True)

    assert result.resumed_from_step == 3
    assert result.steps == baseline_run.steps == MAX_STEPS
    resumed = losses_by_step(json.loads((out / "trainer_state.json").read_text())["log_history"])
    reference = losses_by_step(json.loads((baseline_run.out_dir / "trainer_state.json").read_text())["log_history"])
    assert sorted(resumed) == sorted(reference) == list(range(1, MAX_STEPS + 1))
    for step in range(4, MAX_STEPS + 1):  # same batches in the same order, same weights: same losses
        assert resumed[step] == pytest.approx(reference[step], rel=1e-4), step


def test_resume_without_checkpoint_is_an_error(make_recipe, tmp_path):
    from hubtools.errors import HubtoolsError
    from hubtools.train import train

    with pytest.raises(HubtoolsError, match="no checkpoint found"):
        train(make_recipe(), out_dir=tmp_path / "model", resume=True)


def test_lora_merged_model_equals_base_plus_adapter(make_recipe, tiny_base_dir, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from hubtools.train import train

    recipe = make_recipe(lora={"enabled": True, "r": 4, "alpha": 8, "dropout": 0.0}, training={"max_steps": 4})
    result = train(recipe, out_dir=tmp_path / "model")

    assert result.lora and result.steps == 4
    assert (tmp_path / "model" / "adapter" / "adapter_config.json").is_file()
    assert (tmp_path / "model" / "chat_template.jinja").is_file()
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "model").eval()
    base = AutoModelForCausalLM.from_pretrained(tiny_base_dir).eval()
    adapted = PeftModel.from_pretrained(base, tmp_path / "model" / "adapter").eval()
    ids = torch.tensor([[15496, 995, 11, 703, 389, 345, 30]])
    with torch.no_grad():
        expected = adapted(ids).logits
        actual = merged(ids).logits
        untouched = AutoModelForCausalLM.from_pretrained(tiny_base_dir)(ids).logits
    assert not torch.allclose(expected, untouched, atol=1e-4)  # the adapter learned something
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=1e-4)
