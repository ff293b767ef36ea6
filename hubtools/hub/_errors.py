"""Errors the embedded Hub answers with, carrying the Hub's own error vocabulary.

The clients decide what to raise from `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound) and show
`X-Error-Message`, so every refusal is one `HubError` that the HTTP layer renders the same way.
"""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """A request the Hub refuses: an HTTP status, an optional `X-Error-Code`, a message and extra headers/body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        self.body = dict(body or {})


def bad_request(message: str) -> HubError:
    return HubError(400, message, code="BadRequest")


def unauthorized(message: str = "You must be authenticated to perform this action") -> HubError:
    return HubError(401, message)


def repo_not_found(repo_id: str) -> HubError:
    return HubError(404, f"Repository not found: {repo_id}", code="RepoNotFound")


def revision_not_found(revision: str) -> HubError:
    return HubError(404, f"Invalid rev id: {revision}", code="RevisionNotFound")


def entry_not_found(path: str, commit: str | None = None, message: str | None = None) -> HubError:
    headers = {"X-Repo-Commit": commit} if commit else {}
    return HubError(404, message or f"Entry not found: {path}", code="EntryNotFound", headers=headers)


def conflict(message: str, **body: Any) -> HubError:
    return HubError(409, message, code="Conflict", body=body)


def precondition_failed(message: str) -> HubError:
    return HubError(412, message, code="PreconditionFailed")
