"""Thin wrapper over the `git` plumbing commands the store needs, run as subprocesses without a shell.

Each Hub repo is a bare git repository, so commit ids are real git shas. The environment is fixed here
(identity, dates, no user or system config) so git never depends on how the machine is configured, and every
argument that comes from a client has already been validated (see `_names`) and follows `--` where git allows it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class GitError(RuntimeError):
    """A git command failed unexpectedly (a bug or a broken repository, never a client mistake)."""


@dataclass(frozen=True)
class Identity:
    """Who a commit or tag is attributed to, and when (seconds since the epoch, UTC)."""

    name: str
    email: str
    timestamp: int


@dataclass(frozen=True)
class LogEntry:
    sha: str
    author: str
    timestamp: int
    message: str


def _base_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_LITERAL_PATHSPECS="1",  # file names like `a*` or `:(x)` are names, never pathspec magic
        LC_ALL="C",
    )
    return env


_ENV = _base_env()


class Git:
    """One bare repository; methods map one-to-one onto git plumbing commands."""

    def __init__(self, git_dir: Path, tmp_dir: Path) -> None:
        self.git_dir = git_dir
        self.tmp_dir = tmp_dir

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        full_env = {**_ENV, "GIT_DIR": str(self.git_dir), **(env or {})}
        result = subprocess.run(
            ["git", *args], input=input, env=full_env, capture_output=True, check=False, cwd=self.git_dir
        )
        if check and result.returncode != 0:
            stderr = result.stderr.decode(errors="replace").strip()
            raise GitError(f"git {args[0]} failed ({result.returncode}): {stderr}")
        return result

    @staticmethod
    def init_bare(git_dir: Path) -> None:
        """Create an empty bare repository whose default branch is `main`."""
        subprocess.run(
            ["git", "init", "--bare", "--quiet", "--initial-branch=main", "--", str(git_dir)],
            env=_ENV,
            capture_output=True,
            check=True,
        )

    def hash_blobs(self, contents: Sequence[bytes]) -> list[str]:
        """Write blobs into the object store in one `git hash-object --stdin-paths` call."""
        if not contents:
            return []
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.tmp_dir, prefix="blobs-") as folder:
            paths = []
            for index, content in enumerate(contents):
                path = Path(folder) / str(index)
                path.write_bytes(content)
                paths.append(str(path))
            out = self.run("hash-object", "-w", "--no-filters", "--stdin-paths", input="\n".join(paths).encode())
        shas = out.stdout.decode().split()
        if len(shas) != len(contents):
            raise GitError("git hash-object returned an unexpected number of ids")
        return shas

    def object_type(self, sha: str) -> str | None:
        result = self.run("cat-file", "-t", sha, check=False)
        return result.stdout.decode().strip() if result.returncode == 0 else None

    def resolve_commit(self, prefix: str) -> str | None:
        """The one commit an abbreviated sha names, or None (unknown or ambiguous); `prefix` is validated hex."""
        result = self.run("rev-parse", "--verify", "--quiet", f"{prefix}^{{commit}}", check=False)
        return result.stdout.decode().strip() if result.returncode == 0 else None

    def reachable_objects(self) -> dict[str, str]:
        """Every blob and tree reachable from any ref, with the first path it was seen at (sha -> path)."""
        out = self.run("rev-list", "--objects", "--all").stdout.decode(errors="replace")
        paths: dict[str, str] = {}
        for line in out.splitlines():
            sha, _, path = line.partition(" ")
            if path:
                paths.setdefault(sha, path)
        return paths

    def blob_sizes(self, shas: Iterable[str]) -> dict[str, int]:
        """Size of each blob among `shas` (trees and missing objects are left out), in one `cat-file` call."""
        wanted = "".join(f"{sha}\n" for sha in shas)
        if not wanted:
            return {}
        fmt = "--batch-check=%(objectname) %(objecttype) %(objectsize)"
        out = self.run("cat-file", fmt, input=wanted.encode()).stdout.decode()
        sizes = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] == "blob":
                sizes[parts[0]] = int(parts[2])
        return sizes

    def read_blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha).stdout

    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Read several (small) blobs in one `git cat-file --batch` call."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch", input="".join(f"{sha}\n" for sha in wanted).encode()).stdout
        blobs: dict[str, bytes] = {}
        position = 0
        for sha in wanted:
            header_end = out.index(b"\n", position)
            header = out[position:header_end].split()
            position = header_end + 1
            if len(header) < 3 or header[1] == b"missing":
                continue
            size = int(header[2])
            blobs[sha] = out[position : position + size]
            position += size + 1
        return blobs

    def ls_tree(self, commit: str) -> list[tuple[str, str, str, int | None, str]]:
        """The whole tree of a commit, folders included: (mode, type, sha, size or None, path)."""
        out = self.run("ls-tree", "-r", "-t", "-l", "-z", "--full-tree", commit).stdout
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, path = record.partition(b"\t")
            mode, kind, sha, size = meta.decode().split(maxsplit=3)
            entries.append((mode, kind, sha, None if size.strip() == "-" else int(size), path.decode()))
        return entries

    def build_tree(self, base_commit: str | None, updates: dict[str, str | None]) -> str:
        """Tree of `base_commit` with `updates` applied (path -> blob sha, or None to remove), via a temp index."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        handle, index_file = tempfile.mkstemp(dir=self.tmp_dir, prefix="index-")
        os.close(handle)
        os.unlink(index_file)  # git wants to create the index itself
        env = {"GIT_INDEX_FILE": index_file}
        try:
            if base_commit:
                self.run("read-tree", f"{base_commit}^{{tree}}", env=env)
            else:
                self.run("read-tree", "--empty", env=env)
            records = []
            for path, sha in updates.items():
                records.append(f"100644 {sha}\t{path}" if sha else f"0 {ZERO_SHA}\t{path}")
            if records:
                self.run("update-index", "-z", "--index-info", input=("\0".join(records) + "\0").encode(), env=env)
            return self.run("write-tree", env=env).stdout.decode().strip()
        finally:
            for leftover in (index_file, index_file + ".lock"):
                if os.path.exists(leftover):
                    os.unlink(leftover)

    def commit_tree(self, tree: str, parents: Sequence[str], message: str, who: Identity) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        date = f"{who.timestamp} +0000"
        env = {
            "GIT_AUTHOR_NAME": who.name,
            "GIT_AUTHOR_EMAIL": who.email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": who.name,
            "GIT_COMMITTER_EMAIL": who.email,
            "GIT_COMMITTER_DATE": date,
        }
        return self.run(*args, input=message.encode(), env=env).stdout.decode().strip()

    def make_tag(self, name: str, target: str, message: str, who: Identity) -> str:
        """An annotated tag object (not yet referenced by any ref)."""
        body = (
            f"object {target}\ntype commit\ntag {name}\n"
            f"tagger {who.name} <{who.email}> {who.timestamp} +0000\n\n{message.rstrip()}\n"
        )
        return self.run("mktag", input=body.encode()).stdout.decode().strip()

    def update_ref(self, ref: str, new: str, old: str) -> bool:
        """Compare-and-swap: point `ref` at `new` only if it is still at `old` (ZERO_SHA: must not exist)."""
        return self.run("update-ref", "--no-deref", ref, new, old, check=False).returncode == 0

    def delete_ref(self, ref: str, old: str) -> bool:
        return self.run("update-ref", "--no-deref", "-d", ref, old, check=False).returncode == 0

    def refs(self) -> list[tuple[str, str, str]]:
        """(ref name, object sha, commit sha it peels to) for every branch, tag and PR ref."""
        fmt = "--format=%(refname)%00%(objectname)%00%(*objectname)"
        out = self.run("for-each-ref", fmt, "refs/heads", "refs/tags", "refs/pr").stdout.decode()
        refs = []
        for line in out.splitlines():
            name, obj, peeled = line.split("\0")
            refs.append((name, obj, peeled or obj))
        return refs

    def log(self, commit: str, skip: int, limit: int) -> list[LogEntry]:
        """Commits reachable from `commit`, newest first (first-parent order is all a linear history needs)."""
        out = self.run(
            "log", "-z", "--format=%H%x1f%an%x1f%ct%x1f%B", f"--skip={skip}", f"--max-count={limit}", commit, "--"
        ).stdout.decode(errors="replace")
        entries = []
        for record in out.split("\0"):
            if not record.strip():
                continue
            sha, author, timestamp, message = record.lstrip("\n").split("\x1f", 3)
            entries.append(LogEntry(sha=sha, author=author, timestamp=int(timestamp), message=message))
        return entries

    def commit_timestamp(self, commit: str) -> int:
        return int(self.run("log", "-1", "--format=%ct", commit, "--").stdout.decode().strip())
