"""A release recipe names the data and train recipes a release is made of and where each part is published."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from hubtools.evaluation.config import EvalConfig
from hubtools.recipes import load_recipe, recipe_path

_REPO_ID_HELP = "'name' (published under the token's user) or 'namespace/name'"


class ReleaseRepos(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = Field(description=f"dataset repo: {_REPO_ID_HELP}")
    model: str = Field(description=f"model repo: {_REPO_ID_HELP}")
    space: str | None = Field(None, description=f"Gradio chat Space repo: {_REPO_ID_HELP}; none when left out")
    web_space: str | None = Field(
        None,
        description=f"static chat Space repo, the model running in the visitor's browser (free on huggingface.co): "
        f"{_REPO_ID_HELP}; none when left out",
    )

    @field_validator("dataset", "model", "space", "web_space")
    @classmethod
    def _repo_id_shape(cls, value: str | None) -> str | None:
        if value is not None and (value.count("/") > 1 or not all(value.split("/"))):
            raise ValueError(f"expected {_REPO_ID_HELP}, got {value!r}")
        return value


class ReleaseRecipe(BaseModel):
    """`hubtools release RECIPE`: dataset build + push → train → eval → cards → model push → Space."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    data: str = Field(description="data recipe (shipped name or path) that builds the training dataset")
    train: str = Field(description="train recipe (shipped name or path); its dataset is replaced by the release's")
    repos: ReleaseRepos
    eval: EvalConfig = Field(default_factory=EvalConfig)
    serving: bool = Field(True, description="also publish an int8 CTranslate2 copy for fast CPU chat")
    web: bool = Field(True, description="also publish onnx/ (fp32 + q8) for the in-browser chat (transformers.js)")
    _source_dir: Path | None = PrivateAttr(None)

    @property
    def source_dir(self) -> Path | None:
        """The folder of the recipe file, against which relative `.toml` paths in it are read."""
        return self._source_dir


def load_release_recipe(recipe: str | Path) -> ReleaseRecipe:
    loaded = load_recipe(recipe, ReleaseRecipe, "release")
    loaded._source_dir = recipe_path(recipe, "release").resolve().parent
    return loaded


def qualify(repo_id: str, user: str) -> str:
    """Put a bare repo name under the token's user, as the Hub would."""
    return repo_id if "/" in repo_id else f"{user}/{repo_id}"
