"""Build → push → load round trips against the session's embedded Hub; idempotent pushes; Hub sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.cli import main
from hubtools.errors import HubtoolsError

DEMO = Path(__file__).resolve().parents[2] / "hubtools" / "data" / "demo"


def small_recipe(tmp_path: Path, repo_id: str, *, seed: int = 1, extra: str = "") -> Path:
    path = tmp_path / f"small-{seed}.toml"
    path.write_text(
        f"""
repo_id = "{repo_id}"
seed = {seed}
license = "cc-by-4.0"
[[sources]]
name = "hh"
kind = "hh-rlhf"
path = "{DEMO / "hh-rlhf.jsonl"}"
[[sources]]
name = "dolly"
kind = "dolly"
path = "{DEMO / "dolly.jsonl"}"
[selection]
size = 150
{extra}
"""
    )
    return path


def commits(hf_api, repo_id: str) -> list[str]:
    return [commit.commit_id for commit in hf_api.list_repo_commits(repo_id, repo_type="dataset")]


def test_push_then_load_by_tag(tmp_path, hf_api, repo_name):
    from datasets import load_dataset, load_from_disk

    from hubtools.data.push import push_dataset

    repo_id = repo_name("data")
    pushed = push_dataset(small_recipe(tmp_path, repo_id), "v0.1.0", out_dir=tmp_path / "build", progress=False)
    assert pushed.repo_id == repo_id and pushed.tag == "v0.1.0" and pushed.changed
    refs = hf_api.list_repo_refs(repo_id, repo_type="dataset")
    assert {tag.name: tag.target_commit for tag in refs.tags} == {"v0.1.0": pushed.commit}

    loaded = load_dataset(repo_id, revision="v0.1.0")
    built = load_from_disk(str(tmp_path / "build"))
    for split in ("train", "test"):
        assert loaded[split].to_list() == built[split].to_list()
    readme = Path(hf_api.hf_hub_download(repo_id, "README.md", repo_type="dataset", revision="v0.1.0")).read_text()
    assert pushed.build.content_hash in readme and f'load_dataset("{repo_id}")' in readme


def test_identical_push_makes_no_commit_and_moved_tags_are_errors(tmp_path, hf_api, repo_name):
    from hubtools.data.push import push_dataset

    repo_id = repo_name("idem")
    recipe = small_recipe(tmp_path, repo_id)
    first = push_dataset(recipe, "v1.0.0", out_dir=tmp_path / "a", progress=False)
    before = commits(hf_api, repo_id)

    again = push_dataset(recipe, "v1.0.0", out_dir=tmp_path / "b", progress=False)  # a fresh, identical build
    assert not again.changed and again.commit == first.commit
    new_tag = push_dataset(recipe, "v1.0.1", out_dir=tmp_path / "a", progress=False)  # reuses the build
    assert not new_tag.changed and new_tag.commit == first.commit
    assert commits(hf_api, repo_id) == before
    tags = {tag.name: tag.target_commit for tag in hf_api.list_repo_refs(repo_id, repo_type="dataset").tags}
    assert tags == {"v1.0.0": first.commit, "v1.0.1": first.commit}

    other = small_recipe(tmp_path, repo_id, seed=2)
    with pytest.raises(HubtoolsError, match="tag v1.0.0 already exists"):
        push_dataset(other, "v1.0.0", out_dir=tmp_path / "c", progress=False)
    assert commits(hf_api, repo_id) == before  # refused before pushing anything
    changed = push_dataset(other, "v1.1.0", out_dir=tmp_path / "c", progress=False)
    assert changed.changed and changed.commit != first.commit
    with pytest.raises(HubtoolsError, match="version tag like v1.2.3"):
        push_dataset(other, "1.2", out_dir=tmp_path / "c", progress=False)


def test_cli_push_prints_the_revision(tmp_path, hub, hf_api, repo_name, capsys):
    repo_id = repo_name("cli")
    recipe = small_recipe(tmp_path, repo_id)
    args = ["data", "push", str(recipe), "--version", "v0.2.0", "--hub", hub.url, "--out", str(tmp_path / "o")]
    assert main([*args, "--quiet"]) == 0
    out = capsys.readouterr().out.strip()
    head = commits(hf_api, repo_id)[0]
    assert out == f"{repo_id}@v0.2.0 {head}"
    assert main([*args, "--quiet"]) == 0
    assert "unchanged (no new commit)" in capsys.readouterr().err


def test_default_repo_id_is_whoami_slash_recipe_name(tmp_path, hf_api):
    from hubtools.data.push import push_dataset

    recipe = small_recipe(tmp_path, "x/y").read_text().replace('repo_id = "x/y"\n', "")
    path = tmp_path / "whoami-default.toml"
    path.write_text(recipe)
    pushed = push_dataset(path, "v0.0.1", out_dir=tmp_path / "w", progress=False)
    assert pushed.repo_id == f"{hf_api.whoami()['name']}/whoami-default"


def test_hub_source_at_a_pinned_revision(tmp_path, hf_api, repo_name):
    from hubtools.data.build import build_dataset

    source_repo = repo_name("raw-hh")
    hf_api.create_repo(source_repo, repo_type="dataset")
    info = hf_api.upload_file(
        path_or_fileobj=str(DEMO / "hh-rlhf.jsonl"),
        path_in_repo="harmless-base/train.jsonl",
        repo_id=source_repo,
        repo_type="dataset",
    )
    hf_api.create_tag(source_repo, tag="v1", repo_type="dataset")
    hf_api.upload_file(
        path_or_fileobj=b"{}\n", path_in_repo="harmless-base/train.jsonl", repo_id=source_repo, repo_type="dataset"
    )  # main moves on; the pinned revision must not
    recipe = tmp_path / "hub-source.toml"
    recipe.write_text(
        f"""
[[sources]]
name = "hh"
kind = "hh-rlhf"
hub = "{source_repo}"
revision = "v1"
files = ["harmless-base/*.jsonl"]
"""
    )
    result = build_dataset(recipe, tmp_path / "out", progress=False)
    (source,) = result.summary["sources"]
    assert source["revision"] == "v1" and source["commit"] == info.oid
    assert source["parsed"] == 179 and result.counts["selected"] > 100
    card = (tmp_path / "out" / "README.md").read_text()
    assert f"`v1` (`{info.oid}`)" in card and source_repo in card

    missing = recipe.read_text().replace('revision = "v1"', 'revision = "v9"')
    recipe.write_text(missing)
    with pytest.raises(HubtoolsError, match="revision 'v9' not found"):
        build_dataset(recipe, tmp_path / "out2", progress=False)
    assert json.loads((tmp_path / "out" / "build.json").read_text())["sources"][0]["commit"] == info.oid
