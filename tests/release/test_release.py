"""The whole release against the embedded Hub: tags, manifest, idempotence, atomicity, dry run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.cli import main
from hubtools.errors import HubtoolsError

pytestmark = pytest.mark.slow

RECIPE = Path(__file__).parent / "fixtures" / "tiny-release.toml"
DATASET, MODEL, SPACE = "local/release-test-chats", "local/release-test-model", "local/release-test-chat"
WEB_SPACE = "local/release-test-chat-web"
REPOS = ((DATASET, "dataset"), (MODEL, "model"), (SPACE, "space"), (WEB_SPACE, "space"))


def _history(api) -> dict:
    """Every ref and the commit count behind it, for each repo of the release."""
    state = {}
    for repo_id, repo_type in REPOS:
        if not api.repo_exists(repo_id, repo_type=repo_type):
            continue
        refs = api.list_repo_refs(repo_id, repo_type=repo_type)
        for ref in [*refs.branches, *refs.tags]:
            state[(repo_id, ref.ref)] = ref.target_commit
    return state


def _tags(api, repo_id: str, repo_type: str) -> dict[str, str]:
    return {ref.name: ref.target_commit for ref in api.list_repo_refs(repo_id, repo_type=repo_type).tags}


@pytest.fixture(scope="module")
def first_release(web_node_modules):  # the recipe publishes the static Space too, which ships npm files
    from hubtools.release.run import release

    return release(RECIPE, "v0.1.0", progress=False)


def test_dry_run_writes_nothing(hf_api, tmp_path, capsys):
    from hubtools.paths import hubtools_home

    before_hub, before_home = _history(hf_api), sorted(hubtools_home().rglob("*"))
    assert main(["release", str(RECIPE), "--version", "v0.0.1", "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [step["stage"] for step in plan if step["stage"] != "source"][:2] == ["dataset", "train"]
    assert _history(hf_api) == before_hub
    assert sorted(hubtools_home().rglob("*")) == before_home


def test_release_tags_every_repo_and_pins_the_dataset(first_release, hf_api):
    manifest = first_release.manifest
    assert first_release.changed
    assert _tags(hf_api, DATASET, "dataset")["v0.1.0"] == manifest.dataset.commit
    spaces = {space.repo_id: space for space in manifest.spaces}
    assert [(space.repo_id, space.kind) for space in manifest.spaces] == [(SPACE, "gradio"), (WEB_SPACE, "static")]
    assert _tags(hf_api, SPACE, "space")["v0.1.0"] == spaces[SPACE].commit
    model_tag = _tags(hf_api, MODEL, "model")["v0.1.0"]
    # The tag holds release.json, committed on top of the model commit the Space serves.
    assert hf_api.list_repo_commits(MODEL, revision=model_tag)[1].commit_id == manifest.model.commit

    released = json.loads(Path(hf_api.hf_hub_download(MODEL, "release.json", revision="v0.1.0")).read_text())
    assert released["model"] == {"repo_id": MODEL, "commit": manifest.model.commit, "tag": "v0.1.0"}
    assert released["dataset"]["commit"] == manifest.dataset.commit
    assert set(released) == {"version", "dataset", "model", "spaces", "recipe_hash", "hubtools_version"}
    assert released["spaces"] == [
        {"repo_id": SPACE, "kind": "gradio", "commit": spaces[SPACE].commit},
        {"repo_id": WEB_SPACE, "kind": "static", "commit": spaces[WEB_SPACE].commit},
    ]
    assert _tags(hf_api, WEB_SPACE, "space")["v0.1.0"] == spaces[WEB_SPACE].commit
    web_config = json.loads(
        Path(hf_api.hf_hub_download(WEB_SPACE, "space-config.json", repo_type="space")).read_text()
    )
    assert (web_config["model_repo"], web_config["revision"]) == (MODEL, manifest.model.commit)

    card = Path(hf_api.hf_hub_download(MODEL, "README.md", revision="v0.1.0")).read_text()
    assert manifest.dataset.commit in card
    files = set(hf_api.list_repo_files(MODEL, revision="v0.1.0"))
    assert {"config.json", "eval_results.json", "loss_curve.png", "ct2-int8/model.bin", "release.json"} <= files
    assert {"onnx/model.onnx", "onnx/model_quantized.onnx", "onnx/hubtools_web.json"} <= files
    assert "**q8 agreement: " in card
    tokenizer_config = json.loads(
        Path(hf_api.hf_hub_download(MODEL, "tokenizer_config.json", revision="v0.1.0")).read_text()
    )
    assert (
        tokenizer_config["chat_template"]
        == Path(hf_api.hf_hub_download(MODEL, "chat_template.jinja", revision="v0.1.0")).read_text()
    )
    assert "checkpoints" in {ref.name for ref in hf_api.list_repo_refs(MODEL).branches}


def test_space_serves_the_new_model_commit(first_release, hf_api):
    from hubtools.serve.config import load_serve_config

    folder = Path(hf_api.snapshot_download(SPACE, repo_type="space", revision="v0.1.0"))
    config = load_serve_config(folder, environ={})
    assert (config.model_repo, config.model_revision) == (MODEL, first_release.manifest.model.commit)


def test_second_run_makes_no_commit(first_release, hf_api, capsys):
    before = _history(hf_api)
    assert main(["release", str(RECIPE), "--version", "v0.1.0", "--json"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out.strip().splitlines()[-1])
    assert printed == json.loads(first_release.manifest.to_json())
    # One stage per Space, in the recipe's order, named as the recipe writes them.
    lines = captured.err.splitlines()
    assert lines.index("[8/11] space:release-test-chat up to date (v0.1.0 already released)") + 1 == lines.index(
        "[9/11] space:release-test-chat-web up to date (v0.1.0 already released)"
    )
    assert _history(hf_api) == before


def _recipe_training(tmp_path: Path, max_steps: int) -> Path:
    """The test release recipe with its own train recipe: a model no other test has trained."""
    train = tmp_path / "tiny-train.toml"
    train.write_text(
        (RECIPE.parent / "tiny-train.toml").read_text().replace("max_steps = 4", f"max_steps = {max_steps}")
    )
    recipe = tmp_path / "tiny-release.toml"
    recipe.write_text(RECIPE.read_text())
    return recipe


def _fail_at(when: tuple[str, str]):
    def callback(stage: str, event: str, detail: str) -> None:
        if (stage, event) == when:
            raise HubtoolsError(f"injected failure at {stage} {event}")

    return callback


def test_failed_release_leaves_no_tag_and_resumes(first_release, hf_api, tmp_path):
    from hubtools.paths import hubtools_home
    from hubtools.release.run import release

    recipe = _recipe_training(tmp_path, max_steps=3)
    releases = hubtools_home() / "releases" / "tiny-release"
    trained_before = set(releases.glob("*/model/hubtools_train.json"))
    seen = []
    with pytest.raises(HubtoolsError, match="injected"):
        release(
            recipe, "v0.2.0", on_stage=lambda *event: (seen.append(event[:2]), _fail_at(("eval", "start"))(*event))
        )
    assert ("train", "done") in seen  # this attempt trained a model of its own, then failed
    assert all("v0.2.0" not in _tags(hf_api, repo_id, repo_type) for repo_id, repo_type in REPOS)
    [trained] = set(releases.glob("*/model/hubtools_train.json")) - trained_before

    seen = []
    result = release(recipe, "v0.2.0", on_stage=lambda *event: seen.append(event[:2]), progress=False)
    assert ("train", "skip") in seen and ("train", "start") not in seen  # the failed attempt's model is reused
    assert result.work_dir / "model" / "hubtools_train.json" == trained
    assert json.loads(trained.read_text())["steps"] == 3
    assert all("v0.2.0" in _tags(hf_api, repo_id, repo_type) for repo_id, repo_type in REPOS)
    assert result.manifest.dataset.commit == first_release.manifest.dataset.commit  # same data, no new commit
    card = Path(hf_api.hf_hub_download(MODEL, "README.md", revision="v0.2.0")).read_text()
    assert "v0.1.0" in card  # compared with the previous release


def test_failure_after_the_uploads_leaves_no_tag_and_resumes(first_release, hf_api):
    """Everything is uploaded and verified, then the run fails before release.json: nothing is tagged."""
    from hubtools.release.run import release

    # What a run killed while writing the serving copy leaves behind: its staging folder is never published.
    leftover = first_release.work_dir / "model" / ".convert-killed" / "model.bin"
    leftover.parent.mkdir(exist_ok=True)
    leftover.write_bytes(b"half a model")
    with pytest.raises(HubtoolsError, match="injected"):
        release(RECIPE, "v0.3.0", on_stage=_fail_at(("tag", "start")), progress=False)
    assert all("v0.3.0" not in _tags(hf_api, repo_id, repo_type) for repo_id, repo_type in REPOS)
    uploaded = hf_api.repo_info(MODEL).sha
    published = hf_api.list_repo_files(MODEL, revision=uploaded)
    assert "release.json" not in published  # the model commit holds the model
    assert not any(name.startswith(".convert-") for name in published)

    before = _history(hf_api)
    result = release(RECIPE, "v0.3.0", progress=False)
    assert result.manifest.model.commit == uploaded  # nothing uploaded twice
    assert [space.commit for space in result.manifest.spaces] == [
        before[(SPACE, "refs/heads/main")],
        before[(WEB_SPACE, "refs/heads/main")],
    ]
    assert hf_api.list_repo_commits(MODEL)[1].commit_id == uploaded  # only release.json was added on top
    assert all(_tags(hf_api, repo_id, repo_type)["v0.3.0"] for repo_id, repo_type in REPOS)


def test_foreign_tags_are_refused_before_any_work(first_release, hf_api):
    """A tag this release did not make, on any repo, stops it before training (nothing tagged)."""
    from hubtools.release.run import release

    initial = hf_api.list_repo_commits(DATASET, repo_type="dataset")[-1].commit_id
    seen = []
    for repo_id, repo_type in REPOS:
        seen.clear()
        revision = initial if repo_type == "dataset" else None
        hf_api.create_tag(repo_id, tag="v0.9.0", revision=revision, repo_type=repo_type)
        try:
            with pytest.raises(HubtoolsError, match=f"v0.9.0.*{repo_id}"):
                release(RECIPE, "v0.9.0", on_stage=lambda *event: seen.append(event[:2]), progress=False)
        finally:
            hf_api.delete_tag(repo_id, tag="v0.9.0", repo_type=repo_type)
        assert ("train", "start") not in seen and ("train", "skip") not in seen
        assert all("v0.9.0" not in _tags(hf_api, other, kind) for other, kind in REPOS)


def test_version_already_released_from_other_recipes_is_refused(first_release, tmp_path):
    from hubtools.release.run import release

    changed = tmp_path / "changed-release.toml"
    text = RECIPE.read_text().replace('train = "tiny-train.toml"', f'train = "{RECIPE.parent / "tiny-train.toml"}"')
    changed.write_text(text.replace("max_new_tokens = 8", "max_new_tokens = 9"))
    with pytest.raises(HubtoolsError, match="already released"):
        release(changed, "v0.1.0", progress=False)
