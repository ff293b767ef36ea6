"""Release version tags (`v1.2.3`, `v1.2.3-rc.1`): what counts as one and how they order, decided once.

The data push, the release and the Space's revision picker all read tags; they share this definition so a
tag one accepts is a release for the others. A release tag is `v` and a version `packaging.version` parses
with exactly three release numbers (MAJOR.MINOR.PATCH) and no epoch; pre-, post- and dev-releases follow
PEP 440 (`-rc.1`, `-beta2`, `-alpha` are pre-releases and sort before their release). Anything else (`v1`,
`latest`, `release-2`, branch names) is not a release.
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

from hubtools.errors import HubtoolsError

# packaging accepts surrounding spaces and its own leading `v`; a tag is `v` then a digit, no spaces, nothing else.
_SHAPE = re.compile(r"v\d+\.\d+\.\d+[0-9A-Za-z.+-]*")


def release_version(tag: str) -> Version | None:
    """The version a release tag names, or None when `tag` is not a release tag."""
    if not _SHAPE.fullmatch(tag):
        return None
    try:
        version = Version(tag[1:])
    except InvalidVersion:
        return None
    return version if len(version.release) == 3 and version.epoch == 0 else None


def is_release_tag(tag: str) -> bool:
    """Whether `tag` names a release (`v1.2.3`, `v1.2.3-rc.1`)."""
    return release_version(tag) is not None


def release_key(tag: str) -> Version:
    """Sort key for release tags (a pre-release before its release); ValueError for any other tag."""
    version = release_version(tag)
    if version is None:
        raise ValueError(f"not a release tag: {tag}")
    return version


def check_release_tag(tag: str, option: str = "--version") -> None:
    """Refuse a version to publish that is not a release tag, naming the option it came from."""
    if not is_release_tag(tag):
        raise HubtoolsError(f"{option}: expected a version tag like v1.2.3 (or v1.2.3-rc.1), got {tag!r}")
