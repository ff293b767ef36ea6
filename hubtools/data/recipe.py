"""The data recipe schema: what a `hubtools/recipes/data/*.toml` file may say, checked field by field.

Every table forbids unknown keys, so a typo (`treshold`) is an error that names the field instead of a
silently ignored setting. Relative local paths are resolved against the recipe file's folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from hubtools.recipes import load_recipe
from hubtools.recipes.fields import (
    Fraction,
    Int,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    Probability,
    RecipeModel,
    RecipeName,
    Seed,
    Text,
    field_error,
)

SourceKind = Literal["hh-rlhf", "dolly", "cai-dump", "messages", "chatterbot", "space-feedback"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FLOATING_REVISIONS = {"main", "master", "head", "latest"}


class Source(RecipeModel):
    """One input: a local file/folder (`path`) or a Hub dataset repo (`hub` + `revision`)."""

    name: Text = Field(description="name shown in the card and the `source` column")
    kind: SourceKind
    path: Text | None = Field(None, description="local file or folder, relative to the recipe file")
    hub: Text | None = Field(None, description="Hub dataset repo id, e.g. Anthropic/hh-rlhf")
    revision: Text | None = Field(None, description="branch, tag or commit sha of `hub` (required with it)")
    files: list[Text] = Field(default_factory=list, description="glob patterns selecting files in the folder/repo")
    sample: PositiveInt | None = Field(None, description="rows drawn (seeded) from what parses; all when unset")
    weight: NonNegativeFloat = Field(1.0, description="multiplies the quality score of this source's rows")
    # A gate, not a setting of the data: left out of dumps, so it never changes the recipe hash.
    min_rows: NonNegativeInt = Field(1, exclude=True, description="fewer rows parsed than this fails the build")

    @field_validator("hub")
    @classmethod
    def _repo_id(cls, value: str | None) -> str | None:
        if value is not None and not _REPO_ID.match(value):
            raise ValueError(f"expected a repo id like 'owner/name', got {value!r}")
        return value

    @model_validator(mode="after")
    def _one_origin(self) -> Source:
        if self.path is not None and self.hub is not None:
            raise ValueError("give either `path` or `hub`, not both")
        if self.path is None and self.hub is None and self.kind != "chatterbot":
            raise ValueError("give `path` (a local file or folder) or `hub` (a dataset repo id)")
        if self.hub is not None and not self.revision:
            raise ValueError("a Hub source needs `revision` (a tag or commit sha, so the build is reproducible)")
        if self.hub is None and self.revision is not None:
            raise ValueError("`revision` only applies to a Hub source (`hub`)")
        return self

    @property
    def pinned(self) -> bool:
        """A Hub revision that cannot move under us by name alone (a tag or a sha, not a branch name)."""
        return self.revision is not None and self.revision.lower() not in _FLOATING_REVISIONS


class LengthFilter(RecipeModel):
    enabled: bool = True
    min_turns: PositiveInt = Field(2, description="user + assistant turns, system excluded")
    max_turns: PositiveInt = 64
    min_tokens: NonNegativeInt = Field(4, description="approximate tokens: characters / 4, rounded up")
    max_tokens: PositiveInt = 4096

    @model_validator(mode="after")
    def _bounds(self) -> LengthFilter:
        if self.min_turns > self.max_turns:
            raise field_error("min_turns", f"{self.min_turns} is larger than max_turns {self.max_turns}")
        if self.min_tokens > self.max_tokens:
            raise field_error("min_tokens", f"{self.min_tokens} is larger than max_tokens {self.max_tokens}")
        return self


class LanguageFilter(RecipeModel):
    enabled: bool = True
    languages: list[Text] = Field(default_factory=lambda: ["en"], min_length=1)


class RefusalFilter(RecipeModel):
    enabled: bool = True
    use_defaults: bool = Field(True, description="include the built-in refusal/boilerplate patterns")
    patterns: list[str] = Field(default_factory=list, description="extra case-insensitive regexes")

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"invalid regex {pattern!r}: {error}") from None
        return patterns


class RepetitionFilter(RecipeModel):
    enabled: bool = True
    max_repeated_ngrams: Probability = Field(0.5, description="share of repeated word 3-grams in replies")
    max_duplicate_replies: Probability = Field(0.34, description="share of replies equal to an earlier one")


class EmptyReplyFilter(RecipeModel):
    enabled: bool = True
    min_chars: PositiveInt = Field(2, description="a reply shorter than this (stripped) is near-empty")


class Filters(RecipeModel):
    length: LengthFilter = Field(default_factory=LengthFilter)
    language: LanguageFilter = Field(default_factory=LanguageFilter)
    refusal: RefusalFilter = Field(default_factory=RefusalFilter)
    repetition: RepetitionFilter = Field(default_factory=RepetitionFilter)
    empty_reply: EmptyReplyFilter = Field(default_factory=EmptyReplyFilter)


class Dedup(RecipeModel):
    exact: bool = True
    near: bool = True
    threshold: Fraction = Field(0.8, gt=0, description="Jaccard similarity of word shingles")
    num_perm: Int = Field(128, ge=16, le=512)
    shingle_words: Int = Field(5, ge=1, le=16)


class Scrub(RecipeModel):
    enabled: bool = True
    names: list[Text] = Field(default_factory=list, description="extra personal names to scrub everywhere")
    free_text_names: bool = Field(
        False,
        description="also scrub third parties' names found in the free text of public sources (cai-dump: always)",
    )


class Selection(RecipeModel):
    size: PositiveInt | None = Field(None, description="keep the best N rows by score; all when unset")
    turns: NonNegativeFloat = 0.2
    length: NonNegativeFloat = 0.35
    diversity: NonNegativeFloat = 0.3
    repetition: NonNegativeFloat = 0.15


class Splits(RecipeModel):
    train: Probability = Field(0.95, gt=0)
    test: Fraction = 0.05

    @model_validator(mode="after")
    def _sum(self) -> Splits:
        if abs(self.train + self.test - 1.0) > 1e-9:
            raise field_error("test", f"train + test must be 1, got {self.train:g} + {self.test:g}")
        return self


class DataRecipe(RecipeModel):
    """A whole dataset build: sources → cleaning → scrubbing → filters → dedup → selection → splits."""

    name: RecipeName
    description: str = ""
    pretty_name: str | None = None
    repo_id: str | None = Field(None, description="target dataset repo; default `<whoami>/<name>`")
    license: str = "other"
    language: list[Text] = Field(default_factory=lambda: ["en"])
    seed: Seed = 0
    sources: list[Source] = Field(min_length=1)
    filters: Filters = Field(default_factory=Filters)
    dedup: Dedup = Field(default_factory=Dedup)
    scrub: Scrub = Field(default_factory=Scrub)
    selection: Selection = Field(default_factory=Selection)
    splits: Splits = Field(default_factory=Splits)
    # Where the recipe file lives, for relative paths; not part of the recipe's content (or its hash).
    _base_dir: Path | None = PrivateAttr(None)

    @field_validator("repo_id")
    @classmethod
    def _repo_id(cls, value: str | None) -> str | None:
        if value is not None and not _REPO_ID.match(value):
            raise ValueError(f"expected a repo id like 'owner/name', got {value!r}")
        return value

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[Source]) -> list[Source]:
        names = [source.name for source in sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique, repeated: {', '.join(duplicates)}")
        return sources

    @model_validator(mode="after")
    def _local_paths_exist(self, info: ValidationInfo) -> DataRecipe:
        """Read from a file, local sources are checked where the file says they are."""
        recipe_dir = (info.context or {}).get("recipe_dir")
        if recipe_dir is None:
            return self
        self._base_dir = Path(recipe_dir)
        for index, source in enumerate(self.sources):
            if source.path is not None and not self.local_path(source).exists():
                raise field_error(f"sources[{index}].path", f"no such file or folder: {self.local_path(source)}")
        return self

    def local_path(self, source: Source) -> Path:
        """A local source's path, resolved against the recipe file's folder."""
        assert source.path is not None
        path = Path(source.path).expanduser()
        if not path.is_absolute() and self._base_dir is not None:
            path = self._base_dir / path
        return path


def load_data_recipe(recipe: str | Path | DataRecipe) -> DataRecipe:
    """A shipped recipe name, a `.toml` path, or an already loaded recipe → a validated `DataRecipe`."""
    if isinstance(recipe, DataRecipe):
        return recipe
    return load_recipe(recipe, DataRecipe, "data")
