"""A release with a base model (as `release demo`): the base is pretrained and published first, the fine-tune starts
from its exact commit, and the card compares the two; the base is reused while unchanged, retrained when not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.cli import main

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
RECIPE = FIXTURES / "tiny-release-base.toml"
DATASET, BASE, MODEL = "local/base-test-chats", "local/base-test-base", "local/base-test-model"


@pytest.fixture(scope="module")
def api(hub, hub_token):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub_token)


def _refs(api, repo_id: str) -> dict[str, str]:
    refs = api.list_repo_refs(repo_id)
    return {ref.ref: ref.target_commit for ref in [*refs.branches, *refs.tags]}


def _download(api, repo_id: str, name: str, revision: str) -> str:
    return Path(api.hf_hub_download(repo_id, name, revision=revision)).read_text()


def _stages(events: list) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for stage, event, _ in events:
        seen.setdefault(stage, set()).add(event)
    return seen


@pytest.fixture(scope="module")
def first(api):
    from hubtools.release.run import release

    events: list = []
    result = release(RECIPE, "v0.1.0", on_stage=lambda *event: events.append(event), progress=False)
    return result, _stages(events), _refs(api, BASE)


@pytest.fixture(scope="module")
def second(first):
    """v0.2.0 from the same recipes: the base is found by its tag; the fine-tune is compared with v0.1.0."""
    from hubtools.release.run import release

    events: list = []
    result = release(RECIPE, "v0.2.0", on_stage=lambda *event: events.append(event), progress=False)
    return result, _stages(events)


def test_the_base_is_published_first_and_tagged_by_its_recipe(first, hf_api):
    result, stages, refs = first
    base = result.manifest.base_model
    assert stages["base"] == {"start", "done"}
    assert base.repo_id == BASE and base.tag.startswith("tiny-base-")
    assert refs[f"refs/tags/{base.tag}"] == base.commit == refs["refs/heads/main"]
    record = json.loads(_download(hf_api, BASE, "hubtools_train.json", base.commit))
    assert record["dataset"]["commit"] == result.manifest.dataset.commit  # trained on the release's dataset
    files = set(hf_api.list_repo_files(BASE, revision=base.commit))
    assert {"model.safetensors", "tokenizer.json", "README.md", "loss_curve.png"} <= files
    # A plain language model: no chat template (the fine-tune adds it), and its card says so.
    assert "chat_template.jinja" not in files
    assert "chat_template" not in json.loads(_download(hf_api, BASE, "tokenizer_config.json", base.commit))
    card = _download(hf_api, BASE, "README.md", base.commit)
    assert "not\na chat model" in card and f"datasets:\n- {DATASET}" in card
    released = json.loads(_download(hf_api, MODEL, "release.json", "v0.1.0"))
    assert released["base_model"] == {"repo_id": BASE, "commit": base.commit, "tag": base.tag}


def test_the_fine_tune_starts_from_the_base_and_its_card_compares_them(first, hf_api):
    result, _, _ = first
    base = result.manifest.base_model
    record = json.loads(_download(hf_api, MODEL, "hubtools_train.json", "v0.1.0"))
    assert record["base_model"] == {"repo_id": BASE, "revision": base.commit, "commit": base.commit}
    base_tokenizer = json.loads(_download(hf_api, BASE, "tokenizer.json", base.commit))
    assert json.loads(_download(hf_api, MODEL, "tokenizer.json", "v0.1.0"))["model"] == base_tokenizer["model"]
    assert "chat_template" in json.loads(_download(hf_api, MODEL, "tokenizer_config.json", "v0.1.0"))

    results = json.loads(_download(hf_api, MODEL, "eval_results.json", "v0.1.0"))
    assert results["models"]["base"]["commit"] == base.commit
    assert results["settings"]["prompt_format"] == {"fine_tuned": "chat_template", "base": "plain"}
    card = _download(hf_api, MODEL, "README.md", "v0.1.0")
    assert f"\nbase_model: {BASE}\n" in card.split("---")[1]
    assert "| Query | base model | this model |" in card
    assert f"fine-tuned from [{BASE}@{base.commit}]" in card
    assert "This is the first release: there is no earlier release to compare with; the probe table above" in card


def test_an_unchanged_base_is_reused_without_a_commit(first, second, hf_api):
    (result, _, refs), (again, stages) = first, second
    assert stages["base"] == {"skip"} and "start" not in stages["train"]  # no training at all
    assert again.manifest.base_model == result.manifest.base_model
    assert _refs(hf_api, BASE) == refs  # nothing committed or tagged on the base repo
    record = json.loads(_download(hf_api, MODEL, "hubtools_train.json", "v0.2.0"))
    assert record["base_model"]["commit"] == result.manifest.base_model.commit
    card = _download(hf_api, MODEL, "README.md", "v0.2.0")
    assert "| Query | base model | this model | previous release |" in card
    assert "Compared with local/base-test-model@v0.1.0" in card


def test_the_dry_run_lists_the_base_stage(second, capsys):
    assert main(["release", str(RECIPE), "--version", "v0.3.0", "--dry-run", "--json"]) == 0
    plan = {step["stage"]: step for step in json.loads(capsys.readouterr().out.strip().splitlines()[-1])}
    assert plan["base"]["state"] == "up to date" and plan["base"]["target"] == BASE
    assert plan["train"]["state"] == "cached"


def test_a_changed_base_recipe_is_retrained_and_published_under_a_new_tag(second, hf_api, tmp_path, capsys):
    from hubtools.release.run import release

    (tmp_path / "tiny-base.toml").write_text(
        (FIXTURES / "tiny-base.toml").read_text().replace("max_steps = 4", "max_steps = 3")
    )
    (tmp_path / "tiny-train.toml").write_text((FIXTURES / "tiny-train.toml").read_text())
    recipe = tmp_path / "tiny-release-base.toml"
    recipe.write_text(RECIPE.read_text())
    before = _refs(hf_api, BASE)

    assert main(["release", str(recipe), "--version", "v0.3.0", "--dry-run", "--json"]) == 0
    plan = {step["stage"]: step for step in json.loads(capsys.readouterr().out.strip().splitlines()[-1])}
    assert (plan["base"]["state"], plan["train"]["state"]) == ("to do", "to do")

    events: list = []
    result = release(recipe, "v0.3.0", on_stage=lambda *event: events.append(event), progress=False)
    stages = _stages(events)
    assert stages["base"] == {"start", "done"} and stages["train"] == {"start", "done"}
    base = result.manifest.base_model
    assert base.commit != second[0].manifest.base_model.commit and base.tag != second[0].manifest.base_model.tag
    after = _refs(hf_api, BASE)
    assert after[f"refs/tags/{base.tag}"] == base.commit == after["refs/heads/main"]
    tags = {ref: commit for ref, commit in after.items() if ref.startswith("refs/tags/")}
    old_tags = {ref: commit for ref, commit in before.items() if ref.startswith("refs/tags/")}
    assert tags == {**old_tags, f"refs/tags/{base.tag}": base.commit}  # the older base keeps its tag and commit
    assert json.loads(_download(hf_api, BASE, "hubtools_train.json", base.commit))["steps"] == 3
    record = json.loads(_download(hf_api, MODEL, "hubtools_train.json", "v0.3.0"))
    assert record["base_model"]["commit"] == base.commit


def test_a_tag_moved_onto_another_model_is_refused(first, hf_api, repo_name):
    from hubtools.errors import HubtoolsError
    from hubtools.release import base
    from hubtools.release.recipe import load_release_recipe
    from hubtools.release.stages import load_parts

    parts = load_parts(load_release_recipe(RECIPE), hf_api)
    manifest = first[0].manifest
    recipe = base.base_recipe(parts.base, DATASET, manifest.dataset.commit)
    other = repo_name("moved-base")
    hf_api.create_repo(other)
    hf_api.upload_file(path_or_fileobj=b'{"recipe_hash": "0"}', path_in_repo="hubtools_train.json", repo_id=other)
    hf_api.create_tag(other, tag=base.base_tag(recipe))
    assert base.published_base(hf_api, BASE, recipe) == manifest.base_model
    with pytest.raises(HubtoolsError, match=f"tag {base.base_tag(recipe)} on model repo {other} .*delete that tag"):
        base.published_base(hf_api, other, recipe)
