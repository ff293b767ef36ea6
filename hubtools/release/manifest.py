"""`release.json`: what a release is made of, committed to the model repo and printed with `--json`.

The layout is published (every released model repo holds one): sorted keys, one line, every Space the release
deployed under `spaces` as `{"repo_id", "kind", "commit"}` (no `tag`: Spaces are tagged separately). Releases
made before a recipe could list Spaces hold `space` (the Gradio Space) and `web_space` (the static one) instead;
those still load, as the same `spaces`. `base_model` (the base the release published first and fine-tuned from)
is left out when there is none. Reading ignores keys it does not know, so a manifest from a newer hubtools still
loads.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import TypeAdapter, model_validator
from pydantic.dataclasses import dataclass

MANIFEST_FILE = "release.json"
SpaceKind = Literal["static", "gradio"]


@dataclass(frozen=True)
class RepoRef:
    repo_id: str
    commit: str
    tag: str | None = None


@dataclass(frozen=True)
class SpaceRef:
    """A Space the release deployed: its kind, and the commit that serves the released model."""

    repo_id: str
    kind: SpaceKind
    commit: str


@dataclass(frozen=True)
class Manifest:
    version: str
    dataset: RepoRef
    model: RepoRef
    recipe_hash: str
    hubtools_version: str
    spaces: tuple[SpaceRef, ...] = ()
    # The base model the release published first and fine-tuned from (tag: its content key); left out when none.
    base_model: RepoRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _earlier_layout(cls, data: Any) -> Any:
        """`space` (Gradio) and `web_space` (static), each `{"repo_id", "commit"}` or null, as `spaces`."""
        if isinstance(data, dict) and "spaces" not in data:
            data = dict(data)
            earlier = ((data.pop("space", None), "gradio"), (data.pop("web_space", None), "static"))
            data["spaces"] = [
                {**ref, "kind": kind} if isinstance(ref, dict) else ref for ref, kind in earlier if ref is not None
            ]
        return data

    def to_json(self) -> str:
        data = _MANIFEST.dump_python(self, mode="json")
        if data["base_model"] is None:  # releases without one keep the layout earlier runs wrote
            del data["base_model"]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse `release.json`; a ValueError (pydantic's ValidationError is one) for a broken file."""
        return _MANIFEST.validate_python(json.loads(text))


_MANIFEST = TypeAdapter(Manifest)
