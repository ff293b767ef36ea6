"""The operations of one commit (add, add from LFS, delete a file or a folder) and how they change a tree.

The result is a set of index updates for `Git.build_tree`; every refusal (a missing file, a file where a folder
is needed) is the Hub's error, raised before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hubtools.hub._errors import HubError, entry_not_found
from hubtools.hub._tree import Tree
from hubtools.hub.lfs import Pointer


@dataclass(frozen=True)
class AddFile:
    path: str
    content: bytes


@dataclass(frozen=True)
class AddLfsFile:
    path: str
    pointer: Pointer


@dataclass(frozen=True)
class DeleteFile:
    path: str


@dataclass(frozen=True)
class DeleteFolder:
    path: str


Operation = AddFile | AddLfsFile | DeleteFile | DeleteFolder


def adds_content(op: Operation) -> bool:
    return isinstance(op, AddFile | AddLfsFile)


def apply_operations(
    tree: Tree | None, operations: Sequence[Operation], blobs: dict[int, str]
) -> dict[str, str | None]:
    """Index updates (path -> blob sha, None = remove) that turn `tree` into the tree after `operations`."""
    before = {entry.path: entry.oid for entry in tree.files()} if tree else {}
    files = dict(before)
    commit = tree.commit if tree else None
    for op in operations:
        if isinstance(op, DeleteFile) and op.path not in files and any(p.startswith(op.path + "/") for p in files):
            op = DeleteFolder(op.path)  # noqa: PLW2901 - the Hub deletes a folder named without its trailing '/'
        if isinstance(op, DeleteFile):
            if files.pop(op.path, None) is None:
                raise entry_not_found(op.path, commit, f"A file with this name doesn't exist: {op.path}")
        elif isinstance(op, DeleteFolder):
            doomed = [path for path in files if path.startswith(op.path + "/")]
            if not doomed:
                raise entry_not_found(op.path, commit, f"A folder with this name doesn't exist: {op.path}")
            for path in doomed:
                del files[path]
        else:
            parents = op.path.split("/")[:-1]
            for depth in range(1, len(parents) + 1):
                if "/".join(parents[:depth]) in files:
                    raise HubError(400, f"Cannot add {op.path!r}: {'/'.join(parents[:depth])!r} is a file")
            if any(path.startswith(op.path + "/") for path in files):
                raise HubError(400, f"Cannot add {op.path!r}: a folder with this name exists")
            files[op.path] = blobs[id(op)]
    updates: dict[str, str | None] = {path: None for path in before if path not in files}
    updates.update({path: sha for path, sha in files.items() if before.get(path) != sha})
    return updates
