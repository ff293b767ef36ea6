"""`release.json`: the `spaces` layout round-trips byte for byte; manifests written by earlier hubtools (`space`,
`web_space`) still load, as the same Spaces; unknown keys are ignored; a broken one is a ValueError, not a
KeyError deep in a stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.release.manifest import Manifest, RepoRef, SpaceRef

EARLIER = Path(__file__).parent / "fixtures" / "release-v1.json"  # as written by hubtools before `spaces`


def test_a_manifest_round_trips_byte_for_byte():
    manifest = Manifest(
        "v1.0.0",
        RepoRef("u/d", "c1", "v1.0.0"),
        RepoRef("u/m", "c2", "v1.0.0"),
        "h",
        "0.2",
        (SpaceRef("u/web", "static", "c4"), SpaceRef("u/s", "gradio", "c3")),
    )
    text = manifest.to_json()
    assert json.loads(text)["spaces"] == [
        {"repo_id": "u/web", "kind": "static", "commit": "c4"},
        {"repo_id": "u/s", "kind": "gradio", "commit": "c3"},
    ]
    assert "space" not in json.loads(text) and "web_space" not in json.loads(text)
    assert Manifest.from_json(text) == manifest and Manifest.from_json(text).to_json() == text


def test_an_earlier_manifest_loads_its_spaces_by_kind():
    manifest = Manifest.from_json(EARLIER.read_text(encoding="utf-8"))
    assert manifest.spaces == (SpaceRef("u/s", "gradio", "c3"),) and manifest.model.tag == "v1.0.0"
    data = json.loads(EARLIER.read_text(encoding="utf-8"))
    data["web_space"] = {"repo_id": "u/w", "commit": "c5"}
    both = Manifest.from_json(json.dumps(data))
    assert both.spaces == (SpaceRef("u/s", "gradio", "c3"), SpaceRef("u/w", "static", "c5"))
    data.update(space=None, web_space=None)
    assert Manifest.from_json(json.dumps(data)).spaces == ()


def test_unknown_keys_are_ignored():
    data = json.loads(EARLIER.read_text(encoding="utf-8"))
    data["model"]["size"] = 123
    data["future"] = {"x": 1}
    data["spaces"] = [{"repo_id": "u/s", "kind": "gradio", "commit": "c3", "hardware": "zero-a10g"}]
    manifest = Manifest.from_json(json.dumps(data))
    assert manifest.model == RepoRef("u/m", "c2", "v1.0.0") and manifest.spaces == (SpaceRef("u/s", "gradio", "c3"),)
    assert "future" not in manifest.to_json() and "hardware" not in manifest.to_json()


@pytest.mark.parametrize(
    "text",
    [
        '{"version": "v1.0.0"}',
        "[]",
        '{"version": 1, "dataset": {}}',
        "{broken",
        EARLIER.read_text().replace('"space": {', '"spaces": [{"kind": "docker", ').replace('"u/s"}', '"u/s"}]'),
        EARLIER.read_text().replace('"space": {"commit": "c3", "repo_id": "u/s"}', '"space": "u/s"'),
    ],
)
def test_a_broken_manifest_is_a_value_error(text):
    with pytest.raises(ValueError):
        Manifest.from_json(text)


def test_a_base_model_is_written_with_its_tag_and_read_back():
    manifest = Manifest.from_json(EARLIER.read_text(encoding="utf-8"))
    assert manifest.base_model is None and '"base_model"' not in manifest.to_json()
    data = json.loads(manifest.to_json())
    data["base_model"] = {"repo_id": "u/base", "commit": "c9", "tag": "demo-base-0123456789abcdef"}
    with_base = Manifest.from_json(json.dumps(data))
    assert with_base.base_model == RepoRef("u/base", "c9", "demo-base-0123456789abcdef")
    assert json.loads(with_base.to_json())["base_model"] == data["base_model"]
