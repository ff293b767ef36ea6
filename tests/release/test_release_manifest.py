"""`release.json` keeps the published layout: a manifest written by an earlier hubtools loads and re-serializes
to the same bytes; unknown keys are ignored; a broken one is a ValueError, not a KeyError deep in a stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.release.manifest import Manifest, RepoRef

PUBLISHED = Path(__file__).parent / "fixtures" / "release-v1.json"  # as written by hubtools before pydantic


def test_a_published_manifest_round_trips_byte_for_byte():
    text = PUBLISHED.read_text(encoding="utf-8")
    manifest = Manifest.from_json(text)
    assert manifest.space == RepoRef("u/s", "c3") and manifest.model.tag == "v1.0.0"
    assert manifest.to_json() == text


def test_a_manifest_without_space_and_with_unknown_keys_loads():
    data = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    data["space"] = None
    data["model"]["size"] = 123
    data["future"] = {"x": 1}
    manifest = Manifest.from_json(json.dumps(data))
    assert manifest.space is None and manifest.model == RepoRef("u/m", "c2", "v1.0.0")
    assert "future" not in manifest.to_json() and '"space": null' in manifest.to_json()


@pytest.mark.parametrize("text", ['{"version": "v1.0.0"}', "[]", '{"version": 1, "dataset": {}}', "{broken"])
def test_a_broken_manifest_is_a_value_error(text):
    with pytest.raises(ValueError):
        Manifest.from_json(text)


def test_a_base_model_is_written_with_its_tag_and_read_back():
    manifest = Manifest.from_json(PUBLISHED.read_text(encoding="utf-8"))
    assert manifest.base_model is None and '"base_model"' not in manifest.to_json()
    data = json.loads(manifest.to_json())
    data["base_model"] = {"repo_id": "u/base", "commit": "c9", "tag": "demo-base-0123456789abcdef"}
    with_base = Manifest.from_json(json.dumps(data))
    assert with_base.base_model == RepoRef("u/base", "c9", "demo-base-0123456789abcdef")
    assert json.loads(with_base.to_json())["base_model"] == data["base_model"]
