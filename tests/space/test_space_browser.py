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
