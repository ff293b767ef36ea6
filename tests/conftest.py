"""Hermetic test session: caches, token files and hubtools state in a temp dir, one embedded Hub for all.

The embedded Hub is started and targeted in `pytest_configure`, before any test module imports a Hugging
Face library, because those libraries read `HF_ENDPOINT` at import time (see hubtools.hub.target).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Flags that work on these machines: no sandbox as root, and no background calls to a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

_STATE: dict = {}


def pytest_configure(config: pytest.Config) -> None:
    base = Path(tempfile.mkdtemp(prefix="hubtools-tests-"))
    _STATE["base"] = base
    for name, sub in {
        "HF_HOME": "hf-home",
        "HUBTOOLS_HOME": "hubtools-home",
        "HF_HUB_CACHE": "hf-home/hub",
        "HF_DATASETS_CACHE": "hf-home/datasets",
        "HF_XET_CACHE": "hf-home/xet",
        "MPLCONFIGDIR": "mpl",
    }.items():
        os.environ[name] = str(base / sub)
    os.environ.pop("HF_TOKEN", None)
    os.environ.pop("HF_ENDPOINT", None)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"

    from hubtools.hub.server import running_hub
    from hubtools.hub.target import LOCAL_DEV_TOKEN, HubTarget, apply_target

    context = running_hub(root=base / "hub-root")
    server = context.__enter__()
    _STATE["hub_context"] = context
    _STATE["hub"] = server
    apply_target(HubTarget(endpoint=server.url, token=LOCAL_DEV_TOKEN, embedded=True))


def pytest_unconfigure(config: pytest.Config) -> None:
    context = _STATE.pop("hub_context", None)
    if context is not None:
        context.__exit__(None, None, None)
    base = _STATE.pop("base", None)
    if base is not None:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def hub():
    """The session's embedded Hub server (url, root, unknown_requests)."""
    return _STATE["hub"]


@pytest.fixture(scope="session")
def hub_token() -> str:
    from hubtools.hub.target import LOCAL_DEV_TOKEN

    return LOCAL_DEV_TOKEN


@pytest.fixture
def hf_api(hub, hub_token):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub_token)


@pytest.fixture
def repo_name():
    """A fresh repo id in the local user's namespace for each call."""

    def make(prefix: str = "test") -> str:
        return f"local/{prefix}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture(autouse=True)
def _no_unimplemented_routes(hub):
    """Any request to a route the embedded Hub does not implement fails the test that made it."""
    hub.unknown_requests.clear()
    yield
    unknown = list(hub.unknown_requests)
    hub.unknown_requests.clear()
    assert not unknown, f"requests to routes the embedded Hub does not implement: {unknown}"


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright (no browser download); skipped, saying why, without either.

    Module-scoped: one sync Playwright at a time per process, closed before the next test module starts its own.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed: browser tests need Debian's chromium (make browser)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright; no browser download)"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# The static chat Space's npm packages, shared by the web and release tests.
WEB_CHAT = Path(__file__).resolve().parents[1] / "spaces" / "web-chat"


@pytest.fixture(scope="session")
def web_node_modules() -> Path:
    """`spaces/web-chat/node_modules`, from `npm ci` (pinned by package-lock.json) when it is not there yet."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the web tests")
    modules = WEB_CHAT / "node_modules"
    if not (modules / "@huggingface" / "transformers" / "package.json").is_file():
        result = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=WEB_CHAT, capture_output=True, text=True
        )
        if result.returncode != 0:
            pytest.skip(f"npm ci failed in {WEB_CHAT}: {result.stderr.strip()[-300:]}")
    return modules
