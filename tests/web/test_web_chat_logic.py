"""The static Space's conversation logic (spaces/web-chat/chat.js, run in node) against the Python it mirrors."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path

import pytest

from hubtools.serve.prompt import CharacterCard, build_messages

CHAT_JS = Path(__file__).resolve().parents[2] / "spaces" / "web-chat" / "chat.js"
CARDS = [
    CharacterCard(),
    CharacterCard(name="", persona="", greeting="", scenario="", example_dialogue="", user_name=""),
    CharacterCard(name="Rex", persona="{{char}} is a dog who loves {{user}}.", user_name="Sam", scenario="  "),
    CharacterCard(name="Zoë 🐕", persona="Ünïcode\nand lines", greeting="  Hi {{user}}!  ", example_dialogue=""),
]
HISTORY = [
    {"role": "user", "content": "hello"},
    {"role": "assistant", "content": "hi there"},
    {"role": "user", "content": "   "},
    {"role": "system", "content": "ignored"},
]


def call(*calls: list) -> list:
    if shutil.which("node") is None:
        pytest.skip("node is needed for the static Space's logic tests")
    result = subprocess.run(
        ["node", str(Path(__file__).with_name("call_chat.mjs"))],
        input=json.dumps(list(calls)),
        capture_output=True,
        text=True,
        env={"WEB_CHAT_JS": str(CHAT_JS), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_card_and_messages_match_the_gradio_space():
    cards = [asdict(card) for card in CARDS]
    results = call(
        *(["systemPrompt", card] for card in cards),
        *(["buildMessages", card, HISTORY, "what now?"] for card in cards),
        ["buildMessages", cards[0], [{"role": "assistant", "content": "I spoke first"}], "ok"],
    )
    assert results[: len(CARDS)] == [card.system_prompt() for card in CARDS]
    expected = [build_messages(card, HISTORY, "what now?") for card in CARDS]
    expected.append(build_messages(CARDS[0], [{"role": "assistant", "content": "I spoke first"}], "ok"))
    assert results[len(CARDS) :] == expected


def test_prompt_fitting_drops_old_turns_then_card_details():
    card = asdict(CharacterCard(name="A", persona="p", greeting="", scenario="s" * 50, example_dialogue="e" * 50))
    history = [{"role": "user", "content": "u" * 40}, {"role": "assistant", "content": "a" * 40}] * 2
    whole, dropped_two, no_card_details, refused, empty = call(
        ["fitPrompt", card, history, "hi", 10_000],
        ["fitPrompt", card, history, "hi", 300],
        ["fitPrompt", card, [], "hi", 100],
        ["fitPrompt", card, [], "x" * 200, 100],
        ["fitPrompt", card, [], "   ", 100],
    )
    assert whole["dropped"] == 0
    assert dropped_two["dropped"] == 2 and len(dropped_two["ids"]) <= 300
    assert len(no_card_details["ids"]) <= 100
    assert refused == {"error": "Your message is too long for this model's context window. Please shorten it."}
    assert empty == {"error": "Please type a message first."}


def test_cache_prefix_stops_releases_and_errors():
    results = call(
        ["commonPrefix", [1, 2, 3, 4], [1, 2, 5]],
        ["commonPrefix", [], [1]],
        ["cutAtStop", "Sure.\nUser: and you?", ["\nUser:"]],
        ["cutAtStop", "no stop here", ["\nUser:"]],
        ["sortReleases", ["v0.2.0", "main", "v0.10.0", "v0.9.1", "v1.0", "vx", "checkpoints"]],
        ["explainError", "Could not locate file: onnx/model_quantized.onnx", "a/b@v1"],
        ["explainError", "Failed to fetch", "http://hub"],
        ["explainError", "RangeError: Array buffer allocation failed", "a/b"],
    )
    assert results[:2] == [2, 0]
    assert results[2] == {"text": "Sure.", "stopped": True} and results[3] == {
        "text": "no stop here",
        "stopped": False,
    }
    assert results[4] == ["v1.0", "v0.10.0", "v0.9.1", "v0.2.0"]
    assert results[5].startswith("The model files are missing from a/b@v1")
    assert results[6].startswith("Cannot reach the Hub at http://hub")
    assert results[7].startswith("Your browser ran out of memory")
