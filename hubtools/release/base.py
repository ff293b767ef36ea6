"""The `base` stage: a base model trained on the release's dataset and published to its own repo before the
fine-tune, which starts from it; reused, not retrained, while its inputs are unchanged.

Keyed by content, like every stage: the base's train recipe, with its dataset replaced by the exact dataset
commit the release pushed, hashes to the tag `<recipe name>-<hash>` on the base repo. A release that finds that
tag takes its commit (no training, no upload). Otherwise it trains (continuing from checkpoints after a kill),
writes the base's card, uploads the folder, reads it back and creates the tag. The tag is a cache key, not a
release version: a base published by a release that failed later is still the base of these inputs, and the
next attempt reuses it. The fine-tune's train recipe then names the base at that exact commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from hubtools.errors import HubtoolsError
from hubtools.paths import TRAIN_RECORD_FILE, write_text_atomic
from hubtools.recipes import recipe_hash
from hubtools.release import stages
from hubtools.release.manifest import RepoRef

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hubtools.data.push import PushedDataset
    from hubtools.release.recipe import ReleaseRecipe
    from hubtools.train.recipe import TrainRecipe

STAGE = "base"


def base_recipe(base: stages.BasePart, dataset_repo: str, dataset_commit: str) -> TrainRecipe:
    """The base's train recipe on the dataset commit this release pushed: what the base's tag is keyed by."""
    return stages.train_recipe_on(base.recipe, dataset_repo, dataset_commit)


def base_tag(recipe: TrainRecipe) -> str:
    return f"{recipe.name}-{recipe_hash(recipe)}"


def on_base(train: TrainRecipe, base: RepoRef | None) -> TrainRecipe:
    """The fine-tune's recipe starting from the published base at its exact commit (unchanged without a base)."""
    if base is None:
        return train
    from hubtools.train.recipe import BaseModelSource

    return train.model_copy(update={"base_model": BaseModelSource(repo_id=base.repo_id, revision=base.commit)})


def base_dir(release: ReleaseRecipe, recipe: TrainRecipe) -> Path:
    """Where the base of `recipe` is trained (kept, like the fine-tune's folder, for a resumed release)."""
    return stages.work_root(release) / STAGE / recipe_hash(recipe) / "model"


def published_base(api: HfApi, repo: str, recipe: TrainRecipe) -> RepoRef | None:
    """The base already published from exactly `recipe` (found by its tag), or None.

    The tag's commit must hold the training record of that recipe: a tag moved by hand onto another model would
    otherwise be fine-tuned from silently.
    """
    from huggingface_hub.errors import EntryNotFoundError

    if not api.repo_exists(repo):
        return None
    tag = base_tag(recipe)
    tags = {ref.name: ref.target_commit for ref in api.list_repo_refs(repo).tags}
    if tag not in tags:
        return None
    commit = tags[tag]
    try:
        record = json.loads(Path(api.hf_hub_download(repo, TRAIN_RECORD_FILE, revision=commit)).read_text())
    except (EntryNotFoundError, ValueError):
        record = None
    found = record.get("recipe_hash") if isinstance(record, dict) else None
    if found != recipe_hash(recipe):
        raise HubtoolsError(
            f"tag {tag} on model repo {repo} points at {commit[:12]}, which was not trained from this base recipe "
            f"(its {TRAIN_RECORD_FILE} names recipe hash {found}, not {recipe_hash(recipe)}): delete that tag"
        )
    return RepoRef(repo, commit, tag)


def base_stage(
    api: HfApi,
    release: ReleaseRecipe,
    base: stages.BasePart,
    dataset: PushedDataset,
    notify: Callable[[str, str, str], None],
) -> RepoRef:
    """Find or publish `base` trained on the release's dataset commit; report it to `notify` as stage `base`."""
    recipe = base_recipe(base, dataset.repo_id, dataset.commit)
    found = published_base(api, base.repo, recipe)
    if found is not None:
        notify(STAGE, "skip", f"{found.repo_id}@{found.commit[:12]} (tag {found.tag}), published earlier")
        return found
    model_dir = base_dir(release, recipe)
    notify(STAGE, "start", f"{base.repo} from train recipe {recipe.name!r}")
    summary = "trained earlier"
    if not stages.trained(model_dir):
        summary = stages.train_model(api, recipe, model_dir, base.repo)
    published = publish_base(api, model_dir, base.repo, base_tag(recipe), dataset)
    notify(STAGE, "done", f"{published.repo_id}@{published.commit[:12]} (tag {published.tag}): {summary}")
    return published


def publish_base(api: HfApi, model_dir: Path, repo: str, tag: str, dataset: PushedDataset) -> RepoRef:
    """Card, upload (the commit mirrors the folder: files of an older base are removed), read-back, then the tag."""
    from hubtools.cards.base_card import render_base_card

    card = render_base_card(model_dir, repo_id=repo, endpoint=api.endpoint)
    write_text_atomic(model_dir / "README.md", card)
    api.create_repo(repo, exist_ok=True)
    info = api.upload_folder(
        folder_path=model_dir,
        repo_id=repo,
        ignore_patterns=stages.NOT_PUBLISHED,
        delete_patterns=["*"],
        commit_message=f"Base model {tag}",
    )
    stages.verify(api, model_dir, repo, info.oid, dataset)
    api.create_tag(repo, tag=tag, revision=info.oid)
    return RepoRef(repo, info.oid, tag)
