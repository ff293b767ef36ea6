"""Repo-level routes: whoami, create/delete/settings, repo info, tree, paths-info, refs, commits, branches, tags."""

from __future__ import annotations

import urllib.parse
from typing import Any

from hubtools.hub._context import RouteHub
from hubtools.hub._errors import HubError, bad_request, conflict, unauthorized
from hubtools.hub._http import LIST_LIMIT, Request, Response, iso, json_response, unquote
from hubtools.hub._names import SPACE_SDKS, URL_PREFIXES, check_path, check_repo_id, repo_type_from_body
from hubtools.hub.storage import Repo


def whoami(hub: RouteHub, request: Request) -> Response:
    """The caller and their organizations, in huggingface.co's shape."""
    user = request.user
    if user is None:
        raise unauthorized("A token is required (Authorization: Bearer ...)")
    orgs = [
        {
            "type": "org",
            "id": org,
            "name": org,
            "fullname": org,
            "email": None,
            "canPay": False,
            "periodEnd": None,
            "avatarUrl": "",  # present on huggingface.co; Gradio's local sign-in reads it
            "roleInOrg": "write",
            "isEnterprise": False,
        }
        for org in user.orgs
    ]
    return json_response(
        {
            "type": "user",
            "id": user.name,
            "name": user.name,
            "fullname": user.name,
            "email": None,
            "emailVerified": False,
            "canPay": False,
            "periodEnd": None,
            "isPro": False,
            "avatarUrl": "",  # present on huggingface.co; Gradio's local sign-in reads it
            "orgs": orgs,
            "auth": {"type": "access_token", "accessToken": {"displayName": "hubtools", "role": "write"}},
        }
    )


def no_namespace(hub: RouteHub, request: Request, *groups: str | None) -> Response:
    name = unquote(next(group for group in groups if group and group not in ("datasets", "spaces", "models")))
    raise HubError(404, f"Repository not found: {name!r} (repo ids are 'namespace/name')", code="RepoNotFound")


def _body_repo(request: Request, body: dict[str, Any], default_namespace: str) -> tuple[str, str]:
    name, organization = body.get("name"), body.get("organization") or default_namespace
    if not isinstance(name, str) or not isinstance(organization, str):
        raise bad_request("'name' (and 'organization' if given) must be strings")
    repo_id = name if "/" in name else f"{organization}/{name}"
    return repo_type_from_body(body.get("type")), check_repo_id(repo_id)


def create_repo(hub: RouteHub, request: Request) -> Response:
    user = hub.require_user(request)
    body = request.json_object()
    repo_type, repo_id = _body_repo(request, body, user.name)
    hub.require_owner(request, repo_type, repo_id)
    url = f"{request.base_url}/{URL_PREFIXES[repo_type]}{repo_id}"
    visibility = body.get("visibility")
    private = visibility == "private" if visibility is not None else bool(body.get("private", False))
    if visibility not in (None, "public", "private", "protected"):
        raise bad_request(f"Invalid visibility {visibility!r}")
    sdk = body.get("sdk")
    if repo_type == "space":
        if sdk not in SPACE_SDKS:
            raise bad_request(f"Invalid or missing sdk {sdk!r} for a Space: expected one of {', '.join(SPACE_SDKS)}")
    else:
        sdk = None
    try:
        hub.store.create(repo_type, repo_id, private=private, sdk=sdk, who=hub.identity(request))
    except HubError as error:
        if error.status == 409:
            raise conflict("You already created this repo", url=url) from None
        raise
    return json_response({"url": url, "name": repo_id, "id": repo_id})


def delete_repo(hub: RouteHub, request: Request) -> Response:
    user = hub.require_user(request)
    repo_type, repo_id = _body_repo(request, request.json_object(), user.name)
    namespace, name = repo_id.split("/")
    hub.repo_for_write(request, f"{repo_type}s", namespace, name)
    hub.store.delete(repo_type, repo_id)
    return json_response({})


def move_repo(hub: RouteHub, request: Request) -> Response:
    """Rename or transfer a repo: the caller must own both the source and the target namespace."""
    hub.require_user(request)
    body = request.json_object()
    source, target = body.get("fromRepo"), body.get("toRepo")
    if not isinstance(source, str) or not isinstance(target, str):
        raise bad_request("'fromRepo' and 'toRepo' must be repo ids ('namespace/name')")
    repo_type = repo_type_from_body(body.get("type"))
    source_id, target_id = check_repo_id(source), check_repo_id(target)
    namespace, name = source_id.split("/")
    hub.repo_for_write(request, f"{repo_type}s", namespace, name)
    hub.require_owner(request, repo_type, target_id)
    hub.store.move(repo_type, source_id, target_id)
    return json_response({})


def auth_check(
    hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, write: str | None = None
) -> Response:
    """200 when the caller may read (or, with `/write`, write) the repo; otherwise the error the access would get."""
    if write:
        hub.repo_for_write(request, url_type, namespace, name)
    else:
        hub.check_gate(request, hub.repo_for_read(request, url_type, namespace, name))
    return json_response({})


def update_settings(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str) -> Response:
    repo = hub.repo_for_write(request, url_type, namespace, name)
    body = request.json_object()
    unknown = sorted(set(body) - {"visibility", "private", "gated"})
    if unknown:  # refuse, rather than answer 200 and drop the setting
        raise bad_request(f"Repo setting {unknown[0]!r} is not supported by the embedded Hub")
    if "gated" in body:
        if body["gated"] not in (False, "auto", "manual"):
            raise bad_request(f"Invalid gated value {body['gated']!r}: expected false, 'auto' or 'manual'")
        repo.set_gated(body["gated"])
    visibility = body.get("visibility")
    if visibility is not None:
        if visibility not in ("public", "private", "protected"):
            raise bad_request(f"Invalid visibility {visibility!r}")
        repo.set_private(visibility == "private")
    elif "private" in body:
        repo.set_private(bool(body["private"]))
    return json_response({})


def repo_info(
    hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, rev: str | None = None
) -> Response:
    repo = hub.repo_for_read(request, url_type, namespace, name)
    sha = repo.resolve(unquote(rev) if rev else "main")
    tree = repo.tree(sha)
    card = repo.card_data(sha) or {}
    tags = card.get("tags") or []
    meta = repo.meta
    data: dict[str, Any] = {
        "_id": f"{meta.repo_type}/{meta.repo_id}",
        "id": meta.repo_id,
        "author": meta.repo_id.split("/")[0],
        "sha": sha,
        "lastModified": iso(repo.commit_time(sha)),
        "createdAt": iso(meta.created_at),
        "private": meta.private,
        "gated": meta.gated,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": [str(tag) for tag in tags] if isinstance(tags, list) else [str(tags)],
        "siblings": [entry.to_sibling(request.flag("blobs")) for entry in tree.files()],
        "usedStorage": sum(entry.size for entry in tree.files()),
    }
    if card:
        data["cardData"] = card
    if meta.repo_type == "model":
        data.update(modelId=meta.repo_id, library_name=card.get("library_name"), pipeline_tag=card.get("pipeline_tag"))
    elif meta.repo_type == "space":
        data["sdk"] = card.get("sdk") or meta.sdk
    expand = request.params("expand", "expand[]")
    if expand:
        data = {key: value for key, value in data.items() if key in ("_id", "id", *expand)}
    return json_response(data)


def _page(request: Request, name: str) -> int:
    value = request.param(name, "0") or "0"
    if not value.isdigit():
        raise bad_request(f"Invalid {name} {value!r}")
    return int(value)


def tree(
    hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, rev: str, path: str | None = None
) -> Response:
    repo = hub.repo_for_read(request, url_type, namespace, name)
    sha = repo.resolve(unquote(rev))
    folder = check_path("/".join(unquote(part) for part in (path or "").split("/")), allow_root=True)
    recursive, expand = request.flag("recursive"), request.flag("expand")
    entries = repo.tree(sha).listing(folder, recursive)
    size = hub.tree_expand_page_size if expand else hub.tree_page_size
    start = _page(request, "cursor")
    page = entries[start : start + size]
    items = [entry.to_json() for entry in page]
    if expand:
        for item in items:
            item["lastCommit"] = _last_commit(repo, sha, item["path"])
    headers = {}
    if start + size < len(entries):
        query = urllib.parse.urlencode({"recursive": recursive, "expand": expand, "cursor": start + size})
        location = f"{sha}/{urllib.parse.quote(folder, safe='')}" if folder else sha
        next_url = f"{request.base_url}/api/{url_type}/{namespace}/{name}/tree/{location}?{query}"
        headers["Link"] = f'<{next_url}>; rel="next"'
    return json_response(items, headers=headers)


def _last_commit(repo: Repo, sha: str, path: str) -> dict[str, Any] | None:
    entry = repo.git.run("log", "-1", "--format=%H%x1f%ct%x1f%s", sha, "--", path).stdout.decode().strip()
    if not entry:
        return None
    commit, timestamp, title = entry.split("\x1f", 2)
    return {"id": commit, "title": title, "date": iso(int(timestamp))}


def paths_info(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, rev: str) -> Response:
    repo = hub.repo_for_read(request, url_type, namespace, name)
    sha = repo.resolve(unquote(rev))
    form = request.form_or_json(LIST_LIMIT)
    expand = str((form.get("expand") or ["false"])[-1]).lower() in ("1", "true")
    snapshot = repo.tree(sha)
    items = []
    for path in form.get("paths", []):
        entry = snapshot.get(check_path(path, allow_root=True))
        if entry is not None:
            item = entry.to_json()
            if expand:
                item["lastCommit"] = _last_commit(repo, sha, entry.path)
            items.append(item)
    return json_response(items)


def _ref_item(name: str, ref: str, target: str) -> dict[str, str]:
    return {"name": name, "ref": ref, "targetCommit": target}


def refs(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str) -> Response:
    repo = hub.repo_for_read(request, url_type, namespace, name)
    data: dict[str, list[dict[str, str]]] = {"branches": [], "converts": [], "tags": [], "pullRequests": []}
    for ref, target in sorted(repo.refs().items()):
        if ref.startswith("refs/heads/"):
            data["branches"].append(_ref_item(ref.removeprefix("refs/heads/"), ref, target))
        elif ref.startswith("refs/tags/"):
            data["tags"].append(_ref_item(ref.removeprefix("refs/tags/"), ref, target))
        elif ref.startswith("refs/pr/"):
            data["pullRequests"].append(_ref_item(ref, ref, target))
    if not request.flag("include_prs"):
        del data["pullRequests"]
    return json_response(data)


def commits(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, rev: str) -> Response:
    repo = hub.repo_for_read(request, url_type, namespace, name)
    sha = repo.resolve(unquote(rev))
    page, size = _page(request, "p"), hub.commits_page_size
    entries = repo.log(sha, page * size, size + 1)
    items = []
    for entry in entries[:size]:
        title, _, message = entry.message.strip("\n").partition("\n")
        item = {
            "id": entry.sha,
            "title": title,
            "message": message.strip("\n"),
            "date": iso(entry.timestamp),
            "authors": [{"user": entry.author, "avatar": None}],
        }
        if "formatted" in request.params("expand", "expand[]"):
            item["formatted"] = {"title": item["title"], "message": item["message"]}
        items.append(item)
    headers = {}
    if len(entries) > size:
        query = urllib.parse.urlencode({"p": page + 1})
        headers["Link"] = f'<{request.base_url}/api/{url_type}/{namespace}/{name}/commits/{sha}?{query}>; rel="next"'
    return json_response(items, headers=headers)


def create_branch(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, branch: str) -> Response:
    repo = hub.repo_for_write(request, url_type, namespace, name)
    body = request.json_object()
    if body.get("emptyBranch"):
        raise bad_request("emptyBranch is not supported by the embedded Hub")
    start = body.get("startingPoint") or "main"
    if not isinstance(start, str):
        raise bad_request("'startingPoint' must be a string")
    repo.create_branch(unquote(branch), repo.resolve(start))
    return json_response({})


def delete_branch(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, branch: str) -> Response:
    hub.repo_for_write(request, url_type, namespace, name).delete_branch(unquote(branch))
    return json_response({})


def create_tag(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, rev: str) -> Response:
    repo = hub.repo_for_write(request, url_type, namespace, name)
    body = request.json_object()
    tag, message = body.get("tag"), body.get("message")
    if not isinstance(tag, str) or not (message is None or isinstance(message, str)):
        raise bad_request("'tag' must be a string (and 'message' a string if given)")
    repo.create_tag(tag, repo.resolve(unquote(rev)), message, hub.identity(request))
    return json_response({})


def delete_tag(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, tag: str) -> Response:
    hub.repo_for_write(request, url_type, namespace, name).delete_tag(unquote(tag))
    return json_response({})


def super_squash(hub: RouteHub, request: Request, url_type: str, namespace: str, name: str, branch: str) -> Response:
    repo = hub.repo_for_write(request, url_type, namespace, name)
    message = request.json_object().get("message") or f"Super-squash branch '{unquote(branch)}'"
    if not isinstance(message, str):
        raise bad_request("'message' must be a string")
    return json_response({"commitId": repo.squash(unquote(branch), message, hub.identity(request))})


def space_variables(hub: RouteHub, request: Request, namespace: str, name: str) -> Response:
    """GET lists, POST `{key, value, description?}` sets, DELETE `{key}` removes; each answers the whole set."""
    repo = hub.repo_for_write(request, "spaces", namespace, name)
    if request.method != "GET":
        body = request.json_object()
        key, value, description = body.get("key"), body.get("value"), body.get("description")
        if not isinstance(key, str) or not key:
            raise bad_request("'key' must be a non-empty string")
        if request.method == "DELETE":
            repo.delete_variable(key)
        elif not isinstance(value, str) or not (description is None or isinstance(description, str)):
            raise bad_request("'value' must be a string (and 'description' a string if given)")
        else:
            repo.set_variable(key, value, description, iso(hub.identity(request).timestamp))
    return json_response(repo.meta.variables)
