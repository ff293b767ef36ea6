"""The embedded Hub: an HTTP server speaking enough of the Hugging Face Hub API for the unmodified clients.

`huggingface_hub`, `datasets` and `transformers` talk to it exactly as to huggingface.co once `HF_ENDPOINT`
points at it (and `HF_HUB_DISABLE_XET=1`: it speaks classic LFS). It is stdlib + PyYAML only, because it starts
before the client environment is configured and must not import any Hugging Face library.

    with running_hub(Path("hub-data")) as hub:
        print(hub.url)  # http://127.0.0.1:PORT
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from hubtools import __version__
from hubtools.hub import _api_commit, _api_files, _api_repos
from hubtools.hub._errors import HubError, repo_not_found, unauthorized
from hubtools.hub._git import Identity
from hubtools.hub._http import Request, Response, error_response, json_response, unquote
from hubtools.hub._names import check_repo_id, repo_type_from_url
from hubtools.hub._transport import Handler, Limits, ThreadingServer
from hubtools.hub.storage import Repo, RepoStore
from hubtools.hub.users import Accounts, User

_S = r"([^/]+)"
_T = r"(models|datasets|spaces)"
_REPO = rf"/api/{_T}/{_S}/{_S}"
_PREFIXED = rf"/(?:(datasets|spaces)/)?{_S}/{_S}"
_REPO_ROUTES = "commits|tree|refs|paths-info|preupload|commit|branch|tag|settings|super-squash|auth-check|lfs-files"

# (methods, path pattern on the still-quoted path, handler(hub, request, *groups))
ROUTES: list[tuple[frozenset[str], re.Pattern[str], Callable[..., Response]]] = [
    (frozenset(methods.split()), re.compile(pattern), handler)
    for methods, pattern, handler in [
        ("GET", r"/api/whoami-v2", _api_repos.whoami),
        ("GET", r"/api/hubtools", lambda hub, request: json_response({"server": "hubtools", "version": __version__})),
        ("POST", r"/api/validate-yaml", _api_commit.validate_yaml),
        ("POST", r"/api/repos/create", _api_repos.create_repo),
        ("DELETE", r"/api/repos/delete", _api_repos.delete_repo),
        ("POST", r"/api/repos/move", _api_repos.move_repo),
        ("GET", _REPO, _api_repos.repo_info),
        ("GET", rf"{_REPO}/revision/{_S}", _api_repos.repo_info),
        ("PUT", rf"{_REPO}/settings", _api_repos.update_settings),
        ("GET", rf"{_REPO}/auth-check(/write)?", _api_repos.auth_check),
        ("GET", rf"{_REPO}/lfs-files", _api_files.list_lfs_files),
        ("POST", rf"{_REPO}/lfs-files/batch", _api_files.refuse_lfs_deletion),
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
        ("GET POST PUT DELETE", rf"/api/{_T}/{_S}/(?:{_REPO_ROUTES})(?:/.*)?", _api_repos.no_namespace),
    ]
]

# Routes the clients probe and expect a 404 from: answered on purpose, not "unknown".
EXPECTED_404 = {"/api/agent-harnesses": "Agent harnesses are not available on the embedded Hub"}


class HubServer:
    """A running embedded Hub: `url`, `root` and the `unknown_requests` it could not route ("METHOD /path").

    Who may do what comes from `users` (see `hubtools.hub.users`), or from the `tokens`/`user` shorthand; with
    neither, any non-empty token writes as `user`, which is only allowed on a loopback address unless
    `insecure_open` says otherwise. `tree_page_size`, `tree_expand_page_size` and `commits_page_size` may be
    lowered (tests) to exercise the clients' `Link: rel="next"` pagination.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: Sequence[str] = (),
        user: str = "local",
        users: Accounts | None = None,
        insecure_open: bool = False,
        log_requests: bool = False,
    ) -> None:
        self.accounts = users or Accounts.single(user, tokens)
        if self.accounts.open and not insecure_open and not is_loopback(host):
            raise ValueError(
                f"refusing to serve on {host or 'all interfaces'} without tokens: anyone who can reach it could "
                "write, delete and read private repos. Give --token-file, --token or --users (or --insecure-open "
                "on a trusted network)"
            )
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = RepoStore(self.root)
        self.store.lfs.remove_stale_uploads()  # left by a server killed mid-upload
        self.user = self.accounts.default_user
        self.log_requests = log_requests
        self.unknown_requests: list[str] = []
        self.tree_page_size = 1000
        self.tree_expand_page_size = 50
        self.commits_page_size = 50
        self.limits = Limits()
        self._httpd = ThreadingServer((host, port), Handler, self)
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

    @property
    def open_connections(self) -> int:
        """Client connections open now (each holds one thread)."""
        return self._httpd.open_connections()

    # -- what handlers share ------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> None:
        """Set `request.user` from its bearer token (None: anonymous); 401 for a token that is not accepted."""
        token = request.token
        if token is None:
            request.user = None
            return
        user = self.accounts.authenticate(token) if token.isascii() else None
        if user is None:
            raise unauthorized("Invalid credentials in Authorization header")
        request.user = user

    def require_user(self, request: Request) -> User:
        """The authenticated caller; 401 for an anonymous one."""
        if request.user is None:
            raise unauthorized("You must be authenticated (a token) to write to the Hub")
        return request.user

    def require_owner(self, request: Request, repo_type: str, repo_id: str) -> User:
        """The caller, when they may write under the namespace of `repo_id`; 403 (the Hub's wording) otherwise."""
        user = self.require_user(request)
        namespace = repo_id.split("/")[0]
        if not user.owns(namespace):
            raise HubError(
                403,
                f'You don\'t have the rights to create a {repo_type} under the namespace "{namespace}"',
                code="Forbidden",
            )
        return user

    def identity(self, request: Request | None = None) -> Identity:
        """Who a commit or tag made by this request is attributed to."""
        name = request.user.name if request is not None and request.user is not None else self.user
        return Identity(name, f"{name}@users.noreply.hubtools.local", int(time.time()))

    def _repo(self, url_type: str, namespace: str, name: str) -> Repo:
        repo_id = check_repo_id(f"{unquote(namespace)}/{unquote(name)}")
        return self.store.get(repo_type_from_url(url_type), repo_id)

    def can_read(self, user: User | None, repo: Repo) -> bool:
        return not repo.meta.private or (user is not None and user.owns(repo.meta.repo_id.split("/")[0]))

    def repo_for_read(self, request: Request, url_type: str, namespace: str, name: str) -> Repo:
        """The repo, or 404 RepoNotFound when it does not exist or is private and not the caller's."""
        repo = self._repo(url_type, namespace, name)
        if not self.can_read(request.user, repo):
            raise repo_not_found(f"{unquote(namespace)}/{unquote(name)}")
        return repo

    def check_gate(self, request: Request, repo: Repo) -> None:
        """Gated repos: files need a signed-in user ("auto" approves everyone; "manual" only the owners here,
        since the embedded Hub has no access requests to approve). GatedRepo errors, as the Hub sends them."""
        gated, user = repo.meta.gated, request.user
        if not gated or (user is not None and user.owns(repo.meta.repo_id.split("/")[0])):
            return
        what = f"{repo.meta.repo_type} {repo.meta.repo_id}"
        if user is None:
            message = f"Access to {what} is restricted. You must have access to it and be authenticated to access it."
            raise HubError(401, message, code="GatedRepo")
        if gated == "manual":
            raise HubError(
                403, f"Access to {what} is restricted and you are not in the authorized list.", code="GatedRepo"
            )

    def repo_for_write(self, request: Request, url_type: str, namespace: str, name: str) -> Repo:
        """The repo when the caller may write to it: 401 anonymous, 404 private and not theirs, 403 not theirs."""
        repo = self.repo_for_read(request, url_type, namespace, name)  # a repo one cannot see does not exist
        user = self.require_user(request)
        if not user.owns(repo.meta.repo_id.split("/")[0]):
            raise HubError(403, f"You don't have write access to {repo.meta.repo_id}", code="Forbidden")
        return repo

    # -- dispatch -----------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Route one request; every failure becomes an error response, never an exception."""
        try:
            request.check_framing()
            self.authenticate(request)
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


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def running_hub(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tokens: Sequence[str] = (),
    user: str = "local",
    users: Accounts | None = None,
    insecure_open: bool = False,
    log_requests: bool = False,
) -> Iterator[HubServer]:
    """Run an embedded Hub on `root` for the duration of the block (port 0 picks a free port)."""
    server = HubServer(
        root,
        host=host,
        port=port,
        tokens=tokens,
        user=user,
        users=users,
        insecure_open=insecure_open,
        log_requests=log_requests,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
