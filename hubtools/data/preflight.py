"""A data recipe's sources checked without building: local files exist and parse as their kind, Hub files exist.

`release --dry-run` runs this so a source that reads as nothing (a CharacterAI dump declared as hh-rlhf, a
folder with no matching files, a Hub revision that is gone) is found before anything is built or pushed.
Hub sources are listed, not downloaded: their files are parsed when the dataset is built.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from hubtools.data.recipe import DataRecipe, Source
from hubtools.data.sources import SUFFIXES, collect_files, parse_file
from hubtools.errors import HubtoolsError


@dataclass(frozen=True)
class SourceCheck:
    """What one source gave: files found, rows parsed and lines rejected (`rows` is None when not parsed)."""

    index: int
    name: str
    kind: str
    origin: str
    files: int
    rows: int | None = None
    rejected: int = 0
    problem: str | None = None

    @property
    def summary(self) -> str:
        found = f"{self.name} ({self.kind}): {self.files} file{'s' if self.files != 1 else ''}"
        if self.rows is None:
            return f"{found} found (parsed when built)"
        return f"{found}, {self.rows} rows, {self.rejected} lines rejected"


def check_sources(recipe: DataRecipe) -> list[SourceCheck]:
    """Every source's check, in recipe order; `problem` says why a source would give the build nothing."""
    return [_check(recipe, index, source) for index, source in enumerate(recipe.sources)]


def _check(recipe: DataRecipe, index: int, source: Source) -> SourceCheck:
    if source.hub is not None:
        return _check_hub(index, source)
    if source.path is None:  # chatterbot without a path: the installed corpus
        from hubtools.data.sources.chatterbot import corpus_dir

        folder, origin = corpus_dir(), "chatterbot-corpus"
    else:
        folder = recipe.local_path(source)
        origin = str(folder.resolve())
    try:
        files = collect_files(folder, source.kind, source.files)
    except HubtoolsError as error:
        return SourceCheck(index, source.name, source.kind, origin, 0, problem=f"sources[{index}].path: {error}")
    rows = rejected = 0
    first_reject = None
    for path, display in files:
        try:
            parsed = parse_file(source.kind, path, source=source.name, display=display)
        except (HubtoolsError, OSError, ValueError, RecursionError) as error:
            problem = f"sources[{index}] ({source.name}): cannot read {path}: {type(error).__name__}: {error}"
            return SourceCheck(index, source.name, source.kind, origin, len(files), problem=problem)
        rows += len(parsed.rows)
        rejected += len(parsed.rejects)
        first_reject = first_reject or (parsed.rejects[0] if parsed.rejects else None)
    problem = None
    if rows < source.min_rows:
        first = f" (first: {first_reject})" if first_reject else ""
        problem = (
            f"sources[{index}] ({source.name}): {origin} parses as {rows} {source.kind} conversation(s), "
            f"fewer than min_rows = {source.min_rows}; {rejected} lines rejected{first}"
        )
    return SourceCheck(index, source.name, source.kind, origin, len(files), rows, rejected, problem)


def _check_hub(index: int, source: Source) -> SourceCheck:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    origin = f"{source.hub}@{source.revision}"
    try:
        names = HfApi().list_repo_files(source.hub, repo_type="dataset", revision=source.revision)
    except RevisionNotFoundError:
        problem = f"sources[{index}].revision: {source.revision!r} not found in dataset {source.hub}"
        return SourceCheck(index, source.name, source.kind, origin, 0, problem=problem)
    except RepositoryNotFoundError:
        problem = f"sources[{index}].hub: dataset repo {source.hub} not found (or no access)"
        return SourceCheck(index, source.name, source.kind, origin, 0, problem=problem)
    except (HfHubHTTPError, OSError) as error:
        problem = f"sources[{index}].hub: cannot list {origin}: {type(error).__name__}"
        return SourceCheck(index, source.name, source.kind, origin, 0, problem=problem)
    if source.files:
        matched = [name for name in names if any(fnmatch.fnmatch(name, pattern) for pattern in source.files)]
    else:
        matched = [name for name in names if name.endswith(SUFFIXES[source.kind])]
    problem = None
    if not matched:
        wanted = ", ".join(source.files) if source.files else "*" + ", *".join(SUFFIXES[source.kind])
        problem = f"sources[{index}].files: no {source.kind} files ({wanted}) in dataset {origin}"
    return SourceCheck(index, source.name, source.kind, origin, len(matched), problem=problem)


def problems_line(recipe_file: Path | str, checks: list[SourceCheck]) -> str | None:
    """The one-line error for the failed checks (naming the recipe file), or None when every source is usable."""
    problems = [check.problem for check in checks if check.problem]
    return (f"{recipe_file}: " + "; ".join(problems)).replace("\n", " ") if problems else None
