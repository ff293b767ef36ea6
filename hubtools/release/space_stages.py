"""The release's Spaces (`[[spaces]]` in the recipe): checked before anything is built, each deployed in its own
stage pinned to the new model commit, and read back before anything is tagged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from hubtools.errors import HubtoolsError
from hubtools.release.manifest import SpaceRef

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hubtools.release.recipe import ReleaseRecipe, ReleaseSpace
    from hubtools.release.stages import Parts


def stage_name(space: ReleaseSpace) -> str:
    """A Space's stage, named by its repo as the recipe writes it (so it is known before the token's user is)."""
    return f"space:{space.repo}"


def check_spaces(api: HfApi, recipe: ReleaseRecipe, parts: Parts) -> None:
    """An existing Space of the other kind is refused before anything is built (its deploy would refuse it last)."""
    from hubtools.serve.space_kinds import check_kind

    for index, space in enumerate(parts.spaces):
        try:
            check_kind(api, space.repo, space.kind)
        except HubtoolsError as error:
            where = recipe.source_file or f"release recipe {recipe.name}"
            raise HubtoolsError(f"{where}: spaces[{index}].kind: {error}") from None


def deploy(space: ReleaseSpace, model_repo: str, model_commit: str) -> SpaceRef:
    """Deploy one Space of the recipe, pinned to the model commit just uploaded."""
    if space.kind == "static":
        from hubtools.serve.static_space import deploy_static_space

        deployed = deploy_static_space(space.repo, model_repo, revision=model_commit)
    else:
        from hubtools.serve.deploy import deploy_space

        deployed = deploy_space(space.repo, model_repo, revision=model_commit, hardware=space.hardware)
    return SpaceRef(deployed.repo_id, space.kind, deployed.commit)


def verify(api: HfApi, space: SpaceRef, model_repo: str, model_commit: str) -> None:
    """The Space's commit exists, its README declares its kind, and it serves exactly the released model commit:
    `space-config.json` at that commit for a static Space, the Space variables for a Gradio one."""
    from huggingface_hub import SpaceCard

    from hubtools.serve.static_space import CONFIG_FILE

    where = f"space repo {space.repo_id}@{space.commit[:12]}"
    if not api.revision_exists(space.repo_id, space.commit, repo_type="space"):
        raise HubtoolsError(f"verify: commit {space.commit[:12]} is missing from space repo {space.repo_id}")

    def read(name: str) -> str:
        path = api.hf_hub_download(space.repo_id, name, repo_type="space", revision=space.commit)
        return Path(path).read_text(encoding="utf-8")

    sdk = SpaceCard(read("README.md")).data.sdk
    if sdk != space.kind:
        raise HubtoolsError(f"verify: {where} declares sdk: {sdk}, not {space.kind}")
    if space.kind == "static":
        config = json.loads(read(CONFIG_FILE))
        serves = (config.get("model_repo"), config.get("revision"))
    else:
        variables = api.get_space_variables(space.repo_id)
        serves = tuple(getattr(variables.get(key), "value", None) for key in ("MODEL_REPO", "MODEL_REVISION"))
    if serves != (model_repo, model_commit):
        raise HubtoolsError(f"verify: {where} serves {serves[0]}@{serves[1]}, not {model_repo}@{model_commit[:12]}")
