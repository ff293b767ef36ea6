"""What the route handlers (`_api_*`) may use of the running embedded Hub.

The server imports the route modules to build its routing table; the route modules type their `hub` argument
with this protocol instead of importing the server back, so the dependency runs one way: server -> routes ->
this module. `HubServer` satisfies it structurally.
"""

from __future__ import annotations

from typing import Protocol

from hubtools.hub._git import Identity
from hubtools.hub._http import Request
from hubtools.hub.storage import Repo, RepoStore
from hubtools.hub.users import User


class RouteHub(Protocol):
    """The embedded Hub as its route handlers see it: the store, who is asking, and the page sizes."""

    store: RepoStore
    tree_page_size: int
    tree_expand_page_size: int
    commits_page_size: int

    def require_user(self, request: Request) -> User: ...

    def require_owner(self, request: Request, repo_type: str, repo_id: str) -> User: ...

    def identity(self, request: Request | None = None) -> Identity: ...

    def repo_for_read(self, request: Request, url_type: str, namespace: str, name: str) -> Repo: ...

    def repo_for_write(self, request: Request, url_type: str, namespace: str, name: str) -> Repo: ...

    def check_gate(self, request: Request, repo: Repo) -> None: ...
