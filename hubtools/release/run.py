"""`release`: dataset → base → train → eval → card → serving copy → model → Spaces → verify → tags, in one call.

Atomic: version tags are created only once every artifact is uploaded and read back, and the model repo's tag,
on the `release.json` commit, comes last: it is the commit point (see `hubtools.release.tags`). Resumable, even
after a kill at any moment: each stage is keyed by the content of its inputs and its output is kept under
`$HUBTOOLS_HOME/releases/`, so a re-run continues from the first stage not done; one killed while tagging finds
its `release.json` on the Hub and only adds the missing tags. Idempotent: a version already released with the
same recipes returns its manifest at once, making no commit and uploading nothing.

`hub_target` must have been entered before calling (the HF libraries read the endpoint when imported).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubtools import __version__
from hubtools.errors import HubtoolsError
from hubtools.recipes import recipe_hash
from hubtools.release import base, space_stages, stages, tags
from hubtools.release.manifest import Manifest, RepoRef
from hubtools.release.preference import preference_stage
from hubtools.release.recipe import ReleaseRecipe, load_release_recipe

# (stage, event, detail): event is "start", "done" or "skip". Raising from it aborts the release.
StageCallback = Callable[[str, str, str], None]
# "space" stands for one `space:REPO` stage per Space of the recipe, in its order (see `stage_names`).
STAGES = ("dataset", "base", "train", "dpo", "eval", "web", "card", "serving", "model", "space", "verify", "tag")


@dataclass(frozen=True)
class ReleaseResult:
    manifest: Manifest
    changed: bool
    work_dir: Path


def release(
    recipe: str | Path | ReleaseRecipe,
    version: str,
    *,
    on_stage: StageCallback | None = None,
    progress: bool = True,
) -> ReleaseResult:
    """Publish `version` of everything `recipe` describes; return the manifest committed as `release.json`."""
    from huggingface_hub import HfApi

    stages.check_version(version)
    recipe = recipe if isinstance(recipe, ReleaseRecipe) else load_release_recipe(recipe)
    notify = on_stage or (lambda stage, event, detail: None)
    api = HfApi()
    parts = stages.load_parts(recipe, api)
    digest = release_hash(recipe, parts)

    released = stages.released_manifest(api, parts.model_repo, version)
    if released is not None:
        if released.version != version:
            raise HubtoolsError(
                f"tag {version} on {parts.model_repo} points at the release.json of {released.version}, not of "
                f"{version}: delete that tag or release under another version"
            )
        if released.recipe_hash != digest:
            raise HubtoolsError(
                f"{version} is already released on {parts.model_repo} from other recipes "
                f"(recipe hash {released.recipe_hash}, now {digest}): publish under a new version"
            )
        for stage in stage_names(recipe):
            notify(stage, "skip", f"{version} already released")
        return ReleaseResult(released, changed=False, work_dir=stages.work_root(recipe))

    def run(stage: str, action: Callable[[], Any], detail: str = "") -> Any:
        notify(stage, "start", detail)
        result = action()
        notify(stage, "done", result if isinstance(result, str) else detail)
        return result

    prepared = tags.prepared_release(api, parts.model_repo, version, digest)
    if prepared is not None:  # an earlier run got as far as committing release.json: only tags may be missing
        for stage in stage_names(recipe)[:-1]:
            notify(stage, "skip", f"done before {prepared.commit[:12]} (release.json)")
        run("tag", lambda: tags.tag_release(api, prepared), version)
        dataset = prepared.manifest.dataset
        train_recipe = stages.train_recipe_on(parts.train, dataset.repo_id, dataset.commit)
        train_recipe = base.on_base(train_recipe, prepared.manifest.base_model)
        return ReleaseResult(
            prepared.manifest, changed=True, work_dir=stages.work_root(recipe) / recipe_hash(train_recipe)
        )
    stages.check_tags_free(api, parts, version)
    space_stages.check_spaces(api, recipe, parts)

    dataset = run("dataset", lambda: stages.push_data(parts, version, progress=progress), parts.dataset_repo)
    base_model = base.base_stage(api, recipe, parts.base, dataset, notify) if parts.base else None
    train_recipe = stages.train_recipe_on(parts.train, dataset.repo_id, dataset.commit)
    train_recipe = base.on_base(train_recipe, base_model)
    work_dir = stages.work_root(recipe) / recipe_hash(train_recipe)
    model_dir = work_dir / "model"
    previous = stages.previous_release(api, parts.model_repo, version, work_dir / "previous")

    if stages.trained(model_dir):
        notify("train", "skip", f"trained earlier: {model_dir}")
    else:
        run("train", lambda: stages.train_model(api, train_recipe, model_dir, parts.model_repo), str(model_dir))
    if parts.preference is not None:  # SFT → DPO: the DPO model (if the dataset has pairs) is the one released
        model_dir = preference_stage(parts.preference, dataset, model_dir, run=run, notify=notify)
    eval_key = stages.eval_key(recipe, previous)
    if stages.eval_done(model_dir, eval_key):
        notify("eval", "skip", "evaluated earlier")
    else:
        run(
            "eval",
            lambda: stages.evaluate(recipe, model_dir, parts.model_repo, dataset, previous, eval_key),
            parts.model_repo,
        )
    if recipe.web:
        run("web", lambda: stages.web_copy(model_dir, recipe.eval), "ONNX fp32 + q8 for the browser")
    run("card", lambda: stages.write_card(api, model_dir, parts.model_repo, version, previous), "README.md")
    if recipe.serving:
        run("serving", lambda: stages.serving_copy(model_dir), "int8 CTranslate2 copy")
    model_commit = run("model", lambda: stages.upload_model(api, model_dir, parts.model_repo, version))
    deployed = tuple(
        run(
            space_stages.stage_name(written),
            lambda space=space: space_stages.deploy(space, parts.model_repo, model_commit),
            f"{space.kind} Space {space.repo}",
        )
        for written, space in zip(recipe.spaces, parts.spaces, strict=True)
    )

    def verify() -> str:
        checked = stages.verify(api, model_dir, parts.model_repo, model_commit, dataset)
        for space in deployed:
            space_stages.verify(api, space, parts.model_repo, model_commit)
        return checked + (f"; {len(deployed)} Space(s) serve commit {model_commit[:12]}" if deployed else "")

    run("verify", verify)

    manifest = Manifest(
        version=version,
        dataset=RepoRef(dataset.repo_id, dataset.commit, version),
        model=RepoRef(parts.model_repo, model_commit, version),
        base_model=base_model,
        recipe_hash=digest,
        hubtools_version=__version__,
        spaces=deployed,
    )
    run("tag", lambda: tags.tag_release(api, tags.commit_manifest(api, manifest)), version)
    shutil.rmtree(work_dir / "previous", ignore_errors=True)
    return ReleaseResult(manifest, changed=True, work_dir=work_dir)


def stage_names(recipe: ReleaseRecipe) -> tuple[str, ...]:
    """Every stage of this recipe's release in order, `space` expanded to one stage per Space; `base` only with a
    `base` recipe, `dpo` only with a `preference` one."""
    expanded = {"space": tuple(space_stages.stage_name(space) for space in recipe.spaces)}
    for stage, recipe_field in (("base", recipe.base), ("dpo", recipe.preference)):
        if recipe_field is None:
            expanded[stage] = ()
    return tuple(name for stage in STAGES for name in expanded.get(stage, (stage,)))


def release_hash(recipe: ReleaseRecipe, parts: stages.Parts) -> str:
    """One hash over the release recipe and the data and train recipes it names (a base's too, when it has one)."""
    combined = {"release": recipe_hash(recipe), "data": recipe_hash(parts.data), "train": recipe_hash(parts.train)}
    if parts.preference is not None:
        combined["preference"] = recipe_hash(parts.preference)
    if parts.base is not None:
        combined["base"] = recipe_hash(parts.base.recipe)
    return hashlib.sha256(json.dumps(combined, sort_keys=True).encode()).hexdigest()[:16]
