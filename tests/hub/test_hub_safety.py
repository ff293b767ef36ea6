"""The embedded Hub under abuse: YAML bombs, huge or stalled bodies, idle connections, odd tokens and names.

Every test bounds its own time (socket timeouts) and, where it matters, its memory (peak RSS of this process,
which runs the server).
"""

from __future__ import annotations

import base64
import http.client
import json
import resource
import socket
import threading
import time
import urllib.parse

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download

from hubtools.hub.server import HubServer, running_hub


def _billion_laughs() -> str:
    """Nine levels of nine aliases each: 9**9 strings once expanded, from well under 1 KB of YAML."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(8):
        name, previous = chr(98 + level), chr(97 + level)
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "---\n" + "\n".join(lines) + "\n---\n# bomb\n"


BOMB = _billion_laughs()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _connect(url: str, timeout: float = 30) -> http.client.HTTPConnection:
    parsed = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)


def _raw_commit(raw, repo: str, path: str, content: bytes) -> None:
    lines = [
        {"key": "header", "value": {"summary": "add", "description": ""}},
        {"key": "file", "value": {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"}},
    ]
    body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    assert raw("POST", f"/api/models/{repo}/commit/main", body=body).status == 200


def test_yaml_bomb_in_a_card_neither_grows_nor_stalls_the_server(hf_api, raw, repo_name):
    assert len(BOMB) < 1024
    repo = repo_name("bomb")
    hf_api.create_repo(repo)
    _raw_commit(raw, repo, "README.md", BOMB.encode())  # raw: the client would have validated it first
    before = _peak_rss_mb()
    info = HfApi(endpoint=hf_api.endpoint, token=hf_api.token, library_name="t").model_info(repo, timeout=30)
    assert info.card_data is None or not dict(info.card_data)
    reply = raw("POST", "/api/validate-yaml", body={"content": BOMB, "repoType": "model"})
    assert reply.status == 400 and "aliases" in reply.json()["errors"][0]["message"]
    deep = "---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n"
    assert raw("POST", "/api/validate-yaml", body={"content": deep, "repoType": "model"}).status == 400
    assert _peak_rss_mb() - before < 200


def test_plain_anchors_without_aliases_still_parse(raw):
    reply = raw("POST", "/api/validate-yaml", body={"content": "---\nlicense: &l mit\n---\n", "repoType": "model"})
    assert reply.status == 200


def test_non_ascii_and_oversized_tokens_are_401_not_500(hub):
    for token in ("tökén-ü", "x" * 10_000):
        connection = _connect(hub.url)
        try:
            connection.putrequest("GET", "/api/whoami-v2")
            connection.putheader("Authorization", f"Bearer {token}".encode("latin-1"))
            connection.endheaders()
            response = connection.getresponse()
            assert response.status == 401
            assert response.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
            response.read()
        finally:
            connection.close()


def test_private_files_by_commit_are_not_publicly_cacheable(hf_api, raw, repo_name):
    public, private = repo_name("pub"), repo_name("priv")
    hf_api.create_repo(public)
    hf_api.create_repo(private, private=True)
    for repo in (public, private):
        sha = hf_api.upload_file(path_or_fileobj=b"x\n", path_in_repo="f.txt", repo_id=repo).oid
        control = raw("HEAD", f"/{repo}/resolve/{sha}/f.txt").headers["Cache-Control"]
        assert ("public" in control) == (repo == public), control
        assert "immutable" in control
        assert "public" not in raw("HEAD", f"/{repo}/resolve/main/f.txt").headers["Cache-Control"]


def test_bodies_are_capped_per_route_before_they_are_read(hub, hub_token, hf_api, repo_name):
    """A huge Content-Length is refused at once (no byte read, no wait); the connection is then closed."""
    repo = repo_name("caps")
    hf_api.create_repo(repo)
    cases = [
        ("/api/validate-yaml", None, 413),  # anonymous, JSON route: capped in kilobytes
        ("/api/repos/create", hub_token, 413),
        (f"/api/models/{repo}/commit/main", None, 401),  # authentication comes before the body
        (f"/api/models/{repo}-absent/commit/main", hub_token, 404),
    ]
    for path, token, status in cases:
        connection = _connect(hub.url, timeout=10)
        try:
            connection.putrequest("POST", path)
            connection.putheader("Content-Length", str(2 * 1024**3))
            connection.putheader("Content-Type", "application/json")
            if token:
                connection.putheader("Authorization", f"Bearer {token}")
            connection.endheaders()
            connection.send(b'{"content": "')  # and then nothing more
            response = connection.getresponse()
            assert response.status == status, path
            assert response.headers.get("Connection") == "close"
        finally:
            connection.close()


def test_endless_chunked_body_is_cut_off(hub):
    connection = _connect(hub.url, timeout=30)
    try:
        connection.putrequest("POST", "/api/validate-yaml")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.putheader("Content-Type", "application/json")
        connection.endheaders()
        chunk = b"x" * 65536
        try:
            for _ in range(1000):  # 64 MB at most: far past the route's cap
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server answered and closed while we were still sending
        response = connection.getresponse()
        assert response.status == 413
    finally:
        connection.close()


def test_idle_connections_do_not_block_others_and_stalled_bodies_time_out(tmp_path):
    server = HubServer(tmp_path / "hub", tokens=["t"], user="alice")
    server.limits.read_timeout = 3.0
    server.start()
    idle: list[socket.socket] = []
    try:
        parsed = urllib.parse.urlsplit(server.url)
        for _ in range(200):
            idle.append(socket.create_connection((parsed.hostname, parsed.port), timeout=10))
        connection = _connect(server.url, timeout=10)  # a normal request answers while all of them are open
        try:
            connection.request("GET", "/api/whoami-v2", headers={"Authorization": "Bearer t"})
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["name"] == "alice"
        finally:
            connection.close()

        half = socket.create_connection((parsed.hostname, parsed.port), timeout=30)
        idle.append(half)
        half.sendall(
            b"POST /api/repos/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 1000\r\n\r\n{"
        )  # promises 1000 bytes, sends 1
        answer = half.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_connections_beyond_the_cap_get_503_and_service_resumes(tmp_path):
    server = HubServer(tmp_path / "hub")
    server.limits.max_connections = 4
    server.start()
    parsed = urllib.parse.urlsplit(server.url)
    idle = [socket.create_connection((parsed.hostname, parsed.port), timeout=10) for _ in range(4)]
    try:
        deadline = time.monotonic() + 10
        while server.open_connections < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        extra = socket.create_connection((parsed.hostname, parsed.port), timeout=10)
        assert extra.recv(4096).startswith(b"HTTP/1.1 503")
        extra.close()
    finally:
        for sock in idle:
            sock.close()
    try:
        deadline = time.monotonic() + 10
        while server.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        connection = _connect(server.url, timeout=10)
        connection.request("GET", "/api/hubtools")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        server.stop()


def test_open_mode_refuses_non_loopback_addresses(tmp_path):
    with pytest.raises(ValueError, match="without tokens"):
        HubServer(tmp_path / "hub", host="0.0.0.0")
    for kwargs in ({"tokens": ["t"]}, {"insecure_open": True}):
        with running_hub(tmp_path / "hub", host="0.0.0.0", **kwargs) as server:
            assert server.url.startswith("http://127.0.0.1:")


def test_file_names_are_not_pathspec_magic(hf_api, repo_name):
    repo = repo_name("magic")
    hf_api.create_repo(repo)
    first = hf_api.upload_file(path_or_fileobj=b"1\n", path_in_repo="a*.txt", repo_id=repo).oid
    hf_api.upload_file(path_or_fileobj=b"2\n", path_in_repo="ab.txt", repo_id=repo)
    hf_api.upload_file(path_or_fileobj=b"3\n", path_in_repo=":(glob)x", repo_id=repo)
    entries = {entry.path: entry for entry in hf_api.list_repo_tree(repo, expand=True)}
    assert entries["a*.txt"].last_commit.oid == first
    assert entries[":(glob)x"].last_commit is not None


def test_two_servers_on_one_root_lose_no_metadata_edit(hf_api, hub, hub_token, repo_name):
    space = repo_name("vars2")
    hf_api.create_repo(space, repo_type="space", space_sdk="gradio")
    with running_hub(hub.root) as twin:
        apis = [hf_api, HfApi(endpoint=twin.url, token=hub_token)]
        threads = [
            threading.Thread(target=apis[index % 2].add_space_variable, args=(space, f"K{index}", str(index)))
            for index in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert set(hf_api.get_space_variables(space)) == {f"K{index}" for index in range(12)}


def test_delete_waits_for_a_commit_in_flight(hf_api, hub, repo_name):
    repo_id = repo_name("del")
    hf_api.create_repo(repo_id)
    repo = hub.store.get("model", repo_id)
    deleted = threading.Event()
    with hub.store.locked(repo):
        thread = threading.Thread(target=lambda: (hub.store.delete("model", repo_id), deleted.set()))
        thread.start()
        assert not deleted.wait(0.3)  # blocked behind the commit lock
    thread.join(timeout=30)
    assert deleted.is_set() and not hf_api.repo_exists(repo_id)


def test_short_commit_ids_resolve(hf_api, repo_name, tmp_path):
    repo = repo_name("short")
    hf_api.create_repo(repo)
    sha = hf_api.upload_file(path_or_fileobj=b"v1\n", path_in_repo="f.txt", repo_id=repo).oid
    hf_api.upload_file(path_or_fileobj=b"v2\n", path_in_repo="f.txt", repo_id=repo)
    hf_api.create_tag(repo, tag="first", revision=sha[:7])
    assert hf_api.list_repo_refs(repo).tags[0].target_commit == sha
    assert hf_api.model_info(repo, revision=sha[:10]).sha == sha
    path = hf_hub_download(repo, "f.txt", revision=sha[:8], token=hf_api.token, cache_dir=tmp_path)
    assert open(path, "rb").read() == b"v1\n"
    assert not hf_api.revision_exists(repo, "0000000")
    with pytest.raises(Exception, match="only branches"):
        hf_api.create_commit(repo, operations=[CommitOperationAdd("g.txt", b"g")], commit_message="g", revision=sha)
