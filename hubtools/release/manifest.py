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

    def to_json(self) -> str:
        data = asdict(self)
        if self.space is not None:
            data["space"].pop("tag")
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        space = data.get("space")
        return cls(
            version=data["version"],
            dataset=RepoRef(**data["dataset"]),
            model=RepoRef(**data["model"]),
            space=RepoRef(**space) if space else None,
            recipe_hash=data["recipe_hash"],
            hubtools_version=data["hubtools_version"],
        )
