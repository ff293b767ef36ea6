"""Contract tests: the unmodified `huggingface_hub` client against the session's embedded Hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    CommitOperationDelete,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    """A small model-like folder: text files, LFS-by-extension files and an extension-less binary."""
    folder = tmp_path / "upload"
    (folder / "nested" / "deeper").mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 16}\n')
    (folder / "nested" / "notes.txt").write_text("some notes\n")
    (folder / "nested" / "deeper" / "more.txt").write_text("more notes\n")
    (folder / "model.safetensors").write_bytes(os.urandom(3000))
    (folder / "pytorch_model.bin").write_bytes(b"text-looking but .bin")
    (folder / "blob.dat").write_bytes(os.urandom(20_000))
    return folder


def test_create_repos_of_each_type(hf_api, repo_name):
    model, dataset, space, private = repo_name("m"), repo_name("d"), repo_name("s"), repo_name("p")
    url = hf_api.create_repo(model)
    assert url.repo_id == model and url.repo_type == "model"
    assert hf_api.create_repo(model, exist_ok=True) == url
    with pytest.raises(HfHubHTTPError) as info:
        hf_api.create_repo(model)
    assert info.value.response.status_code == 409
    assert hf_api.create_repo(dataset, repo_type="dataset").repo_type == "dataset"
    assert hf_api.create_repo(space, repo_type="space", space_sdk="gradio").repo_type == "space"
    hf_api.create_repo(private, private=True)

    assert hf_api.model_info(model).private is False
    assert hf_api.dataset_info(dataset).id == dataset
    space_info = hf_api.space_info(space)
    assert space_info.sdk == "gradio"
    assert space_info.siblings and {s.rfilename for s in space_info.siblings} >= {".gitattributes", "README.md"}
    assert hf_api.model_info(private).private is True
    assert hf_api.repo_exists(dataset, repo_type="dataset")
    assert not hf_api.repo_exists("no-namespace")
    assert not hf_api.repo_exists(dataset)  # a model of that name does not exist

    hf_api.update_repo_settings(private, private=False)
    assert hf_api.model_info(private, token=False).private is False

    hf_api.delete_repo(model)
    assert not hf_api.repo_exists(model)
    hf_api.delete_repo(model, missing_ok=True)
    with pytest.raises(RepositoryNotFoundError):
        hf_api.delete_repo(model)


def test_upload_folder_stores_binaries_in_lfs_and_downloads_them(hf_api, repo_name, model_folder):
    repo = repo_name("upload")
    hf_api.create_repo(repo)
    commit = hf_api.upload_folder(repo_id=repo, folder_path=model_folder, commit_message="add model")

    info = hf_api.model_info(repo, files_metadata=True)
    assert info.sha == commit.oid
    assert info.last_modified is not None
    siblings = {sibling.rfilename: sibling for sibling in info.siblings}
    for path in ("model.safetensors", "pytorch_model.bin", "blob.dat"):
        assert siblings[path].lfs is not None, path
        assert siblings[path].size == (model_folder / path).stat().st_size
    for path in ("config.json", "nested/notes.txt"):
        assert siblings[path].lfs is None, path

    for path in ("config.json", "model.safetensors", "blob.dat", "nested/deeper/more.txt"):
        local = hf_hub_download(repo, path, token=hf_api.token)
        assert Path(local).read_bytes() == (model_folder / path).read_bytes()

    paths = hf_api.get_paths_info(repo, ["config.json", "nested", "missing.txt", "model.safetensors"])
    by_path = {item.path: item for item in paths}
    assert set(by_path) == {"config.json", "nested", "model.safetensors"}
    assert by_path["model.safetensors"].lfs.sha256
    assert hasattr(by_path["nested"], "tree_id")

    assert hf_api.file_exists(repo, "nested/notes.txt")
    assert not hf_api.file_exists(repo, "nested/absent.txt")
    assert hf_api.revision_exists(repo, commit.oid)
    assert not hf_api.revision_exists(repo, "no-such-branch")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo, "absent.txt", token=hf_api.token)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo, "config.json", revision="no-such-branch", token=hf_api.token)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(repo + "-absent", "config.json", token=hf_api.token)


def test_identical_reupload_is_skipped_by_the_client(hf_api, repo_name, model_folder):
    repo = repo_name("reupload")
    hf_api.create_repo(repo)
    first = hf_api.upload_folder(repo_id=repo, folder_path=model_folder)
    again = hf_api.upload_folder(repo_id=repo, folder_path=model_folder)
    assert again.oid == first.oid  # every file matched its preupload oid: no commit at all
    (model_folder / "config.json").write_text('{"hidden_size": 32}\n')
    changed = hf_api.upload_folder(repo_id=repo, folder_path=model_folder)
    assert changed.oid != first.oid
    assert len(hf_api.list_repo_commits(repo)) == 3  # initial commit + 2


def test_branches_tags_and_downloads_at_each_revision(hf_api, repo_name):
    repo = repo_name("refs")
    hf_api.create_repo(repo)
    hf_api.upload_file(path_or_fileobj=b"on main\n", path_in_repo="file.txt", repo_id=repo)
    hf_api.create_branch(repo, branch="dev")
    with pytest.raises(HfHubHTTPError) as info:
        hf_api.create_branch(repo, branch="dev")
    assert info.value.response.status_code == 409
    hf_api.create_branch(repo, branch="dev", exist_ok=True)
    dev_commit = hf_api.upload_file(path_or_fileobj=b"on dev\n", path_in_repo="file.txt", repo_id=repo, revision="dev")
    hf_api.upload_file(path_or_fileobj=b"dev only\n", path_in_repo="extra.txt", repo_id=repo, revision="dev")
    hf_api.create_tag(repo, tag="v1", revision=dev_commit.oid, tag_message="first release")
    hf_api.create_tag(repo, tag="light", revision="main")

    refs = hf_api.list_repo_refs(repo)
    assert {branch.name for branch in refs.branches} == {"main", "dev"}
    assert {tag.name: tag.target_commit for tag in refs.tags}["v1"] == dev_commit.oid
    assert refs.converts == []

    def read(path: str, revision: str) -> bytes:
        return Path(hf_hub_download(repo, path, revision=revision, token=hf_api.token)).read_bytes()

    assert read("file.txt", "main") == b"on main\n"
    assert read("file.txt", "dev") == b"on dev\n"
    assert read("file.txt", "v1") == b"on dev\n"
    assert read("extra.txt", "dev") == b"dev only\n"
    with pytest.raises(EntryNotFoundError):
        read("extra.txt", "v1")
    assert hf_api.model_info(repo, revision="v1").sha == dev_commit.oid

    hf_api.delete_tag(repo, tag="v1")
    hf_api.delete_branch(repo, branch="dev")
    refs = hf_api.list_repo_refs(repo)
    assert [branch.name for branch in refs.branches] == ["main"]
    assert [tag.name for tag in refs.tags] == ["light"]
    assert not hf_api.revision_exists(repo, "dev")
    with pytest.raises(RevisionNotFoundError):
        hf_api.delete_branch(repo, branch="dev")


def test_commit_history_is_paginated(hf_api, hub, repo_name, monkeypatch):
    monkeypatch.setattr(hub, "commits_page_size", 2)
    repo = repo_name("history")
    hf_api.create_repo(repo)
    for number in range(4):
        hf_api.upload_file(
            path_or_fileobj=f"{number}\n".encode(),
            path_in_repo="n.txt",
            repo_id=repo,
            commit_message=f"commit {number}",
            commit_description=f"details {number}",
        )
    history = hf_api.list_repo_commits(repo)
    assert [commit.title for commit in history] == ["commit 3", "commit 2", "commit 1", "commit 0", "initial commit"]
    assert history[0].message == "details 3"
    assert history[0].authors == ["local"]
    assert history[0].created_at.tzinfo is not None


def test_tree_listing_is_recursive_and_paginated(hf_api, hub, repo_name, model_folder, monkeypatch):
    monkeypatch.setattr(hub, "tree_page_size", 2)
    repo = repo_name("tree")
    hf_api.create_repo(repo)
    hf_api.upload_folder(repo_id=repo, folder_path=model_folder)
    files = sorted(hf_api.list_repo_files(repo))
    expected = sorted(p.relative_to(model_folder).as_posix() for p in model_folder.rglob("*") if p.is_file())
    assert files == sorted([".gitattributes", *expected])
    top = {entry.path for entry in hf_api.list_repo_tree(repo)}
    assert "nested" in top and "nested/notes.txt" not in top
    nested = {entry.path for entry in hf_api.list_repo_tree(repo, "nested", recursive=True)}
    assert nested == {"nested/notes.txt", "nested/deeper", "nested/deeper/more.txt"}
    expanded = list(hf_api.list_repo_tree(repo, "nested", expand=True))
    assert all(entry.last_commit is not None for entry in expanded)
    with pytest.raises(EntryNotFoundError):
        list(hf_api.list_repo_tree(repo, "absent-folder"))


def test_snapshot_download_at_a_tag(hf_api, repo_name, model_folder):
    repo = repo_name("snapshot")
    hf_api.create_repo(repo)
    hf_api.upload_folder(repo_id=repo, folder_path=model_folder)
    hf_api.create_tag(repo, tag="v1.0")
    hf_api.upload_file(path_or_fileobj=b"later\n", path_in_repo="later.txt", repo_id=repo)
    snapshot = Path(snapshot_download(repo, revision="v1.0", token=hf_api.token))
    assert (snapshot / "model.safetensors").read_bytes() == (model_folder / "model.safetensors").read_bytes()
    assert (snapshot / "nested" / "deeper" / "more.txt").exists()
    assert not (snapshot / "later.txt").exists()


def test_deletions_of_files_and_folders(hf_api, repo_name, model_folder):
    repo = repo_name("delete")
    hf_api.create_repo(repo)
    hf_api.upload_folder(repo_id=repo, folder_path=model_folder)
    hf_api.delete_file("config.json", repo_id=repo)
    hf_api.delete_folder("nested", repo_id=repo)
    files = set(hf_api.list_repo_files(repo))
    assert "config.json" not in files and not any(path.startswith("nested/") for path in files)
    assert "model.safetensors" in files
    with pytest.raises(EntryNotFoundError):
        hf_api.delete_file("config.json", repo_id=repo)


def test_stale_parent_commit_is_refused_with_412(hf_api, repo_name):
    repo = repo_name("parent")
    hf_api.create_repo(repo)
    parent = hf_api.model_info(repo).sha
    add = [CommitOperationAdd("a.txt", b"a\n")]
    hf_api.create_commit(repo, operations=add, commit_message="a", parent_commit=parent)
    with pytest.raises(HfHubHTTPError) as info:
        hf_api.create_commit(
            repo, operations=[CommitOperationAdd("b.txt", b"b\n")], commit_message="b", parent_commit=parent
        )
    assert info.value.response.status_code == 412
    assert set(hf_api.list_repo_files(repo)) == {".gitattributes", "a.txt"}


def test_pull_request_commits_land_on_a_pr_ref(hf_api, repo_name):
    repo = repo_name("pr")
    hf_api.create_repo(repo)
    commit = hf_api.create_commit(
        repo, operations=[CommitOperationAdd("pr.txt", b"proposal\n")], commit_message="proposal", create_pr=True
    )
    assert commit.pr_url and commit.pr_num == 1
    assert "pr.txt" not in hf_api.list_repo_files(repo)
    assert "pr.txt" in hf_api.list_repo_files(repo, revision="refs/pr/1")
    refs = hf_api.list_repo_refs(repo, include_pull_requests=True)
    assert [ref.ref for ref in refs.pull_requests] == ["refs/pr/1"]


def test_readme_metadata_becomes_card_data_and_bad_yaml_is_refused(hf_api, repo_name):
    repo = repo_name("card")
    hf_api.create_repo(repo)
    readme = "---\nlicense: apache-2.0\ntags:\n- chat\n- tiny\n---\n# A model\n"
    hf_api.upload_file(path_or_fileobj=readme.encode(), path_in_repo="README.md", repo_id=repo)
    info = hf_api.model_info(repo)
    assert info.card_data.license == "apache-2.0"
    assert info.tags == ["chat", "tiny"]
    with pytest.raises(ValueError, match="Invalid metadata"):
        hf_api.upload_file(path_or_fileobj=b"---\ntags: [unclosed\n---\n", path_in_repo="README.md", repo_id=repo)


def test_mixed_commit_operations(hf_api, repo_name):
    repo = repo_name("ops")
    hf_api.create_repo(repo, repo_type="dataset")
    hf_api.create_commit(
        repo,
        repo_type="dataset",
        operations=[
            CommitOperationAdd("data/a.parquet", os.urandom(100)),
            CommitOperationAdd("data/b.csv", b"x,y\n1,2\n"),
            CommitOperationAdd("old.txt", b"old\n"),
        ],
        commit_message="data",
    )
    hf_api.create_commit(
        repo,
        repo_type="dataset",
        operations=[
            CommitOperationDelete("old.txt"),
            CommitOperationAdd("new.txt", b"new\n"),
            CommitOperationCopy("data/a.parquet", "copies/a.parquet"),
            CommitOperationCopy("data/b.csv", "copies/b.csv"),
        ],
        commit_message="swap and copy",
    )
    files = {entry.path: entry for entry in hf_api.list_repo_tree(repo, repo_type="dataset", recursive=True)}
    assert "old.txt" not in files and "new.txt" in files
    assert files["data/a.parquet"].lfs is not None and files["data/b.csv"].lfs is None
    assert files["copies/a.parquet"].lfs == files["data/a.parquet"].lfs
    assert files["copies/b.csv"].blob_id == files["data/b.csv"].blob_id


def test_super_squash_leaves_one_commit_and_tags_keep_the_old_history(hf_api, repo_name):
    repo = repo_name("squash")
    hf_api.create_repo(repo, repo_type="dataset")
    for index in range(3):
        data = f"row {index}\n".encode()
        hf_api.upload_file(path_or_fileobj=data, path_in_repo=f"part-{index}.txt", repo_id=repo, repo_type="dataset")
    hf_api.create_tag(repo, tag="v1", repo_type="dataset")
    hf_api.delete_file("part-1.txt", repo_id=repo, repo_type="dataset")

    hf_api.super_squash_history(repo, repo_type="dataset", commit_message="squash")

    commits = hf_api.list_repo_commits(repo, repo_type="dataset")
    assert [commit.title for commit in commits] == ["squash"]
    assert hf_api.list_repo_files(repo, repo_type="dataset") == [".gitattributes", "part-0.txt", "part-2.txt"]
    assert "part-1.txt" in hf_api.list_repo_files(repo, repo_type="dataset", revision="v1")  # tags are untouched
    with pytest.raises(RevisionNotFoundError):
        hf_api.super_squash_history(repo, repo_type="dataset", branch="nope")


def test_space_variables_are_set_listed_and_deleted(hf_api, repo_name):
    space = repo_name("vars")
    hf_api.create_repo(space, repo_type="space", space_sdk="gradio")
    assert hf_api.get_space_variables(space) == {}

    hf_api.add_space_variable(space, "MODEL_REPO", "local/one", description="the model")
    hf_api.add_space_variable(space, "MODEL_REPO", "local/two")
    variables = hf_api.add_space_variable(space, "MODEL_REVISION", "v1")
    assert {key: var.value for key, var in variables.items()} == {"MODEL_REPO": "local/two", "MODEL_REVISION": "v1"}
    assert variables["MODEL_REVISION"].updated_at is not None

    assert set(hf_api.delete_space_variable(space, "MODEL_REVISION")) == {"MODEL_REPO"}
    assert set(hf_api.get_space_variables(space)) == {"MODEL_REPO"}
    with pytest.raises(HfHubHTTPError):
        hf_api.get_space_variables(space, token=False)  # the owner's business only

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:  # concurrent writers: no update lost
        list(pool.map(lambda index: hf_api.add_space_variable(space, f"K{index}", str(index)), range(8)))
    assert set(hf_api.get_space_variables(space)) == {"MODEL_REPO", *(f"K{index}" for index in range(8))}
