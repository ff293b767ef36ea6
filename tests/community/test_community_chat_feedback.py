"""The Chat tab's feedback callbacks as plain functions: which turn a like points at, what a retry or an undo
does to the noted replies, and that nothing is staged without consent (a real store on the embedded Hub)."""

from __future__ import annotations

import json

import pytest

from hubtools.community.chat_feedback import (
    NO_CONSENT,
    FeedbackSession,
    pick,
    preview,
    record_reply,
    turn_of,
    vote,
)
from hubtools.community.feedback import FeedbackWriter
from hubtools.serve.prompt import CharacterCard, note_message, with_greeting
from hubtools.serve.resolve import ResolvedModel
from hubtools.serve.streaming import GenerationSettings

V1 = ResolvedModel("local/chat", "v1", "a" * 40, "release")
V2 = ResolvedModel("local/chat", "v2", "b" * 40, "release")
CHECKPOINT = ResolvedModel("local/chat", "checkpoints", "c" * 40, "checkpoint", "checkpoint-3")
GREEDY = GenerationSettings(temperature=0.0, max_new_tokens=16)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def bot(text: str) -> dict:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}  # as the page sends it


def staged(store) -> list[dict]:
    return [
        json.loads(line) for path in sorted(store.folder.rglob("*.jsonl")) for line in path.read_text().splitlines()
    ]


def test_a_like_points_at_the_turn_the_model_saw_greeting_and_notes_left_out():
    chat = [*with_greeting([], CharacterCard()), user("hi"), bot("hello"), note_message("🔄 Model changed")]
    chat += [user("more"), bot("sure")]
    assert [turn_of(chat, index) for index in range(len(chat))] == [None, None, 1, None, None, 3]
    assert turn_of(chat, [5, 0]) == 3 and turn_of(chat, 6) is None and turn_of(chat, -1) is None
    assert turn_of([user("x"), bot("  ")], 1) is None  # an empty bubble is no reply


def test_a_retry_adds_a_candidate_an_undo_forgets_later_turns_and_a_switch_starts_over():
    session = FeedbackSession()
    record_reply(session, [], "first", V1, GREEDY)
    record_reply(session, [], "second", V1, GREEDY)  # retry: the same history again
    assert session.turns[1].replies == ["first", "second"]
    record_reply(session, [user("q"), bot("second")], "later", V1, GREEDY)
    assert set(session.turns) == {1, 3}
    record_reply(session, [], "third", V1, GREEDY)  # back to the first turn: the later one is gone
    assert set(session.turns) == {1} and session.turns[1].replies == ["first", "second", "third"]
    record_reply(session, [], "other model", CHECKPOINT, GREEDY)  # not comparable with the earlier replies
    assert session.turns[1].replies == ["other model"]
    assert session.turns[1].model == {"repo": "local/chat", "revision": "checkpoints:checkpoint-3", "commit": "c" * 40}


def test_a_preview_keeps_the_retried_replies_and_the_one_shown():
    session = FeedbackSession()
    record_reply(session, [], "A cat sleeps a lot.", V2, GREEDY)
    record_reply(session, [], "Cats purr.", V2, GREEDY)
    record, said = preview(session, [user("cats?"), bot("Cats purr. ")])
    assert said.startswith("Review")
    (candidates,) = record.candidates
    assert candidates.shown == 1 and candidates.replies == ["A cat sleeps a lot.", "Cats purr. "]
    assert preview(FeedbackSession(), [user("cats?"), bot("x")]) == (
        None,
        "Nothing to share yet: chat with the model first.",
    )


def test_nothing_is_staged_without_consent_and_a_vote_names_the_model_of_its_turn(store):
    writer, session = FeedbackWriter(store), FeedbackSession()
    record_reply(session, [], "hello", V1, GREEDY)
    chat = [user("hi"), bot("hello")]
    record_reply(session, chat, "fine", V2, GREEDY)  # switched to v2 before the second message
    record_reply(session, chat, "great", V2, GREEDY)  # and retried it
    chat += [user("how are you?"), bot("great")]
    assert vote(writer, session, consented=False, chat=chat, index=1, liked=True) == NO_CONSENT
    assert vote(writer, session, consented=False, chat=chat, index=1, liked=True) is None  # told once
    assert "not stored" in pick(writer, session, consented=False, new_is_better=True)
    assert staged(store) == [] and writer.counts["vote:refused"] == 2
    assert vote(writer, session, consented=True, chat=chat, index=1, liked=True).startswith("👍")
    assert vote(writer, session, consented=True, chat=chat, index=3, liked=False).startswith("👎")
    first, second = staged(store)
    assert (first["turn"], first["model"]["revision"], second["turn"], second["model"]["revision"]) == (
        1,
        "v1",
        3,
        "v2",
    )
    assert first["receipt"] == second["receipt"] == session.receipt


@pytest.mark.parametrize("liked", ["maybe", None])
def test_a_vote_that_is_neither_like_nor_dislike_is_refused_not_stored(store, liked):
    session = FeedbackSession()
    record_reply(session, [], "hello", V1, GREEDY)
    said = vote(FeedbackWriter(store), session, consented=True, chat=[user("hi"), bot("hello")], index=1, liked=liked)
    assert said.startswith("⚠️") and staged(store) == []
