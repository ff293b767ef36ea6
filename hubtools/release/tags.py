"""The commit point of a release: `release.json` on the model repo, then the tags, the model's last.

Once every artifact is uploaded and read back, `release.json` is committed to the model repo: it names the exact
dataset, model and Space commits and the release's recipe hash, so it is a complete record of what is about to be
tagged. The dataset and the Space are tagged next, and the model repo last, on the `release.json` commit: that tag
is what makes the version released (`released_manifest` reads it). A run killed between these steps left a
`release.json` commit of this version and recipe hash on the model repo; a re-run finds it there and knows, from
the Hub alone, which tags are its own (those on the commits it names) and creates only the missing ones. A tag on
any other commit belongs to something else and is refused before any tag is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hubtools.errors import HubtoolsError
from hubtools.release.manifest import MANIFEST_FILE, Manifest

if TYPE_CHECKING:
    from huggingface_hub import HfApi


@dataclass(frozen=True)
class Prepared:
    """A committed `release.json` not yet (or not fully) tagged: the manifest and the model repo commit holding it."""

    manifest: Manifest
    commit: str

    def targets(self) -> list[tuple[str, str, str]]:
        """(repo id, repo type, commit) in tagging order: the model repo, the commit point, comes last."""
        manifest = self.manifest
        targets = [(manifest.dataset.repo_id, "dataset", manifest.dataset.commit)]
        targets += [(space.repo_id, "space", space.commit) for space in manifest.spaces]
        targets.append((manifest.model.repo_id, "model", self.commit))
        return targets


def _title(version: str) -> str:
    return f"Release {version}: manifest"


def commit_manifest(api: HfApi, manifest: Manifest) -> Prepared:
    """Commit `release.json`; its commit message also carries the recipe hash, for people reading the history."""
    info = api.upload_file(
        path_or_fileobj=(manifest.to_json() + "\n").encode(),
        path_in_repo=MANIFEST_FILE,
        repo_id=manifest.model.repo_id,
        commit_message=f"{_title(manifest.version)} (recipe {manifest.recipe_hash})",
    )
    return Prepared(manifest, info.oid)


def prepared_release(api: HfApi, model_repo: str, version: str, digest: str) -> Prepared | None:
    """The `release.json` commit an interrupted run of this very release (same version and recipe hash) left."""
    from huggingface_hub.errors import EntryNotFoundError

    if not api.repo_exists(model_repo):
        return None
    for commit in api.list_repo_commits(model_repo):
        if not commit.title.startswith(_title(version)):
            continue
        try:
            path = api.hf_hub_download(model_repo, MANIFEST_FILE, revision=commit.commit_id)
        except EntryNotFoundError:
            continue
        try:
            manifest = Manifest.from_json(Path(path).read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError):
            continue  # not a manifest this hubtools wrote
        if manifest.version == version and manifest.recipe_hash == digest:
            return Prepared(manifest, commit.commit_id)
    return None


def _already_tagged(api: HfApi, repo_id: str, repo_type: str, version: str, commit: str) -> bool:
    """Whether `version` is already tagged on `commit` (an earlier run's tag); refuse a tag on any other commit."""
    tags = {ref.name: ref.target_commit for ref in api.list_repo_refs(repo_id, repo_type=repo_type).tags}
    if version not in tags:
        return False
    if tags[version] != commit:
        raise HubtoolsError(
            f"tag {version} on {repo_type} repo {repo_id} points at {tags[version][:12]}, not at {commit[:12]} that "
            f"this release made: it belongs to something else; delete that tag or release under another version"
        )
    return True


def missing_tags(api: HfApi, prepared: Prepared) -> list[tuple[str, str, str]]:
    """The (repo id, repo type, commit) still to tag, in order; refuses a gone commit or a tag on another commit."""
    version = prepared.manifest.version
    missing = []
    for repo_id, repo_type, commit in prepared.targets():
        if not api.revision_exists(repo_id, commit, repo_type=repo_type):
            raise HubtoolsError(
                f"commit {commit[:12]} named in {MANIFEST_FILE} is gone from {repo_type} repo {repo_id}"
            )
        if not _already_tagged(api, repo_id, repo_type, version, commit):
            missing.append((repo_id, repo_type, commit))
    return missing


def tag_release(api: HfApi, prepared: Prepared) -> str:
    """Check every tag first, then create the missing ones in order; the model's tag last marks the release done."""
    version = prepared.manifest.version
    for repo_id, repo_type, commit in missing_tags(api, prepared):
        api.create_tag(repo_id, tag=version, revision=commit, repo_type=repo_type)
    return version
