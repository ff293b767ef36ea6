"""Several users (`--users USERS.toml`): own namespaces and orgs, private repos, whoami, with the real client."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from hubtools.errors import HubtoolsError
from hubtools.hub.server import running_hub
from hubtools.hub.users import load_users, read_token_file

USERS = """
[users.alice]
token = ["alice-token-1", "alice-token-2"]
orgs = ["team"]

[users.bob]
token = "bob-token"

[users.__DUMMY_TRANSFORMERS_USER__]
token = "dummy-token"
"""


@pytest.fixture(scope="module")
def users_hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("users")
    (folder / "users.toml").write_text(USERS)
    with running_hub(folder / "hub", users=load_users(folder / "users.toml")) as server:
        yield server


def api(server, token) -> HfApi:
    return HfApi(endpoint=server.url, token=token)


def status_of(call) -> int:
    with pytest.raises(HfHubHTTPError) as info:
        call()
    return info.value.response.status_code


def test_whoami_names_the_user_and_their_orgs(users_hub):
    alice = api(users_hub, "alice-token-2").whoami()
    assert alice["name"] == "alice" and alice["type"] == "user"
    assert [(org["name"], org["type"]) for org in alice["orgs"]] == [("team", "org")]
    assert api(users_hub, "bob-token").whoami()["orgs"] == []
    assert api(users_hub, "dummy-token").whoami()["name"] == "__DUMMY_TRANSFORMERS_USER__"
    assert status_of(lambda: api(users_hub, "nobody").whoami()) == 401


def test_users_write_only_under_their_name_and_orgs(users_hub):
    alice, bob = api(users_hub, "alice-token-1"), api(users_hub, "bob-token")
    alice.create_repo("alice/model")
    alice.create_repo("team/shared", repo_type="dataset")
    assert status_of(lambda: alice.create_repo("bob/not-yours")) == 403
    assert status_of(lambda: bob.create_repo("team/not-a-member")) == 403
    commit = alice.upload_file(path_or_fileobj=b"hi\n", path_in_repo="a.txt", repo_id="alice/model")
    assert alice.list_repo_commits("alice/model")[0].authors == ["alice"]
    assert alice.list_repo_commits("alice/model")[0].commit_id == commit.oid

    assert status_of(lambda: bob.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="alice/model")) == 403
    assert status_of(lambda: bob.delete_repo("alice/model")) == 403
    assert status_of(lambda: bob.create_branch("alice/model", branch="b")) == 403
    assert status_of(lambda: bob.move_repo("alice/model", "bob/model")) == 403
    assert bob.model_info("alice/model").id == "alice/model"  # public: readable by all
    dummy = api(users_hub, "dummy-token")
    dummy.create_repo("__DUMMY_TRANSFORMERS_USER__/repo")
    assert dummy.list_repo_files("__DUMMY_TRANSFORMERS_USER__/repo") == [".gitattributes"]


def test_private_repos_are_visible_to_their_owner_and_org_members_only(users_hub, tmp_path):
    alice, bob = api(users_hub, "alice-token-1"), api(users_hub, "bob-token")
    anonymous = api(users_hub, False)
    alice.create_repo("alice/secret", private=True)
    alice.create_repo("team/secret", private=True)
    alice.upload_file(path_or_fileobj=b"s\n", path_in_repo="s.txt", repo_id="alice/secret")
    for who in (bob, anonymous):
        with pytest.raises(RepositoryNotFoundError):
            who.model_info("alice/secret")
        with pytest.raises(RepositoryNotFoundError):
            who.model_info("team/secret")
        assert not who.file_exists("alice/secret", "s.txt")
        with pytest.raises(RepositoryNotFoundError):
            who.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="alice/secret")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("alice/secret", "s.txt", endpoint=users_hub.url, token="bob-token", cache_dir=tmp_path)
    assert alice.model_info("team/secret").private is True
    assert api(users_hub, "alice-token-2").list_repo_files("alice/secret") == [".gitattributes", "s.txt"]


def test_repo_ids_match_case_insensitively_and_keep_their_casing(users_hub):
    alice = api(users_hub, "alice-token-1")
    alice.create_repo("alice/MixedCase")
    assert alice.model_info("ALICE/mixedcase").id == "alice/MixedCase"
    assert status_of(lambda: alice.create_repo("alice/mixedcase")) == 409
    alice.upload_file(path_or_fileobj=b"x\n", path_in_repo="x.txt", repo_id="Alice/MIXEDCASE")
    assert alice.list_repo_files("alice/MixedCase") == [".gitattributes", "x.txt"]
    alice.create_repo("Team/Upper")  # org membership ignores case too
    assert alice.repo_exists("team/upper")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[users.alice]\ntoken = 'a'\nrole = 'admin'\n", "users.alice.role: unknown field"),
        ("[users.alice]\norgs = []\n", "users.alice.token"),
        ("[users.alice]\ntoken = []\n", "users.alice.token"),
        ("[users.alice]\ntoken = 'has space'\n", "users.alice.token"),
        ("[users.alice]\ntoken = 'a'\norgs = ['bad org']\n", "users.alice.orgs"),
        ("[users.'-bad']\ntoken = 'a'\n", "users.-bad"),
        ("[users.alice]\ntoken = 'a'\n[users.bob]\ntoken = 'a'\n", "users.bob.token"),
        ("[users.alice]\ntoken = 'a'\norgs = ['bob']\n[users.bob]\ntoken = 'b'\n", "users.alice.orgs"),
        ("users = {}\n", "users"),
        ("[users.alice]\ntoken = 'a'\n[users.Alice]\ntoken = 'b'\n", "users.Alice: the same name"),
        ("[users.alice]\ntoken = 42\n", "users.alice.token"),
        ("[users.alice\n", "invalid TOML"),
    ],
)
def test_users_file_errors_name_the_file_and_the_field(tmp_path, text, expected):
    path = tmp_path / "users.toml"
    path.write_text(text)
    with pytest.raises(HubtoolsError) as info:
        load_users(path)
    assert str(info.value).startswith(f"{path}:") and expected in str(info.value)
    assert "'a'" not in str(info.value) and "'b'" not in str(info.value)  # tokens are never echoed


def test_token_file_reads_one_token_a_line(tmp_path: Path):
    path = tmp_path / "tokens"
    path.write_text("# comment\n\ntok-1\n  tok-2  \n")
    assert read_token_file(path) == ["tok-1", "tok-2"]
    path.write_text("# only a comment\n")
    with pytest.raises(HubtoolsError, match="holds no token"):
        read_token_file(path)
    with pytest.raises(HubtoolsError, match="cannot read"):
        read_token_file(tmp_path / "absent")
