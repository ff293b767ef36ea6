"""The data recipe schema: what a `hubtools/recipes/data/*.toml` file may say, checked field by field.

Every table forbids unknown keys, so a typo (`treshold`) is an error that names the field instead of a
silently ignored setting. Relative local paths are resolved against the recipe file's folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from hubtools.recipes import load_recipe, recipe_path

SourceKind = Literal["hh-rlhf", "dolly", "cai-dump", "messages", "chatterbot"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FLOATING_REVISIONS = {"main", "master", "head", "latest"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """One input: a local file/folder (`path`) or a Hub dataset repo (`hub` + `revision`)."""

    name: str = Field(min_length=1, description="name shown in the card and the `source` column")
    kind: SourceKind
    path: str | None = Field(None, description="local file or folder, relative to the recipe file")
    hub: str | None = Field(None, description="Hub dataset repo id, e.g. Anthropic/hh-rlhf")
    revision: str | None = Field(None, description="branch, tag or commit sha of `hub` (required with it)")
    files: list[str] = Field(default_factory=list, description="glob patterns selecting files in the folder/repo")
    sample: int | None = Field(None, gt=0, description="rows drawn (seeded) from what parses; all when unset")
    weight: float = Field(1.0, ge=0, description="multiplies the quality score of this source's rows")

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


class LengthFilter(_Strict):
    enabled: bool = True
    min_turns: int = Field(2, ge=1, description="user + assistant turns, system excluded")
    max_turns: int = Field(64, ge=1)
    min_tokens: int = Field(4, ge=0, description="approximate tokens: characters / 4, rounded up")
    max_tokens: int = Field(4096, ge=1)

    @model_validator(mode="after")
    def _bounds(self) -> LengthFilter:
        if self.min_turns > self.max_turns:
            raise ValueError("min_turns is larger than max_turns")
        if self.min_tokens > self.max_tokens:
            raise ValueError("min_tokens is larger than max_tokens")
        return self


class LanguageFilter(_Strict):
    enabled: bool = True
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)


class RefusalFilter(_Strict):
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


class RepetitionFilter(_Strict):
    enabled: bool = True
    max_repeated_ngrams: float = Field(0.5, ge=0, le=1, description="share of repeated word 3-grams in replies")
    max_duplicate_replies: float = Field(0.34, ge=0, le=1, description="share of replies equal to an earlier one")


class EmptyReplyFilter(_Strict):
    enabled: bool = True
    min_chars: int = Field(2, ge=1, description="a reply shorter than this (stripped) is near-empty")


class Filters(_Strict):
    length: LengthFilter = Field(default_factory=LengthFilter)
    language: LanguageFilter = Field(default_factory=LanguageFilter)
    refusal: RefusalFilter = Field(default_factory=RefusalFilter)
    repetition: RepetitionFilter = Field(default_factory=RepetitionFilter)
    empty_reply: EmptyReplyFilter = Field(default_factory=EmptyReplyFilter)


class Dedup(_Strict):
    exact: bool = True
    near: bool = True
    threshold: float = Field(0.8, gt=0, lt=1, description="Jaccard similarity of word shingles")
    num_perm: int = Field(128, ge=16, le=512)
    shingle_words: int = Field(5, ge=1, le=16)


class Scrub(_Strict):
    enabled: bool = True
    names: list[str] = Field(default_factory=list, description="extra personal names to scrub everywhere")
    free_text_names: bool = Field(
        False,
        description="also scrub third parties' names found in the free text of public sources (cai-dump: always)",
    )


class Selection(_Strict):
    size: int | None = Field(None, gt=0, description="keep the best N rows by score; all when unset")
    turns: float = Field(0.2, ge=0)
    length: float = Field(0.35, ge=0)
    diversity: float = Field(0.3, ge=0)
    repetition: float = Field(0.15, ge=0)


class Splits(_Strict):
    train: float = Field(0.95, gt=0, le=1)
    test: float = Field(0.05, ge=0, lt=1)

    @model_validator(mode="after")
    def _sum(self) -> Splits:
        if abs(self.train + self.test - 1.0) > 1e-9:
            raise ValueError(f"train + test must be 1, got {self.train + self.test:g}")
        return self


class DataRecipe(_Strict):
    """A whole dataset build: sources → cleaning → scrubbing → filters → dedup → selection → splits."""

    name: str = Field(min_length=1)
    description: str = ""
    pretty_name: str | None = None
    repo_id: str | None = Field(None, description="target dataset repo; default `<whoami>/<name>`")
    license: str = "other"
    language: list[str] = Field(default_factory=lambda: ["en"])
    seed: int = 0
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
    loaded = load_recipe(recipe, DataRecipe, "data")
    loaded._base_dir = recipe_path(recipe, "data").resolve().parent
    return loaded
