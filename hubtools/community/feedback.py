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
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from hubtools.community.store import RECEIPT, ContributionStore
from hubtools.errors import HubtoolsError

SCHEMA = "hubtools-feedback-v1"
FEEDBACK_DIR = "feedback"
VOTE_CONSENT_VERSION = "space-feedback-consent-v1"
SHARE_CONSENT_VERSION = "space-share-consent-v1"
VOTE_CONSENT_TEXT = (
    "I agree that my votes (👍/👎, which reply I picked, arena choices) are stored with an anonymous receipt id "
    "and used to train and evaluate the project's models. Votes hold no text of the conversation."
)
SHARE_CONSENT_TEXT = (
    "I have read the preview above. I agree that this conversation, exactly as shown, is added to the project's "
    "training data and may be used to train and publish chat models. I keep my receipt id to ask for its removal."
)
_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$"
_COMMIT = r"^[0-9a-f]{7,64}$"


class ConsentError(HubtoolsError):
    """A record offered without the consent it needs: nothing was stored."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class ModelRef(_Strict):
    """What produced a reply: the model repo, the revision asked for (a tag) and the commit it resolved to."""

    repo: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
    revision: str = Field(min_length=1, max_length=200)
    commit: str = Field(pattern=_COMMIT)

    @property
    def label(self) -> str:
        return f"{self.repo}@{self.revision}"


class Settings(_Strict):
    """The generation settings of a reply (what the Space's sliders said)."""

    temperature: float = Field(ge=0, le=10)
    top_p: float = Field(gt=0, le=1)
    max_new_tokens: int = Field(gt=0, le=1_000_000)
    seed: int | None = None


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=100_000)


class _Record(_Strict):
    schema_: Literal["hubtools-feedback-v1"] = Field(SCHEMA, alias="schema")
    receipt: str = Field(pattern=RECEIPT.pattern)
    consent: str = Field(min_length=1, max_length=100)

    def to_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


class Vote(_Record):
    """👍 or 👎 on one reply: reply `reply` (0 = the first generated) of the assistant message at `turn` (its
    index in the conversation's messages: Gradio's `LikeData.index` for a `type="messages"` chatbot)."""

    kind: Literal["vote"] = "vote"
    conversation: str = Field(pattern=_ID)
    turn: int = Field(ge=0, le=10_000)
    reply: int = Field(0, ge=0, le=100)
    value: Literal["like", "dislike"]
    model: ModelRef
    settings: Settings


class Pick(_Record):
    """After "regenerate", the visitor picked reply `chosen` over reply `rejected` at `turn`: a preference pair."""

    kind: Literal["pick"] = "pick"
    conversation: str = Field(pattern=_ID)
    turn: int = Field(ge=0, le=10_000)
    chosen: int = Field(ge=0, le=100)
    rejected: int = Field(ge=0, le=100)
    model: ModelRef
    settings: Settings

    @model_validator(mode="after")
    def _two_replies(self) -> Pick:
        if self.chosen == self.rejected:
            raise ValueError("chosen and rejected must be two different replies")
        return self


class ArenaVote(_Record):
    """One arena battle: the same message answered by `a` (shown left) and `b` (shown right); the visitor's
    `winner`. Which release sat left was drawn at random; the record keeps the order it was shown in."""

    kind: Literal["arena"] = "arena"
    battle: str = Field(pattern=_ID)
    a: ModelRef
    b: ModelRef
    winner: Literal["a", "b", "tie"]
    settings: Settings

    @model_validator(mode="after")
    def _two_releases(self) -> ArenaVote:
        if (self.a.repo, self.a.commit) == (self.b.repo, self.b.commit):
            raise ValueError("an arena battle needs two different releases (a and b are the same commit)")
        return self


class Candidates(_Strict):
    """Every reply generated for the assistant message at `turn` (regenerations), in order; `shown` is the one
    the conversation kept."""

    turn: int = Field(ge=0, le=10_000)
    replies: list[Annotated[str, Field(max_length=100_000)]] = Field(min_length=1, max_length=100)
    shown: int = Field(0, ge=0)


class Share(_Record):
    """A conversation the visitor chose to share, scrubbed and exactly as previewed, with its regenerations."""

    kind: Literal["share"] = "share"
    conversation: str = Field(pattern=_ID)
    messages: list[Message] = Field(min_length=2, max_length=1000)
    candidates: list[Candidates] = Field(default_factory=list, max_length=1000)
    model: ModelRef
    settings: Settings

    @model_validator(mode="after")
    def _candidates_fit(self) -> Share:
        roles = {message.role for message in self.messages}
        if not {"user", "assistant"} <= roles:
            raise ValueError("messages: a shared conversation needs a user and an assistant message")
        for index, candidates in enumerate(self.candidates):
            where = f"candidates[{index}]"
            if candidates.turn >= len(self.messages) or self.messages[candidates.turn].role != "assistant":
                raise ValueError(f"{where}: turn {candidates.turn} is not an assistant message")
            if candidates.shown >= len(candidates.replies):
                raise ValueError(
                    f"{where}: shown {candidates.shown} is not one of its {len(candidates.replies)} replies"
                )
            if candidates.replies[candidates.shown] != self.messages[candidates.turn].content:
                raise ValueError(f"{where}: the shown reply differs from the conversation's message")
        return self

    def replies(self, turn: int) -> list[str]:
        """The replies generated at `turn` (just the conversation's message when it was never regenerated)."""
        for candidates in self.candidates:
            if candidates.turn == turn:
                return list(candidates.replies)
        if turn < len(self.messages) and self.messages[turn].role == "assistant":
            return [self.messages[turn].content]
        return []

    def shown(self, turn: int) -> int:
        return next((c.shown for c in self.candidates if c.turn == turn), 0)


Record = Annotated[Vote | Pick | ArenaVote | Share, Field(discriminator="kind")]
RECORD = TypeAdapter(Record)
KINDS = ("vote", "pick", "arena", "share")


def parse_record(value: dict) -> tuple[Record | None, str | None]:
    """`(record, None)` or `(None, reason)` for one stored JSON object; the reason names the field."""
    try:
        return RECORD.validate_python(value), None
    except ValidationError as error:
        item = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in item["loc"] if not str(part).startswith("function-"))
        message = item["msg"].removeprefix("Value error, ")
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        return None, f"{where}: {message}{more}" if where else message + more


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
