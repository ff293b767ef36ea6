"""Durable storage of the embedded Hub: one bare git repository per Hub repo under `root/repos`.

Layout (nothing is written outside `root`)::

    root/repos/{models|datasets|spaces}/{namespace}/{name}.git   bare git repo, refs/heads, refs/tags, refs/pr
    root/repos/.../{name}.git/hubtools.json                       type, private, sdk, created time
    root/lfs/objects/ab/cd/<sha256>                               LFS content (see `lfs`)
    root/tmp/                                                     scratch space (temp indexes, half-made repos)

Commits are built with git plumbing and published with a compare-and-swap `update-ref`, so concurrent
writers never lose a commit: a commit without `parentCommit` is re-applied onto the new head when it loses the
race, one with a stale `parentCommit` is refused (412) as the Hub does.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hubtools.hub._cards import parse_front_matter
from hubtools.hub._errors import HubError, conflict, repo_not_found, revision_not_found
from hubtools.hub._git import ZERO_SHA, Git, Identity, LogEntry
from hubtools.hub._names import URL_PREFIXES, check_ref_name, is_commit_sha, is_short_sha
from hubtools.hub._operations import AddFile, Operation, adds_content, apply_operations
from hubtools.hub._tree import Tree, load_tree
from hubtools.hub.lfs import DEFAULT_GITATTRIBUTES, LfsStore

_META_FILE = "hubtools.json"
_LOCK_FILE = "hubtools.lock"
_MAX_ATTEMPTS = 200


@dataclass
class RepoMeta:
    """What git does not hold about a repo."""

    repo_type: str
    repo_id: str
    private: bool = False
    sdk: str | None = None
    created_at: float = 0.0
    gated: str | bool = False  # False, "auto" or "manual", as the Hub reports it
    # Space variables: key -> {"value", "description", "updatedAt"}, as the variables API answers them.
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)


class RepoStore:
    """All repos of one Hub, found by (type, id); ids match case-insensitively, as on the Hub."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.lfs = LfsStore(root)
        self._lock = threading.Lock()
        self._thread_locks: dict[Path, threading.Lock] = {}
        self._thread_locks_lock = threading.Lock()

    @contextlib.contextmanager
    def locked(self, repo: Repo) -> Iterator[None]:
        """One writer per repo: a thread lock in this process, and a file lock for other servers on this root.

        Commits are also safe without it (compare-and-swap), but metadata edits, deletes and moves are not. Raises
        404 when the repo was deleted or moved while waiting.
        """
        git_dir = repo.git.git_dir
        with self._thread_locks_lock:
            thread_lock = self._thread_locks.setdefault(git_dir, threading.Lock())
        with thread_lock:
            try:
                descriptor = os.open(git_dir / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            except (FileNotFoundError, NotADirectoryError):
                raise repo_not_found(repo.meta.repo_id) from None
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                if not (git_dir / _META_FILE).exists():
                    raise repo_not_found(repo.meta.repo_id)
                yield
            finally:
                os.close(descriptor)  # releases the flock

    def _git_dir(self, repo_type: str, repo_id: str) -> Path:
        """Repos live under their lower-cased id; a folder of an older layout (exact case) is still found."""
        base = self.root / "repos" / f"{repo_type}s"
        namespace, name = repo_id.split("/")
        path = base / namespace.lower() / f"{name.lower()}.git"
        if not path.exists():
            legacy = base / namespace / f"{name}.git"
            if legacy.exists():
                return legacy
        return path

    def get(self, repo_type: str, repo_id: str) -> Repo:
        """The repo, or 404 RepoNotFound."""
        git_dir = self._git_dir(repo_type, repo_id)
        try:
            data = json.loads((git_dir / _META_FILE).read_text())
        except (FileNotFoundError, NotADirectoryError):
            raise repo_not_found(repo_id) from None
        return Repo(self, RepoMeta(**data), git_dir)

    def create(self, repo_type: str, repo_id: str, *, private: bool, sdk: str | None, who: Identity) -> Repo:
        """A new repo whose `main` holds one "initial commit" (a .gitattributes, plus a README for Spaces)."""
        final = self._git_dir(repo_type, repo_id)
        with self._lock:
            if final.exists():
                raise conflict("You already created this repo", url=repo_id)
            self.tmp.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=self.tmp, prefix="new-repo-")) / "repo.git"
            try:
                Git.init_bare(staging)
                meta = RepoMeta(repo_type, repo_id, private=private, sdk=sdk, created_at=time.time())
                repo = Repo(self, meta, staging)
                repo.write_meta()
                files = [AddFile(".gitattributes", DEFAULT_GITATTRIBUTES.encode())]
                if repo_type == "space":
                    files.append(AddFile("README.md", _space_readme(repo_id, sdk).encode()))
                repo.commit("refs/heads/main", files, "initial commit", who)
                final.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.rename(staging, final)
                except OSError:  # another process sharing this root created it first
                    raise conflict("You already created this repo", url=repo_id) from None
            finally:
                shutil.rmtree(staging.parent, ignore_errors=True)
        return self.get(repo_type, repo_id)

    def delete(self, repo_type: str, repo_id: str) -> None:
        """Remove a repo once no commit is in flight (its LFS objects stay: other repos may share them)."""
        repo = self.get(repo_type, repo_id)
        self.tmp.mkdir(parents=True, exist_ok=True)
        trash = Path(tempfile.mkdtemp(dir=self.tmp, prefix="deleted-"))
        try:
            with self._lock, self.locked(repo):
                os.rename(repo.git.git_dir, trash / "repo.git")
        finally:
            shutil.rmtree(trash, ignore_errors=True)

    def move(self, repo_type: str, source_id: str, target_id: str) -> Repo:
        """Rename a repo (also across namespaces); its history, refs and LFS content go with it."""
        repo = self.get(repo_type, source_id)
        source = repo.git.git_dir
        target = self._git_dir(repo_type, target_id)
        with self._lock, self.locked(repo):
            if target != source:
                if target.exists():
                    raise conflict(f"A repo named {target_id} already exists", url=target_id)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.rename(source, target)
                except OSError:  # another process sharing this root created it first
                    raise conflict(f"A repo named {target_id} already exists", url=target_id) from None
            meta = RepoMeta(**json.loads((target / _META_FILE).read_text()))
            meta.repo_id = target_id
            Repo(self, meta, target).write_meta()
        return self.get(repo_type, target_id)


def _space_readme(repo_id: str, sdk: str | None) -> str:
    header = yaml.safe_dump({"title": repo_id.split("/")[1], "sdk": sdk or "gradio"}, sort_keys=False)
    return f"---\n{header}---\n"


class Repo:
    """One Hub repo: its refs, trees, history and the commits that change it."""

    def __init__(self, store: RepoStore, meta: RepoMeta, git_dir: Path) -> None:
        self.store = store
        self.meta = meta
        self.git = Git(git_dir, store.tmp)

    @property
    def url_path(self) -> str:
        """`{prefix}{id}` as in the Hub's web URLs (`datasets/ns/name`)."""
        return URL_PREFIXES[self.meta.repo_type] + self.meta.repo_id

    def write_meta(self) -> None:
        path = self.git.git_dir / _META_FILE
        tmp = path.with_name(f".{_META_FILE}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(asdict(self.meta), indent=2))
        os.replace(tmp, path)

    @contextlib.contextmanager
    def _editing_meta(self) -> Iterator[RepoMeta]:
        """The metadata as on disk now, saved after the edit; one writer at a time, so no edit is lost."""
        with self.store.locked(self):
            self.meta = RepoMeta(**json.loads((self.git.git_dir / _META_FILE).read_text()))
            yield self.meta
            self.write_meta()

    def set_private(self, private: bool) -> None:
        with self._editing_meta() as meta:
            meta.private = private

    def set_gated(self, gated: str | bool) -> None:
        with self._editing_meta() as meta:
            meta.gated = gated

    # -- refs -----------------------------------------------------------------------------------------------

    def refs(self) -> dict[str, str]:
        """Full ref name -> commit sha (tags peeled)."""
        return {name: peeled for name, _, peeled in self.git.refs()}

    def resolve(self, revision: str) -> str:
        """A branch, tag, `refs/...` name, full or short (7+ hex) commit sha to a commit sha; 404 otherwise."""
        if is_commit_sha(revision):
            if self.git.object_type(revision) == "commit":
                return revision
            raise revision_not_found(revision)
        refs = self.refs()
        for name in (f"refs/heads/{revision}", f"refs/tags/{revision}", revision):
            if name.startswith("refs/") and name in refs:
                return refs[name]
        if is_short_sha(revision):
            sha = self.git.resolve_commit(revision)
            if sha is not None:
                return sha
        raise revision_not_found(revision)

    def branch_ref(self, revision: str) -> str:
        """The ref a commit to `revision` moves: an existing branch or PR ref (tags and shas are read-only)."""
        refs = self.refs()
        for name in (f"refs/heads/{revision}", revision):
            if name.startswith(("refs/heads/", "refs/pr/")) and name in refs:
                return name
        if f"refs/tags/{revision}" in refs or is_commit_sha(revision):
            raise HubError(400, f"Cannot commit to {revision!r}: only branches can receive commits")
        raise revision_not_found(revision)

    def create_branch(self, name: str, start: str) -> None:
        check_ref_name(name, "branch")
        if not self.git.update_ref(f"refs/heads/{name}", start, ZERO_SHA):
            raise conflict(f"Reference refs/heads/{name} already exists")  # the Hub's wording

    def delete_branch(self, name: str) -> None:
        if name == "main":
            raise HubError(403, "Cannot delete refs/heads/main: it is the default branch", code="Forbidden")
        self._delete_ref(f"refs/heads/{name}", name)

    def create_tag(self, name: str, target: str, message: str | None, who: Identity) -> None:
        check_ref_name(name, "tag")
        obj = self.git.make_tag(name, target, message, who) if message else target
        if not self.git.update_ref(f"refs/tags/{name}", obj, ZERO_SHA):
            raise conflict(f"Reference refs/tags/{name} already exists")

    def delete_tag(self, name: str) -> None:
        self._delete_ref(f"refs/tags/{name}", name)

    def _delete_ref(self, ref: str, name: str) -> None:
        current = {ref_name: obj for ref_name, obj, _ in self.git.refs()}.get(ref)
        if current is None or not self.git.delete_ref(ref, current):
            raise revision_not_found(name)

    def squash(self, branch: str, message: str, who: Identity) -> str:
        """Replace the branch's history by one root commit holding its current files (the Hub's super-squash).

        The old commits stay reachable from tags and other branches that point at them, as on the Hub.
        """
        ref = f"refs/heads/{branch}"
        with self.store.locked(self):
            head = self.refs().get(ref)
            if head is None:
                raise revision_not_found(branch)
            sha = self.git.commit_tree(f"{head}^{{tree}}", [], message, who)  # commit-tree takes any tree-ish
            if not self.git.update_ref(ref, sha, head):
                raise conflict(f"{branch!r} moved while it was being squashed; try again")
        return sha

    # -- Space variables ----------------------------------------------------------------------------------------

    def set_variable(self, key: str, value: str, description: str | None, when: str) -> None:
        entry: dict[str, Any] = {"value": value, "updatedAt": when}
        if description is not None:
            entry["description"] = description
        with self._editing_meta() as meta:
            meta.variables[key] = entry

    def delete_variable(self, key: str) -> None:
        with self._editing_meta() as meta:
            meta.variables.pop(key, None)

    # -- reading ------------------------------------------------------------------------------------------------

    def tree(self, commit: str) -> Tree:
        return load_tree(self.git, commit)

    def read_blob(self, sha: str) -> bytes:
        return self.git.read_blob(sha)

    def log(self, commit: str, skip: int, limit: int) -> list[LogEntry]:
        return self.git.log(commit, skip, limit)

    def commit_time(self, commit: str) -> int:
        return self.git.commit_timestamp(commit)

    def card_data(self, commit: str) -> dict[str, Any] | None:
        """The YAML front matter of README.md at `commit`, or None (also when it does not parse)."""
        entry = self.tree(commit).get("README.md")
        if entry is None or entry.lfs is not None or entry.size > 1_000_000:
            return None
        data = parse_front_matter(self.read_blob(entry.oid).decode("utf-8", errors="replace"))[0]
        # YAML allows dates and non-string keys; the Hub answers JSON.
        return json.loads(json.dumps(data, default=str, skipkeys=True)) if data else None

    # -- writing ------------------------------------------------------------------------------------------------

    def commit(
        self,
        ref: str,
        operations: Sequence[Operation],
        message: str,
        who: Identity,
        *,
        parent: str | None = None,
        create_pr: bool = False,
    ) -> tuple[str, str]:
        """Apply `operations` on top of `ref` and move it (or a new `refs/pr/N`); returns (commit sha, ref moved).

        Without `parent` a lost compare-and-swap race re-applies the operations onto the new head; with it, the
        head must still be `parent` (else 412).
        """
        contents = [
            op.content if isinstance(op, AddFile) else op.pointer.encode() for op in operations if adds_content(op)
        ]
        blob_shas = iter(self.git.hash_blobs(contents))
        blobs = {id(op): next(blob_shas) for op in operations if adds_content(op)}
        with self.store.locked(self):
            return self._commit(ref, operations, blobs, message, who, parent, create_pr)

    def _commit(
        self,
        ref: str,
        operations: Sequence[Operation],
        blobs: dict[int, str],
        message: str,
        who: Identity,
        parent: str | None,
        create_pr: bool,
    ) -> tuple[str, str]:
        for attempt in range(_MAX_ATTEMPTS):
            refs = self.refs()
            head = refs.get(ref)
            if head is None and not (ref == "refs/heads/main" and not refs):
                raise revision_not_found(ref.removeprefix("refs/heads/"))
            if parent is not None and parent != head:
                raise _stale_parent(parent)
            updates = apply_operations(self.tree(head) if head else None, operations, blobs)
            tree = self.git.build_tree(head, updates)
            sha = self.git.commit_tree(tree, [head] if head else [], message, who)
            target, old = (_next_pr_ref(refs), ZERO_SHA) if create_pr else (ref, head or ZERO_SHA)
            if self.git.update_ref(target, sha, old):
                return sha, target
            if parent is not None and not create_pr:
                raise _stale_parent(parent)
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 20)))
        raise HubError(503, "Too many concurrent commits on this branch, try again")


def _stale_parent(parent: str) -> HubError:
    """The Hub's exact wording (users search for it); the stale parent goes in the body, not the message."""
    message = "A commit has happened since. Please refresh and try again."
    return HubError(412, message, code="PreconditionFailed", body={"parentCommit": parent})


def _next_pr_ref(refs: dict[str, str]) -> str:
    numbers = [int(name.rsplit("/", 1)[1]) for name in refs if name.startswith("refs/pr/") and name[8:].isdigit()]
    return f"refs/pr/{max(numbers, default=0) + 1}"
