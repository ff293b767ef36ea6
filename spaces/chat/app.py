"""Chat Space: Gradio wiring only. What to serve comes from the Space variables (MODEL_REPO, MODEL_REVISION);
resolution, prompting, generation and every error message live in `hubtools.serve`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from hubtools.community.config import load_contribute_config
from hubtools.community.ui import contribute_tab
from hubtools.errors import HubtoolsError
from hubtools.serve.config import load_serve_config
from hubtools.serve.prompt import CharacterCard
from hubtools.serve.service import ChatService
from hubtools.serve.streaming import GenerationSettings, parse_stop_sequences

log = logging.getLogger("chat-space")
APP_DIR = Path(__file__).resolve().parent
CARD = CharacterCard()
SETTINGS = GenerationSettings()


def build_demo(service: ChatService | None = None) -> gr.Blocks:
    """The whole UI around one `ChatService` (started here if the caller did not)."""
    if service is None:
        service = ChatService(load_serve_config(APP_DIR))
        service.start()

    def choice_options(maintainer: bool) -> list[tuple[str, str]]:
        return [(c.label, c.value) for c in service.choices(maintainer=maintainer)]

    def respond(
        message, history, choice, name, persona, greeting, scenario, example_dialogue, user_name,
        temperature, top_p, max_new_tokens, repetition_penalty, stop_sequences,
    ) -> Iterator[str]:  # fmt: skip
        """Parameter names are the `/chat` API's keyword names."""
        try:
            model = service.model_for(choice)
            card = CharacterCard(name, persona, greeting, scenario, example_dialogue, user_name or "User")
            settings = GenerationSettings(
                temperature, top_p, int(max_new_tokens), repetition_penalty, parse_stop_sequences(stop_sequences)
            )
            yield from service.reply(message, history, card=card, settings=settings, model=model)
        except HubtoolsError as error:
            raise gr.Error(str(error), title="Sorry") from None
        except Exception:
            log.exception("chat failed")
            raise gr.Error("Something went wrong while answering. Please try again.", title="Sorry") from None

    def switch(choice: str | None, current: str | None, is_maintainer: bool):
        try:
            if service.is_checkpoint(choice) and not (is_maintainer or service.config.show_checkpoints):
                raise HubtoolsError("Training checkpoints are for maintainers: unlock them with your Hub token first.")
            model = service.select(choice)
        except HubtoolsError as error:
            still = " Still serving the previous model." if (current or service.default) else ""
            return current, f"⚠️ {error}{still}"
        return choice, model.status()

    def unlock(token: str):
        if not service.is_maintainer(token):
            gr.Warning("That token does not belong to the owner of the model repo: checkpoints stay hidden.")
            return False, gr.update()
        gr.Info("Training checkpoints are now listed under Model.")
        return True, gr.update(choices=choice_options(True))

    default = service.default
    with gr.Blocks(title="Chat") as demo:
        gr.Markdown(f"## Chat with {service.config.model_repo or 'a model from the Hub'}")
        status = gr.Markdown(service.status(default), elem_id="model-status")
        chosen = gr.State(None)  # this session's revision choice; None = the configured default
        maintainer = gr.State(False)
        with gr.Sidebar(open=False):
            gr.Markdown("### Model")
            revision = gr.Dropdown(
                choices=choice_options(False),
                value=default.resolved.choice if default else None,
                label="Release",
                allow_custom_value=True,
                info="Releases of the model; a branch, tag or commit can be typed too.",
            )
            refresh = gr.Button("Refresh list", size="sm")
            with gr.Accordion("Maintainers: training checkpoints", open=False):
                token = gr.Textbox(label="Hub token with access to the model repo", type="password")
                unlock_btn = gr.Button("Show checkpoints", size="sm")
            gr.Markdown("### Character")
            name = gr.Textbox(CARD.name, label="Name")
            persona = gr.Textbox(CARD.persona, label="Persona", lines=3)
            greeting = gr.Textbox(CARD.greeting, label="Greeting", lines=2)
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
        with gr.Tab("Chat"):
            gr.ChatInterface(
                respond,
                chatbot=gr.Chatbot(
                    value=[{"role": "assistant", "content": CARD.fill(CARD.greeting)}], height=520, elem_id="chatbot"
                ),
                textbox=gr.Textbox(placeholder="Say something…", elem_id="chat-input", submit_btn=True, stop_btn=True),
                additional_inputs=[chosen, name, persona, greeting, scenario, examples, user_name]
                + [temperature, top_p, max_new, penalty, stops],
                api_name="chat",
                concurrency_limit=16,
                fill_height=True,
            )
        with gr.Tab("Contribute your chats"):
            contribute_tab(load_contribute_config(APP_DIR))
        revision.input(
            switch, [revision, chosen, maintainer], [chosen, status], api_name="switch_model", concurrency_limit=2
        )
        refresh.click(
            lambda m: gr.update(choices=choice_options(m)), [maintainer], [revision], api_visibility="private"
        )
        unlock_btn.click(unlock, [token], [maintainer, revision], api_name="unlock_checkpoints")
    return demo


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    build_demo().queue(default_concurrency_limit=16).launch(ssr_mode=False)
