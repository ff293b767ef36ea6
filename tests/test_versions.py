"""`hubtools.versions`: which tags are releases and how they order, for the push, the release and the Space."""

from __future__ import annotations

import pytest

from hubtools.errors import HubtoolsError
from hubtools.versions import check_release_tag, is_release_tag, release_key

RELEASES = ["v0.1.0", "v1.2.3", "v10.0.0", "v1.2.3-rc.1", "v1.2.3rc1", "v1.2.3-beta", "v1.2.3-alpha.2", "v1.2.3.post1"]
NOT_RELEASES = [
    "latest", "main", "v1", "v1.2", "1.2.3", "V1.2.3", "v1.2.3.4", "vv1.2.3", " v1.2.3", "v1.2.3 ", "v1.2.3-foo",
    "v1!1.2.3", "release-2", "checkpoint-10", "", "v", "v1.2.x",
]  # fmt: skip


@pytest.mark.parametrize("tag", RELEASES)
def test_release_tags_are_accepted(tag):
    assert is_release_tag(tag)
    check_release_tag(tag)


@pytest.mark.parametrize("tag", NOT_RELEASES)
def test_other_tags_are_not_releases(tag):
    assert not is_release_tag(tag)
    with pytest.raises(ValueError, match="not a release tag"):
        release_key(tag)
    with pytest.raises(HubtoolsError, match=r"^--version: expected a version tag like v1\.2\.3"):
        check_release_tag(tag)


def test_releases_order_numerically_with_pre_releases_first():
    tags = ["v0.10.0", "v0.9.0", "v0.10.0-rc.1", "v0.2.0", "v0.10.0-alpha", "v1.0.0-beta.2", "v1.0.0-beta.10"]
    assert sorted(tags, key=release_key) == [
        "v0.2.0", "v0.9.0", "v0.10.0-alpha", "v0.10.0-rc.1", "v0.10.0", "v1.0.0-beta.2", "v1.0.0-beta.10",
    ]  # fmt: skip
