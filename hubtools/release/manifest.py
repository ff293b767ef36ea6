"""`release.json`: what a release is made of, committed to the model repo and printed with `--json`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

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

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("space", "web_space"):
            if data[key] is not None:
                data[key].pop("tag")
        if data["web_space"] is None:
            del data["web_space"]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        space, web_space = data.get("space"), data.get("web_space")
        return cls(
            version=data["version"],
            dataset=RepoRef(**data["dataset"]),
            model=RepoRef(**data["model"]),
            space=RepoRef(**space) if space else None,
            recipe_hash=data["recipe_hash"],
            hubtools_version=data["hubtools_version"],
            web_space=RepoRef(**web_space) if web_space else None,
        )
