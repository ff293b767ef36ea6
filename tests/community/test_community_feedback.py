"""The feedback flywheel against the embedded Hub: records written through the writer (after consent, scrubbed)
land in the private contributions repo; a `space-feedback` source builds SFT rows and a `preferences` config;
forget removes a receipt's feedback; the arena result comes from the stored votes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.community.feedback import (
    SHARE_CONSENT_VERSION,
    VOTE_CONSENT_VERSION,
    ConsentError,
    FeedbackWriter,
    new_id,
    preview_share,
)
from hubtools.community.store import new_receipt
from hubtools.data.feedback import parse_record
from hubtools.errors import HubtoolsError

CURRENT = {"repo": "local/demo-chat", "revision": "v2", "commit": "b" * 40}
PREVIOUS = {"repo": "local/demo-chat", "revision": "v1", "commit": "a" * 40}
SETTINGS = {"temperature": 0.7, "top_p": 0.9, "max_new_tokens": 128}
QUESTION = "How do I keep basil alive on a windowsill through the winter?"
GOOD = "Give it the sunniest window, water when the top soil is dry, and pinch off flower buds as they appear."
BAD = "Basil is a plant. Basil is a plant. Basil is a plant."
OTHER = "Move it away from cold glass at night and keep it above ten degrees; it hates draughts."


def conversation(reply: str, *, user: str = QUESTION) -> list[dict]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]


@pytest.fixture
def writer(store):
    return FeedbackWriter(store)


def feedback_files(hf_api, repo_id: str) -> list[str]:
    return sorted(p for p in hf_api.list_repo_files(repo_id, repo_type="dataset") if p.startswith("feedback/"))


def stored_records(hf_api, repo_id: str) -> list[dict]:
    records = []
    for path in feedback_files(hf_api, repo_id):
        local = hf_api.hf_hub_download(repo_id, path, repo_type="dataset")
        records += [json.loads(line) for line in Path(local).read_text(encoding="utf-8").splitlines()]
    return records


def leave_feedback(writer: FeedbackWriter) -> dict[str, str]:
    """Two visitors: one regenerates and picks, likes and shares; one likes/dislikes the same prompt elsewhere."""
    alice, bob = new_receipt(), new_receipt()
    first, second, unshared = new_id(), new_id(), new_id()
    common = {"model": CURRENT, "settings": SETTINGS, "consented": True}
    # Alice: regenerated once (BAD first, then GOOD), picked GOOD, liked it, and shared the chat.
    writer.pick(receipt=alice, conversation=first, turn=1, chosen=1, rejected=0, **common)
    writer.vote(receipt=alice, conversation=first, turn=1, reply=1, value=True, **common)
    writer.share(
        receipt=alice,
        conversation=first,
        messages=conversation(GOOD + " Mail me at alice.smith@example.com"),
        candidates=[{"turn": 1, "replies": [BAD, GOOD + " Mail me at alice.smith@example.com"], "shown": 1}],
        **common,
    )
    # Bob: the same question in his own chat; disliked the reply, voted twice on it (the last vote stands),
    # shared it; and liked a reply in a chat he never shared (no text: nothing for the data).
    writer.vote(receipt=bob, conversation=second, turn=1, value=True, **common)
    writer.vote(receipt=bob, conversation=second, turn=1, value=False, **common)
    writer.share(receipt=bob, conversation=second, messages=conversation(OTHER + " meh"), **common)
    writer.vote(receipt=bob, conversation=unshared, turn=1, value="like", **common)
    # Arena: the current release against the previous, shown in either order.
    for index, (left, right, winner) in enumerate(
        [(CURRENT, PREVIOUS, "a"), (PREVIOUS, CURRENT, "b"), (CURRENT, PREVIOUS, "tie"), (PREVIOUS, CURRENT, "a")]
    ):
        visitor = alice if index % 2 else bob
        writer.arena(receipt=visitor, battle=new_id("ab"), a=left, b=right, winner=winner, settings=SETTINGS,
                     consented=True)  # fmt: skip
    return {"alice": alice, "bob": bob}


def test_records_land_after_consent_scrubbed_and_votes_carry_no_text(writer, store, hf_api):
    receipts = leave_feedback(writer)
    with pytest.raises(ConsentError, match="without consent: nothing was stored"):
        writer.share(receipt=receipts["bob"], conversation=new_id(), messages=conversation("SECRET-TEXT"),
                     model=CURRENT, settings=SETTINGS, consented=False)  # fmt: skip
    with pytest.raises(ConsentError):
        writer.vote(receipt=receipts["bob"], conversation=new_id(), turn=1, value=True, model=CURRENT,
                    settings=SETTINGS, consented=None)  # fmt: skip
    assert writer.counts["share:refused"] == 1 and writer.counts["vote:refused"] == 1
    assert store.push() is not None

    files = feedback_files(hf_api, store.repo_id)
    assert sorted(Path(p).name for p in files) == sorted(f"{r}.jsonl" for r in receipts.values())
    records = stored_records(hf_api, store.repo_id)
    assert len(records) == 11 and all(parse_record(r)[1] is None for r in records)
    text = json.dumps(records, ensure_ascii=False)
    assert "SECRET-TEXT" not in text and "alice.smith@example.com" not in text and "[EMAIL_1]" in text
    for record in records:
        assert record["receipt"] in receipts.values()
        if record["kind"] == "share":
            assert record["consent"] == SHARE_CONSENT_VERSION
        else:  # votes, picks and arena votes: ids and positions, never a text
            assert record["consent"] == VOTE_CONSENT_VERSION
            assert not {"messages", "candidates", "content", "text"} & set(record)
        models = [record["a"], record["b"]] if record["kind"] == "arena" else [record["model"]]
        assert all(m["commit"] in ("a" * 40, "b" * 40) for m in models) and record["settings"]["top_p"] == 0.9


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"kind": "vote", "value": "meh"}, "value"),
        ({"kind": "pick", "chosen": 1, "rejected": 1}, "two different replies"),
        ({"kind": "arena", "b": CURRENT}, "two different releases"),
        ({"kind": "share", "messages": [{"role": "user", "content": "hi"}] * 2}, "needs a user and an assistant"),
        ({"kind": "vote", "model": {**CURRENT, "commit": "not-a-sha"}}, "model.commit"),
        ({"kind": "vote", "receipt": "rc-../../etc"}, "receipt"),
        ({"kind": "vote", "extra": "field"}, "extra"),
    ],
)
def test_bad_records_are_refused_with_the_field(record, expected):
    base = {
        "vote": {"conversation": "cv-0123456789abcdef", "turn": 1, "value": "like", "model": CURRENT},
        "pick": {"conversation": "cv-0123456789abcdef", "turn": 1, "chosen": 0, "rejected": 1, "model": CURRENT},
        "arena": {"battle": "ab-0123456789abcdef", "a": CURRENT, "b": PREVIOUS, "winner": "tie"},
        "share": {"conversation": "cv-0123456789abcdef", "messages": conversation("x"), "model": CURRENT},
    }[record["kind"]]
    value = {"receipt": new_receipt(), "consent": VOTE_CONSENT_VERSION, "settings": SETTINGS, **base, **record}
    parsed, problem = parse_record(value)
    assert parsed is None and expected in problem


def test_a_share_whose_shown_reply_is_not_a_candidate_is_refused():
    with pytest.raises(HubtoolsError, match="shown reply differs"):
        preview_share(receipt=new_receipt(), conversation=new_id(), messages=conversation(GOOD), model=CURRENT,
                      settings=SETTINGS, candidates=[{"turn": 1, "replies": [BAD, OTHER], "shown": 1}])  # fmt: skip


def feedback_recipe(repo_id: str, revision: str):
    from hubtools.data.recipe import DataRecipe

    return DataRecipe.model_validate(
        {
            "name": "flywheel",
            "sources": [{"name": "space", "kind": "space-feedback", "hub": repo_id, "revision": revision}],
            "filters": {"language": {"enabled": False}},
            "dedup": {"near": False},
            "splits": {"train": 0.5, "test": 0.5},
        }
    )


def test_a_feedback_source_builds_sft_rows_and_preferences(writer, store, hf_api, tmp_path):
    from datasets import load_from_disk

    from hubtools.data.build import build_dataset

    leave_feedback(writer)
    commit = store.push()
    result = build_dataset(feedback_recipe(store.repo_id, commit), tmp_path / "built", progress=False, num_proc=1,
                           cache_dir=False)  # fmt: skip

    # An empty split saves as zero shards that `load_from_disk` cannot read: read the non-empty ones.
    sft = [row for name, n in result.splits.items() if n for row in load_from_disk(str(tmp_path / "built" / name))]
    assert [row["messages"][-1]["content"] for row in sft] == [GOOD + " Mail me at [EMAIL_1]"]  # liked, shared
    preferences = load_from_disk(str(tmp_path / "built" / "preferences"))
    pairs = [row for split in preferences.values() for row in split]
    got = sorted((row["kind"], row["chosen"][0]["content"], row["rejected"][0]["content"]) for row in pairs)
    assert got == [
        ("pick", GOOD + " Mail me at [EMAIL_1]", BAD),
        ("votes", GOOD + " Mail me at [EMAIL_1]", OTHER + " meh"),
    ]
    assert all(row["prompt"] == [{"role": "user", "content": QUESTION}] for row in pairs)
    assert {row["model"] for row in pairs} == {"local/demo-chat@v2"}

    (source,) = result.summary["sources"]
    records = source["feedback"]["records"]
    assert records["vote"] == 3 and records["pick"] == 1 and records["share"] == 2 and records["arena"] == 4
    assert records["vote:not shared"] == 1 and records["liked conversations"] == 1
    assert source["feedback"]["releases"] == {
        "local/demo-chat@v1": 4,
        "local/demo-chat@v2": 10,
    }  # the duplicate vote counts once
    rejects = [json.loads(line) for line in result.rejects_path.read_text().splitlines()]
    assert [r["name"] for r in rejects] == ["duplicate"]  # Bob's first vote, superseded by his second
    assert result.summary["preferences"]["counts"]["selected"] == 2
    card = result.card_path.read_text()
    assert "config_name: preferences" in card and "path: preferences/" in card
    assert "`local/demo-chat@v2`: 10" in card and "## Preferences" in card


def test_votes_on_replies_the_share_lacks_are_rejected(tmp_path):
    from hubtools.data.sources.space_feedback import parse_files

    receipt, chat = new_receipt(), new_id()
    base = {"receipt": receipt, "consent": VOTE_CONSENT_VERSION, "model": CURRENT, "settings": SETTINGS}
    lines = [
        {
            **base,
            "kind": "share",
            "consent": SHARE_CONSENT_VERSION,
            "conversation": chat,
            "messages": conversation(GOOD),
        },
        {**base, "kind": "vote", "conversation": chat, "turn": 1, "reply": 3, "value": "like"},
        {**base, "kind": "pick", "conversation": chat, "turn": 0, "chosen": 0, "rejected": 1},
        {**base, "kind": "vote", "conversation": chat, "turn": 1, "value": "like"},
    ]
    path = tmp_path / f"{receipt}.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n", encoding="utf-8")
    result = parse_files([(path, "f.jsonl")], source="space")
    reasons = sorted(str(r) for r in result.rejects)
    assert len(reasons) == 3 and "f.jsonl:5: invalid JSON" in reasons[2]
    assert (
        "f.jsonl:2: vote on reply 3 of turn 1" in reasons[0] and "f.jsonl:3: pick on reply 1 of turn 0" in reasons[1]
    )
    assert len(result.rows) == 1 and result.preferences == []


def test_forget_removes_a_receipts_votes_and_shares(writer, store, hf_api, hub, capsys, tmp_path):
    from hubtools.cli import main

    receipts = leave_feedback(writer)
    store.push()
    assert main(["data", "forget", "--receipt", receipts["bob"], "--repo", store.repo_id, "--hub", hub.url]) == 0
    assert capsys.readouterr().out.strip().endswith(f"/{receipts['bob']}.jsonl")
    left = stored_records(hf_api, store.repo_id)
    assert left and {r["receipt"] for r in left} == {receipts["alice"]}

    # A dataset built after the removal has none of Bob's text: his conversation's 👎 pair is gone too.
    from datasets import load_from_disk

    from hubtools.data.build import build_dataset

    commit = hf_api.dataset_info(store.repo_id).sha
    result = build_dataset(feedback_recipe(store.repo_id, commit), tmp_path / "after", progress=False, num_proc=1,
                           cache_dir=False)  # fmt: skip
    pairs = [row for split in load_from_disk(str(tmp_path / "after" / "preferences")).values() for row in split]
    assert [row["kind"] for row in pairs] == ["pick"]
    assert receipts["bob"] not in json.dumps(result.summary) + result.rejects_path.read_text()


def test_the_preferences_config_is_pushed_and_loads_from_the_hub(writer, store, hf_api, repo_name, tmp_path):
    from datasets import load_dataset

    from hubtools.data.push import push_dataset

    leave_feedback(writer)
    commit = store.push()
    target = repo_name("flywheel-data")
    pushed = push_dataset(feedback_recipe(store.repo_id, commit), "v1.0.0", out_dir=tmp_path / "built", repo_id=target,
                          progress=False)  # fmt: skip
    pairs = load_dataset(target, "preferences", revision=pushed.commit)
    assert sorted(row["kind"] for split in pairs.values() for row in split) == ["pick", "votes"]
    assert set(next(iter(pairs.values())).column_names) >= {"prompt", "chosen", "rejected"}
    (split,) = [name for name, count in pushed.build.splits.items() if count]  # one liked shared conversation
    assert len(load_dataset(target, split=split, revision=pushed.commit)) == 1


def test_the_demo_feedback_recipe_builds_both_configs(tmp_path, capsys):
    from hubtools.cli import main

    assert main(["data", "build", "demo-feedback", "--out", str(tmp_path / "built"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "built demo-feedback: 18 conversations" in err and "preferences: 24 pairs (train 22, test 2)" in err
    card = (tmp_path / "built" / "README.md").read_text(encoding="utf-8")
    assert "| demo-space | 18 | 24 | 24 | 18 | 0 | 12 | 24 |" in card and "24 kept (24 from picks)" in card


def test_a_popular_prompt_gives_a_bounded_number_of_pairs(tmp_path):
    from hubtools.data.sources.space_feedback import MAX_PAIRS_PER_PROMPT, parse_files

    lines = []
    for index in range(300):  # 300 visitors asked the same question: 150 liked their reply, 150 did not
        receipt, chat = new_receipt(), new_id()
        base = {"receipt": receipt, "model": CURRENT, "settings": SETTINGS, "conversation": chat}
        reply = f"{GOOD} (variant {index})"
        lines.append({**base, "kind": "share", "consent": SHARE_CONSENT_VERSION, "messages": conversation(reply)})
        value = "like" if index % 2 else "dislike"
        lines.append({**base, "kind": "vote", "consent": VOTE_CONSENT_VERSION, "turn": 1, "value": value})
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = parse_files([(path, "many.jsonl")], source="space")
    assert len(result.preferences) == MAX_PAIRS_PER_PROMPT and len(result.rows) == 150
    assert all(pair["kind"] == "votes" for pair in result.preferences)


def test_a_gradio_style_conversation_is_stored_as_role_and_text_only():
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "Hi, I am Nadia"}], "metadata": {"title": None}},
        {"role": "assistant", "content": "Hello!", "options": [{"value": "more"}], "metadata": {}},
    ]
    share = preview_share(receipt=new_receipt(), conversation=new_id(), messages=messages, model=CURRENT,
                          settings=SETTINGS, names=["Nadia"])  # fmt: skip
    assert [m.model_dump() for m in share.messages] == [
        {"role": "user", "content": "Hi, I am [NAME_1]"},
        {"role": "assistant", "content": "Hello!"},
    ]
    with pytest.raises(HubtoolsError, match="has no text"):
        preview_share(receipt=new_receipt(), conversation=new_id(), model=CURRENT, settings=SETTINGS,
                      messages=[messages[0], {"role": "assistant", "content": {"path": "x.png"}}])  # fmt: skip
    with pytest.raises(HubtoolsError, match="role"):
        preview_share(receipt=new_receipt(), conversation=new_id(), model=CURRENT, settings=SETTINGS,
                      messages=[messages[0], {"role": "tool", "content": "x"}])  # fmt: skip
