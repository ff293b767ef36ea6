"""The HTTP transport of the embedded Hub: connections, threads, limits, framing errors and response writing.

One thread per connection, at most `Limits.max_connections` of them (more are answered 503 at once, without a
thread); at most `Limits.max_active` requests run handlers at the same time; every read stalls at most
`Limits.read_timeout` seconds, which also closes idle keep-alive connections.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from hubtools.hub._cors import cors_headers, preflight
from hubtools.hub._errors import HubError
from hubtools.hub._http import Request, Response, error_response


@dataclass
class Limits:
    """What one client can hold: seconds a read may stall, open connections, and requests worked on at once.

    A connection costs a (mostly idle) thread; only `max_active` requests run handlers at the same time, so many
    idle or slow clients delay, but do not stop, a normal request. Set before `start()` to take effect.
    """

    read_timeout: float = 20.0  # also how long an idle keep-alive connection stays open
    max_connections: int = 512
    max_active: int = 32
    queue_timeout: float = 60.0  # a request waiting longer than this for a free slot gets 503


class ServedHub(Protocol):
    """What the transport needs of the Hub it serves (the server passes itself; nothing imports it back)."""

    url: str
    limits: Limits
    log_requests: bool

    def handle(self, request: Request) -> Response: ...

    def log(self, message: str) -> None: ...


_BUSY_BODY = b'{"error": "Too many connections to the embedded Hub, try again"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 5\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


class ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the listen backlog: socketserver's default of 5 makes bursts of clients wait seconds

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], hub: ServedHub) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.hub = hub
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.active = threading.BoundedSemaphore(hub.limits.max_active)
        super().__init__(address, handler)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self.active = threading.BoundedSemaphore(self.hub.limits.max_active)  # limits as set before start()
        super().serve_forever(poll_interval)

    def open_connections(self) -> int:
        with self._connections_lock:
            return len(self._connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            busy = len(self._connections) >= self.hub.limits.max_connections
            if not busy:
                self._connections.add(request)
        if busy:  # answered here, without a thread
            with contextlib.suppress(OSError):
                request.settimeout(1)
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


_TRACE_ID = re.compile(r"[A-Za-z0-9=;:._-]{1,200}")


def _request_id(request: Request) -> str:
    """The client's own trace id when it sent a sane one (so both sides log the same id), else a fresh one."""
    for name in ("X-Request-Id", "X-Amzn-Trace-Id"):
        value = request.headers.get(name)
        if value and _TRACE_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubtools-hub"
    sys_version = ""
    server: ThreadingServer

    def setup(self) -> None:
        self.timeout = self.server.hub.limits.read_timeout
        super().setup()

    def _dispatch(self) -> None:
        hub = self.server.hub
        request = Request(self.command, self.path, self.headers, self.rfile, default_base=hub.url)
        started = time.monotonic()
        if self.server.active.acquire(timeout=hub.limits.queue_timeout):
            try:
                response = preflight(self.command, self.headers) or hub.handle(request)
            finally:
                self.server.active.release()
        else:
            response = error_response(
                HubError(503, "The embedded Hub is busy, try again", headers={"Retry-After": "5"})
            )
        response.headers.update(cors_headers(self.headers))
        if not request.finish():
            self.close_connection = True
        request_id = _request_id(request)
        response.headers["X-Request-Id"] = request_id
        self._send(response, with_body=self.command != "HEAD")
        if hub.log_requests or response.status >= 500:
            elapsed = (time.monotonic() - started) * 1000
            hub.log(f"{self.command} {request.path} -> {response.status} ({elapsed:.0f} ms, request {request_id})")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def _send(self, response: Response, *, with_body: bool) -> None:
        try:
            self.send_response_only(response.status)
            self.send_header("Date", self.date_time_string())
            self.send_header("Content-Length", str(response.length))
            for name, value in response.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not with_body:
                return
            if response.file is None:
                self.wfile.write(response.body)
                return
            path, offset, remaining = response.file
            with open(path, "rb") as handle:
                handle.seek(offset)
                while remaining > 0:
                    chunk = handle.read(min(remaining, 1024 * 1024))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed request lines and headers get the Hub's JSON error shape too."""
        self.close_connection = True
        text = message or explain or "Bad request"
        self._send(error_response(HubError(code, text)), with_body=self.command != "HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are logged by _dispatch, on demand
