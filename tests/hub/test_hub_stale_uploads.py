"""A server killed mid-upload leaves a half-received file in `lfs/tmp`; the next server on that root removes it."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from hubtools.hub.lfs import LfsStore
from hubtools.hub.server import running_hub
from hubtools.hub.target import LOCAL_DEV_TOKEN


def _post_json(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {LOCAL_DEV_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _wait_for(condition, what: str) -> None:
    for _ in range(600):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_servers_half_upload_is_removed_at_the_next_start(tmp_path):
    import hubtools

    root = tmp_path / "hub"
    env = {**os.environ, "PYTHONPATH": str(Path(hubtools.__file__).parents[1])}
    command = [sys.executable, "-m", "hubtools", "hub", "serve", "--root", str(root), "--port", "0"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = server.stderr.readline().split(" at ")[-1].strip()
        _post_json(f"{url}/api/repos/create", {"name": "big", "organization": "local", "type": "model"})
        body = os.urandom(4 << 20)
        oid = hashlib.sha256(body).hexdigest()
        batch = _post_json(
            f"{url}/local/big.git/info/lfs/objects/batch",
            {"operation": "upload", "objects": [{"oid": oid, "size": len(body)}], "hash_algo": "sha256"},
        )
        href = batch["objects"][0]["actions"]["upload"]["href"]
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as upload:
            path = href.removeprefix(url)
            upload.sendall(
                f"PUT {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            )
            upload.sendall(body[: 3 << 20])  # more than one read of the server: some lands on disk
            tmp = root / "lfs" / "tmp"
            _wait_for(lambda: any(p.stat().st_size > 0 for p in tmp.glob("upload-*")), "the upload to start")
            server.kill()
            server.wait(timeout=30)
    finally:
        server.kill()
        server.wait(timeout=30)
    [leftover] = tmp.glob("upload-*")

    with running_hub(root):
        assert not leftover.exists()


def test_uploads_of_a_live_server_are_kept(tmp_path):
    store = LfsStore(tmp_path)
    store.tmp.mkdir(parents=True)
    mine = store.tmp / f"upload-{os.getpid()}-abc"
    unnamed_fresh, unnamed_old = store.tmp / "upload-x1y2z3", store.tmp / "upload-q9w8e7"
    dead = store.tmp / "upload-99999999999-abc"  # beyond any pid
    for path in (mine, unnamed_fresh, unnamed_old, dead):
        path.write_bytes(b"partial")
    os.utime(unnamed_old, (time.time() - 7200, time.time() - 7200))
    assert sorted(store.remove_stale_uploads()) == sorted([unnamed_old, dead])
    assert mine.exists() and unnamed_fresh.exists()
