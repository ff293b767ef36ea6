"""Fixtures of the community tests: the planted-PII dump, uploads in a Gradio-like temp folder, a store."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _community_planted import PLANTED  # noqa: E402


@pytest.fixture
def uploads(tmp_path) -> list[str]:
    """The planted dump files copied where an upload would land (the contribute flow deletes them)."""
    folder = tmp_path / "gradio-upload"
    folder.mkdir()
    return [str(shutil.copy(path, folder / path.name)) for path in sorted(PLANTED.glob("*.json"))]


@pytest.fixture
def store(hf_api, repo_name, tmp_path):
    """A contributions store on a fresh private dataset repo of the embedded Hub; pushes only when told to."""
    from hubtools.community.store import ContributionStore

    store = ContributionStore(repo_name("contrib"), hf_api=hf_api, every_minutes=600, folder=tmp_path / "staging")
    yield store
    store.close(push=False)
