"""`deploy_space`: create or update the chat Space on a Hub, idempotently.

The Space gets the app files (`spaces/chat/`), the slice of this library the app imports (so the Space runs
exactly the code that was tested, without hubtools on PyPI), a README whose SpaceCard metadata names the model
and its datasets, and the Space variables `MODEL_REPO` / `MODEL_REVISION` through the variables API (on
huggingface.co the Space then restarts). The embedded Hub runs no Spaces, so there they are also committed as
`space_variables.json`, which the app reads when run from a copy of the Space repo. Files are compared by git
blob id first, so pushing identical content makes no commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubtools.errors import HubtoolsError
from hubtools.paths import SPACE_VARIABLES_FILE
from hubtools.serve.resolve import hub_error, resolve_model

if TYPE_CHECKING:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# spaces/chat, reached through a symlink so that wheels carry it too (as hubtools/cards/templates does).
DEFAULT_APP_DIR = PACKAGE_ROOT / "serve" / "space_app"
APP_FILES = ("app.py", "requirements.txt", "README.md")
# ZeroGPU: the entry point shipped as app.py in front of the chat app (as chat_app.py), and what the Space
# must pin (hub-docs spaces-zerogpu: torch 2.8.0, 2.9.1, 2.10.0 or 2.11.0; Python 3.10.13 or 3.12.12).
ZEROGPU_APP = "zerogpu_app.py"
ZEROGPU_CHAT_APP = "chat_app.py"
ZEROGPU_TORCH = "2.9.1"
ZEROGPU_PYTHON = "3.12.12"
# The parts of hubtools the app imports (chat, and the contribute tab's parser and scrubber); nothing else ships.
LIBRARY_FILES = (
    "__init__.py",
    "py.typed",
    "errors.py",
    "paths.py",
    "versions.py",
    "_validation.py",
    "hub/__init__.py",
    "hub/target.py",
    "recipes/__init__.py",
    "recipes/fields.py",
)
LIBRARY_PACKAGES = ("serve", "community", "data", "data/sources", "data/scrub")


@dataclass(frozen=True)
class DeployedSpace:
    """The Space repo and the commit it now serves (unchanged when nothing differed)."""

    repo_id: str
    commit: str
    changed: bool = True


def git_blob_id(data: bytes) -> str:
    """The id git (and the Hub's tree API) gives a regular file's content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def changed_files(
    api: HfApi, space_id: str, files: dict[str, bytes | Path], stale: Callable[[str], bool]
) -> list[CommitOperationAdd | CommitOperationDelete]:
    """The commit operations that make the Space repo hold exactly `files`: those whose content differs (LFS
    files compared by sha256, others by git blob id), and deletes of remote files `stale` picks that are gone."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    try:
        remote = {
            e.path: e for e in api.list_repo_tree(space_id, repo_type="space", recursive=True) if hasattr(e, "size")
        }
    except Exception as error:
        raise hub_error(error, space_id) from error
    operations: list[CommitOperationAdd | CommitOperationDelete] = [
        CommitOperationAdd(path_in_repo=path, path_or_fileobj=content)
        for path, content in sorted(files.items())
        if not _same(remote.get(path), content)
    ]
    operations += [CommitOperationDelete(path_in_repo=path) for path in remote if stale(path) and path not in files]
    return operations


def _same(entry: Any, content: bytes | Path) -> bool:
    if entry is None:
        return False
    data = content.read_bytes() if isinstance(content, Path) else content
    if getattr(entry, "lfs", None) is not None:
        return entry.lfs.sha256 == hashlib.sha256(data).hexdigest()
    return getattr(entry, "blob_id", None) == git_blob_id(data)


def model_datasets(model_repo: str, commit: str, api: HfApi) -> list[str]:
    """Datasets named in the model card's metadata (empty when the card is missing or says none)."""
    from huggingface_hub import ModelCard, hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        path = hf_hub_download(model_repo, "README.md", revision=commit, token=api.token, endpoint=api.endpoint)
    except EntryNotFoundError:
        return []
    datasets = ModelCard(Path(path).read_text(), ignore_metadata_errors=True).data.datasets or []
    return [datasets] if isinstance(datasets, str) else list(datasets)


def check_hardware(hardware: str | None) -> str | None:
    """A Space hardware flavour the Hub knows (`zero-a10g`, `cpu-basic`, `t4-small`, ...), or None."""
    from huggingface_hub import SpaceHardware

    known = [flavour.value for flavour in SpaceHardware]
    if hardware is not None and hardware not in known:
        raise HubtoolsError(f"hardware: unknown Space hardware {hardware!r}; expected one of {', '.join(known)}")
    return hardware


def is_zerogpu(hardware: str | None) -> bool:
    return bool(hardware) and hardware.startswith("zero-")


def zerogpu_requirements(text: str) -> str:
    """The Space's requirements with torch pinned to a version ZeroGPU supports, and `spaces` listed."""
    lines = [
        f"torch=={ZEROGPU_TORCH}" if re.match(r"^torch\s*([<>=!~;\[]|$)", line.strip()) else line
        for line in text.splitlines()
    ]
    if not any(re.match(r"^spaces\s*([<>=!~;\[]|$)", line.strip()) for line in lines):
        lines += ["# ZeroGPU's @spaces.GPU (a no-op elsewhere)", "spaces"]
    if f"torch=={ZEROGPU_TORCH}" not in lines:
        lines.append(f"torch=={ZEROGPU_TORCH}")
    return "\n".join(lines) + "\n"


def space_files(
    app_dir: Path,
    *,
    model_repo: str,
    revision: str | None,
    datasets: list[str],
    embedded: bool,
    hardware: str | None = None,
) -> dict:
    """Every file the Space repo should hold, path → bytes."""
    from huggingface_hub import SpaceCard

    wanted = APP_FILES + ((ZEROGPU_APP,) if is_zerogpu(hardware) else ())
    missing = [name for name in wanted if not (app_dir / name).is_file()]
    if missing:
        raise HubtoolsError(f"{app_dir} lacks the Space's {', '.join(missing)} (pass --app-dir to the chat Space)")
    files = {name: (app_dir / name).read_bytes() for name in APP_FILES}
    card = SpaceCard(files["README.md"].decode())
    card.data.models = [model_repo]
    card.data.datasets = datasets
    if card.data.sdk != "gradio":
        raise HubtoolsError(f"{app_dir / 'README.md'}: the Space must use sdk: gradio")
    if hardware:
        card.data.suggested_hardware = hardware
    if is_zerogpu(hardware):
        files[ZEROGPU_CHAT_APP] = files["app.py"]
        files["app.py"] = (app_dir / ZEROGPU_APP).read_bytes()
        files["requirements.txt"] = zerogpu_requirements(files["requirements.txt"].decode()).encode()
        card.data.python_version = ZEROGPU_PYTHON
    files["README.md"] = str(card).encode()
    library = list(LIBRARY_FILES) + sorted(
        p.relative_to(PACKAGE_ROOT).as_posix()
        for package in LIBRARY_PACKAGES
        for p in (PACKAGE_ROOT / package).glob("*.py")
    )
    for relative in library:
        files[f"hubtools/{relative}"] = (PACKAGE_ROOT / relative).read_bytes()
    if embedded:
        variables = {"MODEL_REPO": model_repo} | ({"MODEL_REVISION": revision} if revision else {})
        files[SPACE_VARIABLES_FILE] = (json.dumps(variables, indent=2) + "\n").encode()
    return files


def _sync_variables(api: HfApi, space_id: str, model_repo: str, revision: str | None) -> bool:
    """Set the Space variables through the variables API; True when any changed."""
    current = {key: var.value for key, var in api.get_space_variables(space_id).items()}
    changed = False
    for key, value in {"MODEL_REPO": model_repo, "MODEL_REVISION": revision}.items():
        if value and current.get(key) != value:
            api.add_space_variable(space_id, key, value, description="set by hubtools space deploy")
            changed = True
        elif not value and key in current:
            api.delete_space_variable(space_id, key)
            changed = True
    return changed


def deploy_space(
    space_id: str,
    model_repo: str,
    *,
    revision: str | None = None,
    api: HfApi | None = None,
    app_dir: Path | None = None,
    embedded: bool | None = None,
    private: bool = False,
    hardware: str | None = None,
) -> DeployedSpace:
    """Create or update `space_id` so it serves `model_repo` at `revision` (None: its newest release).

    `hardware` (e.g. `zero-a10g`) is requested from huggingface.co; a ZeroGPU flavour also ships the ZeroGPU
    entry point, torch pin and Python version the Space needs there.
    """
    check_hardware(hardware)
    from huggingface_hub import HfApi

    from hubtools.serve.space_kinds import check_kind

    api = api or HfApi()
    check_kind(api, space_id, "gradio")
    endpoint = (api.endpoint or "").rstrip("/")
    if embedded is None:
        embedded = os.environ.get("HUBTOOLS_EMBEDDED_HUB", "").rstrip("/") == endpoint
    resolved = resolve_model(model_repo, revision, api=api)  # refuse to deploy a Space for a missing model
    files = space_files(
        app_dir or DEFAULT_APP_DIR,
        model_repo=model_repo,
        revision=revision,
        datasets=model_datasets(model_repo, resolved.commit, api),
        embedded=embedded,
        hardware=hardware,
    )
    try:
        api.create_repo(
            space_id,
            repo_type="space",
            space_sdk="gradio",
            exist_ok=True,
            private=private or None,
            space_hardware=None if embedded else hardware,  # the embedded Hub runs no Spaces
        )
        if hardware and not embedded and api.get_space_runtime(space_id).requested_hardware != hardware:
            api.request_space_hardware(space_id, hardware)  # an existing Space keeps its hardware otherwise
    except Exception as error:
        raise hub_error(error, space_id) from error
    operations = changed_files(
        api, space_id, files, lambda path: path.startswith("hubtools/") or path == ZEROGPU_CHAT_APP
    )

    variables_changed = _sync_variables(api, space_id, model_repo, revision)
    if not operations:
        commit = api.repo_info(space_id, repo_type="space").sha
        if variables_changed and not embedded:  # a commit restarts the Space by itself; new variables do not
            api.restart_space(space_id)
        return DeployedSpace(repo_id=space_id, commit=commit, changed=variables_changed)
    what = f"{model_repo}@{revision}" if revision else f"{model_repo} (newest release)"
    info = api.create_commit(
        space_id, repo_type="space", operations=operations, commit_message=f"Deploy chat Space for {what}"
    )
    return DeployedSpace(repo_id=space_id, commit=info.oid, changed=True)
