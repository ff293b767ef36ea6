"""Who counts as a maintainer: the signed-in profile's account or organisations, never a typed token."""

from __future__ import annotations

import pytest

from hubtools.serve.access import is_maintainer, profile_names


def _profile(username, *orgs):
    return {"preferred_username": username, "orgs": [{"preferred_username": org, "name": org.title()} for org in orgs]}


@pytest.mark.parametrize(
    ("profile", "repo", "expected"),
    [
        (_profile("alice"), "alice/tiny-chat", True),
        (_profile("bob", "acme"), "acme/tiny-chat", True),  # a member of the owning organisation
        (_profile("mallory", "other"), "alice/tiny-chat", False),
        (_profile("alicex"), "alice/tiny-chat", False),  # no prefix matching
        (None, "alice/tiny-chat", False),  # signed out
        (_profile("alice"), None, False),  # nothing configured
        (_profile("alice"), "tiny-chat", False),  # no owner in the id
    ],
)
def test_maintainer_on_a_space(monkeypatch, profile, repo, expected):
    monkeypatch.setenv("SPACE_ID", "alice/demo")
    assert is_maintainer(profile, repo) is expected


def test_profile_names_ignore_junk():
    assert profile_names({"preferred_username": "a", "orgs": ["x", {"name": "B"}, None]}) == {"a", "B"}
    assert profile_names({}) == set()


def test_locally_the_local_tokens_account_is_the_signed_in_one(monkeypatch, session_api):
    """Off a Space, whoami with the local token ('local' on the embedded Hub) adds its organisations, and only
    for a profile of that same account."""
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert is_maintainer(_profile("local"), "local/model", api=session_api)
    assert not is_maintainer(_profile("mallory"), "local/model", api=session_api)
    assert not is_maintainer(_profile("local"), "acme/model", api=session_api)  # 'local' is in no organisation
