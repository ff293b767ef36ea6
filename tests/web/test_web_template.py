"""The chat template where transformers.js reads it (tokenizer_config.json), rendering as transformers does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _web_models import gpt2_tokenizer  # noqa: E402

from hubtools.errors import HubtoolsError  # noqa: E402
from hubtools.train.chat_template import CHAT_TEMPLATE, template_into_config  # noqa: E402

CHATS = [
    [{"role": "user", "content": "hi"}],
    [
        {"role": "system", "content": 'You are Rex, a friendly dog.\nYou love "balls" & {sticks}.'},
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Woof! Hello."},
        {"role": "user", "content": "Sit  {{ not a tag }} {% neither %}"},
    ],
    [{"role": "user", "content": "ünïcödé 🐕 — ok?"}, {"role": "assistant", "content": ""}],
    [{"role": "system", "content": "only a persona"}],
]


def saved_tokenizer(folder: Path, template: str) -> Path:
    tokenizer = gpt2_tokenizer()
    tokenizer.chat_template = template
    tokenizer.save_pretrained(folder)
    return folder


def test_template_is_copied_into_tokenizer_config(tmp_path):
    folder = saved_tokenizer(tmp_path / "m", CHAT_TEMPLATE)
    assert "chat_template" not in json.loads((folder / "tokenizer_config.json").read_text())
    assert template_into_config(folder) is True
    config = json.loads((folder / "tokenizer_config.json").read_text())
    assert config["chat_template"] == (folder / "chat_template.jinja").read_text()
    assert config["eos_token"] == "<|endoftext|>"  # the rest of the file is kept
    assert template_into_config(folder) is False
    assert not list(folder.glob(".tokenizer_config-*"))


def test_nothing_to_copy_without_a_template(tmp_path):
    folder = saved_tokenizer(tmp_path / "m", None)
    before = (folder / "tokenizer_config.json").read_text()
    assert template_into_config(folder) is False
    assert (folder / "tokenizer_config.json").read_text() == before


def test_broken_tokenizer_config_is_named(tmp_path):
    folder = saved_tokenizer(tmp_path / "m", CHAT_TEMPLATE)
    (folder / "tokenizer_config.json").write_text('{"bos_token": ')
    with pytest.raises(HubtoolsError, match=r"tokenizer_config.json: not valid JSON .*line 1"):
        template_into_config(folder)
    assert (folder / "tokenizer_config.json").read_text() == '{"bos_token": '


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] | trim }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.mark.parametrize("template", [CHAT_TEMPLATE, CHATML], ids=["hubtools", "chatml"])
def test_browser_renders_the_same_prompt_as_transformers(tmp_path, web_node_modules, template):
    from transformers import AutoTokenizer

    folder = saved_tokenizer(tmp_path / "model", template)
    template_into_config(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    cases = [{"messages": chat, "add_generation_prompt": prompt} for chat in CHATS for prompt in (False, True)]
    expected = [
        tokenizer.apply_chat_template(c["messages"], add_generation_prompt=c["add_generation_prompt"], tokenize=False)
        for c in cases
    ]
    result = subprocess.run(
        ["node", str(Path(__file__).with_name("render_chat.mjs"))],
        input=json.dumps({"model_dir": str(folder), "cases": cases}),
        capture_output=True,
        text=True,
        cwd=web_node_modules.parent,
        env={"WEB_NODE_MODULES": str(web_node_modules), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rendered = json.loads(result.stdout)
    assert [r["jinja"] for r in rendered] == expected
    assert [r["transformers_js"] for r in rendered] == expected
