"""The static chat Space: deployed to the embedded Hub, then the deployed files served locally and driven by a
real browser (Debian's Chromium through Playwright), with the model loaded from the embedded Hub.

The model repo holds three releases: v0.0.1 from before the web export (no `onnx/`), v0.1.0 and v0.2.0
(different weights, both exported). The Space is deployed for v0.2.0.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _web_models import make_model  # noqa: E402

from hubtools.errors import HubtoolsError  # noqa: E402

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
GREEDY = """() => {
  document.getElementById('do-sample').checked = false;
  document.getElementById('repetition-penalty').value = '1';
  document.getElementById('max-new-tokens').value = '24';
}"""
# Every distinct text of the newest reply bubble, to see the reply grow.
WATCH_REPLY = """() => {
  window.__replies = [];
  new MutationObserver(() => {
    const bubbles = document.querySelectorAll('#chat .msg.assistant .text');
    const text = bubbles[bubbles.length - 1]?.textContent;
    const all = window.__replies;
    if (text && text !== '…' && all[all.length - 1] !== text) all.push(text);
  }).observe(document.getElementById('chat'), {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def web_repo(hub, hub_token, tmp_path_factory):
    """(repo id, {tag: commit}, {tag: model folder})."""
    from huggingface_hub import HfApi

    from hubtools.serve.onnx_export import export_for_web
    from hubtools.train.chat_template import template_into_config

    api = HfApi(endpoint=hub.url, token=hub_token)
    repo_id = f"local/web-chat-{uuid.uuid4().hex[:8]}"
    api.create_repo(repo_id)
    tags, dirs = {}, {}
    for seed, tag in enumerate(("v0.0.1", "v0.1.0", "v0.2.0")):
        folder = make_model(tmp_path_factory.mktemp(tag), "gpt2", seed=seed)
        template_into_config(folder)
        if tag != "v0.0.1":
            export_for_web(folder, prompts=["hi"], max_new_tokens=4)
        commit = api.upload_folder(folder_path=folder, repo_id=repo_id, delete_patterns=["*", "**/*"]).oid
        api.create_tag(repo_id, tag=tag, revision=commit)
        tags[tag], dirs[tag] = commit, folder
    return repo_id, tags, dirs


@pytest.fixture(scope="module")
def deployed(web_repo, hub, hub_token, web_node_modules):
    from huggingface_hub import HfApi

    from hubtools.serve.static_space import deploy_static_space

    api = HfApi(endpoint=hub.url, token=hub_token)
    space_id = f"local/web-space-{uuid.uuid4().hex[:8]}"
    return space_id, deploy_static_space(space_id, web_repo[0], revision="v0.2.0", api=api)


def test_deploy_writes_a_static_space_pinned_to_the_release(deployed, web_repo, hf_api):
    from huggingface_hub import SpaceCard

    from hubtools.serve.static_space import deploy_static_space

    space_id, result = deployed
    repo_id, tags, _ = web_repo
    files = set(hf_api.list_repo_files(space_id, repo_type="space"))
    assert {
        "index.html",
        "app.js",
        "worker.js",
        "kv_in_place.js",
        "chat.js",
        "space-config.json",
        "package-lock.json",
    } <= files
    assert "vendor/ort-wasm-simd-threaded.asyncify.wasm" in files and "vendor/transformers.min.js" in files
    assert not any(name.startswith("node_modules/") for name in files)
    config = json.loads(Path(hf_api.hf_hub_download(space_id, "space-config.json", repo_type="space")).read_text())
    assert (config["model_repo"], config["revision"]) == (repo_id, tags["v0.2.0"])
    assert config["hub_endpoint"] == hf_api.endpoint.rstrip("/")
    card = SpaceCard.load(hf_api.hf_hub_download(space_id, "README.md", repo_type="space")).data
    assert card.sdk == "static" and card.models == [repo_id]
    assert card.custom_headers == {
        "cross-origin-embedder-policy": "require-corp",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "cross-origin",
    }
    wasm = next(
        e
        for e in hf_api.list_repo_tree(space_id, repo_type="space", path_in_repo="vendor")
        if e.path.endswith(".wasm")
    )
    assert wasm.lfs is not None  # the 27 MB WebAssembly goes through LFS

    again = deploy_static_space(space_id, repo_id, revision="v0.2.0", api=hf_api)
    assert not again.changed and again.commit == result.commit
    with pytest.raises(HubtoolsError, match=r"v0.0.1 has no onnx/model_quantized.onnx"):
        deploy_static_space(space_id, repo_id, revision="v0.0.1", api=hf_api)
    hf_api.update_repo_settings(repo_id, private=True)
    try:
        with pytest.raises(HubtoolsError, match=r"is private: visitors' browsers load the model without a token"):
            deploy_static_space(space_id, repo_id, revision="v0.2.0", api=hf_api)
    finally:
        hf_api.update_repo_settings(repo_id, private=False)


def test_cli_deploy_kind_static(web_repo, hub, web_node_modules, capsys):
    from hubtools.cli import main

    space_id = f"local/web-cli-{uuid.uuid4().hex[:8]}"
    args = ["space", "deploy", "--kind", "static", "--space", space_id, "--model", web_repo[0], "--hub", hub.url]
    assert main(args) == 0
    out = capsys.readouterr()
    assert out.out.startswith(f"{space_id}\t") and "static Space" in out.err


@pytest.fixture(scope="module")
def page_url(deployed, hub, hub_token):
    """The deployed Space's files, downloaded back and served with the Space's headers."""
    from huggingface_hub import HfApi

    from hubtools.serve.static_server import running_static_space

    folder = Path(HfApi(endpoint=hub.url, token=hub_token).snapshot_download(deployed[0], repo_type="space"))
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts}
    with running_static_space(files) as url:
        yield url


def python_greedy(model_dir: Path, turn: dict) -> list[int]:
    """The Python greedy decode of the same q8 file, the cache built in the same pieces as the browser built it.

    With int8 activations quantized per call (dynamic quantization), how a sequence is split into calls changes
    the numbers, so the reference replays the browser's calls (`segments`: the card read ahead, the earlier
    prompts, each reply token alone), then decodes after the reused part.
    """
    from hubtools.serve.onnx_check import OnnxDecoder

    decoder = OnnxDecoder(model_dir / "onnx" / "model_quantized.onnx")
    prompt, keep, past = turn["prompt"], turn["reused"], None
    for start, end in turn["segments"]:
        _, past = decoder.forward(prompt[start:end], past)
    assert (past[0].shape[2] if past else 0) == keep
    return decoder.greedy(prompt[keep:], len(turn["tokens"]), eos=50256, past=past)


def python_prompt(model_dir: Path, history: list[dict], message: str) -> list[int]:
    from transformers import AutoTokenizer

    from hubtools.serve.prompt import CharacterCard, build_messages

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    text = tokenizer.apply_chat_template(
        build_messages(CharacterCard(), history, message), tokenize=False, add_generation_prompt=True
    )
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def send(page, message: str) -> dict:
    page.evaluate("window.webChat.last = null")
    page.fill("#message", message)
    page.click("#send")
    page.wait_for_function("window.webChat.last !== null", timeout=60_000)
    return page.evaluate("window.webChat.last")


def test_browser_chat_streams_the_python_greedy_decode(browser, page_url, web_repo):
    _, tags, dirs = web_repo
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(page_url)
        assert page.evaluate("crossOriginIsolated") is True
        page.wait_for_function("window.webChat.ready", timeout=60_000)
        status = page.locator("#model-status").inner_text()
        assert tags["v0.2.0"][:10] in status and "q8 on WebAssembly, 2 threads" in status
        # the cache stays in the page's memory (only the added positions are read back at each token)
        assert page.evaluate("window.webChat.ready.kv_in_place") is True
        assert page.locator("#loading").is_hidden()  # the download bar goes once the model is loaded
        assert (
            page.locator("#chat .msg.assistant")
            .first.inner_text()
            .endswith("Hi! I'm Aria. What would you like to talk about today?")
        )
        page.evaluate(GREEDY)
        page.evaluate(WATCH_REPLY)

        first = send(page, "Hello there! Tell me about yourself.")
        replies = page.evaluate("window.__replies")
        assert page.locator("#error").is_hidden()
        assert first["prompt"] == python_prompt(dirs["v0.2.0"], [], "Hello there! Tell me about yourself.")
        assert first["reused"] > 0  # the card was read into the cache before the first message
        assert first["tokens"] == python_greedy(dirs["v0.2.0"], first)
        assert len(first["tokens"]) > 1 and len(replies) >= 2, f"the reply did not stream: {replies}"
        assert "tokens/s" in page.locator("#stats").inner_text()

        second = send(page, "And what do you do all day?")
        assert second["reused"] >= len(first["prompt"])  # the first turn's keys/values were not recomputed
        assert second["prompt"] == python_prompt(
            dirs["v0.2.0"],
            [
                {"role": "user", "content": "Hello there! Tell me about yourself."},
                {"role": "assistant", "content": first["text"]},
            ],
            "And what do you do all day?",
        )
        assert second["tokens"] == python_greedy(dirs["v0.2.0"], second)
        bubbles = page.locator("#chat .msg").count()
        page.evaluate("window.webChat.last = null")
        page.click("#retry")
        page.wait_for_function("window.webChat.last !== null", timeout=60_000)
        retried = page.evaluate("window.webChat.last")
        assert retried["prompt"] == second["prompt"]  # the same turn again, not a new one
        assert retried["tokens"] == python_greedy(dirs["v0.2.0"], retried)
        assert page.locator("#chat .msg").count() == bubbles
        page.screenshot(path=str(ARTIFACTS / "web-chat.png"), full_page=True)
    finally:
        page.close()


# Press Stop from inside the page as soon as the reply's first token shows (a round trip from the test could
# come after a tiny model's whole reply).
STOP_AT_FIRST_TOKEN = """() => {
  new MutationObserver((_, observer) => {
    const bubbles = document.querySelectorAll('#chat .msg.assistant .text');
    const text = bubbles[bubbles.length - 1]?.textContent;
    if (text && text !== '…' && !document.getElementById('stop').hidden) {
      observer.disconnect();
      document.getElementById('stop').click();
    }
  }).observe(document.getElementById('chat'), {subtree: true, childList: true, characterData: true});
}"""


def test_stop_ends_the_reply_and_the_chat_goes_on_from_what_was_shown(browser, page_url, web_repo):
    _, _, dirs = web_repo
    page = browser.new_page()
    try:
        page.goto(page_url)
        page.wait_for_function("window.webChat.ready", timeout=60_000)
        page.evaluate(GREEDY)
        page.evaluate("document.getElementById('max-new-tokens').value = '200'")
        page.evaluate(STOP_AT_FIRST_TOKEN)

        stopped = send(page, "Please tell me a very long story.")
        assert stopped["stopped"] is True and 1 <= len(stopped["tokens"]) < 200
        assert page.locator("#stop").is_hidden() and page.locator("#send").is_enabled()
        shown = page.locator("#chat .msg.assistant .text").last.inner_text()
        assert shown == stopped["text"]  # what was streamed so far stays, and is what the history keeps

        page.evaluate("document.getElementById('max-new-tokens').value = '24'")
        after = send(page, "Thanks, that will do.")
        assert after["stopped"] is False
        assert after["prompt"] == python_prompt(
            dirs["v0.2.0"],
            [
                {"role": "user", "content": "Please tell me a very long story."},
                {"role": "assistant", "content": stopped["text"]},
            ],
            "Thanks, that will do.",
        )
        assert after["tokens"] == python_greedy(dirs["v0.2.0"], after)  # the cache kept after a stop is sound
    finally:
        page.close()


def test_release_picker_switches_and_missing_files_are_explained(browser, page_url, web_repo):
    _, tags, _ = web_repo
    page = browser.new_page()
    try:
        page.goto(page_url)
        page.wait_for_function("window.webChat.ready", timeout=60_000)
        options = page.locator("#release option").all_inner_texts()
        assert options[1:] == ["release v0.2.0", "release v0.1.0", "release v0.0.1"]

        page.select_option("#release", "v0.1.0")
        page.wait_for_function("window.webChat.ready && window.webChat.revision === 'v0.1.0'", timeout=60_000)
        assert "release v0.1.0" in page.locator("#model-status").inner_text()

        page.select_option("#release", "v0.0.1")
        page.locator("#error").wait_for(state="visible", timeout=60_000)
        assert "model files are missing" in page.locator("#error").inner_text()
        assert page.locator("#message").is_disabled()
    finally:
        page.close()


def test_unreachable_hub_is_explained(browser, deployed, hub, hub_token):
    import socket

    from huggingface_hub import HfApi

    from hubtools.serve.static_server import running_static_space

    folder = Path(HfApi(endpoint=hub.url, token=hub_token).snapshot_download(deployed[0], repo_type="space"))
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts}
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    config = json.loads(files["space-config.json"].read_text())
    files["space-config.json"] = json.dumps({**config, "hub_endpoint": dead}).encode()
    with running_static_space(files) as url:
        page = browser.new_page()
        try:
            page.goto(url)
            page.locator("#error").wait_for(state="visible", timeout=60_000)
            assert page.locator("#error").inner_text().startswith(f"Cannot reach the Hub at {dead}")
            assert "could not be read" in page.locator("#release").inner_text()
        finally:
            page.close()
