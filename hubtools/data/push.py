"""`push_dataset`: publish a build to a Hub dataset repo as parquet (`push_to_hub`) plus its card, and tag it.

Publishing is idempotent: the card holds the content hash, recipe hash and hubtools version, so when the
card on the Hub already equals the one this build renders, nothing is committed (the tag is added to the
existing commit if it is new). A tag that already exists and names different content is an error: a
version, once published, always means the same data.

Call it inside `hubtools.hub.target.hub_target(...)`, which points the HF libraries at the right Hub.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hubtools import __version__
from hubtools.data.build import BuildResult, build_dataset, datasets_progress
from hubtools.data.inputs import resolve_inputs
from hubtools.data.recipe import DataRecipe, load_data_recipe
from hubtools.errors import HubtoolsError
from hubtools.recipes import recipe_hash
from hubtools.versions import check_release_tag


@dataclass(frozen=True)
class PushedDataset:
    """A published dataset version: `load_dataset(repo_id, revision=tag)` reads exactly this build."""

    repo_id: str
    commit: str
    tag: str | None  # None when pushed with tag=False
    changed: bool  # False when the Hub already held this content and no commit was made
    build: BuildResult

    @property
    def revision(self) -> str:
        return self.tag or self.commit


def default_build_dir(recipe: DataRecipe) -> Path:
    from hubtools.paths import hubtools_home

    return hubtools_home() / "builds" / recipe.name


def reusable_build(out_dir: Path, recipe: DataRecipe) -> BuildResult | None:
    """The build already in `out_dir` if it was made from this recipe, by this hubtools, from the same inputs."""
    summary_path = out_dir / "build.json"
    if not summary_path.is_file() or not (out_dir / "dataset_dict.json").is_file():
        return None
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        same = summary["recipe"]["hash"] == recipe_hash(recipe) and summary["hubtools_version"] == __version__
        recorded = {source["name"]: source["commit"] for source in summary["sources"]}
    except (ValueError, KeyError, TypeError):
        return None
    if not same:
        return None
    for source in recipe.sources:
        if recorded.get(source.name) != resolve_inputs(recipe, source).commit:
            return None
    return BuildResult(
        path=out_dir,
        recipe=recipe.name,
        recipe_hash=summary["recipe"]["hash"],
        content_hash=summary["content_hash"],
        splits={name: split["num_examples"] for name, split in summary["splits"].items()},
        counts=summary["counts"],
        summary=summary,
    )


def push_dataset(
    recipe: str | Path | DataRecipe,
    version: str,
    *,
    out_dir: str | Path | None = None,
    repo_id: str | None = None,
    private: bool = False,
    token: str | None = None,
    rebuild: bool = False,
    progress: bool = True,
    tag: bool = True,
) -> PushedDataset:
    """Build `recipe` (or reuse the matching build in `out_dir`), push it to `repo_id` and tag it `version`.

    `repo_id` defaults to the recipe's, else `<whoami>/<recipe name>`. With `tag=False` the commit is left
    untagged: a release tags all its repos together once everything is published.
    """
    from hubtools.data.card import render_card_from_folder

    check_release_tag(version)
    recipe = load_data_recipe(recipe)
    out_dir = Path(out_dir) if out_dir is not None else default_build_dir(recipe)
    build = None if rebuild else reusable_build(out_dir, recipe)
    if build is None:
        build = build_dataset(recipe, out_dir, progress=progress)

    from huggingface_hub import HfApi

    api = HfApi(token=token)
    repo_id = repo_id or recipe.repo_id or f"{_whoami(api)}/{recipe.name}"
    card = render_card_from_folder(out_dir, repo_id=repo_id)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    tags = {ref.name: ref.target_commit for ref in refs.tags}
    head = next((ref.target_commit for ref in refs.branches if ref.name == "main"), None)

    if version in tags:
        if card_at(api, repo_id, tags[version]) == card:
            return PushedDataset(repo_id, tags[version], version, changed=False, build=build)
        raise HubtoolsError(
            f"tag {version} already exists on {repo_id} at commit {tags[version][:12]} with other content; "
            "publish this build under a new version"
        )
    if head is not None and card_at(api, repo_id, head) == card:
        if tag:
            api.create_tag(repo_id, tag=version, revision=head, repo_type="dataset")
        return PushedDataset(repo_id, head, version if tag else None, changed=False, build=build)

    from datasets import load_from_disk

    dataset = load_from_disk(str(out_dir))
    message = f"{recipe.name} {version} (hubtools {__version__}, content {build.content_hash[:12]})"
    with datasets_progress(progress):
        dataset.push_to_hub(repo_id, commit_message=f"Upload {message}", private=private, token=token)
        if (out_dir / "preferences" / "dataset_dict.json").is_file():  # built from feedback: its second config
            load_from_disk(str(out_dir / "preferences")).push_to_hub(
                repo_id, config_name="preferences", commit_message=f"Upload {message} preferences", token=token
            )
    info = api.upload_file(
        path_or_fileobj=card.encode("utf-8"),
        path_in_repo="README.md",
        repo_id=repo_id,
        repo_type="dataset",
        commit_message=f"Dataset card for {message}",
    )
    commit = info.oid
    if tag:
        api.create_tag(repo_id, tag=version, revision=commit, repo_type="dataset")
    return PushedDataset(repo_id, commit, version if tag else None, changed=True, build=build)


def _whoami(api) -> str:
    try:
        return api.whoami()["name"]
    except Exception as error:  # noqa: BLE001 - any failure means the same thing to the user
        raise HubtoolsError(
            f"cannot tell who you are on the Hub ({error}); log in, pass --token, or set `repo_id` in the recipe"
        ) from None


def card_at(api, repo_id: str, commit: str) -> str | None:
    """The README.md text at `commit`, or None when there is none."""
    from huggingface_hub.errors import EntryNotFoundError

    try:
        path = api.hf_hub_download(repo_id, "README.md", repo_type="dataset", revision=commit)
    except EntryNotFoundError:
        return None
    return Path(path).read_text(encoding="utf-8")
