"""The embedded Hub answers a browser on another origin as huggingface.co does: CORS and `Range` probes."""

from __future__ import annotations

import http.client
import os
import urllib.parse

ORIGIN = "http://127.0.0.1:7861"


def request(url: str, method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(method, path, headers=headers)
    reply = connection.getresponse()
    reply.body = reply.read()
    connection.close()
    return reply


def test_range_probe_from_another_origin_exposes_what_transformers_js_reads(hub, hf_api, repo_name):
    repo_id = repo_name("cors")
    hf_api.create_repo(repo_id)
    weights = os.urandom(3000)
    hf_api.upload_file(path_or_fileobj=weights, path_in_repo="onnx/model.onnx", repo_id=repo_id)
    reply = request(
        hub.url, "GET", f"/{repo_id}/resolve/main/onnx/model.onnx", {"Origin": ORIGIN, "Range": "bytes=0-0"}
    )
    assert reply.status == 206 and reply.body == weights[:1]
    assert reply.headers["Content-Range"] == f"bytes 0-0/{len(weights)}"
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {name.strip().lower() for name in reply.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "content-range", "content-length", "x-repo-commit", "x-linked-size", "x-linked-etag"} <= exposed
    assert "Access-Control-Allow-Credentials" not in reply.headers

    missing = request(hub.url, "GET", f"/{repo_id}/resolve/main/onnx/absent.onnx", {"Origin": ORIGIN})
    assert missing.status == 404 and missing.headers["Access-Control-Allow-Origin"] == ORIGIN  # readable error

    same_origin = request(hub.url, "GET", f"/{repo_id}/resolve/main/onnx/model.onnx", {})
    assert "Access-Control-Allow-Origin" not in same_origin.headers


def test_preflight_allows_range_and_reads(hub):
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}
    reply = request(hub.url, "OPTIONS", "/api/models/someone/thing/refs", headers)
    assert reply.status == 204
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "GET" in reply.headers["Access-Control-Allow-Methods"]
    assert reply.headers["Access-Control-Allow-Headers"] == "range"


def test_static_space_server_sends_isolation_headers_and_only_its_files(tmp_path):
    from hubtools.serve.static_server import running_static_space

    (tmp_path / "secret.txt").write_text("not served")
    wasm = tmp_path / "x.wasm"
    wasm.write_bytes(b"\0asm")
    files = {"index.html": b"<html></html>", "vendor/x.wasm": wasm}
    with running_static_space(files) as url:
        page = request(url, "GET", "/", {})
        assert page.status == 200 and page.body == b"<html></html>"
        assert page.headers["Content-Type"].startswith("text/html")
        assert page.headers["cross-origin-embedder-policy"] == "require-corp"
        assert page.headers["cross-origin-opener-policy"] == "same-origin"
        assert page.headers["cross-origin-resource-policy"] == "cross-origin"
        binary = request(url, "GET", "/vendor/x.wasm", {})
        assert binary.headers["Content-Type"] == "application/wasm" and binary.body == b"\0asm"
        for path in ("/secret.txt", "/../secret.txt", "/vendor/%2e%2e/secret.txt", "/nothing"):
            assert request(url, "GET", path, {}).status == 404
