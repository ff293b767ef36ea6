"""Which Hub a command talks to, decided in one place before any Hugging Face library is imported.

`huggingface_hub`, `datasets` and `transformers` read `HF_ENDPOINT` at import time, and upload through
Xet unless told not to; the embedded Hub speaks classic LFS only. So the target is resolved and written
into the environment first, and every later import sees it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hubtools.errors import HubtoolsError
from hubtools.paths import hubtools_home

DEFAULT_ENDPOINT = "https://huggingface.co"
LOCAL = "local"
# The embedded Hub accepts any non-empty token when started without --token.
LOCAL_DEV_TOKEN = "hf_local_dev"


@dataclass(frozen=True)
class HubTarget:
    """A resolved Hub: its endpoint, the token to use, and whether it is the embedded Hub."""

    endpoint: str
    token: str | None = field(default=None, repr=False)
    embedded: bool = False

    def __str__(self) -> str:  # never shows the token
        return f"{self.endpoint} (embedded Hub)" if self.embedded else self.endpoint


def resolve_target(hub: str | None = None, token: str | None = None) -> HubTarget:
    """Turn `--hub local|URL` (or `HF_ENDPOINT`) and `--token` (or `HF_TOKEN`) into a HubTarget.

    `local` is the embedded Hub; its URL is known only once it runs, so the caller starts it
    (see `hubtools.hub.server.running_hub`) and resolves again with its URL and `embedded=True`.
    """
    value = hub or os.environ.get("HUBTOOLS_HUB") or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    if value == LOCAL:
        raise HubtoolsError("the embedded Hub must be started before it can be targeted (use `with local_hub():`)")
    if not value.startswith(("http://", "https://")):
        raise HubtoolsError(f"--hub: expected 'local' or an http(s) URL, got {value!r}")
    endpoint = value.rstrip("/")
    embedded = os.environ.get("HUBTOOLS_EMBEDDED_HUB") == endpoint or _is_embedded_hub(endpoint)
    resolved_token = token or os.environ.get("HF_TOKEN") or (LOCAL_DEV_TOKEN if embedded else None)
    return HubTarget(endpoint=endpoint, token=resolved_token, embedded=embedded)


def _is_embedded_hub(endpoint: str) -> bool:
    """Ask a non-huggingface.co endpoint whether it is a `hubtools hub serve` (it then needs Xet off)."""
    if endpoint == DEFAULT_ENDPOINT:
        return False
    try:
        with urllib.request.urlopen(f"{endpoint}/api/hubtools", timeout=2) as response:
            return json.load(response).get("server") == "hubtools"
    except (OSError, ValueError, AttributeError):
        return False


def apply_target(target: HubTarget) -> None:
    """Write the target into the environment the HF libraries read; refuse if they already read another."""
    _check_not_imported_elsewhere(target.endpoint)
    os.environ["HF_ENDPOINT"] = target.endpoint
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    if target.token:
        os.environ["HF_TOKEN"] = target.token
    if target.embedded:
        os.environ["HF_HUB_DISABLE_XET"] = "1"
        os.environ["HUBTOOLS_EMBEDDED_HUB"] = target.endpoint
        # Keep downloads from the embedded Hub apart from the user's huggingface.co cache:
        # repo ids may coincide while the contents differ.
        cache = hubtools_home() / "client-cache"
        os.environ.setdefault("HF_HUB_CACHE", str(cache / "hub"))
        os.environ.setdefault("HF_DATASETS_CACHE", str(cache / "datasets"))


def _check_not_imported_elsewhere(endpoint: str) -> None:
    constants = sys.modules.get("huggingface_hub.constants")
    current = getattr(constants, "ENDPOINT", None)
    if current is not None and current.rstrip("/") != endpoint:
        raise HubtoolsError(
            f"huggingface_hub was imported before the Hub target was set (it reads {current}, wanted {endpoint})"
        )


@contextlib.contextmanager
def local_hub(root: Path | None = None, token: str | None = None) -> Iterator[HubTarget]:
    """Start the embedded Hub in this process for the duration of a command and target it."""
    from hubtools.hub.server import running_hub

    with running_hub(root=root or hubtools_home() / "hub") as server:
        target = HubTarget(endpoint=server.url, token=token or LOCAL_DEV_TOKEN, embedded=True)
        apply_target(target)
        yield target


@contextlib.contextmanager
def hub_target(hub: str | None = None, token: str | None = None) -> Iterator[HubTarget]:
    """The one entry point commands use: `--hub local` starts the embedded Hub, anything else is a URL."""
    if (hub or os.environ.get("HUBTOOLS_HUB")) == LOCAL:
        with local_hub(token=token) as target:
            yield target
        return
    target = resolve_target(hub, token)
    apply_target(target)
    yield target
