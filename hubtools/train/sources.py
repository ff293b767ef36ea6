"""Where a run's inputs come from, checked before anything heavy happens or anything is published.

Revisions are resolved to commit shas first (so a missing tag is a one-line error, not a stack trace from deep in
`from_pretrained`), and the data is loaded at that sha so the run is reproducible.
"""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubtools.errors import HubtoolsError
from hubtools.train.recipe import DatasetSource, TrainRecipe


def resolve_revision(repo_id: str, revision: str, *, repo_type: str, what: str) -> str:
    """The commit sha of `repo_id@revision` on the Hub target; HubtoolsError naming what is missing otherwise.

    Resolved once per process: a tag that moves mid-run cannot make the model and its record disagree.
    """
    from huggingface_hub import constants

    return _resolve(constants.ENDPOINT, repo_id, revision, repo_type, what)


@functools.lru_cache(maxsize=64)
def _resolve(hub: str, repo_id: str, revision: str, repo_type: str, what: str) -> str:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = HfApi(endpoint=hub).repo_info(repo_id, revision=revision, repo_type=repo_type)
    except RevisionNotFoundError:
        raise HubtoolsError(f"{what} {repo_id} has no revision {revision!r} on {hub}") from None
    except RepositoryNotFoundError:
        raise HubtoolsError(f"{what} {repo_id} not found on {hub}") from None
    except (HfHubHTTPError, OSError) as error:
        raise HubtoolsError(f"{what} {repo_id}@{revision}: cannot reach {hub} ({error.__class__.__name__})") from None
    return info.sha


def check_hub_revisions(recipe: TrainRecipe) -> None:
    """Fail fast, before any download, if a pinned base model or dataset revision is missing on the Hub."""
    if recipe.base_model.repo_id is not None:
        resolve_revision(recipe.base_model.repo_id, recipe.base_model.revision, repo_type="model", what="base model")
    if recipe.dataset.repo_id is not None:
        resolve_revision(recipe.dataset.repo_id, recipe.dataset.revision, repo_type="dataset", what="dataset")


@dataclass
class TrainingData:
    """The splits a run trains (and optionally evaluates) on, plus where they came from for hubtools_train.json."""

    train: Any
    eval: Any | None
    record: dict[str, Any] = field(default_factory=dict)


def load_training_data(source: DatasetSource, *, cache_dir: Path) -> TrainingData:
    """Load the dataset named by the recipe and check it has conversations in a `messages` column."""
    from datasets import DatasetDict, load_from_disk

    if source.repo_id is not None:
        from datasets import load_dataset

        sha = resolve_revision(source.repo_id, source.revision, repo_type="dataset", what="dataset")
        name = f"dataset {source.repo_id}@{source.revision}"
        splits = load_dataset(source.repo_id, revision=sha)
        record = {"repo_id": source.repo_id, "revision": source.revision, "commit": sha}
    elif source.recipe is not None:
        path = build_data_recipe(source.recipe, cache_dir)
        name = f"data recipe {source.recipe}"
        splits = load_from_disk(str(path))
        record = {"recipe": source.recipe, "path": str(path)}
        build = path / "build.json"  # the data stage's summary: its content hash names exactly these rows
        if build.is_file():
            record["content_hash"] = json.loads(build.read_text(encoding="utf-8")).get("content_hash")
    else:
        path = Path(source.path).expanduser()
        if not path.exists():
            raise HubtoolsError(f"dataset path {path} does not exist")
        name = f"dataset {path}"
        splits = load_from_disk(str(path))
        record = {"path": str(path)}
    if not isinstance(splits, DatasetDict):
        splits = DatasetDict({source.train_split: splits})
    train = _split(splits, source.train_split, name)
    if "messages" not in train.column_names:
        columns = ", ".join(train.column_names) or "none"
        raise HubtoolsError(f"{name} has no 'messages' column in split {source.train_split!r} (columns: {columns})")
    if len(train) == 0:
        raise HubtoolsError(f"{name}: split {source.train_split!r} is empty")
    evaluation = _split(splits, source.eval_split, name) if source.eval_split else None
    columns = [column for column in train.column_names if column != "messages"]
    train = train.remove_columns(columns)
    if evaluation is not None:
        evaluation = evaluation.remove_columns([c for c in evaluation.column_names if c != "messages"])
    return TrainingData(train=train, eval=evaluation, record=record)


def _split(splits: Any, split: str, name: str) -> Any:
    if split not in splits:
        raise HubtoolsError(f"{name} has no split {split!r} (splits: {', '.join(splits)})")
    return splits[split]


def build_data_recipe(recipe: str, cache_dir: Path) -> Path:
    """Build a hubtools data recipe once per content hash; later runs (and resumes) load the very same rows."""
    from hubtools.data.build import build_dataset
    from hubtools.data.recipe import load_data_recipe
    from hubtools.recipes import recipe_hash

    loaded = load_data_recipe(recipe)
    out_dir = cache_dir / f"{loaded.name}-{recipe_hash(loaded)}"
    if not out_dir.exists():
        partial = out_dir.with_name(out_dir.name + ".partial")  # a build killed half-way is never loaded
        shutil.rmtree(partial, ignore_errors=True)
        build_dataset(loaded, partial)
        partial.rename(out_dir)
    return out_dir
