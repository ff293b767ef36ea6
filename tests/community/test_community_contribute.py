"""The contribute flow against the embedded Hub: accept → rows land through the scheduler; decline → nothing;
oversize or malformed uploads → a clear message; removal by receipt; the repo as a pinned recipe source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _community_planted import KEPT, leaks

from hubtools.community.config import Limits
from hubtools.community.contribute import as_uploads, prepare
from hubtools.community.store import CONSENT_VERSION, RECEIPT, ContributionStore, new_receipt
from hubtools.community.ui import check_files, decline, share
from hubtools.errors import HubtoolsError


def data_files(hf_api, repo_id: str) -> list[str]:
    return [path for path in hf_api.list_repo_files(repo_id, repo_type="dataset") if path.startswith("data/")]


def read_rows(hf_api, repo_id: str, path: str, revision: str | None = None) -> list[dict]:
    local = hf_api.hf_hub_download(repo_id, path, repo_type="dataset", revision=revision)
    return [json.loads(line) for line in Path(local).read_text().splitlines()]


def test_accept_stores_exactly_the_previewed_rows(store, uploads, hf_api):
    outcome = check_files(uploads, Limits())
    assert outcome.review and outcome.pending is not None
    assert not any(Path(path).exists() for path in uploads)  # raw uploads are gone once read
    prepared = outcome.pending
    assert len(prepared.conversations) == 4
    assert "Mira-definition.json" in outcome.message and "character definition" in outcome.message
    chosen = [c.key for c in prepared.conversations if c.key != "c2"]

    result = share(prepared, chosen, True, store)
    receipt = result.message.split("**`")[1].split("`**")[0]
    assert result.pending is None and RECEIPT.match(receipt)
    commit = store.push()  # what the scheduler does every few minutes, now
    assert commit is not None

    (path,) = data_files(hf_api, store.repo_id)
    assert path.startswith("data/") and path.endswith(f"/{receipt}.jsonl")
    rows = read_rows(hf_api, store.repo_id, path)
    assert [row["messages"] for row in rows] == [c.row["messages"] for c in prepared.conversations if c.key != "c2"]
    assert {row["receipt"] for row in rows} == {receipt} and {row["consent"] for row in rows} == {CONSENT_VERSION}
    assert [row["source_id"] for row in rows] == ["file2:histories[0]", "file2:histories[2]", "file2:histories[3]"]
    assert set(rows[0]) == {"messages", "source", "source_id", "receipt", "consent"}
    stored = json.dumps(rows, ensure_ascii=False)
    assert leaks(stored) == [] and "Mira.json" not in stored  # no personal data, not even the file names
    assert all(text in stored for text in KEPT[:1])
    assert hf_api.dataset_info(store.repo_id).private
    assert store.push() is None  # nothing new: no empty commit


def test_decline_or_no_consent_keeps_nothing(store, uploads, hf_api):
    prepared = check_files(uploads, Limits()).pending
    everything = [c.key for c in prepared.conversations]

    refused = share(prepared, everything, False, store)
    assert "consent" in refused.message and "Nothing was saved" in refused.message
    assert refused.pending is prepared  # still there to tick the box and retry
    assert "No conversation is ticked" in share(prepared, [], True, store).message

    declined = decline()
    assert declined.pending is None and "nothing" in declined.message
    assert store.push() is None
    assert data_files(hf_api, store.repo_id) == []
    assert not any(store.folder.rglob("*.jsonl"))
    assert not any(Path(path).exists() for path in uploads)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (Limits(max_file_bytes=1000), "too big"),
        (Limits(max_total_bytes=3000), "too big together"),
        (Limits(max_files=1), "Too many files: 2"),
        (Limits(max_conversations=3), "Too many conversations: 4"),
    ],
)
def test_limits_give_a_clear_message(uploads, limits, expected):
    outcome = check_files(uploads, limits)
    assert outcome.pending is None and not outcome.review
    assert expected in outcome.message
    assert not any(Path(path).exists() for path in uploads)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"info": {"character": {"name": "Mira"}}, "histories": {"histories": [{"msgs": [', "invalid JSON"),
        ('[{"role": "user", "content": "hi"}]', "not a CharacterAI dump"),
        ('{"messages": [{"role": "user", "content": "hi"}]}', "not a CharacterAI dump"),
        ("\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        ("", "is empty"),
    ],
)
def test_malformed_uploads_give_a_clear_message(tmp_path, content, expected):
    path = tmp_path / "my-chats.json"
    path.write_bytes(content.encode("latin-1"))
    outcome = check_files([str(path)], Limits())
    assert outcome.pending is None and expected in outcome.message
    assert "my-chats.json" in outcome.message
    assert not path.exists()


def test_a_bad_file_next_to_good_ones_is_reported_not_fatal(tmp_path, uploads):
    bad = tmp_path / "cut.json"
    bad.write_text('{"histories": {"histories": [{"msgs": [{"text": "hi"')
    prepared = prepare(as_uploads([*uploads, str(bad)]))
    assert len(prepared.conversations) == 4
    assert prepared.files[-1].name == "cut.json" and "truncated file?" in prepared.files[-1].problems[0]


def test_without_a_store_nothing_is_shared(uploads):
    prepared = check_files(uploads, Limits()).pending
    outcome = share(prepared, [c.key for c in prepared.conversations], True, None)
    assert "does not collect contributions" in outcome.message and outcome.pending is None


def test_a_public_repo_is_refused(hf_api, repo_name, tmp_path):
    repo_id = repo_name("public")
    hf_api.create_repo(repo_id, repo_type="dataset", private=False)
    with pytest.raises(HubtoolsError, match="is public: make it private or gated"):
        ContributionStore(repo_id, hf_api=hf_api, folder=tmp_path / "s")


def test_forget_by_receipt(store, uploads, hf_api, hub, capsys):
    from hubtools.cli import main

    rows = prepare(as_uploads(uploads)).rows()
    kept, removed = store.add(rows[:1]), store.add(rows[1:])
    store.push()
    assert len(data_files(hf_api, store.repo_id)) == 2

    args = ["data", "forget", "--receipt", removed, "--repo", store.repo_id, "--hub", hub.url]
    assert main(args) == 0
    assert capsys.readouterr().out.strip().endswith(f"/{removed}.jsonl")
    (left,) = data_files(hf_api, store.repo_id)
    assert left.endswith(f"/{kept}.jsonl")
    assert main(args) == 1
    assert "no contribution with receipt" in capsys.readouterr().err
    assert main(["data", "forget", "--receipt", "../etc", "--repo", store.repo_id, "--hub", hub.url]) == 1
    assert "not a receipt id" in capsys.readouterr().err


def test_forget_with_squash_leaves_no_commit_holding_the_rows(store, uploads, hf_api):
    from hubtools.community.store import forget

    rows = prepare(as_uploads(uploads)).rows()
    kept, removed = store.add(rows[:1]), store.add(rows[1:])
    store.push()

    done = forget(store.repo_id, removed, api=hf_api, squash=True)

    (commit,) = hf_api.list_repo_commits(store.repo_id, repo_type="dataset")
    assert commit.commit_id == done.commit
    (left,) = data_files(hf_api, store.repo_id)
    assert left.endswith(f"/{kept}.jsonl")


def test_the_repo_is_a_recipe_source_at_a_pinned_revision(store, uploads, hf_api, tmp_path):
    from datasets import load_from_disk

    from hubtools.data.build import build_dataset
    from hubtools.data.recipe import DataRecipe

    receipt = store.add(prepare(as_uploads(uploads)).rows())
    commit = store.push()
    hf_api.create_tag(store.repo_id, tag="community-v1", repo_type="dataset", revision=commit)
    store.add(prepare(as_uploads(uploads[1:])).rows(), receipt=new_receipt())  # main moves on after the tag
    store.push()

    recipe = DataRecipe.model_validate(
        {
            "name": "community",
            "sources": [{"name": "community", "kind": "messages", "hub": store.repo_id, "revision": "community-v1"}],
            "filters": {name: {"enabled": False} for name in ("length", "language", "refusal", "repetition")},
            "dedup": {"near": False},
            "splits": {"train": 0.75, "test": 0.25},
        }
    )
    result = build_dataset(recipe, tmp_path / "built", progress=False, num_proc=1, cache_dir=False)
    (source,) = result.summary["sources"]
    assert source["commit"] == commit and source["parsed"] == 4
    assert result.counts["selected"] == 4
    built = load_from_disk(str(tmp_path / "built"))
    rows = [*built["train"], *built["test"]]
    assert all(f"/{receipt}.jsonl:" in row["source_id"] for row in rows)  # a removal can be traced in a build
    assert leaks(json.dumps(rows, ensure_ascii=False)) == []
