"""A release recipe names the data and train recipes a release is made of and where each part is published."""

from __future__ import annotations

from pathlib import Path

from pydantic import ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from hubtools.errors import HubtoolsError
from hubtools.evaluation.config import EvalConfig
from hubtools.recipes import load_recipe, recipe_path
from hubtools.recipes.fields import RecipeModel, RecipeName, Text, field_error

_REPO_ID_HELP = "'name' (published under the token's user) or 'namespace/name'"


class ReleaseRepos(RecipeModel):
    model_config = ConfigDict(frozen=True)

    dataset: str = Field(description=f"dataset repo: {_REPO_ID_HELP}")
    model: str = Field(description=f"model repo: {_REPO_ID_HELP}")
    space: str | None = Field(None, description=f"Space repo: {_REPO_ID_HELP}; no Space when left out")

    @field_validator("dataset", "model", "space")
    @classmethod
    def _repo_id_shape(cls, value: str | None) -> str | None:
        if value is not None and (value.count("/") > 1 or not all(value.split("/"))):
            raise ValueError(f"expected {_REPO_ID_HELP}, got {value!r}")
        return value


class ReleaseRecipe(RecipeModel):
    """`hubtools release RECIPE`: dataset build + push → train → eval → cards → model push → Space."""

    model_config = ConfigDict(frozen=True)

    name: RecipeName
    description: str = ""
    data: Text = Field(description="data recipe (shipped name or path) that builds the training dataset")
    train: Text = Field(description="train recipe (shipped name or path); its dataset is replaced by the release's")
    repos: ReleaseRepos
    eval: EvalConfig = Field(default_factory=EvalConfig)
    serving: bool = Field(True, description="also publish an int8 CTranslate2 copy for fast CPU chat")
    _source_dir: Path | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _parts_exist(self, info: ValidationInfo) -> ReleaseRecipe:
        """Read from a file, the data and train recipes it names must be found (relative to that file)."""
        recipe_dir = (info.context or {}).get("recipe_dir")
        if recipe_dir is None:
            return self
        self._source_dir = Path(recipe_dir)
        for field in ("data", "train"):
            try:
                recipe_path(self.part(getattr(self, field)), field)
            except HubtoolsError as error:
                raise field_error(field, str(error)) from None
        return self

    @property
    def source_dir(self) -> Path | None:
        """The folder of the recipe file, against which relative `.toml` paths in it are read."""
        return self._source_dir

    def part(self, name: str) -> str | Path:
        """A part's recipe as given (a shipped name), or a relative `.toml` path read beside this recipe's file."""
        if name.endswith(".toml") and self._source_dir is not None and not Path(name).is_absolute():
            return self._source_dir / name
        return name


def load_release_recipe(recipe: str | Path) -> ReleaseRecipe:
    return load_recipe(recipe, ReleaseRecipe, "release")


def qualify(repo_id: str, user: str) -> str:
    """Put a bare repo name under the token's user, as the Hub would."""
    return repo_id if "/" in repo_id else f"{user}/{repo_id}"
