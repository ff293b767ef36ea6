"""Fixtures for the web tests: the static app's npm packages, installed from its package-lock.json."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WEB_CHAT = Path(__file__).resolve().parents[2] / "spaces" / "web-chat"


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
