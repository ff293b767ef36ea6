"""Helpers for driving the embedded Hub with raw HTTP requests (what no well-behaved client would send)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    base_url: str,
    method: str,
    path: str,
    *,
    body: bytes | str | dict | list | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> Reply:
    """One request with exactly the given path (no re-quoting) and body (a dict/list is sent as JSON)."""
    parsed = urllib.parse.urlsplit(base_url)
    conn = connection or http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    all_headers = dict(headers or {})
    if isinstance(body, dict | list):
        body = json.dumps(body)
        all_headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        if connection is None:
            conn.close()


@pytest.fixture
def raw(hub, hub_token):
    """`raw(method, path, ...)` against the session Hub, authenticated unless `token=None` is passed."""

    def call(method: str, path: str, *, token: str | None = hub_token, **kwargs: Any) -> Reply:
        return send(hub.url, method, path, token=token, **kwargs)

    return call


@pytest.fixture
def send_raw():
    """`send(base_url, method, path, ...)` for servers other than the session Hub."""
    return send
