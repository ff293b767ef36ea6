"""Write routes: validate-yaml, preupload, the LFS batch API and its upload URL, and the NDJSON commit."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from hubtools.hub._card_rules import validate_card
from hubtools.hub._cards import parse_front_matter
from hubtools.hub._context import RouteHub
from hubtools.hub._errors import HubError, bad_request
from hubtools.hub._gitignore import GitIgnore
from hubtools.hub._http import COMMIT_LIMIT, LIST_LIMIT, BodyError, Request, Response, json_response, unquote
from hubtools.hub._names import REPO_TYPES, check_path
from hubtools.hub._operations import AddFile, AddLfsFile, DeleteFile, DeleteFolder, Operation
from hubtools.hub._tree import Tree
from hubtools.hub.lfs import Pointer, check_oid, lfs_patterns, upload_mode
from hubtools.hub.storage import Repo

LFS_MEDIA_TYPE = "application/vnd.git-lfs+json"


def validate_yaml(hub: RouteHub, request: Request) -> Response:
    body = request.json_object(LIST_LIMIT)
    content, repo_type = body.get("content"), body.get("repoType") or "model"
    if not isinstance(content, str):
        raise bad_request("'content' must be a string")
    if repo_type not in REPO_TYPES:
        raise bad_request(f"Invalid repoType {repo_type!r}: expected one of {', '.join(REPO_TYPES)}")
    data, error = parse_front_matter(content)
    errors, warnings = ([error], []) if error else validate_card(data, repo_type)
    if errors:
        answer = {"errors": [{"message": message} for message in errors], "warnings": []}
        raise HubError(400, "; ".join(errors)[:2000], code="BadRequest", body=answer)
    return json_response({"errors": [], "warnings": [{"message": message} for message in warnings]})


def _decode_sample(value: object) -> bytes:
    if not isinstance(value, str):
        raise bad_request("'sample' must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("'sample' is not valid base64") from None


def _gitignore(repo: Repo, snapshot: Tree, sent: object) -> GitIgnore | None:
    """The rules that apply: the `.gitignore` the client is committing (`gitIgnore`), else the repo's own."""
    if sent is not None:
        if not isinstance(sent, str):
            raise bad_request("'gitIgnore' must be a string")
        return GitIgnore(sent)
    entry = snapshot.get(".gitignore")
    if entry is None or entry.kind != "file" or entry.lfs is not None or entry.size > 1024 * 1024:
        return None
    return GitIgnore(repo.read_blob(entry.oid).decode("utf-8", errors="replace"))


def preupload(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, rev: str) -> Response:
    repo = hub.repo_for_write(request, url_type, namespace, name)
    sha = repo.resolve(unquote(rev))
    body = request.json_object(LIST_LIMIT)
    files = body.get("files")
    if not isinstance(files, list) or not all(isinstance(item, dict) for item in files):
        raise bad_request("'files' must be a list of objects")
    snapshot = repo.tree(sha)
    ignore = _gitignore(repo, snapshot, body.get("gitIgnore"))
    attributes = snapshot.get(".gitattributes")
    patterns = lfs_patterns(repo.read_blob(attributes.oid).decode(errors="replace")) if attributes else []
    answers = []
    for item in files:
        path = check_path(item.get("path"))
        size = item.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad_request(f"Invalid size for {path!r}")
        answer: dict[str, Any] = {
            "path": path,
            "uploadMode": upload_mode(path, size, _decode_sample(item.get("sample", "")), patterns),
            "shouldIgnore": ignore is not None and ignore.ignores(path),
        }
        existing = snapshot.get(path)
        if existing is not None and existing.kind == "file":
            answer["oid"] = existing.lfs.oid if existing.lfs else existing.oid
        answers.append(answer)
    return json_response({"files": answers, "commitOid": sha})


def lfs_batch(hub: RouteHub, request: Request, prefix: str | None, namespace: str, name: str) -> Response:
    repo = hub.repo_for_write(request, (prefix or "models"), namespace, name)
    body = request.json_object(LIST_LIMIT)
    if body.get("operation") != "upload":
        raise bad_request("Only the LFS 'upload' operation is supported; download files through /resolve")
    if body.get("hash_algo", "sha256") != "sha256":
        raise bad_request("Only sha256 is supported as LFS hash_algo")
    objects = body.get("objects")
    if not isinstance(objects, list) or not all(isinstance(item, dict) for item in objects):
        raise bad_request("'objects' must be a list of {oid, size}")
    answers = []
    for item in objects:
        oid, size = check_oid(item.get("oid")), item.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad_request(f"Invalid size for LFS object {oid}")
        answer: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
        if not repo.store.lfs.has(oid, size):
            href = f"{request.base_url}/api/hubtools/lfs/{oid}?{repo.store.lfs.sign(oid, size)}"
            answer["actions"] = {"upload": {"href": href, "expires_in": 3600}}
        answers.append(answer)
    data = json.dumps({"transfer": "basic", "objects": answers, "hash_algo": "sha256"}).encode()
    return Response(200, {"Content-Type": LFS_MEDIA_TYPE}, data)


def lfs_upload(hub: RouteHub, request: Request, oid: str) -> Response:
    """The PUT target of a batch answer: no credentials, so the URL signature and the body's sha256 decide."""
    size = hub.store.lfs.check_signature(
        oid, request.param("size", "") or "", request.param("expires", "") or "", request.param("sig", "") or ""
    )
    declared = request.headers.get("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) != size:
        raise bad_request(f"LFS upload announces {declared} bytes, the upload URL is for {size}")
    try:
        hub.store.lfs.receive(oid, size, request.iter_body())
    except BodyError as error:
        raise error.to_hub_error() from None
    return Response(200, {"Content-Type": "text/plain"}, b"")


def _parse_ndjson(hub: RouteHub, data: bytes) -> tuple[dict[str, Any], list[Operation]]:
    header: dict[str, Any] | None = None
    operations: list[Operation] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (ValueError, UnicodeDecodeError) as error:
            raise bad_request(f"Malformed NDJSON line {number}: {error}") from None
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise bad_request(f"Malformed NDJSON line {number}: expected {{key, value}}")
        key, value = item.get("key"), item["value"]
        if key == "header":
            if header is not None or operations:
                raise bad_request("The commit header must come once, first")
            header = value
        elif header is None:
            raise bad_request("The first NDJSON line must be the commit header")
        else:
            operations.append(_operation(hub, key, value, number))
    if header is None:
        raise bad_request("Empty commit payload: expected a header line")
    return header, operations


def _operation(hub: RouteHub, key: object, value: dict[str, Any], number: int) -> Operation:
    if key == "file":
        path = check_path(value.get("path"))
        content, encoding = value.get("content"), value.get("encoding")
        if not isinstance(content, str):
            raise bad_request(f"Line {number}: 'content' must be a string")
        if encoding == "base64":
            try:
                return AddFile(path, base64.b64decode(content, validate=True))
            except (binascii.Error, ValueError):
                raise bad_request(f"Line {number}: content of {path!r} is not valid base64") from None
        if encoding in (None, "utf-8"):
            return AddFile(path, content.encode())
        raise bad_request(f"Line {number}: unknown encoding {encoding!r}")
    if key == "lfsFile":
        path = check_path(value.get("path"))
        if value.get("algo", "sha256") != "sha256":
            raise bad_request(f"Line {number}: only sha256 LFS files are supported")
        oid = check_oid(value.get("oid"))
        stored = hub.store.lfs.size(oid)
        if stored is None:
            raise bad_request(f"Line {number}: LFS object {oid} for {path!r} was not uploaded")
        size = value.get("size", stored)
        if size != stored:
            raise bad_request(f"Line {number}: LFS object {oid} has size {stored}, not {size}")
        return AddLfsFile(path, Pointer(oid, stored))
    if key == "deletedFile":
        return DeleteFile(check_path(value.get("path")))
    if key == "deletedFolder":
        path = value.get("path")
        return DeleteFolder(check_path(path.rstrip("/") if isinstance(path, str) else path))
    raise bad_request(f"Line {number}: unsupported operation {key!r}")


def commit(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, rev: str) -> Response:
    repo = hub.repo_for_write(request, url_type, namespace, name)
    header, operations = _parse_ndjson(hub, request.body(COMMIT_LIMIT))
    summary, description = header.get("summary"), header.get("description") or ""
    parent = header.get("parentCommit")
    if not isinstance(summary, str) or not summary.strip() or not isinstance(description, str):
        raise bad_request("The commit header needs a non-empty 'summary' (and 'description' must be a string)")
    if parent is not None and (not isinstance(parent, str) or len(parent) != 40):
        raise bad_request(f"Invalid parentCommit {parent!r}: expected a full commit sha")
    message = summary.strip() + (f"\n\n{description.strip()}" if description.strip() else "") + "\n"
    ref = repo.branch_ref(unquote(rev))
    create_pr = request.flag("create_pr")
    sha, moved = repo.commit(ref, operations, message, hub.identity(request), parent=parent, create_pr=create_pr)
    pr_url = None
    if create_pr:
        pr_url = f"{request.base_url}/{repo.url_path}/discussions/{moved.rsplit('/', 1)[1]}"
    return json_response(
        {
            "success": True,
            "commitOid": sha,
            "commitUrl": f"{request.base_url}/{repo.url_path}/commit/{sha}",
            "commitMessage": summary,
            "hookOutput": "",
            "pullRequestUrl": pr_url,
        }
    )
