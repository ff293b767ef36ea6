"""The stages a release composes, each a thin call into the library stage that does the work."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hubtools.errors import HubtoolsError
from hubtools.paths import EVAL_RESULTS_FILE, TRAIN_RECORD_FILE, write_text_atomic
from hubtools.recipes import recipe_path
from hubtools.release.manifest import MANIFEST_FILE, Manifest
from hubtools.release.recipe import ReleaseRecipe, ReleaseSpace, check_parts, duplicate, qualify
from hubtools.versions import check_release_tag, is_release_tag, release_key

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hubtools.data.push import PushedDataset
    from hubtools.data.recipe import DataRecipe
    from hubtools.evaluation.config import EvalConfig
    from hubtools.evaluation.report import EvalReport
    from hubtools.train.recipe import TrainRecipe

EVAL_KEY = ".hubtools_eval_key"
# Never published: local checkpoints (they go to the `checkpoints` branch while training), and hidden files: stage
# keys and what a killed run left half-made (the serving conversion's `.convert-*` staging folder).
NOT_PUBLISHED = ["checkpoints/**", ".*"]


@dataclass(frozen=True)
class BasePart:
    """The base model a release trains and publishes before the fine-tune (see `hubtools.release.base`)."""

    recipe: TrainRecipe
    repo: str


@dataclass(frozen=True)
class Parts:
    data: DataRecipe
    train: TrainRecipe
    dataset_repo: str
    model_repo: str
    spaces: tuple[ReleaseSpace, ...] = ()  # the recipe's, in order, with qualified repo ids
    preference: TrainRecipe | None = None  # the DPO recipe run on top of the SFT model (hubtools.release.preference)
    base: BasePart | None = None


def check_version(version: str) -> None:
    check_release_tag(version)


def load_parts(recipe: ReleaseRecipe, api: HfApi) -> Parts:
    """Load the data and train recipes and qualify repo ids with the token's user."""
    from hubtools.data.recipe import load_data_recipe
    from hubtools.release.preference import load_preference
    from hubtools.train.recipe import load_train_recipe

    data, train = load_data_recipe(_beside(recipe, recipe.data)), load_train_recipe(_beside(recipe, recipe.train))
    check_parts(recipe, data, train)
    preference = load_preference(recipe, data, train)
    base = load_train_recipe(_beside(recipe, recipe.base)) if recipe.base else None
    if base is not None:
        _check_base(recipe, data, base, train)
    user = api.whoami()["name"]
    spaces = tuple(space.model_copy(update={"repo": qualify(space.repo, user)}) for space in recipe.spaces)
    twice = duplicate([space.repo for space in spaces])  # `name` and `USER/name` are one Space
    if twice is not None:
        first, again = twice
        raise HubtoolsError(
            f"{recipe.source_file or f'release recipe {recipe.name}'}: spaces[{again}].repo: "
            f"{recipe.spaces[again].repo!r} is {spaces[again].repo}, as spaces[{first}] already is"
        )
    parts = Parts(
        data=data,
        train=train,
        dataset_repo=qualify(recipe.repos.dataset, user),
        model_repo=qualify(recipe.repos.model, user),
        spaces=spaces,
        preference=preference,
        base=BasePart(base, qualify(recipe.repos.base_model, user)) if base and recipe.repos.base_model else None,
    )
    if parts.base is not None and parts.base.repo == parts.model_repo:  # the base's upload mirrors its own folder
        where = recipe.source_file or f"release recipe {recipe.name}"
        raise HubtoolsError(f"{where}: repos.base_model: {parts.base.repo} is also repos.model; give the base its own")
    return parts


def _check_base(recipe: ReleaseRecipe, data: DataRecipe, base: TrainRecipe, train: TrainRecipe) -> None:
    """A base is a pretraining run on the release's splits, long enough for the fine-tune: found before it trains."""
    check_parts(recipe, data, base, part="base")
    base_file = recipe_path(recipe.part(recipe.base), "train")
    if base.method != "pretrain":  # what the base's card says it is, and what the fine-tune expects
        raise HubtoolsError(
            f"{base_file}: method: a release's base model is pretrained on plain text: expected 'pretrain', got "
            f"{base.method!r}"
        )
    if base.base_model.config is not None:
        from hubtools.train.model_config import config_positions

        positions = config_positions(base.base_model.config)
        if positions is not None and train.training.max_length > positions:
            raise HubtoolsError(
                f"{recipe_path(recipe.part(recipe.train), 'train')}: training.max_length: "
                f"{train.training.max_length} is above the {positions} positions of the base model ({base_file})"
            )


def _beside(recipe: ReleaseRecipe, name: str) -> str | Path:
    """A relative `.toml` path in a release recipe file is read relative to that file."""
    return recipe.part(name)


def work_root(recipe: ReleaseRecipe) -> Path:
    from hubtools.paths import hubtools_home

    return hubtools_home() / "releases" / recipe.name


def released_manifest(api: HfApi, model_repo: str, version: str) -> Manifest | None:
    """The manifest at the model repo's `version` tag, if that version was released."""
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    if not api.repo_exists(model_repo):
        return None
    try:
        path = api.hf_hub_download(model_repo, MANIFEST_FILE, revision=version)
    except (EntryNotFoundError, RevisionNotFoundError, RepositoryNotFoundError):
        return None
    return Manifest.from_json(Path(path).read_text(encoding="utf-8"))


def check_tags_free(api: HfApi, parts: Parts, version: str) -> None:
    """A tag left by hand (or another tool) on the model or Space repo would make the release ambiguous."""
    for repo_id, repo_type in ((parts.model_repo, "model"), *((space.repo, "space") for space in parts.spaces)):
        if api.repo_exists(repo_id, repo_type=repo_type):
            tags = {ref.name for ref in api.list_repo_refs(repo_id, repo_type=repo_type).tags}
            if version in tags:
                raise HubtoolsError(
                    f"tag {version} already exists on {repo_type} repo {repo_id} and was not made by this release "
                    f"(no release.json of {version} from these recipes names it): delete that tag or release under "
                    "another version"
                )


def trained(model_dir: Path) -> bool:
    """Whether training finished here: its record, written last, is complete (a kill may cut it mid-write)."""
    try:
        json.loads((model_dir / TRAIN_RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def push_data(parts: Parts, version: str, *, progress: bool) -> PushedDataset:
    from hubtools.data.push import push_dataset

    return push_dataset(parts.data, version, repo_id=parts.dataset_repo, tag=False, progress=progress)


def train_recipe_on(recipe: TrainRecipe, repo_id: str, commit: str) -> TrainRecipe:
    """The train recipe with its dataset replaced by the exact dataset commit this release pushed."""
    dataset = recipe.dataset.model_copy(update={"repo_id": repo_id, "revision": commit, "recipe": None, "path": None})
    return recipe.model_copy(update={"dataset": dataset})


def train_model(api: HfApi, recipe: TrainRecipe, model_dir: Path, model_repo: str) -> str:
    """Train into `model_dir`, continuing from its checkpoints when an earlier attempt was cut off."""
    from hubtools.train.trainer import train

    api.create_repo(model_repo, exist_ok=True)
    resume = any((model_dir / "checkpoints").glob("checkpoint-*"))
    result = train(recipe, out_dir=model_dir, resume=resume, push_checkpoints_to=model_repo)
    return f"{result.steps} steps, loss {result.first_loss:.3f} → {result.train_loss:.3f}"


@dataclass(frozen=True)
class Previous:
    """The newest release before this one: its tag, and its eval results fetched for the card."""

    tag: str
    eval_results: Path | None


def previous_release(api: HfApi, model_repo: str, version: str, into: Path) -> Previous | None:
    from huggingface_hub.errors import EntryNotFoundError

    if not api.repo_exists(model_repo):
        return None
    tags = [ref.name for ref in api.list_repo_refs(model_repo).tags]
    older = [tag for tag in tags if is_release_tag(tag) and release_key(tag) < release_key(version)]
    if not older:
        return None
    tag = max(older, key=release_key)
    try:
        path = Path(api.hf_hub_download(model_repo, EVAL_RESULTS_FILE, revision=tag, local_dir=into / tag))
    except EntryNotFoundError:
        path = None
    return Previous(tag=tag, eval_results=path)


def eval_key(recipe: ReleaseRecipe, previous: Previous | None) -> str:
    payload = {"eval": recipe.eval.model_dump(mode="json"), "previous": previous.tag if previous else None}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def eval_done(model_dir: Path, key: str) -> bool:
    marker = model_dir / EVAL_KEY
    return (model_dir / EVAL_RESULTS_FILE).is_file() and marker.is_file() and marker.read_text() == key


def evaluate(
    recipe: ReleaseRecipe,
    model_dir: Path,
    model_repo: str,
    dataset: PushedDataset,
    previous: Previous | None,
    key: str,
) -> EvalReport:
    from hubtools.evaluation.run import evaluate_model

    record = json.loads((model_dir / TRAIN_RECORD_FILE).read_text(encoding="utf-8"))
    base = record.get("base_model", {})
    report = evaluate_model(
        model_dir,
        dataset=(dataset.repo_id, dataset.commit),
        base_model=(base["repo_id"], base["revision"]) if base.get("repo_id") else None,
        previous=(model_repo, previous.tag) if previous else None,
        config=recipe.eval,
        out=model_dir / EVAL_RESULTS_FILE,
    )
    (model_dir / EVAL_KEY).write_text(key)
    return report


def write_card(api: HfApi, model_dir: Path, model_repo: str, version: str, previous: Previous | None) -> str:
    from hubtools.cards.model_card import render_model_card

    card = render_model_card(
        model_dir,
        repo_id=model_repo,
        revision=version,
        previous=previous.eval_results if previous else None,
        endpoint=api.endpoint,
    )
    write_text_atomic(model_dir / "README.md", card)
    return "README.md"


def serving_copy(model_dir: Path) -> str:
    from hubtools.serve.convert import convert_for_serving

    target = model_dir / "ct2-int8"
    if not (target / "model.bin").is_file():
        convert_for_serving(model_dir, target)
    return str(target.relative_to(model_dir))


def web_copy(model_dir: Path, config: EvalConfig) -> str:
    """The in-browser copy (`onnx/`), checked, and the chat template where transformers.js reads it.

    Runs before the card, which shows the q8 agreement rate; kept when an interrupted release resumes.
    """
    from hubtools.cards.model_card import WEB_REPORT_FILE
    from hubtools.serve.onnx_export import SUPPORTED_TYPES, export_for_web
    from hubtools.train.chat_template import template_into_config

    template_into_config(model_dir)
    model_type = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("model_type")
    if model_type not in SUPPORTED_TYPES:  # the release goes on; a static Space for it is refused at deploy
        return f"skipped: transformers.js export covers {', '.join(SUPPORTED_TYPES)}, not {model_type!r}"
    report = model_dir / WEB_REPORT_FILE
    if report.is_file():
        agreement = json.loads(report.read_text(encoding="utf-8"))["check"]["q8_agreement"]
    else:
        prompts, tokens = config.all_probes, config.max_new_tokens
        agreement = export_for_web(model_dir, prompts=prompts, max_new_tokens=tokens).check.q8_agreement
    return f"onnx/ written, q8 agreement {agreement:.1%}"


def upload_model(api: HfApi, model_dir: Path, model_repo: str, version: str) -> str:
    """Upload the model folder; unchanged files are skipped, and no change at all makes no commit.

    An earlier release's `release.json` is removed in the same commit: the model commit holds the model only, and
    one left on top by a run killed before its tags can never pass for this release's model commit.
    """
    api.create_repo(model_repo, exist_ok=True)
    info = api.upload_folder(
        folder_path=model_dir,
        repo_id=model_repo,
        ignore_patterns=NOT_PUBLISHED,
        delete_patterns=[MANIFEST_FILE],
        commit_message=f"Release {version}: model, card and evaluation",
    )
    return info.oid


def verify(api: HfApi, model_dir: Path, model_repo: str, commit: str, dataset: PushedDataset) -> str:
    """Read back what was published at the exact commits and compare hashes with the local files."""
    from hubtools.serve.deploy import git_blob_id

    local = {
        path.relative_to(model_dir).as_posix(): path
        for path in model_dir.rglob("*")
        if path.is_file() and not _ignored(path.relative_to(model_dir).as_posix())
    }
    remote = {
        entry.path: entry
        for entry in api.list_repo_tree(model_repo, revision=commit, recursive=True)
        if hasattr(entry, "blob_id")
    }
    for name, path in sorted(local.items()):
        entry = remote.get(name)
        if entry is None:
            raise HubtoolsError(f"verify: {name} is missing from {model_repo}@{commit[:12]}")
        if entry.lfs is not None:
            expected, actual = _sha256(path), entry.lfs.sha256
        else:
            expected, actual = git_blob_id(path.read_bytes()), entry.blob_id
        if expected != actual:
            raise HubtoolsError(f"verify: {name} on {model_repo}@{commit[:12]} differs from the local file")
    if not api.revision_exists(dataset.repo_id, dataset.commit, repo_type="dataset"):
        raise HubtoolsError(f"verify: commit {dataset.commit[:12]} is missing from dataset repo {dataset.repo_id}")
    return f"{len(local)} model files match"


def _ignored(name: str) -> bool:
    """Whether upload_folder skipped this file (the same patterns it was given)."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in NOT_PUBLISHED)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
