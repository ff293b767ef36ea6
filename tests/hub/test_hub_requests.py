"""The embedded Hub's answers to raw requests: error shapes, refusals, download headers, robustness."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import urllib.parse

import pytest

from hubtools import __version__
from hubtools.hub.server import running_hub


def ndjson(*items: dict) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def header(summary: str = "test", **extra: str) -> dict:
    return {"key": "header", "value": {"summary": summary, "description": "", **extra}}


def add(path: str, content: bytes) -> dict:
    return {
        "key": "file",
        "value": {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"},
    }


def git_blob_sha(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@pytest.fixture
def repo(hf_api, repo_name) -> str:
    repo_id = repo_name("raw")
    hf_api.create_repo(repo_id)
    return repo_id


def assert_error(reply, status: int, code: str | None = None) -> None:
    assert reply.status == status, reply.body
    assert reply.headers["X-Error-Message"]
    assert reply.json()["error"]
    if code:
        assert reply.headers["X-Error-Code"] == code


def test_hubtools_probe_and_expected_404(raw, hub):
    reply = raw("GET", "/api/hubtools")
    assert reply.json() == {"server": "hubtools", "version": __version__}
    assert raw("GET", "/api/agent-harnesses").status == 404
    assert hub.unknown_requests == []


def test_unknown_routes_are_404_and_recorded(raw, hub):
    reply = raw("GET", "/api/no-such-route?x=1")
    assert_error(reply, 404)
    assert raw("PATCH", "/api/repos/create").status == 404
    assert hub.unknown_requests == ["GET /api/no-such-route", "PATCH /api/repos/create"]
    hub.unknown_requests.clear()


def test_whoami_and_anonymous_writes(raw):
    reply = raw("GET", "/api/whoami-v2")
    assert reply.json()["name"] == "local"
    assert reply.json()["auth"]["accessToken"]["role"] == "write"
    assert raw("GET", "/api/whoami-v2", token=None).status == 401
    assert_error(raw("POST", "/api/repos/create", body={"name": "anon"}, token=None), 401)
    assert_error(raw("POST", "/api/repos/create", body={"name": "empty-token"}, token=""), 401)


@pytest.mark.parametrize("name", ["bad name", "a--b", "x.git", "-dash", "dots..", "a/b/c", "é"])
def test_invalid_repo_ids_are_refused(raw, name):
    assert_error(raw("POST", "/api/repos/create", body={"name": name}), 400)


def test_ids_without_namespace_do_not_exist(raw, hub):
    assert_error(raw("GET", "/api/models/gpt2"), 404, "RepoNotFound")
    assert_error(raw("GET", "/api/datasets/squad/revision/main"), 404, "RepoNotFound")
    assert_error(raw("GET", "/gpt2/resolve/main/config.json"), 404, "RepoNotFound")
    assert raw("HEAD", "/datasets/squad/resolve/main/README.md").status == 404
    assert hub.unknown_requests == []


def test_head_is_answered_wherever_get_is(raw, repo):
    reply = raw("HEAD", f"/api/models/{repo}")
    assert reply.status == 200 and reply.body == b"" and int(reply.headers["Content-Length"]) > 0


def test_invalid_repo_id_in_url_is_refused(raw):
    assert_error(raw("GET", "/api/models/%2E%2E/etc"), 400)
    assert_error(raw("GET", "/api/models/local/x%2Fy"), 400)


@pytest.mark.parametrize(
    "path",
    ["../escape.txt", "a/../../escape.txt", "/abs.txt", ".git/config", "sub/.git/HEAD", "dir\\file", "nul\0byte", ""],
)
def test_paths_escaping_the_repo_are_refused(raw, hub, repo, path):
    reply = raw("POST", f"/api/models/{repo}/commit/main", body=ndjson(header(), add(path, b"x")))
    assert_error(reply, 400, "BadRequest")
    reply = raw(
        "POST", f"/api/models/{repo}/preupload/main", body={"files": [{"path": path, "sample": "", "size": 1}]}
    )
    assert_error(reply, 400)
    assert not (hub.root.parent / "escape.txt").exists()


def test_download_paths_escaping_the_repo_are_refused(raw, repo):
    assert_error(raw("GET", f"/{repo}/resolve/main/..%2F..%2Fhubtools.json"), 400)
    assert_error(raw("GET", f"/{repo}/resolve/main/.git/config"), 400)
    assert_error(raw("GET", f"/api/models/{repo}/tree/main/..%2F.."), 400)


def test_malformed_bodies_are_refused(raw, repo):
    assert_error(raw("POST", "/api/repos/create", body="{not json"), 400)
    assert_error(raw("POST", "/api/repos/create", body="[1, 2]"), 400)
    commit = f"/api/models/{repo}/commit/main"
    assert_error(raw("POST", commit, body=b"not json\n"), 400)
    assert_error(raw("POST", commit, body=b""), 400)
    assert_error(raw("POST", commit, body=ndjson(add("a.txt", b"no header first"))), 400)
    assert_error(raw("POST", commit, body=ndjson(header(), {"key": "rename", "value": {"path": "a"}})), 400)
    bad_base64 = {"key": "file", "value": {"path": "a.txt", "content": "***", "encoding": "base64"}}
    assert_error(raw("POST", commit, body=ndjson(header(), bad_base64)), 400)
    never_uploaded = {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": "0" * 64, "size": 3}}
    assert_error(raw("POST", commit, body=ndjson(header(), never_uploaded)), 400)
    assert_error(raw("POST", commit, body=ndjson(header(parentCommit="nope"), add("a.txt", b"x"))), 400)
    assert_error(raw("POST", f"/api/models/{repo}/paths-info/main", body="paths=a&paths=%00"), 400)
    assert_error(raw("GET", f"/api/models/{repo}/tree/main?cursor=abc"), 400)
    assert_error(raw("POST", f"/api/models/{repo}/branch/bad..name", body={}), 400)
    assert_error(raw("POST", f"/api/models/{repo}/tag/main", body={"tag": "-x"}), 400)


def test_lfs_uploads_are_checked_against_their_oid(raw, repo):
    content = os.urandom(4096)
    oid = hashlib.sha256(content).hexdigest()
    batch_path = f"/{repo}.git/info/lfs/objects/batch"
    batch = {"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": len(content)}]}
    reply = raw("POST", batch_path, body=batch, headers={"Content-Type": "application/vnd.git-lfs+json"})
    assert reply.status == 200
    href = urllib.parse.urlsplit(reply.json()["objects"][0]["actions"]["upload"]["href"])
    upload_path = f"{href.path}?{href.query}"

    assert_error(raw("PUT", upload_path, body=os.urandom(4096), token=None), 400)  # wrong content
    assert_error(raw("PUT", upload_path, body=content[:100], token=None), 400)  # wrong size
    assert_error(raw("PUT", href.path, body=content, token=None), 403)  # unsigned
    assert_error(raw("PUT", upload_path.replace("sig=", "sig=0"), body=content, token=None), 403)

    chunks = [content[:1000], content[1000:]]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"
    reply = raw("PUT", upload_path, body=chunked, token=None, headers={"Transfer-Encoding": "chunked"})
    assert reply.status == 200, reply.body

    reply = raw("POST", batch_path, body=batch)
    assert "actions" not in reply.json()["objects"][0]  # stored: nothing left to upload
    lfs_file = {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": oid, "size": len(content)}}
    assert raw("POST", f"/api/models/{repo}/commit/main", body=ndjson(header(), lfs_file)).status == 200
    assert raw("GET", f"/{repo}/resolve/main/w.bin").body == content

    wrong_size = {**lfs_file, "value": {**lfs_file["value"], "size": 1}}
    assert_error(raw("POST", f"/api/models/{repo}/commit/main", body=ndjson(header(), wrong_size)), 400)
    assert_error(raw("POST", batch_path, body={"operation": "upload", "objects": [{"oid": "xyz", "size": 1}]}), 400)
    assert_error(raw("POST", batch_path, body={"operation": "download", "objects": []}), 400)


def test_download_headers_and_ranges(hf_api, raw, repo):
    text = b"0123456789abcdef"
    binary = os.urandom(5000)
    hf_api.upload_file(path_or_fileobj=text, path_in_repo="dir/text.txt", repo_id=repo)
    commit = hf_api.upload_file(path_or_fileobj=binary, path_in_repo="weights.safetensors", repo_id=repo).oid

    head = raw("HEAD", f"/{repo}/resolve/main/dir/text.txt")
    assert head.status == 200 and head.body == b""
    assert head.headers["X-Repo-Commit"] == commit
    assert head.headers["ETag"] == f'"{git_blob_sha(text)}"'
    assert head.headers["Content-Length"] == str(len(text))
    assert head.headers["Accept-Ranges"] == "bytes"
    assert "X-Linked-Etag" not in head.headers

    head = raw("HEAD", f"/{repo}/resolve/{commit}/weights.safetensors")
    assert head.headers["X-Linked-Etag"] == f'"{hashlib.sha256(binary).hexdigest()}"'
    assert head.headers["X-Linked-Size"] == head.headers["Content-Length"] == str(len(binary))
    assert len(head.headers["ETag"].strip('"')) == 40

    part = raw("GET", f"/{repo}/resolve/main/weights.safetensors", headers={"Range": "bytes=100-199"})
    assert part.status == 206 and part.body == binary[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(binary)}"
    assert raw("GET", f"/{repo}/resolve/main/dir/text.txt", headers={"Range": "bytes=-4"}).body == b"cdef"
    assert raw("GET", f"/{repo}/resolve/main/dir/text.txt", headers={"Range": "bytes=10-"}).body == b"abcdef"
    unsatisfiable = raw("GET", f"/{repo}/resolve/main/dir/text.txt", headers={"Range": "bytes=99-"})
    assert unsatisfiable.status == 416 and unsatisfiable.headers["Content-Range"] == f"bytes */{len(text)}"

    missing = raw("HEAD", f"/{repo}/resolve/main/absent.txt")
    assert missing.status == 404 and missing.headers["X-Error-Code"] == "EntryNotFound"
    assert missing.headers["X-Repo-Commit"] == commit
    assert_error(raw("GET", f"/{repo}/resolve/main/dir"), 404, "EntryNotFound")
    assert_error(raw("GET", f"/{repo}/resolve/nope/dir/text.txt"), 404, "RevisionNotFound")
    assert_error(raw("GET", f"/{repo}/resolve/{'0' * 40}/dir/text.txt"), 404, "RevisionNotFound")
    assert_error(raw("GET", f"/{repo}-absent/resolve/main/dir/text.txt"), 404, "RepoNotFound")
    assert_error(raw("GET", f"/datasets/{repo}/resolve/main/dir/text.txt"), 404, "RepoNotFound")


def test_exist_ok_conflict_still_carries_the_url(raw, repo):
    reply = raw("POST", "/api/repos/create", body={"name": repo.split("/")[1], "organization": "local"})
    assert_error(reply, 409)
    assert reply.json()["url"].endswith(f"/{repo}")


def test_keep_alive_connection_survives_errors(hub, hub_token, repo, send_raw):
    send = send_raw
    parsed = urllib.parse.urlsplit(hub.url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        for _ in range(2):
            bad = send(hub.url, "POST", "/api/repos/create", body="{oops", token=hub_token, connection=connection)
            assert bad.status == 400
            unread = send(hub.url, "POST", "/api/whoami-v2", body=b"x" * 10_000, connection=connection)
            assert unread.status == 404  # body left unread by the router: drained, connection reusable
            good = send(hub.url, "GET", f"/api/models/{repo}", token=hub_token, connection=connection)
            assert good.status == 200
    finally:
        connection.close()
    hub.unknown_requests.clear()


def test_unexpected_errors_answer_500_and_the_server_keeps_running(tmp_path, monkeypatch, capsys, send_raw):
    send = send_raw
    with running_hub(tmp_path / "hub") as server:

        def broken(*args, **kwargs):
            raise RuntimeError("simulated bug")

        monkeypatch.setattr(server.store, "get", broken)
        reply = send(server.url, "GET", "/api/models/local/anything")
        assert reply.status == 500 and "RuntimeError" in reply.json()["error"]
        assert send(server.url, "GET", "/api/hubtools").status == 200
        send(server.url, "GET", "/definitely/unknown")
        assert server.unknown_requests == ["GET /definitely/unknown"]
    logged = capsys.readouterr().err
    assert "simulated bug" in logged and "unknown route: GET /definitely/unknown" in logged


def test_malformed_http_gets_a_json_error(hub):
    parsed = urllib.parse.urlsplit(hub.url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        connection.putrequest("POST", "/api/repos/create")
        connection.putheader("Content-Length", "nope")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 400
        assert "error" in json.loads(response.read())
    finally:
        connection.close()


def test_preupload_decides_lfs_like_the_hub_and_reports_existing_oids(hf_api, raw, repo):
    text = b"hello\n"
    hf_api.upload_file(path_or_fileobj=text, path_in_repo="known.txt", repo_id=repo)
    cut_in_utf8 = ("é" * 300).encode()[:512]  # a 2-byte character cut by the 512-byte sample

    def sample(data: bytes) -> str:
        return base64.b64encode(data[:512]).decode()

    files = [
        {"path": "small.txt", "sample": sample(b"text"), "size": 4},
        {"path": "big.txt", "sample": sample(b"text"), "size": 11 * 1024 * 1024},
        {"path": "data/x.parquet", "sample": sample(b"PAR1"), "size": 4},
        {"path": "Model.SafeTensors", "sample": sample(b"{}"), "size": 2},
        {"path": "blob", "sample": sample(b"\x00\x01\x02"), "size": 3},
        {"path": "latin1.txt", "sample": sample("café".encode("latin-1")), "size": 4},
        {"path": "accents.txt", "sample": sample(cut_in_utf8), "size": 600},
        {"path": "empty.bin", "sample": "", "size": 0},
        {"path": "known.txt", "sample": sample(text), "size": len(text)},
    ]
    reply = raw("POST", f"/api/models/{repo}/preupload/main", body={"files": files})
    answers = {item["path"]: item for item in reply.json()["files"]}
    modes = {path: item["uploadMode"] for path, item in answers.items()}
    assert modes == {
        "small.txt": "regular",
        "big.txt": "lfs",
        "data/x.parquet": "lfs",
        "Model.SafeTensors": "lfs",
        "blob": "lfs",
        "latin1.txt": "lfs",
        "accents.txt": "regular",
        "empty.bin": "regular",
        "known.txt": "regular",
    }
    assert all(item["shouldIgnore"] is False for item in answers.values())
    assert answers["known.txt"]["oid"] == git_blob_sha(text)
    assert "oid" not in answers["small.txt"]
