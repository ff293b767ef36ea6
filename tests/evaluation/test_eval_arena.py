"""The arena result: counting rules (order, ties, duplicates, stale commits, other pairs), the Wilson interval,
`hubtools eval --arena` from votes stored through the Space's writer on the embedded Hub, and the card section."""

from __future__ import annotations

import json
import math

import pytest

from hubtools.community.feedback import VOTE_CONSENT_VERSION, new_id
from hubtools.community.store import new_receipt
from hubtools.errors import HubtoolsError
from hubtools.evaluation.arena import Release, arena_result, parse_release, wilson_interval


@pytest.fixture
def store(hf_api, repo_name, tmp_path):
    """The Space's contributions store on a fresh private repo of the embedded Hub; pushes only when told to."""
    from hubtools.community.store import ContributionStore

    store = ContributionStore(repo_name("votes"), hf_api=hf_api, every_minutes=600, folder=tmp_path / "staging")
    yield store
    store.close(push=False)


V1 = {"repo": "local/chat", "revision": "v1", "commit": "a" * 40}
V2 = {"repo": "local/chat", "revision": "v2", "commit": "b" * 40}
V3 = {"repo": "local/chat", "revision": "v3", "commit": "c" * 40}
SETTINGS = {"temperature": 0.7, "top_p": 0.9, "max_new_tokens": 32}


def vote(a: dict, b: dict, winner: str, *, receipt: str | None = None, battle: str | None = None) -> dict:
    return {"schema": "hubtools-feedback-v1", "kind": "arena", "receipt": receipt or new_receipt(),
            "consent": VOTE_CONSENT_VERSION, "battle": battle or new_id("ab"), "a": a, "b": b, "winner": winner,
            "settings": SETTINGS}  # fmt: skip


def test_wilson_interval_matches_the_formula():
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 5)
    assert low == 0.0 and 0 < high < 0.5
    low, high = wilson_interval(50, 100)
    assert math.isclose(0.5 - low, high - 0.5)


def test_counting_rules():
    repeat = new_receipt()
    battle = new_id("ab")
    records = [
        vote(V2, V1, "a"),  # v2 shown left, wins
        vote(V1, V2, "b"),  # v2 shown right, wins
        vote(V1, V2, "a"),  # v2 loses
        vote(V2, V1, "tie"),
        vote(V2, V1, "b", receipt=repeat, battle=battle),  # changed their mind: only the last one counts
        vote(V2, V1, "a", receipt=repeat, battle=battle),
        vote({**V2, "commit": "d" * 40}, V1, "a"),  # cast when the v2 tag named another commit
        vote(V3, V1, "a"),  # another pair
        {"kind": "arena", "winner": "a"},  # not a valid record
        {"kind": "vote", "receipt": "x"},  # invalid too
        "not an object",
    ]
    records.append({**records[0], "kind": "pick"})  # not an arena vote at all (and invalid as a pick)
    result = arena_result(records, Release("local/chat", "v2", "b" * 40), Release("local/chat", "v1", "a" * 40))
    assert (result.wins, result.ties, result.losses, result.votes) == (3, 1, 1, 5)
    assert result.voters == 5
    assert result.skipped == {"duplicates": 1, "invalid": 4, "other_pairs": 1, "stale": 1}
    assert result.win_rate == pytest.approx(3.5 / 5)
    assert (result.low, result.high) == pytest.approx(wilson_interval(3.5, 5))
    mirrored = arena_result(records, Release("local/chat", "v1", "a" * 40), Release("local/chat", "v2", "b" * 40))
    assert (mirrored.wins, mirrored.ties, mirrored.losses) == (1, 1, 3)
    # Without the commits (nothing resolved), the stale vote counts as cast.
    loose = arena_result(records, Release("local/chat", "v2"), Release("local/chat", "v1"))
    assert loose.votes == 6 and "stale" not in loose.skipped


def test_no_votes_and_bad_releases():
    empty = arena_result([], Release("local/chat", "v2"), Release("local/chat", "v1"))
    assert empty.votes == 0 and empty.win_rate is None and empty.voters == 0
    with pytest.raises(HubtoolsError, match="against itself"):
        arena_result([], Release("local/chat", "v1"), Release("local/chat", "v1"))
    with pytest.raises(HubtoolsError, match="OWNER/NAME@REVISION"):
        parse_release("local/chat", flag="--arena-releases")
    assert parse_release("local/chat@v2", flag="x") == Release("local/chat", "v2")


def test_eval_arena_from_votes_on_the_hub_and_the_card(store, tiny_models, tiny_dataset_dir, hf_api, repo_name,
                                                       hub, tmp_path, capsys):  # fmt: skip
    from hubtools.cards.model_card import render_model_card
    from hubtools.cli import main
    from hubtools.community.feedback import FeedbackWriter

    model_repo = repo_name("arena-model")
    hf_api.create_repo(model_repo)
    hf_api.upload_folder(folder_path=tiny_models["previous"], repo_id=model_repo, ignore_patterns=["*.lock"])
    hf_api.create_tag(model_repo, tag="v1")
    hf_api.upload_folder(folder_path=tiny_models["fine_tuned"], repo_id=model_repo, ignore_patterns=["*.lock"])
    hf_api.create_tag(model_repo, tag="v2")
    v1 = {"repo": model_repo, "revision": "v1", "commit": hf_api.model_info(model_repo, revision="v1").sha}
    v2 = {"repo": model_repo, "revision": "v2", "commit": hf_api.model_info(model_repo, revision="v2").sha}

    writer = FeedbackWriter(store)
    visitors = [new_receipt() for _ in range(3)]
    for index, (left, right, winner) in enumerate(
        [(v2, v1, "a"), (v1, v2, "b"), (v1, v2, "tie"), (v2, v1, "b"), (v1, v2, "b"), (v2, v1, "a")]
    ):
        writer.arena(receipt=visitors[index % 3], battle=new_id("ab"), a=left, b=right, winner=winner,
                     settings=SETTINGS, consented=True)  # fmt: skip
    stale = {**v2, "commit": "e" * 40}  # cast for a commit the v2 tag no longer names
    writer.arena(receipt=visitors[0], battle=new_id("ab"), a=stale, b=v1, winner="a", settings=SETTINGS,
                 consented=True)  # fmt: skip
    store.push()

    config = tmp_path / "eval.toml"
    config.write_text("probes = []\n", encoding="utf-8")
    out = tmp_path / "model" / "eval_results.json"
    argv = ["eval", model_repo, "--revision", "v2", "--previous", model_repo, "--previous-revision", "v1"]
    argv += ["--dataset", str(tiny_dataset_dir), "--config", str(config), "--out", str(out)]
    argv += ["--arena", store.repo_id, "--hub", hub.url]
    assert main(argv) == 0
    captured = capsys.readouterr()
    arena = json.loads(captured.out)["arena"]
    assert (arena["wins"], arena["ties"], arena["losses"], arena["voters"]) == (4, 1, 1, 3)
    assert arena["skipped"] == {"stale": 1} and arena["win_rate"] == pytest.approx(4.5 / 6)
    assert f"arena {model_repo}@v2 vs {model_repo}@v1: 4-1-1" in captured.err

    bad = argv[:-4] + ["--arena", store.repo_id, "--arena-releases", f"{model_repo}@v9", f"{model_repo}@v1"]
    assert main([*bad, "--hub", hub.url]) == 1
    assert "not found on the Hub (deleted tag?)" in capsys.readouterr().err

    folder = out.parent
    (folder / "hubtools_train.json").write_text((tiny_models["fine_tuned"] / "hubtools_train.json").read_text())
    card = render_model_card(folder, repo_id=model_repo, revision="v2")
    assert "### Arena" in card and "| 4 | 1 | 1 | 6 | 3 | 75.0% (95% interval" in card
    assert f"| Arena win rate against {model_repo}@v1 | 75.0%" in card and "Not counted: 1 stale." in card
