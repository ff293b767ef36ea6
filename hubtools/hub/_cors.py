"""CORS, as huggingface.co answers it: a page on another origin (the static chat Space, or `space run`) reads
files and the API from the Hub with `fetch`, and transformers.js reads `Content-Range`, `ETag` and the
`X-Linked-*` headers of its `Range: bytes=0-0` probes. No credentials are allowed: a browser never sends a token.
"""

from __future__ import annotations

from email.message import Message

from hubtools.hub._http import Response

EXPOSED = (
    "ETag",
    "Content-Range",
    "Content-Length",
    "Accept-Ranges",
    "X-Repo-Commit",
    "X-Linked-Size",
    "X-Linked-ETag",
    "X-Error-Code",
    "X-Error-Message",
    "Link",
)
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
MAX_AGE = "86400"


def cors_headers(request_headers: Message) -> dict[str, str]:
    """Headers added to every answer to a cross-origin request (none when the request has no Origin)."""
    origin = request_headers.get("Origin")
    if not origin:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
        "Access-Control-Expose-Headers": ", ".join(EXPOSED),
    }


def preflight(method: str, request_headers: Message) -> Response | None:
    """The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`), else None."""
    if (
        method != "OPTIONS"
        or not request_headers.get("Origin")
        or not request_headers.get("Access-Control-Request-Method")
    ):
        return None
    headers = {
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": request_headers.get("Access-Control-Request-Headers") or "Range",
        "Access-Control-Max-Age": MAX_AGE,
    }
    return Response(204, headers)
