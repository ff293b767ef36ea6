"""The file tree of one commit as the Hub describes it: files with git and LFS ids, folders with tree ids.

A commit never changes, so its listing is computed once (one `ls-tree`, one `cat-file --batch` for the few
blobs small enough to be LFS pointers) and kept in a bounded cache keyed by the commit sha.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from hubtools.hub._errors import entry_not_found
from hubtools.hub._git import Git
from hubtools.hub.lfs import POINTER_MAX_SIZE, Pointer, parse_pointer


@dataclass(frozen=True)
class Entry:
    """A file (`kind == "file"`) or folder (`kind == "directory"`) of a commit."""

    path: str
    kind: str
    oid: str
    size: int = 0
    lfs: Pointer | None = None
    pointer_size: int = 0

    def to_json(self) -> dict[str, Any]:
        """The tree / paths-info form: `{type, path, oid, size, lfs?{oid, size, pointerSize}}`."""
        if self.kind == "directory":
            return {"type": "directory", "oid": self.oid, "size": 0, "path": self.path}
        data: dict[str, Any] = {"type": "file", "oid": self.oid, "size": self.size, "path": self.path}
        if self.lfs:
            data["lfs"] = {"oid": self.lfs.oid, "size": self.lfs.size, "pointerSize": self.pointer_size}
        return data

    def to_sibling(self, blobs: bool) -> dict[str, Any]:
        """The repo-info form: `{rfilename}` plus, with `?blobs=true`, `size`, `blobId` and `lfs{sha256,...}`."""
        data: dict[str, Any] = {"rfilename": self.path}
        if blobs:
            data.update(size=self.size, blobId=self.oid)
            if self.lfs:
                data["lfs"] = {"sha256": self.lfs.oid, "size": self.lfs.size, "pointerSize": self.pointer_size}
        return data


class Tree:
    """All entries of one commit, sorted by path."""

    def __init__(self, commit: str, entries: list[Entry]) -> None:
        self.commit = commit
        self.entries = {entry.path: entry for entry in sorted(entries, key=lambda entry: entry.path)}

    def get(self, path: str) -> Entry | None:
        return self.entries.get(path)

    def files(self) -> list[Entry]:
        return [entry for entry in self.entries.values() if entry.kind == "file"]

    def listing(self, folder: str, recursive: bool) -> list[Entry]:
        """Entries under `folder` ("" = root); 404 EntryNotFound when it is not a folder of this commit."""
        if folder:
            entry = self.entries.get(folder)
            if entry is None or entry.kind != "directory":
                raise entry_not_found(folder, self.commit, f"Folder not found: {folder}")
            prefix = folder + "/"
        else:
            prefix = ""
        depth = prefix.count("/")
        return [
            entry
            for path, entry in self.entries.items()
            if path.startswith(prefix) and (recursive or path.count("/") == depth)
        ]


_LOCK = threading.Lock()
_TREES: OrderedDict[str, Tree] = OrderedDict()
_POINTERS: dict[str, Pointer | None] = {}
_MAX_TREES = 64
_MAX_POINTERS = 100_000


def load_tree(git: Git, commit: str) -> Tree:
    """The (cached) tree of `commit`, a full commit sha of `git`'s repository."""
    with _LOCK:
        tree = _TREES.get(commit)
        if tree is not None:
            _TREES.move_to_end(commit)
            return tree
    raw = git.ls_tree(commit)
    small = [sha for _, kind, sha, size, _ in raw if kind == "blob" and size is not None and size <= POINTER_MAX_SIZE]
    with _LOCK:
        unknown = [sha for sha in small if sha not in _POINTERS]
    found = {sha: parse_pointer(content) for sha, content in git.read_blobs(unknown).items()}
    with _LOCK:
        if len(_POINTERS) > _MAX_POINTERS:
            _POINTERS.clear()
        _POINTERS.update(found)
        pointers = {sha: _POINTERS.get(sha) for sha in small}
    entries = []
    for _mode, kind, sha, size, path in raw:
        if kind == "tree":
            entries.append(Entry(path=path, kind="directory", oid=sha))
        elif kind == "blob":
            pointer = pointers.get(sha)
            if pointer is not None:
                entries.append(Entry(path, "file", sha, pointer.size, pointer, pointer_size=size or 0))
            else:
                entries.append(Entry(path, "file", sha, size or 0))
    tree = Tree(commit, entries)
    with _LOCK:
        _TREES[commit] = tree
        while len(_TREES) > _MAX_TREES:
            _TREES.popitem(last=False)
    return tree


def reachable_lfs_files(git: Git) -> list[tuple[str, Pointer]]:
    """Each LFS object referenced from any commit of any ref, once, with one path it was committed at."""
    paths = git.reachable_objects()
    small = [sha for sha, size in git.blob_sizes(paths).items() if size <= POINTER_MAX_SIZE]
    found: dict[str, tuple[str, Pointer]] = {}
    for sha, content in git.read_blobs(small).items():
        pointer = parse_pointer(content)
        if pointer is not None and pointer.oid not in found:
            found[pointer.oid] = (paths[sha], pointer)
    return sorted(found.values(), key=lambda item: (item[0], item[1].oid))
