"""A release recipe names the data and train recipes a release is made of and where each part is published."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hubtools.errors import HubtoolsError
from hubtools.evaluation.config import EvalConfig
from hubtools.recipes import load_recipe, recipe_path
from hubtools.recipes.fields import RecipeModel, RecipeName, Text, field_error
from hubtools.release.manifest import SpaceKind

if TYPE_CHECKING:
    from hubtools.data.recipe import DataRecipe
    from hubtools.train.recipe import TrainRecipe

# A Hub namespace or repo name: letters, digits, '-', '_', '.'; not starting with '-' or '.', at most 96.
_REPO_PART = re.compile(r"[A-Za-z0-9_][\w.-]{0,95}")
_REPO_ID_HELP = "'name' (published under the token's user) or 'namespace/name'"


def _repo_id_shape(value: str) -> str:
    parts = value.split("/")
    if len(parts) > 2 or not all(_REPO_PART.fullmatch(part) and ".." not in part for part in parts):
        raise ValueError(f"expected {_REPO_ID_HELP}, got {value!r}")
    return value


RepoId = Annotated[str, AfterValidator(_repo_id_shape)]


class ReleaseRepos(RecipeModel):
    model_config = ConfigDict(frozen=True)

    dataset: RepoId = Field(description=f"dataset repo: {_REPO_ID_HELP}")
    model: RepoId = Field(description=f"model repo: {_REPO_ID_HELP}")
    base_model: RepoId | None = Field(None, description=f"with `base`: the base model's repo, {_REPO_ID_HELP}")

    @model_validator(mode="before")
    @classmethod
    def _spaces_moved(cls, data: Any) -> Any:
        """Earlier recipes named one Space of each kind here (`space`, `web_space`, `space_hardware`); a recipe now
        lists its Spaces in top-level `[[spaces]]` tables. Say exactly what to write instead."""
        if not isinstance(data, dict):
            return data
        if "spaces" in data:
            raise field_error("spaces", "Spaces are listed in top-level [[spaces]] tables, not under [repos]")
        old = [key for key in ("space", "web_space", "space_hardware") if key in data]
        if not old:
            return data
        tables = []
        if "space" in data or "space_hardware" in data:
            gradio = f'repo = {_quoted(data.get("space", "..."))}, kind = "gradio"'
            hardware = f", hardware = {_quoted(data['space_hardware'])}" if "space_hardware" in data else ""
            tables.append(f"[[spaces]] with {gradio}{hardware}")
        if "web_space" in data:
            tables.append(f'[[spaces]] with repo = {_quoted(data["web_space"])} (kind "static" is the default)')
        also = f", as are {', '.join(f'repos.{key}' for key in old[1:])}" if old[1:] else ""
        raise field_error(
            old[0],
            f"replaced by [[spaces]] tables (top level, one per Space){also}; instead write: {'; '.join(tables)}",
        )


def _quoted(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


class ReleaseSpace(RecipeModel):
    """One Space the release deploys, pinned to the new model commit, and tags."""

    model_config = ConfigDict(frozen=True)

    repo: RepoId = Field(description=f"Space repo: {_REPO_ID_HELP}")
    kind: SpaceKind = Field(
        "static",
        description="static: the chat page, the model running in the visitor's browser (free for every account "
        "on huggingface.co); gradio: the Python chat app, on the Space's hardware (a paid plan there, or ZeroGPU)",
    )
    hardware: str | None = Field(
        None, description="gradio only: Space hardware to request, e.g. 'zero-a10g' (ZeroGPU); default: what it has"
    )

    @field_validator("hardware")
    @classmethod
    def _known_hardware(cls, value: str | None) -> str | None:
        from hubtools.serve.deploy import check_hardware

        try:
            return check_hardware(value)
        except HubtoolsError as error:
            raise ValueError(str(error).removeprefix("hardware: ")) from None

    @model_validator(mode="after")
    def _hardware_is_gradio(self) -> ReleaseSpace:
        if self.hardware is not None and self.kind == "static":
            raise field_error(
                "hardware",
                'a static Space runs in the visitor\'s browser and has no hardware: set kind = "gradio" or '
                "leave hardware out",
            )
        return self


def duplicate(repo_ids: list[str]) -> tuple[int, int] | None:
    """The first (earlier, later) indexes naming the same repo (the Hub matches ids case-insensitively)."""
    seen: dict[str, int] = {}
    for index, repo_id in enumerate(repo_ids):
        if repo_id.casefold() in seen:
            return seen[repo_id.casefold()], index
        seen[repo_id.casefold()] = index
    return None


class ReleaseRecipe(RecipeModel):
    """`hubtools release RECIPE`: dataset build + push → train → eval → cards → model push → Space."""

    model_config = ConfigDict(frozen=True)

    name: RecipeName
    description: str = ""
    data: Text = Field(description="data recipe (shipped name or path) that builds the training dataset")
    train: Text = Field(description="train recipe (shipped name or path); its dataset is replaced by the release's")
    preference: Text | None = Field(
        None,
        description="a `method = 'dpo'` train recipe run on top of the SFT model, on the `preferences` config of "
        "the release's dataset; its model is the one released (see hubtools.release.preference)",
    )
    base: Text | None = Field(
        None,
        description="train recipe (method = 'pretrain') of a base model, trained on the release's dataset and "
        "published to repos.base_model first (reused while unchanged); the fine-tune's base_model is replaced by it",
    )
    repos: ReleaseRepos
    spaces: list[ReleaseSpace] = Field(
        default_factory=list, description="[[spaces]] tables: the chat Spaces to deploy, in order (none: no Space)"
    )
    eval: EvalConfig = Field(default_factory=EvalConfig)
    serving: bool = Field(True, description="also publish an int8 CTranslate2 copy for fast CPU chat")
    web: bool = Field(True, description="also publish onnx/ (fp32 + q8) for the in-browser chat (transformers.js)")
    _source_file: Path | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _spaces_distinct(self) -> ReleaseRecipe:
        twice = duplicate([space.repo for space in self.spaces])
        if twice is not None:
            first, again = twice
            raise field_error(f"spaces[{again}].repo", f"{self.spaces[again].repo!r} is spaces[{first}] already")
        return self

    @model_validator(mode="after")
    def _parts_exist(self, info: ValidationInfo) -> ReleaseRecipe:
        """Read from a file, the data and train recipes it names must be found (relative to that file)."""
        if (self.base is None) != (self.repos.base_model is None):
            given, missing = ("base", "repos.base_model") if self.base else ("repos.base_model", "base")
            raise field_error(missing, f"needed with {given}: the base model's train recipe and its repo go together")
        recipe_file = (info.context or {}).get("recipe_file")
        if recipe_file is None:
            return self
        self._source_file = Path(recipe_file)
        for field, kind in (("data", "data"), ("train", "train"), ("preference", "train"), ("base", "train")):
            if getattr(self, field) is None:
                continue
            try:
                recipe_path(self.part(getattr(self, field)), kind)
            except HubtoolsError as error:
                raise field_error(field, str(error)) from None
        return self

    @property
    def source_file(self) -> Path | None:
        """The recipe file this was read from (None when built in code)."""
        return self._source_file

    @property
    def source_dir(self) -> Path | None:
        """The folder of the recipe file, against which relative `.toml` paths in it are read."""
        return self._source_file.resolve().parent if self._source_file is not None else None

    def part(self, name: str) -> str | Path:
        """A part's recipe as given (a shipped name), or a relative `.toml` path read beside this recipe's file."""
        if name.endswith(".toml") and self.source_dir is not None and not Path(name).is_absolute():
            return self.source_dir / name
        return name


def check_parts(recipe: ReleaseRecipe, data: DataRecipe, train: TrainRecipe, *, part: str = "train") -> None:
    """The data recipe builds `train` and `test` (empty when `splits.test` is 0): the splits the training and the
    evaluation read must be among them, or the release would fail after training. `part` names the train recipe
    checked: the fine-tune's (`train`) or the base model's (`base`)."""
    built = ["train", "test"] if data.splits.test > 0 else ["train"]
    release_file = recipe.source_file or f"release recipe {recipe.name}"
    train_file = recipe_path(recipe.part(getattr(recipe, part)), "train")
    for where, field, split in (
        (release_file, "eval.split", recipe.eval.split if part == "train" else None),
        (train_file, "dataset.train_split", train.dataset.train_split),
        (train_file, "dataset.eval_split", train.dataset.eval_split),
    ):
        if split is not None and split not in built:
            has = " (its splits.test is 0)" if split == "test" else ""
            raise HubtoolsError(
                f"{where}: {field}: data recipe {data.name!r} builds no {split!r} split{has}; "
                f"it builds: {', '.join(built)}"
            )


def load_release_recipe(recipe: str | Path) -> ReleaseRecipe:
    return load_recipe(recipe, ReleaseRecipe, "release")


def qualify(repo_id: str, user: str) -> str:
    """Put a bare repo name under the token's user, as the Hub would."""
    return repo_id if "/" in repo_id else f"{user}/{repo_id}"
