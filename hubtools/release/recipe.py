"""A release recipe names the data and train recipes a release is made of and where each part is published."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from hubtools.errors import HubtoolsError
from hubtools.evaluation.config import EvalConfig
from hubtools.recipes import load_recipe, recipe_path
from hubtools.recipes.fields import RecipeModel, RecipeName, Text, field_error

if TYPE_CHECKING:
    from hubtools.data.recipe import DataRecipe
    from hubtools.train.recipe import TrainRecipe

# A Hub namespace or repo name: letters, digits, '-', '_', '.'; not starting with '-' or '.', at most 96.
_REPO_PART = re.compile(r"[A-Za-z0-9_][\w.-]{0,95}")
_REPO_ID_HELP = "'name' (published under the token's user) or 'namespace/name'"


class ReleaseRepos(RecipeModel):
    model_config = ConfigDict(frozen=True)

    dataset: str = Field(description=f"dataset repo: {_REPO_ID_HELP}")
    model: str = Field(description=f"model repo: {_REPO_ID_HELP}")
    space: str | None = Field(None, description=f"Gradio chat Space repo: {_REPO_ID_HELP}; none when left out")
    web_space: str | None = Field(
        None,
        description=f"static chat Space repo, the model running in the visitor's browser (free on huggingface.co): "
        f"{_REPO_ID_HELP}; none when left out",
    )
    space_hardware: str | None = Field(
        None, description="Space hardware to request, e.g. 'zero-a10g' (ZeroGPU); default: what the Space has"
    )
    base_model: str | None = Field(None, description=f"with `base`: the base model's repo, {_REPO_ID_HELP}")

    @field_validator("space_hardware")
    @classmethod
    def _known_hardware(cls, value: str | None) -> str | None:
        from hubtools.errors import HubtoolsError
        from hubtools.serve.deploy import check_hardware

        try:
            return check_hardware(value)
        except HubtoolsError as error:
            raise ValueError(str(error).removeprefix("hardware: ")) from None

    @field_validator("dataset", "model", "space", "web_space", "base_model")
    @classmethod
    def _repo_id_shape(cls, value: str | None) -> str | None:
        parts = value.split("/") if value is not None else []
        if len(parts) > 2 or not all(_REPO_PART.fullmatch(part) and ".." not in part for part in parts):
            raise ValueError(f"expected {_REPO_ID_HELP}, got {value!r}")
        return value


class ReleaseRecipe(RecipeModel):
    """`hubtools release RECIPE`: dataset build + push → train → eval → cards → model push → Space."""

    model_config = ConfigDict(frozen=True)

    name: RecipeName
    description: str = ""
    data: Text = Field(description="data recipe (shipped name or path) that builds the training dataset")
    train: Text = Field(description="train recipe (shipped name or path); its dataset is replaced by the release's")
    base: Text | None = Field(
        None,
        description="train recipe (method = 'pretrain') of a base model, trained on the release's dataset and "
        "published to repos.base_model first (reused while unchanged); the fine-tune's base_model is replaced by it",
    )
    repos: ReleaseRepos
    eval: EvalConfig = Field(default_factory=EvalConfig)
    serving: bool = Field(True, description="also publish an int8 CTranslate2 copy for fast CPU chat")
    web: bool = Field(True, description="also publish onnx/ (fp32 + q8) for the in-browser chat (transformers.js)")
    _source_file: Path | None = PrivateAttr(None)

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
        for field in ("data", "train", "base") if self.base else ("data", "train"):
            try:
                recipe_path(self.part(getattr(self, field)), "data" if field == "data" else "train")
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
