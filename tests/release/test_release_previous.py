"""The previous release a card compares against: the newest release tag below this version, other tags ignored."""

from __future__ import annotations

from hubtools.release.stages import previous_release


def test_previous_release_skips_tags_that_are_not_releases(hf_api, repo_name, tmp_path):
    repo = repo_name("previous")
    hf_api.create_repo(repo)
    for tag in ("latest", "v0.1.0", "v0.2.0-rc.1", "checkpoint-3", "v0.10.0", "v1"):
        hf_api.create_tag(repo, tag=tag)
    found = previous_release(hf_api, repo, "v0.10.0", tmp_path)
    assert found is not None and (found.tag, found.eval_results) == ("v0.2.0-rc.1", None)
    assert previous_release(hf_api, repo, "v0.1.0", tmp_path) is None
