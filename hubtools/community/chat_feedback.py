"""The Chat tab's feedback: 👍/👎 on a reply and "share this conversation", stored only after consent.

A visitor's `FeedbackSession` (one per browser session, in a `gr.State`) holds their anonymous receipt id, the
random id of the conversation on screen, and, per assistant turn, what produced it (model repo, revision and
commit; the generation settings) and every reply generated there (a retry adds one). Nothing in it leaves the
Space unless the visitor ticks a consent box: a vote (no text) under the vote consent, the whole conversation,
scrubbed and reviewed first, under the share consent.

Turns are counted on the conversation as the model saw it (`clean_history`: no greeting bubble, no notes), which
is also what a shared conversation holds, so a vote's `turn` points at the shared message it rated. Gradio is
imported only inside `feedback_panel`; the callbacks are plain functions of plain values.
"""

import html
import logging
from dataclasses import dataclass, field

from hubtools.community.feedback import (
    SHARE_CONSENT_TEXT,
    VOTE_CONSENT_TEXT,
    ConsentError,
    FeedbackWriter,
    new_id,
    preview_share,
)
from hubtools.community.store import new_receipt
from hubtools.data.feedback import Share
from hubtools.errors import HubtoolsError
from hubtools.serve.prompt import clean_history, message_text
from hubtools.serve.resolve import ResolvedModel
from hubtools.serve.streaming import GenerationSettings

log = logging.getLogger(__name__)
NO_CONSENT = (
    "ℹ️ Your vote was not stored: tick the box above to let the Space keep your votes. Nothing is kept without it."
)


@dataclass
class Turn:
    """What produced the assistant message at one turn, and every reply generated there (the last is shown)."""

    model: dict
    settings: dict
    replies: list[str] = field(default_factory=list)


@dataclass
class FeedbackSession:
    receipt: str = field(default_factory=new_receipt)
    conversation: str = field(default_factory=new_id)
    turns: dict[int, Turn] = field(default_factory=dict)
    told: bool = False  # the "not stored without consent" notice was shown once
    pending: Share | None = None  # the previewed share, waiting for consent
    pending_args: dict = field(default_factory=dict)  # what it was made from: `share` stores the same record

    def restart(self) -> None:
        """A new conversation on screen (Clear): votes and shares from here on point at a fresh id."""
        self.conversation, self.turns, self.pending = new_id(), {}, None


def session_of(state: FeedbackSession | None) -> FeedbackSession:
    """The visitor's session, made on their first reply or click (a `gr.State` starts as None)."""
    return state if isinstance(state, FeedbackSession) else FeedbackSession()


def model_ref(resolved: ResolvedModel) -> dict:
    return {"repo": resolved.repo_id, "revision": resolved.choice, "commit": resolved.commit}


def settings_ref(settings: GenerationSettings) -> dict:
    clamped = settings.clamped()
    return {"temperature": clamped.temperature, "top_p": clamped.top_p, "max_new_tokens": clamped.max_new_tokens}


def record_reply(
    session: FeedbackSession, history: list | None, reply: str, model: ResolvedModel, settings: GenerationSettings
) -> None:
    """Note the reply to the message that follows `history` (a retry of the same turn adds a candidate)."""
    turn = len(clean_history(history)) + 1
    for later in [t for t in session.turns if t > turn]:
        del session.turns[later]  # the conversation was cut back (retry, undo): later turns are gone
    model_dict, settings_dict = model_ref(model), settings_ref(settings)
    known = session.turns.get(turn)
    if known is None or (known.model, known.settings) != (model_dict, settings_dict):
        known = session.turns[turn] = Turn(model_dict, settings_dict)
    known.replies.append(reply)
    session.pending = None


def turn_of(chat: list | None, index: int | list) -> int | None:
    """The turn (in the model's view of the conversation) of chatbot message `index`; None for a greeting or note."""
    if isinstance(index, (list, tuple)):
        index = index[0]
    chat = list(chat or [])
    if not isinstance(index, int) or not 0 <= index < len(chat):
        return None
    before = clean_history(chat[:index])
    upto = clean_history(chat[: index + 1])
    if len(upto) != len(before) + 1 or upto[-1]["role"] != "assistant":
        return None
    return len(before)


def vote(
    writer: FeedbackWriter, session: FeedbackSession, *, consented: bool, chat: list | None, index, liked
) -> str | None:
    """Store a 👍/👎; the message for the visitor (None: say nothing, the no-consent notice was given already)."""
    turn = turn_of(chat, index)
    produced = session.turns.get(turn) if turn is not None else None
    if produced is None:
        return "ℹ️ Only the model's replies in this conversation can be rated."
    text = message_text(chat[index if isinstance(index, int) else index[0]].get("content"))
    shown = [n for n, reply in enumerate(produced.replies) if reply.strip() == text.strip()]
    reply = shown[-1] if shown else len(produced.replies) - 1
    try:
        record = writer.vote(
            consented=consented, receipt=session.receipt, conversation=session.conversation, turn=turn,
            value=liked, model=produced.model, settings=produced.settings, reply=reply,
        )  # fmt: skip
    except ConsentError:
        if session.told:
            return None
        session.told = True
        return NO_CONSENT
    except (HubtoolsError, OSError) as error:
        log.warning("vote not stored: %s", error)
        return "⚠️ Your vote could not be stored. Please try again later."
    thumb = "👍" if record.value == "like" else "👎"
    return f"{thumb} Thank you: your vote is stored under receipt `{session.receipt}`."


def compare(session: FeedbackSession) -> str:
    """The two replies a pick chooses between: the last turn's previous reply and the one shown now."""
    turn = max(session.turns, default=None)
    produced = session.turns.get(turn)
    if produced is None or len(produced.replies) < 2:
        return "ℹ️ Press 🔄 (retry) under the last reply first: then pick which of the two replies was better."
    earlier, now = produced.replies[-2], produced.replies[-1]
    return f"**Previous reply:** {html.escape(earlier)}\n\n**New reply (shown):** {html.escape(now)}"


def pick(writer: FeedbackWriter, session: FeedbackSession, *, consented: bool, new_is_better: bool) -> str:
    """Store which of the last turn's two latest replies the visitor preferred (a preference pair)."""
    turn = max(session.turns, default=None)
    produced = session.turns.get(turn)
    if produced is None or len(produced.replies) < 2:
        return compare(session)
    latest, previous = len(produced.replies) - 1, len(produced.replies) - 2
    chosen, rejected = (latest, previous) if new_is_better else (previous, latest)
    try:
        writer.pick(
            consented=consented, receipt=session.receipt, conversation=session.conversation, turn=turn,
            chosen=chosen, rejected=rejected, model=produced.model, settings=produced.settings,
        )  # fmt: skip
    except ConsentError:
        return "ℹ️ Your pick was not stored: tick the box above to let the Space keep your votes."
    except (HubtoolsError, OSError) as error:
        log.warning("pick not stored: %s", error)
        return "⚠️ Your pick could not be stored. Please try again later."
    return f"✅ Thank you: your pick is stored under receipt `{session.receipt}`."


def preview(session: FeedbackSession, chat: list | None) -> tuple[Share | None, str]:
    """The scrubbed record a share of this conversation would store, or None and why not."""
    messages = clean_history(chat)
    produced = [session.turns[t] for t in sorted(session.turns) if t < len(messages)]
    if not produced or not any(m["role"] == "user" for m in messages):
        session.pending = None
        return None, "Nothing to share yet: chat with the model first."
    candidates = []
    for turn, item in sorted(session.turns.items()):
        if turn >= len(messages) or len(item.replies) < 2:
            continue
        content = messages[turn]["content"]
        shown = [n for n, reply in enumerate(item.replies) if reply.strip() == content.strip()]
        if shown:
            replies = list(item.replies)
            replies[shown[-1]] = content
            candidates.append({"turn": turn, "replies": replies, "shown": shown[-1]})
    args = {
        "receipt": session.receipt, "conversation": session.conversation, "messages": messages,
        "model": produced[-1].model, "settings": produced[-1].settings, "candidates": candidates,
    }  # fmt: skip
    try:
        session.pending, session.pending_args = preview_share(**args), args
    except HubtoolsError as error:
        session.pending = None
        return None, f"⚠️ This conversation cannot be shared: {error}"
    return session.pending, "Review the conversation below: it is exactly what would be stored."


def share(writer: FeedbackWriter, session: FeedbackSession, *, consented: bool) -> str:
    """Store the previewed conversation (the same record the preview showed); the receipt, or why not."""
    pending = session.pending
    if pending is None:
        return "Nothing to share yet: press *Review this conversation* first."
    if not consented:
        return "⚠️ Tick the consent box to share. Nothing was saved."
    try:
        writer.share(consented=True, **session.pending_args)  # the same inputs: the record previewed
    except (HubtoolsError, OSError):
        log.exception("storing a shared conversation failed")
        return "⚠️ The conversation could not be saved; nothing was kept. Please try later."
    session.pending = None
    return (
        "✅ Thank you! This conversation will be added to the dataset within a few minutes.\n\n"
        f"Your receipt id: **`{session.receipt}`**\n\nKeep it: it is the only link between you and what you shared "
        "(and your votes). To have it all removed, paste it under **Remove a contribution** in the *Contribute your "
        "chats* tab."
    )


def preview_html(record: Share | None) -> str:
    if record is None:
        return ""
    rows = [
        f"<p><b>{'You' if m.role == 'user' else 'Model'}</b>: {html.escape(m.content)}</p>" for m in record.messages
    ]
    for item in record.candidates:
        others = [html.escape(r) for n, r in enumerate(item.replies) if n != item.shown]
        rows.append(f"<p><i>Other replies generated at message {item.turn + 1}:</i> {' · '.join(others)}</p>")
    return "\n".join(rows)


def feedback_panel(writer: FeedbackWriter, session, chatbot) -> None:
    """The consent box, the vote's message and the share review, inside the current Gradio context; the like
    event of `chatbot`. `session` is the `gr.State` holding this visitor's `FeedbackSession`."""
    import gradio as gr

    vote_consent = gr.Checkbox(False, label=VOTE_CONSENT_TEXT, elem_id="vote-consent")
    vote_message = gr.Markdown(elem_id="vote-message")
    with gr.Accordion("Retried a reply? Pick the better one", open=False):
        compare_btn = gr.Button("Show both replies", size="sm", elem_id="pick-compare")
        pick_message = gr.Markdown(elem_id="pick-message")
        with gr.Row():
            previous_btn = gr.Button("The previous reply was better", size="sm", elem_id="pick-previous")
            new_btn = gr.Button("The new reply is better", size="sm", elem_id="pick-new")
    with gr.Accordion("Share this conversation", open=False):
        review_btn = gr.Button("Review this conversation", size="sm", elem_id="share-review")
        share_message = gr.Markdown(elem_id="share-message", buttons=["copy"])
        shown = gr.HTML(elem_id="share-preview", max_height=400)
        share_consent = gr.Checkbox(False, label=SHARE_CONSENT_TEXT, elem_id="share-consent")
        share_btn = gr.Button("Share it", variant="primary", size="sm", elem_id="share-button")

    def on_like(state: FeedbackSession | None, consented: bool, chat: list, data: gr.LikeData):
        state = session_of(state)
        said = vote(writer, state, consented=consented, chat=chat, index=data.index, liked=data.liked)
        return state, gr.skip() if said is None else said

    def on_review(state: FeedbackSession | None, chat: list):
        state = session_of(state)
        record, said = preview(state, chat)
        return state, said, preview_html(record), False

    def on_share(state: FeedbackSession | None, consented: bool):
        state = session_of(state)
        said = share(writer, state, consented=consented)
        done = state.pending is None and said.startswith("✅")
        return state, said, "" if done else gr.skip(), False if done else gr.skip()

    def on_compare(state: FeedbackSession | None):
        state = session_of(state)
        return state, compare(state)

    def on_pick(new_is_better: bool):
        def handler(state: FeedbackSession | None, consented: bool):
            state = session_of(state)
            return state, pick(writer, state, consented=consented, new_is_better=new_is_better)

        return handler

    compare_btn.click(on_compare, [session], [session, pick_message], api_visibility="private", queue=False)
    for button, better, name in ((previous_btn, False, "pick_previous"), (new_btn, True, "pick_new")):
        button.click(
            on_pick(better), [session, vote_consent], [session, pick_message], api_name=name,
            api_visibility="undocumented",
        )  # fmt: skip
    chatbot.like(
        on_like, [session, vote_consent, chatbot], [session, vote_message], api_name="vote",
        api_visibility="undocumented", concurrency_limit=4,
    )  # fmt: skip
    review_btn.click(
        on_review, [session, chatbot], [session, share_message, shown, share_consent], api_name="share_review",
        api_visibility="undocumented",
    )  # fmt: skip
    share_btn.click(
        on_share, [session, share_consent], [session, share_message, shown, share_consent], api_name="share_chat",
        api_visibility="undocumented", concurrency_limit=2,
    )  # fmt: skip
