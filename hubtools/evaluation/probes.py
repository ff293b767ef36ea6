"""The probe table: fixed prompts answered greedily, each answer flagged for the usual small-model failures.

A perplexity says little about whether a chat model answers at all; the grafito probe table showed the
failures that matter at this size (repeating the query, saying nothing, looping), so every model of a
release answers the same prompts and the answers are flagged mechanically.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hubtools.evaluation.report import Answer, ProbeResult

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# The zero-shot prompts of the grafito probe table (with its typo fixed).
DEFAULT_PROBES: tuple[str, ...] = (
    "what is 2+2",
    "what's your purpose",
    "i'm in a bad situation",
    "what's your name",
    "how can i make a videogame",
    "write a code in python to sum 2 numbers",
)
DEFAULT_MAX_NEW_TOKENS = 48

FLAG_ECHO = "echo"
FLAG_EMPTY = "empty"
FLAG_LOOP = "loop"
# An answer loops when one word 3-gram occurs 3 times, one token repeats 4 times in a row, or a piece of
# 2+ characters repeats 4 times back to back (a loop inside one "word": "obilobilobilobil").
LOOP_NGRAM = 3
LOOP_NGRAM_REPEATS = 3
LOOP_RUN = 4
_CHARACTER_LOOP = re.compile(r"(\S.+?)\1{3,}", re.DOTALL)
# Prompts shorter than this (in words) count as echoed only when the answer is the prompt itself:
# "hi" inside "hi there" is a greeting, not an echo.
ECHO_MIN_TOKENS = 3

_TOKEN = re.compile(r"\w+|[^\w\s]+")
_WORD = re.compile(r"\w+")


def _tokens(text: str) -> list[str]:
    """Lower-cased words and punctuation runs: the unit the flags compare."""
    return _TOKEN.findall(text.lower())


def is_empty(answer: str) -> bool:
    """No word character at all (whitespace or stray punctuation only)."""
    return not re.search(r"\w", answer)


def is_echo(prompt: str, answer: str) -> bool:
    """The answer repeats the query: the prompt's words appear, in order and contiguous, in the answer."""
    query, said = _WORD.findall(prompt.lower()), _WORD.findall(answer.lower())
    if not query or not said:
        return False
    if len(query) < ECHO_MIN_TOKENS:
        return said == query
    width = len(query)
    return any(said[start : start + width] == query for start in range(len(said) - width + 1))


def is_loop(answer: str) -> bool:
    """The answer repeats itself: a token 3-gram occurs 3+ times, a token or a character piece repeats 4+ times."""
    if _CHARACTER_LOOP.search(answer.lower()):
        return True
    tokens = _tokens(answer)
    run = 1
    for previous, current in zip(tokens, tokens[1:], strict=False):
        run = run + 1 if current == previous else 1
        if run >= LOOP_RUN:
            return True
    ngrams = Counter(tuple(tokens[i : i + LOOP_NGRAM]) for i in range(len(tokens) - LOOP_NGRAM + 1))
    return any(count >= LOOP_NGRAM_REPEATS for count in ngrams.values())


def flag_answer(prompt: str, answer: str) -> tuple[str, ...]:
    """The flags of one answer, in a fixed order: `echo`, `empty`, `loop`."""
    if is_empty(answer):
        return (FLAG_EMPTY,)
    flags = []
    if is_echo(prompt, answer):
        flags.append(FLAG_ECHO)
    if is_loop(answer):
        flags.append(FLAG_LOOP)
    return tuple(flags)


def prompt_format(tokenizer: PreTrainedTokenizerBase) -> str:
    """`chat_template` when the tokenizer has one, else `plain` (a base model completes the bare prompt)."""
    return "chat_template" if getattr(tokenizer, "chat_template", None) else "plain"


def generate_answers(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
) -> list[str]:
    """Greedy answers, one prompt at a time (no padding, so no left/right padding pitfalls)."""
    import torch
    from transformers import GenerationConfig

    eos = model.generation_config.eos_token_id
    if eos is None:
        eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    if isinstance(pad, list):
        pad = pad[0]
    # A fresh config: the model's own may ask for sampling, which would make the table irreproducible.
    generation = GenerationConfig(
        max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, eos_token_id=eos, pad_token_id=pad
    )
    device = next(model.parameters()).device
    answers = []
    for prompt in prompts:
        inputs = _encode_prompt(tokenizer, prompt)
        inputs = {key: value.to(device) for key, value in inputs.items()}
        with torch.no_grad():
            output = model.generate(**inputs, generation_config=generation)
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        answers.append(tokenizer.decode(new_tokens, skip_special_tokens=True).strip())
    return answers


def _encode_prompt(tokenizer: PreTrainedTokenizerBase, prompt: str) -> dict[str, Any]:
    if prompt_format(tokenizer) == "chat_template":
        messages = [{"role": "user", "content": prompt}]
        return dict(
            tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        )
    return dict(tokenizer(prompt, return_tensors="pt"))


def probe_answers(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
) -> list[Answer]:
    """One model's flagged answers to the prompts, in order."""
    texts = generate_answers(model, tokenizer, prompts, max_new_tokens=max_new_tokens)
    return [Answer(text, flag_answer(prompt, text)) for prompt, text in zip(prompts, texts, strict=True)]


def probe_table(prompts: Sequence[str], answers_by_role: Mapping[str, Sequence[Answer]]) -> list[ProbeResult]:
    """Transpose per-model answer lists into one row per prompt."""
    return [
        ProbeResult(prompt, {role: answers[index] for role, answers in answers_by_role.items()})
        for index, prompt in enumerate(prompts)
    ]
