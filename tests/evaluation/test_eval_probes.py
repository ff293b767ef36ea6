"""Probe flags on crafted answers, and a probe run on tiny models (fine-tuned, base without chat template)."""

from __future__ import annotations

import pytest

from hubtools.evaluation.config import EvalConfig
from hubtools.evaluation.probes import DEFAULT_PROBES, flag_answer, is_echo, is_empty, is_loop


@pytest.mark.parametrize(
    ("prompt", "answer", "flags"),
    [
        ("what is 2+2", "4", ()),
        ("what is 2+2", "2+2 is 4, because two and two make four.", ()),
        ("what is 2+2", "what is 2+2", ("echo",)),
        ("what's your name", "What's your name? I'm Grafito.", ("echo",)),
        ("what's your name", "", ("empty",)),
        ("what's your name", "  \n\t ", ("empty",)),
        ("what's your name", "...!?", ("empty",)),
        ("what's your purpose", "I am a bot. I am a bot. I am a bot.", ("loop",)),
        ("what's your purpose", "the the the the", ("loop",)),
        (
            "i'm in a bad situation",
            "i'm in a bad situation. i'm in a bad situation. i'm in a bad situation.",
            ("echo", "loop"),
        ),
        ("what's your purpose", "beaconobilobilobilobilobil", ("loop",)),
        ("what's your purpose", "portray portray portrayCaptureCaptureCaptureCapture semif", ("loop",)),
        ("what's your purpose", "Good question... I'm here to help!! Really.", ()),
        ("hi", "hi there, how are you?", ()),
        ("hi", "Hi!", ("echo",)),
        ("how can i make a videogame", "Learn a game engine, start small, finish a tiny game first.", ()),
    ],
)
def test_flags_on_crafted_answers(prompt, answer, flags):
    assert flag_answer(prompt, answer) == flags


def test_flag_helpers_edges():
    assert is_empty("") and not is_empty("ok")
    assert not is_echo("", "anything") and not is_echo("what is 2+2", "")
    assert not is_loop("one two three one two four one two five")  # a bigram thrice is not a loop
    assert is_loop("a b c a b c a b c")


def test_default_probes_each_make_a_row_of_the_table():
    """A duplicate or blank default would silently shorten the card's probe table (probes are deduplicated)."""
    assert DEFAULT_PROBES and len(set(DEFAULT_PROBES)) == len(DEFAULT_PROBES)
    assert all(prompt == prompt.strip() and not is_empty(prompt) for prompt in DEFAULT_PROBES)
    assert EvalConfig().all_probes == list(DEFAULT_PROBES)
    extra = EvalConfig(extra_probes=[DEFAULT_PROBES[1], "tell me a joke"])
    assert extra.all_probes == [*DEFAULT_PROBES, "tell me a joke"]


def test_probe_answers_on_tiny_models(tiny_models):
    from hubtools.evaluation.probes import probe_answers, probe_table, prompt_format
    from hubtools.evaluation.run import load_model

    prompts = ["what is 2+2", "what's your name"]
    fine_tuned, tokenizer = load_model(tiny_models["fine_tuned"])
    base, base_tokenizer = load_model(tiny_models["base"])
    assert prompt_format(tokenizer) == "chat_template" and prompt_format(base_tokenizer) == "plain"

    answers = probe_answers(fine_tuned, tokenizer, prompts, max_new_tokens=6)
    again = probe_answers(fine_tuned, tokenizer, prompts, max_new_tokens=6)
    assert answers == again  # greedy: reproducible
    for prompt, answer in zip(prompts, answers, strict=True):
        assert answer.flags == flag_answer(prompt, answer.text)
    base_answers = probe_answers(base, base_tokenizer, prompts, max_new_tokens=6)

    table = probe_table(prompts, {"fine_tuned": answers, "base": base_answers})
    assert [row.prompt for row in table] == prompts
    assert table[1].answers["base"] == base_answers[1]
    assert list(table[0].to_json()["answers"]) == ["base", "fine_tuned"]  # table order, whatever the input order
