"""The Space's arena tab: one message answered by two releases, shown as A and B in random order; the visitor
says which was better (or a tie), and the vote is stored as an `ArenaVote` after the vote consent.

Which releases: those the maintainer lists in `ARENA_RELEASES` (two, e.g. `v2 v1`), else the two newest
releases of the served model. The order is drawn per battle, so neither release sits on one side; the record
keeps the order shown. The names are revealed only after the vote. Gradio is imported only in `arena_tab`.
"""

import html
import logging
import random
from dataclasses import dataclass

from hubtools.community.chat_feedback import FeedbackSession, model_ref, session_of, settings_ref
from hubtools.community.feedback import VOTE_CONSENT_TEXT, ConsentError, FeedbackWriter, new_id
from hubtools.errors import HubtoolsError
from hubtools.serve.prompt import CharacterCard, check_message
from hubtools.serve.service import ChatService
from hubtools.serve.streaming import GenerationSettings

log = logging.getLogger(__name__)
INTRO = (
    "### Arena\nYour message goes to two releases of the model, shown as **A** and **B** in a random order. "
    "Say which reply is better: the releases are named after your vote."
)


@dataclass
class Battle:
    battle: str
    left: dict  # model refs, as shown: left is "A"
    right: dict
    settings: dict
    voted: bool = False


def arena_releases(service: ChatService, listed: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """The two releases to compare: the maintainer's list, else the two newest; None when there are not two."""
    if len(listed) >= 2:
        return listed[0], listed[1]
    releases = [c.value for c in service.choices() if c.kind == "release"]
    return (releases[0], releases[1]) if len(releases) >= 2 else None


def start_battle(
    service: ChatService, pair: tuple[str, str], message: str, card: CharacterCard, settings: GenerationSettings,
    rng: random.Random,
) -> tuple[Battle, str, str]:  # fmt: skip
    """Answer `message` with both releases, in an order drawn from `rng`: (battle, reply A, reply B)."""
    problem = check_message(message)
    if problem:
        raise HubtoolsError(problem)
    left, right = rng.sample(list(pair), 2)
    replies, refs = [], []
    for choice in (left, right):
        model = service.select(choice)
        growing = list(service.reply(message, [], card=card, settings=settings, model=model))  # the last is whole
        replies.append(growing[-1] if growing else "")
        refs.append(model_ref(model.resolved))
    return Battle(new_id("ab"), refs[0], refs[1], settings_ref(settings)), replies[0], replies[1]


def arena_vote(
    writer: FeedbackWriter, session: FeedbackSession, battle: Battle | None, *, consented: bool, winner: str
) -> str:
    """Store the visitor's verdict on `battle` ("a", "b" or "tie"); the message, naming the two releases."""
    if battle is None:
        return "Send a message first: then say which reply is better."
    if battle.voted:
        return "ℹ️ You already voted on this battle: send another message for a new one."
    try:
        writer.arena(
            consented=consented, receipt=session.receipt, battle=battle.battle, a=battle.left, b=battle.right,
            winner=winner, settings=battle.settings,
        )  # fmt: skip
    except ConsentError:
        return "ℹ️ Your vote was not stored: tick the box above to let the Space keep your votes."
    except (HubtoolsError, OSError) as error:
        log.warning("arena vote not stored: %s", error)
        return "⚠️ Your vote could not be stored. Please try again later."
    battle.voted = True
    names = f"A was **{html.escape(battle.left['revision'])}**, B was **{html.escape(battle.right['revision'])}**."
    return f"✅ Thank you: your vote is stored under receipt `{session.receipt}`. {names}"


def arena_tab(service: ChatService, writer: FeedbackWriter, session, pair: tuple[str, str], *, card_of,
              settings_of, card_inputs: list, settings_inputs: list) -> None:  # fmt: skip
    """The tab's components inside the current Gradio context; `session` is the visitor's feedback `gr.State`,
    `card_of(*card values)` and `settings_of(settings values)` read the sidebar as the chat does."""
    import gradio as gr

    gr.Markdown(INTRO)
    consent = gr.Checkbox(False, label=VOTE_CONSENT_TEXT, elem_id="arena-consent")
    battle = gr.State(None)
    message = gr.Textbox(label="Your message", placeholder="Ask both…", elem_id="arena-message")
    send = gr.Button("Send to A and B", variant="primary", elem_id="arena-send")
    with gr.Row():
        reply_a = gr.Textbox(label="A", lines=6, interactive=False, elem_id="arena-a")
        reply_b = gr.Textbox(label="B", lines=6, interactive=False, elem_id="arena-b")
    with gr.Row():
        buttons = [gr.Button(label, elem_id=f"arena-vote-{w}") for w, label in (("a", "A is better"), ("tie", "Tie"),
                                                                            ("b", "B is better"))]  # fmt: skip
    said = gr.Markdown(elem_id="arena-result")
    rng = random.SystemRandom()

    def on_send(text, *fields):
        try:
            card = card_of(*fields[: len(card_inputs)])
            new, a, b = start_battle(service, pair, text or "", card, settings_of(fields[len(card_inputs) :]), rng)
        except HubtoolsError as error:
            log.warning("arena refused: %s", error)
            return None, "", "", f"⚠️ {error}"
        except Exception:
            log.exception("arena battle failed")
            return None, "", "", "⚠️ Something went wrong while answering. Please try again."
        return new, a, b, "Which reply is better?"

    def on_vote(winner: str):
        def handler(state: FeedbackSession | None, current: Battle | None, consented: bool):
            state = session_of(state)
            return state, current, arena_vote(writer, state, current, consented=consented, winner=winner)

        return handler

    send.click(
        on_send, [message, *card_inputs, *settings_inputs], [battle, reply_a, reply_b, said], api_name="arena_send",
        api_visibility="undocumented", concurrency_limit=4,
    )  # fmt: skip
    for button, winner in zip(buttons, ("a", "tie", "b"), strict=True):
        button.click(
            on_vote(winner), [session, battle, consent], [session, battle, said], api_name=f"arena_{winner}",
            api_visibility="undocumented",
        )  # fmt: skip
