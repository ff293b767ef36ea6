"""An HTTP relay in front of the embedded Hub that kill -9s a client process at a chosen request.

It only watches the wire: the process under test runs unmodified, and the test decides from the requests it
makes (method, path, body) where to stop it, either before the request reaches the Hub or after the Hub carried it
out but before the answer gets back (the nastiest moment: the Hub has the change, the client never learns).
"""

from __future__ import annotations

import http.client
import subprocess
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# rule(method, path, body) -> "before", "after" or None (relay as usual)
Rule = Callable[[str, str, bytes], str | None]
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


class KillingRelay:
    """`url` relays to `upstream`; `arm(process, rule)` kills `process` at the first request the rule picks."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self._lock = threading.Lock()
        self._armed: tuple[subprocess.Popen, Rule] | None = None
        self.killed_at: str | None = None
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_request(self) -> None:
                relay._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_request

            def log_message(self, format: str, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def arm(self, process: subprocess.Popen, rule: Rule) -> None:
        with self._lock:
            self._armed, self.killed_at = (process, rule), None

    def disarm(self) -> None:
        with self._lock:
            self._armed = None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _decide(self, method: str, path: str, body: bytes) -> str | None:
        with self._lock:
            if self._armed is None:
                return None
            when = self._armed[1](method, path, body)
            if when is not None:
                self.killed_at = f"{when} {method} {path}"
            return when

    def _kill(self) -> None:
        with self._lock:
            process, _ = self._armed
            self._armed = None
        process.kill()  # SIGKILL; Popen never signals a process it has already reaped

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = _read_body(handler)
        when = self._decide(handler.command, handler.path, body)
        if when == "before":
            self._kill()
            handler.close_connection = True
            return
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP | {"content-length"}}
        connection.request(handler.command, handler.path, body=body if body else None, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        if when == "after":
            self._kill()
            handler.close_connection = True
            return
        handler.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in _HOP_BY_HOP | {"content-length"}:
                handler.send_header(key, value)
        length = response.getheader("Content-Length") if handler.command == "HEAD" else str(len(payload))
        handler.send_header("Content-Length", length or "0")
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            chunk = handler.rfile.read(size)
            handler.rfile.readline()
            if size == 0:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
