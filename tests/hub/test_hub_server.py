"""Server-level guarantees: token auth, durability across restarts, and concurrent writers."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from hubtools.hub.server import running_hub


def test_tokens_restrict_writes_and_private_repos(tmp_path, send_raw):
    wrong = "wrong-token-do-not-echo"
    with running_hub(tmp_path / "hub", tokens=["secret"], user="alice") as server:
        owner = HfApi(endpoint=server.url, token="secret")
        intruder = HfApi(endpoint=server.url, token=wrong)
        anonymous = HfApi(endpoint=server.url, token=False)

        assert owner.whoami()["name"] == "alice"
        with pytest.raises(HfHubHTTPError) as info:
            intruder.whoami()
        assert info.value.response.status_code == 401

        with pytest.raises(HfHubHTTPError) as info:
            intruder.create_repo("alice/stolen")
        assert info.value.response.status_code == 401
        with pytest.raises(HfHubHTTPError):
            anonymous.create_repo("alice/anonymous")

        owner.create_repo("alice/public")
        owner.create_repo("alice/hidden", private=True)
        owner.upload_file(path_or_fileobj=b"hello\n", path_in_repo="hello.txt", repo_id="alice/public")
        owner.upload_file(path_or_fileobj=b"secret\n", path_in_repo="s.txt", repo_id="alice/hidden")

        assert anonymous.model_info("alice/public").private is False
        local = hf_hub_download(
            "alice/public", "hello.txt", endpoint=server.url, token=False, cache_dir=tmp_path / "c"
        )
        assert Path(local).read_bytes() == b"hello\n"
        with pytest.raises(RepositoryNotFoundError):
            anonymous.model_info("alice/hidden")
        assert not anonymous.file_exists("alice/hidden", "s.txt")
        assert owner.model_info("alice/hidden").private is True

        for api in (intruder, anonymous):
            with pytest.raises(HfHubHTTPError):
                api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="alice/public")
            with pytest.raises(HfHubHTTPError):
                api.delete_repo("alice/public")
        assert owner.list_repo_files("alice/public") == [".gitattributes", "hello.txt"]

        reply = send_raw(server.url, "POST", "/api/repos/create", body={"name": "x"}, token=wrong)
        assert reply.status == 401
        assert wrong not in reply.body.decode() and wrong not in str(reply.headers)
        assert server.unknown_requests == []


def test_restart_keeps_repos_refs_and_files(tmp_path, send_raw):
    root = tmp_path / "hub"
    weights = os.urandom(30_000)
    with running_hub(root) as first:
        api = HfApi(endpoint=first.url, token="dev")
        api.create_repo("local/model")
        api.create_repo("local/data", repo_type="dataset", private=True)
        api.upload_file(path_or_fileobj=weights, path_in_repo="w.safetensors", repo_id="local/model")
        api.upload_file(path_or_fileobj=b"cfg\n", path_in_repo="cfg/config.json", repo_id="local/model")
        api.create_branch("local/model", branch="dev")
        api.create_tag("local/model", tag="v1", tag_message="release")
        api.upload_file(path_or_fileobj=b"a,b\n", path_in_repo="d.csv", repo_id="local/data", repo_type="dataset")
        refs_before = api.list_repo_refs("local/model")
        commits_before = api.list_repo_commits("local/model")
        info_before = api.model_info("local/model", files_metadata=True)

    with running_hub(root) as second:
        api = HfApi(endpoint=second.url, token="dev")
        assert api.list_repo_refs("local/model") == refs_before
        assert api.list_repo_commits("local/model") == commits_before
        info = api.model_info("local/model", files_metadata=True)
        assert (info.sha, info.siblings, info.last_modified) == (
            info_before.sha,
            info_before.siblings,
            info_before.last_modified,
        )
        assert send_raw(second.url, "GET", "/local/model/resolve/v1/w.safetensors").body == weights
        assert send_raw(second.url, "GET", "/local/model/resolve/dev/cfg/config.json").body == b"cfg\n"
        assert api.dataset_info("local/data").private is True
        assert send_raw(second.url, "GET", "/datasets/local/data/resolve/main/d.csv").status == 404  # anonymous
        assert api.list_repo_files("local/data", repo_type="dataset") == [".gitattributes", "d.csv"]
    leftovers = [path for path in (root / "tmp").rglob("*") if path.is_file()] if (root / "tmp").exists() else []
    assert leftovers == []


def test_concurrent_commits_without_parent_all_land(hf_api, hub, hub_token, repo_name):
    """8 writers x 5 commits, half through a second server on the same root (like a second process): the
    compare-and-swap on the branch makes the losers re-apply their changes, and no commit is lost."""
    repo = repo_name("concurrent")
    hf_api.create_repo(repo)
    with running_hub(hub.root) as twin:
        apis = [hf_api, HfApi(endpoint=twin.url, token=hub_token)]

        def write(thread: int) -> None:
            for number in range(5):
                apis[thread % 2].create_commit(
                    repo,
                    operations=[CommitOperationAdd(f"t{thread}/f{number}.txt", f"{thread}-{number}\n".encode())],
                    commit_message=f"thread {thread} commit {number}",
                )

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(write, range(8)))

    assert len(hf_api.list_repo_commits(repo)) == 1 + 8 * 5
    files = set(hf_api.list_repo_files(repo))
    assert {f"t{thread}/f{number}.txt" for thread in range(8) for number in range(5)} <= files


def test_concurrent_commits_on_the_same_stale_parent_one_wins(hf_api, repo_name):
    repo = repo_name("race")
    hf_api.create_repo(repo)
    parent = hf_api.model_info(repo).sha
    barrier = threading.Barrier(2)

    def write(name: str) -> int:
        barrier.wait()
        try:
            hf_api.create_commit(
                repo, operations=[CommitOperationAdd(name, b"x\n")], commit_message=name, parent_commit=parent
            )
            return 200
        except HfHubHTTPError as error:
            return error.response.status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(write, ["a.txt", "b.txt"]))
    assert statuses == [200, 412]
    assert len(hf_api.list_repo_commits(repo)) == 2
