"""Chat Space: Gradio wiring only. What to serve comes from the Space variables (MODEL_REPO, MODEL_REVISION);
resolution, prompting, generation, sign-in decisions and every error message live in `hubtools.serve`.

On ZeroGPU, `hubtools space deploy --hardware zero-a10g` ships this file as `chat_app.py` behind an `app.py`
(`zerogpu_app.py` here) that imports `spaces` first and passes its `@spaces.GPU` generator as `reply_fn`.
"""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

# Gradio's run history keeps every input in the visitor's localStorage: nothing typed here belongs there.
os.environ.setdefault("GRADIO_RUN_HISTORY", "False")

import gradio as gr  # noqa: E402

from hubtools.community.arena_tab import arena_releases, arena_tab  # noqa: E402
from hubtools.community.chat_feedback import feedback_panel, record_reply, session_of  # noqa: E402
from hubtools.community.config import load_contribute_config  # noqa: E402
from hubtools.community.feedback import FeedbackWriter  # noqa: E402
from hubtools.community.store import ContributionStore, forget, new_receipt  # noqa: E402
from hubtools.community.ui import contribute_tab, open_store  # noqa: E402
from hubtools.errors import HubtoolsError  # noqa: E402
from hubtools.serve.access import is_maintainer, local_sign_in_available  # noqa: E402
from hubtools.serve.config import load_serve_config  # noqa: E402
from hubtools.serve.prompt import CharacterCard, check_message, note_message, with_greeting  # noqa: E402
from hubtools.serve.service import ChatService  # noqa: E402
from hubtools.serve.streaming import GenerationSettings, parse_stop_sequences  # noqa: E402

log = logging.getLogger("chat-space")
ReplyFn = Callable[[str, list, "str | None", CharacterCard, GenerationSettings], Iterator[str]]
APP_DIR = Path(__file__).resolve().parent
CARD = CharacterCard()
SETTINGS = GenerationSettings()
# How every launcher (this file, `hubtools space run`, the tests) serves the app.
LAUNCH_OPTIONS = {
    "ssr_mode": False,
    "run_history": False,
    "footer_links": ["api", "gradio", "settings"],
    "css": ".avatar {height: 2em; border-radius: 50%; vertical-align: middle}",
}
DISCLAIMER = (
    "{name} is played by a small language model ({model}): it makes things up, gets facts wrong and can say odd "
    "things, so do not rely on it. Chats are not stored: nothing you type is kept once you leave, unless you "
    "share it yourself (*Share this conversation*, or the *Contribute your chats* tab). Votes (👍/👎, picks, arena) "
    "are kept only once you tick their consent box, and hold no text."
)
CHECKPOINTS_HELP = "Sign in as the model's owner (or a member of its organisation) to try training checkpoints."


def avatar_url(text: str | None) -> str | None:
    """An avatar is an http(s) image URL; anything else (a path on the server, a script) is ignored."""
    text = (text or "").strip()
    return text if re.fullmatch(r"https?://[^\s\"'<>]+", text) else None


def header_markdown(name: str, avatar: str | None) -> str:
    image = f'<img src="{html.escape(avatar)}" alt="" class="avatar"> ' if avatar else ""
    return f"## {image}{html.escape(name.strip() or 'Assistant')}"


def start_service() -> ChatService:
    """The service for this Space's variables, its default model loaded (on CUDA under ZeroGPU)."""
    service = ChatService(load_serve_config(APP_DIR))
    service.start()
    return service


def build_demo(
    service: ChatService | None = None, *, reply_fn: ReplyFn | None = None, store: ContributionStore | None = None
) -> gr.Blocks:
    """The whole UI around one `ChatService` (started here if the caller did not).

    `reply_fn(message, history, choice, card, settings)` yields the growing reply; its arguments pickle, as
    ZeroGPU's `@spaces.GPU` needs. Default: the service's reply with the session's model. `store` (tests)
    replaces the contributions store opened from `CONTRIBUTIONS_REPO`; without one, votes and shares are off.
    """
    if service is None:
        service = start_service()
    contribute = load_contribute_config(APP_DIR)
    notice = None
    if store is None and contribute.repo_id:
        store, notice = open_store(contribute)
    writer = FeedbackWriter(store) if store is not None else None

    def reply_with_service(message, history, choice, card, settings) -> Iterator[str]:
        yield from service.reply(message, history, card=card, settings=settings, model=service.model_for(choice))

    reply_fn = reply_fn or reply_with_service
    model_repo = service.config.model_repo or "a model from the Hub"

    def card_of(name, persona, greeting, scenario, example_dialogue, user_name) -> CharacterCard:
        return CharacterCard(name, persona, greeting, scenario, example_dialogue, user_name or "User")

    def settings_of(settings_fields) -> GenerationSettings:
        temperature, top_p, max_new_tokens, repetition_penalty, stop_sequences = settings_fields
        return GenerationSettings(
            temperature, top_p, int(max_new_tokens), repetition_penalty, parse_stop_sequences(stop_sequences)
        )

    def generate(message, history, choice, card_fields, settings_fields) -> Iterator[str]:
        yield from reply_fn(message, history, choice, card_of(*card_fields), settings_of(settings_fields))

    def respond(message, history, choice, *fields) -> Iterator[tuple[str | dict, object]]:
        """The chat box: a failure becomes a note in the chat, so the conversation can go on. The reply is
        noted in the visitor's feedback session (last input and output): what produced it, for a vote."""
        session, fields = session_of(fields[-1]), fields[:-1]
        reply = None
        try:
            for reply in generate(message, history, choice, fields[:6], fields[6:]):
                yield reply, gr.skip()
        except HubtoolsError as error:
            log.warning("chat refused: %s", error)
            yield note_message("⚠️ Sorry", str(error)), gr.skip()
            return
        except Exception:
            log.exception("chat failed")
            yield note_message("⚠️ Sorry", "Something went wrong while answering. Please try again."), gr.skip()
            return
        if reply is not None:
            record_reply(session, history, reply, service.model_for(choice).resolved, settings_of(fields[6:]))
            yield reply, session

    def chat(
        message, messages, choice, name, persona, greeting, scenario, example_dialogue, user_name,
        temperature, top_p, max_new_tokens, repetition_penalty, stop_sequences,
    ) -> Iterator[str]:  # fmt: skip
        """The `/chat` API: the new message, and optionally the conversation so far as `messages`."""
        try:
            if messages is not None and not isinstance(messages, list):
                raise HubtoolsError("messages: expected a list of {'role': ..., 'content': ...} objects")
            for index, item in enumerate(messages or []):
                if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
                    raise HubtoolsError(f"messages[{index}]: expected 'role' 'user' or 'assistant' and a 'content'")
            card = (name, persona, greeting, scenario, example_dialogue, user_name)
            settings = (temperature, top_p, max_new_tokens, repetition_penalty, stop_sequences)
            yield from generate(message, messages, choice, card, settings)
        except HubtoolsError as error:
            log.warning("chat API refused: %s", error)
            raise gr.Error(str(error), title="Sorry", print_exception=False) from None
        except Exception:
            log.exception("chat API failed")
            raise gr.Error(
                "Something went wrong while answering. Please try again.", title="Sorry", print_exception=False
            ) from None

    def validate(message):
        problem = check_message(message)
        if problem:
            log.info("message refused: %s", problem)
        return gr.validate(problem is None, problem or "")

    def choice_options(maintainer: bool) -> list[tuple[str, str]]:
        return [(c.label, c.value) for c in service.choices(maintainer=maintainer)]

    def maintainer_of(profile) -> bool:
        return is_maintainer(profile, service.config.model_repo, api=service.api)

    def shown_choice(choice: str | None) -> str | None:
        if choice:
            return choice
        return service.default.resolved.choice if service.default else None

    def switch(choice, current, profile: gr.OAuthProfile | None):
        """The `/switch_model` API: pin this session to `choice`; (session's choice, status line)."""
        try:
            if service.is_checkpoint(choice) and not (service.config.show_checkpoints or maintainer_of(profile)):
                raise HubtoolsError(f"Training checkpoints are for maintainers. {CHECKPOINTS_HELP}")
            model = service.select(choice)
        except HubtoolsError as error:
            log.warning("switch refused: %s", error)
            still = " Still serving the previous model." if (current or service.default) else ""
            return current, f"⚠️ {error}{still}"
        return choice, model.status()

    def switch_in_chat(choice, current, history, profile: gr.OAuthProfile | None):
        """The picker: on failure it goes back to what is still served; a switch mid-chat leaves a note."""
        chosen_now, status_line = switch(choice, current, profile)
        if status_line.startswith("⚠️"):
            return chosen_now, status_line, gr.update(value=shown_choice(current)), gr.skip(), gr.skip()
        history = list(history or [])
        if any(isinstance(m, dict) and m.get("role") == "user" for m in history):
            history.append(
                note_message("🔄 Model changed", f"From here on: {service.model_for(chosen_now).resolved.describe()}")
            )
        return chosen_now, status_line, gr.skip(), history, history

    def refresh_choices(profile: gr.OAuthProfile | None):
        return gr.update(choices=choice_options(maintainer_of(profile)))

    def on_load(profile: gr.OAuthProfile | None):
        if profile is None:
            return gr.update(), CHECKPOINTS_HELP
        if not maintainer_of(profile):
            who = html.escape(profile.username or "this account")
            return gr.update(), f"Signed in as {who}, who does not own {model_repo}: checkpoints stay hidden."
        return gr.update(choices=choice_options(True)), "Training checkpoints are listed under Release."

    def refresh_character(history, name, greeting, user_name, avatar):
        """The greeting bubble always shows the greeting the model gets; the header shows who is talking."""
        card = CharacterCard(name=name, greeting=greeting, user_name=user_name or "User")
        shown = with_greeting(history, card)
        avatar = avatar_url(avatar)
        header = header_markdown(name, avatar)
        disclaimer = DISCLAIMER.format(name=html.escape(name.strip() or "Assistant"), model=model_repo)
        chatbot = gr.Chatbot(value=shown, avatar_images=(None, avatar))
        return chatbot, shown, header, disclaimer

    def greeting_again(name, greeting, user_name, session):
        """After Clear the greeting bubble comes back (the model still gets the greeting); a new conversation."""
        shown = with_greeting([], CharacterCard(name=name, greeting=greeting, user_name=user_name or "User"))
        session = session_of(session)
        session.restart()
        return shown, shown, session

    def forget_contribution(receipt: str, session) -> tuple[str, object]:
        """Self-service removal: the receipt id, which only its contributor was given, is the permission. A
        visitor who removes their own feedback gets a new receipt: what they do next is not tied to the old one."""
        repo_id = store.repo_id if store is not None else contribute.repo_id
        if not repo_id:
            return "⚠️ This Space does not collect contributions: there is nothing to remove.", session
        try:
            done = forget(repo_id, receipt or "", token=contribute.token)
        except HubtoolsError as error:
            log.warning("forget refused: %s", error)
            return f"⚠️ {error}", session
        session = session_of(session)
        if session.receipt == done.receipt:
            session.receipt, session.pending = new_receipt(), None
        return (
            f"✅ Removed contribution `{done.receipt}` ({len(done.paths)} file(s)) from the dataset. It leaves the "
            "repo's git history when the maintainers next squash it."
        ), session

    default = service.default
    sign_in = local_sign_in_available(service.api)
    with gr.Blocks(title="Chat") as demo:
        header = gr.Markdown(header_markdown(CARD.name, None), elem_id="character-header")
        disclaimer = gr.Markdown(
            DISCLAIMER.format(name=CARD.name, model=model_repo), elem_id="disclaimer", elem_classes="disclaimer"
        )
        status = gr.Markdown(service.status(default), elem_id="model-status")
        chosen = gr.State(None)  # this session's revision choice; None = the configured default
        feedback = gr.State(None)  # this visitor's FeedbackSession: receipt, conversation id, what made each reply
        with gr.Sidebar(open=False, width=420):
            gr.Markdown("### Model")
            revision = gr.Dropdown(
                choices=choice_options(False),
                value=shown_choice(None),
                label="Release",
                allow_custom_value=True,
                info="Releases of the model; a branch, tag or commit id (the short one shown above too) can be typed.",
                elem_id="release-picker",
            )
            refresh = gr.Button("Refresh list", size="sm")
            with gr.Accordion("Maintainers: training checkpoints", open=False):
                maintainer_note = gr.Markdown(CHECKPOINTS_HELP, elem_id="maintainer-note")
                if sign_in:
                    gr.LoginButton(size="sm")
                else:
                    gr.Markdown("Sign-in needs a Hub login on this machine (`hf auth login`) when run locally.")
            gr.Markdown("### Character")
            name = gr.Textbox(CARD.name, label="Name", elem_id="card-name")
            avatar = gr.Textbox("", label="Avatar", placeholder="https://… (an image URL, optional)")
            persona = gr.Textbox(CARD.persona, label="Persona", lines=3)
            greeting = gr.Textbox(CARD.greeting, label="Greeting", lines=2, elem_id="card-greeting")
            scenario = gr.Textbox(CARD.scenario, label="Scenario", lines=2)
            examples = gr.Textbox(
                CARD.example_dialogue,
                label="Example dialogue",
                lines=4,
                info="{{user}} and {{char}} stand for the names",
            )
            user_name = gr.Textbox(CARD.user_name, label="Your name")
            gr.Markdown("### Generation")
            temperature = gr.Slider(0.0, 2.0, SETTINGS.temperature, step=0.05, label="Temperature (0 = greedy)")
            top_p = gr.Slider(0.05, 1.0, SETTINGS.top_p, step=0.05, label="Top-p")
            max_new = gr.Slider(1, 512, SETTINGS.max_new_tokens, step=1, label="Max new tokens")
            penalty = gr.Slider(1.0, 2.0, SETTINGS.repetition_penalty, step=0.05, label="Repetition penalty")
            stops = gr.Textbox("", label="Stop sequences", lines=2, info="One a line; \\n is a newline")
        card_inputs = [name, persona, greeting, scenario, examples, user_name]
        settings_inputs = [temperature, top_p, max_new, penalty, stops]
        with gr.Tab("Chat"):
            chat_ui = gr.ChatInterface(
                respond,
                chatbot=gr.Chatbot(value=with_greeting([], CARD), height=520, elem_id="chatbot"),
                textbox=gr.Textbox(placeholder="Say something…", elem_id="chat-input", submit_btn=True, stop_btn=True),
                additional_inputs=[chosen] + card_inputs + settings_inputs + [feedback],
                additional_outputs=[feedback],
                validator=validate,
                api_name="chat_ui",
                api_visibility="private",  # the documented endpoint is /chat below, which takes `messages`
                concurrency_limit=16,
                fill_height=True,
            )
            api_message = gr.Textbox(visible=False)
            api_messages = gr.JSON([], visible=False, label="messages")
            api_reply = gr.Textbox(visible=False)
            api_button = gr.Button(visible=False)
            api_choice = gr.Textbox(visible=False, label="choice")
            api_switch = gr.Button(visible=False)
            if writer is not None:
                feedback_panel(writer, feedback, chat_ui.chatbot)
        pair = arena_releases(service, contribute.arena_releases) if writer is not None else None
        if pair is not None:
            with gr.Tab("Arena"):
                arena_tab(
                    service, writer, feedback, pair, card_of=card_of, settings_of=settings_of,
                    card_inputs=card_inputs, settings_inputs=settings_inputs,
                )  # fmt: skip
        with gr.Tab("Contribute your chats"):
            contribute_tab(contribute, store=store, notice=notice)
            with gr.Accordion("Remove a contribution", open=False):
                receipt = gr.Textbox(
                    label="Receipt id", placeholder="rc-xxxx-xxxx-xxxx-xxxx", elem_id="forget-receipt"
                )
                forget_button = gr.Button("Remove it", size="sm")
                forgotten = gr.Markdown(elem_id="forget-message")
        api_button.click(
            chat,
            [api_message, api_messages, chosen] + card_inputs + settings_inputs,
            [api_reply],
            api_name="chat",
            concurrency_limit=16,
        )
        forget_button.click(
            forget_contribution, [receipt, feedback], [forgotten, feedback], api_name="forget_contribution",
            concurrency_limit=1,
        )  # fmt: skip
        shown = [chat_ui.chatbot, chat_ui.chatbot_state]
        revision.input(
            switch_in_chat,
            [revision, chosen, chat_ui.chatbot_state],
            [chosen, status, revision, *shown],
            api_visibility="private",
            concurrency_limit=2,
        )
        api_switch.click(switch, [api_choice, chosen], [chosen, status], api_name="switch_model", concurrency_limit=2)
        refresh.click(refresh_choices, None, [revision], api_visibility="private")
        demo.load(on_load, None, [revision, maintainer_note], api_visibility="private")
        gr.on(
            [name.change, greeting.change, user_name.change, avatar.change],
            refresh_character,
            [chat_ui.chatbot_state, name, greeting, user_name, avatar],
            [*shown, header, disclaimer],
            api_visibility="private",
            queue=False,
        )
        chat_ui.chatbot.clear(
            greeting_again, [name, greeting, user_name, feedback], [*shown, feedback], api_visibility="private",
            queue=False,
        )  # fmt: skip
    return demo


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    build_demo().queue(default_concurrency_limit=16).launch(**LAUNCH_OPTIONS)
