"""The embedded Hub: an HTTP server speaking enough of the Hugging Face Hub API for the unmodified clients.

`huggingface_hub`, `datasets` and `transformers` talk to it exactly as to huggingface.co once `HF_ENDPOINT`
points at it (and `HF_HUB_DISABLE_XET=1`: it speaks classic LFS). It is stdlib + PyYAML only, because it starts
before the client environment is configured and must not import any Hugging Face library.

    with running_hub(Path("hub-data")) as hub:
        print(hub.url)  # http://127.0.0.1:PORT
"""

from __future__ import annotations

import contextlib
import hmac
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hubtools import __version__
from hubtools.hub import _api_commit, _api_files, _api_repos
from hubtools.hub._cors import cors_headers, preflight
from hubtools.hub._errors import HubError, repo_not_found, unauthorized
from hubtools.hub._git import Identity
from hubtools.hub._http import Request, Response, error_response, json_response, unquote
from hubtools.hub._names import check_repo_id, is_valid_name, repo_type_from_url
from hubtools.hub.storage import Repo, RepoStore

_S = r"([^/]+)"
_T = r"(models|datasets|spaces)"
_REPO = rf"/api/{_T}/{_S}/{_S}"
_PREFIXED = rf"/(?:(datasets|spaces)/)?{_S}/{_S}"

# (methods, path pattern on the still-quoted path, handler(hub, request, *groups))
ROUTES: list[tuple[frozenset[str], re.Pattern[str], Callable[..., Response]]] = [
    (frozenset(methods.split()), re.compile(pattern), handler)
    for methods, pattern, handler in [
        ("GET", r"/api/whoami-v2", _api_repos.whoami),
        ("GET", r"/api/hubtools", lambda hub, request: json_response({"server": "hubtools", "version": __version__})),
        ("POST", r"/api/validate-yaml", _api_commit.validate_yaml),
        ("POST", r"/api/repos/create", _api_repos.create_repo),
        ("DELETE", r"/api/repos/delete", _api_repos.delete_repo),
        ("GET", _REPO, _api_repos.repo_info),
        ("GET", rf"{_REPO}/revision/{_S}", _api_repos.repo_info),
        ("PUT", rf"{_REPO}/settings", _api_repos.update_settings),
        ("GET", rf"{_REPO}/tree/{_S}(?:/(.*))?", _api_repos.tree),
        ("POST", rf"{_REPO}/paths-info/{_S}", _api_repos.paths_info),
        ("GET", rf"{_REPO}/refs", _api_repos.refs),
        ("GET", rf"{_REPO}/commits/{_S}", _api_repos.commits),
        ("POST", rf"{_REPO}/branch/{_S}", _api_repos.create_branch),
        ("DELETE", rf"{_REPO}/branch/{_S}", _api_repos.delete_branch),
        ("POST", rf"{_REPO}/tag/{_S}", _api_repos.create_tag),
        ("DELETE", rf"{_REPO}/tag/{_S}", _api_repos.delete_tag),
        ("POST", rf"{_REPO}/preupload/{_S}", _api_commit.preupload),
        ("POST", rf"{_REPO}/commit/{_S}", _api_commit.commit),
        ("POST", rf"{_REPO}/super-squash/{_S}", _api_repos.super_squash),
        ("GET POST DELETE", rf"/api/spaces/{_S}/{_S}/variables", _api_repos.space_variables),
        ("POST", rf"{_PREFIXED}\.git/info/lfs/objects/batch", _api_commit.lfs_batch),
        ("PUT", r"/api/hubtools/lfs/([0-9a-f]{64})", _api_commit.lfs_upload),
        ("GET HEAD", rf"{_PREFIXED}/resolve/{_S}/(.+)", _api_files.resolve),
        # Ids without a namespace ("gpt2") cannot exist here: say so in the Hub's words, not "unknown route".
        ("GET", rf"/api/{_T}/{_S}(?:/revision/{_S})?", _api_repos.no_namespace),
        ("GET", rf"/(?:(?:datasets|spaces)/)?{_S}/resolve/{_S}/.+", _api_repos.no_namespace),
    ]
]

# Routes the clients probe and expect a 404 from: answered on purpose, not "unknown".
EXPECTED_404 = {"/api/agent-harnesses": "Agent harnesses are not available on the embedded Hub"}


class HubServer:
    """A running embedded Hub: `url`, `root` and the `unknown_requests` it could not route ("METHOD /path").

    `tree_page_size`, `tree_expand_page_size` and `commits_page_size` may be lowered (tests) to exercise
    the clients' `Link: rel="next"` pagination.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: Sequence[str] = (),
        user: str = "local",
        log_requests: bool = False,
    ) -> None:
        if not is_valid_name(user):
            raise ValueError(f"invalid user name {user!r}: use letters, digits, '-', '_' or '.'")
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = RepoStore(self.root)
        self.tokens = tuple(token for token in tokens if token)
        self.user = user
        self.log_requests = log_requests
        self.unknown_requests: list[str] = []
        self.tree_page_size = 1000
        self.tree_expand_page_size = 50
        self.commits_page_size = 50
        self._httpd = _ThreadingServer((host, port), _Handler, self)
        bound_host, bound_port = self._httpd.server_address[:2]
        url_host = "127.0.0.1" if bound_host == "0.0.0.0" else bound_host
        url_host = "[::1]" if url_host == "::" else f"[{url_host}]" if ":" in str(url_host) else url_host
        self.url = f"http://{url_host}:{bound_port}"
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hubtools-hub", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close open (keep-alive) connections and release the port."""
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- what handlers share ------------------------------------------------------------------------------------

    def caller(self, request: Request) -> bool:
        """True for an authenticated caller, False for an anonymous one; 401 for a token that is not accepted."""
        token = request.token
        if token is None:
            return False
        if token and (not self.tokens or any(hmac.compare_digest(token, known) for known in self.tokens)):
            return True
        raise unauthorized("Invalid credentials in Authorization header")

    def require_write(self, request: Request) -> None:
        if not self.caller(request):
            raise unauthorized("You must be authenticated (a token) to write to the Hub")

    def identity(self) -> Identity:
        return Identity(self.user, f"{self.user}@users.noreply.hubtools.local", int(time.time()))

    def _repo(self, url_type: str, namespace: str, name: str) -> Repo:
        repo_id = check_repo_id(f"{unquote(namespace)}/{unquote(name)}")
        return self.store.get(repo_type_from_url(url_type), repo_id)

    def repo_for_read(self, request: Request, url_type: str, namespace: str, name: str) -> Repo:
        """The repo, or 404 RepoNotFound when it does not exist or is private and the caller anonymous."""
        authenticated = self.caller(request)
        repo = self._repo(url_type, namespace, name)
        if repo.meta.private and not authenticated:
            raise repo_not_found(repo.meta.repo_id)
        return repo

    def repo_for_write(self, request: Request, url_type: str, namespace: str, name: str) -> Repo:
        self.require_write(request)
        return self._repo(url_type, namespace, name)

    # -- dispatch -----------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Route one request; every failure becomes an error response, never an exception."""
        try:
            request.check_framing()
            for methods, pattern, handler in ROUTES:
                match = pattern.fullmatch(request.path)
                if match and (request.method in methods or (request.method == "HEAD" and "GET" in methods)):
                    return handler(self, request, *match.groups())
            if request.path in EXPECTED_404:
                return error_response(HubError(404, EXPECTED_404[request.path], code="NotFound"))
            self.unknown_requests.append(f"{request.method} {request.path}")
            self.log(f"unknown route: {request.method} {request.path}")
            raise HubError(404, f"Route not implemented by the embedded Hub: {request.method} {request.path}")
        except HubError as error:
            return error_response(error)
        except Exception as error:  # the server must answer and keep running
            self.log(f"error on {request.method} {request.path}:\n{traceback.format_exc()}")
            return error_response(HubError(500, f"Internal error of the embedded Hub: {type(error).__name__}"))

    def log(self, message: str) -> None:
        print(f"[hubtools hub] {message}", file=sys.stderr, flush=True)


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], hub: HubServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.hub = hub
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubtools-hub"
    sys_version = ""
    timeout = 300
    server: _ThreadingServer

    def _dispatch(self) -> None:
        hub = self.server.hub
        request = Request(self.command, self.path, self.headers, self.rfile, default_base=hub.url)
        started = time.monotonic()
        response = preflight(self.command, self.headers) or hub.handle(request)
        response.headers.update(cors_headers(self.headers))
        if not request.finish():
            self.close_connection = True
        self._send(response, with_body=self.command != "HEAD")
        if hub.log_requests or response.status >= 500:
            elapsed = (time.monotonic() - started) * 1000
            hub.log(f"{self.command} {request.path} -> {response.status} ({elapsed:.0f} ms)")

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


@contextlib.contextmanager
def running_hub(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tokens: Sequence[str] = (),
    user: str = "local",
    log_requests: bool = False,
) -> Iterator[HubServer]:
    """Run an embedded Hub on `root` for the duration of the block (port 0 picks a free port)."""
    server = HubServer(root, host=host, port=port, tokens=tokens, user=user, log_requests=log_requests)
    server.start()
    try:
        yield server
    finally:
        server.stop()
