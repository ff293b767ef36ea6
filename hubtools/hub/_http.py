"""HTTP plumbing shared by the route handlers: request bodies (Content-Length or chunked), responses, errors.

The server speaks HTTP/1.1 with keep-alive, so every request body is read to its end (or the connection is
closed) and every response carries a Content-Length; an error never leaves a half-read request behind.
"""

from __future__ import annotations

import datetime
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from hubtools.hub._errors import HubError, bad_request

if TYPE_CHECKING:
    from hubtools.hub.users import User

# Bodies read into memory are capped per route, and the cap is checked against Content-Length before a byte is
# read; LFS content never comes through here (it is streamed to disk, see `lfs.LfsStore.receive`).
JSON_LIMIT = 64 * 1024  # small JSON: create, settings, branch, tag, variables
LIST_LIMIT = 4 * 1024 * 1024  # preupload, LFS batch, paths-info, validate-yaml (the clients send <= 256 items)
COMMIT_LIMIT = 512 * 1024 * 1024  # NDJSON commits, inlining regular files (each < 10 MB) as base64
DRAIN_LIMIT = 1024 * 1024  # an unread body larger than this closes the connection instead
_CHUNK = 1024 * 1024


class BodyError(Exception):
    """The request body is malformed or stalled at the HTTP level: the connection cannot be reused."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

    def to_hub_error(self) -> HubError:
        if self.status == 408:
            return HubError(408, f"Request body not received in time: {self}", code="RequestTimeout")
        return bad_request(f"Malformed request body: {self}")


class Request:
    """One parsed request; the body is read on demand, once."""

    def __init__(self, method: str, target: str, headers: Message, rfile: BinaryIO, default_base: str = "") -> None:
        self.method = method
        raw_path, _, query = target.partition("?")
        self.path = raw_path
        self.query = urllib.parse.parse_qs(query, keep_blank_values=True)
        self.headers = headers
        self._rfile = rfile
        self._consumed = False
        self._broken = False
        self.user: User | None = None  # set by the server's authentication, before any body is read
        host = headers.get("Host")
        # URLs handed back to the client (repo url, LFS upload href, Link) use the address it reached us at.
        self.base_url = f"http://{host}" if host else default_base

    @property
    def token(self) -> str | None:
        """The bearer token, if any (None when absent; "" when present but empty)."""
        value = self.headers.get("Authorization")
        if value is None:
            return None
        scheme, _, token = value.strip().partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("1", "true", "yes")

    def params(self, *names: str) -> list[str]:
        return [value for name in names for value in self.query.get(name, [])]

    def iter_body(self) -> Iterator[bytes]:
        """The body as chunks, whatever its transfer encoding; raises BodyError on a malformed body."""
        if self._consumed:
            return
        self._consumed = True
        try:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                yield from self._iter_chunked()
                return
            remaining = self._content_length()
            while remaining > 0:
                data = self._rfile.read(min(remaining, _CHUNK))
                if not data:
                    raise BodyError("request body ended early")
                remaining -= len(data)
                yield data
        except TimeoutError:
            self._broken = True
            raise BodyError("the client stopped sending", status=408) from None
        except (OSError, ValueError) as error:
            self._broken = True
            raise BodyError(f"connection error ({type(error).__name__})") from None
        except BodyError:
            self._broken = True
            raise

    def check_framing(self) -> None:
        """400 (and a closed connection) for a body whose length cannot be known, before any other check."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return
        try:
            self._content_length()
        except BodyError as error:
            self._broken = True
            raise bad_request(f"Malformed request: {error}") from None

    def _content_length(self) -> int:
        value = self.headers.get("Content-Length")
        if value is None:
            return 0
        if not value.strip().isdigit():
            raise BodyError(f"invalid Content-Length {value!r}")
        return int(value)

    def _iter_chunked(self) -> Iterator[bytes]:
        while True:
            line = self._rfile.readline(65537)
            if not line.endswith(b"\n"):
                raise BodyError("malformed chunked body")
            size_text = line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9a-fA-F]{1,16}", size_text):
                raise BodyError("malformed chunk size")
            size = int(size_text, 16)
            if size == 0:
                while self._rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            remaining = size
            while remaining > 0:
                data = self._rfile.read(min(remaining, _CHUNK))
                if not data:
                    raise BodyError("chunked body ended early")
                remaining -= len(data)
                yield data
            if self._rfile.readline(3).strip():
                raise BodyError("malformed chunk terminator")

    def body(self, limit: int = JSON_LIMIT) -> bytes:
        """The whole body, at most `limit` bytes (413 before reading when Content-Length already says more)."""
        declared = self.headers.get("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > limit:
            self._broken = True
            raise _too_large(limit)
        parts = []
        total = 0
        try:
            for chunk in self.iter_body():
                total += len(chunk)
                if total > limit:
                    self._broken = True
                    raise _too_large(limit)
                parts.append(chunk)
        except BodyError as error:
            raise error.to_hub_error() from None
        return b"".join(parts)

    def json(self, limit: int = JSON_LIMIT) -> Any:
        """The body as JSON (an empty body is `{}`); 400 when it does not parse."""
        data = self.body(limit)
        if not data.strip():
            return {}
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise bad_request(f"Malformed JSON body: {error}") from None

    def json_object(self, limit: int = JSON_LIMIT) -> dict[str, Any]:
        data = self.json(limit)
        if not isinstance(data, dict):
            raise bad_request("Malformed JSON body: expected an object")
        return data

    def form_or_json(self, limit: int = LIST_LIMIT) -> dict[str, list[Any]]:
        """A form-encoded body (`a=1&a=2`) or a JSON object, as name -> list of values."""
        if "json" in (self.headers.get("Content-Type") or ""):
            items = self.json_object(limit).items()
            return {key: value if isinstance(value, list) else [value] for key, value in items}
        try:
            text = self.body(limit).decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("Malformed form body: not UTF-8") from None
        return urllib.parse.parse_qs(text, keep_blank_values=True)

    def finish(self) -> bool:
        """Read what the handler left of the body; False when the connection must be closed instead."""
        if self._broken:
            return False
        if self._consumed:
            return True
        try:
            chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
            if not chunked and self._content_length() > DRAIN_LIMIT:
                return False
            for _ in self.iter_body():
                pass
        except (BodyError, OSError, ValueError):
            return False
        return True


def _too_large(limit: int) -> HubError:
    return HubError(413, f"Request body too large for this route (limit {limit // 1024} KB)", code="PayloadTooLarge")


@dataclass
class Response:
    """A response: bytes in memory, or a byte range of a file streamed from disk."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    file: tuple[Path, int, int] | None = None  # (path, offset, length)

    @property
    def length(self) -> int:
        return self.file[2] if self.file else len(self.body)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, default=str).encode()
    return Response(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body)


def header_safe(text: str, limit: int = 500) -> str:
    """A message fit for an HTTP header: one line of printable ASCII."""
    clean = "".join(char if 32 <= ord(char) < 127 else " " for char in text)
    return clean[:limit]


def error_response(error: HubError) -> Response:
    headers = dict(error.headers)
    if error.code:
        headers["X-Error-Code"] = error.code
    headers["X-Error-Message"] = header_safe(error.message)
    return json_response({"error": error.message, **error.body}, status=error.status, headers=headers)


def iso(timestamp: float) -> str:
    """The Hub's date format, `%Y-%m-%dT%H:%M:%S.%fZ` (a `+00:00` suffix breaks the clients' parser)."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unquote(segment: str) -> str:
    """A URL path segment decoded; 400 when it is not valid percent-encoded UTF-8."""
    try:
        return urllib.parse.unquote(segment, errors="strict")
    except UnicodeDecodeError:
        raise bad_request(f"Invalid percent-encoding in {segment!r}") from None
