"""The chat template we give GPT-2/OPT: saved with the tokenizer, masks exactly the assistant replies + EOS."""

from __future__ import annotations

import copy

CHAT = [
    {"role": "system", "content": "You are Rex, a friendly dog."},
    {"role": "user", "content": "Hi there"},
    {"role": "assistant", "content": "Woof! Hello."},
    {"role": "user", "content": "Sit"},
    {"role": "assistant", "content": "Sitting now."},
]


def masked_spans(tokenizer, ids, mask) -> list[str]:
    spans, current = [], []
    for token, bit in zip(ids, mask, strict=True):
        if bit:
            current.append(token)
        elif current:
            spans.append(tokenizer.decode(current))
            current = []
    if current:
        spans.append(tokenizer.decode(current))
    return spans


def test_gpt2_tokenizer_is_the_real_bpe(gpt2_tok):
    assert len(gpt2_tok) == 50257
    assert gpt2_tok("Hello world").input_ids == [15496, 995]


def test_template_round_trips_through_save_pretrained(gpt2_tok, tmp_path):
    from transformers import AutoTokenizer
    from trl.chat_template_utils import is_chat_template_stop_token_trained

    from hubtools.train.chat_template import ensure_chat_template

    tokenizer = copy.deepcopy(gpt2_tok)
    assert ensure_chat_template(tokenizer)
    tokenizer.save_pretrained(tmp_path)
    assert (tmp_path / "chat_template.jinja").is_file()
    reloaded = AutoTokenizer.from_pretrained(tmp_path)

    text = reloaded.apply_chat_template(CHAT, tokenize=False)
    assert text.startswith("<|endoftext|>Persona: You are Rex, a friendly dog.\nUser: Hi there\nAssistant: Woof!")
    prompt = reloaded.apply_chat_template(CHAT[:2], add_generation_prompt=True, tokenize=False)
    assert prompt.endswith("User: Hi there\nAssistant:")

    out = reloaded.apply_chat_template(CHAT, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    spans = masked_spans(reloaded, out["input_ids"], out["assistant_masks"])
    assert spans == [" Woof! Hello.<|endoftext|>", " Sitting now.<|endoftext|>"]
    assert is_chat_template_stop_token_trained(reloaded)  # trl's own check that the model learns to stop


def test_a_template_with_generation_markers_is_kept(gpt2_tok):
    from hubtools.train.chat_template import ensure_chat_template

    tokenizer = copy.deepcopy(gpt2_tok)
    own = "{% for m in messages %}{% generation %}{{ m['content'] }}{% endgeneration %}{% endfor %}"
    tokenizer.chat_template = own
    assert not ensure_chat_template(tokenizer)
    assert tokenizer.chat_template == own


def test_trained_tokenizer_is_small_and_speaks_the_template():
    from hubtools.train.chat_template import ensure_chat_template, template_texts
    from hubtools.train.tokenizer import train_bpe_tokenizer

    tokenizer = train_bpe_tokenizer(template_texts([CHAT] * 20), vocab_size=300)
    assert len(tokenizer) <= 300
    assert tokenizer.eos_token_id != tokenizer.pad_token_id
    assert tokenizer.decode(tokenizer("Woof! Hello, Rex.").input_ids) == "Woof! Hello, Rex."
    assert len(tokenizer("Assistant:").input_ids) <= 2  # the role labels became tokens
    ensure_chat_template(tokenizer)
    out = tokenizer.apply_chat_template(CHAT, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    assert masked_spans(tokenizer, out["input_ids"], out["assistant_masks"])[-1] == " Sitting now.<|endoftext|>"
