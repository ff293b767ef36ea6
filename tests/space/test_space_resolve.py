"""Which revision the Space serves: releases (semver), main, checkpoints; friendly errors for missing ones."""

from __future__ import annotations

import pytest

from hubtools.errors import HubtoolsError
from hubtools.serve.resolve import download_model, list_checkpoints, list_choices, list_releases, resolve_model


def test_semver_sorting_ignores_other_tags(session_api, repo_name):
    repo = repo_name("tags")
    session_api.create_repo(repo)
    for tag in ("v0.9.0", "v0.10.0", "v0.10.0-rc.1", "v0.2.0", "latest", "v1", "release-2"):
        session_api.create_tag(repo, tag=tag)
    assert list_releases(repo, api=session_api) == ["v0.10.0", "v0.10.0-rc.1", "v0.9.0", "v0.2.0"]
    assert resolve_model(repo, api=session_api).revision == "v0.10.0"


def test_default_is_main_without_releases(session_api, repo_name):
    repo = repo_name("norelease")
    session_api.create_repo(repo)
    session_api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=repo)
    resolved = resolve_model(repo, api=session_api)
    assert (resolved.revision, resolved.kind) == ("main", "branch")
    assert list_checkpoints(repo, api=session_api) == []


def test_release_and_checkpoint_resolution(session_api, chat_repo):
    newest = resolve_model(chat_repo.repo_id, api=session_api)
    assert (newest.revision, newest.kind, newest.commit) == ("v0.2.0", "release", chat_repo.tags["v0.2.0"])
    assert "release v0.2.0" in newest.describe() and newest.commit[:10] in newest.describe()

    older = resolve_model(chat_repo.repo_id, "v0.1.0", api=session_api)
    assert older.commit == chat_repo.tags["v0.1.0"]

    checkpoints = list_checkpoints(chat_repo.repo_id, api=session_api)
    assert [c.value for c in checkpoints] == ["checkpoints:checkpoint-2", "checkpoints:checkpoint-1"]
    ckpt = resolve_model(chat_repo.repo_id, checkpoints[0].value, api=session_api)
    assert (ckpt.kind, ckpt.subfolder, ckpt.commit) == ("checkpoint", "checkpoint-2", chat_repo.checkpoints_commit)

    visitor = [c.value for c in list_choices(chat_repo.repo_id, api=session_api)]
    assert visitor == ["v0.2.0", "v0.1.0", "v0.0.1", "main"]
    maintainer = [c.value for c in list_choices(chat_repo.repo_id, api=session_api, with_checkpoints=True)]
    assert maintainer == visitor + ["checkpoints:checkpoint-2", "checkpoints:checkpoint-1"]


def test_download_prefers_published_fast_weights(session_api, chat_repo):
    files = download_model(resolve_model(chat_repo.repo_id, "v0.2.0", api=session_api), api=session_api)
    assert files.fast_dir is not None and (files.fast_dir / "model.bin").is_file()
    assert not (files.path / "model.safetensors").exists()  # fp32 weights are not needed
    assert (files.path / "chat_template.jinja").is_file()

    ckpt = resolve_model(chat_repo.repo_id, "checkpoints:checkpoint-1", api=session_api)
    files = download_model(ckpt, api=session_api)
    assert files.fast_dir is None and (files.path / "model.safetensors").is_file()
    assert files.path.name == "checkpoint-1"


@pytest.mark.parametrize(
    ("repo", "revision", "expected"),
    [
        ("local/does-not-exist-42", None, "was not found"),
        (None, "v9.9.9", "'v9.9.9' does not exist"),
        (None, "checkpoints:checkpoint-99", "no such folder"),
        ("not a repo id!", None, "is not a model repo id"),
    ],
)
def test_missing_repo_or_revision_is_a_friendly_error(session_api, chat_repo, repo, revision, expected):
    with pytest.raises(HubtoolsError, match=expected):
        resolve_model(repo or chat_repo.repo_id, revision, api=session_api)
