"""`release.json`: what a release is made of, committed to the model repo and printed with `--json`.

The layout is published (every released model repo holds one), so it stays exactly as older runs wrote it:
sorted keys, one line, no `tag` under `space`/`web_space` (Spaces are tagged separately) and no `web_space`
or `base_model` key when there is none. Reading ignores keys it
does not know, so a manifest from an older or newer hubtools still loads.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, field_serializer
from pydantic.dataclasses import dataclass

MANIFEST_FILE = "release.json"


@dataclass(frozen=True)
class RepoRef:
    repo_id: str
    commit: str
    tag: str | None = None


@dataclass(frozen=True)
class Manifest:
    version: str
    dataset: RepoRef
    model: RepoRef
    space: RepoRef | None
    recipe_hash: str
    hubtools_version: str
    web_space: RepoRef | None = None  # the static (in-browser) chat Space; left out of release.json when none
    # The base model the release published first and fine-tuned from (tag: its content key); left out when none.
    base_model: RepoRef | None = None

    @field_serializer("space", "web_space", mode="wrap")
    def _space_without_tag(self, space: RepoRef | None, handler: Any) -> dict[str, Any] | None:
        data = handler(space)
        if data is not None:
            data.pop("tag")
        return data

    def to_json(self) -> str:
        data = _MANIFEST.dump_python(self)
        for optional in ("web_space", "base_model"):  # releases without them keep the layout older runs wrote
            if data[optional] is None:
                del data[optional]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse `release.json`; a ValueError (pydantic's ValidationError is one) for a broken file."""
        return _MANIFEST.validate_python(json.loads(text))


_MANIFEST = TypeAdapter(Manifest)
