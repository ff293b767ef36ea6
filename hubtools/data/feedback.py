"""The Space's feedback records as data: 👍/👎 votes, regenerate-and-pick preferences, arena votes, shared chats.

The schema lives in the data stage because the data build (`hubtools.data.sources.space_feedback`) and the
arena count (`hubtools.evaluation.arena`) read these records; the Space writes them through
`hubtools.community.feedback.FeedbackWriter`. Every record names the receipt id of the visitor who gave it, the
consent version agreed to, and what produced the replies (model repo, revision, commit, generation settings).
Votes, picks and arena votes carry no text; text enters only in a `share` record, scrubbed, after consent.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

SCHEMA = "hubtools-feedback-v1"
# A contributor's anonymous receipt id: what `data forget --receipt` is given.
RECEIPT = re.compile(r"^rc-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$")
VOTE_CONSENT_VERSION = "space-feedback-consent-v1"
SHARE_CONSENT_VERSION = "space-share-consent-v1"
_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$"
_COMMIT = r"^[0-9a-f]{7,64}$"


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
