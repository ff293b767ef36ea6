"""Validation of every name a client sends: repo ids, repo types, revisions and paths inside a repo.

These names become file-system paths (repo folders) and git arguments (ref names, tree paths), so they are
checked here, once, before anything touches the disk; nothing a client sends can escape `--root` or reach git
as an option.
"""

from __future__ import annotations

import re

from hubtools.hub._errors import HubError, bad_request

REPO_TYPES = ("model", "dataset", "space")
URL_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
SPACE_SDKS = ("gradio", "streamlit", "docker", "static")

# The Hub's rule: ASCII letters, digits, `_`, `-`, `.`, at most 96, starting and ending with a letter, digit or
# `_` (huggingface_hub's own test user is `__DUMMY_TRANSFORMERS_USER__`).
_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHORT_COMMIT = re.compile(r"[0-9a-f]{7,39}")
_REF_PART = re.compile(r"[A-Za-z0-9._+-]+(?:/[A-Za-z0-9._+-]+)*")


def repo_type_from_url(segment: str) -> str:
    """`models|datasets|spaces` (URL form) to the repo type."""
    try:
        return URL_TYPES[segment]
    except KeyError:
        raise bad_request(f"Invalid repo type {segment!r}: expected models, datasets or spaces") from None


def repo_type_from_body(value: object) -> str:
    """The `type` field of a create/delete request (`None` means model)."""
    if value is None:
        return "model"
    if value not in REPO_TYPES:
        raise bad_request(f"Invalid repo type {value!r}: expected one of {', '.join(REPO_TYPES)}")
    return str(value)


def is_valid_name(name: str) -> bool:
    """A user, organization or repo name: letters, digits, `-`, `_`, `.`, not starting or ending with `-`/`.`."""
    return bool(_NAME.fullmatch(name)) and "--" not in name and ".." not in name


def check_repo_id(repo_id: str) -> str:
    """`namespace/name`, each part alphanumeric plus `._-`, no `--`/`..`, not ending in `.git` (the Hub's rules)."""
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(_NAME.fullmatch(part) for part in parts):
        raise HubError(400, f"Invalid repo id {repo_id!r}: expected 'namespace/name' (letters, digits, '-', '_', '.')")
    if "--" in repo_id or ".." in repo_id or repo_id.endswith(".git"):
        raise HubError(400, f"Invalid repo id {repo_id!r}: cannot contain '--' or '..' or end with '.git'")
    return repo_id


def is_commit_sha(value: str) -> bool:
    return bool(_COMMIT.fullmatch(value))


def is_short_sha(value: str) -> bool:
    """An abbreviated commit id as the Hub accepts it: 7 to 39 lowercase hex characters."""
    return bool(_SHORT_COMMIT.fullmatch(value))


def check_ref_name(name: str, what: str = "branch") -> str:
    """A branch or tag name that is safe as `refs/heads/<name>`: no `..`, no leading `-`, no `.lock`, no `@{`."""
    if (
        not name
        or len(name) > 200
        or not _REF_PART.fullmatch(name)
        or ".." in name
        or name.startswith(("-", "."))
        or name.endswith((".", ".lock"))
        or "/." in name
        or name.startswith("refs/")
        or is_commit_sha(name)
    ):
        raise bad_request(f"Invalid {what} name {name!r}")
    return name


def check_path(path: object, *, allow_root: bool = False) -> str:
    """A file or folder path inside a repo; refuses anything that could escape it or reach `.git`."""
    if not isinstance(path, str):
        raise bad_request(f"Invalid path {path!r}: expected a string")
    clean = path.strip("/") if allow_root else path
    if allow_root and clean == "":
        return ""
    if (
        not clean
        or len(clean) > 1024
        or clean.startswith("/")
        or clean.endswith("/")
        or "\\" in clean
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in clean)
    ):
        raise bad_request(f"Invalid path {path!r}: must be a relative POSIX path without control characters")
    for part in clean.split("/"):
        if part in ("", ".", ".."):
            raise bad_request(f"Invalid path {path!r}: empty, '.' or '..' components are not allowed")
        if part.lower() == ".git":
            raise bad_request(f"Invalid path {path!r}: '.git' is reserved")
    return clean
