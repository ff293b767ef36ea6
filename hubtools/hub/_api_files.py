"""File routes: downloads (`/{prefix}{id}/resolve/{rev}/{path}`, the headers `hf_hub_download` relies on) and the
repo's LFS file listing.

The client caches by commit and etag: `X-Repo-Commit` comes on every answer (404s included), `ETag` is the git
blob id, and LFS files add `X-Linked-Etag` (their sha256) and `X-Linked-Size`. Content is served directly (no
redirect), with single byte ranges for resumed downloads.
"""

from __future__ import annotations

import re

from hubtools.hub._context import RouteHub
from hubtools.hub._errors import HubError, entry_not_found
from hubtools.hub._http import Request, Response, iso, json_response, unquote
from hubtools.hub._names import check_path
from hubtools.hub._tree import reachable_lfs_files

# What the Hub shows of a gated repo without access: its card and attributes.
UNGATED_FILES = frozenset({"README.md", ".gitattributes"})
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, length) of a single satisfiable `Range`, None for the whole file; 416 when unsatisfiable."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None  # several ranges or an unknown unit: answer with the whole file, as RFC 9110 allows
    first, last = match.group(1), match.group(2)
    if first == "":
        length = min(int(last), size)
        start = size - length
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        length = end - start + 1
    if start >= size or length <= 0:
        raise HubError(416, f"Range not satisfiable: {header}", headers={"Content-Range": f"bytes */{size}"})
    return start, length


def list_lfs_files(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str) -> Response:
    """The LFS objects a repo references (`list_lfs_files`); `pushedAt` is when the content reached the store."""
    repo = hub.repo_for_write(request, url_type, namespace, name)  # the Hub lists them to the repo's owners
    items = []
    for path, pointer in reachable_lfs_files(repo.git):
        try:
            pushed = repo.store.lfs.path(pointer.oid).stat().st_mtime
        except FileNotFoundError:
            continue  # referenced but never uploaded (or removed from the store): nothing to list
        items.append(
            {
                "fileOid": pointer.oid,
                "oid": pointer.oid,
                "filename": path,
                "size": pointer.size,
                "pushedAt": iso(pushed),
                "ref": None,
            }
        )
    return json_response(items)


def refuse_lfs_deletion(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str) -> Response:
    hub.repo_for_write(request, url_type, namespace, name)
    message = "LFS objects are shared by all repos of the embedded Hub and are not deleted per repo"
    raise HubError(501, message, code="NotImplemented")


def _cache_control(by_sha: bool, private: bool) -> str:
    """Content named by its commit never changes; a private repo's content must stay out of shared caches."""
    if not by_sha:
        return "private, max-age=0, must-revalidate"
    return "private, max-age=31536000, immutable" if private else "public, max-age=31536000, immutable"


def resolve(
    hub: RouteHub, request: Request, prefix: str | None, namespace: str, name: str, rev: str, path: str
) -> Response:
    repo = hub.repo_for_read(request, prefix or "models", namespace, name)
    sha = repo.resolve(unquote(rev))
    file_path = check_path("/".join(unquote(part) for part in path.split("/")))
    if file_path not in UNGATED_FILES:
        hub.check_gate(request, repo)
    entry = repo.tree(sha).get(file_path)
    if entry is None or entry.kind != "file":
        raise entry_not_found(file_path, sha)
    headers = {
        "X-Repo-Commit": sha,
        "ETag": f'"{entry.oid}"',
        "Accept-Ranges": "bytes",
        "Content-Type": "application/octet-stream",
        "Cache-Control": _cache_control(unquote(rev) == sha, repo.meta.private),
    }
    if entry.lfs is not None:
        headers["X-Linked-Etag"] = f'"{entry.lfs.oid}"'
        headers["X-Linked-Size"] = str(entry.lfs.size)
        location = repo.store.lfs.path(entry.lfs.oid)
        if repo.store.lfs.size(entry.lfs.oid) != entry.lfs.size:
            message = f"LFS content of {file_path!r} is missing from the store"
            raise HubError(500, message, headers={"X-Repo-Commit": sha})
        span = _byte_range(request.headers.get("Range"), entry.size)
        if span is None:
            return Response(200, headers, file=(location, 0, entry.size))
        headers["Content-Range"] = f"bytes {span[0]}-{span[0] + span[1] - 1}/{entry.size}"
        return Response(206, headers, file=(location, span[0], span[1]))
    content = repo.read_blob(entry.oid)
    span = _byte_range(request.headers.get("Range"), len(content))
    if span is None:
        return Response(200, headers, content)
    headers["Content-Range"] = f"bytes {span[0]}-{span[0] + span[1] - 1}/{len(content)}"
    return Response(206, headers, content[span[0] : span[0] + span[1]])
