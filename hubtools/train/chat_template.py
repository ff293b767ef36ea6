"""The chat template we give models that have none (GPT-2, OPT), saved with the tokenizer.

Plain-text role labels, so no new embeddings are needed and a small base model already half-knows the format;
a `Persona:` line for the system message (roleplay characters); `{% generation %}` around each assistant reply
*including* the end-of-text token, so `assistant_only_loss` trains the model to stop.
"""

from __future__ import annotations

from transformers import PreTrainedTokenizerBase

CHAT_TEMPLATE = (
    "{{- bos_token -}}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}"
    "{{- 'Persona: ' + message['content'] + '\\n' -}}"
    "{%- elif message['role'] == 'user' -%}"
    "{{- 'User: ' + message['content'] + '\\n' -}}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{- 'Assistant:' -}}"
    "{%- generation -%}{{- ' ' + message['content'] + eos_token -}}{%- endgeneration -%}"
    "{{- '\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- 'Assistant:' -}}{%- endif -%}"
)


def has_generation_markers(template: str | None) -> bool:
    return bool(template) and "generation" in template and "endgeneration" in template


def ensure_chat_template(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Give the tokenizer our template unless it already has one with generation markers; True if changed."""
    if has_generation_markers(tokenizer.chat_template):
        return False
    tokenizer.chat_template = CHAT_TEMPLATE
    return True


def template_texts(conversations: list[list[dict[str, str]]]) -> list[str]:
    """Conversations rendered as the model will see them (used to train a tokenizer on the real format)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    template = env.from_string(CHAT_TEMPLATE.replace("{%- generation -%}", "").replace("{%- endgeneration -%}", ""))
    return [
        template.render(messages=messages, bos_token="", eos_token="", add_generation_prompt=False)
        for messages in conversations
    ]
