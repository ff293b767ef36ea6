"""Votes and shared conversations from the Chat tab land in the contributions dataset, only after consent.

The app runs against the embedded Hub with a real `ContributionStore`; the page's events (the chatbot's like,
the share buttons) are driven through the queue as a browser sends them, and the store's `CommitScheduler` is
told to push, as it would on its own every few minutes.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

import pytest
from _space_app import running_app
from _space_events import PageSession

from hubtools.community.chat_feedback import NO_CONSENT
from hubtools.community.feedback import preview_share
from hubtools.serve.prompt import clean_history

RECEIPT = re.compile(r"rc-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}")


@pytest.fixture(scope="module")
def store(session_api, tmp_path_factory):
    from hubtools.community.store import ContributionStore

    repo = f"local/space-feedback-{uuid.uuid4().hex[:8]}"
    store = ContributionStore(
        repo, hf_api=session_api, every_minutes=600, folder=tmp_path_factory.mktemp("feedback-staging")
    )
    yield store
    store.close(push=False)


@pytest.fixture(scope="module")
def url(service, store):
    with running_app(service, store=store) as url:
        yield url


@pytest.fixture
def page(url):
    page = PageSession(url)
    page.values = {}
    yield page
    page.close()


def chat(page: PageSession, message: str, event: str = "submit") -> list[dict]:
    """Send `message` in the chat box (or retry the last one); the conversation as the chatbot then shows it."""
    chatbot, textbox = page.component(elem_id="chatbot"), page.component(elem_id="chat-input")
    temperature, tokens = page.component(label="Temperature (0 = greedy)"), page.component(label="Max new tokens")
    page.values = page.trigger(
        chatbot if event == "retry" else textbox, event, {**page.values, textbox: message, tokens: 8, temperature: 0}
    )
    shown = [{**m, "content": m["content"][0]["text"]} for m in page.values[chatbot]]
    assert shown[-1]["role"] == "assistant" and shown[-1]["content"].strip()
    return shown


def as_sent(shown: list[dict]) -> list[dict]:
    """The chatbot's value as the page sends it: each content a list of parts."""
    return [{**m, "content": [{"type": "text", "text": m["content"]}]} for m in shown]


def like(page: PageSession, shown: list[dict], index: int, liked: bool, *, consent: bool):
    event = {"index": index, "value": as_sent(shown)[index]["content"], "liked": liked}
    return page.call("vote", [None, consent, as_sent(shown)], event)[1]


def stored(session_api, store, receipt: str) -> list[dict]:
    records = []
    for path in session_api.list_repo_files(store.repo_id, repo_type="dataset"):
        if path.startswith("feedback/") and path.endswith(f"/{receipt}.jsonl"):
            local = session_api.hf_hub_download(store.repo_id, path, repo_type="dataset")
            records += [json.loads(line) for line in Path(local).read_text(encoding="utf-8").splitlines()]
    return records


def test_a_like_with_consent_is_stored_with_what_produced_the_reply(page, store, session_api, chat_repo):
    shown = chat(page, "Hello there, who are you?")
    assert "Only the model's replies" in like(page, shown, 0, True, consent=True)  # the greeting bubble
    said = like(page, shown, 2, False, consent=True)
    assert said.startswith("👎")
    receipt = RECEIPT.search(said).group()
    assert store.push()
    (vote,) = stored(session_api, store, receipt)
    assert vote["kind"] == "vote" and vote["value"] == "dislike" and vote["receipt"] == receipt
    assert vote["turn"] == 1 and vote["reply"] == 0  # the reply, counted without the greeting bubble
    assert vote["model"] == {"repo": chat_repo.repo_id, "revision": "v0.2.0", "commit": chat_repo.tags["v0.2.0"]}
    assert vote["settings"] == {"temperature": 0.0, "top_p": 0.9, "max_new_tokens": 8, "seed": None}
    assert "Hello" not in json.dumps(vote) and shown[2]["content"] not in json.dumps(vote)  # votes hold no text


def test_without_consent_nothing_is_stored_and_the_visitor_is_told_once(page, store, session_api):
    store.push()  # whatever an earlier test left
    before = session_api.list_repo_files(store.repo_id, repo_type="dataset")
    shown = chat(page, "Tell me about the sea.")
    assert like(page, shown, 2, True, consent=False) == NO_CONSENT
    assert like(page, shown, 2, False, consent=False) == {"__type__": "update"}  # said once: left as it was
    assert store.push() is None
    assert session_api.list_repo_files(store.repo_id, repo_type="dataset") == before


def test_a_shared_conversation_is_stored_scrubbed_exactly_as_previewed(page, store, session_api, chat_repo):
    message = "I'm Alice Smith, mail me at alice.smith@example.com or call +44 20 7946 0958."
    shown = chat(page, message)
    shown = chat(page, "And what do you like?")
    assert "Nothing to share yet" in page.call("share_chat", [None, True])[1]  # nothing reviewed yet
    _, said, preview, consent = page.call("share_review", [None, as_sent(shown)])
    assert said.startswith("Review") and consent is False
    assert "alice.smith@example.com" not in preview and "7946" not in preview
    assert "Tick the consent" in page.call("share_chat", [None, False])[1]
    done = page.call("share_chat", [None, True])[1]
    assert done.startswith("✅")
    receipt = RECEIPT.search(done).group()
    assert store.push()
    (record,) = stored(session_api, store, receipt)
    assert record["kind"] == "share" and "alice.smith@example.com" not in json.dumps(record)
    assert "7946" not in json.dumps(record)
    assert [m["role"] for m in record["messages"]] == ["user", "assistant", "user", "assistant"]
    assert record["model"]["commit"] == chat_repo.tags["v0.2.0"]
    expected = preview_share(
        receipt=receipt, conversation=record["conversation"], messages=clean_history(shown),
        model=record["model"], settings=record["settings"],
    )  # fmt: skip
    assert record == expected.to_json()  # exactly the previewed record
    for item in record["messages"]:
        assert html.escape(item["content"]) in preview


def test_without_a_contributions_repo_there_is_no_feedback(service):
    with running_app(service) as url:
        page = PageSession(url)
        names = {d.get("api_name") for d in page.config["dependencies"]}
        page.close()
    assert not names & {"vote", "share_review", "share_chat"}


def test_a_pick_after_a_retry_is_a_preference_pair_and_the_share_keeps_both_replies(page, store, session_api):
    shown = chat(page, "Say something about cats.")
    assert "retry" in page.call("pick_new", [None, True])[1]  # nothing retried yet: nothing to pick
    shown = chat(page, "", event="retry")  # the 🔄 under the last reply
    assert len(shown) == 3
    assert "not stored" in page.call("pick_previous", [None, False])[1]
    said = page.call("pick_previous", [None, True])[1]
    assert said.startswith("✅")
    _, review, _, _ = page.call("share_review", [None, as_sent(shown)])
    assert review.startswith("Review")
    receipt = RECEIPT.search(page.call("share_chat", [None, True])[1]).group()
    assert receipt in said
    assert store.push()
    records = {r["kind"]: r for r in stored(session_api, store, receipt)}
    assert set(records) == {"pick", "share"}
    assert (records["pick"]["turn"], records["pick"]["chosen"], records["pick"]["rejected"]) == (1, 0, 1)
    (candidates,) = records["share"]["candidates"]
    assert candidates["turn"] == 1 and candidates["shown"] == 1 and len(candidates["replies"]) == 2
    assert candidates["replies"][1] == records["share"]["messages"][1]["content"]


def test_an_arena_vote_names_both_releases_in_the_order_shown(page, store, session_api, chat_repo):
    data = [page.component(label=label) for label in ("Temperature (0 = greedy)", "Max new tokens")]
    assert "Send a message first" in page.call("arena_a", [None, None, True])[2]
    shown = []
    for _ in range(2):
        values = page.trigger(page.component(elem_id="arena-send"), "click", {
            page.component(elem_id="arena-message"): "Hello, which one are you?", data[0]: 0, data[1]: 6,
        })  # fmt: skip
        assert values[page.component(elem_id="arena-a")].strip() and values[page.component(elem_id="arena-b")]
        said = page.call("arena_b", [None, None, True])[2]
        assert said.startswith("✅")
        shown.append(re.search(r"A was \*\*(\S+)\*\*, B was \*\*(\S+)\*\*", said).groups())
        assert "already voted" in page.call("arena_tie", [None, None, True])[2]
    receipt = RECEIPT.search(said).group()
    assert store.push()
    votes = stored(session_api, store, receipt)
    assert [(v["a"]["revision"], v["b"]["revision"]) for v in votes] == shown  # the order shown, revealed after
    assert all(set(pair) == {"v0.2.0", "v0.1.0"} for pair in shown)  # the two newest releases
    assert [v["winner"] for v in votes] == ["b", "b"] and len({v["battle"] for v in votes}) == 2
    tags = {v["a"]["revision"]: v["a"]["commit"] for v in votes} | {
        v["b"]["revision"]: v["b"]["commit"] for v in votes
    }
    assert tags == {tag: chat_repo.tags[tag] for tag in ("v0.2.0", "v0.1.0")}


def test_the_arena_draws_the_order_per_battle_and_compares_the_listed_or_two_newest_releases(service):
    import random

    from hubtools.community.arena_tab import arena_releases, start_battle
    from hubtools.community.config import load_contribute_config
    from hubtools.errors import HubtoolsError
    from hubtools.serve.prompt import CharacterCard
    from hubtools.serve.streaming import GenerationSettings

    assert arena_releases(service) == ("v0.2.0", "v0.1.0")
    assert arena_releases(service, ("main", "v0.1.0")) == ("main", "v0.1.0")
    assert load_contribute_config(environ={"ARENA_RELEASES": "v2, v1"}).arena_releases == ("v2", "v1")
    for bad in ("v2", "v2 v2", "v3 v2 v1"):
        with pytest.raises(HubtoolsError, match="ARENA_RELEASES"):
            load_contribute_config(environ={"ARENA_RELEASES": bad})
    rng, tiny = random.Random(7), GenerationSettings(temperature=0.0, max_new_tokens=2)
    lefts = [start_battle(service, ("v0.2.0", "v0.1.0"), "hi", CharacterCard(), tiny, rng)[0].left for _ in range(6)]
    assert {left["revision"] for left in lefts} == {"v0.2.0", "v0.1.0"}
    with pytest.raises(HubtoolsError, match="type a message"):
        start_battle(service, ("v0.2.0", "v0.1.0"), "  ", CharacterCard(), tiny, rng)


def test_a_visitor_who_removes_their_votes_gets_a_new_receipt(page, store, session_api):
    shown = chat(page, "Good morning!")
    old = RECEIPT.search(like(page, shown, 2, True, consent=True)).group()
    assert store.push() and stored(session_api, store, old)
    assert page.call("forget_contribution", [old, None])[0].startswith("✅")
    assert stored(session_api, store, old) == []
    new = RECEIPT.search(like(page, shown, 2, False, consent=True)).group()
    assert new != old
    store.push()
    assert stored(session_api, store, old) == [] and [v["value"] for v in stored(session_api, store, new)] == [
        "dislike"
    ]
