"""From a character card and a conversation to prompt token ids, through the model's own chat template.

Like Pygmalion's UI, the card (name, persona, scenario, example dialogue) becomes the system turn and the
greeting the first assistant turn. Templates that refuse a system role or an assistant-first conversation get
the same content folded into the turns they accept. A conversation longer than the context window loses its
oldest turns, never the card's name or the new message; a message that cannot fit is refused politely.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hubtools.errors import HubtoolsError

MAX_MESSAGE_CHARS = 4000
# Chat bubbles that are not conversation turns: the greeting bubble (the card's greeting is what the model gets,
# whatever the bubble says) and notes such as errors or "the model changed" (a `metadata.title` in Gradio).
GREETING_ID = "greeting"
# Used when a model ships no chat template: a plain transcript, as early character models were trained on.
FALLBACK_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}\n\n"
    "{% elif m['role'] == 'user' %}User: {{ m['content'] }}\n"
    "{% else %}Assistant: {{ m['content'] }}\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)


@dataclass(frozen=True)
class CharacterCard:
    """Who the model plays. `{{char}}` and `{{user}}` in any field are replaced by the two names."""

    name: str = "Aria"
    persona: str = "A friendly, curious assistant who answers briefly and honestly, and asks a question back."
    greeting: str = "Hi! I'm Aria. What would you like to talk about today?"
    scenario: str = "A relaxed chat between Aria and a visitor of this demo."
    example_dialogue: str = (
        "{{user}}: What do you like to do?\n{{char}}: Reading about space, mostly. Do you have a favourite planet?"
    )
    user_name: str = "User"

    def fill(self, text: str) -> str:
        return text.replace("{{char}}", self.name or "Assistant").replace("{{user}}", self.user_name or "User")

    def system_prompt(self) -> str:
        """The card as one system message; empty fields are left out."""
        name = self.name.strip() or "Assistant"
        parts = [f"You are {name}." + (f" {self.fill(self.persona.strip())}" if self.persona.strip() else "")]
        if self.scenario.strip():
            parts.append(f"Scenario: {self.fill(self.scenario.strip())}")
        if self.example_dialogue.strip():
            parts.append(f"Example of how {name} talks:\n{self.fill(self.example_dialogue.strip())}")
        parts.append(f"Stay in character as {name}.")
        return "\n\n".join(parts)


def message_text(content: Any) -> str:
    """The text of a chat message as Gradio sends it (a string, or a list of parts); files are ignored."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "") if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return "".join(message_text(part) for part in content)
    return ""


def check_message(message: Any) -> str | None:
    """Why a visitor's message cannot be sent (None when it can): checked before any model work starts."""
    text = message_text(message).strip()
    if not text:
        return "Please type a message first."
    if len(text) > MAX_MESSAGE_CHARS:
        return (
            f"Your message is too long ({len(text):,} characters; at most {MAX_MESSAGE_CHARS:,}). Please shorten it."
        )
    return None


def greeting_message(card: CharacterCard) -> dict[str, Any] | None:
    """The greeting bubble, marked so the prompt takes the card's greeting instead of the bubble's text."""
    greeting = card.fill(card.greeting.strip())
    return {"role": "assistant", "content": greeting, "metadata": {"id": GREETING_ID}} if greeting else None


def note_message(title: str, text: str = "") -> dict[str, Any]:
    """A notice in the chat (an error, a model switch) that the model never reads."""
    return {"role": "assistant", "content": text or title, "metadata": {"title": title}}


def _is_greeting(item: dict) -> bool:
    return isinstance(item.get("metadata"), dict) and item["metadata"].get("id") == GREETING_ID


def _is_note(item: dict) -> bool:
    return isinstance(item.get("metadata"), dict) and bool(item["metadata"].get("title"))


def with_greeting(history: list[dict] | None, card: CharacterCard) -> list[dict]:
    """The conversation as shown, opening with the card's current greeting bubble (replaced, or put back)."""
    rest = [m for m in history or [] if not (isinstance(m, dict) and _is_greeting(m))]
    greeting = greeting_message(card)
    return ([greeting] if greeting else []) + rest


def clean_history(history: list[dict] | None) -> list[dict[str, str]]:
    """Keep user/assistant turns with text, in order; drop greeting bubbles, notes and Gradio's extras."""
    out = []
    for item in history or []:
        if not isinstance(item, dict) or _is_greeting(item) or _is_note(item):
            continue
        role = item.get("role")
        text = message_text(item.get("content")) if role in ("user", "assistant") else ""
        if text.strip():
            out.append({"role": role, "content": text})
    return out


def build_messages(card: CharacterCard, history: list[dict] | None, message: str) -> list[dict[str, str]]:
    """System (card), greeting (unless the caller's history opens with its own assistant turn), history, message.

    A greeting bubble in the history is replaced by the card's greeting, so the model reads what the card says.
    """
    turns = clean_history(history)
    messages = [{"role": "system", "content": card.system_prompt()}]
    if card.greeting.strip() and not (turns and turns[0]["role"] == "assistant"):
        messages.append({"role": "assistant", "content": card.fill(card.greeting.strip())})
    return messages + turns + [{"role": "user", "content": message}]


def _greeting_into_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    if len(messages) > 1 and messages[0]["role"] == "system" and messages[1]["role"] == "assistant":
        system = f"{messages[0]['content']}\n\nThe conversation opened with: {messages[1]['content']}"
        return [{"role": "system", "content": system}] + messages[2:]
    return messages


def _system_into_user(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    messages = _greeting_into_system(messages)
    if len(messages) > 1 and messages[0]["role"] == "system" and messages[1]["role"] == "user":
        merged = {"role": "user", "content": f"{messages[0]['content']}\n\n{messages[1]['content']}"}
        return [merged] + messages[2:]
    return messages


# Ways to present the same conversation, tried in order until the template accepts one.
_FOLDS = (lambda m: m, _greeting_into_system, _system_into_user)


@dataclass(frozen=True)
class Prompt:
    """Token ids to generate from, how many new tokens fit, and how many old turns were dropped to fit."""

    ids: list[int]
    max_new_tokens: int
    dropped_turns: int
    # How many leading ids are the card's system turn, the same on every turn: engines may cache them.
    prefix_len: int = 0


class PromptBuilder:
    """Renders conversations with one tokenizer's chat template and fits them into its context window."""

    def __init__(self, tokenizer: Any, context_window: int) -> None:
        self.tokenizer = tokenizer
        self.context_window = context_window
        self.template = getattr(tokenizer, "chat_template", None) or FALLBACK_TEMPLATE
        self._fold = 0

    def render_text(self, messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
        """The prompt as text, with the first fold of the conversation that the template accepts."""
        errors = []
        for index in range(self._fold, len(_FOLDS)):
            try:
                text = self.tokenizer.apply_chat_template(
                    _FOLDS[index](messages),
                    chat_template=self.template,
                    tokenize=False,
                    add_generation_prompt=add_generation_prompt,
                )
            except Exception as error:  # jinja's TemplateError, or raise_exception() in the template
                errors.append(error)
                continue
            self._fold = index
            return text
        raise HubtoolsError(f"The model's chat template cannot render this conversation: {errors[-1]}")

    def encode(self, messages: list[dict[str, str]]) -> list[int]:
        # The template writes any BOS itself; adding special tokens again would double it.
        return self.tokenizer(self.render_text(messages), add_special_tokens=False)["input_ids"]

    def build(self, card: CharacterCard, history: list[dict] | None, message: str, max_new_tokens: int) -> Prompt:
        """Fit card + history + message into the window, dropping the oldest turns first, then card details."""
        problem = check_message(message)
        if problem:
            raise HubtoolsError(problem)
        message = message_text(message).strip()
        max_new = max(1, min(int(max_new_tokens), self.context_window // 2))
        budget = self.context_window - max_new
        message_tokens = len(self.tokenizer(message, add_special_tokens=False)["input_ids"])
        if message_tokens > budget:
            raise HubtoolsError(
                f"Your message is too long for this model ({message_tokens:,} tokens; it reads at most "
                f"{budget:,} tokens besides its reply). Please shorten it."
            )
        turns = clean_history(history)
        for trimmed_card in (
            card,
            replace(card, example_dialogue=""),
            replace(card, example_dialogue="", scenario=""),
        ):
            for dropped in range(0, len(turns) + 1, 2):
                messages = build_messages(trimmed_card, turns[dropped:], message)
                ids = self.encode(messages)
                if len(ids) <= budget:
                    return Prompt(ids, max_new, dropped, self.prefix_len(messages[0], ids))
        bare = CharacterCard(name=card.name, persona="", greeting="", scenario="", example_dialogue="")
        ids = self.encode(build_messages(bare, [], message))
        if len(ids) <= budget:
            return Prompt(ids=ids, max_new_tokens=max_new, dropped_turns=len(turns))
        raise HubtoolsError(
            f"Your message is too long for this model's context window ({self.context_window:,} tokens). "
            "Please shorten it."
        )

    def prefix_len(self, system: dict[str, str], ids: list[int]) -> int:
        """Length of the token-exact prefix of `ids` that renders the system turn alone (0 when none is).

        Tokenizers may merge across the boundary (`\n\n` + `Assistant`), so the rendered system turn, and the
        same without its trailing whitespace, are tokenized and compared with the prompt's own ids.
        """
        if system.get("role") != "system":
            return 0
        fold = self._fold
        try:
            text = self.render_text([system], add_generation_prompt=False)
        except HubtoolsError:
            return 0
        finally:
            self._fold = fold  # a lone system turn says nothing about the folds whole conversations need
        for candidate in dict.fromkeys((text, text.rstrip())):
            prefix = self.tokenizer(candidate, add_special_tokens=False)["input_ids"]
            if prefix and len(prefix) < len(ids) and ids[: len(prefix)] == prefix:
                return len(prefix)
        return 0

    def stops(self) -> tuple[list[int], list[str]]:
        """End-of-turn token ids and stop strings read off the template itself.

        Renders a probe conversation and looks at what follows an assistant turn: a special token there
        (`<|im_end|>`) ends generation; a plain-text next-turn marker (`\\nUser:`) becomes a stop string,
        so the model does not speak for the user.
        """
        tok = self.tokenizer
        ids = [i for i in _as_list(getattr(tok, "eos_token_id", None))]
        strings: list[str] = []
        probe = [{"role": "user", "content": "\u00a7A\u00a7"}, {"role": "assistant", "content": "\u00a7B\u00a7"}]
        try:
            two = self.render_text(probe, add_generation_prompt=False)
            three = self.render_text(
                probe + [{"role": "user", "content": "\u00a7C\u00a7"}], add_generation_prompt=False
            )
        except HubtoolsError:
            return ids, strings
        specials = [t for t in (list(tok.all_special_tokens) + list(tok.get_added_vocab())) if t]
        after = two[two.index("\u00a7B\u00a7") + 3 :].lstrip(" ")
        for token in sorted(set(specials), key=len, reverse=True):
            if after.startswith(token):
                ids.append(tok.convert_tokens_to_ids(token))
                break
        start = three.index("\u00a7B\u00a7") + 3
        between = three[start : three.index("\u00a7C\u00a7", start)].rstrip()
        if between.strip() and not any(token in between for token in specials):
            strings.append(between)
        return sorted(set(ids)), strings


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]
