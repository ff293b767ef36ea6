"""The chat template we give models that have none (GPT-2, OPT), saved with the tokenizer.

Plain-text role labels, so no new embeddings are needed and a small base model already half-knows the format;
a `Persona:` line for the system message (roleplay characters); `{% generation %}` around each assistant reply
*including* the end-of-text token, so `assistant_only_loss` trains the model to stop.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from hubtools.errors import HubtoolsError

TEMPLATE_FILE = "chat_template.jinja"
TOKENIZER_CONFIG = "tokenizer_config.json"

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


def template_into_config(model_dir: str | Path) -> bool:
    """Copy `chat_template.jinja` into `tokenizer_config.json` as `chat_template`; True if the file changed.

    transformers 5 saves the template only as `chat_template.jinja`, but transformers.js (the in-browser
    chat) reads it only from `tokenizer_config.json`: without this copy the browser would chat with no
    template at all. The same text in both places, so both libraries render the same prompt.
    """
    model_dir = Path(model_dir)
    template_path, config_path = model_dir / TEMPLATE_FILE, model_dir / TOKENIZER_CONFIG
    if not template_path.is_file() or not config_path.is_file():
        return False
    template = template_path.read_text(encoding="utf-8")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise HubtoolsError(f"{config_path}: not valid JSON ({error.msg}, line {error.lineno})") from error
    if not isinstance(config, dict):
        raise HubtoolsError(f"{config_path}: expected a JSON object, got {type(config).__name__}")
    if config.get("chat_template") == template:
        return False
    config["chat_template"] = template
    handle, staging = tempfile.mkstemp(prefix=".tokenizer_config-", dir=model_dir)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    os.replace(staging, config_path)
    return True
