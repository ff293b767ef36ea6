"""The Space's feedback as records: 👍/👎 votes, regenerate-and-pick preferences, arena votes, shared chats.

Every record names the receipt id of the visitor who gave it (the same anonymous id a contribution gets, so
`data forget --receipt` removes it all), the consent version agreed to, and what produced the replies: the model
repo, revision and commit, and the generation settings. Votes, picks and arena votes carry no text: they point at
a conversation by a random id and at replies by position. Text enters the store only in a `share` record, after
the visitor consented to share that conversation, and scrubbed of personal data first. The data stage joins
votes to shared conversations (`hubtools.data.sources.space_feedback`); arena votes are counted by
`hubtools.evaluation.arena`.

Records are appended to `feedback/YYYY-MM/<receipt>.jsonl` in the private contributions repo by the same
`CommitScheduler` as contributions (`ContributionStore`); nothing is staged before consent.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from hubtools.community.store import ContributionStore
from hubtools.data.feedback import (
    SHARE_CONSENT_VERSION,
    VOTE_CONSENT_VERSION,
    ArenaVote,
    ModelRef,
    Pick,
    Settings,
    Share,
    Vote,
    _Record,
)
from hubtools.errors import HubtoolsError

FEEDBACK_DIR = "feedback"
VOTE_CONSENT_TEXT = (
    "I agree that my votes (👍/👎, which reply I picked, arena choices) are stored with an anonymous receipt id "
    "and used to train and evaluate the project's models. Votes hold no text of the conversation."
)
SHARE_CONSENT_TEXT = (
    "I have read the preview above. I agree that this conversation, exactly as shown, is added to the project's "
    "training data and may be used to train and publish chat models. I keep my receipt id to ask for its removal."
)


class ConsentError(HubtoolsError):
    """A record offered without the consent it needs: nothing was stored."""


def new_id(prefix: str = "cv") -> str:
    """A random conversation or battle id (64 bits): it links votes to a shared conversation, nothing else."""
    return f"{prefix}-{secrets.token_hex(8)}"


def vote_value(liked: bool | str | None) -> Literal["like", "dislike"]:
    """Gradio's `LikeData.liked` (True/False, or a string for custom icons) → "like"/"dislike"."""
    if liked is True or liked == "like":
        return "like"
    if liked is False or liked == "dislike":
        return "dislike"
    raise HubtoolsError(f"not a vote: {liked!r} (expected liked True or False)")


@dataclass
class FeedbackWriter:
    """Appends feedback records to the contributions repo through `store`'s `CommitScheduler`.

    Each method takes plain values (what a Gradio event handler holds), checks consent first, and returns the
    stored record; a missing consent raises `ConsentError` and stores nothing. `counts` tells what was stored
    and refused, per kind, for the Space's log.
    """

    store: ContributionStore
    counts: Counter = field(default_factory=Counter)

    def vote(self, *, consented: bool, receipt: str, conversation: str, turn: int, value: bool | str,
             model: ModelRef | dict, settings: Settings | dict, reply: int = 0) -> Vote:  # fmt: skip
        """👍/👎 on a reply; `value` may be Gradio's `LikeData.liked` as it comes."""
        self._consent(consented, "vote")
        record = _build(Vote, receipt=receipt, consent=VOTE_CONSENT_VERSION, conversation=conversation, turn=turn,
                        reply=reply, value=vote_value(value), model=model, settings=settings)  # fmt: skip
        return self._append(record)

    def pick(self, *, consented: bool, receipt: str, conversation: str, turn: int, chosen: int, rejected: int,
             model: ModelRef | dict, settings: Settings | dict) -> Pick:  # fmt: skip
        """The better of two replies at `turn` after a regenerate."""
        self._consent(consented, "pick")
        record = _build(Pick, receipt=receipt, consent=VOTE_CONSENT_VERSION, conversation=conversation, turn=turn,
                        chosen=chosen, rejected=rejected, model=model, settings=settings)  # fmt: skip
        return self._append(record)

    def arena(self, *, consented: bool, receipt: str, battle: str, a: ModelRef | dict, b: ModelRef | dict,
              winner: str, settings: Settings | dict) -> ArenaVote:  # fmt: skip
        """An arena vote: `winner` is "a" (left), "b" (right) or "tie", as shown to the visitor."""
        self._consent(consented, "arena")
        record = _build(ArenaVote, receipt=receipt, consent=VOTE_CONSENT_VERSION, battle=battle, a=a, b=b,
                        winner=winner, settings=settings)  # fmt: skip
        return self._append(record)

    def share(self, *, consented: bool, receipt: str, conversation: str, messages: list[dict],
              model: ModelRef | dict, settings: Settings | dict, candidates: list[dict] | None = None,
              names: list[str] | None = None) -> Share:  # fmt: skip
        """Share a conversation: scrubbed (`names` are extra personal names to remove), then stored whole.

        Call `preview_share` first to show the visitor what `share` will store; the texts are the same.
        """
        self._consent(consented, "share")
        record = preview_share(receipt=receipt, conversation=conversation, messages=messages, model=model,
                               settings=settings, candidates=candidates, names=names)  # fmt: skip
        return self._append(record)

    def _consent(self, consented: bool, kind: str) -> None:
        if consented is not True:
            self.counts[f"{kind}:refused"] += 1
            what = "share a conversation" if kind == "share" else "store a vote"
            raise ConsentError(f"cannot {what} without consent: nothing was stored")

    def _append(self, record: _Record) -> _Record:
        self.store.append(FEEDBACK_DIR, record.receipt, [json.dumps(record.to_json(), ensure_ascii=False)])
        self.counts[record.kind] += 1
        return record


def preview_share(*, receipt: str, conversation: str, messages: list[dict], model: ModelRef | dict,
                  settings: Settings | dict, candidates: list[dict] | None = None,
                  names: list[str] | None = None) -> Share:  # fmt: skip
    """The `Share` record a conversation would be stored as: every text (messages and regenerations) scrubbed
    with the project's scrubber, each the same way, so a shown reply still matches its candidates."""
    from hubtools.data.scrub import Scrubber

    scrubber = Scrubber(names or ())
    # Only role and text are stored: a Gradio message's `metadata`, `options` or files never are.
    clean = [{"role": message.get("role"), "content": scrubber.scrub(_text(message))} for message in messages]
    alternatives = [
        {**item, "replies": [scrubber.scrub(str(reply)) for reply in item.get("replies", [])]}
        for item in candidates or []
    ]
    return _build(Share, receipt=receipt, consent=SHARE_CONSENT_VERSION, conversation=conversation, messages=clean,
                  candidates=alternatives, model=model, settings=settings)  # fmt: skip


def _text(message: dict) -> str:
    """A message's text: a string, or the text parts of a list of `{"type": "text", "text": ...}` parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    raise HubtoolsError(f"share record: a {message.get('role')!r} message has no text (got {type(content).__name__})")


def _build(cls: type[_Record], **values) -> _Record:
    try:
        return cls.model_validate(values)
    except ValidationError as error:
        item = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in item["loc"])
        raise HubtoolsError(f"{cls.__name__.lower()} record: {where}: {item['msg']}") from None
