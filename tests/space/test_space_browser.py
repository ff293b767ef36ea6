"""A real browser (Debian's headless Chromium driven by Playwright) chats with the app served against the
embedded Hub, watches the reply stream in, and leaves a screenshot in test-artifacts/.

Needs `apt-get install -y chromium` and `pip install playwright` (no browser download: Playwright drives
/usr/bin/chromium). Skipped, saying so, where either is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hubtools.serve.service import EMPTY_REPLY

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Records every distinct text the newest bot message shows, to see the reply grow.
WATCH_REPLY = """() => {
  window.__replies = [];
  const seen = () => {
    const bots = document.querySelectorAll('#chatbot [data-testid="bot"]');
    if (bots.length < 2) return;
    const text = bots[bots.length - 1].innerText.trim();
    const all = window.__replies;
    if (text && all[all.length - 1] !== text) all.push(text);
  };
  new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.mark.slow
def test_browser_chat_streams_a_reply(browser, app_url, service):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(app_url)
        status = page.locator("#model-status")
        status.wait_for()
        assert "release v0.2.0" in status.inner_text()
        assert service.default.resolved.commit[:10] in status.inner_text()
        page.locator('#chatbot [data-testid="bot"]').first.wait_for()  # the character's greeting

        page.evaluate(WATCH_REPLY)
        box = page.locator("#chat-input textarea")
        box.fill("Hello there! Tell me about yourself.")
        box.press("Enter")
        page.wait_for_function(
            """() => document.querySelectorAll('#chatbot [data-testid="user"]').length >= 1
                    && window.__replies.length >= 1""",
            timeout=60_000,
        )
        # Done when the input is ready again (the stop button gives way to the send button).
        page.locator("#chat-input .stop-button").wait_for(state="hidden", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "space-chat.png"), full_page=True)
        replies = page.evaluate("window.__replies")
        errors = page.locator('[data-testid="toast-body"]').all_inner_texts()  # gr.Error shows as a toast
    finally:
        page.close()
    assert not errors, errors
    final = replies[-1]
    assert final and final != EMPTY_REPLY  # random sampled words may say "Error": the text itself proves nothing
    assert len(replies) >= 2, f"the reply did not stream (one update only): {replies}"
    assert all(final.startswith(r[: max(1, len(r) - 1)]) for r in replies), replies


def _wait_idle(page):
    """The reply is over when the send button is back and the input takes text again."""
    page.locator("#chat-input .stop-button").wait_for(state="hidden", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('#chat-input textarea').disabled", timeout=30_000)


def _bots(page):
    return page.locator('#chatbot [data-testid="bot"]').all_inner_texts()


def _open_sidebar(page):
    toggle = page.locator(".sidebar .toggle-button, button.toggle-button").first
    toggle.click()
    page.locator("#release-picker input").wait_for(state="visible")


@pytest.mark.slow
def test_browser_refusals_keep_the_chat_usable_and_no_token_is_stored(browser, app_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(app_url)
        box = page.locator("#chat-input textarea")
        page.locator('#chatbot [data-testid="bot"]').first.wait_for()  # loaded: the greeting is shown
        assert page.locator("input[type=password]").count() == 0
        for bad, expected in (("   ", "Please type a message"), ("x" * 4001, "too long")):
            box.fill(bad)
            refusal = page.locator("#chat-input .validation-error").get_by_text(expected)
            for _ in range(5):  # a key press right after the page loads can be lost: press again
                box.press("Enter")
                try:
                    refusal.wait_for(timeout=5_000)
                    break
                except Exception:
                    continue
            refusal.wait_for(timeout=10_000)
            assert box.is_enabled()
        assert page.locator('#chatbot [data-testid="user"]').count() == 0  # refused before the chat ran
        box.fill("Hello there!")
        box.press("Enter")
        page.wait_for_function(
            """() => document.querySelectorAll('#chatbot [data-testid="user"]').length === 1
                    && document.querySelectorAll('#chatbot [data-testid="bot"]').length >= 2""",
            timeout=60_000,
        )
        _wait_idle(page)
        assert _bots(page)[-1].strip()
        box.fill("word " * 700)  # under the character limit, over the tiny model's window: refused by the model
        box.press("Enter")
        page.locator("#chatbot").get_by_text("too long for this model").first.wait_for(timeout=60_000)
        _wait_idle(page)
        box.fill("Still there?")
        box.press("Enter")
        page.wait_for_function(
            """() => document.querySelectorAll('#chatbot [data-testid="user"]').length === 3""", timeout=60_000
        )
        _wait_idle(page)
        assert _bots(page)[-1].strip() and "too long" not in _bots(page)[-1]
        _open_sidebar(page)
        page.get_by_text("Maintainers: training checkpoints").click()
        with page.expect_navigation(timeout=30_000):  # local mode: signed in as the local token's account
            page.get_by_role("button", name="Sign in with Hugging Face").click()
        page.locator('#chatbot [data-testid="bot"]').first.wait_for()
        assert any(c["name"] == "session" and c["httpOnly"] for c in page.context.cookies())  # not for scripts
        _open_sidebar(page)
        page.get_by_text("Maintainers: training checkpoints").click()
        page.locator("#maintainer-note").get_by_text("Training checkpoints are listed").wait_for(timeout=30_000)
        stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
    finally:
        page.close()
    assert "hf_" not in stored, stored


@pytest.mark.slow
def test_browser_greeting_follows_the_card_and_survives_clear(browser, app_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(app_url)
        page.locator('#chatbot [data-testid="bot"]').first.wait_for()
        _open_sidebar(page)
        page.locator("#card-name textarea").fill("Captain Nemo")
        page.locator("#card-greeting textarea").fill("Ahoy, {{user}}! {{char}} at your service.")
        page.get_by_text("Ahoy, User! Captain Nemo at your service.").first.wait_for(timeout=30_000)
        assert "Captain Nemo" in page.locator("#character-header").inner_text()
        assert "Captain Nemo" in page.locator("#disclaimer").inner_text()
        box = page.locator("#chat-input textarea")
        box.fill("Hi!")
        box.press("Enter")
        _wait_idle(page)
        assert _bots(page)[0] == "Ahoy, User! Captain Nemo at your service."
        page.locator('#chatbot button[aria-label="Clear"]').click()
        page.wait_for_function(
            """() => document.querySelectorAll('#chatbot [data-testid="user"]').length === 0
                    && document.querySelectorAll('#chatbot [data-testid="bot"]').length === 1""",
            timeout=30_000,
        )
        page.wait_for_timeout(500)  # anything that would empty the chat again has run by now
        assert _bots(page) == ["Ahoy, User! Captain Nemo at your service."]
    finally:
        page.close()


@pytest.mark.slow
def test_browser_picker_resets_after_a_failed_switch_and_takes_the_short_id(browser, app_url, chat_repo):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    status = page.locator("#model-status")
    try:
        page.goto(app_url)
        status.wait_for()
        box = page.locator("#chat-input textarea")
        box.fill("Hello!")
        box.press("Enter")
        _wait_idle(page)
        _open_sidebar(page)
        picker = page.locator("#release-picker input")
        before = picker.input_value()
        picker.fill("v9.9.9")
        picker.press("Enter")
        status.get_by_text("does not exist").wait_for(timeout=30_000)
        page.wait_for_function(
            "v => document.querySelector('#release-picker input').value === v", arg=before, timeout=30_000
        )
        short = chat_repo.tags["v0.1.0"][:10]
        picker.fill(short)
        picker.press("Enter")
        status.get_by_text("commit " + short).first.wait_for(timeout=60_000)
        assert "⚠️" not in status.inner_text()
        page.get_by_text("Model changed").first.wait_for(timeout=30_000)  # marked in the conversation
        page.screenshot(path=str(ARTIFACTS / "space-picker.png"), full_page=True)
    finally:
        page.close()
