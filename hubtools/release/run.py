"""`release`: dataset → base → train → eval → card → serving copy → model → Space → verify → tags, in one call.

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
from hubtools.release import base, stages, tags
from hubtools.release.manifest import Manifest, RepoRef
from hubtools.release.recipe import ReleaseRecipe, load_release_recipe

# (stage, event, detail): event is "start", "done" or "skip". Raising from it aborts the release.
StageCallback = Callable[[str, str, str], None]
STAGES = ("dataset", "base", "train", "eval", "web", "card", "serving", "model", "space", "web-space", "verify", "tag")


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
        for stage in STAGES:
            notify(stage, "skip", f"{version} already released")
        return ReleaseResult(released, changed=False, work_dir=stages.work_root(recipe))

    def run(stage: str, action: Callable[[], Any], detail: str = "") -> Any:
        notify(stage, "start", detail)
        result = action()
        notify(stage, "done", result if isinstance(result, str) else detail)
        return result

    prepared = tags.prepared_release(api, parts.model_repo, version, digest)
    if prepared is not None:  # an earlier run got as far as committing release.json: only tags may be missing
        for stage in STAGES[:-1]:
            notify(stage, "skip", f"done before {prepared.commit[:12]} (release.json)")
        run("tag", lambda: tags.tag_release(api, prepared), version)
        dataset = prepared.manifest.dataset
        train_recipe = stages.train_recipe_on(parts.train, dataset.repo_id, dataset.commit)
        train_recipe = base.on_base(train_recipe, prepared.manifest.base_model)
        return ReleaseResult(
            prepared.manifest, changed=True, work_dir=stages.work_root(recipe) / recipe_hash(train_recipe)
        )
    stages.check_tags_free(api, parts, version)

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
    space = None
    if parts.space_repo:
        hardware = recipe.repos.space_hardware
        space = run(
            "space",
            lambda: stages.deploy(parts.space_repo, parts.model_repo, model_commit, hardware),
            parts.space_repo,
        )
    web_space = None
    if parts.web_space_repo:
        web_space = run(
            "web-space",
            lambda: stages.deploy_web(parts.web_space_repo, parts.model_repo, model_commit),
            parts.web_space_repo,
        )
    run("verify", lambda: stages.verify(api, model_dir, parts.model_repo, model_commit, dataset, space, web_space), "")

    manifest = Manifest(
        version=version,
        dataset=RepoRef(dataset.repo_id, dataset.commit, version),
        model=RepoRef(parts.model_repo, model_commit, version),
        space=RepoRef(space.repo_id, space.commit) if space else None,
        web_space=RepoRef(web_space.repo_id, web_space.commit) if web_space else None,
        base_model=base_model,
        recipe_hash=digest,
        hubtools_version=__version__,
    )
    run("tag", lambda: tags.tag_release(api, tags.commit_manifest(api, manifest)), version)
    shutil.rmtree(work_dir / "previous", ignore_errors=True)
    return ReleaseResult(manifest, changed=True, work_dir=work_dir)


def release_hash(recipe: ReleaseRecipe, parts: stages.Parts) -> str:
    """One hash over the release recipe and the data and train recipes it names (a base's too, when it has one)."""
    combined = {"release": recipe_hash(recipe), "data": recipe_hash(parts.data), "train": recipe_hash(parts.train)}
    if parts.base is not None:
        combined["base"] = recipe_hash(parts.base.recipe)
    return hashlib.sha256(json.dumps(combined, sort_keys=True).encode()).hexdigest()[:16]
