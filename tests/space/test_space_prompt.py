"""Prompt building (card → messages → chat template), history trimming, stop sequences; no Hub needed."""

from __future__ import annotations

import copy

import pytest
from _space_models import CHATML_TEMPLATE, NO_SYSTEM_TEMPLATE, gpt2_tokenizer

from hubtools.errors import HubtoolsError
from hubtools.serve.prompt import CharacterCard, PromptBuilder, build_messages, clean_history
from hubtools.serve.streaming import GenerationSettings, parse_stop_sequences, stream_text


@pytest.fixture(scope="module")
def base_tokenizer():
    return gpt2_tokenizer()


def _tokenizer(base, template):
    tok = copy.deepcopy(base)
    if template == CHATML_TEMPLATE:
        tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tok.chat_template = template
    return tok


CARD = CharacterCard(
    name="Mira",
    persona="A ship's cat who loves {{user}}.",
    greeting="Mrrp. Hello, {{user}}!",
    scenario="On a cargo ship.",
    example_dialogue="{{user}}: Hungry?\n{{char}}: Always.",
    user_name="Sam",
)


def test_card_becomes_a_system_prompt_with_names_filled_in():
    system = CARD.system_prompt()
    assert system.startswith("You are Mira. A ship's cat who loves Sam.")
    assert "Scenario: On a cargo ship." in system and "Sam: Hungry?\nMira: Always." in system
    bare = CharacterCard(name="Bo", persona="", greeting="", scenario="", example_dialogue="").system_prompt()
    assert "Scenario" not in bare and "Example" not in bare


def test_messages_open_with_the_greeting_once():
    messages = build_messages(CARD, [], "hi")
    assert [m["role"] for m in messages] == ["system", "assistant", "user"]
    assert messages[1]["content"] == "Mrrp. Hello, Sam!"
    history = [{"role": "assistant", "content": "Mrrp. Hello, Sam!"}, {"role": "user", "content": "hey"}]
    history.append({"role": "assistant", "content": [{"type": "text", "text": "purr"}], "metadata": {}})
    messages = build_messages(CARD, history, "again")
    assert [m["role"] for m in messages] == ["system", "assistant", "user", "assistant", "user"]
    assert messages[3]["content"] == "purr"


def test_gradio_history_is_cleaned():
    history = [
        {"role": "user", "content": {"path": "cat.png"}},  # a file: no text to keep
        {"role": "user", "content": "  "},
        {"role": "assistant", "content": "ok", "options": []},
        {"role": "tool", "content": "x"},
    ]
    assert clean_history(history) == [{"role": "assistant", "content": "ok"}]


def test_chatml_template_renders_card_and_ends_turn_on_its_token(base_tokenizer):
    tok = _tokenizer(base_tokenizer, CHATML_TEMPLATE)
    builder = PromptBuilder(tok, 1024)
    prompt = builder.build(CARD, [], "Where are we?", 64)
    text = tok.decode(prompt.ids)
    assert text.startswith("<|im_start|>system\nYou are Mira.")
    assert "<|im_start|>assistant\nMrrp. Hello, Sam!<|im_end|>" in text
    assert text.endswith("<|im_start|>user\nWhere are we?<|im_end|>\n<|im_start|>assistant\n")
    end_ids, strings = builder.stops()
    assert tok.convert_tokens_to_ids("<|im_end|>") in end_ids and tok.eos_token_id in end_ids
    assert strings == []


def test_template_without_system_role_gets_the_card_in_the_first_user_turn(base_tokenizer):
    builder = PromptBuilder(_tokenizer(base_tokenizer, NO_SYSTEM_TEMPLATE), 1024)
    text = builder.render_text(build_messages(CARD, [], "Hi"))
    assert text.startswith("user: You are Mira.") and "The conversation opened with: Mrrp. Hello, Sam!" in text
    assert text.endswith("Hi\nassistant:")
    assert builder.stops()[1] == ["\nuser:"]


def test_model_without_template_uses_a_plain_transcript(base_tokenizer):
    builder = PromptBuilder(_tokenizer(base_tokenizer, None), 1024)
    text = builder.render_text(build_messages(CARD, [], "Hi"))
    assert text.endswith("Assistant: Mrrp. Hello, Sam!\nUser: Hi\nAssistant:")
    assert builder.stops()[1] == ["\nUser:"]


def test_history_is_trimmed_to_the_context_window_oldest_first(base_tokenizer):
    tok = _tokenizer(base_tokenizer, CHATML_TEMPLATE)
    builder = PromptBuilder(tok, 256)
    history = []
    for i in range(20):
        history += [{"role": "user", "content": f"question {i} " * 5}, {"role": "assistant", "content": f"answer {i}"}]
    prompt = builder.build(CARD, history, "the newest message", 64)
    assert len(prompt.ids) + prompt.max_new_tokens <= 256 and prompt.dropped_turns > 0
    text = tok.decode(prompt.ids)
    assert "question 0 " not in text and "answer 19" in text and "the newest message" in text and "Mira" in text


def test_card_details_give_way_before_the_message(base_tokenizer):
    builder = PromptBuilder(_tokenizer(base_tokenizer, CHATML_TEMPLATE), 256)
    card = CharacterCard(name="Mira", example_dialogue="{{char}}: hi. " * 200)
    text = builder.tokenizer.decode(builder.build(card, [], "hello", 64).ids)
    assert "Example of how" not in text and "You are Mira" in text


def test_max_new_tokens_is_capped_to_leave_room_for_the_prompt(base_tokenizer):
    prompt = PromptBuilder(_tokenizer(base_tokenizer, CHATML_TEMPLATE), 256).build(CARD, [], "hi", 5000)
    assert prompt.max_new_tokens == 128


@pytest.mark.parametrize(
    ("message", "expected"), [("", "type a message"), (" \n ", "type a message"), ("x" * 5000, "too long")]
)
def test_empty_or_huge_messages_are_refused_politely(base_tokenizer, message, expected):
    with pytest.raises(HubtoolsError, match=expected):
        PromptBuilder(_tokenizer(base_tokenizer, CHATML_TEMPLATE), 256).build(CARD, [], message, 64)


def test_message_longer_than_the_window_is_refused(base_tokenizer):
    with pytest.raises(HubtoolsError, match="too long for this model"):
        PromptBuilder(_tokenizer(base_tokenizer, CHATML_TEMPLATE), 256).build(CARD, [], "word " * 600, 64)


class _Tokens:
    def __init__(self, ids):
        self.ids, self.closed = ids, False

    def __iter__(self):
        return iter(self.ids)

    def close(self):
        self.closed = True


def test_stream_stops_at_a_stop_sequence_without_showing_it(base_tokenizer):
    tokens = _Tokens(base_tokenizer(" Hello there, friend.\nSam: and me?", add_special_tokens=False)["input_ids"])
    shown = list(stream_text(tokens, base_tokenizer, ["\nSam:"]))
    assert shown[-1] == "Hello there, friend." and tokens.closed
    assert all("Sam" not in s for s in shown) and len(shown) > 2
    assert all(b.startswith(a) for a, b in zip(shown, shown[1:], strict=False))


def test_stream_waits_for_whole_characters(base_tokenizer):
    ids = base_tokenizer("Café ☕ ok", add_special_tokens=False)["input_ids"]
    shown = list(stream_text(_Tokens(ids), base_tokenizer))
    assert shown[-1] == "Café ☕ ok" and not any("\ufffd" in s for s in shown)


def test_settings_parsing_and_clamping():
    assert parse_stop_sequences("\\nUser:\n\nEND\n") == ("\nUser:", "END")
    s = GenerationSettings(temperature=9, top_p=0, max_new_tokens=10**6, repetition_penalty=0.1).clamped()
    assert (s.temperature, s.top_p, s.max_new_tokens, s.repetition_penalty) == (2.0, 0.05, 1024, 1.0)


def test_greeting_bubble_and_notes_never_reach_the_model():
    from hubtools.serve.prompt import note_message, with_greeting

    card = CharacterCard(name="Mira", greeting="Hello from {{char}}!")
    stale = with_greeting([], CharacterCard(name="Old", greeting="I am {{char}}."))
    history = stale + [
        {"role": "user", "content": "hi"},
        note_message("⚠️ Sorry", "failed"),
        {"role": "assistant", "content": "yo"},
    ]
    messages = build_messages(card, history, "next")
    assert [m["role"] for m in messages] == ["system", "assistant", "user", "assistant", "user"]
    assert messages[1]["content"] == "Hello from Mira!"  # the card's greeting, not the stale bubble
    assert all("failed" not in m["content"] for m in messages)
    shown = with_greeting(history, card)
    assert shown[0]["content"] == "Hello from Mira!" and shown[1:] == history[1:]
    assert with_greeting([], card)[0]["content"] == "Hello from Mira!"  # after Clear
    assert with_greeting(history, CharacterCard(greeting=" ")) == history[1:]  # no greeting, no bubble


def test_an_api_callers_own_opening_turn_is_kept():
    card = CharacterCard(name="Mira", greeting="Hello!")
    messages = build_messages(card, [{"role": "assistant", "content": "Welcome back."}], "hi")
    assert [m["content"] for m in messages[1:]] == ["Welcome back.", "hi"]


@pytest.mark.parametrize("template", [CHATML_TEMPLATE, None, NO_SYSTEM_TEMPLATE])
def test_prefix_is_the_token_exact_system_turn_or_nothing(base_tokenizer, template):
    """The cacheable prefix covers exactly the card's system turn, the same ids on every turn."""
    tok = _tokenizer(base_tokenizer, template) if template else copy.deepcopy(base_tokenizer)
    if template is None:
        tok.chat_template = None  # the plain-transcript fallback: `\n\n` merges differently before `Assistant`
    builder = PromptBuilder(tok, 1024)
    first = builder.build(CARD, [], "hello", 32)
    later = builder.build(CARD, [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], "x", 32)
    if template == NO_SYSTEM_TEMPLATE:  # the card is folded into the first user turn: nothing stays put
        assert first.prefix_len == later.prefix_len == 0
        return
    n = first.prefix_len
    assert 0 < n == later.prefix_len and first.ids[:n] == later.ids[:n]
    assert (
        tok.decode(first.ids[:n])
        .strip()
        .endswith(CARD.system_prompt().split("\n")[-1].strip() + ("<|im_end|>" if template else ""))
    )
    assert "Mrrp" not in tok.decode(first.ids[:n])  # the greeting is not part of it


@pytest.mark.parametrize(
    ("field", "value"),
    [("temperature", float("nan")), ("top_p", float("inf")), ("max_new_tokens", float("inf")), ("top_k", "many")],
)
def test_settings_that_are_no_finite_number_are_refused_by_name(field, value):
    with pytest.raises(HubtoolsError, match=rf"^{field}: expected a number from"):
        GenerationSettings(**{field: value}).clamped()
