"""Serve a static Space on this machine exactly as the Hub would: the same files, the same isolation headers.

Used by `hubtools space run --kind static`, the browser tests and the browser benchmark. Only the Space's
own files are served (a fixed map, nothing else from disk), over plain HTTP on localhost, which browsers
treat as a secure context, so `crossOriginIsolated` holds as it does on huggingface.co.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hubtools.serve.static_space import ISOLATION_HEADERS

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".wasm": "application/wasm",
    ".md": "text/markdown; charset=utf-8",
}


class StaticSpaceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, Any], host: str, port: int) -> None:
        self.files = files
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: StaticSpaceServer

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        path = unquote(urlsplit(self.path).path).lstrip("/") or "index.html"
        content = self.server.files.get(path)
        if content is None:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        else:
            body = content.read_bytes() if isinstance(content, Path) else content
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPES.get(Path(path).suffix, "application/octet-stream"))
            self.send_header("Cache-Control", "no-cache")
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def running_static_space(files: dict[str, Any], *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `files` (Space path → bytes or Path) for the duration of the block; yields the page's URL."""
    server = StaticSpaceServer(files, host, port)
    thread = threading.Thread(target=server.serve_forever, name="static-space", daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
