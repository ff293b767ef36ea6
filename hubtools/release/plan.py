"""`release --dry-run`: what a release would build and change, read from the Hub and the local caches only."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from hubtools.errors import HubtoolsError
from hubtools.paths import TRAIN_RECORD_FILE
from hubtools.recipes import recipe_hash, recipe_path
from hubtools.release import base, space_stages, stages
from hubtools.release.manifest import RepoRef
from hubtools.release.preference import planned
from hubtools.release.recipe import ReleaseRecipe, load_release_recipe
from hubtools.release.tags import missing_tags, prepared_release

_SPACE_ACTIONS = {
    "static": "deploy the static chat page (the model runs in the browser) pinned to the new model commit",
    "gradio": "deploy the Gradio chat app pinned to the new model commit",
}


@dataclass(frozen=True)
class PlanStep:
    stage: str
    target: str
    action: str
    state: str  # "to do", "cached", "up to date" or "skipped"


def plan_release(recipe: str | Path | ReleaseRecipe, version: str) -> list[PlanStep]:
    """The steps `release` would take now; writes nothing, locally or on the Hub."""
    from huggingface_hub import HfApi

    from hubtools.release.run import release_hash, stage_names

    stages.check_version(version)
    recipe = recipe if isinstance(recipe, ReleaseRecipe) else load_release_recipe(recipe)
    api = HfApi()
    parts = stages.load_parts(recipe, api)
    checked = _check_inputs(recipe, parts)
    digest = release_hash(recipe, parts)
    released = stages.released_manifest(api, parts.model_repo, version)
    if released is not None and released.recipe_hash == digest:
        already = f"{version} already released"
        return [PlanStep(stage, parts.model_repo, already, "up to date") for stage in stage_names(recipe)]
    prepared = prepared_release(api, parts.model_repo, version, digest)
    if prepared is not None:  # an interrupted run of this release: only its missing tags are left
        missing = ", ".join(repo_id for repo_id, _, _ in missing_tags(api, prepared))
        action = f"release.json of {version} is committed; tag {version} on {missing}"
        return [*checked, PlanStep("tag", missing, action, "to do")]
    stages.check_tags_free(api, parts, version)
    space_stages.check_spaces(api, recipe, parts)

    dataset_commit = _current_dataset_commit(api, parts)
    base_step, base_model = (None, None)
    if parts.base is not None:
        base_step, base_model = _base_step(api, recipe, parts.base, parts.dataset_repo, dataset_commit)
    model_dir = None
    if dataset_commit is not None and (parts.base is None or base_model is not None):
        train_recipe = stages.train_recipe_on(parts.train, parts.dataset_repo, dataset_commit)
        train_recipe = base.on_base(train_recipe, base_model)
        model_dir = stages.work_root(recipe) / recipe_hash(train_recipe) / "model"
    trained = model_dir is not None and (model_dir / TRAIN_RECORD_FILE).is_file()
    dpo = planned(parts.preference, parts.data, parts.dataset_repo, dataset_commit, model_dir)
    training = parts.train.training
    steps = [
        *checked,
        PlanStep(
            "dataset",
            parts.dataset_repo,
            f"build data recipe {parts.data.name!r} and push parquet + card",
            "up to date" if dataset_commit else "to do",
        ),
        *([base_step] if base_step else []),
        PlanStep(
            "train",
            str(model_dir) if model_dir else f"(after the {'base model' if parts.base else 'dataset push'})",
            f"train recipe {parts.train.name!r}: {training.max_steps} steps, lr {training.learning_rate}, "
            f"seq {training.max_length}; checkpoints to {parts.model_repo}@checkpoints",
            "cached" if trained else "to do",
        ),
        *([PlanStep("dpo", *dpo)] if dpo else []),
        PlanStep("eval", parts.model_repo, "perplexity on the test split and the probe table", "to do"),
    ]
    if recipe.web:
        what = "ONNX fp32 + q8 copy in onnx/, checked against transformers"
        steps.append(PlanStep("web", parts.model_repo, what, "to do"))
    steps.append(PlanStep("card", parts.model_repo, "render README.md (model card)", "to do"))
    if recipe.serving:
        steps.append(PlanStep("serving", parts.model_repo, "int8 CTranslate2 copy in ct2-int8/", "to do"))
    steps.append(PlanStep("model", parts.model_repo, "upload the model folder (unchanged files skipped)", "to do"))
    for written, space in zip(recipe.spaces, parts.spaces, strict=True):
        what = _SPACE_ACTIONS[space.kind] + (f" on {space.hardware}" if space.hardware else "")
        steps.append(PlanStep(space_stages.stage_name(written), space.repo, what, "to do"))
    what = "read back hashes of every uploaded file" + (", and what each Space serves" if parts.spaces else "")
    steps.append(PlanStep("verify", parts.model_repo, what, "to do"))
    tagged = ", ".join([parts.dataset_repo, *(space.repo for space in parts.spaces), parts.model_repo])
    steps.append(PlanStep("tag", tagged, f"commit release.json, then tag {version} on every repo", "to do"))
    return steps


def _check_inputs(recipe: ReleaseRecipe, parts: stages.Parts) -> list[PlanStep]:
    """What a release would fail on later, found now: data sources that are missing or parse as nothing, and a
    base model revision missing on the Hub. One line naming the recipe file and field when anything is wrong."""
    from hubtools.data.preflight import check_sources, problems_line

    checks = check_sources(parts.data)
    problem = problems_line(recipe_path(recipe.part(recipe.data), "data"), checks)
    if problem:
        raise HubtoolsError(problem)
    # With a `base`, the fine-tune starts from the base the release publishes: the base's own start is checked.
    first, part = (parts.base.recipe, recipe.base) if parts.base else (parts.train, recipe.train)
    source = first.base_model
    if source.repo_id is not None:
        from hubtools.train.sources import resolve_revision

        try:
            resolve_revision(source.repo_id, source.revision, repo_type="model", what="base model")
        except HubtoolsError as error:
            raise HubtoolsError(f"{recipe_path(recipe.part(part), 'train')}: base_model: {error}") from None
    return [PlanStep("source", check.origin, check.summary, "checked") for check in checks]


def _base_step(
    api, recipe: ReleaseRecipe, base_part: stages.BasePart, dataset_repo: str, commit: str | None
) -> tuple[PlanStep, RepoRef | None]:
    """The base stage: up to date when the base of these inputs is published (found by its tag), else to train."""
    base_recipe = base.base_recipe(base_part, dataset_repo, commit) if commit is not None else None
    found = base.published_base(api, base_part.repo, base_recipe) if base_recipe is not None else None
    if found is not None:
        action = f"published earlier: {found.commit[:12]} (tag {found.tag}); the fine-tune starts from it"
        return PlanStep("base", base_part.repo, action, "up to date"), found
    training = base_part.recipe.training
    action = (
        f"train recipe {base_part.recipe.name!r} ({base_part.recipe.method}): {training.max_steps} steps, "
        f"lr {training.learning_rate}, seq {training.max_length}; publish it, tagged by its recipe hash"
    )
    trained = base_recipe is not None and stages.trained(base.base_dir(recipe, base_recipe))
    return PlanStep("base", base_part.repo, action, "cached" if trained else "to do"), None


def _current_dataset_commit(api, parts: stages.Parts) -> str | None:
    """The dataset repo's head if it already holds exactly the build this recipe makes (known from the cache)."""
    from hubtools.data.card import render_card_from_folder
    from hubtools.data.push import card_at, default_build_dir, reusable_build

    build_dir = default_build_dir(parts.data)
    if reusable_build(build_dir, parts.data) is None or not api.repo_exists(parts.dataset_repo, repo_type="dataset"):
        return None
    head = api.repo_info(parts.dataset_repo, repo_type="dataset").sha
    card = render_card_from_folder(build_dir, repo_id=parts.dataset_repo)
    return head if card_at(api, parts.dataset_repo, head) == card else None


def plan_as_json(steps: list[PlanStep]) -> list[dict]:
    return [asdict(step) for step in steps]
