"""SFT → DPO in one release (`preference` in the release recipe), on the embedded Hub: the released model is the DPO
stage's, trained on the same dataset commit's `preferences` config on top of the SFT model; recipe mistakes are
refused at load; a dataset without pairs releases the SFT model with a note."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from hubtools.cli import main
from hubtools.errors import HubtoolsError

FIXTURES = Path(__file__).parent / "fixtures"
RECIPE = FIXTURES / "tiny-flywheel.toml"
DATASET, MODEL = "local/flywheel-test-feedback", "local/flywheel-test-model"
VERSION = "v0.1.0"


def _refs(api) -> dict:
    state = {}
    for repo_id, repo_type in ((DATASET, "dataset"), (MODEL, "model")):
        if api.repo_exists(repo_id, repo_type=repo_type):
            refs = api.list_repo_refs(repo_id, repo_type=repo_type)
            state.update({(repo_id, ref.ref): ref.target_commit for ref in [*refs.branches, *refs.tags]})
    return state


def _plan(recipe: Path, version: str, capsys) -> dict[str, dict]:
    assert main(["release", str(recipe), "--version", version, "--dry-run", "--json"]) == 0
    steps = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return {step["stage"]: step for step in steps if step["stage"] != "source"}


@pytest.fixture(scope="module")
def released():
    """The release stopped once after its DPO stage (a failure injected as eval starts), then run again."""
    from hubtools.release.run import release

    stopped: list[tuple[str, str, str]] = []

    def fail_at_eval(stage: str, event: str, detail: str) -> None:
        stopped.append((stage, event, detail))
        if (stage, event) == ("eval", "start"):
            raise HubtoolsError("injected failure at eval")

    with pytest.raises(HubtoolsError, match="injected"):
        release(RECIPE, VERSION, on_stage=fail_at_eval, progress=False)
    resumed: list[tuple[str, str, str]] = []
    result = release(RECIPE, VERSION, on_stage=lambda *event: resumed.append(event), progress=False)
    return result, stopped, resumed


@pytest.mark.slow
def test_dry_run_lists_the_dpo_stage_between_train_and_eval(hf_api, capsys):
    before = _refs(hf_api)
    plan = _plan(RECIPE, "v0.0.1", capsys)
    assert list(plan)[:4] == ["dataset", "train", "dpo", "eval"]
    assert plan["dpo"]["state"] == "to do"
    assert "DPO recipe 'tiny-dpo'" in plan["dpo"]["action"] and "beta 0.5" in plan["dpo"]["action"]
    assert _refs(hf_api) == before


@pytest.mark.slow
def test_the_released_model_is_the_dpo_model_on_the_same_dataset_commit(released, hf_api):
    result, _, _ = released
    manifest = result.manifest
    record = json.loads(Path(hf_api.hf_hub_download(MODEL, "hubtools_train.json", revision=VERSION)).read_text())
    assert record["recipe"] == "tiny-dpo" and record["hyperparameters"]["method"] == "dpo"
    assert record["hyperparameters"]["dpo"]["beta"] == 0.5
    assert record["dataset"]["commit"] == manifest.dataset.commit and record["dataset"]["config"] == "preferences"
    sft = record["sft_stage"]
    assert sft["recipe"] == "tiny-train" and sft["dataset"]["commit"] == manifest.dataset.commit
    assert "config" not in sft["dataset"]  # SFT trained on the conversations (the default config)
    assert record["base_model"] == {"stage": "sft"}  # the SFT folder is local: not named in what is published
    assert record["preference_pairs"]["train"] == 22  # the demo feedback's 24 pairs less its test split
    margin = record["preference_margin"]
    assert margin["after"] > margin["before"], margin

    # What was published is the DPO folder, not the SFT model it started from.
    sft_dir = result.work_dir / "model"
    assert json.loads((sft_dir / "hubtools_train.json").read_text())["recipe"] == "tiny-train"
    [weights] = [
        entry for entry in hf_api.list_repo_tree(MODEL, revision=VERSION) if entry.path == "model.safetensors"
    ]
    assert weights.lfs.sha256 != hashlib.sha256((sft_dir / "model.safetensors").read_bytes()).hexdigest()

    card = Path(hf_api.hf_hub_download(MODEL, "README.md", revision=VERSION)).read_text()
    assert "| 1. SFT | `tiny-train` | supervised fine-tuning |" in card
    assert "| 2. DPO | `tiny-dpo` | DPO (beta 0.5, loss `sigmoid`) | 22 preference pairs" in card
    assert f"margin {margin['before']:+.2f} → {margin['after']:+.2f} on 22 training pairs" in card


@pytest.mark.slow
def test_a_stopped_release_resumes_without_training_again(released):
    _, stopped, resumed = released
    assert [(stage, event) for stage, event, _ in stopped][-4:] == [
        ("train", "done"),
        ("dpo", "start"),
        ("dpo", "done"),
        ("eval", "start"),
    ]
    events = {(stage, event) for stage, event, _ in resumed}
    assert {("train", "skip"), ("dpo", "skip"), ("eval", "done"), ("tag", "done")} <= events
    assert ("dpo", "start") not in events and ("train", "start") not in events


@pytest.mark.slow
def test_an_unchanged_rerun_releases_nothing_and_the_dry_run_finds_the_stage_cached(released, hf_api, capsys):
    from hubtools.release.run import release

    before = _refs(hf_api)
    again = release(RECIPE, VERSION, progress=False)
    assert not again.changed and again.manifest == released[0].manifest
    assert _refs(hf_api) == before
    plan = _plan(RECIPE, "v0.2.0", capsys)  # the same inputs under a new version: nothing to train again
    assert (plan["train"]["state"], plan["dpo"]["state"]) == ("cached", "cached")


def _recipe(tmp_path: Path, **changes: str) -> Path:
    """The test release recipe beside copies of its parts, with top-level fields replaced."""
    for name in ("tiny-train.toml", "tiny-dpo.toml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    lines = RECIPE.read_text().splitlines()
    for key, value in changes.items():
        lines = [f"{key} = {value}" if line.startswith(f"{key} = ") else line for line in lines]
    path = tmp_path / "flywheel.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"preference": '"tiny-train.toml"'},
            "preference: train recipe 'tiny-train' has method = 'sft'; expected 'dpo'",
        ),
        ({"data": '"demo"'}, "preference: data recipe 'demo' has no 'space-feedback' source"),
        ({"preference": '"demo-dpo"'}, "training.max_length: 256 is above the 128 positions of the SFT model"),
    ],
)
def test_preference_mistakes_are_refused_before_anything_runs(tmp_path, hf_api, changes, message):
    from hubtools.release.plan import plan_release

    before = _refs(hf_api)
    with pytest.raises(HubtoolsError, match="^.*" + message.replace("(", r"\(").replace(")", r"\)")):
        plan_release(_recipe(tmp_path, **changes), "v0.0.1")
    assert _refs(hf_api) == before


def test_a_preference_recipe_must_exist(tmp_path):
    from hubtools.release.recipe import load_release_recipe

    with pytest.raises(HubtoolsError, match="preference: "):
        load_release_recipe(_recipe(tmp_path, preference='"no-such-dpo.toml"'))


def test_the_preference_recipe_is_part_of_the_release_hash(tmp_path):
    from hubtools.recipes import recipe_hash
    from hubtools.release.recipe import load_release_recipe

    plain = load_release_recipe(FIXTURES / "tiny-release.toml")
    chained = load_release_recipe(RECIPE)
    assert plain.preference is None and chained.preference == "tiny-dpo.toml"
    assert recipe_hash(chained) != recipe_hash(plain)


@pytest.mark.slow
def test_feedback_without_pairs_releases_the_sft_model_with_a_note(tmp_path, hf_api):
    """Only votes and shares, no picks: the build has no pair, so the DPO stage is skipped, saying why."""
    from hubtools.release.run import release

    demo = Path(__file__).parents[2] / "hubtools" / "data" / "demo" / "feedback"
    feedback = tmp_path / "feedback" / "2026-11"
    feedback.mkdir(parents=True)
    for path in sorted(demo.rglob("*.jsonl")):
        kept = [line for line in path.read_text().splitlines() if json.loads(line)["kind"] != "pick"]
        (feedback / path.name).write_text("\n".join(kept) + "\n")
    data = tmp_path / "no-pairs.toml"
    data.write_text(
        (Path(__file__).parents[2] / "hubtools" / "recipes" / "data" / "demo-feedback.toml")
        .read_text()
        .replace('path = "../../data/demo/feedback"', f'path = "{tmp_path / "feedback"}"')
    )
    recipe = _recipe(tmp_path, data='"no-pairs.toml"')
    text = (
        recipe.read_text().replace("flywheel-test-feedback", "nopairs-test").replace("flywheel-test-model", "nopairs")
    )
    recipe.write_text(text)

    events: list[tuple[str, str, str]] = []
    result = release(recipe, VERSION, on_stage=lambda *event: events.append(event), progress=False)

    [(_, event, note)] = [item for item in events if item[0] == "dpo"]
    assert event == "skip" and "no preference pairs in the 'train' split of local/nopairs-test@" in note
    record = json.loads(
        Path(hf_api.hf_hub_download("local/nopairs", "hubtools_train.json", revision=VERSION)).read_text()
    )
    assert record["recipe"] == "tiny-train" and "method" not in record["hyperparameters"]
    assert result.manifest.dataset.repo_id == "local/nopairs-test"


def test_the_shipped_flywheel_release_plans_sft_then_dpo(hf_api, capsys):
    """`demo-flywheel` loads with its three parts (their checks pass) and its dry run has the DPO stage."""
    plan = _plan(Path("demo-flywheel"), "v0.0.1", capsys)
    assert list(plan)[:3] == ["dataset", "train", "dpo"]
    assert "DPO recipe 'demo-dpo'" in plan["dpo"]["action"]


@pytest.fixture
def stopped_dpo(tmp_path):
    """A tiny SFT folder, pairs, and a DPO run of them stopped after its first checkpoint (step 3 of 6)."""
    import torch
    from datasets import Dataset, DatasetDict
    from transformers import GPT2Config, GPT2LMHeadModel, TrainerCallback

    from hubtools.train import train
    from hubtools.train.recipe import TrainRecipe
    from hubtools.train.tokenizer import gpt2_tokenizer

    torch.manual_seed(0)
    sft_dir = tmp_path / "model"
    GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=32, n_head=2, n_positions=64)).save_pretrained(sft_dir)
    gpt2_tokenizer().save_pretrained(sft_dir)
    (sft_dir / "hubtools_train.json").write_text(json.dumps({"recipe": "sft", "steps": 1, "train_loss": 1.0}))
    rows = [
        {
            "prompt": [{"role": "user", "content": f"What is {a} plus {a}?"}],
            "chosen": [{"role": "assistant", "content": f"It is {a + a}."}],
            "rejected": [{"role": "assistant", "content": "No idea, sorry."}],
        }
        for a in range(12)
    ]
    DatasetDict({"train": Dataset.from_list(rows)}).save_to_disk(tmp_path / "pairs" / "preferences")
    recipe = TrainRecipe.model_validate(
        {
            "name": "tiny-dpo",
            "method": "dpo",
            "base_model": {"path": str(sft_dir)},
            "dataset": {"path": str(tmp_path / "pairs")},
            "training": {"max_length": 64, "max_steps": 6, "learning_rate": 5e-3, "batch_size": 4, "save_steps": 3},
        }
    )

    class Stop(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 4:
                raise RuntimeError("stopped")

    out_dir = tmp_path / "dpo-key"
    with pytest.raises(RuntimeError, match="stopped"):
        train(recipe, out_dir=out_dir, callbacks=[Stop()])
    return recipe, out_dir, sft_dir


@pytest.mark.slow
@pytest.mark.parametrize("cut_mid_save", [False, True])
def test_a_dpo_stage_killed_while_training_continues_or_starts_over(stopped_dpo, cut_mid_save):
    """From its last complete checkpoint; or, when the only checkpoint was cut off mid-save, from the start."""
    from hubtools.release.preference import done, train_preference

    recipe, out_dir, sft_dir = stopped_dpo
    if cut_mid_save:
        (out_dir / "checkpoints" / "checkpoint-3" / "trainer_state.json").unlink()
    assert not done(out_dir)
    summary = train_preference(recipe, out_dir, sft_dir)

    assert summary.startswith("6 steps on 12 pairs (beta 0.1, sigmoid), margin ")
    assert summary.endswith(", resumed from step 3") != cut_mid_save
    assert done(out_dir) and not (out_dir / "checkpoints").exists()
    assert json.loads((out_dir / "trainer_state.json").read_text())["global_step"] == 6
    record = json.loads((out_dir / "hubtools_train.json").read_text())
    assert record["sft_stage"]["recipe"] == "sft" and record["base_model"] == {"stage": "sft"}
