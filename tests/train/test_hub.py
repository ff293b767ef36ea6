"""Training against the real Hub target (the session's embedded Hub) with the unmodified HF clients:
pinned revisions, checkpoints on a `checkpoints` branch, resume from the Hub, and clean one-line errors."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest
from train_helpers import MAX_STEPS, CrashAt

from hubtools.errors import HubtoolsError


@pytest.fixture(scope="module")
def api(hub, hub_token):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub_token)


def fresh(prefix: str) -> str:
    return f"local/{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def hub_model(api, tiny_base_dir) -> tuple[str, str]:
    """The tiny model pushed with `push_to_hub`; returns (repo id, commit sha)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    repo_id = fresh("tiny-gpt2")
    AutoModelForCausalLM.from_pretrained(tiny_base_dir).push_to_hub(repo_id)
    AutoTokenizer.from_pretrained(tiny_base_dir).push_to_hub(repo_id)
    return repo_id, api.model_info(repo_id).sha


@pytest.fixture(scope="module")
def hub_chats(api, chats_dir) -> str:
    """The tiny chats pushed with `DatasetDict.push_to_hub` and tagged v1.0; returns the repo id."""
    from datasets import load_from_disk

    repo_id = fresh("sums")
    load_from_disk(str(chats_dir)).push_to_hub(repo_id)
    api.create_tag(repo_id, tag="v1.0", repo_type="dataset")
    return repo_id


def hub_recipe(make_recipe, hub_model, hub_chats, **sections):
    repo_id, sha = hub_model
    return make_recipe(
        base_model={"repo_id": repo_id, "revision": sha},
        dataset={"repo_id": hub_chats, "revision": "v1.0", "path": None},
        **sections,
    )


def test_train_from_hub_checkpoints_to_branch_and_resumes_from_it(api, make_recipe, hub_model, hub_chats, tmp_path):
    from hubtools.train import train

    recipe = hub_recipe(make_recipe, hub_model, hub_chats)
    target = fresh("tiny-chat")
    out = tmp_path / "model"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(recipe, out_dir=out, push_checkpoints_to=target, callbacks=[CrashAt(5)])

    branches = {ref.name for ref in api.list_repo_refs(target).branches}
    assert "checkpoints" in branches
    files = api.list_repo_files(target, revision="checkpoints")
    assert {"last-checkpoint/trainer_state.json", "last-checkpoint/optimizer.pt"} <= set(files)
    state = json.loads(
        open(api.hf_hub_download(target, "last-checkpoint/trainer_state.json", revision="checkpoints")).read()
    )
    assert state["global_step"] == 3

    shutil.rmtree(out)  # the machine is gone: only the Hub has the checkpoint
    result = train(recipe, out_dir=out, push_checkpoints_to=target, resume=True)

    assert result.resumed_from_step == 3
    assert result.steps == MAX_STEPS
    record = json.loads((out / "hubtools_train.json").read_text())
    assert record["base_model"] == {"repo_id": hub_model[0], "revision": hub_model[1], "commit": hub_model[1]}
    assert record["dataset"]["repo_id"] == hub_chats
    assert record["dataset"]["revision"] == "v1.0"
    assert record["dataset"]["commit"] == api.dataset_info(hub_chats, revision="v1.0").sha
    assert not any(name.startswith("last-checkpoint/") for name in api.list_repo_files(target))  # main untouched


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"base_model": {"revision": "0" * 40}}, "base model local/tiny-gpt2-.* has no revision '0{40}'"),
        ({"base_model": {"repo_id": "local/no-such-model"}}, "base model local/no-such-model not found"),
        ({"dataset": {"revision": "v9.9"}}, "dataset local/sums-.* has no revision 'v9.9'"),
        ({"training": {"max_length": 256}}, "training.max_length 256 is above the 128 positions of base model"),
    ],
)
def test_bad_inputs_fail_in_one_line_and_publish_nothing(
    api, make_recipe, hub_model, hub_chats, tmp_path, sections, message
):
    from hubtools.train import train

    recipe = hub_recipe(make_recipe, hub_model, hub_chats)
    raw = recipe.model_dump()
    for section, values in sections.items():
        raw[section].update(values)
    target = fresh("never")
    with pytest.raises(HubtoolsError, match=message) as error:
        train(type(recipe).model_validate(raw), out_dir=tmp_path / "model", push_checkpoints_to=target)
    assert "\n" not in str(error.value)
    assert not api.repo_exists(target)
    assert not (tmp_path / "model").exists()


def test_dataset_without_messages_column_is_rejected(api, make_recipe, hub_model, tmp_path):
    from datasets import Dataset

    from hubtools.train import train

    repo_id = fresh("plain-text")
    Dataset.from_dict({"text": ["User: hi\nAssistant: hello"] * 4}).push_to_hub(repo_id)
    sha = api.dataset_info(repo_id).sha
    recipe = make_recipe(dataset={"repo_id": repo_id, "revision": sha, "path": None})
    with pytest.raises(HubtoolsError, match=r"has no 'messages' column in split 'train' \(columns: text\)"):
        train(recipe, out_dir=tmp_path / "model")


def _state(step: int, losses: list[float]) -> dict:
    return {"global_step": step, "log_history": [{"step": i + 1, "loss": loss} for i, loss in enumerate(losses)]}


@pytest.mark.parametrize("continues", [True, False])
def test_a_hub_checkpoint_ahead_is_taken_only_when_it_continues_the_local_run(api, tmp_path, continues):
    """The `checkpoints` branch is shared by every release of a repo: another run's checkpoint, further ahead,
    must not replace this run's local one (it would resume from other weights without a word)."""
    from hubtools.train.checkpoints import CHECKPOINT_BRANCH, find_resume_checkpoint

    repo_id = fresh("shared-checkpoints")
    api.create_repo(repo_id)
    api.create_branch(repo_id, branch=CHECKPOINT_BRANCH)
    local = tmp_path / "checkpoint-2"
    local.mkdir()
    (local / "trainer_state.json").write_text(json.dumps(_state(2, [7.5, 7.1])))
    remote = _state(4, [7.5, 7.1, 6.8, 6.5] if continues else [3.0, 2.9, 2.8, 2.7])
    api.upload_file(
        path_or_fileobj=json.dumps(remote).encode(),
        path_in_repo="last-checkpoint/trainer_state.json",
        repo_id=repo_id,
        revision=CHECKPOINT_BRANCH,
    )
    chosen = find_resume_checkpoint(tmp_path, repo_id)
    assert chosen.name == ("checkpoint-4" if continues else "checkpoint-2")
    assert json.loads((chosen / "trainer_state.json").read_text())["global_step"] == (4 if continues else 2)
