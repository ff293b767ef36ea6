"""Contract tests with the unmodified `huggingface_hub` client: the details clients look at, as huggingface.co."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)

from hubtools.hub._gitignore import GitIgnore
from hubtools.hub.server import running_hub
from hubtools.hub.users import Accounts, User


def test_move_repo_keeps_history_and_frees_the_old_name(hf_api, repo_name):
    source, target = repo_name("move-from"), repo_name("move-to")
    hf_api.create_repo(source, repo_type="dataset")
    commit = hf_api.upload_file(path_or_fileobj=b"a\n", path_in_repo="a.txt", repo_id=source, repo_type="dataset")
    hf_api.create_tag(source, tag="v1", repo_type="dataset")

    hf_api.move_repo(source, target, repo_type="dataset")
    assert not hf_api.repo_exists(source, repo_type="dataset")
    info = hf_api.dataset_info(target)
    assert info.id == target and info.sha == commit.oid
    assert [tag.name for tag in hf_api.list_repo_refs(target, repo_type="dataset").tags] == ["v1"]

    hf_api.create_repo(source, repo_type="dataset")
    with pytest.raises(HfHubHTTPError) as info:
        hf_api.move_repo(target, source, repo_type="dataset")  # the name is taken again
    assert info.value.response.status_code == 409
    with pytest.raises(RepositoryNotFoundError):
        hf_api.move_repo(target + "-absent", target + "-2", repo_type="dataset")

    upper = target.split("/")[0] + "/" + target.split("/")[1].upper()
    hf_api.move_repo(target, upper, repo_type="dataset")  # only the casing changes
    assert hf_api.dataset_info(target).id == upper


def test_preupload_honours_the_repo_gitignore(hf_api, repo_name, tmp_path):
    repo = repo_name("ignore")
    hf_api.create_repo(repo)
    folder = tmp_path / "upload"
    (folder / "logs").mkdir(parents=True)
    (folder / ".gitignore").write_text("*.log\n!keep.log\nlogs/\n")
    (folder / "train.log").write_text("noise\n")
    (folder / "keep.log").write_text("wanted\n")
    (folder / "logs" / "x.txt").write_text("in an ignored folder\n")
    (folder / "model.txt").write_text("weights\n")
    hf_api.upload_folder(repo_id=repo, folder_path=folder)  # the .gitignore comes with the commit
    assert set(hf_api.list_repo_files(repo)) == {".gitattributes", ".gitignore", "keep.log", "model.txt"}

    hf_api.create_commit(  # later commits: the .gitignore stored in the repo decides
        repo,
        operations=[CommitOperationAdd("debug.log", b"x\n"), CommitOperationAdd("notes.txt", b"y\n")],
        commit_message="more",
    )
    assert "debug.log" not in hf_api.list_repo_files(repo) and "notes.txt" in hf_api.list_repo_files(repo)


GITIGNORE = """# comment
*.log
!keep.log
build/
/root-only.txt
docs/**/*.tmp
a/**
**/cache
data/*.csv
\\#hash
[abc].txt
[!x]y.md
"""
PATHS = [
    "x.log", "d/x.log", "keep.log", "d/keep.log", "build/a.txt", "src/build/b.txt", "build", "root-only.txt",
    "d/root-only.txt", "docs/x.tmp", "docs/a/b/x.tmp", "a/b", "ab/c", "cache/z", "q/cache/z", "data/x.csv",
    "data/sub/x.csv", "#hash", "a.txt", "d.txt", "zy.md", "xy.md", "ok.py",
]  # fmt: skip


TRICKY = ["[ab]**?", "*b[!a]*", "//\\*", "x[!a]b*", "a**", "**", "a/**/b", "[/]x", "\\!a", "a\\ ", "!\n*"]


@pytest.mark.parametrize("rules", [GITIGNORE, *TRICKY])
def test_gitignore_rules_agree_with_git(tmp_path, rules):
    (tmp_path / ".gitignore").write_text(rules + "\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    paths = [*PATHS, "a/b", "a/b/c", "a/x/b", "aa/b", "ab", "b/a.txt", "!a", "a ", "x/c.txt", "axb"]
    result = subprocess.run(
        ["git", "-C", str(tmp_path), "check-ignore", "--no-index", "--stdin"],
        input="\n".join(paths),
        capture_output=True,
        text=True,
    )
    by_git = set(result.stdout.split("\n")) - {""}
    assert {path for path in paths if GitIgnore(rules + "\n").ignores(path)} == by_git


def test_deleting_a_folder_named_without_trailing_slash(hf_api, repo_name):
    repo = repo_name("rmdir")
    hf_api.create_repo(repo)
    adds = [CommitOperationAdd(path, b"x\n") for path in ("dir/a.txt", "dir/sub/b.txt", "dir2/c.txt", "d.txt")]
    hf_api.create_commit(repo, operations=adds, commit_message="files")
    hf_api.delete_file("dir", repo_id=repo)  # sent as deletedFile "dir"
    hf_api.create_commit(repo, operations=[CommitOperationDelete("dir2")], commit_message="rm dir2")
    assert set(hf_api.list_repo_files(repo)) == {".gitattributes", "d.txt"}
    with pytest.raises(EntryNotFoundError):
        hf_api.delete_file("dir", repo_id=repo)


def test_errors_carry_a_request_id(hf_api, repo_name, tmp_path):
    repo = repo_name("reqid")
    hf_api.create_repo(repo)
    with pytest.raises(EntryNotFoundError) as info:
        hf_hub_download(repo, "absent.txt", token=hf_api.token, cache_dir=tmp_path)
    assert "(Request ID: " in str(info.value)
    assert info.value.request_id


def test_hub_wording_for_conflicts_stale_parents_and_main(hf_api, repo_name):
    repo = repo_name("words")
    hf_api.create_repo(repo)
    hf_api.create_branch(repo, branch="dev")
    with pytest.raises(HfHubHTTPError, match="Reference refs/heads/dev already exists"):
        hf_api.create_branch(repo, branch="dev")
    with pytest.raises(HfHubHTTPError, match="Reference refs/heads/main already exists"):
        hf_api.create_branch(repo, branch="main")
    with pytest.raises(HfHubHTTPError, match="Cannot delete refs/heads/main") as info:
        hf_api.delete_branch(repo, branch="main")
    assert info.value.response.status_code == 403
    parent = hf_api.model_info(repo).sha
    hf_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo)
    with pytest.raises(HfHubHTTPError, match=r"A commit has happened since\. Please refresh and try again\."):
        hf_api.create_commit(
            repo, operations=[CommitOperationAdd("y.txt", b"y")], commit_message="y", parent_commit=parent
        )


def test_ids_without_namespace_are_repo_not_found_everywhere(hf_api):
    for call in (
        lambda: hf_api.list_repo_commits("gpt2"),
        lambda: hf_api.list_repo_refs("gpt2"),
        lambda: list(hf_api.list_repo_tree("gpt2")),
        lambda: hf_api.auth_check("gpt2"),
    ):
        with pytest.raises(RepositoryNotFoundError):
            call()


def test_gated_repos_and_auth_check(tmp_path):
    accounts = Accounts([("owner-token", User("owner")), ("other-token", User("other"))])
    with running_hub(tmp_path / "hub", users=accounts) as server:
        owner, other = HfApi(endpoint=server.url, token="owner-token"), HfApi(endpoint=server.url, token="other-token")
        anonymous = HfApi(endpoint=server.url, token=False)
        owner.create_repo("owner/gated")
        owner.upload_file(path_or_fileobj=b"w", path_in_repo="w.txt", repo_id="owner/gated")
        owner.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n", path_in_repo="README.md", repo_id="owner/gated")

        def download(token: str | bool, path: str = "w.txt") -> bytes:
            cache = tmp_path / "cache" / str(token)
            local = hf_hub_download("owner/gated", path, endpoint=server.url, token=token, cache_dir=cache)
            return Path(local).read_bytes()

        owner.update_repo_settings("owner/gated", gated="auto")
        assert owner.model_info("owner/gated").gated == "auto"
        with pytest.raises(GatedRepoError):
            download(False)
        with pytest.raises(GatedRepoError):
            anonymous.auth_check("owner/gated")
        assert download(False, "README.md").startswith(b"---")  # the card stays visible
        assert download("other-token") == b"w"  # "auto": every signed-in user is approved
        other.auth_check("owner/gated")

        owner.update_repo_settings("owner/gated", gated="manual")
        with pytest.raises(GatedRepoError):
            other.auth_check("owner/gated")
        owner.auth_check("owner/gated")
        with pytest.raises(HfHubHTTPError) as info:
            other.auth_check("owner/gated", write=True)
        assert info.value.response.status_code == 403
        owner.auth_check("owner/gated", write=True)

        owner.update_repo_settings("owner/gated", gated=False)
        assert other.model_info("owner/gated").gated is False
        assert download("other-token") == b"w"
        owner.create_repo("owner/private", private=True)
        with pytest.raises(RepositoryNotFoundError):
            other.auth_check("owner/private")


def test_unsupported_settings_are_refused_not_dropped(raw, hf_api, repo_name):
    repo = repo_name("settings")
    hf_api.create_repo(repo)
    reply = raw("PUT", f"/api/models/{repo}/settings", body={"discussionsDisabled": True})
    assert reply.status == 400 and "discussionsDisabled" in reply.json()["error"]
    assert raw("PUT", f"/api/models/{repo}/settings", body={"gated": "sometimes"}).status == 400


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ("license: not-a-licence", '"license" must be one of [apache-2.0, mit'),
        ("license: [mit, nope]", '"license[1]" must be one of'),
        ("language: English", '"language" must be an ISO 639'),
        ("language: [en, xx, fr-CA]", '"language[1]" must be an ISO 639'),
        ("base_model: a/b/c", '"base_model" must be a valid repo id'),
        ("datasets: [ok/data, 'bad id']", '"datasets[1]" must be a valid repo id'),
        ("model-index: {name: x}", '"model-index" must be an array'),
        ("model-index: [{name: x, results: [{task: {}, dataset: {type: d, name: d}, metrics: [{type: acc}]}]}]",
         '"model-index[0].results[0].task.type" is required'),
        ("model-index: [{name: x, results: [{task: {type: t}, dataset: {type: d, name: d}, metrics: [{type: a}]}]}]",
         '"model-index[0].results[0].metrics[0].value" is required'),
        ("tags: [1, 2]", '"tags" must be a string'),
    ],
)  # fmt: skip
def test_validate_yaml_checks_what_the_hub_checks(hf_api, repo_name, metadata, expected):
    repo = repo_name("card-rules")
    hf_api.create_repo(repo)
    readme = f"---\n{metadata}\n---\n# card\n".encode()
    with pytest.raises(ValueError, match="Invalid metadata in README.md") as info:
        hf_api.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=repo)
    assert expected in str(info.value)
    assert "README.md" not in hf_api.list_repo_files(repo)


def test_validate_yaml_accepts_good_cards_and_warns_on_missing_metadata(hf_api, repo_name):
    repo = repo_name("card-ok")
    hf_api.create_repo(repo)
    good = (
        "---\nlicense: apache-2.0\nlanguage: [en, fra, pt-BR]\nbase_model: local/base\ndatasets: [local/data]\n"
        "model-index:\n- name: m\n  results:\n  - task: {type: text-generation}\n    dataset: {type: d, name: d}\n"
        "    metrics: [{type: perplexity, value: 3.5}]\n---\n# ok\n"
    )
    hf_api.upload_file(path_or_fileobj=good.encode(), path_in_repo="README.md", repo_id=repo)
    with pytest.warns(UserWarning, match="empty or missing yaml metadata"):
        hf_api.upload_file(path_or_fileobj=b"# no metadata\n", path_in_repo="README.md", repo_id=repo)
    dataset = repo_name("card-ds")
    hf_api.create_repo(dataset, repo_type="dataset")
    readme = b"---\nlicense: cc-by-4.0\nbase_model: not checked for datasets/x/y\n---\n"
    hf_api.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=dataset, repo_type="dataset")


def test_lfs_files_are_listed_for_the_owner(hf_api, repo_name):
    repo = repo_name("lfs-list")
    hf_api.create_repo(repo)
    first = hf_api.upload_file(path_or_fileobj=b"\x00" * 300, path_in_repo="w/a.bin", repo_id=repo).oid
    hf_api.upload_file(path_or_fileobj=b"\x01" * 500, path_in_repo="w/a.bin", repo_id=repo)  # replaces it
    hf_api.create_commit(  # the same content under a second name is one object
        repo, operations=[CommitOperationAdd("copy.bin", b"\x01" * 500)], commit_message="copy"
    )
    hf_api.upload_file(path_or_fileobj=b"small text\n", path_in_repo="notes.txt", repo_id=repo)
    files = sorted(hf_api.list_lfs_files(repo), key=lambda item: item.size)
    assert [item.size for item in files] == [300, 500]
    assert files[0].filename == "w/a.bin" and files[1].filename in {"w/a.bin", "copy.bin"}
    assert files[0].file_oid == hf_api.get_paths_info(repo, ["w/a.bin"], revision=first)[0].lfs.sha256
    assert files[0].pushed_at.tzinfo is not None
    with pytest.raises(HfHubHTTPError) as info:
        hf_api.permanently_delete_lfs_files(repo, files[:1])
    assert info.value.response.status_code == 501
    assert len(list(hf_api.list_lfs_files(repo))) == 2
