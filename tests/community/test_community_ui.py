"""The Contribute tab served by Gradio and driven through its API (`gradio_client`), storing on the embedded Hub."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from _community_planted import leaks

from hubtools.community.config import ContributeConfig, load_contribute_config


@pytest.fixture
def tab_url(store):
    import gradio as gr

    from hubtools.community.ui import contribute_tab

    with gr.Blocks() as demo:
        with gr.Tab("Contribute"):
            contribute_tab(ContributeConfig(repo_id=store.repo_id), store=store)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo.queue().launch(
        server_name="127.0.0.1", server_port=port, ssr_mode=False, prevent_thread_lock=True, quiet=True
    )
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_tab_previews_then_shares_only_with_consent(tab_url, store, uploads, hf_api):
    from gradio_client import Client, handle_file

    client = Client(tab_url, verbose=False)
    checked = client.predict([handle_file(path) for path in uploads], api_name="/contribute_check")
    message, chosen, preview, consent = checked[:4]
    assert "4 conversation(s) ready for review" in message
    assert chosen["value"] == ["c1", "c2", "c3", "c4"] and consent is False
    assert [value for _label, value in chosen["choices"]] == chosen["value"]
    assert chosen["choices"][1][0] == "#2 with Mira · 4 turns · Mira.json"
    assert preview.count('class="conversation"') == 4 and "[EMAIL_1]" in preview
    assert leaks(preview) == []

    refused = client.predict(["c1", "c3"], False, api_name="/contribute_share")
    assert "Tick the consent box" in refused[0]
    assert store.push() is None

    shared = client.predict(["c1", "c3"], True, api_name="/contribute_share")
    assert "Your receipt id" in shared[0]
    receipt = shared[0].split("**`")[1].split("`**")[0]
    store.push()
    (path,) = [p for p in hf_api.list_repo_files(store.repo_id, repo_type="dataset") if p.startswith("data/")]
    assert path.endswith(f"/{receipt}.jsonl")
    local = hf_api.hf_hub_download(store.repo_id, path, repo_type="dataset")
    rows = [json.loads(line) for line in Path(local).read_text().splitlines()]
    assert [row["source_id"] for row in rows] == ["file2:histories[0]", "file2:histories[2]"]

    again = client.predict([], True, api_name="/contribute_share")  # the review was consumed (and its choices)
    assert "upload your dump files first" in again[0]


def test_tab_decline_discards(tab_url, store, uploads):
    from gradio_client import Client, handle_file

    client = Client(tab_url, verbose=False)
    client.predict([handle_file(path) for path in uploads], api_name="/contribute_check")
    assert "nothing from your upload was kept" in client.predict(api_name="/contribute_decline")[0]
    assert "upload your dump files first" in client.predict([], True, api_name="/contribute_share")[0]
    assert store.push() is None and not any(store.folder.rglob("*.jsonl"))


def test_config_from_space_variables(tmp_path):
    (tmp_path / "space_variables.json").write_text(json.dumps({"CONTRIBUTIONS_REPO": "me/chats", "HF_TOKEN": "no"}))
    config = load_contribute_config(
        tmp_path, {"CONTRIBUTIONS_MAX_FILE_MB": "2", "CONTRIBUTIONS_EVERY_MINUTES": "1", "HF_TOKEN": "hf_secret"}
    )
    assert config.repo_id == "me/chats" and config.every_minutes == 1.0
    assert config.limits.max_file_bytes == 2 * 1024 * 1024 and config.limits.max_files == 10
    assert config.token == "hf_secret" and "hf_secret" not in repr(config)
    assert load_contribute_config(tmp_path, {}).token is None  # a token is never read from the file
    with pytest.raises(Exception, match="expected a number"):
        load_contribute_config(None, {"CONTRIBUTIONS_MAX_FILES": "ten"})


def test_tab_in_a_browser(browser, tab_url, store, uploads, hf_api):
    """A real upload through the file input, untick one conversation, consent, share: the rest lands."""
    page = browser.new_page()
    try:
        page.goto(tab_url)
        page.get_by_role("tab", name="Contribute").click()
        page.locator("#contribute-files input[type=file]").set_input_files(uploads)
        page.wait_for_selector("#contribute-preview details.conversation")
        assert page.locator("#contribute-preview details.conversation").count() == 4
        assert leaks(page.locator("#contribute-preview").inner_text()) == []
        page.locator("#contribute-chosen").get_by_text("#2 with Mira").click()  # keep this one private
        page.locator("#contribute-consent input[type=checkbox]").check()
        page.locator("#contribute-share").click()
        page.wait_for_function("document.querySelector('#contribute-message').innerText.includes('Your receipt id:')")
        message = page.locator("#contribute-message").inner_text()
    finally:
        page.close()
    assert "Your receipt id: " in message, message
    receipt = message.split("receipt id: ")[1].split()[0]
    store.push()
    (path,) = [p for p in hf_api.list_repo_files(store.repo_id, repo_type="dataset") if p.startswith("data/")]
    assert path.endswith(f"/{receipt}.jsonl")
    rows = [json.loads(line) for line in Path(hf_api.hf_hub_download(store.repo_id, path, repo_type="dataset")).open()]
    assert [row["source_id"] for row in rows] == ["file2:histories[0]", "file2:histories[2]", "file2:histories[3]"]


def test_review_masks_everywhere_and_drops_one_message(uploads):
    from hubtools.community.contribute import MASK, as_uploads, prepare
    from hubtools.community.ui import drop, mask

    pending = prepare(as_uploads(uploads))
    outcome = mask(pending, "  LIGHTHOUSE ")  # any case, every conversation
    assert "Masked 12 occurrence(s)" in outcome.message and outcome.review
    assert all("lighthouse" not in m["content"].lower() for row in pending.rows() for m in row["messages"])
    assert MASK in pending.rows()[0]["messages"][1]["content"]
    assert "⚠️" in mask(pending, "lighthouse").message  # nothing left to mask: said, not silently ignored
    assert "⚠️" in mask(pending, " x ").message

    assert "left out" in drop(pending, "4.5").message
    assert [m["content"][:6] for m in pending.rows()[3]["messages"]] == ["You ar", "Ahoy! ", "I will", "The me"]
    assert "⚠️" in drop(pending, "4.9").message and "⚠️" in drop(pending, "nonsense").message
    drop(pending, "3.5")
    drop(pending, "3.4")
    assert "was left out too" in drop(pending, "3.3").message  # no exchange left: the conversation goes
    assert [c.key for c in pending.conversations] == ["c1", "c2", "c4"]


def test_review_in_a_browser_stores_exactly_the_edited_preview(browser, tab_url, store, uploads, hf_api):
    """Select text in the preview and mask it, select a message and leave it out, share: the stored rows are
    the final preview, message for message."""
    select = """([selector, word]) => {
        const pre = document.querySelector(selector), text = pre.firstChild, at = text.data.indexOf(word);
        const range = document.createRange();
        range.setStart(text, at);
        range.setEnd(text, at + word.length);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
    }"""
    page = browser.new_page()
    try:
        page.goto(tab_url)
        page.get_by_role("tab", name="Contribute").click()
        page.locator("#contribute-files input[type=file]").set_input_files(uploads)
        page.wait_for_selector("#contribute-preview details.conversation")
        assert "Automatic scrubbing is not perfect" in page.content()
        page.evaluate(select, ['#contribute-preview [data-message="2.4"] pre', "harbour server"])
        page.locator("#contribute-mask").click()
        page.wait_for_function("document.querySelector('#contribute-preview').innerText.includes('the [MASKED] at')")
        page.evaluate(select, ['#contribute-preview [data-message="4.5"] pre', "5 miles"])
        page.locator("#contribute-drop").click()
        page.wait_for_function("!document.querySelector('#contribute-preview [data-message=\"4.5\"]')")
        preview = [
            [pre.text_content() for pre in conversation.locator("pre").all()]
            for conversation in page.locator("#contribute-preview details.conversation").all()
        ]
        page.locator("#contribute-consent input[type=checkbox]").check()
        page.locator("#contribute-share").click()
        page.wait_for_function("document.querySelector('#contribute-message').innerText.includes('Your receipt id:')")
        message = page.locator("#contribute-message").inner_text()
    finally:
        page.close()
    assert "harbour server" not in str(preview) and len(preview) == 4 and len(preview[3]) == 4
    receipt = message.split("receipt id: ")[1].split()[0]
    store.push()
    (path,) = [p for p in hf_api.list_repo_files(store.repo_id, repo_type="dataset") if p.startswith("data/")]
    assert path.endswith(f"/{receipt}.jsonl")
    rows = [json.loads(line) for line in Path(hf_api.hf_hub_download(store.repo_id, path, repo_type="dataset")).open()]
    assert [[m["content"] for m in row["messages"]] for row in rows] == preview
