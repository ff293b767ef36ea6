"""Where a source's files come from: a local file or folder, the installed chatterbot corpus, or a Hub
dataset repo at a pinned revision (downloaded with `snapshot_download`, its commit recorded for the card).

Hub access needs the Hub target set first (`hubtools.hub.target.hub_target`); local sources import nothing
from Hugging Face.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from hubtools.data.recipe import DataRecipe, Source
from hubtools.data.sources import ParseResult, collect_files, parse_file
from hubtools.errors import HubtoolsError


@dataclass(frozen=True)
class Inputs:
    """A source's files (path, display name), where they came from and at which version."""

    files: list[tuple[Path, str]]
    origin: str  # the Hub repo id, the path as the recipe wrote it, or the package name
    revision: str  # the revision asked for ("local" for files on disk)
    commit: str  # the Hub commit sha, or a digest of the local files' bytes


def resolve_inputs(recipe: DataRecipe, source: Source) -> Inputs:
    if source.hub is not None:
        return _hub_inputs(source)
    if source.path is None:  # chatterbot without a path: the installed corpus
        from hubtools.data.sources.chatterbot import corpus_dir

        files = collect_files(corpus_dir(), source.kind, source.files)
        return Inputs(files, "chatterbot-corpus", _package_version("chatterbot-corpus"), _digest(files))
    path = recipe.local_path(source)
    files = collect_files(path, source.kind, source.files)
    return Inputs(files, source.path, "local", _digest(files))


def read_source(recipe: DataRecipe, source: Source) -> tuple[Inputs, ParseResult]:
    """Resolve and parse one source; fewer rows than its `min_rows` (a file of another kind, say) is an error
    that counts the rejected lines and shows the first, instead of a build silently made of the others."""
    inputs = resolve_inputs(recipe, source)
    if source.kind == "space-feedback":  # votes and the conversations they rate are joined across files
        from hubtools.data.sources.space_feedback import parse_files

        parsed = parse_files(inputs.files, source=source.name)
    else:
        parsed = ParseResult()
        for path, display in inputs.files:
            parsed.extend(parse_file(source.kind, path, source=source.name, display=display))
    if len(parsed.rows) < source.min_rows:
        index = recipe.sources.index(source)
        first = f"; first: {parsed.rejects[0]}" if parsed.rejects else ""
        raise HubtoolsError(
            f"recipe {recipe.name}: sources[{index}] ({source.name!r}, {inputs.origin}): {len(parsed.rows)} row(s) "
            f"parse as {source.kind} from {len(inputs.files)} file(s), fewer than min_rows = {source.min_rows}; "
            f"{len(parsed.rejects)} line(s) rejected{first}"
        )
    return inputs, parsed


def _digest(files: list[tuple[Path, str]]) -> str:
    """Content digest of local files (names and bytes), so the card tells which version was read."""
    digest = hashlib.sha256()
    for path, display in files:
        content = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    content.update(chunk)
        except OSError as error:
            raise HubtoolsError(f"cannot read source file {path}: {error.strerror or error}") from None
        digest.update(display.encode("utf-8", "replace") + b"\0" + content.digest())
    return "sha256:" + digest.hexdigest()[:16]


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _hub_inputs(source: Source) -> Inputs:
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    assert source.hub is not None and source.revision is not None
    api = HfApi()
    try:
        commit = api.dataset_info(source.hub, revision=source.revision).sha
        folder = snapshot_download(
            source.hub, repo_type="dataset", revision=commit, allow_patterns=source.files or None
        )
    except RevisionNotFoundError:
        raise HubtoolsError(
            f"source {source.name!r}: revision {source.revision!r} not found in dataset {source.hub}"
        ) from None
    except RepositoryNotFoundError:
        raise HubtoolsError(f"source {source.name!r}: dataset repo {source.hub} not found (or no access)") from None
    except HfHubHTTPError as error:
        raise HubtoolsError(f"source {source.name!r}: cannot download {source.hub}: {error}") from None
    except Exception as error:  # noqa: BLE001 - network failures come as the HTTP client's own types
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        raise HubtoolsError(
            f"source {source.name!r}: cannot reach the Hub at {endpoint} ({type(error).__name__}: {error})"
        ) from None
    files = collect_files(Path(folder), source.kind, source.files)
    return Inputs(files, source.hub, source.revision, commit or source.revision)
