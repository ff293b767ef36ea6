"""Which model revision to serve: releases (semver `v*` tags), branches, and training checkpoints.

A choice is written `REV` (tag, branch or commit) or `REV:SUBFOLDER` for a checkpoint folder saved on the
`checkpoints` branch during training (git refs cannot contain `:`, so the split is unambiguous). Every
Hub failure becomes a `HubtoolsError` whose message can be shown to a Space visitor as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hubtools.errors import HubtoolsError
from hubtools.versions import is_release_tag, release_key

if TYPE_CHECKING:
    from huggingface_hub import HfApi

SHORT_COMMIT = re.compile(r"^[0-9a-f]{4,39}$")  # the start of a commit id, as the status line shows it
FAST_SUBFOLDER = "ct2-int8"
# Files a tokenizer, config and chat template may need; weights are fetched only for the fallback backend.
_SMALL_SUFFIXES = (".json", ".jinja", ".txt", ".model", ".tiktoken")
_WEIGHT_SUFFIXES = (".safetensors",)
_TRAINING_ONLY = {"trainer_state.json", "training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state.pth"}

Kind = Literal["release", "branch", "checkpoint", "commit"]


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the revision picker: `value` is what `resolve_model` takes back."""

    label: str
    value: str
    kind: Kind


@dataclass(frozen=True)
class ResolvedModel:
    """A revision pinned to its commit; `subfolder` is set for checkpoints."""

    repo_id: str
    revision: str
    commit: str
    kind: Kind
    subfolder: str = ""

    @property
    def choice(self) -> str:
        return f"{self.revision}:{self.subfolder}" if self.subfolder else self.revision

    def describe(self) -> str:
        """One line for the UI: which release (or checkpoint) and which commit."""
        what = {
            "release": f"release {self.revision}",
            "branch": f"branch {self.revision}",
            "checkpoint": f"checkpoint {self.subfolder} (branch {self.revision})",
            "commit": f"commit {self.revision}",
        }[self.kind]
        return f"{self.repo_id} · {what} · commit {self.commit[:10]}"


@dataclass(frozen=True)
class ModelFiles:
    """A downloaded model folder; `fast_dir` holds the CTranslate2 weights when the release published them."""

    path: Path
    fast_dir: Path | None
    has_weights: bool


def hub_error(error: Exception, repo_id: str, revision: str | None = None) -> HubtoolsError:
    """Turn a client exception into a message a visitor can act on."""
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(error, RevisionNotFoundError):
        return HubtoolsError(f"Revision '{revision}' does not exist in model repo '{repo_id}'.")
    if isinstance(error, GatedRepoError):
        return HubtoolsError(f"Model repo '{repo_id}' is gated: a token with access is needed.")
    if isinstance(error, RepositoryNotFoundError):
        return HubtoolsError(f"Model repo '{repo_id}' was not found on the Hub (or it is private).")
    if isinstance(error, EntryNotFoundError):
        return HubtoolsError(f"'{revision}' has no such folder in model repo '{repo_id}'.")
    return HubtoolsError(f"Could not reach the Hub for '{repo_id}': {type(error).__name__}: {error}".strip())


def list_releases(repo_id: str, *, api: HfApi) -> list[str]:
    """Release tags (`v1.2.3`), newest first; other tags are ignored."""
    try:
        refs = api.list_repo_refs(repo_id)
    except Exception as error:
        raise hub_error(error, repo_id) from error
    return sorted((t.name for t in refs.tags if is_release_tag(t.name)), key=release_key, reverse=True)


def _natural_key(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def list_checkpoints(repo_id: str, *, api: HfApi, branch: str = "checkpoints") -> list[ModelChoice]:
    """Checkpoint folders (those holding a `config.json`) on the training branch, newest step first.

    A repo without the branch simply has no checkpoints.
    """
    from huggingface_hub.errors import RevisionNotFoundError

    try:
        entries = list(api.list_repo_tree(repo_id, revision=branch, recursive=True))
    except RevisionNotFoundError:
        return []
    except Exception as error:
        raise hub_error(error, repo_id, branch) from error
    folders = {e.path.rsplit("/", 1)[0] for e in entries if e.path.endswith("/config.json")}
    folders = {f for f in folders if not f.endswith(FAST_SUBFOLDER)}
    return [
        ModelChoice(label=f"{folder} · training", value=f"{branch}:{folder}", kind="checkpoint")
        for folder in sorted(folders, key=_natural_key, reverse=True)
    ]


def list_choices(
    repo_id: str, *, api: HfApi, with_checkpoints: bool = False, branch: str = "checkpoints"
) -> list[ModelChoice]:
    """What the revision picker offers: releases (newest first), main, then checkpoints for maintainers."""
    releases = list_releases(repo_id, api=api)
    choices = [
        ModelChoice(label=f"{tag} (newest release)" if i == 0 else tag, value=tag, kind="release")
        for i, tag in enumerate(releases)
    ]
    choices.append(ModelChoice(label="main (latest commit)", value="main", kind="branch"))
    if with_checkpoints:
        choices.extend(list_checkpoints(repo_id, api=api, branch=branch))
    return choices


def _expand_commit(repo_id: str, prefix: str, branches: set[str], *, api: HfApi) -> str:
    """The full id of the one commit on any branch that starts with `prefix` (the Hub wants full ids)."""
    found: set[str] = set()
    try:
        for branch in sorted(branches):
            found |= {
                c.commit_id for c in api.list_repo_commits(repo_id, revision=branch) if c.commit_id.startswith(prefix)
            }
    except Exception as error:
        raise hub_error(error, repo_id, prefix) from error
    if len(found) > 1:
        raise HubtoolsError(f"Commit '{prefix}' is ambiguous in model repo '{repo_id}': type more of its id.")
    if not found:
        raise HubtoolsError(f"Revision '{prefix}' does not exist in model repo '{repo_id}'.")
    return found.pop()


def resolve_model(repo_id: str, revision: str | None = None, *, api: HfApi) -> ResolvedModel:
    """Pin `revision` (default: the newest release, else main) to a commit; `REV:FOLDER` picks a checkpoint."""
    if not repo_id or not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", repo_id):
        raise HubtoolsError(f"'{repo_id}' is not a model repo id (expected 'owner/name').")
    try:
        refs = api.list_repo_refs(repo_id)
    except Exception as error:
        raise hub_error(error, repo_id) from error
    tags = {t.name for t in refs.tags}
    branches = {b.name for b in refs.branches}
    if revision is None:
        releases = sorted((t for t in tags if is_release_tag(t)), key=release_key, reverse=True)
        revision = releases[0] if releases else "main"
    rev, _, subfolder = revision.partition(":")
    rev, subfolder = rev.strip(), subfolder.strip("/")
    if SHORT_COMMIT.match(rev) and rev not in tags | branches:
        rev = _expand_commit(repo_id, rev, branches, api=api)
    try:
        commit = api.model_info(repo_id, revision=rev).sha
    except Exception as error:
        raise hub_error(error, repo_id, rev) from error
    if subfolder:
        try:
            names = [e.path for e in api.list_repo_tree(repo_id, path_in_repo=subfolder, revision=commit)]
        except Exception as error:
            raise hub_error(error, repo_id, revision) from error
        if f"{subfolder}/config.json" not in names:
            raise HubtoolsError(f"'{revision}' in model repo '{repo_id}' is not a saved checkpoint.")
        kind: Kind = "checkpoint"
    else:
        kind = "release" if rev in tags else "branch" if rev in branches else "commit"
    return ResolvedModel(repo_id=repo_id, revision=rev, commit=commit, kind=kind, subfolder=subfolder)


def download_model(resolved: ResolvedModel, *, api: HfApi, weights: bool | None = None) -> ModelFiles:
    """Download what serving needs at the pinned commit.

    With published fast weights (`ct2-int8/`), the fp32 weights are skipped unless `weights=True`;
    without them the fp32 weights are fetched (the fallback, or a local conversion, needs them).
    """
    from huggingface_hub import snapshot_download

    prefix = f"{resolved.subfolder}/" if resolved.subfolder else ""
    try:
        siblings = [s.rfilename for s in api.model_info(resolved.repo_id, revision=resolved.commit).siblings or []]
    except Exception as error:
        raise hub_error(error, resolved.repo_id, resolved.revision) from error
    here = [name for name in siblings if name.startswith(prefix) and "/" not in name[len(prefix) :]]
    fast = [name for name in siblings if name.startswith(f"{prefix}{FAST_SUBFOLDER}/")]
    has_fast = f"{prefix}{FAST_SUBFOLDER}/model.bin" in fast
    want_weights = (not has_fast) if weights is None else weights
    wanted = [
        name
        for name in here
        if name[len(prefix) :] not in _TRAINING_ONLY
        and (name.endswith(_SMALL_SUFFIXES) or (want_weights and name.endswith(_WEIGHT_SUFFIXES)))
    ]
    if f"{prefix}config.json" not in wanted:
        raise HubtoolsError(f"{resolved.describe()} has no config.json: it is not a model folder.")
    try:
        root = snapshot_download(
            resolved.repo_id,
            revision=resolved.commit,
            allow_patterns=wanted + (fast if has_fast else []),
            token=api.token,
            endpoint=api.endpoint,
        )
    except Exception as error:
        raise hub_error(error, resolved.repo_id, resolved.revision) from error
    path = Path(root) / resolved.subfolder if resolved.subfolder else Path(root)
    return ModelFiles(path=path, fast_dir=path / FAST_SUBFOLDER if has_fast else None, has_weights=want_weights)
